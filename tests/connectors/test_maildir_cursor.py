"""Tests for the Maildir cursor: each file is returned once, across syncs, renames, crashes and backfills."""

from __future__ import annotations

import os
import time

import pytest
from fakes.maildir import deliver, make_folder, make_source, message, pull, subjects

import connectors.maildir as maildir_module
from connectors.base import CursorExpired
from connectors.maildir import cursor as scan_cursor


def test_second_sync_returns_only_files_that_arrived_since(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, message(1))
    source = make_source(inbox)
    _, cursor = pull(source)
    deliver(inbox, message(2))
    items, cursor = pull(source, cursor)
    assert subjects(items) == ["Message 2"]
    assert pull(source, cursor)[0] == []


def test_old_files_below_the_floor_are_not_read_again(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    week_ago = time.time() - 7 * 86400
    deliver(inbox, message(1), mtime=week_ago)
    source = make_source(inbox)
    _, cursor = pull(source)
    assert "seen" in cursor
    deliver(inbox, message(2))
    assert subjects(pull(source, cursor)[0]) == ["Message 2"]


@pytest.mark.parametrize("age_seconds", [0, 7 * 86400])
def test_message_moved_from_new_to_cur_is_not_returned_again(tmp_path, age_seconds):
    inbox = make_folder(tmp_path / "Maildir")
    path = deliver(inbox, message(1), mtime=time.time() - age_seconds)
    source = make_source(inbox)
    _, cursor = pull(source)
    os.rename(path, inbox / "cur" / (path.name + ":2,S"))
    items, cursor = pull(source, cursor)
    assert items == []
    os.rename(inbox / "cur" / (path.name + ":2,S"), inbox / "cur" / (path.name + ":2,RS"))
    assert pull(source, cursor)[0] == []


def test_message_moved_to_another_folder_is_not_returned_again(tmp_path):
    root = tmp_path / "Maildir"
    inbox = make_folder(root)
    archive = make_folder(root / ".Archive")
    path = deliver(inbox, message(1))
    source = make_source(root)
    _, cursor = pull(source)
    os.rename(path, archive / "cur" / (path.name + ":2,S"))
    assert pull(source, cursor)[0] == []


@pytest.mark.parametrize("age_seconds", [0, 7 * 86400])
def test_crash_between_batches_repeats_nothing_and_loses_nothing(tmp_path, monkeypatch, age_seconds):
    monkeypatch.setattr(maildir_module, "BATCH_SIZE", 10)
    root = tmp_path / "Maildir"
    inbox = make_folder(root)
    sent = make_folder(root / ".Sent")
    now = time.time()
    for number in range(25):
        deliver(inbox if number % 3 else sent, message(number), mtime=now - age_seconds + number)
    source = make_source(root)
    first = next(iter(source.sync(None)))  # the daemon commits this, then crashes
    assert len(first.items) == 10 and first.full_resync
    rest, cursor = pull(source, first.cursor)
    assert not {item.external_id for item in first.items} & {item.external_id for item in rest}
    assert subjects([*first.items, *rest]) == sorted(f"Message {number}" for number in range(25))
    assert pull(source, cursor)[0] == []


def test_items_come_in_the_same_order_every_time(tmp_path):
    root = tmp_path / "Maildir"
    for name in ("", ".Sent", ".Lists"):
        folder = make_folder(root / name)
        for number in range(5):
            deliver(folder, message(number), mtime=1_750_000_000)
    first = [item.external_id for item in pull(make_source(root, backfill_months=0))[0]]
    second = [item.external_id for item in pull(make_source(root, backfill_months=0))[0]]
    assert first == second and len(first) == 15


def test_files_that_vanish_or_move_during_a_sync_are_skipped_then_found(tmp_path, monkeypatch):
    monkeypatch.setattr(maildir_module, "BATCH_SIZE", 2)
    inbox = make_folder(tmp_path / "Maildir")
    paths = [deliver(inbox, message(number), mtime=1_750_000_000 + number) for number in range(6)]
    source = make_source(inbox, backfill_months=0)
    batches = source.sync(None)
    first = next(batches)
    paths[3].unlink()
    os.rename(paths[4], inbox / "cur" / (paths[4].name + ":2,S"))
    rest, cursor = [], None
    for batch in batches:
        rest.extend(batch.items)
        cursor = batch.cursor
    assert subjects([*first.items, *rest]) == ["Message 0", "Message 1", "Message 2", "Message 5"]
    assert subjects(pull(source, cursor)[0]) == ["Message 4"]


class Later:
    """``time`` as the Maildir source sees it, ``seconds`` from now (a file's ctime cannot be set back)."""

    def __init__(self, seconds: float):
        self.offset = int(seconds * 1e9)

    def time_ns(self) -> int:
        return time.time_ns() + self.offset


def test_cursor_names_files_only_within_the_late_arrival_window(tmp_path, monkeypatch):
    inbox = make_folder(tmp_path / "Maildir")
    for number in range(5):
        deliver(inbox, message(number), mtime=time.time() - 86400 + number)
    _, cursor = pull(make_source(inbox))
    assert len(scan_cursor.decode(cursor).seen) == 5  # they appeared just now, dated yesterday or not
    monkeypatch.setattr(maildir_module, "time", Later(scan_cursor.LATE_ARRIVAL_NS / 1e9 + 60))
    items, cursor = pull(make_source(inbox), cursor)
    state = scan_cursor.decode(cursor)
    assert items == [] and state.seen == frozenset()
    assert list(state.floors) == [str(inbox)]


def test_a_message_that_arrives_dated_in_the_past_after_a_sync_is_still_found(tmp_path):
    # offlineimap's utime_from_header, `cp -p`, a restored backup: the file is new, its mtime is not.
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, message(1))
    source = make_source(inbox)
    _, cursor = pull(source)
    assert scan_cursor.decode(cursor).floors[str(inbox)] > (time.time() - 86400) * 1e9
    deliver(inbox, message(2), mtime=time.time() - 86400)
    deliver(inbox, message(3), subdir="cur", flags="S", mtime=time.time() - 3 * 86400)
    assert subjects(pull(source, cursor)[0]) == ["Message 2", "Message 3"]


