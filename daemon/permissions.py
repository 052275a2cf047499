"""Privacy of what connect5 keeps: the data folder, ``tokens/``, token files, the store and the block file.

``connect5 run`` calls ``ensure_private`` before it opens anything. A folder or a
file that others on the machine could read (group or world bits) is fixed in
place, and the fix is logged; when it cannot be fixed (the file belongs to
someone else, a read-only mount) the daemon refuses to start with one line
naming the path and the command that shows the rest (``connect5 check``).
``connect5 check`` reads the same list through ``inspect`` before anything
opens the store (which would make it private on the way). Symlinks are not
followed: their targets are not ours to change.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
BLOCK_FILE = "connect5.ics"  # the ics writer's default, in the data folder


class NotPrivateError(Exception):
    """A path holding secrets is readable by others and could not be made private."""


@dataclass(frozen=True)
class Entry:
    """One private path as found: what it is, its mode and the most it may allow."""

    path: Path
    what: str
    actual: int
    mode: int

    @property
    def private(self) -> bool:
        return self.actual & ~self.mode & 0o777 == 0

    @property
    def repaired(self) -> int:
        """The mode ``make_private`` sets: the wanted bits the path already had."""
        return self.actual & self.mode


def _wanted(data_dir: Path, tokens_dir: Path, block_file: Path | None) -> list[tuple[Path, int, str]]:
    wanted = [(data_dir, FOLDER_MODE, "data folder")]
    if tokens_dir.is_dir() and not tokens_dir.is_symlink():
        wanted.append((tokens_dir, FOLDER_MODE, "tokens folder"))
        wanted += [(path, FILE_MODE, "token file") for path in sorted(tokens_dir.iterdir()) if path.is_file()]
    wanted += [(path, FILE_MODE, "store file") for path in sorted(data_dir.glob("connect5.db*")) if path.is_file()]
    # A symlinked block file is written through (connectors.ics.writer): the file it points to is ours.
    target = Path(os.path.realpath(block_file)) if block_file is not None else None
    blocks = {data_dir / BLOCK_FILE, *([target] if target is not None and _holds_a_block(target) else [])}
    wanted += [(path, FILE_MODE, "block file") for path in sorted(blocks) if path.is_file()]
    return wanted


def _holds_a_block(path: Path) -> bool:
    """Whether the configured block file is one connect5 wrote: [block] path may name anything (/proc/version)."""
    from connectors.ics.blockfile import BLOCK_UID

    try:
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            return f"UID:{BLOCK_UID}".encode() in handle.read(1 << 16)  # the master comes first
    except OSError:
        return False


def inspect(data_dir: Path, tokens_dir: Path, block_file: Path | None = None) -> list[Entry]:
    """Every private path that exists (symlinks left out), with its mode as it is now."""
    if not data_dir.is_dir():
        return []  # not made yet, or no folder (a --home naming a file): nothing of connect5's to fix
    entries = []
    for path, mode, what in _wanted(data_dir, tokens_dir, block_file):
        try:
            status = path.lstat()
        except FileNotFoundError:  # gone since it was listed (a -wal file at checkpoint)
            continue
        if not stat.S_ISLNK(status.st_mode):
            entries.append(Entry(path, what, stat.S_IMODE(status.st_mode), mode))
    return entries


def make_private(entry: Entry) -> None:
    """Take group and other bits off ``entry``; ``NotPrivateError`` naming the chmod when that fails."""
    try:
        os.chmod(entry.path, entry.repaired)
    except OSError as error:
        raise NotPrivateError(
            f"{entry.path} is readable by others ({entry.actual:04o}) and cannot be fixed ({error.strerror}); "
            f"run: chmod {entry.mode:o} {entry.path} (see connect5 check)"
        ) from None


def ensure_private(data_dir: Path, tokens_dir: Path, block_file: Path | None = None) -> list[str]:
    """Make the private paths private; the fixes made, one line each.

    Raises ``NotPrivateError`` when a path stays readable by others.
    """
    fixed = []
    for entry in inspect(data_dir, tokens_dir, block_file):
        if entry.private:
            continue
        make_private(entry)
        fixed.append(f"{entry.path} was {entry.actual:04o}, now {entry.repaired:04o}")
        log.warning("%s was readable by others (%04o); made it %04o", entry.path, entry.actual, entry.repaired)
    return fixed


def keep_private(path: Path, what: str) -> None:
    """Make one file private again if others may read it (logged); a failure is logged, never raised.

    For the block file, which the morning job and ``connect5 today`` leave alone
    when its content has not changed.
    """
    path = Path(os.path.realpath(path))  # a symlink is written through: the file it points to is ours
    try:
        status = path.lstat()
    except FileNotFoundError:
        return
    entry = Entry(path, what, stat.S_IMODE(status.st_mode), FILE_MODE)
    if not stat.S_ISREG(status.st_mode) or entry.private or not _holds_a_block(path):
        return
    try:
        make_private(entry)
    except NotPrivateError as error:
        log.warning("%s %s", what, error)
        return
    log.warning("%s %s was readable by others (%04o); made it %04o", what, path, entry.actual, entry.repaired)
