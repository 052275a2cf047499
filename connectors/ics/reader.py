"""``IcsSource``: meetings from .ics files and vdir folders, synced incrementally.

A sync reads only the files whose (mtime_ns, size) changed since the cursor, or
that were last read on an earlier day (the window moves daily, and recurring
series bring new instances into it). Each file read yields a snapshot of all its
instances in the window (``full_resync`` false: the daemon upserts them).

Deletions: the cursor keeps, per file, the ids and starts of the items that were
still in the future when it was read (past ones do not change). An id missing from a
later read of its file, or listed for a file that disappeared from a folder that
still exists, is *held*: calendar programs and vdirsyncer move an event to another
file by deleting one and writing the other, in either order and not always in the
same sync. A held id that any file still has is let go; one still missing
``HOLD_SECONDS`` later comes back as an item with status "cancelled" that carries
only the id, series id and start. A configured path that is missing raises
``SourceUnavailable`` after the other paths are synced; its files are not taken for
deleted.

Moved out of the window: a file is read with the ids it had (and the held ones) to
follow, so an event rescheduled past ``window_future_days`` comes back at its new
start (``connectors.ics.events``) instead of reading as cancelled.

The cursor is JSON: ``{"version": 1, "files": {path: {"signature": [mtime_ns, size],
"day": "YYYY-MM-DD", "future": {external_id: "start ISO"}}}, "held": {external_id:
["start ISO", "missing since ISO"]}}`` ("held" is absent from older cursors).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.base import CursorExpired, SourceContext, SourceUnavailable, Watcher
from connectors.ics.events import CalendarFileError, read_calendar, window_for
from connectors.records import Batch, CalendarItem

logger = logging.getLogger(__name__)

CURSOR_VERSION = 1
BATCH_SIZE = 500
SETTLE_SECONDS = 2.0  # a file this fresh that fails to parse is probably being written
# How long an id missing from every file waits before it reads as cancelled. vdirsyncer
# syncs one collection after another, so an event moved between two calendars can be
# gone from one folder minutes before it lands in the other; the daemon's backstop poll
# (5 minutes) brings a real cancellation in within about a quarter of an hour.
HOLD_SECONDS = 600


def _load_cursor(cursor: str | None) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """The cursor's files and held ids (see the module docstring)."""
    if cursor is None:
        return {}, {}
    try:
        state = json.loads(cursor)
        held = state.get("held", {})
        if state["version"] != CURSOR_VERSION or not isinstance(state["files"], dict):
            raise ValueError("unknown cursor version")
        if not all(isinstance(entry, list) and len(entry) == 2 for entry in held.values()):
            raise ValueError("held ids are not [start, since] pairs")
        return state["files"], held
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CursorExpired(f"ics cursor unreadable ({error}): full resync") from error


def _dump_cursor(files: dict[str, dict], held: dict[str, list[str]]) -> str:
    state = {"version": CURSOR_VERSION, "files": files, "held": held}
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def _cancellation(source: str, external_id: str, start_text: str) -> CalendarItem:
    start = datetime.fromisoformat(start_text)
    series_id = external_id.rsplit("/", 1)[0] if "/" in external_id else external_id
    return CalendarItem(source=source, external_id=external_id, start=start, end=start,
                        series_id=series_id, status="cancelled")


@dataclass
class _Outbox:
    """The batches of one sync as they go out; ``last`` is the cursor the daemon has stored."""

    first: bool  # the first batch of a sync without a cursor is the full resync
    last: str | None
    pending: list[CalendarItem] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files that cannot be parsed, and why
    retry_in: float | None = None  # seconds until a file that does not parse yet has settled

    def flush(self, cursor: str) -> Batch[CalendarItem]:
        batch = Batch(tuple(self.pending), cursor, full_resync=self.first, skipped=tuple(self.skipped),
                      retry_in=self.retry_in)
        self.first, self.last, self.pending = False, cursor, []
        self.skipped.clear()
        return batch

    def chunks(self, items: list[CalendarItem], before: Callable[[], str]) -> Iterator[Batch[CalendarItem]]:
        """Pend ``items``; what no longer fits goes out with the cursor ``before()`` them.

        ``before`` is called only then: dumping the cursor for every file read made a
        vdir of thousands of files quadratic.
        """
        if self.pending and len(self.pending) + len(items) > BATCH_SIZE:
            yield self.flush(before())
        whole = max(0, len(items) - (len(items) - 1) % BATCH_SIZE - 1)  # where the last chunk starts
        for start in range(0, whole, BATCH_SIZE):
            self.pending = list(items[start : start + BATCH_SIZE])
            yield self.flush(before())
        self.pending.extend(items[whole:])