def test_a_version_1_cursor_is_read_as_it_was(tmp_path):
    import base64
    import json
    import zlib

    inbox = make_folder(tmp_path / "Maildir")
    kept = deliver(inbox, message(1))
    floor = time.time_ns() - 7 * 86400 * 10**9
    names = base64.b64encode(zlib.compress(kept.name.encode())).decode()
    old = json.dumps({"v": 1, "floors": {str(inbox): floor}, "seen": names})
    deliver(inbox, message(2))
    assert subjects(pull(make_source(inbox), old)[0]) == ["Message 2"]


def test_backfill_skips_old_messages_on_the_first_scan_only(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    five_years_ago = time.time() - 5 * 365 * 86400
    deliver(inbox, message(1), mtime=five_years_ago)
    old_date = message(2).replace(b"2025", b"2019")
    deliver(inbox, old_date)  # delivered now, but written long ago
    deliver(inbox, message(3))
    source = make_source(inbox, backfill_months=24)
    items, cursor = pull(source)
    assert subjects(items) == ["Message 3"]
    deliver(inbox, message(4).replace(b"2025", b"2019"))
    assert subjects(pull(source, cursor)[0]) == ["Message 4"]


def test_a_folder_added_later_gets_its_own_backfill(tmp_path):
    root = tmp_path / "Maildir"
    make_folder(root)
    source = make_source(root)
    _, cursor = pull(source)
    later = make_folder(root / ".Later")
    deliver(later, message(1), mtime=time.time() - 86400)
    assert subjects(pull(source, cursor)[0]) == ["Message 1"]


def test_nothing_new_yields_no_items(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, message(1), mtime=time.time() - 86400)
    source = make_source(inbox)
    _, cursor = pull(source)
    batches = list(source.sync(cursor))
    assert all(batch.items == () for batch in batches)


def test_unreadable_cursor_asks_for_a_full_resync(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    with pytest.raises(CursorExpired):
        pull(make_source(inbox), "not a cursor")
