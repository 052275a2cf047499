"""Waking the daemon when mail lands: a watchdog observer over the Maildir roots.

Each existing root is watched recursively, so folders created later are covered
too; only files created in, moved into, or closed after writing in a ``new/`` or
``cur/`` directory (and new directories) count. The close matters for tools that
write straight into ``new/`` instead of renaming from ``tmp/``: the creation wakes
a sync that finds the file half written and defers it, and only the close (inotify
``IN_CLOSE_WRITE``, watchdog's "closed"; Linux only, elsewhere the poll finds it)
says it is whole. A root that does not exist yet is waited for by watching its
nearest existing parent. Wake-ups are debounced: a burst of deliveries calls
``wake()`` once, ``DEBOUNCE_SECONDS`` after the first file of the burst.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.2
# Not FileClosedNoWriteEvent: our own reads of every file would wake us again.
_EVENTS = [FileCreatedEvent, FileMovedEvent, FileClosedEvent, DirCreatedEvent, DirMovedEvent]


class _Handler(FileSystemEventHandler):
    def __init__(self, poke: Callable[[], None], any_directory: bool):
        self._poke = poke
        self._any_directory = any_directory  # watching a parent, waiting for a root to appear

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("created", "moved", "closed"):
            return
        path = event.dest_path if event.event_type == "moved" else event.src_path
        path = os.fsdecode(path)
        if event.is_directory:
            self._poke()
        elif not self._any_directory and os.path.basename(os.path.dirname(path)) in ("new", "cur"):
            self._poke()


def _nearest_parent(root: str) -> str:
    parent = os.path.dirname(root)
    while parent and not os.path.isdir(parent) and parent != os.path.dirname(parent):
        parent = os.path.dirname(parent)
    return parent


class MaildirWatcher:
    """Watches ``roots``; ``stop()`` stops and joins the observer thread."""

    def __init__(self, roots: list[str], wake: Callable[[], None]):
        self._wake = wake
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._stopped = False
        self._observer = Observer()
        self._observer.daemon = True
        self._waiting: dict[str, tuple[str, object]] = {}  # missing root -> (its nearest parent, the watch on it)
        for root in roots:
            self._arm(root)
        try:
            self._observer.start()
        except OSError as error:  # e.g. the inotify watch limit
            logger.warning("Cannot watch Maildir folders (%s); new mail is found on the next poll", error)

    def _arm(self, root: str) -> None:
        """Watch ``root`` if it exists, else its nearest existing parent until it does."""
        try:
            if os.path.isdir(root):
                self._observer.schedule(_Handler(self._poke, False), root, recursive=True, event_filter=_EVENTS)
                return
            parent = _nearest_parent(root)
            if os.path.isdir(parent):
                handler = _Handler(self._poke, True)
                self._waiting[root] = (parent, self._observer.schedule(handler, parent, event_filter=_EVENTS))
        except OSError as error:
            logger.warning("Cannot watch %s (%s); new mail is found on the next poll", root, error)

    def _rearm_missing(self) -> None:
        """A root that appeared is watched itself; one still missing, from its nearest parent now.

        The parent watch is not recursive, so when a folder on the way appears
        (``mailroot/`` of ``mailroot/Maildir``) the watch moves down to it.
        """
        for root, (parent, watch) in list(self._waiting.items()):
            if os.path.isdir(root) or _nearest_parent(root) != parent:
                del self._waiting[root]
                self._observer.unschedule(watch)
                self._arm(root)

    def _poke(self) -> None:
        with self._lock:
            if self._timer is not None or self._stopped:
                return
            self._timer = threading.Timer(DEBOUNCE_SECONDS, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            if self._stopped:
                return
        try:
            if self._waiting:
                self._rearm_missing()
            self._wake()
        except Exception:  # a bug in the caller's wake(); keep watching
            logger.exception("Maildir wake-up failed")

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout=5)
