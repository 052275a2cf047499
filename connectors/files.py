"""Small files written safely: token files, caches, marks, the .ics block.

One rule for every connector and the daemon: private things live in a folder
only the user can enter (0700) and files only the user can read (0600), and
every file is written to a temporary file, synced and renamed, so a crash
never leaves half a token cache or half a calendar.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        path.chmod(0o700)
    return path


def write_private(path: Path, data: str | bytes, *, private_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, mode 0600 (in a 0700 folder unless told otherwise).

    Readers see the old file or the new one, never half of either.
    """
    if private_folder:
        private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # named by hand rather than with tempfile, whose import alone costs milliseconds
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # make the rename itself durable
    finally:
        os.close(folder)


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or an empty dict when it is missing or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: dict[str, Any]) -> None:
    write_private(path, json.dumps(value, indent=2, sort_keys=True))


def name_as_text(name: str) -> str:
    """A file name as text SQLite can hold: bytes that are not UTF-8 (a Latin-1 name) as ``\\xe9``.

    ``os.listdir`` hands them over as lone surrogates, which SQLite refuses; the
    escaped form is as stable, so an id made of it stays the same at every sync.
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
