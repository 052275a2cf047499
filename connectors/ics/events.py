"""One .ics file's bytes → the ``CalendarItem`` of every timed event instance in a window.

Parsing is icalendar's (after ``x_wr_timezone.to_standard``, which turns a Google
export's X-WR-TIMEZONE into real zones), expansion of RRULE, RDATE, EXDATE and
RECURRENCE-ID overrides is recurring-ical-events'.

Identity: an instance of a recurring event is ``"{UID}/{original start}"``, the
original start being its RECURRENCE-ID in UTC ISO form, so a moved instance keeps
its id and only its start changes. A single event is identified by its UID alone,
so moving it is an update, not a cancellation plus a new meeting.

All-day events are skipped: they are holidays and trips, not calls. Floating times
are read in the user's zone; every time in an item is UTC.

Rules that would expand without bound are cut first (``connectors.ics.recurrence``).

Moved out of the window: an id the caller already knows (``follow``) that is a
single event or a moved instance now starting outside the window is returned too,
at its new time, so a call rescheduled months ahead is not taken for cancelled.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from connectors.ics.blockfile import BLOCK_UID, MARKER
from connectors.ics.recurrence import DAY, bound
from connectors.records import Attendee, CalendarItem

logger = logging.getLogger(__name__)

RESPONSES = {
    "ACCEPTED": "accepted",
    "DECLINED": "declined",
    "TENTATIVE": "tentative",
    "NEEDS-ACTION": "needsAction",
}
STATUSES = {"CANCELLED": "cancelled", "TENTATIVE": "tentative"}

class CalendarFileError(ValueError):
    """The file is not a calendar icalendar can read; the message says why."""


def _aware_utc(value: datetime, zone: tzinfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _address(value) -> str:
    text = str(value).strip()
    return text[7:] if text.lower().startswith("mailto:") else text


def _person(value, status: str) -> Attendee:
    parameters = getattr(value, "params", {})
    if status != "organizer":
        status = RESPONSES.get(str(parameters.get("PARTSTAT", "")).upper(), "unknown")
    return Attendee(email=_address(value).lower(), name=str(parameters.get("CN", "")), status=status)


def _attendees(event) -> tuple[Attendee, ...]:
    values = event.get("ATTENDEE", [])
    if not isinstance(values, list):
        values = [values]
    return tuple(_person(value, "") for value in values)


def _stamp(event, name: str, zone: tzinfo) -> datetime | None:
    if name not in event:
        return None
    value = event.decoded(name)
    return _aware_utc(value, zone) if isinstance(value, datetime) else None


def _recurring_uids(calendar) -> set[str]:
    return {
        str(event.get("UID", ""))
        for event in calendar.walk("VEVENT")
        if "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event
    }


def _uid(event, path: str) -> str:
    uid = str(event.get("UID", ""))
    if uid:
        return uid
    # RFC 5545 requires a UID; invent a stable one for files that lack it
    seed = f"{path}|{event.get('DTSTART').to_ical()!r}|{event.get('SUMMARY', '')}"
    return "no-uid-" + hashlib.sha256(seed.encode()).hexdigest()[:16]


def to_item(event, source: str, path: str, zone: tzinfo, recurring: set[str],
            stamped_on_export: bool = False) -> CalendarItem | None:
    """The item for one expanded instance, or None for an all-day event.

    ``stamped_on_export``: the calendar carries METHOD (an export, an invitation),
    so DTSTAMP is when the file was made, not when the event last changed
    (RFC 5545 3.8.7.2), and only LAST-MODIFIED says that.
    """
    start = event.decoded("DTSTART")
    if not isinstance(start, datetime):
        return None
    start = _aware_utc(start, zone)
    end = event.decoded("DTEND", None) if "DTEND" in event else None
    end = _aware_utc(end, zone) if isinstance(end, datetime) else start
    uid = _uid(event, path)
    external_id = uid
    if uid in recurring:
        original = event.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in event else start
        if isinstance(original, date) and not isinstance(original, datetime):
            original = datetime.combine(original, datetime.min.time())
        external_id = f"{uid}/{_aware_utc(original, zone).isoformat()}"
    organizer = event.get("ORGANIZER")
    return CalendarItem(
        source=source,
        external_id=external_id,
        start=start,
        end=end,
        title=str(event.get("SUMMARY", "")),
        series_id=uid,
        organizer=_person(organizer, "organizer") if organizer else None,
        attendees=_attendees(event),
        status=STATUSES.get(str(event.get("STATUS", "")).upper(), "confirmed"),
        created=_stamp(event, "CREATED", zone),
        updated=_stamp(event, "LAST-MODIFIED", zone) or (None if stamped_on_export else _stamp(event, "DTSTAMP", zone)),
        ours=uid == BLOCK_UID or MARKER in event,
    )


def _expand(calendar, start: date, end: date, path: str) -> list:
    import recurring_ical_events

    try:
        return list(recurring_ical_events.of(calendar).between(start, end))
    except Exception as error:  # a bad RRULE in one series must not hide the others
        logger.warning("calendar %s: %s; skipping the series that cannot be expanded", path, error)
    try:
        return list(recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end))
    except Exception:  # skip_bad_series misses some (an event without DTSTART, mixed RDATEs)
        return _expand_each(calendar, start, end, path)


def _expand_each(calendar, start: date, end: date, path: str) -> list:
    """Expand one series at a time, so the one that breaks is the only one lost."""
    import icalendar
    import recurring_ical_events

    series: dict[object, list] = {}
    for event in calendar.walk("VEVENT"):
        series.setdefault(str(event.get("UID", "")) or id(event), []).append(event)
    timezones = calendar.walk("VTIMEZONE")
    found = []
    for uid, events in series.items():
        single = icalendar.Calendar()
        for component in (*timezones, *events):
            single.add_component(component)
        try:
            found.extend(recurring_ical_events.of(single).between(start, end))
        except Exception as error:
            logger.warning("calendar %s: skipping event %s: %s", path, uid if isinstance(uid, str) else "?", error)
    return found


def _text(data: bytes) -> str:
    """The file as text: UTF-8 as RFC 5545 says, UTF-16 by its BOM, else Windows-1252 (old Outlook exports)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _moved_out(calendar, missing: set[str], source: str, path: str, zone: tzinfo, recurring: set[str],
               exported: bool, window: tuple[date, date]) -> list[CalendarItem]:
    """The ``missing`` ids that are single events or moved instances now starting outside ``window``."""
    uids = missing | {identifier.rsplit("/", 1)[0] for identifier in missing}  # "UID" or "UID/start"
    # A day's margin: at the window's edges the expansion may see zones differently.
    low, high = (datetime.combine(day, time(), zone).astimezone(UTC) for day in (window[0] + DAY, window[1] - DAY))
    found = []
    for event in calendar.walk("VEVENT"):
        if str(event.get("UID", "")) not in uids or "RRULE" in event or "RDATE" in event:
            continue
        try:
            item = to_item(event, source, path, zone, recurring, exported)
        except Exception:  # already logged by the expansion, if it is in the window
            continue
        # Inside the window, the expansion left it out on purpose (an EXDATE): it stays out.
        if item is not None and item.external_id in missing and not low <= item.start < high:
            found.append(item)
    return found


