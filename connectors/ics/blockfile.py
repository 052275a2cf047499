"""The block file's contents as data: read from and written to RFC 5545 text.

The file holds one recurring master VEVENT (the ``Series``) and one override VEVENT
per written day (an ``Override``), all with the same UID; overrides are keyed by
RECURRENCE-ID, which is always the series' own instance start on that day, so
overrides store only their day and text and their times are derived from the
series when written. ``load`` reads the writer's own output with the small parser
in ``connectors.ics.text`` and falls back to icalendar only for files in another
shape (edited by hand or by another program).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.ics import text
from connectors.ics.vtimezone import vtimezone_lines

logger = logging.getLogger(__name__)

BLOCK_UID = "connect5-block@connect5.local"
MARKER = "X-CONNECT5-BLOCK"
PRODUCT = "-//connect5//connect5 block//EN"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class ShapeError(ValueError):
    """The file is readable RFC 5545 but not in the writer's own shape."""


class BlockFileError(ValueError):
    """The file is not a block file at all (or not one icalendar can read)."""


@dataclass(frozen=True)
class Series:
    """The recurring master: every configured weekday at ``at`` in ``zone``."""

    zone: str
    anchor: date  # the DTSTART day, always one of ``weekdays``
    at: time
    minutes: int
    weekdays: tuple[str, ...]
    title: str
    description: str
    extra_days: tuple[date, ...] = ()  # days written outside ``weekdays`` (RDATE)
    stamp: str = ""  # DTSTAMP, kept while nothing else changes
    sequence: int = 0

    def content(self) -> tuple:
        """Everything but stamp and sequence: equal content means nothing changed."""
        return (self.zone, self.anchor, self.at, self.minutes, self.weekdays,
                self.title, self.description, self.extra_days)

    def instance_start(self, day: date) -> datetime:
        return datetime.combine(day, self.at, tzinfo=ZoneInfo(self.zone))

    def has_instance(self, day: date) -> bool:
        if day in self.extra_days:
            return True
        return day >= self.anchor and WEEKDAYS[day.weekday()] in self.weekdays


@dataclass(frozen=True)
class Override:
    """One day's own block: its text, and the stamp/sequence of its last change."""

    day: date
    summary: str
    description: str
    html: str = ""
    stamp: str = ""
    sequence: int = 0

    def content(self) -> tuple:
        return (self.day, self.summary, self.description, self.html)


@dataclass
class BlockFile:
    series: Series | None = None
    overrides: dict[date, Override] = field(default_factory=dict)
    foreign: int = 0  # events in the file that are not ours (only from the fallback)


def _time_value(moment: datetime, zone: str) -> str:
    return f";TZID={zone}:{text.format_local(moment.astimezone(ZoneInfo(zone)))}"


def _event_lines(series: Series, day: date | None) -> list[str]:
    start = series.instance_start(day or series.anchor)
    end = start + timedelta(minutes=series.minutes)
    lines = ["BEGIN:VEVENT", f"UID:{BLOCK_UID}"]
    if day is not None:
        lines.append("RECURRENCE-ID" + _time_value(start, series.zone))
    lines.append("DTSTART" + _time_value(start, series.zone))
    lines.append("DTEND" + _time_value(end, series.zone))
    return lines


def series_lines(series: Series) -> list[str]:
    days = ",".join(RRULE_DAYS[WEEKDAYS.index(name)] for name in series.weekdays)
    lines = _event_lines(series, None)
    lines += [f"DTSTAMP:{series.stamp}", f"SEQUENCE:{series.sequence}"]
    lines.append(f"RRULE:FREQ=WEEKLY;BYDAY={days}")
    if series.extra_days:
        starts = (series.instance_start(day) for day in series.extra_days)
        lines.append(f"RDATE;TZID={series.zone}:" + ",".join(map(text.format_local, starts)))
    lines += [
        f"SUMMARY:{text.escape_text(series.title)}",
        f"DESCRIPTION:{text.escape_text(series.description)}",
        "CLASS:PRIVATE",
        f"{MARKER}:1",
        "END:VEVENT",
    ]
    return lines


def override_lines(series: Series, override: Override) -> list[str]:
    lines = _event_lines(series, override.day)
    lines += [
        f"DTSTAMP:{override.stamp}",
        f"SEQUENCE:{override.sequence}",
        f"SUMMARY:{text.escape_text(override.summary)}",
        f"DESCRIPTION:{text.escape_text(override.description)}",
    ]
    if override.html:
        lines.append(f"X-ALT-DESC;FMTTYPE=text/html:{text.escape_text(override.html)}")
    lines += ["CLASS:PRIVATE", f"{MARKER}:1", "END:VEVENT"]
    return lines


