"""Start-up privacy check: the data folder, ``tokens/`` and the token files are the user's alone.

``connect5 run`` calls ``ensure_private`` before it opens anything. A folder or a
token file that others on the machine could read (group or world bits) is
fixed in place, and the fix is logged; when it cannot be fixed (the file
belongs to someone else, a read-only mount) the daemon refuses to start with
one line naming the path and the command that shows the rest
(``connect5 check``). Symlinks are not followed: their targets are not ours to
change.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600


class NotPrivateError(Exception):
    """A path holding secrets is readable by others and could not be made private."""


def _wanted(data_dir: Path, tokens_dir: Path) -> list[tuple[Path, int]]:
    wanted = [(data_dir, FOLDER_MODE)]
    if tokens_dir.is_dir() and not tokens_dir.is_symlink():
        wanted.append((tokens_dir, FOLDER_MODE))
        wanted += [(path, FILE_MODE) for path in sorted(tokens_dir.iterdir()) if path.is_file()]
    wanted += [(path, FILE_MODE) for path in sorted(data_dir.glob("connect5.db*")) if path.is_file()]
    return wanted


def ensure_private(data_dir: Path, tokens_dir: Path) -> list[str]:
    """Make the secret-bearing paths private; the fixes made, one line each.

    Raises ``NotPrivateError`` when a path stays readable by others.
    """
    if not data_dir.exists():
        return []
    fixed = []
    for path, mode in _wanted(data_dir, tokens_dir):
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            continue
        actual = stat.S_IMODE(status.st_mode)
        if actual & ~mode & 0o777 == 0:
            continue
        try:
            os.chmod(path, actual & mode)
        except OSError as error:
            raise NotPrivateError(
                f"{path} is readable by others ({actual:04o}) and cannot be fixed ({error.strerror}); "
                f"run: chmod {mode:o} {path} (see connect5 check)"
            ) from None
        fixed.append(f"{path} was {actual:04o}, now {actual & mode:04o}")
        log.warning("%s was readable by others (%04o); made it %04o", path, actual, actual & mode)
    return fixed