def read_calendar(data: bytes, path: str, source: str, zone: tzinfo,
                  window: tuple[date, date], follow: Collection[str] = ()) -> list[CalendarItem]:
    """Every timed instance in ``window`` (start day inclusive, end day exclusive).

    ``follow``: ids read before; those moved out of the window come back at their new times.
    """
    import icalendar
    import x_wr_timezone

    try:
        text = within_reach(_text(data), window, follow)
        calendar = x_wr_timezone.to_standard(icalendar.Calendar.from_ical(text))
    except Exception as error:  # icalendar raises ValueError, KeyError, IndexError ...
        message = (str(error) or type(error).__name__).splitlines()[0]
        raise CalendarFileError(message[:160]) from error
    recurring = _recurring_uids(calendar)
    exported = "METHOD" in calendar
    bound(calendar, window, zone, path)
    items: dict[str, CalendarItem] = {}
    for event in _expand(calendar, window[0], window[1], path):
        try:
            item = to_item(event, source, path, zone, recurring, exported)
        except Exception as error:  # one bad event is logged and skipped
            logger.warning("calendar %s: skipping event %s: %s", path, event.get("UID", "?"), error)
            continue
        if item is not None:
            items[item.external_id] = item
    if missing := set(follow) - set(items):
        items.update((item.external_id, item) for item in
                     _moved_out(calendar, missing, source, path, zone, recurring, exported, window))
    return sorted(items.values(), key=lambda item: (item.start, item.external_id))