class IcsSource:
    """Meetings from .ics files (see the module docstring for cursor and deletions)."""

    kind = "calendar"

    @dataclass(frozen=True)
    class Options:
        path: list[str] = field(
            default_factory=list,
            metadata={"doc": ".ics files and/or folders of .ics files (vdir) to read meetings from", "path": True},
        )
        window_past_days: int = field(default=730, metadata={"doc": "days of past meetings read"})
        window_future_days: int = field(default=120, metadata={"doc": "days of future meetings read"})

    def __init__(self, options: Options, context: SourceContext):
        paths = [options.path] if isinstance(options.path, str) else list(options.path)
        self.roots = [Path(path).expanduser().absolute() for path in paths]
        self.options = options
        self.context = context
        self.zone = ZoneInfo(context.timezone)
        self._skipped: list[tuple[str, str]] = []  # since the last batch: files that cannot be parsed, and why
        self._retry_in: float | None = None  # this sync's: when a file that does not parse yet has settled

    def discover(self) -> tuple[dict[str, os.stat_result], list[Path]]:
        """The .ics files under the configured paths, and the paths that are missing."""
        found: dict[str, os.stat_result] = {}
        missing: list[Path] = []
        for root in self.roots:
            if root.is_dir():
                for path in sorted(root.rglob("*.[iI][cC][sS]")):  # vdirs from Windows tools say .ICS
                    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
                    if not hidden and path.is_file():
                        found[str(path)] = path.stat()
            elif root.is_file():
                found[str(root)] = root.stat()
            else:
                missing.append(root)
        return found, missing

    def sync(self, cursor: str | None) -> Iterator[Batch[CalendarItem]]:
        """Batches for every changed or vanished file; see the module docstring."""
        loaded, held = _load_cursor(cursor)
        files, held = dict(loaded), dict(held)
        now = self.context.now().astimezone(UTC)
        today = now.astimezone(self.zone).date().isoformat()
        found, missing = self.discover()
        self._retry_in = None
        # A file whose folder is gone for now (unmounted?) is not deleted.
        gone = [path for path in sorted(set(files) - set(found))
                if not any(Path(path).is_relative_to(root) for root in missing)]
        # One taken out of the config is no longer read; its meetings are not cancelled.
        dropped = [path for path in gone if not any(Path(path).is_relative_to(root) for root in self.roots)]
        for path in dropped:
            logger.info("calendar file %s is no longer in the config: its meetings stay as they were", path)
            del files[path]
        gone = [path for path in gone if path not in dropped]
        follow = set(held).union(*(files[path]["future"] for path in gone))
        seen: set[str] = set()  # every id read in this sync, past ones too
        out = _Outbox(first=cursor is None, last=cursor, skipped=self._skipped)
        changed = out.first or bool(gone) or bool(dropped)
        # Items of several files share a batch, and the cursor (which lists every file) is
        # written once per batch. A batch's cursor counts exactly the files whose items are
        # all in it or before it.
        for path, status in found.items():
            signature = [status.st_mtime_ns, status.st_size]
            entry = files.get(path)
            if entry and entry["signature"] == signature and entry["day"] == today:
                continue
            result = self._read(path, signature, entry, now, follow)
            if result is None:
                continue
            items, new_entry, vanished = result
            changed = True
            seen.update(item.external_id for item in items)
            yield from out.chunks(items, lambda: _dump_cursor(files, held))  # without this file: read again
            files[path] = new_entry
            for identifier, start_text in vanished.items():
                held.setdefault(identifier, [start_text, now.isoformat()])
        kept, still_held, cancellations = self._settle(files, held, gone, seen, now)
        # A crash while the cancellations go out resumes from before them: they are found again.
        yield from out.chunks(cancellations, lambda: _dump_cursor(files, held))
        if still_held:  # the held ids are settled when the first hold ends: come back then
            first_end = min(datetime.fromisoformat(since) for _, since in still_held.values())
            ends_in = HOLD_SECONDS - (now - first_end).total_seconds() + 1
            self._retry_in = min(self._retry_in or ends_in, max(ends_in, 1.0))
        out.retry_in = self._retry_in
        if changed or still_held != held or out.retry_in is not None:
            after = _dump_cursor(kept, still_held)
            if out.pending or after != out.last or out.retry_in is not None:
                yield out.flush(after)
        if missing:
            raise SourceUnavailable("calendar path not found: " + ", ".join(map(str, missing)))

    def _settle(self, files: dict, held: dict, gone: list[str], seen: set[str],
                now: datetime) -> tuple[dict, dict, list[CalendarItem]]:
        """(files, held, cancellations) once the ``gone`` files' ids are held and the held ids settled.

        A held id that a file has is let go; one missing ``HOLD_SECONDS`` is cancelled.
        """
        still_held = dict(held)
        for path in gone:
            logger.info("calendar file %s is gone: %d future items held", path, len(files[path]["future"]))
            for identifier, start_text in files[path]["future"].items():
                still_held.setdefault(identifier, [start_text, now.isoformat()])
        kept = {path: entry for path, entry in files.items() if path not in gone} if gone else files
        if not still_held:
            return kept, still_held, []
        present = seen.union(*(entry["future"] for entry in kept.values()))
        cancellations = []
        for identifier, (start_text, since) in sorted(still_held.items()):
            if identifier in present:  # moved to another file, or back
                del still_held[identifier]
            elif now - datetime.fromisoformat(since) >= timedelta(seconds=HOLD_SECONDS):
                del still_held[identifier]
                cancellations.append(_cancellation(self.context.name, identifier, start_text))
        if cancellations:
            logger.info("%s: %d future items missing from every file are cancelled",
                        self.context.name, len(cancellations))
        return kept, still_held, cancellations

    def _read(self, path: str, signature: list[int], entry: dict | None, now: datetime, follow: set[str]):
        """(items, new cursor entry, vanished ids and starts) for one file, or None to retry it next sync."""
        today = now.astimezone(self.zone).date().isoformat()
        try:
            data = Path(path).read_bytes()
            after = os.stat(path)
        except OSError as error:
            logger.warning("calendar %s cannot be read: %s", path, error)
            return None
        if [after.st_mtime_ns, after.st_size] != signature:
            return None  # changed while we read it: read the settled file next time
        window = window_for(now, self.zone, self.options.window_past_days, self.options.window_future_days)
        old_future = entry["future"] if entry else {}
        try:
            items = read_calendar(data, path, self.context.name, self.zone, window, follow.union(old_future))
        except CalendarFileError as error:
            age = time.time() - after.st_mtime_ns / 1e9
            # A time ahead (synced from another clock: Syncthing, rsync -t) is no file being written now.
            if -1 < age < SETTLE_SECONDS:
                logger.info("calendar %s does not parse yet (being written?): %s", path, error)
                settled_in = SETTLE_SECONDS - age + 1  # no watcher event says when it is done: come back then
                self._retry_in = min(self._retry_in or settled_in, settled_in)
                return None
            logger.warning("calendar %s cannot be parsed, skipping it: %s", path, error)
            self._skipped.append((path, f"cannot be parsed: {error}"))
            return [], {"signature": signature, "day": today, "future": old_future}, {}
        future = {item.external_id: item.start.isoformat() for item in items if item.end >= now}
        current = {item.external_id for item in items}
        vanished = {identifier: start for identifier, start in old_future.items() if identifier not in current}
        return items, {"signature": signature, "day": today, "future": future}, vanished

    def watch(self, wake: Callable[[], None]) -> Watcher:
        """Call ``wake`` (debounced) when a watched .ics file changes; ``.stop()`` ends it."""
        from connectors.ics.watch import FolderWatcher

        return FolderWatcher(self.roots, wake)
