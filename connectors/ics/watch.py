"""Waking the daemon when a watched .ics file changes (watchdog, debounced).

Calendar programs often write a file in several steps (temporary file, rename,
touch); the watcher waits until events have been quiet for ``DEBOUNCE_SECONDS``
and then calls ``wake`` once. ``wake`` only tells the run loop to sync: the sync
itself happens on the daemon's thread.
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


class FolderWatcher:
    """Watches the folders of the configured files and folders; ``stop()`` ends it."""

    def __init__(self, roots: Iterable[Path], wake: Callable[[], None]):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        self._wake = wake
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._files = {root for root in roots if not root.is_dir()}
        self._folders = {root for root in roots if root.is_dir()}
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type in READS:
                    return  # a file opened or closed unwritten (our own read among them) changed nothing
                paths = [event.src_path, getattr(event, "dest_path", "")]
                if any(watcher._interesting(path) for path in paths if path):
                    watcher._schedule()

        self._observer = Observer()
        handler = Handler()
        for folder in self._folders:
            self._observer.schedule(handler, str(folder), recursive=True)
        for parent in {path.parent for path in self._files if path.parent.is_dir()}:
            self._observer.schedule(handler, str(parent), recursive=False)
        self._observer.daemon = True
        self._observer.start()

    def _interesting(self, path: str | bytes) -> bool:
        candidate = Path(path.decode() if isinstance(path, bytes) else path)
        if candidate in self._files:
            return True
        return candidate.suffix.lower() == ".ics" and any(candidate.is_relative_to(f) for f in self._folders)

    def _schedule(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(DEBOUNCE_SECONDS, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        try:
            self._wake()
        except Exception:  # a failing wake must not kill the watcher thread
            logger.exception("waking the daemon failed")

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._observer.stop()
        self._observer.join(timeout=5)
