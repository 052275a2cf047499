"""What the fake Graph's server passes around: recorded requests, replies, injected faults, the throttle."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Recorded:
    """One Graph request as the server saw it (sub-requests of a $batch included)."""

    method: str
    path: str
    query: dict[str, str]
    prefer: str
    status: int
    in_batch: bool = False


@dataclass
class Reply:
    status: int
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    """A fault the fake injects instead of answering normally (see ``FakeGraph.injector``).

    ``kind``:
      "status"  answer ``status`` with error ``code`` and ``headers`` without running the request;
      "reset"   close the connection with a TCP reset before running the request;
      "timeout" run the request, then stall ``stall`` seconds and close without answering;
      "expire"  forget every access token first, so the request meets a 401 (token expired mid-sync).
    """

    kind: str
    status: int = 0
    code: str = "ServiceUnavailable"
    headers: tuple[tuple[str, str], ...] = ()
    stall: float = 1.0


def error_reply(status: int, code: str, message: str = "", **headers: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message or code}}, dict(headers))


class Throttle:
    """A sliding-window request budget plus a concurrency cap, like Outlook's limits."""

    def __init__(self, budget: int, window: float, concurrency: int) -> None:
        self.budget, self.window, self.concurrency = budget, window, concurrency
        self.lock = threading.Lock()
        self.times: collections.deque[float] = collections.deque()
        self.in_flight = 0
        self.rejected = 0

    def admit(self) -> float:
        """0 when admitted, else the seconds to wait."""
        with self.lock:
            now = time.monotonic()
            while self.times and self.times[0] <= now - self.window:
                self.times.popleft()
            if len(self.times) >= self.budget:
                self.rejected += 1
                return self.times[0] + self.window - now
            self.times.append(now)
            return 0.0

    def enter(self) -> bool:
        with self.lock:
            if self.in_flight >= self.concurrency:
                self.rejected += 1
                return False
            self.in_flight += 1
            return True

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1
