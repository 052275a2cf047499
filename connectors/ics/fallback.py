"""Reading a block file that is not in the writer's own shape, with icalendar.

Only used when ``connectors.ics.blockfile.parse_own`` refuses a file (someone
edited it, or a calendar program rewrote it), so icalendar's import cost is paid
only then. What can be recovered is kept: the series' first day, the days written
outside the weekdays, and every day's override text.
"""

from __future__ import annotations

from datetime import date, datetime, time

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


def _day_of(value) -> date:
    """The calendar day of a decoded DATE or DATE-TIME, in its own zone."""
    return value if not isinstance(value, datetime) else value.date()


def _series_from(event) -> Series:
    start = event.decoded("DTSTART")
    if not isinstance(start, datetime):
        raise BlockFileError("the block's master is an all-day event")
    end = event.decoded("DTEND", None)
    minutes = int((end - start).total_seconds() // 60) if isinstance(end, datetime) else 5
    rule = event.get("RRULE") or {}
    codes = [str(code).upper()[-2:] for code in rule.get("BYDAY", [])]
    weekdays = tuple(WEEKDAYS[RRULE_DAYS.index(code)] for code in codes if code in RRULE_DAYS)
    extra: list[date] = []
    rdates = event.get("RDATE", [])
    for rdate in rdates if isinstance(rdates, list) else [rdates]:
        extra.extend(_day_of(period.dt) for period in rdate.dts)
    zone = getattr(start.tzinfo, "key", "UTC")
    return Series(
        zone=zone, anchor=start.date(), at=time(start.hour, start.minute, start.second),
        minutes=minutes, weekdays=weekdays or ("mon", "tue", "wed", "thu", "fri"),
        title=str(event.get("SUMMARY", "")), description=str(event.get("DESCRIPTION", "")),
        extra_days=tuple(sorted(set(extra))),
    )


def _override_from(event) -> Override:
    stamp = event.get("DTSTAMP")
    return Override(
        day=_day_of(event.decoded("RECURRENCE-ID")),
        summary=str(event.get("SUMMARY", "")),
        description=str(event.get("DESCRIPTION", "")),
        html=unescape_text(str(event.get("X-ALT-DESC", ""))),  # icalendar keeps X- values raw
        stamp=stamp.to_ical().decode() if stamp is not None else "",
        sequence=int(event.get("SEQUENCE", 0)),
    )


def load_with_icalendar(data: bytes) -> BlockFile:
    """Recover our events from ``data``; ``BlockFileError`` when there are none."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
        block_file = BlockFile()
        for event in calendar.walk("VEVENT"):
            if str(event.get("UID", "")) != BLOCK_UID and MARKER not in event:
                block_file.foreign += 1
            elif "RECURRENCE-ID" in event:
                override = _override_from(event)
                block_file.overrides[override.day] = override
            else:
                block_file.series = _series_from(event)
    except BlockFileError:
        raise
    except Exception as error:  # icalendar raises many types for bad input
        raise BlockFileError(f"icalendar cannot read it: {error}") from error
    if block_file.series is None and not block_file.overrides:
        raise BlockFileError(f"no connect5 block in it ({block_file.foreign} other events)")
    return block_file
