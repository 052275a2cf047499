"""Waking the daemon when a watched .ics file changes (watchdog, debounced).

Calendar programs often write a file in several steps (temporary file, rename,
touch); the watcher waits until events have been quiet for ``DEBOUNCE_SECONDS``
and then calls ``wake`` once. ``wake`` only tells the run loop to sync: the sync
itself happens on the daemon's thread.

A root (a vdir folder, or the folder of a calendar file) can go and come back
while we run, or not exist yet at start; a watch follows the folder it was given
and stops when that folder is deleted. So the nearest existing parent of each
root is watched too: a folder made, moved or deleted on the way to a root has
the watches brought in line with the folders as they are now before the wake-up,
as ``connectors.maildir.watch`` does for mail.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.25
# Events that change nothing: watchdog (inotify) reports a file opened and closed
# without a write, so each sync's own reads would otherwise wake the next sync.
READS = frozenset({"opened", "closed_no_write"})


def _nearest_folder(path: Path) -> Path:
    while not path.is_dir() and path != path.parent:
        path = path.parent
    return path


class FolderWatcher:
    """Watches the configured files and folders (``roots``); ``stop()`` ends it."""

    def __init__(self, roots: Iterable[Path], wake: Callable[[], None]):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        self._wake = wake
        self._roots = [Path(root) for root in roots]
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._rearm_wanted = False
        self._stopped = False
        self._watches: dict[tuple[Path, bool], object] = {}
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type in READS:
                    return  # a file opened or closed unwritten (our own read among them) changed nothing
                paths = [Path(_text(path)) for path in (event.src_path, getattr(event, "dest_path", "")) if path]
                # A folder's own "modified" says a file in it changed: the file's event tells which.
                on_the_way = event.is_directory and event.event_type in ("created", "moved", "deleted")
                if on_the_way and any(watcher._on_the_way(path) for path in paths):
                    watcher._rearm_wanted = True
                    watcher._schedule()
                elif any(watcher._interesting(path) for path in paths):
                    watcher._schedule()

        self._handler = Handler()
        self._observer = Observer()
        self._observer.daemon = True
        self._rearm()
        self._observer.start()

    def _plan(self) -> set[tuple[Path, bool]]:
        """(folder, recursive) watches the roots need now: each folder root's tree, each file's folder,
        and the nearest existing folders on the way, where a root or a file's folder appearing is seen."""
        plan = set()
        for root in self._roots:
            if root.is_dir():
                plan.add((root, True))
            elif root.parent.is_dir():
                plan.add((root.parent, False))
            # Where the root, or the folder of a calendar file, is made, moved or deleted.
            plan |= {(_nearest_folder(root.parent), False), (_nearest_folder(root.parent.parent), False)}
        return {(path, recursive) for path, recursive in plan if recursive or (path, True) not in plan}

    def _rearm(self) -> None:
        """Watch what ``_plan`` needs now, every watch made anew: a folder deleted and made
        again, or swapped for another, is another one, which an old watch no longer follows."""
        for key in list(self._watches):
            self._observer.unschedule(self._watches.pop(key))
        for path, recursive in sorted(self._plan(), key=lambda key: key[1]):
            try:
                self._watches[path, recursive] = self._observer.schedule(self._handler, str(path), recursive=recursive)
            except OSError as error:  # gone meanwhile, or the inotify watch limit: the poll still works
                logger.warning("cannot watch %s (%s); changes are found on the next poll", path, error)

    def _on_the_way(self, path: Path) -> bool:
        """A root, or a folder it lies in."""
        return any(path == root or root.is_relative_to(path) for root in self._roots)

    def _interesting(self, path: Path) -> bool:
        for root in self._roots:
            if path == root or path.suffix.lower() == ".ics" and path.is_relative_to(root):
                return True
        return False

    def _schedule(self) -> None:
        with self._lock:
            if self._stopped:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(DEBOUNCE_SECONDS, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._stopped:
                return
            rearm, self._rearm_wanted = self._rearm_wanted, False
        if rearm:
            try:
                self._rearm()
            except Exception:  # a bug; wake the daemon all the same, its poll still works
                logger.exception("cannot re-arm the calendar watches")
        try:
            self._wake()
        except Exception:  # a failing wake must not kill the watcher thread
            logger.exception("waking the daemon failed")

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._observer.stop()
        self._observer.join(timeout=5)


def _text(path: str | bytes) -> str:
    return path.decode() if isinstance(path, bytes) else path
