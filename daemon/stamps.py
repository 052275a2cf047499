"""What the run loop notices about files from their metadata: the config edited, the store replaced."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def identity(path) -> tuple:
    """(device, inode) of the file at ``path``; () when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return ()
    return (info.st_dev, info.st_ino)


def stamp(path) -> tuple:
    """(mtime, size, inode): an editor's rename-over changes the inode even within one mtime tick."""
    try:
        info = path.stat()
    except OSError:
        return ()
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def watch_config(path, post, fallback_seconds: float):
    """Wake the loop when the config file changes (editors often write a new file and rename it)."""
    from connectors.ics.watch import FolderWatcher

    if not path.parent.is_dir():
        return None
    try:
        return FolderWatcher([path], lambda: post("config"))
    except OSError as error:  # e.g. the inotify watch limit: the loop's tick still notices
        log.warning("cannot watch %s (%s); changes are noticed within %d s", path, error, fallback_seconds)
        return None
