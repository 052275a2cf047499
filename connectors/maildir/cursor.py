"""The Maildir cursor: how far each folder has been read, as an opaque string.

Per folder the cursor keeps a *floor* (a file change time, ctime, in
nanoseconds); the whole source shares one set of *seen* unique names. The
promise it encodes is:

    every file in a folder whose ctime is below the folder's floor has been
    handled, and a file at or above the floor has been handled exactly when
    its unique name is in ``seen``.

"Handled" means returned in a batch, or deliberately skipped (a broken file, a
message older than the backfill). The ctime, unlike the modification time, is
set by the kernel whenever a file appears in a folder (created, renamed in,
copied, restored) and cannot be set back by any tool: a message that arrives
dated in the past (offlineimap's ``utime_from_header``, ``cp -p``, a backup put
back) is still above the floor. A rename sets it too, so a message re-flagged
or moved to another folder after the late-arrival window is read and returned
once more, with the same external id (its unique name), which the daemon
stores once; within the window its name is in ``seen`` and it is not.

The floor only rises to ``scan time - LATE_ARRIVAL``: a file found in the same
instant as a scan may have a ctime a little older than files already read.
Names newer than the floor are kept in ``seen``; in the steady state that is a
handful, after a fresh download of a whole mailbox it can be tens of thousands,
which the sorted, compressed encoding keeps to a few bytes each.

Version 1 cursors kept modification-time floors. A file's ctime is never older
than its modification time, so every file under such a floor by ctime was under
it by modification time too, and handled: they are read as version 2.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field

from connectors.base import CursorExpired
from connectors.maildir.folders import Entry, Folder

LATE_ARRIVAL_NS = 10 * 60 * 1_000_000_000
VERSION = 2
READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class ScanState:
    """A decoded cursor: folder path -> floor, and the unique names seen at or above it."""

    floors: dict[str, int] = field(default_factory=dict)
    seen: frozenset[str] = frozenset()


def encode(state: ScanState) -> str:
    names = "\n".join(sorted(state.seen)).encode("utf-8", "surrogateescape")
    packed = base64.b64encode(zlib.compress(names, 6)).decode("ascii") if names else ""
    return json.dumps({"v": VERSION, "floors": state.floors, "seen": packed}, sort_keys=True)


def decode(cursor: str) -> ScanState:
    """The state in ``cursor``; a cursor this code did not write asks for a full resync."""
    try:
        raw = json.loads(cursor)
        if raw["v"] not in READABLE_VERSIONS:
            raise ValueError(f"cursor version {raw['v']}")
        floors = {str(path): int(floor) for path, floor in raw["floors"].items()}
        packed = raw["seen"]
        names = zlib.decompress(base64.b64decode(packed, validate=True)) if packed else b""
        seen = frozenset(names.decode("utf-8", "surrogateescape").split("\n")) if names else frozenset()
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error, zlib.error) as error:
        raise CursorExpired(f"Maildir cursor unreadable ({error}); reading the folders again") from error
    return ScanState(floors, seen)


class FolderScan:
    """One folder during a sync: its listing, what is left to read, and what must be retried."""

    def __init__(self, folder: Folder, entries: list[Entry], floor: int, fresh: bool, seen: frozenset[str],
                 complete: bool = True):
        self.folder = folder
        self.floor = floor
        self.complete = complete  # False: a subfolder could not be listed, and the floor stays
        self.fresh = fresh  # never read before: the backfill limit applies
        above = entries[bisect_left(entries, (floor,)) :]
        # Files at or above the floor already handled by an earlier sync.
        self.seen_before = [(entry.changed_ns, entry.unique) for entry in above if entry.unique in seen]
        self.candidates = [entry for entry in above if entry.unique not in seen]
        self.candidate_changes = [entry.changed_ns for entry in self.candidates]
        self.position = 0  # candidates before this one are done (handled or deferred)
        self.deferred: list[Entry] = []  # done for now, to be read again next sync

    def next_floor(self, settled_ns: int) -> int:
        if not self.complete:
            return self.floor  # what the unlisted subfolder holds is still to be read
        limit = settled_ns
        if self.position < len(self.candidates):
            limit = min(limit, self.candidates[self.position].changed_ns)
        for entry in self.deferred:
            limit = min(limit, entry.changed_ns)
        return max(self.floor, limit)

    def handled_at_or_above(self, floor: int, handled: set[str]) -> Iterator[str]:
        """The names of handled files with a ctime at or above ``floor``.

        Only the candidates read so far need looking at, and of those only the ones
        at or above the new floor (ties, and recent files): so this stays cheap
        however large the folder is.
        """
        for changed_ns, name in self.seen_before:
            if changed_ns >= floor:
                yield name
        start = bisect_left(self.candidate_changes, floor, 0, self.position)
        for entry in self.candidates[start : self.position]:
            if entry.unique in handled:
                yield entry.unique


def cursor_after(scans: list[FolderScan], handled: set[str], previous: ScanState, settled_ns: int) -> str:
    """The cursor that is true once every name in ``handled`` is committed.

    Folders of ``previous`` that were not listed this time (a root briefly
    unmounted, a folder renamed) keep their floor, so they are not read again.
    A file not yet read whose unique name was already handled in another folder
    (the same file linked into two folders) is left out; after a crash it would
    be returned once more with the same external id.
    """
    floors = dict(previous.floors)
    seen: set[str] = set()
    for scan in scans:
        floor = scan.next_floor(settled_ns)
        floors[scan.folder.path] = floor
        seen.update(scan.handled_at_or_above(floor, handled))
    return encode(ScanState(floors, frozenset(seen)))