def serialise(block_file: BlockFile, zone_years: tuple[int, int]) -> bytes:
    """The whole file as CRLF-terminated, folded RFC 5545 text."""
    series = block_file.series
    assert series is not None, "a block file is only written with its series"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{text.escape_text(series.title)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    lines += vtimezone_lines(series.zone, *zone_years)
    lines += series_lines(series)
    for day in sorted(block_file.overrides):
        lines += override_lines(series, block_file.overrides[day])
    lines.append("END:VCALENDAR")
    return "".join(text.fold(line) for line in lines).encode("utf-8")


def _local_value(component: text.Component, name: str) -> tuple[str, datetime]:
    found = component.first(name)
    if found is None or "TZID" not in found[0]:
        raise ShapeError(f"{name} missing or without TZID")
    parameters, value = found
    try:
        return parameters["TZID"], text.parse_local(value)
    except ValueError as error:
        raise ShapeError(f"{name}: {error}") from None


def _read_series(event: text.Component) -> Series:
    zone, start = _local_value(event, "DTSTART")
    _, end = _local_value(event, "DTEND")
    rule = dict(part.split("=", 1) for part in event.value("RRULE").split(";") if "=" in part)
    if rule.get("FREQ") != "WEEKLY" or set(rule) != {"FREQ", "BYDAY"}:
        raise ShapeError(f"unexpected RRULE {event.value('RRULE')!r}")
    try:
        weekdays = tuple(WEEKDAYS[RRULE_DAYS.index(code)] for code in rule["BYDAY"].split(","))
        extra_values = event.value("RDATE")
        extra = tuple(text.parse_local(v).date() for v in extra_values.split(",") if v)
        sequence = int(event.value("SEQUENCE", "0"))
    except ValueError as error:
        raise ShapeError(f"master event: {error}") from None
    return Series(
        zone=zone, anchor=start.date(), at=start.time(),
        minutes=int((end - start).total_seconds() // 60), weekdays=weekdays,
        title=text.unescape_text(event.value("SUMMARY")),
        description=text.unescape_text(event.value("DESCRIPTION")),
        extra_days=extra, stamp=event.value("DTSTAMP"), sequence=sequence,
    )


def _read_override(event: text.Component) -> Override:
    _, recurrence = _local_value(event, "RECURRENCE-ID")
    try:
        sequence = int(event.value("SEQUENCE", "0"))
    except ValueError as error:
        raise ShapeError(f"override: {error}") from None
    return Override(
        day=recurrence.date(),
        summary=text.unescape_text(event.value("SUMMARY")),
        description=text.unescape_text(event.value("DESCRIPTION")),
        html=text.unescape_text(event.value("X-ALT-DESC")),
        stamp=event.value("DTSTAMP"),
        sequence=sequence,
    )


def parse_own(data: bytes) -> BlockFile:
    """Read a file the writer wrote; ``ShapeError`` for anything else."""
    try:
        calendar = text.parse(data.decode("utf-8"))
    except (UnicodeDecodeError, text.ContentLineError) as error:
        raise ShapeError(str(error)) from None
    if calendar.name != "VCALENDAR" or calendar.value("PRODID") != PRODUCT:
        raise ShapeError("not written by connect5")
    block_file = BlockFile()
    for child in calendar.children:
        if child.name == "VTIMEZONE":
            continue  # regenerated on every write
        if child.name != "VEVENT" or child.value("UID") != BLOCK_UID:
            raise ShapeError(f"unexpected {child.name} {child.value('UID')!r}")
        if child.first("RECURRENCE-ID") is None:
            block_file.series = _read_series(child)
        else:
            override = _read_override(child)
            block_file.overrides[override.day] = override
    if block_file.series is None:
        raise ShapeError("no master event")
    return block_file


def load(data: bytes, zone: str | None = None) -> BlockFile:
    """Read ``data`` in any shape; ``BlockFileError`` when it cannot be read at all.

    ``zone``: the block's, in which a file rewritten in UTC by a calendar app has its days.
    """
    if not data.strip():
        return BlockFile()
    try:
        return parse_own(data)
    except ShapeError as error:
        logger.debug("block file not in connect5's own shape (%s), reading with icalendar", error)
    from connectors.ics.fallback import load_with_icalendar

    return load_with_icalendar(data, zone)
