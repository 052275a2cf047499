"""Spending the per-user quota evenly, and backing off when Google says it is spent.

Gmail charges quota units per method against a per-user per-minute budget
(https://developers.google.com/workspace/gmail/api/reference/quota; new Cloud
projects get 6,000 units a minute, and ``messages.get`` may cost 20 there). The
pacer is a token bucket of one minute's budget refilled continuously: a backfill
runs at the budget's rate without tripping 429s. When Google refuses anyway
(another client of the same user, a smaller quota than configured) the bucket is
emptied, the rate lowered and the wait honours Retry-After; each success brings
the rate back up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

SLOWEST = 0.25  # never pace below a quarter of the configured budget


class Pacer:
    def __init__(self, units_per_minute: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.budget = float(units_per_minute)
        self.clock = clock
        self.sleep = sleep
        self.factor = 1.0
        self.available = self.budget
        self.updated = clock()
        self.spent = 0
        self.waited = 0.0

    @property
    def rate(self) -> float:
        """Units per second at the current pace."""
        return self.budget * self.factor / 60.0

    def _refill(self) -> None:
        now = self.clock()
        self.available = min(self.budget, self.available + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, units: float) -> None:
        """Wait until ``units`` may be spent, then spend them."""
        self._refill()
        if units > self.available:
            # A hair longer than the arithmetic says, so rounding never lands us a 429.
            self._wait((units - self.available) / self.rate + 0.01)
            self._refill()
        self.available -= units
        self.spent += units

    def refused(self, retry_after: float | None, attempt: int) -> None:
        """Google answered 429 / rateLimitExceeded: slow down and wait."""
        self.factor = max(SLOWEST, self.factor * 0.7)
        self._refill()
        self.available = min(self.available, 0.0)
        delay = max(retry_after or 0.0, min(60.0, 2.0 ** attempt))
        log.info("Google quota reached: waiting %.0f s, pacing at %.0f units a minute", delay, self.rate * 60)
        self._wait(delay)

    def succeeded(self) -> None:
        if self.factor < 1.0:
            self.factor = min(1.0, self.factor + 0.05)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self.sleep(seconds)
