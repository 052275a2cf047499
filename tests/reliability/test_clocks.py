"""Odd clocks: DST gaps and overlaps, travel, suspend, the clock stepping back, midnight.

Each test drives ``Daemon.cycle()`` through a sequence of wall-clock readings
(see ``reliability.clocks``) and then checks the store and the block file as a
calendar app would read it: exactly one block on each configured day, at the
configured local time, carrying that day's five; no picks or blocks for days
that had gone by; nobody picked on two days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reliability.clocks import Clocked, instances, local_start, per_day

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    # Registered so monkeypatch restores both after the test, whatever the ticks set.
    monkeypatch.setenv("CONNECT5_NOW", "2026-01-01T00:00:00+00:00")
    monkeypatch.setenv("TZ", "UTC")


def every(start: datetime, end: datetime, minutes: int = 10):
    moment = start
    while moment <= end:
        yield moment.astimezone(UTC).isoformat()
        moment += timedelta(minutes=minutes)


def assert_one_block_per_day(clocked: Clocked, zone: str, days: list[str], at: dict[str, str]) -> None:
    """One instance on every day in ``days``, at ``at[day]`` local time, carrying the day's five."""
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    events = instances(clocked.ics, first, last)
    assert per_day(events, zone) == {day: 1 for day in days}
    for event in events:
        day = local_start(event, zone).date().isoformat()
        assert local_start(event, zone).strftime("%H:%M") == at[day], day
        names = clocked.names(day)
        assert len(names) == 5
        for name in names:
            assert name in str(event["DESCRIPTION"]), (day, name)


def assert_nobody_twice(clocked: Clocked) -> None:
    keys = [key for day in clocked.picks().values() for key in day]
    assert len(keys) == len(set(keys))


DST = [  # zone, the day the clocks change, a block time inside the gap or the overlap, what it shows as
    ("America/New_York", "2026-03-08", "02:30", "03:30"),  # spring forward: 02:30 does not exist
    ("America/New_York", "2026-11-01", "01:30", "01:30"),  # fall back: 01:30 happens twice
    ("Europe/Berlin", "2026-03-29", "02:30", "03:30"),
    ("Europe/Berlin", "2026-10-25", "02:30", "02:30"),
]


@pytest.mark.parametrize("restart", [False, True], ids=["one daemon", "restarted every tick"])
@pytest.mark.parametrize("zone, change, block_time, shown", DST, ids=[f"{z} {d}" for z, d, _, _ in DST])
def test_block_time_inside_a_dst_change(tmp_path, zone, change, block_time, shown, restart):
    clocked = Clocked(tmp_path, zone=zone, block_time=block_time, picking_at=block_time, days=ALL_DAYS)
    day = date.fromisoformat(change)
    local = ZoneInfo(zone)
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), local) + timedelta(minutes=5)
    for moment in every(start, start + timedelta(hours=78), minutes=10):
        clocked.tick(moment, restart=restart)
    days = [(day + timedelta(days=offset)).isoformat() for offset in (-1, 0, 1, 2)]
    assert clocked.blocks() == days
    assert sorted(clocked.picks()) == days
    assert_nobody_twice(clocked)
    at = {other: block_time for other in days} | {change: shown}
    assert_one_block_per_day(clocked, zone, days, at)
    clocked.close()


def test_travel_changes_the_machine_zone_and_the_block_follows(tmp_path):
    clocked = Clocked(tmp_path, zone="")  # no [me] timezone: the system's zone, from TZ
    clocked.tick("2026-03-02T08:10:00+00:00", tz="Europe/Berlin")  # Mon 09:10 in Berlin
    clocked.tick("2026-03-02T10:00:00+00:00", tz="Europe/Berlin")
    clocked.tick("2026-03-02T19:00:00+00:00", tz="America/New_York")  # landed: Mon 14:00 in New York
    clocked.tick("2026-03-02T19:10:00+00:00", tz="America/New_York", restart=True)
    for moment in every(datetime(2026, 3, 3, 5, tzinfo=UTC), datetime(2026, 3, 3, 16, tzinfo=UTC)):
        clocked.tick(moment, tz="America/New_York")
    assert clocked.blocks() == ["2026-03-02", "2026-03-03"]
    assert_nobody_twice(clocked)
    # The series moved with its owner: both days at 09:00 in New York now.
    assert_one_block_per_day(clocked, "America/New_York", ["2026-03-02", "2026-03-03"],
                             {"2026-03-02": "09:00", "2026-03-03": "09:00"})
    clocked.close()


