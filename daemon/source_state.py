"""Each source's schedule in the run loop: when it syncs next, and how it backs off while failing.

A source that fails is tried again after its poll interval doubled per failure
in a row (at most ``MAX_BACKOFF``); one that stopped (bad config or a revoked
token) is not tried until a reload. A watcher's wake-up syncs a healthy source
at once; during a backoff it is a probe, tried at most once per
``WAKE_PROBE_GAP`` seconds, and a probe that fails as before changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from daemon.config import Source

LOCAL_POLL_SECONDS = 300.0  # watchers do the real work; this is a backstop
REMOTE_POLL_SECONDS = 60.0
MAX_BACKOFF = 1800.0
BUSY_RETRY = 20.0  # seconds before a sync or morning job another command's write held off is tried again
WAKE_PROBE_GAP = 10.0  # while a source backs off, watcher wake-ups try it at most this often


@dataclass
class SourceState:
    source: Source
    connector: object | None = None
    watcher: object | None = None
    due: float = 0.0  # monotonic time of the next sync
    failures: int = 0
    stopped: str = ""
    last: str = ""
    error: str = ""  # the last sync's error, while failing
    attempted: float = 0.0  # monotonic time of the last sync
    probe_at: float = 0.0  # a wake-up during the backoff: try once at this time (0: none pending)

    def poll_interval(self) -> float:
        seconds = getattr(self.source.options, "poll_seconds", None)
        if seconds:
            return float(seconds)
        return LOCAL_POLL_SECONDS if self.watcher is not None else REMOTE_POLL_SECONDS

    def synced(self, outcome: dict, now: float) -> None:
        """Take in the outcome of a sync (``daemon.runner.sync_one``) that ended at monotonic ``now``."""
        self.attempted, self.probe_at = now, 0.0
        if outcome.get("busy"):
            self.due = now + BUSY_RETRY  # a command held the store: no failure of the source's own
            return
        if outcome.get("repeated"):
            return  # still failing as before: the backoff, the count and the log stay as they were
        self.error = outcome["error"]
        if outcome["error"]:
            self.failures += 1
            if outcome["stopped"]:
                self.stopped = outcome["error"]
            self.due = now + min(MAX_BACKOFF, self.poll_interval() * 2 ** min(self.failures, 10))
        else:
            self.failures = 0
            # Sooner when the connector left something for later (a file maybe still being written).
            self.due = now + min(self.poll_interval(), outcome.get("retry_in") or math.inf)
        self.last = outcome["line"]

    def woken(self, now: float, gap: float) -> bool:
        """A watcher saw a change: True to sync now; during a backoff, a probe is set for later instead.

        The watcher of a Maildir that does not exist yet watches its parent and
        fires for every folder made beside it, and each must not be a sync and a
        warning. The probe still notices at once (within ``gap``) the change that
        cures the failure, such as the folder being created.
        """
        if not self.failures:
            return True
        if not self.probe_at:
            self.probe_at = max(now, self.attempted + gap)
        return False

    def summary(self, synced_at: str | None, zone: str) -> str:
        """This source in the status line systemd shows: stopped, failing, or when it last synced."""
        name = self.source.name
        if self.stopped:
            return f"{name} stopped: {self.stopped}"
        if self.failures:
            return f"{name} failing ({self.failures}x): {self.last.removeprefix(name + ': ')[:80]}"
        if synced_at:
            return f"{name} synced {datetime.fromisoformat(synced_at).astimezone(ZoneInfo(zone)):%H:%M}"
        return f"{name} not synced yet"
