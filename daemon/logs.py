"""Logging, configured once: stderr, and journald-friendly when systemd runs us.

When stderr really is the journal (``JOURNAL_STREAM`` names stderr's device and
inode, see systemd.exec(5); a child that inherited the variable but writes to a
pipe does not count) lines carry no timestamp, since journald adds its own, and
start with a syslog priority prefix (``<3>``, sd-daemon(3)) so that
``journalctl --user -u connect5 -p warning`` shows just what went wrong.

Whatever a module logs, the formatter masks bearer and OAuth tokens always, and
e-mail addresses at every level but debug (``--verbose``): a journal is read by
more eyes than the store.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# How a command's stderr shows what it logs (the journal gets JournalFormatter instead).
COMMAND_FORMAT, COMMAND_TIME = "%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"
PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}

ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
TOKENS = (
    re.compile(r"(?i)\b(bearer\s+)[\w.~+/=-]{8,}"),
    re.compile(r"(?i)\b((?:access|refresh|id)_token[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"),
    re.compile(r"(?i)\b((?:client_secret|password|code)=)[^\s&\"']{8,}"),
    re.compile(r"()\bya29\.[\w.-]{8,}"),  # Google access tokens
    re.compile(r"()\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"),  # JWTs (Microsoft tokens, id tokens)
)


def redact(text: str, *, addresses: bool) -> str:
    """``text`` with tokens masked, and e-mail addresses too when ``addresses``."""
    for pattern in TOKENS:
        text = pattern.sub(r"\1<token>", text)
    if addresses:
        text = ADDRESS.sub("<address>", text)
    return text


class SafeFormatter(logging.Formatter):
    """Masks tokens always and addresses above DEBUG, after the message is put together."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), addresses=record.levelno > logging.DEBUG)


class JournalFormatter(SafeFormatter):
    """No timestamp, a ``<N>`` syslog priority on every line (a traceback stays one priority)."""

    def format(self, record: logging.LogRecord) -> str:
        priority = PRIORITIES.get(record.levelno, 6)
        text = super().format(record)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines() or [""])


def journal_connected(stream=None) -> bool:
    """True when ``stream`` (stderr) is the journal stream systemd gave us."""
    value = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        info = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (int(device), int(inode))


def configure(*, verbose: bool = False, service: bool = False) -> None:
    """Log to stderr: warnings for commands, info for the daemon (``service``), debug with -v."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "connect5", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.connect5 = True  # type: ignore[attr-defined]
    if journal_connected(sys.stderr):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(SafeFormatter(COMMAND_FORMAT, COMMAND_TIME))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    level = logging.DEBUG if verbose else logging.INFO if service else logging.WARNING
    for name in ("daemon", "connectors", "rules"):
        logging.getLogger(name).setLevel(level)
    for noisy in ("googleapiclient", "urllib3", "msal", "watchdog"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def captured(level: int = logging.WARNING) -> Iterator[list[str]]:
    """The lines this thread logs at ``level`` or above while inside, as a command's stderr shows them.

    The daemon answers a command (``daemon.control``) with what that command
    would have printed, warnings included; they still reach the daemon's log too.
    """
    lines: list[str] = []
    handler = _ThreadLines(lines, threading.get_ident())
    handler.setLevel(level)
    handler.setFormatter(SafeFormatter(COMMAND_FORMAT, COMMAND_TIME))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lines
    finally:
        root.removeHandler(handler)


class _ThreadLines(logging.Handler):
    def __init__(self, lines: list[str], thread: int):
        super().__init__()
        self.lines, self.thread = lines, thread

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(self.format(record))