def test_flying_west_over_the_date_line_never_picks_the_day_already_left(tmp_path):
    clocked = Clocked(tmp_path, zone="")
    clocked.tick("2026-03-03T00:10:00+00:00", tz="Asia/Tokyo")  # Tue 09:10 in Tokyo
    # Landed in Honolulu: it is Monday evening there, a day already left behind.
    for moment in every(datetime(2026, 3, 3, 8, tzinfo=UTC), datetime(2026, 3, 4, 0, tzinfo=UTC)):
        clocked.tick(moment, tz="Pacific/Honolulu", restart=moment.endswith("08:00:00+00:00"))
    assert sorted(clocked.picks()) == ["2026-03-03"]
    assert clocked.blocks() == ["2026-03-03"]
    clocked.close()


def test_suspend_across_the_block_time_catches_up_that_day_and_skips_days_slept_through(tmp_path):
    clocked = Clocked(tmp_path, zone="Europe/London")
    clocked.tick("2026-03-02T06:50:00+00:00")  # Mon, before the morning job
    assert clocked.blocks() == []
    clocked.tick("2026-03-02T11:30:00+00:00")  # woke after the block time: catch up Monday
    clocked.tick("2026-03-02T23:50:00+00:00")
    clocked.tick("2026-03-04T10:00:00+00:00")  # slept through Tuesday
    clocked.tick("2026-03-04T10:00:30+00:00", restart=True)
    assert clocked.blocks() == ["2026-03-02", "2026-03-04"]
    assert sorted(clocked.picks()) == ["2026-03-02", "2026-03-04"]
    assert_nobody_twice(clocked)
    events = instances(clocked.ics, date(2026, 3, 2), date(2026, 3, 4))
    assert per_day(events, "Europe/London") == {"2026-03-02": 1, "2026-03-03": 1, "2026-03-04": 1}
    tuesday = next(e for e in events if local_start(e, "Europe/London").date() == date(2026, 3, 3))
    assert "Person" not in str(tuesday["DESCRIPTION"])  # the series' plain text, nobody's names
    clocked.close()


@pytest.mark.parametrize("restart", [False, True], ids=["one daemon", "restarted every tick"])
def test_the_clock_stepping_back_writes_nothing_twice(tmp_path, restart):
    clocked = Clocked(tmp_path, zone="UTC")
    for moment in ("2026-03-03T09:10:00+00:00", "2026-03-03T08:00:00+00:00", "2026-03-03T09:05:00+00:00",
                   "2026-03-03T06:00:00+00:00", "2026-03-03T09:30:00+00:00"):
        clocked.tick(moment, restart=restart)
    before = (clocked.picks(), clocked.blocks(), clocked.ics.read_bytes())
    assert before[1] == ["2026-03-03"]
    # Stepped back over midnight to a day never picked: that day has gone by for this store.
    for moment in every(datetime(2026, 3, 2, 20, tzinfo=UTC), datetime(2026, 3, 2, 23, 50, tzinfo=UTC)):
        clocked.tick(moment, restart=restart)
    assert (clocked.picks(), clocked.blocks(), clocked.ics.read_bytes()) == before
    clocked.close()


@pytest.mark.parametrize("restart", [False, True], ids=["one daemon", "restarted every tick"])
def test_a_week_of_ticks_across_midnights_gives_one_block_per_workday(tmp_path, restart):
    clocked = Clocked(tmp_path, zone="Europe/Berlin")
    start = datetime(2026, 3, 1, 20, tzinfo=ZoneInfo("Europe/Berlin"))  # Sunday evening
    for moment in every(start, start + timedelta(days=7), minutes=20):
        clocked.tick(moment, restart=restart)
    workdays = [f"2026-03-0{n}" for n in range(2, 7)]
    assert clocked.blocks() == workdays
    assert sorted(clocked.picks()) == workdays
    assert_nobody_twice(clocked)
    assert_one_block_per_day(clocked, "Europe/Berlin", workdays, {day: "09:00" for day in workdays})
    weekend = instances(clocked.ics, date(2026, 3, 7), date(2026, 3, 8))
    assert weekend == []
    clocked.close()


def test_a_block_time_just_before_midnight(tmp_path):
    clocked = Clocked(tmp_path, zone="UTC", block_time="23:58", picking_at="23:58")
    for moment in every(datetime(2026, 3, 2, 23, 50, tzinfo=UTC), datetime(2026, 3, 3, 0, 10, tzinfo=UTC), 1):
        clocked.tick(moment)
    assert clocked.blocks() == ["2026-03-02"]
    assert_one_block_per_day(clocked, "UTC", ["2026-03-02"], {"2026-03-02": "23:58"})
    clocked.close()
