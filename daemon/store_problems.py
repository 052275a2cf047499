"""What the machine does to the store, each told in one line with what to do.

A busy store (another command writing past the wait), a full disk, a data
folder, store file or mount that is read-only: these are the machine's doing,
never connect5's, and no traceback helps. Anything else is a bug and keeps its
traceback: these functions return None for it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from pathlib import Path


def is_busy(error: BaseException) -> bool:
    """True for SQLite's "database is locked" / "busy": another writer held the store past the wait."""
    return isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error))


def environment_problem(error: BaseException, path: Path | None) -> str | None:
    """One line for a failure that is the machine's, not connect5's: a busy store, a full disk, a read-only folder.

    ``path`` is the store's (None when not known yet). None for anything else: a bug, whose traceback is wanted.
    """
    if is_busy(error):
        return ("the store stayed busy: another connect5 command was writing to it for"
                " 30 s (a big import?); try again when it is done")
    problem = access_problem(error, path) if path is not None else None
    if problem is None and isinstance(error, OSError) and error.filename and error.strerror:
        # A folder that is a file, a path that is not there: the machine's answer says it all.
        return f"{os.fsdecode(error.filename)}: {error.strerror}"
    return problem


# Errors that are the machine's doing, never connect5's: each is one line saying what to do.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def access_problem(error: BaseException, path: Path) -> str | None:
    """What ``error`` means when it says the store at ``path`` (or a file beside it) cannot be written.

    A full disk, or a data folder, store file or mount that is read-only (SQLite's
    SQLITE_FULL, SQLITE_READONLY, SQLITE_CANTOPEN; ENOSPC, EACCES, EROFS from a
    file connect5 keeps there): one line with what to do. None for anything else.
    """
    path = Path(path)
    if isinstance(error, sqlite3.Error):
        code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # the primary code of an extended one
        # A full disk may also say "disk I/O error": growing the -shm file beside a store it opens.
        if code == sqlite3.SQLITE_FULL or code == sqlite3.SQLITE_IOERR and no_space(path.parent):
            return full_disk(path)
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            reason = unwritable(path.parent, path, Path(f"{path}-wal"), Path(f"{path}-shm"))
            if reason:
                return f"cannot write the store {path}: {'; '.join(reason)}"
            if code == sqlite3.SQLITE_READONLY:  # the modes allow it, yet SQLite was refused (an ACL, say)
                return f"cannot write the store {path}: {error}; check what stops you writing it, or point --home elsewhere"
        return None
    if not isinstance(error, OSError) or not error.filename:
        return None
    failed = Path(os.fsdecode(error.filename))
    if error.errno in _DISK_FULL:
        return full_disk(failed, what=str(failed))
    folder = path.parent
    ours = failed == folder or folder in failed.parents or failed in folder.parents
    if error.errno in _DENIED and ours:
        reason = unwritable(folder, failed, path)
        if reason:
            return f"cannot write {failed}: {'; '.join(reason)}"
    return None


def no_space(folder: Path) -> bool:
    """Whether the disk holding ``folder`` has no block left for us."""
    try:
        return os.statvfs(folder).f_bavail == 0
    except OSError:
        return False


def full_disk(path: Path, what: str = "the store") -> str:
    where = "" if what == str(path) else f" ({path})"
    return f"the disk holding {what} is full{where}; free some space and try again"


def unwritable(folder: Path, *files: Path) -> tuple[str, str] | None:
    """Why this user cannot write in ``folder`` or to those of ``files`` that exist, and the fix; None if they can."""
    while not folder.exists() and folder != folder.parent:  # not made yet: what counts is where it would be
        folder = folder.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"{folder} is on a read-only filesystem", "mount it read-write, or point --home elsewhere"
    except OSError:
        pass
    blocked = [candidate for candidate in dict.fromkeys((folder, *files))
               if candidate.exists() and not os.access(candidate, os.W_OK | (os.X_OK if candidate.is_dir() else 0))]
    if not blocked:
        return None
    described = [f"{candidate} ({stat.S_IMODE(candidate.stat().st_mode):04o})" for candidate in blocked]
    described = " and ".join([", ".join(described[:-1]), described[-1]] if len(described) > 1 else described)
    names = " ".join(str(candidate) for candidate in blocked)
    if any(candidate.stat().st_uid != os.geteuid() for candidate in blocked):
        import pwd  # another user's files (made with sudo, say): only root can hand them over

        try:
            user = pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:  # a uid with no name (a container, say)
            user = str(os.geteuid())
        fix = f"`sudo chown {user} {names}`"
    else:
        fix = f"`chmod u+w {names}`"
    verb = "is" if len(blocked) == 1 else "are"
    return f"{described} {verb} not writable by you", f"run {fix}, or point --home elsewhere"
