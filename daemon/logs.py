"""Logging, configured once: stderr, and journald-friendly when systemd runs us.

With ``JOURNAL_STREAM`` set (systemd connected our stderr to the journal) lines
carry no timestamp and start with a syslog priority prefix (``<3>``) so that
``journalctl -p warning`` filters work; see sd-daemon(3).
"""

from __future__ import annotations

import logging
import os
import sys

PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = PRIORITIES.get(record.levelno, 6)
        text = super().format(record)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines() or [""])


def configure(*, verbose: bool = False, service: bool = False) -> None:
    """Log to stderr: warnings for commands, info for the daemon (``service``), debug with -v."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "connect5", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.connect5 = True  # type: ignore[attr-defined]
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    level = logging.DEBUG if verbose else logging.INFO if service else logging.WARNING
    for name in ("daemon", "connectors", "rules"):
        logging.getLogger(name).setLevel(level)
    for noisy in ("googleapiclient", "urllib3", "msal", "watchdog"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
