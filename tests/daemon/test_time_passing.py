"""What changes with time alone: a booked call becomes a meeting held, a message dated ahead starts to count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from connectors.records import Contact
from daemon import config as config_module
from daemon import morning
from daemon.outcomes import refresh_touched
from daemon.store import open_store

GRACE = "https://www.linkedin.com/in/grace"
ALAN = "https://www.linkedin.com/in/alan"
FRIDAY = date(2026, 11, 27)


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECT5_NOW", "2026-11-27T06:00:00+00:00")
    (tmp_path / "config.toml").write_text('[me]\ntimezone = "UTC"\n[picking]\nper_day = 2\n')
    config = config_module.load(tmp_path / "config.toml")
    store = open_store(tmp_path / "connect5.db")
    store.import_contacts([Contact(key=GRACE, name="Grace Hopper", connected_on=date(2019, 1, 1)),
                           Contact(key=ALAN, name="Alan Turing", connected_on=date(2019, 1, 2))],
                          source="linkedin", snapshot=True)
    yield store, config
    store.close()


def last_touch(store, key: str) -> str | None:
    return store.contact(key)["last_touch_at"]


def test_a_message_dated_years_ahead_is_not_a_last_touch_until_its_time(world):
    store, _ = world
    with store.atomic():
        store.add_interaction(source="mail", external_id="past", kind="email", direction="in",
                              at=datetime(2026, 10, 1, 9, tzinfo=UTC), contact_keys=[ALAN])
        store.add_interaction(source="mail", external_id="bogus", kind="email", direction="in",
                              at=datetime(2030, 6, 1, 9, tzinfo=UTC), contact_keys=[ALAN])
        refresh_touched(store, [ALAN], "UTC")
    assert last_touch(store, ALAN) == "2026-10-01T09:00:00+00:00"


def test_a_booked_meeting_counts_as_in_touch_ahead_of_its_time(world):
    store, _ = world
    with store.atomic():
        store.add_interaction(source="cal", external_id="call", kind="meeting", direction="both",
                              at=datetime(2026, 12, 3, 15, tzinfo=UTC), contact_keys=[GRACE],
                              created=datetime(2026, 11, 27, 7, tzinfo=UTC))
        refresh_touched(store, [GRACE], "UTC")
    assert last_touch(store, GRACE) == "2026-12-03T15:00:00+00:00"


def test_a_weekly_series_counts_its_next_meeting_and_moves_on_as_each_one_starts(world):
    store, config = world
    assert morning.refresh_started(store, config, datetime(2026, 11, 27, 6, tzinfo=UTC)) == 0  # the first look
    with store.atomic():
        for week in range(5):  # what a calendar source expands ahead of a weekly 1:1
            store.add_interaction(source="cal", external_id=f"weekly:{week}", kind="meeting", direction="both",
                                  at=datetime(2026, 11, 30, 10, tzinfo=UTC) + timedelta(weeks=week),
                                  contact_keys=[GRACE])
        refresh_touched(store, [GRACE], "UTC")
    assert last_touch(store, GRACE) == "2026-11-30T10:00:00+00:00"  # not 2026-12-28, the last one expanded
    morning.refresh_started(store, config, datetime(2026, 11, 30, 11, tzinfo=UTC))
    assert last_touch(store, GRACE) == "2026-12-07T10:00:00+00:00"


def test_a_booked_call_becomes_met_when_it_starts_with_no_sync(world):
    store, config = world
    picks = morning.ensure_picks(store, config, FRIDAY, FRIDAY)
    assert {row["contact_key"] for row in picks} == {GRACE, ALAN}
    assert morning.refresh_started(store, config, datetime(2026, 11, 27, 6, tzinfo=UTC)) == 0  # the first look
    with store.atomic():
        store.add_interaction(source="cal", external_id="call", kind="meeting", direction="both",
                              at=datetime(2026, 11, 27, 15, tzinfo=UTC), contact_keys=[GRACE],
                              created=datetime(2026, 11, 27, 8, tzinfo=UTC))
        refresh_touched(store, [GRACE], "UTC")
    state = {row["contact_key"]: row["state"] for row in morning.picks_of(store, FRIDAY)}
    assert state[GRACE] == "call_booked"
    writes = store.db.conn.total_changes
    assert morning.refresh_started(store, config, datetime(2026, 11, 27, 14, tzinfo=UTC)) == 0
    assert store.db.conn.total_changes == writes  # asked every daemon cycle: nothing began, nothing written
    assert morning.refresh_started(store, config, datetime(2026, 11, 27, 15, 30, tzinfo=UTC)) == 1
    state = {row["contact_key"]: row["state"] for row in morning.picks_of(store, FRIDAY)}
    assert state == {GRACE: "met", ALAN: "picked"}
    assert morning.refresh_started(store, config, datetime(2026, 11, 27, 16, tzinfo=UTC)) == 0  # seen once


def test_a_last_touch_ahead_reads_as_how_far_ahead():
    from rules.block import describe_last_touch

    when = datetime(2027, 7, 20, 10, tzinfo=UTC)
    assert describe_last_touch(when, "meeting", None, date(2027, 3, 26)) == "in 3 months (2027-07-20, meeting)"
    assert describe_last_touch(datetime(2027, 3, 27, tzinfo=UTC), "meeting", None, date(2027, 3, 26)) \
        == "tomorrow (2027-03-27, meeting)"


def test_a_message_synced_before_its_time_counts_once_its_time_has_come_without_the_daemon(world):
    # A sender's clock a few minutes fast: synced at 10:00, dated 10:03. The first sync
    # marks where the store is fresh to, so a later sync (or today, or stats) counts it.
    store, config = world
    with store.atomic():
        store.add_interaction(source="mail", external_id="fast-clock", kind="email", direction="in",
                              at=datetime(2026, 11, 27, 10, 3, tzinfo=UTC), contact_keys=[ALAN])
        refresh_touched(store, [ALAN], "UTC", datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    assert last_touch(store, ALAN) is None
    assert morning.refresh_started(store, config, datetime(2026, 11, 27, 12, tzinfo=UTC)) == 0
    assert last_touch(store, ALAN) == "2026-11-27T10:03:00+00:00"


def test_sync_today_and_stats_count_what_began_since_the_last_look(tmp_path):
    from click.testing import CliRunner

    from daemon.cli import main

    home = tmp_path / "home"
    home.mkdir()
    for part in ("cur", "new", "tmp"):
        (home / "Maildir" / part).mkdir(parents=True)
    (home / "config.toml").write_text(f'[me]\ntimezone = "UTC"\n[[sources]]\nname = "mail"\ntype = "maildir"\n'
                                      f'path = ["{home / "Maildir"}"]\n')
    store = open_store(home / "connect5.db")
    store.import_contacts([Contact(key=ALAN, name="Alan Turing", connected_on=date(2019, 1, 2))],
                          source="linkedin", snapshot=True)
    with store.atomic():
        store.add_interaction(source="mail", external_id="fast-clock", kind="email", direction="in",
                              at=datetime(2026, 11, 27, 10, 3, tzinfo=UTC), contact_keys=[ALAN])
        refresh_touched(store, [ALAN], "UTC", datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    store.close()
    for command in (["sync"], ["today", "--no-block"], ["stats"]):
        store = open_store(home / "connect5.db")
        with store.atomic():
            store.execute("UPDATE contacts SET last_touch_at = NULL")
            store.set_meta("started_checked_at", "2026-11-27T10:00:00+00:00")
        store.close()
        result = CliRunner().invoke(main, ["--home", str(home), *command],
                                    env={"CONNECT5_NOW": "2026-11-27T12:00:00+00:00"})
        assert result.exit_code == 0, result.output
        store = open_store(home / "connect5.db")
        assert last_touch(store, ALAN) == "2026-11-27T10:03:00+00:00", command
        store.close()
