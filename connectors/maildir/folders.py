"""Finding the Maildir folders below a root and listing the messages in them.

A folder is any directory with both ``cur/`` and ``new/`` (https://cr.yp.to/proto/maildir.html).
Both layouts people use are found: Maildir++ (``~/Maildir/.Sent``, ``.Lists.rust``,
the root itself being INBOX) and plain nesting (``~/Mail/work/INBOX``,
``~/Mail/Archive/2020``). ``tmp/`` is never read: deliveries are written there and
only renamed into ``new/`` once complete.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import NamedTuple

logger = logging.getLogger(__name__)

# A message (or a cur/ or new/ folder) whose mode shuts us out is tried again at each
# sync for this long after it last changed (a chmod counts), then given up on: waiting
# for it forever would hold its folder's cursor back.
UNREADABLE_GRACE_NS = 3600 * 1_000_000_000
# Directories that hold no mail but can be large (notmuch's and mu's databases).
IGNORED_DIRECTORIES = frozenset({"cur", "new", "tmp", ".notmuch", ".mu", ".git"})


@dataclass(frozen=True)
class Folder:
    """One Maildir folder: its absolute path and its path relative to the configured root."""

    path: str
    relative: str  # "" for the root itself

    @property
    def leaf(self) -> str:
        """The folder's own name: "Sent" for ``.INBOX.Sent``, ``Sent`` or ``[Gmail]/Sent``."""
        name = self.relative.rstrip("/").rpartition("/")[2]
        return name.rpartition(".")[2] if name.startswith(".") else name


class Entry(NamedTuple):
    """A message file as listed: enough to order it and to find it again.

    A named tuple rather than a dataclass: a backfill lists tens of thousands, and
    tuples sort in (changed, unique name) order by themselves.

    ``changed_ns`` is the inode change time (ctime): the kernel sets it when the
    file is created, renamed into the folder or its date is changed, and no tool
    can set it back. So a message that arrives with an old modification time (a
    sync tool that dates files by their Date header or the server's arrival time,
    ``cp -p``, a restored backup) still counts as new. ``mtime_ns`` is when the
    file's content was last written (or when its writer says it was delivered):
    the fallback for a missing Date, and how long a file cut short has been left.
    """

    changed_ns: int
    unique: str  # the Maildir unique name: the file name before its ":2,FLAGS" info
    path: str
    size: int
    mtime_ns: int


def is_folder(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "cur")) and os.path.isdir(os.path.join(path, "new"))


def find_folders(root: str) -> list[Folder]:
    """Every folder at or below ``root``, sorted by path; symlink loops are visited once."""
    found: list[Folder] = []
    visited: set[tuple[int, int]] = set()
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            status = os.stat(directory)
            if (status.st_dev, status.st_ino) in visited:
                continue
            visited.add((status.st_dev, status.st_ino))
            with os.scandir(directory) as children:
                subdirectories = [
                    child.path
                    for child in children
                    if child.name not in IGNORED_DIRECTORIES and child.is_dir()
                ]
        except OSError as error:
            logger.warning("Cannot read folder %s: %s", directory, error.strerror or error)
            continue
        if is_folder(directory):
            relative = os.path.relpath(directory, root)
            found.append(Folder(path=directory, relative="" if relative == "." else relative))
        pending.extend(subdirectories)
    found.sort(key=lambda folder: folder.path)
    return found


def is_draft(path: str) -> bool:
    """Whether the file at ``path`` carries the draft flag ("D" in its ``:2,FLAGS`` info)."""
    name = path.rpartition("/")[2]
    for separator in (":2,", "!2,", ";2,"):
        flags = name.partition(separator)[2]
        if flags:
            return "D" in flags
    return False


def unique_name(file_name: str) -> str:
    """The part of a Maildir file name that survives flag changes and moves."""
    # ":" separates the info ("2,S"); "!" and ";" stand in for it on file systems
    # where ":" is not allowed (Windows ports, some mbsync configurations).
    for separator in (":", "!", ";"):
        if separator in file_name:
            return file_name.partition(separator)[0]
    return file_name


def _shut_for_now(path: str) -> bool:
    """Whether a folder we cannot list changed within ``UNREADABLE_GRACE_NS`` (a chmod counts): worth waiting for."""
    try:
        return time.time_ns() - os.stat(path).st_ctime_ns < UNREADABLE_GRACE_NS
    except OSError:
        return False


def list_entries(folder: Folder) -> tuple[list[Entry], bool]:
    """The messages in ``folder``'s ``new/`` then ``cur/``, one per unique name, and whether both were listed.

    ``new/`` is listed first, so a message renamed into ``cur/`` while we list is
    seen at least once; when it is seen twice the ``cur/`` name (the newer) wins.
    A subfolder that cannot be listed (its mode, for now) makes the listing partial,
    so the folder's cursor does not move past what it may hold, for as long as it
    changed within ``UNREADABLE_GRACE_NS``; after that it is given up on.
    """
    entries: dict[str, Entry] = {}
    complete = True
    for subdirectory in ("new", "cur"):
        try:
            scanner = os.scandir(os.path.join(folder.path, subdirectory))
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("Cannot list %s/%s: %s", folder.path, subdirectory, error.strerror or error)
            complete = complete and not _shut_for_now(os.path.join(folder.path, subdirectory))
            continue
        with scanner:
            for child in scanner:
                if child.name.startswith("."):
                    continue
                try:
                    status = child.stat()
                except OSError:
                    continue  # gone since the listing
                if status.st_mode & 0o170000 != 0o100000:
                    continue  # not a regular file
                unique = unique_name(child.name)
                entries[unique] = Entry(status.st_ctime_ns, unique, child.path, status.st_size, status.st_mtime_ns)
    return sorted(entries.values()), complete