# One event of a calendar file, from its BEGIN line to its END line.
_EVENT = re.compile(r"^BEGIN:VEVENT[ \t]*\r?\n.*?^END:VEVENT[ \t]*(?:\r?\n|\Z)", re.IGNORECASE | re.MULTILINE | re.DOTALL)
_FOLD = re.compile(r"\r?\n[ \t]")
_REPEATS = re.compile(r"^(?:RRULE|RDATE|RECURRENCE-ID)[;:]", re.IGNORECASE | re.MULTILINE)
_DAY_OF = {name: re.compile(rf"^{name}[^:\r\n]*:(\d{{4}})(\d\d)(\d\d)", re.IGNORECASE | re.MULTILINE)
           for name in ("DTSTART", "DTEND")}
_DURATION = re.compile(r"^DURATION[;:]", re.IGNORECASE | re.MULTILINE)
_UID = re.compile(r"^UID[^:\r\n]*:([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
# Days either side of the window that an event's written dates still count as in reach: dates are
# read as written, in the event's own zone (up to 26 h from UTC), so a margin is kept; each day of it
# costs a day's worth of events parsed, and tests/connectors/test_ics_reach.py fails without one.
REACH_MARGIN = timedelta(days=3)
LONG_EVENT = timedelta(days=31)  # how far back an event with a DURATION (no DTEND) may start and still reach


def within_reach(text: str, window: tuple[date, date], follow: Collection[str] = ()) -> str:
    """``text`` without the single events that cannot touch ``window``: what ``read_calendar`` parses.

    A calendar file holds years of meetings and icalendar parses a property in
    about 0.1 ms, so most of a big file's time went to events the window leaves
    out anyway. Kept: every event of a series (RRULE, RDATE, RECURRENCE-ID), every
    event whose UID is ``follow``ed (it may have moved out of the window: see
    ``_moved_out``), every event whose dates cannot be read here, and every one
    whose written start and end (or start and DURATION) come within
    ``REACH_MARGIN`` of the window.
    """
    followed = set(follow) | {identifier.rsplit("/", 1)[0] for identifier in follow}
    low, high = window[0] - REACH_MARGIN, window[1] + REACH_MARGIN

    def keep_or_drop(match: re.Match) -> str:
        event = match.group(0)
        unfolded = _FOLD.sub("", event)
        if _REPEATS.search(unfolded):
            return event
        uid = _UID.search(unfolded)
        if uid is None or uid.group(1).strip() in followed:
            return event
        start, end = (_written_day(unfolded, name) for name in ("DTSTART", "DTEND"))
        if start is None:
            return event
        if end is None:
            end = start + LONG_EVENT if _DURATION.search(unfolded) else start
        return event if start <= high and end >= low else ""

    return _EVENT.sub(keep_or_drop, text)


def _written_day(event: str, name: str) -> date | None:
    found = _DAY_OF[name].search(event)
    if found is None:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def window_for(now: datetime, zone: tzinfo, past_days: int, future_days: int) -> tuple[date, date]:
    today = now.astimezone(zone).date()
    return today - timedelta(days=past_days), today + timedelta(days=future_days + 1)
