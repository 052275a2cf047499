"""daemon.sync against an in-memory calendar source: cancellations and resyncs keep history right."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from connectors.records import Attendee, Batch, CalendarItem, Contact
from daemon import config as config_module
from daemon import paths
from daemon.config import Source
from daemon.store import open_store
from daemon.sync import sync_source

NOW = datetime(2026, 11, 27, 6, tzinfo=UTC)


class MemoryCalendar:
    """A calendar source whose batches the test sets; it keeps nothing between syncs."""

    kind = "calendar"

    @dataclass(frozen=True)
    class Options:
        pass

    def __init__(self):
        self.batches: list[Batch] = []

    def sync(self, cursor):
        yield from self.batches


def meeting(external_id: str, start: datetime, status: str = "confirmed") -> CalendarItem:
    return CalendarItem(source="cal", external_id=external_id, start=start, end=start + timedelta(minutes=30),
                        title="Catch-up", attendees=(Attendee("ada@example.com", "Ada Lovelace", "accepted"),),
                        status=status)


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECT5_NOW", NOW.isoformat())
    store = open_store(tmp_path / "connect5.db")
    store.import_contacts([Contact("ada", "Ada Lovelace", emails=("ada@example.com",), source="linkedin")],
                          source="linkedin", snapshot=True)
    config = config_module.parse({"me": {"emails": ["me@example.com"], "timezone": "UTC"}}, tmp_path / "c.toml")
    return store, config, paths.resolve(str(tmp_path)), Source("cal", "ics", MemoryCalendar.Options())


def test_a_cancellation_without_times_keeps_the_meetings_start(world):
    store, config, home, source = world
    calendar = MemoryCalendar()
    start = NOW - timedelta(days=3)
    calendar.batches = [Batch((meeting("e1", start),), "c1")]
    sync_source(store, config, home, source, connector=calendar)
    placeholder = datetime(1970, 1, 1, tzinfo=UTC)
    calendar.batches = [Batch((meeting("e1", placeholder, status="cancelled"),), "c2")]
    sync_source(store, config, home, source, connector=calendar)
    (row,) = store.query("SELECT at, status FROM interactions")
    assert row == {"at": start.isoformat(timespec="seconds"), "status": "cancelled"}
    assert store.contact("ada")["last_touch_at"] is None


def test_the_report_counts_a_cancellation_as_a_cancellation_not_an_interaction(world):
    from daemon.runner import sync_one

    store, config, home, source = world
    calendar = MemoryCalendar()
    calendar.batches = [Batch((meeting("e1", NOW + timedelta(days=3)),), "c1")]
    sync_one(store, config, home, source, connector=calendar)
    calendar.batches = [Batch((meeting("e1", NOW + timedelta(days=3), status="cancelled"),
                               meeting("e2", NOW + timedelta(days=4), status="cancelled")), "c2")]
    outcome = sync_one(store, config, home, source, connector=calendar)
    assert (outcome["interactions"], outcome["cancelled"]) == (0, 2)
    assert outcome["line"] == "cal: 2 items, 0 interactions (0 noise, 0 duplicates, 0 unknown), 2 cancelled"


def test_the_report_counts_an_item_put_in_review_once_not_also_as_unknown(world):
    from daemon.runner import sync_one

    store, config, home, source = world
    store.import_contacts([Contact("sam-1", "Sam Lee", emails=("sam@example.com",), source="vcard"),
                           Contact("sam-2", "Sam Lee", emails=("sam@example.com",), source="vcard")],
                          source="vcard", snapshot=True)
    calendar = MemoryCalendar()
    shared = CalendarItem(source="cal", external_id="e1", start=NOW, end=NOW + timedelta(minutes=30),
                          title="Chat", attendees=(Attendee("sam@example.com", "Sam Lee", "accepted"),))
    calendar.batches = [Batch((shared,), "c1")]
    outcome = sync_one(store, config, home, source, connector=calendar)
    assert (outcome["unknown"], outcome["review"]) == (0, 1)
    assert outcome["line"] == "cal: 1 item, 0 interactions (0 noise, 0 duplicates, 0 unknown), 1 to review"


def test_a_full_resync_forgets_only_meetings_that_have_not_started(world):
    store, config, home, source = world
    calendar = MemoryCalendar()
    past, future = NOW - timedelta(days=400), NOW + timedelta(days=5)
    calendar.batches = [Batch((meeting("old", past), meeting("soon", future)), "c1")]
    sync_source(store, config, home, source, connector=calendar)
    calendar.batches = [Batch((), "c2", full_resync=True)]  # the new window holds neither
    sync_source(store, config, home, source, connector=calendar)
    statuses = {row["external_id"]: row["status"] for row in store.query("SELECT external_id, status FROM interactions")}
    assert statuses == {"old": "confirmed", "soon": "cancelled"}
    assert store.contact("ada")["last_touch_at"] == past.isoformat(timespec="seconds")


def test_items_and_cursor_commit_together_and_a_rerun_adds_nothing(world):
    store, config, home, source = world
    calendar = MemoryCalendar()
    calendar.batches = [Batch((meeting("e1", NOW - timedelta(days=1)),), "c1")]
    sync_source(store, config, home, source, connector=calendar)
    sync_source(store, config, home, source, connector=calendar)
    assert store.cursor("cal") == "c1"
    assert store.db.execute("SELECT count(*) FROM interactions").fetchone()[0] == 1


def test_a_failing_batch_leaves_the_previous_cursor(world):
    store, config, home, source = world

    class Broken(MemoryCalendar):
        def sync(self, cursor):
            yield Batch((meeting("e1", NOW - timedelta(days=1)),), "c1")
            raise OSError("disk went away")

    with pytest.raises(OSError):
        sync_source(store, config, home, source, connector=Broken())
    assert store.cursor("cal") == "c1"
    assert store.db.execute("SELECT count(*) FROM interactions").fetchone()[0] == 1


def test_a_bug_in_one_connector_is_recorded_and_does_not_escape(world, caplog):
    from daemon.runner import sync_one

    store, config, home, source = world

    class Buggy(MemoryCalendar):
        def sync(self, cursor):
            raise ValueError("a bug")
            yield  # pragma: no cover

    outcome = sync_one(store, config, home, source, connector=Buggy())
    assert outcome["error"] == "unexpected ValueError: a bug" and not outcome["stopped"]
    assert store.query("SELECT last_error FROM cursors WHERE source = 'cal'") == [{"last_error": outcome["error"]}]
    assert "Traceback" in caplog.text


def test_a_failed_block_write_is_tried_again_later_not_dropped(world, tmp_path, monkeypatch):
    from daemon import calendar_block, loop

    store, config, home, source = world
    writes = []

    class FlakyWriter:
        def write(self, day, block):
            from connectors.records import BlockRef

            writes.append(day)
            if len(writes) == 1:
                raise OSError(28, "No space left on device")
            return BlockRef(writer="ics", remote_id=str(day))

    monkeypatch.setattr(calendar_block, "make_writer", lambda config, home, keepalive=None: FlakyWriter())
    daemon = loop.Daemon(home=home, config=config, store=store)
    morning_time = NOW.replace(hour=8)  # after the default 07:00
    daemon.run_morning(morning_time)
    assert writes and daemon.morning_retry_at > 0 and store.meta("morning_day") is None
    assert not daemon.morning_due(morning_time)  # not straight away
    daemon.morning_retry_at = 0.0
    assert daemon.morning_due(morning_time)
    daemon.run_morning(morning_time)
    assert len(writes) == 2 and store.meta("morning_day") == NOW.date().isoformat()
    assert store.query("SELECT state FROM blocks") == [{"state": "written"}]


@pytest.mark.parametrize(("marked", "due"), [("2027-03-01", True), ("2026-11-28", False), ("2026-11-26", True)])
def test_a_morning_marked_by_a_clock_set_ahead_does_not_stop_the_job_until_that_day(world, marked, due):
    # Tomorrow's mark is the date line (flown west: that day has gone by); months ahead, a clock set wrong.
    from daemon import loop

    store, config, home, _ = world
    with store.atomic():
        store.set_meta("morning_day", marked)
    daemon = loop.Daemon(home=home, config=config, store=store)
    morning_time = NOW.replace(hour=8)  # a Friday, after the default 07:00
    assert daemon.morning_due(morning_time) is due
    if due:
        daemon.run_morning(morning_time)
        assert store.meta("morning_day") == NOW.date().isoformat()
