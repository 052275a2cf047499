"""Tests for the .ics calendar source: parsing, recurrences, incremental sync, watching."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.base import CursorExpired, SourceContext, SourceUnavailable
from connectors.ics import IcsBlockWriter, IcsSource
from connectors.ics.reader import HOLD_SECONDS
from connectors.records import Attendee, Block

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"
BERLIN = ZoneInfo("Europe/Berlin")
STANDUP = "040000008200E00074C5B7101A82E00800000000-standup"


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_source(*paths, clock=None, zone="Europe/Berlin") -> IcsSource:
    context = SourceContext(name="calendar", timezone=zone, now=clock or Clock(datetime(2026, 3, 1, 12, tzinfo=UTC)))
    return IcsSource(IcsSource.Options(path=[str(path) for path in paths]), context)


def copy(name: str, folder: Path, age_seconds: float = 60) -> Path:
    """A data file copied into ``folder``, its mtime in the past (settled)."""
    target = folder / name
    shutil.copy(DATA / name, target)
    settle(target, age_seconds)
    return target


def settle(path: Path, age_seconds: float = 60) -> None:
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))


def pull(source: IcsSource, cursor: str | None = None):
    batches = list(source.sync(cursor))
    items = [item for batch in batches for item in batch.items]
    return items, (batches[-1].cursor if batches else cursor), batches


def by_id(items):
    return {item.external_id: item for item in items}


def test_google_export_keeps_its_local_time_across_the_dst_change(tmp_path):
    items, _, _ = pull(make_source(copy("google_export.ics", tmp_path)))
    weekly = sorted((i for i in items if i.series_id == "weekly-sync@google.com"), key=lambda i: i.start)
    assert len(weekly) == 6
    assert all(item.start.astimezone(BERLIN).hour == 9 for item in weekly)
    assert weekly[0].start == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert weekly[-1].start == datetime(2026, 4, 6, 7, tzinfo=UTC)
    assert weekly[0].external_id == "weekly-sync@google.com/2026-03-02T08:00:00+00:00"
    assert weekly[0].end - weekly[0].start == timedelta(minutes=30)


def test_attendees_have_addresses_names_and_response_statuses(tmp_path):
    items = by_id(pull(make_source(copy("google_export.ics", tmp_path)))[0])
    weekly = items["weekly-sync@google.com/2026-03-09T08:00:00+00:00"]
    assert weekly.organizer == Attendee("ada@example.com", "Ada Lovelace", "organizer")
    assert weekly.attendees == (
        Attendee("ada@example.com", "Ada Lovelace", "accepted"),
        Attendee("grace@navy.example", "Grace Hopper", "needsAction"),
    )
    assert weekly.created == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert weekly.updated == datetime(2026, 2, 15, 10, tzinfo=UTC)
    assert weekly.title == "Weekly sync" and weekly.status == "confirmed" and not weekly.ours
    coffee = items["coffee@google.com"]
    assert coffee.attendees == (Attendee("alan@example.org", "Alan Turing", "tentative"),)
    # No LAST-MODIFIED, and the file has METHOD:PUBLISH: its DTSTAMP is when it was exported,
    # not when the event changed (RFC 5545 3.8.7.2), so nothing says it changed.
    assert coffee.updated is None


def test_dtstamp_is_the_last_change_only_in_a_calendar_without_method(tmp_path):
    path = copy("google_export.ics", tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("METHOD:PUBLISH\r\n", "").replace("METHOD:PUBLISH\n", ""),
                    encoding="utf-8")
    coffee = by_id(pull(make_source(path))[0])["coffee@google.com"]
    assert coffee.updated == datetime(2026, 3, 1, tzinfo=UTC)


def test_all_day_events_are_not_calls_and_are_skipped(tmp_path):
    items, _, _ = pull(make_source(copy("google_export.ics", tmp_path)))
    assert not [item for item in items if item.series_id == "holiday@google.com"]


def test_exchange_windows_zone_names_are_understood(tmp_path):
    items = by_id(pull(make_source(copy("exchange.ics", tmp_path)))[0])
    first = items[f"{STANDUP}/2026-03-03T09:00:00+00:00"]
    assert first.start == datetime(2026, 3, 3, 9, tzinfo=UTC)  # 10:00 CET
    after_dst = items[f"{STANDUP}/2026-03-31T08:00:00+00:00"]
    assert after_dst.start.astimezone(BERLIN).hour == 10  # 10:00 CEST
    assert [a.status for a in first.attendees] == ["declined", "tentative", "accepted"]
    assert first.organizer == Attendee("ada@work.example", "Lovelace, Ada", "organizer")


def test_excluded_instance_is_absent_and_moved_instance_keeps_its_id(tmp_path):
    items = by_id(pull(make_source(copy("exchange.ics", tmp_path)))[0])
    standups = sorted(i.external_id for i in items.values() if i.series_id == STANDUP)
    assert [identifier.split("/")[1][:10] for identifier in standups] == [
        "2026-03-03", "2026-03-10", "2026-03-24", "2026-03-31",
    ]
    moved = items[f"{STANDUP}/2026-03-10T09:00:00+00:00"]
    assert moved.start == datetime(2026, 3, 10, 13, tzinfo=UTC)
    assert moved.title == "Team stand-up (moved)"


def test_cancelled_event_has_status_cancelled(tmp_path):
    items = by_id(pull(make_source(copy("exchange.ics", tmp_path)))[0])
    assert items["040000008200E00074C5B7101A82E00800000000-cancelled"].status == "cancelled"


def test_floating_times_are_read_in_the_user_zone(tmp_path):
    path = copy("exchange.ics", tmp_path)
    berlin = by_id(pull(make_source(path))[0])["floating-reading@example.com"]
    tokyo = by_id(pull(make_source(path, zone="Asia/Tokyo"))[0])["floating-reading@example.com"]
    assert berlin.start == datetime(2026, 3, 6, 16, tzinfo=UTC)
    assert tokyo.start == datetime(2026, 3, 6, 8, tzinfo=UTC)


def test_our_own_block_file_is_recognised(tmp_path):
    path = tmp_path / "connect5.ics"
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    block = Block(date(2026, 3, 2), "Connect 5", start, 5, "Ada, Grace", "<p>Ada</p>", timezone="Europe/Berlin")
    IcsBlockWriter(IcsBlockWriter.Options(path=str(path))).write(date(2026, 3, 2), block)
    settle(path)
    items, _, _ = pull(make_source(path))
    assert items and all(item.ours for item in items)
    assert by_id(items)["connect5-block@connect5.local/2026-03-02T08:00:00+00:00"].title == "Connect 5"


def test_a_broken_file_is_logged_and_skipped_while_a_good_one_is_read(tmp_path, caplog):
    broken = copy("broken.ics", tmp_path)
    copy("google_export.ics", tmp_path)
    items, cursor, _ = pull(make_source(tmp_path))
    assert {item.series_id for item in items} == {"weekly-sync@google.com", "coffee@google.com"}
    assert str(broken) in caplog.text and "cannot be parsed" in caplog.text
    assert str(broken) in json.loads(cursor)["files"]  # this version of it is not read again
    assert pull(make_source(tmp_path), cursor)[2] == []


def test_a_file_being_written_is_retried_next_sync(tmp_path):
    path = tmp_path / "meetings.ics"
    shutil.copy(DATA / "broken.ics", path)  # fresh mtime: looks half-written
    items, cursor, _ = pull(make_source(tmp_path))
    assert items == [] and str(path) not in json.loads(cursor)["files"]
    shutil.copy(DATA / "google_export.ics", path)
    items, cursor, _ = pull(make_source(tmp_path), cursor)
    assert {item.series_id for item in items} == {"weekly-sync@google.com", "coffee@google.com"}


def test_a_vdir_folder_reads_every_ics_file_in_it(tmp_path):
    vdir = tmp_path / "calendar"
    vdir.mkdir()
    copy("google_export.ics", vdir)
    copy("exchange.ics", vdir)
    (vdir / "notes.txt").write_text("not a calendar")
    hidden = vdir / ".hidden"
    hidden.mkdir()
    shutil.copy(DATA / "broken.ics", hidden / "x.ics")
    items, _, _ = pull(make_source(vdir))
    assert {"weekly-sync@google.com", STANDUP} <= {item.series_id for item in items}


def test_unchanged_files_are_not_read_again(tmp_path):
    google = copy("google_export.ics", tmp_path)
    copy("exchange.ics", tmp_path)
    _, cursor, _ = pull(make_source(tmp_path))
    assert pull(make_source(tmp_path), cursor)[2] == []
    google.write_bytes(google.read_bytes().replace(b"Coffee with Alan", b"Tea with Alan"))
    settle(google, 30)
    items, _, batches = pull(make_source(tmp_path), cursor)
    assert {item.series_id for item in items} == {"weekly-sync@google.com", "coffee@google.com"}
    assert by_id(items)["coffee@google.com"].title == "Tea with Alan"
    assert not any(batch.full_resync for batch in batches)


def test_an_event_removed_from_a_file_comes_back_cancelled_once_held_long_enough(tmp_path):
    path = copy("exchange.ics", tmp_path)
    clock = Clock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    _, cursor, _ = pull(make_source(path, clock=clock))
    text = path.read_text()
    path.write_text(text.replace("EXDATE;TZID=W. Europe Standard Time:20260317T100000",
                                 "EXDATE;TZID=W. Europe Standard Time:20260317T100000,20260324T100000"))
    settle(path, 30)
    items, cursor, _ = pull(make_source(path, clock=clock), cursor)
    items = by_id(items)
    assert f"{STANDUP}/2026-03-24T09:00:00+00:00" not in items  # held: it may turn up in another file
    assert items[f"{STANDUP}/2026-03-31T08:00:00+00:00"].status == "confirmed"
    clock.now += timedelta(seconds=HOLD_SECONDS)
    items = by_id(pull(make_source(path, clock=clock), cursor)[0])
    gone = items[f"{STANDUP}/2026-03-24T09:00:00+00:00"]
    assert gone.status == "cancelled" and gone.start == datetime(2026, 3, 24, 9, tzinfo=UTC)


def test_a_file_deleted_from_a_folder_cancels_its_future_items_once_held_long_enough(tmp_path):
    path = copy("google_export.ics", tmp_path)
    copy("exchange.ics", tmp_path)
    clock = Clock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    _, cursor, _ = pull(make_source(tmp_path, clock=clock))
    path.unlink()
    items, cursor, _ = pull(make_source(tmp_path, clock=clock), cursor)
    assert items == [] and str(path) not in json.loads(cursor)["files"]
    clock.now += timedelta(seconds=HOLD_SECONDS)
    items, cursor, _ = pull(make_source(tmp_path, clock=clock), cursor)
    assert len(items) == 7 and all(item.status == "cancelled" for item in items)
    assert json.loads(cursor)["held"] == {}


def test_a_new_day_reads_the_files_again_so_the_window_moves(tmp_path):
    copy("google_export.ics", tmp_path)
    clock = Clock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    _, cursor, _ = pull(make_source(tmp_path, clock=clock))
    clock.now += timedelta(hours=3)
    assert pull(make_source(tmp_path, clock=clock), cursor)[2] == []
    clock.now += timedelta(days=1)
    items, _, _ = pull(make_source(tmp_path, clock=clock), cursor)
    assert len(items) == 7


def test_a_missing_path_is_unavailable_after_the_others_are_synced(tmp_path):
    copy("google_export.ics", tmp_path)
    batches = []
    with pytest.raises(SourceUnavailable, match="nowhere.ics"):
        for batch in make_source(tmp_path / "google_export.ics", tmp_path / "nowhere.ics").sync(None):
            batches.append(batch)
    assert sum(len(batch.items) for batch in batches) == 7


def test_a_vanished_folder_does_not_cancel_its_meetings(tmp_path):
    vdir = tmp_path / "mounted"
    vdir.mkdir()
    copy("google_export.ics", vdir)
    _, cursor, _ = pull(make_source(vdir))
    shutil.rmtree(vdir)
    batches = []
    with pytest.raises(SourceUnavailable):
        for batch in make_source(vdir).sync(cursor):
            batches.append(batch)
    assert batches == []


def test_an_unreadable_cursor_asks_for_a_full_resync(tmp_path):
    source = make_source(copy("google_export.ics", tmp_path))
    with pytest.raises(CursorExpired):
        list(source.sync("not json"))
    with pytest.raises(CursorExpired):
        list(source.sync(json.dumps({"version": 99, "files": {}})))
    for held in ([], {"call@example.org": "2026-03-10T14:00:00+00:00"}):
        with pytest.raises(CursorExpired):
            list(source.sync(json.dumps({"version": 1, "files": {}, "held": held})))


def test_the_first_sync_is_a_full_resync_even_with_no_files(tmp_path):
    [batch] = pull(make_source(tmp_path))[2]
    assert batch.full_resync and batch.items == ()
    assert pull(make_source(tmp_path), batch.cursor)[2] == []


def test_the_watcher_wakes_within_a_second_of_a_change(tmp_path):
    path = copy("google_export.ics", tmp_path)
    woken = threading.Event()
    watcher = make_source(path).watch(woken.set)
    try:
        time.sleep(0.1)
        path.write_bytes(path.read_bytes() + b"\r\n")
        assert woken.wait(1.5)
    finally:
        watcher.stop()


def test_the_watcher_ignores_other_files_in_the_folder(tmp_path):
    path = copy("google_export.ics", tmp_path)
    woken = threading.Event()
    watcher = make_source(path).watch(woken.set)
    try:
        time.sleep(0.1)
        (tmp_path / "unrelated.txt").write_text("hello")
        assert not woken.wait(0.6)
    finally:
        watcher.stop()


def test_a_series_that_cannot_be_expanded_is_logged_and_the_rest_kept(tmp_path, caplog):
    path = copy("bad_rule.ics", tmp_path)
    items = by_id(pull(make_source(path))[0])
    assert "good@example.com" in items and "bad-rule@example.com" not in items
    assert str(path) in caplog.text and "skipping the series" in caplog.text


def test_a_vdir_of_many_files_is_read_in_few_batches_and_not_again(tmp_path):
    vdir = tmp_path / "vdir"
    vdir.mkdir()
    for number in range(120):
        path = vdir / f"event-{number}.ics"
        path.write_text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:event-{number}@example.org\r\nDTSTAMP:20260301T090000Z\r\n"
            f"DTSTART:202603{10 + number % 15:02d}T1{number % 8}0000Z\r\nDURATION:PT30M\r\n"
            f"SUMMARY:Call {number}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", encoding="utf-8")
        settle(path)
    source = make_source(vdir)
    items, cursor, batches = pull(source)
    assert len(items) == 120 and len(batches) == 1  # one cursor for all 120 files, not one each
    assert pull(make_source(vdir), cursor)[0] == []


def test_a_vdir_file_named_in_capitals_is_read(tmp_path):
    vdir = tmp_path / "vdir"
    vdir.mkdir()
    path = copy("google_export.ics", vdir)
    path.rename(vdir / "EXPORT.ICS")
    items = pull(make_source(vdir))[0]
    assert "coffee@google.com" in by_id(items)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_a_calendar_saved_in_latin_1_or_utf_16_keeps_its_accents(tmp_path, encoding):
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:accents@example.org\r\n"
            "DTSTAMP:20260301T090000Z\r\nDTSTART:20260310T140000Z\r\nDURATION:PT30M\r\n"
            "SUMMARY:Réunion avec José Núñez\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    path = tmp_path / "old.ics"
    path.write_bytes(text.encode(encoding))
    settle(path)
    (item,) = pull(make_source(path))[0]
    assert item.title == "Réunion avec José Núñez"


def test_a_cursor_written_before_held_ids_existed_is_still_read(tmp_path):
    copy("google_export.ics", tmp_path)
    _, cursor, _ = pull(make_source(tmp_path))
    state = json.loads(cursor)
    del state["held"]
    items, _, batches = pull(make_source(tmp_path), json.dumps(state))
    assert items == [] and not any(batch.full_resync for batch in batches)


def test_a_calendar_that_does_not_parse_yet_asks_to_be_read_again_once_settled(tmp_path):
    from connectors.ics.reader import SETTLE_SECONDS

    path = tmp_path / "half.ics"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026")
    batches = list(make_source(path).sync(None))
    assert batches and 0 < batches[-1].retry_in <= SETTLE_SECONDS + 1
