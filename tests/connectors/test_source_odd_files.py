"""Files as machines leave them: a name that is not UTF-8, a mode that shuts us out for a while,
a modification time ahead of the clock, and the watcher's own reads."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from fakes.maildir import deliver, make_folder, make_source, message, pull, subjects
from fakes.unprivileged import run_python

from connectors.base import SourceContext
from connectors.ics import IcsSource
from connectors.ics.watch import DEBOUNCE_SECONDS, FolderWatcher
from connectors.maildir.cursor import FolderScan
from connectors.maildir.folders import find_folders, list_entries


def test_a_file_name_that_is_not_utf8_is_read_with_a_stable_text_id(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    latin1 = os.path.join(os.fsencode(inbox / "new"), b"1900000050.M1P1.h\xe9te")
    with open(latin1, "wb") as handle:
        handle.write(message(1))
    items, cursor = pull(make_source(inbox))
    [item] = items
    assert item.external_id == "1900000050.M1P1.h\\xe9te"
    item.external_id.encode("utf-8")  # what SQLite takes: no lone surrogates
    assert pull(make_source(inbox), cursor)[0] == []


def pull_unprivileged(inbox: Path, prelude: str = "") -> tuple[str, str, str]:
    """The subjects and cursor of a first sync of ``inbox`` as a user whom file modes bind
    (root reads mode 000 regardless), and what it logged."""
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent.parent)!r})\n{prelude}\n"
            f"from fakes.maildir import make_source, pull, subjects\nfrom pathlib import Path\n"
            f"items, cursor = pull(make_source(Path({str(inbox)!r})))\nprint(subjects(items))\nprint(cursor)\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    seen, cursor = result.stdout.splitlines()
    return seen, cursor, result.stderr


def test_a_message_unreadable_for_a_while_is_read_once_its_mode_allows(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    shut = deliver(inbox, message(1), mtime=time.time() - 3600)
    deliver(inbox, message(2), mtime=time.time() - 3600)
    shut.chmod(0)
    # The other message comes, this one waits.
    seen, cursor, said = pull_unprivileged(inbox)
    assert seen == "['Message 2']" and "cannot read it yet" in said
    shut.chmod(0o600)
    assert subjects(pull(make_source(inbox), cursor)[0]) == ["Message 1"]


def test_a_message_unreadable_for_long_is_skipped_for_good_so_the_cursor_moves_on(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    shut = deliver(inbox, message(1), mtime=time.time() - 3600)
    shut.chmod(0)
    # No grace left (as for a file that changed over an hour ago; a test cannot age its ctime).
    no_grace = "import connectors.maildir\nconnectors.maildir.UNREADABLE_GRACE_NS = 0"
    seen, cursor, said = pull_unprivileged(inbox, no_grace)
    assert seen == "[]" and "cannot read it (Permission denied)" in said
    shut.chmod(0o600)
    assert pull(make_source(inbox), cursor)[0] == []  # handled: `sync --again` reads it


def test_a_broken_calendar_with_a_time_ahead_is_skipped_not_awaited(tmp_path):
    broken = tmp_path / "cal.ics"
    broken.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:cut\n")
    ahead = time.time() + 86400  # synced from a clock a day ahead
    os.utime(broken, (ahead, ahead))
    context = SourceContext(name="calendar", timezone="UTC", now=lambda: datetime(2026, 3, 2, 12, tzinfo=UTC))
    batches = list(IcsSource(IcsSource.Options(path=[str(broken)]), context).sync(None))
    assert batches[-1].retry_in is None
    assert any("cannot be parsed" in reason for batch in batches for _, reason in batch.skipped)


def test_the_calendar_watcher_is_not_woken_by_a_file_being_read(tmp_path):
    calendar = tmp_path / "cal.ics"
    calendar.write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    woken = threading.Event()
    watcher = FolderWatcher([tmp_path], woken.set)
    try:
        time.sleep(0.2)
        for _ in range(3):
            calendar.read_bytes()  # what each sync does
        assert not woken.wait(DEBOUNCE_SECONDS * 4)
        calendar.write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n\n")
        assert woken.wait(5)
    finally:
        watcher.stop()


def test_a_skipped_file_whose_name_is_not_utf8_is_noted_for_status(tmp_path):
    from daemon.store import open_store

    store = open_store(tmp_path / "connect5.db")
    with store.atomic():
        store.note_skipped("mail", os.fsdecode(b"/mail/new/h\xe9te"), "not a mail message")
    count, rows = store.skipped_inputs("mail")
    assert count == 1 and rows[0]["message"].startswith("/mail/new/h\\xe9te: not a mail message")


def test_a_folder_whose_cur_cannot_be_listed_keeps_its_floor_until_it_can(tmp_path):
    # Its messages may be older than the floor would move to (the last ten minutes are
    # always read again, so a test cannot wait for that): the listing says it is partial.
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, message(1), subdir="cur", flags="S")
    deliver(inbox, message(2))
    (inbox / "cur").chmod(0)
    code = ("from connectors.maildir import folders\n"
            f"[folder] = folders.find_folders({str(inbox)!r})\nentries, complete = folders.list_entries(folder)\n"
            "folders.UNREADABLE_GRACE_NS = 0  # shut for over an hour (a test cannot age a ctime): given up on\n"
            "print(len(entries), complete, folders.list_entries(folder)[1])\n")
    try:
        result = run_python(code)
    finally:
        (inbox / "cur").chmod(0o700)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "False", "True"] and "Cannot list" in result.stderr
    [folder] = find_folders(str(inbox))
    entries, complete = list_entries(folder)
    assert (len(entries), complete) == (2, True)
    settled = time.time_ns()
    assert FolderScan(folder, entries[:1], 5, False, frozenset(), complete=False).next_floor(settled) == 5
    assert FolderScan(folder, entries, 5, False, frozenset()).next_floor(settled) > 5


def _woken_by(woken: threading.Event, change) -> bool:
    woken.clear()
    change()
    return woken.wait(5)


def test_a_vdir_deleted_and_made_again_is_watched_again(tmp_path):
    import shutil

    vdir = tmp_path / "calendars" / "work"
    vdir.mkdir(parents=True)
    (vdir / "a.ics").write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    woken = threading.Event()
    watcher = FolderWatcher([vdir], woken.set)
    try:
        time.sleep(0.2)
        assert _woken_by(woken, lambda: shutil.rmtree(vdir))
        assert _woken_by(woken, lambda: vdir.mkdir())
        time.sleep(DEBOUNCE_SECONDS * 2)
        assert _woken_by(woken, lambda: (vdir / "b.ics").write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n"))
    finally:
        watcher.stop()


def test_a_calendar_file_whose_folder_comes_later_is_watched_from_then(tmp_path):
    calendar = tmp_path / "synced" / "personal" / "cal.ics"
    woken = threading.Event()
    watcher = FolderWatcher([calendar], woken.set)
    try:
        time.sleep(0.2)
        assert _woken_by(woken, lambda: calendar.parent.mkdir(parents=True))
        time.sleep(DEBOUNCE_SECONDS * 2)
        assert _woken_by(woken, lambda: calendar.write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n"))
        time.sleep(DEBOUNCE_SECONDS * 2)
        assert _woken_by(woken, lambda: calendar.write_text("BEGIN:VCALENDAR\n\nEND:VCALENDAR\n"))
        time.sleep(DEBOUNCE_SECONDS * 2)
        woken.clear()
        (calendar.parent / "notes.txt").write_text("x")
        assert not woken.wait(DEBOUNCE_SECONDS * 4)
    finally:
        watcher.stop()


def test_a_calendar_files_folder_swapped_for_another_is_watched_again(tmp_path):
    calendar = tmp_path / "calA" / "personal.ics"
    calendar.parent.mkdir()
    calendar.write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    fresh = tmp_path / "calNew"
    fresh.mkdir()
    (fresh / "personal.ics").write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    woken = threading.Event()
    watcher = FolderWatcher([calendar], woken.set)
    try:
        time.sleep(0.2)
        swap = lambda: (calendar.parent.rename(tmp_path / "calA.old"), fresh.rename(tmp_path / "calA"))  # noqa: E731
        assert _woken_by(woken, swap)
        time.sleep(DEBOUNCE_SECONDS * 2)
        assert _woken_by(woken, lambda: calendar.write_text("BEGIN:VCALENDAR\n\nEND:VCALENDAR\n"))
    finally:
        watcher.stop()
