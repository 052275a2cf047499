"""Waking the daemon when mail lands: a watchdog observer over the Maildir roots.

Each existing root is watched recursively, so folders created later are covered
too; only files created in, moved into, or closed after writing in a ``new/`` or
``cur/`` directory (and new directories) count. The close matters for tools that
write straight into ``new/`` instead of renaming from ``tmp/``: the creation wakes
a sync that finds the file half written and defers it, and only the close (inotify
``IN_CLOSE_WRITE``, watchdog's "closed"; Linux only, elsewhere the poll finds it)
says it is whole. Wake-ups are debounced: a burst of deliveries calls ``wake()``
once, ``DEBOUNCE_SECONDS`` after the first file of the burst.

A root can go and come back while we run (``mv Maildir Maildir.old``, ``rm -rf``,
a symlink pointed elsewhere), and a watch follows the folder it was given, not
its name: moved, it reports mail in ``Maildir.old``; deleted, watchdog stops it.
So the nearest existing parent of each root is watched too (not recursively):
a root, or a folder on the way to it, made, moved or deleted there wakes us, and
before each wake-up the watches are brought in line with the folders as they are
now. That also covers a root that does not exist yet. A folder moved further up
(the root's grandparent) is not seen; the daemon's poll finds that.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.2
# Not FileClosedNoWriteEvent: our own reads of every file would wake us again. Deleted
# events tell a parent watch that a root went, and a root's watch that it did itself.
# Roots and parents get the same list: inotify keeps one mask per folder, and a root that
# is another root's parent would otherwise lose the events the other watch asked for.
_EVENTS = [
    FileCreatedEvent,
    FileMovedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
]

_Key = tuple[str, bool]  # (real path, recursive): a root's tree, or a parent on the way to a root


class _Handler(FileSystemEventHandler):
    """Turns the events of one watch into pokes: mail in a root, or a change on the way to one."""

    def __init__(self, watcher: MaildirWatcher, path: str, recursive: bool):
        self._watcher = watcher
        self._path = path
        self._recursive = recursive
        self.gone = False  # the watched folder itself was deleted: watchdog has stopped this watch

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [os.fsdecode(event.src_path)]
        if event.event_type == "moved":
            paths.append(os.fsdecode(event.dest_path))
        if event.event_type == "deleted" and paths[0] == self._path:
            self.gone = True
            self._watcher.poke()
        elif not self._recursive:
            if event.event_type != "closed" and any(map(self._watcher.on_the_way, paths)):
                self._watcher.poke()
        elif event.event_type in ("created", "moved", "closed"):
            if event.is_directory or os.path.basename(os.path.dirname(paths[-1])) in ("new", "cur"):
                self._watcher.poke()


@dataclass
class _Armed:
    watch: ObservedWatch | None  # None: scheduling failed; retried once the folder is another one
    handler: _Handler
    identity: tuple[int, int] | None  # (st_dev, st_ino) when armed: a folder made again is another one


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _nearest_parent(root: str) -> str:
    parent = os.path.dirname(root)
    while parent and not os.path.isdir(parent) and parent != os.path.dirname(parent):
        parent = os.path.dirname(parent)
    return parent


def _plan(roots: list[str]) -> tuple[frozenset[_Key], frozenset[str]]:
    """The watches the roots need now, and the paths whose change on the way must wake us.

    Paths are resolved, since watchdog does not follow a symlink it is given and
    reports events under the path it watches. A symlinked root has two paths to
    keep an eye on: the link, which can be pointed elsewhere, and its target.
    """
    targets = set()
    keys = set()
    for root in roots:
        real = os.path.realpath(root)
        targets |= {real, os.path.join(os.path.realpath(os.path.dirname(root)), os.path.basename(root))}
        if os.path.isdir(real):
            keys.add((real, True))
    keys |= {(_nearest_parent(target), False) for target in targets}
    return frozenset(keys), frozenset(targets)


class MaildirWatcher:
    """Watches ``roots``; ``stop()`` stops and joins the observer thread."""

    def __init__(self, roots: list[str], wake: Callable[[], None]):
        self._roots = list(roots)
        self._wake = wake
        self._lock = threading.Lock()
        self._arming = threading.Lock()  # held while watches change; stop() waits for it
        self._timer: threading.Timer | None = None
        self._stopped = False
        self._targets: frozenset[str] = frozenset()
        self._armed: dict[_Key, _Armed] = {}
        self._observer = Observer()
        self._observer.daemon = True
        self._rearm()
        try:
            self._observer.start()
        except OSError as error:  # e.g. the inotify watch limit
            logger.warning("Cannot watch Maildir folders (%s); new mail is found on the next poll", error)

    def on_the_way(self, path: str) -> bool:
        """Whether ``path`` is a root (or the link to one), or a folder it lies in."""
        return any(target == path or target.startswith(path + os.sep) for target in self._targets)

    def _rearm(self) -> None:
        """Bring the watches in line with the folders as they are now.

        A watch is dropped when its folder is no longer wanted, was deleted, or
        is another folder under the same name (the old one moved away); a folder
        wanted and not watched is then watched, parents before roots so that a
        root changing meanwhile is seen. Should the plan change while we work, we
        go round again, a few times at most; after that the next event or the poll
        will do.
        """
        for _attempt in range(3):
            keys, targets = plan = _plan(self._roots)
            self._targets = targets
            for key, armed in list(self._armed.items()):
                if key not in keys or armed.handler.gone or _identity(key[0]) != armed.identity:
                    del self._armed[key]
                    if armed.watch is not None:
                        self._observer.unschedule(armed.watch)
            for key in sorted(keys - self._armed.keys(), key=lambda key: key[1]):
                self._arm(*key)
            if _plan(self._roots) == plan:
                return

    def _arm(self, path: str, recursive: bool) -> None:
        identity = _identity(path)
        if identity is None:
            return  # gone already: the parent's watch says so, or the poll finds it
        handler = _Handler(self, path, recursive)
        try:
            watch = self._observer.schedule(handler, path, recursive=recursive, event_filter=_EVENTS)
        except OSError as error:  # e.g. the inotify watch limit; not retried until the folder changes
            logger.warning("Cannot watch %s (%s); new mail is found on the next poll", path, error)
            watch = None
        self._armed[path, recursive] = _Armed(watch, handler, identity)

    def poke(self) -> None:
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
        # Watches first: mail landing while they change is then seen by the sync this wakes.
        with self._arming:
            if self._stopped:
                return
            try:
                self._rearm()
            except Exception:  # a bug; wake the daemon all the same, its poll still works
                logger.exception("Cannot re-arm the Maildir watches")
        try:
            self._wake()
        except Exception:  # a bug in the caller's wake(); keep watching
            logger.exception("Maildir wake-up failed")

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        with self._arming:
            if self._observer.is_alive():
                self._observer.stop()
                self._observer.join(timeout=5)
