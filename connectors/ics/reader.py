"""``IcsSource``: meetings from .ics files and vdir folders, synced incrementally.

A sync reads only the files whose (mtime_ns, size) changed since the cursor, or
that were last read on an earlier day (the window moves daily, and recurring
series bring new instances into it). Each file read yields a snapshot of all its
instances in the window (``full_resync`` false: the daemon upserts them).

Deletions: the cursor keeps, per file, the ids and starts of the items that were
still in the future when it was read (past ones do not change). Ids missing from a
later read, and every such id of a file that disappeared from a folder that still
exists, come back as items with status "cancelled" that carry only the id, series
id and start. A configured path that is missing raises ``SourceUnavailable`` after
the other paths are synced; its files are not taken for deleted.

The cursor is JSON: ``{"version": 1, "files": {path: {"signature": [mtime_ns, size],
"day": "YYYY-MM-DD", "future": {external_id: "start ISO"}}}}``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.base import CursorExpired, SourceContext, SourceUnavailable, Watcher
from connectors.ics.events import CalendarFileError, read_calendar, window_for
from connectors.records import Batch, CalendarItem

logger = logging.getLogger(__name__)

CURSOR_VERSION = 1
BATCH_SIZE = 500
SETTLE_SECONDS = 2.0  # a file this fresh that fails to parse is probably being written


def _load_cursor(cursor: str | None) -> dict[str, dict]:
    if cursor is None:
        return {}
    try:
        state = json.loads(cursor)
        if state["version"] != CURSOR_VERSION or not isinstance(state["files"], dict):
            raise ValueError("unknown cursor version")
        return state["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise CursorExpired(f"ics cursor unreadable ({error}): full resync") from error


def _dump_cursor(files: dict[str, dict]) -> str:
    return json.dumps({"version": CURSOR_VERSION, "files": files}, sort_keys=True, separators=(",", ":"))


def _cancellation(source: str, external_id: str, start_text: str) -> CalendarItem:
    start = datetime.fromisoformat(start_text)
    series_id = external_id.rsplit("/", 1)[0] if "/" in external_id else external_id
    return CalendarItem(source=source, external_id=external_id, start=start, end=start,
                        series_id=series_id, status="cancelled")


class IcsSource:
    """Meetings from .ics files (see the module docstring for cursor and deletions)."""

    kind = "calendar"

    @dataclass(frozen=True)
    class Options:
        path: list[str] = field(
            default_factory=list,
            metadata={"doc": ".ics files and/or folders of .ics files (vdir) to read meetings from"},
        )
        window_past_days: int = field(default=730, metadata={"doc": "days of past meetings read"})
        window_future_days: int = field(default=120, metadata={"doc": "days of future meetings read"})

    def __init__(self, options: Options, context: SourceContext):
        paths = [options.path] if isinstance(options.path, str) else list(options.path)
        self.roots = [Path(path).expanduser().absolute() for path in paths]
        self.options = options
        self.context = context
        self.zone = ZoneInfo(context.timezone)

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
        files = dict(_load_cursor(cursor))
        now = self.context.now().astimezone(UTC)
        today = now.astimezone(self.zone).date().isoformat()
        found, missing = self.discover()
        first = cursor is None
        changed = False
        for path in sorted(set(files) - set(found)):
            if any(Path(path).is_relative_to(root) for root in missing):
                continue  # its folder is gone for now (unmounted?): not a deletion
            gone = files.pop(path)
            changed = True
            items = tuple(_cancellation(self.context.name, i, s) for i, s in gone["future"].items())
            logger.info("calendar file %s is gone: %d future items cancelled", path, len(items))
            yield Batch(items, _dump_cursor(files), full_resync=first)
            first = False
        # Items of several files share a batch, and the cursor (which lists every file) is
        # written once per batch: once per file made a vdir of thousands of files quadratic.
        # A batch's cursor counts exactly the files whose items are all in it or before it.
        pending: list[CalendarItem] = []
        unsaved = False  # files read since the last batch's cursor
        for path, status in found.items():
            signature = [status.st_mtime_ns, status.st_size]
            entry = files.get(path)
            if entry and entry["signature"] == signature and entry["day"] == today:
                continue
            result = self._read(path, signature, entry, now)
            if result is None:
                continue
            items, new_entry = result
            changed = True
            if pending and len(pending) + len(items) > BATCH_SIZE:
                yield Batch(tuple(pending), _dump_cursor(files), full_resync=first)
                first, pending, unsaved = False, [], False
            if len(items) > BATCH_SIZE:
                before = _dump_cursor(files)  # what a crash part-way through this file resumes from
                whole = len(items) - (len(items) - 1) % BATCH_SIZE - 1  # where the last chunk starts
                for start in range(0, whole, BATCH_SIZE):
                    yield Batch(tuple(items[start : start + BATCH_SIZE]), before, full_resync=first)
                    first = False
                items = items[whole:]
            files[path] = new_entry
            pending.extend(items)
            unsaved = True
        if pending or unsaved:
            yield Batch(tuple(pending), _dump_cursor(files), full_resync=first)
            first = False
        if first and not changed:
            yield Batch((), _dump_cursor(files), full_resync=True)
        if missing:
            raise SourceUnavailable("calendar path not found: " + ", ".join(map(str, missing)))

    def _read(self, path: str, signature: list[int], entry: dict | None, now: datetime):
        """(items, new cursor entry) for one file, or None to retry it next sync."""
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
            items = read_calendar(data, path, self.context.name, self.zone, window)
        except CalendarFileError as error:
            if time.time() - after.st_mtime_ns / 1e9 < SETTLE_SECONDS:
                logger.info("calendar %s does not parse yet (being written?): %s", path, error)
                return None
            logger.warning("calendar %s cannot be parsed, skipping it: %s", path, error)
            return [], {"signature": signature, "day": today, "future": old_future}
        future = {item.external_id: item.start.isoformat() for item in items if item.end >= now}
        current = {item.external_id for item in items}
        vanished = sorted(set(old_future) - current)
        items += [_cancellation(self.context.name, i, old_future[i]) for i in vanished]
        return items, {"signature": signature, "day": today, "future": future}

    def watch(self, wake: Callable[[], None]) -> Watcher:
        """Call ``wake`` (debounced) when a watched .ics file changes; ``.stop()`` ends it."""
        from connectors.ics.watch import FolderWatcher

        return FolderWatcher(self.roots, wake)
