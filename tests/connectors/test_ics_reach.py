"""``within_reach``: the single events a window cannot touch are left out before icalendar parses a file.

The promise is that nothing read changes: every test reads a real calendar both
ways, through ``read_calendar`` as the source does and through the same function
with the filter turned into the identity, and compares every item.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.ics import events
from connectors.ics.events import read_calendar, within_reach

BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = (date(2024, 11, 27), date(2027, 3, 27))  # the source's default: 730 days back, 120 ahead
HEADER = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
ZONES = """BEGIN:VTIMEZONE\r
TZID:Pacific/Kiritimati\r
BEGIN:STANDARD\r
DTSTART:19950101T000000\r
TZOFFSETFROM:-1000\r
TZOFFSETTO:+1400\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VTIMEZONE\r
TZID:Pacific/Pago_Pago\r
BEGIN:STANDARD\r
DTSTART:19700101T000000\r
TZOFFSETFROM:-1100\r
TZOFFSETTO:-1100\r
END:STANDARD\r
END:VTIMEZONE\r
"""


def event(uid: str, start: str, *lines: str, end: str | None = None, zone: str | None = None) -> str:
    where = f";TZID={zone}" if zone else ""
    body = [f"UID:{uid}", f"DTSTART{where}:{start}"]
    if end:
        body.append(f"DTEND{where}:{end}")
    body += ["SUMMARY:Call", "ATTENDEE;CN=Ben Okafor;PARTSTAT=ACCEPTED:mailto:ben@example.org", *lines]
    return "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in body) + "END:VEVENT\r\n"


def both_ways(text: str, follow=(), window=WINDOW, monkeypatch=None):
    data = text.encode()
    filtered = read_calendar(data, "cal.ics", "calendar", BERLIN, window, follow)
    monkeypatch.setattr(events, "within_reach", lambda text, *_: text)
    whole = read_calendar(data, "cal.ics", "calendar", BERLIN, window, follow)
    monkeypatch.undo()
    return filtered, whole


def edge_calendar() -> str:
    low, high = WINDOW
    parts = [HEADER, ZONES]
    for offset in range(-5, 6):  # single events around both edges of the window, in far zones and none
        for edge in (low, high):
            day = edge + timedelta(days=offset)
            stamp = day.strftime("%Y%m%d")
            parts.append(event(f"edge-{stamp}-utc", f"{stamp}T000500Z", end=f"{stamp}T003500Z"))
            parts.append(event(f"edge-{stamp}-east", f"{stamp}T003000", end=f"{stamp}T010000",
                               zone="Pacific/Kiritimati"))
            parts.append(event(f"edge-{stamp}-west", f"{stamp}T233000", end=f"{stamp}T235900", zone="Pacific/Pago_Pago"))
            parts.append(event(f"edge-{stamp}-floating", f"{stamp}T235000", end=f"{stamp}T235900"))
    # Long events that start well before the window and end inside it.
    parts.append(event("conference", "20241101T090000Z", end="20241203T170000Z"))
    parts.append(event("retreat", "20241115T090000Z", "DURATION:P20D"))
    parts.append(event("sabbatical", "20240601T090000Z", end="20250101T090000Z"))
    # A series from long ago, with an override moved into the window and a cancelled one.
    parts.append(event("weekly", "20200106T100000Z", "RRULE:FREQ=WEEKLY;COUNT=400", end="20200106T103000Z"))
    parts.append(event("weekly", "20250106T150000Z", "RECURRENCE-ID:20250106T100000Z", end="20250106T153000Z"))
    parts.append(event("weekly", "20250113T100000Z", "RECURRENCE-ID:20250113T100000Z", "STATUS:CANCELLED",
                       end="20250113T103000Z"))
    parts.append(event("rdates", "20190301T100000Z", "RDATE:20250301T100000Z,20190401T100000Z",
                       end="20190301T110000Z"))
    # Shapes read here as unknown: kept, and icalendar decides.
    parts.append("BEGIN:VEVENT\r\nDTSTART:20150101T100000Z\r\nSUMMARY:No UID\r\nEND:VEVENT\r\n")
    parts.append("BEGIN:VEVENT\r\nUID:no-start\r\nSUMMARY:No start\r\nEND:VEVENT\r\n")
    parts.append(event("bad-date", "20151340T100000Z"))
    # A folded UID line, and lowercase names (RFC 5545: names are case-insensitive).
    parts.append(event("folded-" + "x" * 70 + "\r\n tail", "20250505T100000Z", end="20250505T110000Z"))
    parts.append(event("far-past", "20100505T100000Z", end="20100505T110000Z").replace("DTSTART", "dtstart"))
    parts.append(event("far-future", "20300505T100000Z", end="20300505T110000Z"))
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


def test_a_calendar_on_every_edge_reads_the_same_with_and_without_the_filter(monkeypatch):
    text = edge_calendar()
    filtered, whole = both_ways(text, monkeypatch=monkeypatch)
    assert filtered == whole
    assert len(whole) > 60
    kept = within_reach(text, WINDOW)
    assert "far-past" not in kept and "far-future" not in kept  # the filter did leave events out
    assert "edge-20241122-utc" not in kept and "edge-20241127-utc" in kept


def test_an_event_followed_out_of_the_window_is_kept_to_be_found_again(monkeypatch):
    text = edge_calendar()
    follow = ["far-future", "weekly/2020-01-06T10:00:00+00:00", "folded-" + "x" * 70 + "tail"]
    filtered, whole = both_ways(text, follow=follow, monkeypatch=monkeypatch)
    assert filtered == whole
    assert any(item.external_id == "far-future" for item in filtered)  # moved out: still reported
    assert "far-future" in within_reach(text, WINDOW, follow)


def test_random_calendars_read_the_same_both_ways(monkeypatch):
    randomness = random.Random(7)
    for _ in range(5):
        parts = [HEADER, ZONES]
        for number in range(150):
            day = date(2022, 1, 1) + timedelta(days=randomness.randrange(2200))
            hour = randomness.randrange(24)
            start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            length = timedelta(hours=randomness.choice((1, 1, 2, 30, 24 * 40)))
            zone = randomness.choice((None, None, "Pacific/Kiritimati", "Pacific/Pago_Pago"))
            suffix = "" if zone else "Z"
            extra = []
            if randomness.random() < 0.1:
                extra.append(f"RRULE:FREQ=DAILY;COUNT={randomness.randrange(1, 60)}")
            parts.append(event(f"e{number}", start.strftime("%Y%m%dT%H%M%S") + suffix, *extra,
                               end=(start + length).strftime("%Y%m%dT%H%M%S") + suffix, zone=zone))
        parts.append("END:VCALENDAR\r\n")
        window = (date(2024, 1, 1) + timedelta(days=randomness.randrange(600)),) * 2
        window = (window[0], window[0] + timedelta(days=randomness.randrange(1, 200)))
        filtered, whole = both_ways("".join(parts), window=window, monkeypatch=monkeypatch)
        assert filtered == whole


@pytest.mark.parametrize("text", ["", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "not a calendar",
                                  "BEGIN:VEVENT\nUID:x\nDTSTART:20100101T100000Z\n"])  # never ended
def test_what_holds_no_whole_event_is_left_as_it_is(text):
    assert within_reach(text, WINDOW) == text
