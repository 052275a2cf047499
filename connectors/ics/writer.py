"""The block writer for .ics files: one recurring event any calendar app can subscribe to.

``IcsBlockWriter.write(day, block)`` reads the file, puts ``day``'s override in
(replacing an earlier one for that day), prunes overrides older than the horizon,
brings the recurring master in line with the configured time, days and zone, and
writes the result atomically (temporary file in the same folder, fsync,
``os.replace``, mode 0600). Writing the same block again leaves the file
byte-identical and untouched, but for its mode: one that others may read is
made 0600 again. ``holds(day, etag)`` says whether the file on disk still has a
day's block as written: the daemon writes a deleted or moved file again.

When the time, days or zone change, the whole series moves, as when a user edits
"all events" of a series in a calendar app: overrides on days that are still
block days follow it (their RECURRENCE-ID is re-derived from the new master),
overrides on weekdays no longer configured are dropped. A day written outside the
configured weekdays is added to the master as an RDATE so its override stays valid.

A file that cannot be read, or that holds events that are not ours, is moved aside
to ``<name>.broken-<UTC timestamp>`` and rewritten: the morning job never fails
because of it. icalendar is imported only in that case (see
``connectors.ics.fallback``). A symlink at the path is followed (the file it
points to is replaced, the link stays); a device, FIFO or folder there is refused.
"""

from __future__ import annotations

import logging
import os
import stat
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.base import SourceContext, SourceUnavailable
from connectors.files import write_private
from connectors.ics.blockfile import (
    BLOCK_UID,
    WEEKDAYS,
    BlockFile,
    BlockFileError,
    Override,
    Series,
    load,
    serialise,
)
from connectors.records import Block, BlockRef

logger = logging.getLogger(__name__)

MAX_HORIZON_DAYS = 36500
SERIES_DESCRIPTION = "Five minutes for five people — open `connect5 today`"


def _now_utc() -> datetime:
    return datetime.now(UTC)


def _first_block_day(earliest: date, weekdays: tuple[str, ...]) -> date:
    day = earliest
    while WEEKDAYS[day.weekday()] not in weekdays:
        day += timedelta(days=1)
    return day


def _weekdays(block: Block, day: date) -> tuple[str, ...]:
    wanted = {name.strip().lower()[:3] for name in block.weekdays}
    return tuple(name for name in WEEKDAYS if name in wanted) or (WEEKDAYS[day.weekday()],)


def _kept_overrides(
    block_file: BlockFile, day: date, weekdays: tuple[str, ...], oldest: date
) -> dict[date, Override]:
    old_extra = set(block_file.series.extra_days) if block_file.series else set()
    kept = {}
    for other_day, override in block_file.overrides.items():
        if other_day < oldest and other_day != day:
            continue  # older than the horizon
        if WEEKDAYS[other_day.weekday()] in weekdays or other_day in old_extra or other_day < day:
            # A day gone by keeps the five it had (as an extra date when its weekday
            # left the config): the calendar is a record of what was.
            kept[other_day] = override
        else:
            logger.info("dropping the block of %s: no longer a block day", other_day)
    return kept


def _new_override(old: Override | None, day: date, block: Block, stamp: str) -> Override:
    fresh = Override(day=day, summary=block.title, description=block.description, html=block.html)
    if old is not None and old.content() == fresh.content():
        return old
    sequence = old.sequence + 1 if old is not None else 0
    return Override(day, fresh.summary, fresh.description, fresh.html, stamp, sequence)


