"""Tests for the Maildir source, on real Maildirs in tmp_path."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

import connectors.maildir as maildir_module
from connectors.maildir import cursor as scan_cursor
from connectors.base import CursorExpired, SourceContext, SourceUnavailable, source_class
from connectors.maildir import MaildirSource
from connectors.records import Address
from rules.noise import noise_reason

SAMPLES = Path(__file__).parent.parent / "data" / "mail"
OWN = frozenset({"ada@example.com", "ada@work.example"})
_counter = iter(range(10**9))


def make_folder(path: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def deliver(folder: Path, content: bytes, *, subdir: str = "new", flags: str = "", mtime: float | None = None) -> Path:
    """Deliver like an MDA: write into tmp/, then rename into new/ (or cur/)."""
    unique = f"{1_750_000_000 + next(_counter)}.M{next(_counter)}P42Q1.testhost"
    temporary = folder / "tmp" / unique
    temporary.write_bytes(content)
    if mtime is not None:
        os.utime(temporary, (mtime, mtime))
    final = folder / subdir / (unique + (f":2,{flags}" if subdir == "cur" else ""))
    os.rename(temporary, final)
    return final


def message(number: int, *, sender: str = "bob@example.org", extra: str = "") -> bytes:
    return (
        f"From: Bob <{sender}>\nTo: ada@example.com\nSubject: Message {number}\n"
        f"Date: Tue, 01 Jul 2025 10:00:{number % 60:02d} +0000\nMessage-ID: <m{number}@example.org>\n"
        f"{extra}\nThe body, which is never read.\n"
    ).encode()


def make_source(*paths: Path | str, **options) -> MaildirSource:
    context = SourceContext(name="mail", own_addresses=OWN)
    return MaildirSource(MaildirSource.Options(path=[str(path) for path in paths], **options), context)


def pull(source: MaildirSource, cursor: str | None = None):
    """Every item of one sync and the last cursor."""
    items = []
    for batch in source.sync(cursor):
        items.extend(batch.items)
        cursor = batch.cursor
    return items, cursor


def subjects(items) -> list[str]:
    return sorted(item.subject for item in items)


def test_first_sync_returns_every_message_in_new_and_cur(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, message(1))
    deliver(inbox, message(2), subdir="cur", flags="S")
    items, cursor = pull(make_source(inbox))
    assert subjects(items) == ["Message 1", "Message 2"]
    assert cursor


def test_items_carry_the_headers_that_matter(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    path = deliver(inbox, (SAMPLES / "plain.eml").read_bytes())
    [item] = pull(make_source(inbox))[0]
    assert item.source == "mail"
    assert item.external_id == path.name
    assert item.sender == Address("bob@example.org", "Bob Builder")
    assert item.to == (Address("ada@example.com", "Ada Lovelace"),)
    assert item.subject == "Lunch next week?"
    assert item.message_id == "lunch-1@example.org"
    assert item.sent_at == datetime(2025, 7, 1, 8, 52, 37, tzinfo=timezone.utc)
    assert item.direction == "in"


def test_reply_carries_its_thread_and_parent_and_goes_out_from_an_alias(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, (SAMPLES / "reply-from-me.eml").read_bytes())
    [item] = pull(make_source(inbox))[0]
    assert item.direction == "out"
    assert item.in_reply_to == "lunch-1@example.org"
    assert item.thread_id == "lunch-1@example.org"


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


def test_same_message_in_two_folders_shares_its_message_id(tmp_path):
    root = tmp_path / "Maildir"
    inbox = make_folder(root / "INBOX")
    all_mail = make_folder(root / "[Gmail]" / "All Mail")
    deliver(inbox, message(7))
    deliver(all_mail, message(7), subdir="cur", flags="S")
    items, _ = pull(make_source(root))
    assert len(items) == 2
    assert {item.message_id for item in items} == {"m7@example.org"}
    assert len({item.external_id for item in items}) == 2


def test_maildir_plus_plus_and_nested_folders_are_all_found(tmp_path):
    plus = tmp_path / "Maildir"
    make_folder(plus)
    make_folder(plus / ".Sent")
    make_folder(plus / ".Lists.rust")
    nested = tmp_path / "Mail"
    make_folder(nested / "work" / "INBOX")
    make_folder(nested / "Archive" / "2020")
    (nested / "notes").mkdir()
    source = make_source(plus, "~/../" + os.path.relpath(nested, os.path.expanduser("~/..")))
    found = sorted(folder.relative for folder in source.folders())
    assert found == ["", ".Lists.rust", ".Sent", "Archive/2020", "work/INBOX"]


@pytest.mark.parametrize(
    ("sample", "name", "subject"),
    [
        ("rfc2047-utf8.eml", "Renée Müller", "Über das Treffen 😊"),
        ("rfc2047-latin1.eml", "Jérôme Dupré", "Café crème"),
        ("rfc2047-shift-jis.eml", "田中太郎", "日本語"),
        ("rfc2047-bogus-charset.eml", "Café", "Hello world"),
    ],
)
def test_encoded_names_and_subjects_decode_in_any_charset(tmp_path, sample, name, subject):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, (SAMPLES / sample).read_bytes())
    [item] = pull(make_source(inbox))[0]
    assert (item.sender.name, item.subject) == (name, subject)


def test_group_syntax_and_several_to_headers_give_every_recipient(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, (SAMPLES / "groups.eml").read_bytes())
    deliver(inbox, (SAMPLES / "several-to.eml").read_bytes())
    items = {item.subject: item for item in pull(make_source(inbox))[0]}
    groups, several = items["Groups"], items["Several To headers"]
    assert groups.to == ()
    assert [address.email for address in groups.cc] == ["dave@example.net", "eve@example.net", "frank@example.net"]
    assert [address.email for address in several.to] == ["ada@example.com", "bob@example.org", "dave@example.net"]


@pytest.mark.parametrize("sample", ["no-date.eml", "broken-date.eml"])
def test_missing_or_broken_date_falls_back_to_the_delivery_time(tmp_path, sample):
    inbox = make_folder(tmp_path / "Maildir")
    delivered = 1_751_000_000.5
    deliver(inbox, (SAMPLES / sample).read_bytes(), mtime=delivered)
    [item] = pull(make_source(inbox, backfill_months=0))[0]
    assert item.sent_at == datetime.fromtimestamp(delivered, timezone.utc)


def test_date_without_a_zone_is_taken_as_utc(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, (SAMPLES / "naive-date.eml").read_bytes())
    [item] = pull(make_source(inbox, backfill_months=0))[0]
    assert item.sent_at == datetime(2025, 7, 4, 9, 0, tzinfo=timezone.utc)


def test_crlf_messages_read_like_lf_ones(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, (SAMPLES / "crlf.eml").read_bytes())
    [item] = pull(make_source(inbox))[0]
    assert (item.subject, item.message_id) == ("CRLF line ends", "crlf@example.org")


def test_list_and_linkedin_headers_are_kept_for_rules_to_call_noise(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, (SAMPLES / "linkedin.eml").read_bytes())
    deliver(inbox, (SAMPLES / "auto-reply.eml").read_bytes())
    items = {item.subject: item for item in pull(make_source(inbox))[0]}
    linkedin = items["Grace just messaged you"]
    assert linkedin.header("X-LinkedIn-Class") == "INMAIL"
    assert linkedin.header("x-linkedin-template") == "messaging_digest"
    assert linkedin.header("x-linkedin-id") == "abc123"
    assert linkedin.header("list-unsubscribe") and linkedin.header("precedence") == "bulk"
    assert {name for name, _ in linkedin.headers} <= {
        "auto-submitted", "list-unsubscribe", "precedence", "x-linkedin-class", "x-linkedin-template", "x-linkedin-id",
    }  # fmt: skip
    # The connector only reads; rules decide from what it kept.
    assert noise_reason(linkedin).startswith("linkedin")
    assert noise_reason(items["Out of office"]).startswith("auto-reply")
    assert linkedin.noise == "" and items["Out of office"].noise == ""


def test_bad_files_are_skipped_and_logged_while_the_others_are_returned(tmp_path, caplog):
    inbox = make_folder(tmp_path / "Maildir")
    old = time.time() - 3600
    bad = {
        "no blank line": deliver(inbox, b"From: a@b.org\nSubject: cut short", mtime=old),
        "garbage": deliver(inbox, bytes(range(256)) * 8 + b"\n\n" + os.urandom(500), mtime=old),
        "empty": deliver(inbox, b"", mtime=old),
        "huge header": deliver(inbox, b"Subject: " + b"x" * (2 * 1024 * 1024) + b"\n\nbody", mtime=old),
        "blank first": deliver(inbox, b"\nFrom: a@b.org\n", mtime=old),
    }
    deliver(inbox, message(1))
    with caplog.at_level(logging.WARNING, logger="connectors.maildir"):
        items, cursor = pull(make_source(inbox))
    assert subjects(items) == ["Message 1"]
    for path in bad.values():
        assert str(path) in caplog.text
    caplog.clear()
    assert pull(make_source(inbox), cursor)[0] == [] and not caplog.text


def test_file_being_written_without_tmp_is_read_on_the_next_sync(tmp_path, caplog):
    inbox = make_folder(tmp_path / "Maildir")
    path = inbox / "new" / "1750000000.partial.testhost"
    path.write_bytes(b"From: a@b.org\nSubject: half")
    source = make_source(inbox)
    with caplog.at_level(logging.WARNING):
        items, cursor = pull(source)
    assert items == [] and not caplog.text
    path.write_bytes(b"From: a@b.org\nSubject: whole\n\nbody\n")
    assert subjects(pull(source, cursor)[0]) == ["whole"]


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


def test_direction_is_decided_by_the_own_addresses(tmp_path, caplog):
    root = tmp_path / "Maildir"
    inbox = make_folder(root)
    sent = make_folder(root / ".Sent")
    deliver(inbox, message(1, sender="ADA@example.com"))
    deliver(sent, message(2, sender="ada@old-job.example"))
    deliver(inbox, message(3))
    with caplog.at_level(logging.INFO, logger="connectors.maildir"):
        items = {item.subject: item.direction for item in pull(make_source(root))[0]}
    assert items == {"Message 1": "out", "Message 2": "in", "Message 3": "in"}
    assert "ada@old-job.example" in caplog.text and "[me] emails" in caplog.text


def test_cursor_names_no_files_once_they_are_older_than_the_late_arrival_window(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    for number in range(5):
        deliver(inbox, message(number), mtime=time.time() - 86400 + number)
    _, cursor = pull(make_source(inbox))
    state = scan_cursor.decode(cursor)
    assert state.seen == frozenset()
    assert list(state.floors) == [str(inbox)]


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


def test_missing_path_makes_the_source_unavailable(tmp_path):
    source = make_source(tmp_path / "nowhere")
    with pytest.raises(SourceUnavailable, match="nowhere"):
        pull(source)


def test_unreadable_cursor_asks_for_a_full_resync(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    with pytest.raises(CursorExpired):
        pull(make_source(inbox), "not a cursor")


def wait_for(event: threading.Event, seconds: float) -> bool:
    return event.wait(timeout=seconds)


def test_watcher_wakes_within_a_second_of_a_delivery(tmp_path):
    root = tmp_path / "Maildir"
    inbox = make_folder(root)
    woken = threading.Event()
    watcher = make_source(root).watch(woken.set)
    try:
        deliver(inbox, message(1))
        assert wait_for(woken, 1.5)
        woken.clear()
        # A new folder arrives whole, as a mail client's rename would bring it.
        # (Created a directory at a time, watchdog 7 warns about a benign race.)
        staged = make_folder(tmp_path / "staging" / ".Later")
        os.rename(staged, root / ".Later")
        assert wait_for(woken, 1.5)
        time.sleep(0.3)  # past the debounce of the folder's own wake-up
        woken.clear()
        deliver(root / ".Later", message(2))
        assert wait_for(woken, 1.5)
    finally:
        watcher.stop()


def test_watcher_on_a_missing_path_waits_for_it_to_appear(tmp_path):
    root = tmp_path / "Maildir"
    woken = threading.Event()
    watcher = make_source(root).watch(woken.set)
    try:
        inbox = make_folder(root)
        assert wait_for(woken, 1.5)
        woken.clear()
        time.sleep(0.3)  # let the watcher move from the parent to the new root
        woken.clear()
        deliver(inbox, message(1))
        assert wait_for(woken, 1.5)
    finally:
        watcher.stop()
    assert not watcher._observer.is_alive()


def test_source_is_registered_and_its_options_are_documented():
    assert source_class("maildir") is MaildirSource
    assert MaildirSource.kind == "mail"
    options = MaildirSource.Options()
    assert options.backfill_months == 24 and "Sent" in options.sent_folders
    for option in MaildirSource.Options.__dataclass_fields__.values():
        assert option.metadata["doc"]
