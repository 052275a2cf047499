"""The .ics source when a meeting moves (to another file of a vdir, or past the read
window), or when its calendar leaves the config.

None of these is a cancellation. Every test drives ``IcsSource.sync`` the way the daemon
does: each sync gets the cursor of the previous one's last batch, the clock moves
between them, and the files are real files in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.base import SourceContext
from connectors.ics import IcsSource
from connectors.ics.reader import HOLD_SECONDS

MONDAY = datetime(2026, 3, 2, 12, tzinfo=UTC)
CALL = datetime(2026, 3, 10, 14, tzinfo=UTC)
FAR = datetime(2026, 9, 15, 14, tzinfo=UTC)  # past the default 120 days ahead


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Daemon:
    """Syncs a source as the daemon does: the cursor of each sync's last batch is the next one's."""

    def __init__(self, *paths: Path):
        self.clock = Clock(MONDAY)
        context = SourceContext(name="calendar", timezone="Europe/Berlin", now=self.clock)
        self.source = IcsSource(IcsSource.Options(path=[str(path) for path in paths]), context)
        self.cursor: str | None = None

    def sync(self, after: timedelta = timedelta(seconds=5)) -> list:
        """Every item of one sync ``after`` the previous one, in the order the daemon stores them."""
        self.clock.now += after
        items = []
        for batch in self.source.sync(self.cursor):
            items.extend(batch.items)
            self.cursor = batch.cursor
        return items


def event(uid: str, start: datetime, *, recurrence_id: str = "", rule: str = "") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260301T090000Z", f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
             "DURATION:PT30M", "SUMMARY:Call with Grace", "ORGANIZER:mailto:ada@example.com",
             "ATTENDEE;PARTSTAT=ACCEPTED:mailto:grace@navy.example"]
    lines += [f"RECURRENCE-ID:{recurrence_id}"] if recurrence_id else []
    lines += [f"RRULE:{rule}"] if rule else []
    return "\r\n".join([*lines, "END:VEVENT"]) + "\r\n"


def write(path: Path, *events: str) -> Path:
    """A calendar file, its mtime in the past (settled, as after vdirsyncer wrote it)."""
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(events)
                    + "END:VCALENDAR\r\n", encoding="utf-8")
    moment = time.time() - 60
    os.utime(path, (moment, moment))
    return path


def cancelled(items: list) -> list[str]:
    """The ids read as cancelled, even if a later item of the same sync confirms them again."""
    return sorted({item.external_id for item in items if item.status == "cancelled"})


def latest(items: list) -> dict:
    return {item.external_id: item for item in items}


def vdir_with_the_call(tmp_path: Path) -> tuple[Daemon, Path]:
    folder = tmp_path / "calendar"
    folder.mkdir()
    old = write(folder / "a1b2c3.ics", event("call@example.org", CALL))
    write(folder / "other.ics", event("other@example.org", CALL + timedelta(days=1)))
    daemon = Daemon(folder)
    assert set(latest(daemon.sync())) == {"call@example.org", "other@example.org"}
    return daemon, old


def test_an_event_renamed_to_another_file_in_one_sync_keeps_its_meeting(tmp_path):
    daemon, old = vdir_with_the_call(tmp_path)
    write(old.with_name("call@example.org.ics"), event("call@example.org", CALL))
    old.unlink()
    items = daemon.sync()
    assert cancelled(items) == [] and latest(items)["call@example.org"].start == CALL
    assert cancelled(daemon.sync(timedelta(seconds=HOLD_SECONDS + 60))) == []


def test_an_event_whose_new_file_lands_a_sync_after_the_old_one_went_is_not_cancelled(tmp_path):
    daemon, old = vdir_with_the_call(tmp_path)
    old.unlink()
    assert cancelled(daemon.sync()) == []
    write(old.with_name("call@example.org.ics"), event("call@example.org", CALL))
    items = daemon.sync()
    assert cancelled(items) == [] and latest(items)["call@example.org"].status == "confirmed"
    assert cancelled(daemon.sync(timedelta(seconds=HOLD_SECONDS + 60))) == []


def test_an_event_whose_new_file_landed_a_sync_before_the_old_one_goes_is_not_cancelled(tmp_path):
    daemon, old = vdir_with_the_call(tmp_path)
    write(old.with_name("call@example.org.ics"), event("call@example.org", CALL))
    assert cancelled(daemon.sync()) == []
    old.unlink()
    assert cancelled(daemon.sync()) == []
    assert cancelled(daemon.sync(timedelta(seconds=HOLD_SECONDS + 60))) == []


def test_an_event_moved_between_two_vdirs_is_not_cancelled(tmp_path):
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    old = write(work / "call.ics", event("call@example.org", CALL))
    daemon = Daemon(work, home)
    daemon.sync()
    old.unlink()
    assert cancelled(daemon.sync()) == []
    write(home / "call.ics", event("call@example.org", CALL))
    assert cancelled(daemon.sync(timedelta(minutes=3))) == []
    assert cancelled(daemon.sync(timedelta(seconds=HOLD_SECONDS + 60))) == []


def test_a_deleted_event_reads_as_cancelled_once_missing_from_every_file_for_the_hold(tmp_path):
    daemon, old = vdir_with_the_call(tmp_path)
    old.unlink()
    assert cancelled(daemon.sync()) == []
    assert cancelled(daemon.sync(timedelta(seconds=HOLD_SECONDS // 2))) == []
    items = daemon.sync(timedelta(seconds=HOLD_SECONDS))
    assert cancelled(items) == ["call@example.org"] and latest(items)["call@example.org"].start == CALL
    assert daemon.sync(timedelta(seconds=HOLD_SECONDS)) == []  # said once


def test_a_call_moved_past_the_read_window_is_rescheduled_not_cancelled(tmp_path):
    path = write(tmp_path / "calendar.ics", event("call@example.org", CALL))
    daemon = Daemon(path)
    daemon.sync()
    write(path, event("call@example.org", FAR))
    call = latest(daemon.sync())["call@example.org"]
    assert call.start == FAR and call.status == "confirmed"
    assert cancelled(daemon.sync(timedelta(seconds=HOLD_SECONDS + 60))) == []
    items = daemon.sync(timedelta(days=1))  # the next day's re-read still knows where it went
    assert latest(items)["call@example.org"].start == FAR and cancelled(items) == []


def test_a_moved_instance_of_a_series_past_the_window_keeps_its_id_and_is_not_cancelled(tmp_path):
    weekly = event("weekly@example.org", CALL, rule="FREQ=WEEKLY;COUNT=4")
    path = write(tmp_path / "calendar.ics", weekly)
    daemon = Daemon(path)
    second = f"weekly@example.org/{CALL + timedelta(days=7):%Y-%m-%dT%H:%M:%S}+00:00"
    assert second in latest(daemon.sync())
    write(path, weekly, event("weekly@example.org", FAR, recurrence_id=f"{CALL + timedelta(days=7):%Y%m%dT%H%M%SZ}"))
    items = daemon.sync()
    assert latest(items)[second].start == FAR and cancelled(items) == []
    assert cancelled(daemon.sync(timedelta(seconds=HOLD_SECONDS + 60))) == []


def test_a_call_renamed_to_another_file_and_moved_past_the_window_is_rescheduled(tmp_path):
    daemon, old = vdir_with_the_call(tmp_path)
    old.unlink()
    assert cancelled(daemon.sync()) == []
    write(old.with_name("call@example.org.ics"), event("call@example.org", FAR))
    items = daemon.sync()
    assert latest(items)["call@example.org"].start == FAR and cancelled(items) == []
    assert cancelled(daemon.sync(timedelta(seconds=HOLD_SECONDS + 60))) == []


def test_a_call_moved_past_the_window_and_then_deleted_is_cancelled(tmp_path):
    path = write(tmp_path / "calendar.ics", event("call@example.org", CALL))
    daemon = Daemon(path)
    daemon.sync()
    write(path, event("call@example.org", FAR))
    daemon.sync()
    write(path, event("other@example.org", CALL))
    assert cancelled(daemon.sync()) == []
    items = daemon.sync(timedelta(seconds=HOLD_SECONDS + 60))
    assert cancelled(items) == ["call@example.org"] and latest(items)["call@example.org"].start == FAR


def test_a_deleted_file_of_many_meetings_is_cancelled_in_batches_a_crash_resumes(tmp_path):
    folder = tmp_path / "calendar"
    folder.mkdir()
    old = write(folder / "hourly.ics", event("hourly@example.org", CALL, rule="FREQ=HOURLY;COUNT=1200"))
    daemon = Daemon(folder)
    daemon.sync()
    old.unlink()
    assert daemon.sync() == []
    held = daemon.cursor
    daemon.clock.now += timedelta(seconds=HOLD_SECONDS)
    batches = list(daemon.source.sync(held))
    assert [len(batch.items) for batch in batches] == [500, 500, 200]
    assert all(item.status == "cancelled" for batch in batches for item in batch.items)
    # Until the last batch is stored, the cursor still holds them all: a crash cancels them again.
    assert [len(json.loads(batch.cursor)["held"]) for batch in batches] == [1200, 1200, 0]
    assert len(list(daemon.source.sync(batches[0].cursor))) == 3
    assert list(daemon.source.sync(batches[-1].cursor)) == []


def test_a_sync_holding_missing_ids_asks_to_come_back_when_the_hold_ends(tmp_path):
    daemon, old = vdir_with_the_call(tmp_path)
    old.unlink()
    batches = list(daemon.source.sync(daemon.cursor))
    assert batches and HOLD_SECONDS - 5 < batches[-1].retry_in <= HOLD_SECONDS + 1


def test_a_calendar_taken_out_of_the_config_keeps_its_meetings_as_they_were(tmp_path):
    work, home = tmp_path / "work.ics", tmp_path / "home.ics"
    write(work, event("call@example.org", CALL))
    write(home, event("other@example.org", CALL + timedelta(days=1)))
    daemon = Daemon(work, home)
    assert set(latest(daemon.sync())) == {"call@example.org", "other@example.org"}
    # The user edits path = [work, home] down to [home]; the daemon reloads with the same cursor.
    context = SourceContext(name="calendar", timezone="Europe/Berlin", now=daemon.clock)
    daemon.source = IcsSource(IcsSource.Options(path=[str(home)]), context)
    assert daemon.sync() == []
    assert daemon.sync(timedelta(seconds=HOLD_SECONDS + 60)) == []  # nothing cancelled, ever
    assert str(work) not in json.loads(daemon.cursor)["files"]