def _new_series(old: Series | None, day: date, block: Block, overrides, stamp: str) -> Series:
    zone = ZoneInfo(block.timezone)
    local = block.start.astimezone(zone)
    weekdays = _weekdays(block, day)
    earliest = min(old.anchor, day) if old is not None else day
    anchor = _first_block_day(earliest, weekdays)
    extra = tuple(
        sorted(d for d in overrides if WEEKDAYS[d.weekday()] not in weekdays or d < anchor)
    )
    at = time(local.hour, local.minute, local.second)
    if old is not None and old.at != at and old.zone == block.timezone \
            and old.instance_start(day).astimezone(UTC) == block.start.astimezone(UTC):
        # The configured time does not exist on ``day`` (spring forward: 02:30 is 03:30):
        # the series keeps its time, and this one instance falls where the zone puts it.
        at = old.at
    fresh = Series(
        zone=block.timezone, anchor=anchor, at=at,
        minutes=block.minutes, weekdays=weekdays, title=block.title,
        description=block.series_description or SERIES_DESCRIPTION, extra_days=extra,
    )
    if old is not None and old.content() == fresh.content():
        return old
    sequence = old.sequence + 1 if old is not None else 0
    return replace(fresh, stamp=stamp, sequence=sequence)


def updated(
    block_file: BlockFile, day: date, block: Block, now: datetime, horizon_days: int
) -> BlockFile:
    """``block_file`` with ``day``'s block in it; stamps change only where text does."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    weekdays = _weekdays(block, day)
    overrides = _kept_overrides(block_file, day, weekdays, day - timedelta(days=horizon_days))
    overrides[day] = _new_override(block_file.overrides.get(day), day, block, stamp)
    for other_day, override in overrides.items():
        if not override.stamp:  # recovered by the fallback reader without a DTSTAMP
            overrides[other_day] = replace(override, stamp=stamp)
    series = _new_series(block_file.series, day, block, overrides, stamp)
    if not series.stamp:
        series = replace(series, stamp=stamp)
    return BlockFile(series=series, overrides=dict(sorted(overrides.items())))


def zone_years(series: Series, day: date) -> tuple[int, int]:
    """The years the VTIMEZONE covers: from the series start (at most 3 years back) to +2."""
    return max(min(series.anchor.year, day.year - 1), day.year - 3), day.year + 2


def etag_of(override: Override) -> str:
    """The ``BlockRef.etag`` of a day's block: a checksum of its text."""
    return f"{zlib.crc32(repr(override.content()).encode()):08x}"


