"""Reading a block file that is not in the writer's own shape, with icalendar.

Only used when ``connectors.ics.blockfile.parse_own`` refuses a file (someone
edited it, or a calendar program rewrote it), so icalendar's import cost is paid
only then. What can be recovered is kept: the series' first day, the days written
outside the weekdays, and every day's override text.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from connectors.ics.blockfile import (
    BLOCK_UID,
    MARKER,
    RRULE_DAYS,
    WEEKDAYS,
    BlockFile,
    BlockFileError,
    Override,
    Series,
)
from connectors.ics.text import unescape_text


def _day_of(value, zone: str | None) -> date:
    """The calendar day of a decoded DATE or DATE-TIME: in ``zone`` (the block's), else in its own.

    A calendar app may save the file back with every time in UTC: 09:00 in Sydney is
    22:00 UTC the day before, and that day is not the block's.
    """
    if not isinstance(value, datetime):
        return value
    if zone and value.tzinfo is not None:
        return value.astimezone(ZoneInfo(zone)).date()
    return value.date()


def _series_from(event, zone: str | None) -> Series:
    start = event.decoded("DTSTART")
    if not isinstance(start, datetime):
        raise BlockFileError("the block's master is an all-day event")
    end = event.decoded("DTEND", None)
    minutes = int((end - start).total_seconds() // 60) if isinstance(end, datetime) else 5
    rule = event.get("RRULE") or {}
    codes = [str(code).upper()[-2:] for code in rule.get("BYDAY", [])]
    weekdays = tuple(WEEKDAYS[RRULE_DAYS.index(code)] for code in codes if code in RRULE_DAYS)
    own = getattr(start.tzinfo, "key", "UTC")
    zone = zone or (own if own != "UTC" else None)
    extra: list[date] = []
    rdates = event.get("RDATE", [])
    for rdate in rdates if isinstance(rdates, list) else [rdates]:
        extra.extend(_day_of(period.dt, zone) for period in rdate.dts)
    return Series(
        zone=own, anchor=_day_of(start, zone), at=time(start.hour, start.minute, start.second),
        minutes=minutes, weekdays=weekdays or ("mon", "tue", "wed", "thu", "fri"),
        title=str(event.get("SUMMARY", "")), description=str(event.get("DESCRIPTION", "")),
        extra_days=tuple(sorted(set(extra))),
    )


def _override_from(event, zone: str | None) -> Override:
    stamp = event.get("DTSTAMP")
    return Override(
        day=_day_of(event.decoded("RECURRENCE-ID"), zone),
        summary=str(event.get("SUMMARY", "")),
        description=str(event.get("DESCRIPTION", "")),
        html=unescape_text(str(event.get("X-ALT-DESC", ""))),  # icalendar keeps X- values raw
        stamp=stamp.to_ical().decode() if stamp is not None else "",
        sequence=int(event.get("SEQUENCE", 0)),
    )


def load_with_icalendar(data: bytes, zone: str | None = None) -> BlockFile:
    """Recover our events from ``data``; ``BlockFileError`` when there are none.

    Days are read in ``zone`` (the block's, when the writer knows it), else in the
    zone the file's master names.
    """
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
        block_file = BlockFile()
        ours = [event for event in calendar.walk("VEVENT")
                if str(event.get("UID", "")) == BLOCK_UID or MARKER in event]
        block_file.foreign = len(calendar.walk("VEVENT")) - len(ours)
        for event in ours:
            if "RECURRENCE-ID" not in event:
                block_file.series = _series_from(event, zone)
        if zone is None and block_file.series is not None and block_file.series.zone != "UTC":
            zone = block_file.series.zone
        for event in ours:
            if "RECURRENCE-ID" in event:
                override = _override_from(event, zone)
                block_file.overrides[override.day] = override
    except BlockFileError:
        raise
    except Exception as error:  # icalendar raises many types for bad input
        raise BlockFileError(f"icalendar cannot read it: {error}") from error
    if block_file.series is None and not block_file.overrides:
        raise BlockFileError(f"no connect5 block in it ({block_file.foreign} other events)")
    return block_file
