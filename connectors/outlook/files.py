"""Small private files: the token cache and the block's series mark, written atomically.

Connectors do not import the daemon, so this is the package's own copy of the
rule the daemon follows: a folder only the user can enter (0700), files only
the user can read (0600), written to a temporary file, synced and renamed so a
crash never leaves half a token cache.
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


def write_private(path: Path, text: str) -> None:
    """Write ``path`` atomically with mode 0600."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or an empty dict when it is missing or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: dict[str, Any]) -> None:
    write_private(path, json.dumps(value, indent=2, sort_keys=True))
