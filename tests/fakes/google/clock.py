"""A clock tests and benchmarks can share between a connector and the fake: sleeping is instant."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)):
        self.start = start
        self.elapsed = 0.0
        self.slept = 0.0
        self.lock = threading.Lock()

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.elapsed += max(0.0, seconds)
            self.slept += max(0.0, seconds)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)
