"""Per-user quota as Google accounts it: units per method, a per-minute budget, 429 past it.

Gmail charges each method a number of quota units (messages.get, messages.list,
history.list ...) against a per-user per-minute limit, and each part of a batch
is charged on its own: https://developers.google.com/workspace/gmail/api/reference/quota
The fake models the limit as a token bucket holding one minute's worth of units
and refilling continuously, so a client pacing at the limit never sees a 429
while one going faster does, with a Retry-After saying when enough units are back.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable

# Units per method. messages.get is 5 in the published table; new projects may be
# charged more (the brief says 20), so the fake takes it as a parameter.
GMAIL_COSTS = {
    "users.getProfile": 1,
    "users.messages.list": 5,
    "users.messages.get": 5,
    "users.history.list": 2,
}


class Quota:
    """A token bucket of ``units_per_minute``; ``charge`` says whether a call may run."""

    def __init__(self, units_per_minute: float, clock: Callable[[], float] = time.monotonic):
        self.units_per_minute = units_per_minute
        self.clock = clock
        self.available = float(units_per_minute)
        self.updated = clock()
        self.spent = 0
        self.refused = 0
        self.by_method: Counter[str] = Counter()
        self.lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        rate = self.units_per_minute / 60.0
        self.available = min(float(self.units_per_minute), self.available + (now - self.updated) * rate)
        self.updated = now

    def charge(self, method: str, units: int) -> float | None:
        """Spend ``units`` for ``method``; None when allowed, else seconds to wait."""
        with self.lock:
            self._refill()
            if units <= self.available:
                self.available -= units
                self.spent += units
                self.by_method[method] += units
                return None
            self.refused += 1
            rate = self.units_per_minute / 60.0
            return (units - self.available) / rate

    def drain(self) -> None:
        """Empty the bucket (as if another client of the same user just spent it)."""
        with self.lock:
            self._refill()
            self.available = 0.0


def retry_after_header(seconds: float) -> str:
    # HTTP Retry-After is whole seconds (RFC 9110 10.2.3).
    return str(max(1, math.ceil(seconds)))
