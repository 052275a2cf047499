"""One daemon per store: an exclusive ``flock`` on ``connect5.lock`` holding the pid and what took it.

``connect5 run`` holds the lock while it runs, and a one-shot ``connect5 sync``
takes it too, so that a daemon does not start mid-sync. The file says which:
``"<pid> <command>\\n"`` (``run`` or ``sync``), so ``status`` can tell a running
sync from the daemon. A file written by an older version holds only the pid;
it reads as the daemon, which is what it meant then.

The kernel drops the lock when the process dies, however it dies, so a stale
lock file never blocks a restart.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

RUN = "run"  # the daemon
SYNC = "sync"  # a one-shot `connect5 sync`


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: ``pid`` (None when the file does not say) and the command (``run``, ``sync``)."""

    pid: int | None
    kind: str = RUN

    @property
    def is_daemon(self) -> bool:
        return self.kind == RUN

    def describe(self) -> str:
        pid = self.pid if self.pid is not None else "unknown"
        return f"connect5 (pid {pid})" if self.is_daemon else f"a `connect5 {self.kind}` (pid {pid})"


class AlreadyRunningError(Exception):
    """Another ``connect5 run`` or ``connect5 sync`` holds the lock (``holder`` says which)."""

    def __init__(self, message: str, holder: Holder):
        super().__init__(message)
        self.holder = holder


class DaemonLock:
    """The lock, taken by ``kind``: the command holding it (``run``, the daemon; ``sync``)."""

    def __init__(self, path: Path, kind: str = RUN):
        self.path = path
        self.kind = kind
        self.fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = _parse(os.pread(fd, 64, 0))
            os.close(fd)
            if other.is_daemon:
                pid = other.pid or "unknown"
                message = f"connect5 is already running on {self.path.parent} (pid {pid}); stop it first"
            else:
                message = f"{other.describe()} is running on {self.path.parent}; try again when it has finished"
            raise AlreadyRunningError(message, other) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {self.kind}\n".encode(), 0)
        except OSError as error:  # a full disk: named, so it is not taken for stdout's
            os.close(fd)
            raise OSError(error.errno, error.strerror, str(self.path)) from None
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _parse(data: bytes) -> Holder:
    words = data.decode(errors="replace").split()
    pid = int(words[0]) if words and words[0].isdigit() else None
    kind = words[1] if len(words) > 1 else RUN  # an older version wrote the pid alone
    return Holder(pid, kind)


def held_by(path: Path) -> Holder | None:
    """Who holds the lock, or None when nobody does."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _parse(os.pread(fd, 64, 0))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def holder(path: Path) -> int | None:
    """The pid of the process holding the lock (-1 when the file does not say), or None when nobody does."""
    held = held_by(path)
    if held is None:
        return None
    return held.pid if held.pid is not None else -1
