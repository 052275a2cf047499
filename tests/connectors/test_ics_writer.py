"""Tests for the .ics block writer, checked with icalendar and recurring-ical-events."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import SourceContext
from connectors.ics import IcsBlockWriter
from connectors.ics.blockfile import BLOCK_UID
from connectors.ics.text import ContentLineError, escape_text, fold, parse_line, unescape_text, unfold
from connectors.records import BlockPerson
from rules.block import PLAIN_DESCRIPTION, render_block

NOW = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def names_for(day: date) -> list[str]:
    return [f"Person {day.isoformat()} #{number}" for number in range(1, 6)]


def make_block(day, zone="America/New_York", at=time(9, 0), weekdays=WEEKDAYS, minutes=5, names=None):
    people = [BlockPerson(name=name, company="Acme") for name in (names or names_for(day))]
    start = datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    return render_block(day, people, start=start, minutes=minutes, weekdays=weekdays, timezone=zone)


def make_writer(path: Path, horizon_days=60, now=NOW) -> IcsBlockWriter:
    context = SourceContext(name="block", now=lambda: now)
    return IcsBlockWriter(IcsBlockWriter.Options(path=str(path), horizon_days=horizon_days), context)


def instances(path: Path, first: date, last: date):
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    found = recurring_ical_events.of(calendar).between(first, last + timedelta(days=1))
    return sorted(found, key=lambda event: event.decoded("DTSTART"))


def by_day(path: Path, first: date, last: date) -> dict[date, list]:
    result: dict[date, list] = {}
    for event in instances(path, first, last):
        result.setdefault(event.decoded("DTSTART").date(), []).append(event)
    return result


def workdays(first: date, count: int) -> list[date]:
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def test_file_has_one_private_recurring_master_with_a_timezone(tmp_path):
    path = tmp_path / "connect5.ics"
    reference = make_writer(path).write(date(2026, 3, 3), make_block(date(2026, 3, 3)))
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    masters = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e]
    assert len(masters) == 1
    master = masters[0]
    assert str(master["UID"]) == BLOCK_UID
    assert master["RRULE"]["FREQ"] == ["WEEKLY"]
    assert master["RRULE"]["BYDAY"] == ["MO", "TU", "WE", "TH", "FR"]
    assert str(master["CLASS"]) == "PRIVATE" and str(master["X-CONNECT5-BLOCK"]) == "1"
    assert master.decoded("DTEND") - master.decoded("DTSTART") == timedelta(minutes=5)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert reference.writer == "ics" and reference.remote_id == f"{BLOCK_UID}/2026-03-03"


def test_each_written_day_shows_its_names_and_other_days_the_plain_block(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    written = [date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 10)]
    for day in written:
        writer.write(day, make_block(day))
    days = by_day(path, date(2026, 3, 2), date(2026, 3, 13))
    assert sorted(days) == workdays(date(2026, 3, 2), 10)
    for day, events in days.items():
        assert len(events) == 1
        description = str(events[0]["DESCRIPTION"])
        if day in written:
            assert all(name in description for name in names_for(day))
            assert f"<b>{names_for(day)[0]}</b>" in as_text(events[0]["X-ALT-DESC"])
        else:
            assert description == PLAIN_DESCRIPTION


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        ("America/New_York", date(2026, 3, 6), date(2026, 3, 9)),
        ("Europe/Berlin", date(2026, 3, 27), date(2026, 3, 30)),
        ("Australia/Sydney", date(2026, 4, 3), date(2026, 4, 6)),
        ("Asia/Kolkata", date(2026, 3, 27), date(2026, 3, 30)),
        ("UTC", date(2026, 3, 27), date(2026, 3, 30)),
    ],
)
def test_instances_stay_at_the_local_time_on_both_sides_of_a_dst_change(tmp_path, zone, before, after):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    writer.write(before, make_block(before, zone=zone))
    writer.write(after, make_block(after, zone=zone))
    found = instances(path, before, after + timedelta(days=7))
    assert found
    for event in found:
        start = event.decoded("DTSTART")
        assert start.astimezone(ZoneInfo(zone)).time() == time(9, 0)
    days = by_day(path, before, after)
    assert names_for(before)[0] in str(days[before][0]["DESCRIPTION"])
    assert names_for(after)[0] in str(days[after][0]["DESCRIPTION"])


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "UTC"]
)
def test_generated_vtimezone_gives_the_same_offsets_as_zoneinfo(tmp_path, zone):
    path = tmp_path / "connect5.ics"
    make_writer(path).write(date(2026, 6, 1), make_block(date(2026, 6, 1), zone=zone))
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    [component] = calendar.walk("VTIMEZONE")
    generated = component.to_tz(lookup_tzid=False)
    reference = ZoneInfo(zone)
    moment = datetime(2025, 1, 2, tzinfo=UTC)
    while moment < datetime(2028, 12, 30, tzinfo=UTC):
        assert moment.astimezone(generated).utcoffset() == moment.astimezone(reference).utcoffset(), moment
        moment += timedelta(hours=61)
    # One onset per RDATE line: readers such as vobject take only the first value of a list.
    assert not [line for line in path.read_text().splitlines() if line.startswith("RDATE:") and "," in line]


def test_writing_the_same_day_twice_leaves_one_instance_and_the_file_untouched(tmp_path):
    path = tmp_path / "connect5.ics"
    day = date(2026, 3, 3)
    make_writer(path).write(day, make_block(day))
    first_bytes, first_stat = path.read_bytes(), path.stat()
    later = make_writer(path, now=NOW + timedelta(hours=5))
    assert later.write(day, make_block(day)) == make_writer(path).write(day, make_block(day))
    assert path.read_bytes() == first_bytes
    assert path.stat().st_mtime_ns == first_stat.st_mtime_ns
    assert len(by_day(path, day, day)[day]) == 1


def test_writing_a_day_again_with_other_people_replaces_its_block(tmp_path):
    path = tmp_path / "connect5.ics"
    day = date(2026, 3, 3)
    writer = make_writer(path)
    writer.write(day, make_block(day))
    writer.write(day, make_block(day, names=["Grace Hopper"]))
    [event] = by_day(path, day, day)[day]
    assert "Grace Hopper" in str(event["DESCRIPTION"])
    assert names_for(day)[0] not in str(event["DESCRIPTION"])
    assert int(event["SEQUENCE"]) == 1


def test_overrides_older_than_the_horizon_are_pruned(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path, horizon_days=10)
    for day in (date(2026, 3, 2), date(2026, 3, 10), date(2026, 3, 16)):
        writer.write(day, make_block(day))
    days = by_day(path, date(2026, 3, 2), date(2026, 3, 16))
    assert str(days[date(2026, 3, 2)][0]["DESCRIPTION"]) == PLAIN_DESCRIPTION
    assert names_for(date(2026, 3, 10))[0] in str(days[date(2026, 3, 10)][0]["DESCRIPTION"])
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert sum("RECURRENCE-ID" in e for e in calendar.walk("VEVENT")) == 2


def test_a_new_time_moves_the_whole_series_and_earlier_days_follow_it(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    writer.write(date(2026, 3, 2), make_block(date(2026, 3, 2), at=time(9, 0)))
    writer.write(date(2026, 3, 3), make_block(date(2026, 3, 3), at=time(10, 30), minutes=10))
    days = by_day(path, date(2026, 3, 2), date(2026, 3, 6))
    for day, [event] in days.items():
        start = event.decoded("DTSTART")
        assert start.time() == time(10, 30)
        assert event.decoded("DTEND") - start == timedelta(minutes=10)
    assert names_for(date(2026, 3, 2))[0] in str(days[date(2026, 3, 2)][0]["DESCRIPTION"])


def test_a_new_zone_keeps_the_wall_clock_time_in_the_new_zone(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    writer.write(date(2026, 3, 2), make_block(date(2026, 3, 2), zone="America/New_York"))
    writer.write(date(2026, 3, 3), make_block(date(2026, 3, 3), zone="Europe/Berlin"))
    days = by_day(path, date(2026, 3, 2), date(2026, 3, 3))
    for day, [event] in days.items():
        start = event.decoded("DTSTART")
        assert start.astimezone(ZoneInfo("Europe/Berlin")).time() == time(9, 0)
    assert names_for(date(2026, 3, 2))[0] in str(days[date(2026, 3, 2)][0]["DESCRIPTION"])
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_a_weekday_taken_out_of_the_config_loses_its_blocks_to_come_and_keeps_those_gone_by(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    writer.write(date(2026, 3, 6), make_block(date(2026, 3, 6)))  # a Friday
    writer.write(date(2026, 3, 13), make_block(date(2026, 3, 13)))  # frozen ahead, also a Friday
    writer.write(date(2026, 3, 9), make_block(date(2026, 3, 9), weekdays=("mon", "wed")))
    days = by_day(path, date(2026, 3, 2), date(2026, 3, 15))
    # The 6th keeps the five it had; Fridays to come, the 13th too, have no block any more.
    assert sorted(days) == [date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 11)]
    assert names_for(date(2026, 3, 6))[0] in str(days[date(2026, 3, 6)][0]["DESCRIPTION"])
    assert b"RECURRENCE-ID;TZID=America/New_York:20260313" not in path.read_bytes()


def test_a_block_time_the_spring_forward_skips_moves_that_day_only(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    zone, every_day = "Europe/Berlin", ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for day in (date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29)):
        # As the daemon makes it: 02:30 on the 28th does not exist and becomes 03:30.
        start = datetime.combine(day, time(2, 30), tzinfo=ZoneInfo(zone)).astimezone(UTC).astimezone(ZoneInfo(zone))
        people = [BlockPerson(name=name, company="Acme") for name in names_for(day)]
        writer.write(day, render_block(day, people, start=start, minutes=5, weekdays=every_day, timezone=zone))
        assert b"DTSTART;TZID=Europe/Berlin:20270327T023000" in path.read_bytes(), day
    starts = {event.decoded("DTSTART").date(): event.decoded("DTSTART").astimezone(ZoneInfo(zone)).time()
              for event in instances(path, date(2027, 3, 27), date(2027, 3, 30))}
    assert starts[date(2027, 3, 27)] == starts[date(2027, 3, 29)] == starts[date(2027, 3, 30)] == time(2, 30)


def test_a_day_written_outside_the_weekdays_gets_its_own_instance(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    saturday = date(2026, 3, 7)
    writer.write(date(2026, 3, 6), make_block(date(2026, 3, 6)))
    writer.write(saturday, make_block(saturday))
    writer.write(date(2026, 3, 9), make_block(date(2026, 3, 9)))
    days = by_day(path, date(2026, 3, 6), date(2026, 3, 9))
    assert sorted(days) == [date(2026, 3, 6), saturday, date(2026, 3, 9)]
    assert names_for(saturday)[0] in str(days[saturday][0]["DESCRIPTION"])


def test_a_corrupt_file_is_moved_aside_and_rewritten(tmp_path, caplog):
    path = tmp_path / "connect5.ics"
    path.write_bytes(b"BEGIN:VCALENDAR\r\nthis is not ical\x00\xff\r\n")
    day = date(2026, 3, 3)
    make_writer(path).write(day, make_block(day))
    [aside] = tmp_path.glob("connect5.ics.broken-*")
    assert aside.read_bytes().startswith(b"BEGIN:VCALENDAR\r\nthis is not")
    assert names_for(day)[0] in str(by_day(path, day, day)[day][0]["DESCRIPTION"])
    assert "moved it to" in caplog.text and str(path) in caplog.text


def test_a_file_rewritten_by_another_program_keeps_its_days(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    writer.write(date(2026, 3, 2), make_block(date(2026, 3, 2)))
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    calendar["PRODID"] = "-//Some Other App//EN"
    path.write_bytes(calendar.to_ical())
    writer.write(date(2026, 3, 3), make_block(date(2026, 3, 3)))
    assert not list(tmp_path.glob("*.broken-*"))
    days = by_day(path, date(2026, 3, 2), date(2026, 3, 3))
    [monday] = days[date(2026, 3, 2)]
    assert str(monday["DESCRIPTION"]) == make_block(date(2026, 3, 2)).description
    assert as_text(monday["X-ALT-DESC"]) == make_block(date(2026, 3, 2)).html
    assert all(len(str(event["DTSTAMP"])) > 0 for event in days[date(2026, 3, 2)] + days[date(2026, 3, 3)])
    assert b"DTSTAMP:\r\n" not in path.read_bytes()


@pytest.mark.parametrize("only_overrides", [False, True])
def test_a_file_saved_back_in_utc_keeps_each_days_five_on_its_day(tmp_path, only_overrides):
    # 09:00 in Sydney is 22:00 UTC the day before: read in UTC, Monday's five were Sunday's.
    zone, days = "Australia/Sydney", workdays(date(2026, 3, 2), 3)
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    for day in days:
        writer.write(day, make_block(day, zone=zone))
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    for event in calendar.walk("VEVENT"):
        override = "RECURRENCE-ID" in event
        names = ("RECURRENCE-ID", "DTSTART", "DTEND") if override else () if only_overrides else ("DTSTART", "DTEND")
        for name in names:
            moment = event.decoded(name).astimezone(UTC)
            del event[name]
            event.add(name, moment)
    path.write_bytes(calendar.to_ical())
    thursday = date(2026, 3, 5)
    writer.write(thursday, make_block(thursday, zone=zone))
    found = by_day(path, days[0], thursday)
    for day in [*days, thursday]:
        [event] = found[day]
        assert names_for(day)[0] in str(event["DESCRIPTION"]), day
        assert event.decoded("DTSTART").astimezone(ZoneInfo(zone)).time() == time(9, 0)
    assert date(2026, 3, 1) not in found  # no Sunday block


def test_a_calendar_with_other_events_is_kept_aside_not_overwritten(tmp_path):
    path = tmp_path / "connect5.ics"
    writer = make_writer(path)
    writer.write(date(2026, 3, 2), make_block(date(2026, 3, 2)))
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    other = icalendar.Event()
    other.add("UID", "dentist@example.com")
    other.add("SUMMARY", "Dentist")
    other.add("DTSTART", datetime(2026, 3, 5, 14, tzinfo=UTC))
    other.add("DTSTAMP", datetime(2026, 3, 1, tzinfo=UTC))
    calendar.add_component(other)
    path.write_bytes(calendar.to_ical())
    writer.write(date(2026, 3, 3), make_block(date(2026, 3, 3)))
    [aside] = tmp_path.glob("connect5.ics.broken-*")
    assert b"Dentist" in aside.read_bytes() and b"Dentist" not in path.read_bytes()
    days = by_day(path, date(2026, 3, 2), date(2026, 3, 3))
    assert names_for(date(2026, 3, 2))[0] in str(days[date(2026, 3, 2)][0]["DESCRIPTION"])


def test_file_is_private_and_no_temporary_files_are_left(tmp_path):
    path = tmp_path / "sub" / "connect5.ics"
    make_writer(path).write(date(2026, 3, 3), make_block(date(2026, 3, 3)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == ["connect5.ics"]


def test_writing_an_unchanged_block_makes_a_file_opened_to_others_private_again(tmp_path):
    path = tmp_path / "connect5.ics"
    day = date(2026, 3, 3)
    make_writer(path).write(day, make_block(day))
    before = path.read_bytes()
    path.chmod(0o644)
    make_writer(path).write(day, make_block(day))
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_lines_are_folded_crlf_and_awkward_text_round_trips(tmp_path):
    path = tmp_path / "connect5.ics"
    awkward = ["Zoë Ñúñez-Łukasz 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉", "Smith, John; Jr. \\ the\nsecond"]
    day = date(2026, 3, 3)
    block = make_block(day, names=awkward)
    make_writer(path).write(day, block)
    data = path.read_bytes()
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    [event] = by_day(path, day, day)[day]
    assert str(event["DESCRIPTION"]) == block.description
    assert as_text(event["X-ALT-DESC"]) == block.html


def as_text(raw) -> str:
    """icalendar leaves unknown properties escaped; RFC 5545 §3.8.8.2 makes them TEXT."""
    event = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\nDESCRIPTION:{raw}\r\nEND:VEVENT\r\n")
    return str(event["DESCRIPTION"])


def test_writing_the_block_does_not_import_icalendar(tmp_path):
    script = (
        "import sys, datetime as d\n"
        "from connectors.ics import IcsBlockWriter\n"
        "from connectors.records import Block\n"
        f"w = IcsBlockWriter(IcsBlockWriter.Options(path={str(tmp_path / 'c.ics')!r}))\n"
        "day = d.date(2026, 3, 3)\n"
        "start = d.datetime(2026, 3, 3, 9, tzinfo=d.timezone.utc)\n"
        "w.write(day, Block(day, 'Connect 5', start, 5, 'text', '<p>text</p>'))\n"
        "w.write(day, Block(day, 'Connect 5', start, 5, 'text', '<p>text</p>'))\n"
        "assert 'icalendar' not in sys.modules, 'icalendar imported'\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", script], cwd=root, check=True)


@given(st.text(max_size=300))
def test_folding_keeps_lines_short_and_unfolding_restores_them(value):
    line = "DESCRIPTION:" + escape_text(value)
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert unfold(folded) == [line]
    assert unescape_text(escape_text(value)) == value.replace("\r\n", "\n").replace("\r", "\n")


def test_content_lines_split_into_name_parameters_and_value():
    assert parse_line('DTSTART;TZID="W. Europe: Standard";VALUE=DATE-TIME:20260303T100000') == (
        "DTSTART",
        {"TZID": "W. Europe: Standard", "VALUE": "DATE-TIME"},
        "20260303T100000",
    )
    with pytest.raises(ContentLineError):
        parse_line("no colon here")