class IcsBlockWriter:
    """Writes the daily block into one .ics file (see the module docstring)."""

    @dataclass(frozen=True)
    class Options:
        path: str = field(
            default="",
            metadata={"doc": "the .ics file the block is written to (empty: connect5.ics in the data folder)",
                      "path": True},
        )
        horizon_days: int = field(
            default=60,
            metadata={"doc": "days of past blocks kept in the file; older ones are pruned"},
        )

        def problems(self) -> list[str]:
            if not 0 <= self.horizon_days <= MAX_HORIZON_DAYS:
                return [f"horizon_days: must be between 0 and {MAX_HORIZON_DAYS} (a hundred years),"
                        f" not {self.horizon_days}"]
            return []

    def __init__(self, options: Options | None = None, context: SourceContext | None = None):
        self.options = options or self.Options()
        default = (context.data_dir if context is not None else Path("~/.local/share/connect5")) / "connect5.ics"
        self.path = Path(self.options.path).expanduser() if self.options.path else default.expanduser()
        self._now = context.now if context is not None else _now_utc
        self._zone = context.timezone if context is not None else None  # the user's: the block's days are theirs
        self.started_afresh = False  # the last write found no block days in the file to keep

    def write(self, day: date, block: Block) -> BlockRef:
        """Put ``block`` on ``day``; idempotent, never a second event for one day."""
        target = self._file()
        existing, block_file = self._read(target, block.timezone)
        # Nothing to build on (the file deleted, or moved aside): the days before may be written again.
        self.started_afresh = not block_file.overrides
        now = self._now()
        result = updated(block_file, day, block, now, self.options.horizon_days)
        data = serialise(result, zone_years(result.series, day))
        if data != existing:
            try:
                write_private(target, data, private_folder=False)
            except OSError as error:
                raise SourceUnavailable(f"cannot write the block file {self.path}: {error}") from error
            logger.info("wrote the block of %s to %s", day, self.path)
        else:
            self._keep_private(target)
        return BlockRef(writer="ics", remote_id=f"{BLOCK_UID}/{day.isoformat()}", etag=etag_of(result.overrides[day]))

    def _file(self) -> Path:
        """The file the block goes in: ``path``, or the file a symlink there points to (the link stays a link).

        Anything but a regular file there (a device such as /dev/null, a FIFO, a
        folder) is refused: replacing it would break it, reading a FIFO would hang.
        """
        target = Path(os.path.realpath(self.path)) if self.path.is_symlink() else self.path
        try:
            status = os.stat(target)
        except FileNotFoundError:
            return target
        except OSError as error:
            raise SourceUnavailable(f"cannot read the block file {self.path}: {error}") from error
        if not stat.S_ISREG(status.st_mode):
            raise SourceUnavailable(f"the block file {self.path} is {_kind(status.st_mode)}, not a file; set"
                                    " [block] path to a file of connect5's own")
        return target

    def holds(self, day: date, etag: str = "") -> bool:
        """Whether the file on disk holds ``day``'s block as written (``etag`` from its ``BlockRef``; "": any).

        False when the file is missing (deleted, or ``path`` changed since), cannot be
        parsed, or lacks that day: the digest of what was written says nothing about
        what is on disk now. ``SourceUnavailable`` when it cannot be read.
        """
        try:
            data = self._file().read_bytes()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise SourceUnavailable(f"cannot read the block file {self.path}: {error}") from error
        try:
            block_file = load(data, self._zone)
        except BlockFileError:
            return False
        override = block_file.overrides.get(day)
        if block_file.series is None or override is None or not block_file.series.has_instance(day):
            return False
        return not etag or etag_of(override) == etag

    def _keep_private(self, target: Path) -> None:
        """An unchanged file is not rewritten, but a mode opened since (``chmod 644``) is closed again."""
        try:
            status = target.lstat()
        except FileNotFoundError:
            return
        mode = stat.S_IMODE(status.st_mode)
        if not stat.S_ISREG(status.st_mode) or not mode & 0o077:
            return  # private already
        try:
            os.chmod(target, mode & 0o600)
        except OSError as error:
            raise SourceUnavailable(f"cannot make the block file {self.path} private: {error}") from error
        logger.warning("block file %s was readable by others (%04o); made it %04o", self.path, mode, mode & 0o600)

    def _read(self, target: Path, zone: str) -> tuple[bytes, BlockFile]:
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            return b"", BlockFile()
        except OSError as error:
            raise SourceUnavailable(f"cannot read the block file {self.path}: {error}") from error
        try:
            block_file = load(data, zone)
        except BlockFileError as error:
            self._move_aside(target, f"cannot be read ({error})")
            return b"", BlockFile()
        if block_file.foreign:
            self._move_aside(target, f"holds {block_file.foreign} events that are not connect5's")
            return b"", BlockFile(series=block_file.series, overrides=block_file.overrides)
        return data, block_file

    def _move_aside(self, target: Path, reason: str) -> Path:
        stamp = self._now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = target.with_name(f"{target.name}.broken-{stamp}")
        number = 1
        while aside.exists():
            number += 1
            aside = target.with_name(f"{target.name}.broken-{stamp}-{number}")
        try:
            os.replace(target, aside)
        except OSError as error:  # a file of the system's (/proc/version), a folder we may not write
            raise SourceUnavailable(f"the block file {self.path} {reason} and cannot be moved aside ({error.strerror});"
                                    " set [block] path to a file of connect5's own") from None
        logger.warning("block file %s %s: moved it to %s and wrote a new one", self.path, reason, aside)
        return aside


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))
    for test, name in kinds:
        if test(mode):
            return name
    return "not a regular file"
