"""Tests for the Maildir source, on real Maildirs in tmp_path: reading, headers, bad files, watching.

How far a sync has read (the cursor, backfill, renames, crashes) is in test_maildir_cursor.py.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timezone

import pytest
from fakes.maildir import SAMPLES, deliver, make_folder, make_source, message, pull, subjects

from connectors.base import SourceContext, SourceUnavailable, source_class
from connectors.maildir import MaildirSource
from connectors.records import Address
from rules.noise import noise_reason



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
        "body without a blank line": deliver(inbox, b"From: a@b.org\nSubject: cut short\nbody text here\n", mtime=old),
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


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n"])
def test_a_settled_message_of_headers_only_without_a_blank_line_is_read(tmp_path, caplog, ending):
    # RFC 5322 3.5: the body, and so the blank line, are optional.
    inbox = make_folder(tmp_path / "Maildir")
    text = b"From: Bob <bob@example.org>\nTo: ada@example.com\nSubject: no body,\n folded\nMessage-ID: <nb@b.org>"
    deliver(inbox, text.replace(b"\n", ending or b"\n") + ending, mtime=time.time() - 3600)
    with caplog.at_level(logging.WARNING, logger="connectors.maildir"):
        [item] = pull(make_source(inbox))[0]
    assert (item.subject, item.message_id, item.sender) == ("no body, folded", "nb@b.org", Address("bob@example.org", "Bob"))
    assert not caplog.text


def test_a_settled_header_only_file_that_is_not_mail_is_still_skipped(tmp_path, caplog):
    inbox = make_folder(tmp_path / "Maildir")
    path = deliver(inbox, b"Content-Type: text/plain\nX-Whatever: 1\n", mtime=time.time() - 3600)
    with caplog.at_level(logging.WARNING, logger="connectors.maildir"):
        assert pull(make_source(inbox))[0] == []
    assert str(path) in caplog.text and "not a mail message" in caplog.text


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


def test_missing_path_makes_the_source_unavailable(tmp_path):
    source = make_source(tmp_path / "nowhere")
    with pytest.raises(SourceUnavailable, match="nowhere"):
        pull(source)


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


def test_watcher_wakes_when_a_file_written_straight_into_new_is_closed(tmp_path):
    # Tools that skip tmp/ create the file, write, pause, write and close: the creation's
    # wake-up finds it half written and defers it; the close must wake us again.
    inbox = make_folder(tmp_path / "Maildir")
    source = make_source(inbox)
    woken = threading.Event()
    watcher = source.watch(woken.set)
    try:
        with open(inbox / "new" / "1750000000.direct.testhost", "wb") as file:
            file.write(b"From: Bob <bob@example.org>\nTo: ada@example.com\n")
            file.flush()
            assert wait_for(woken, 1.5)  # the creation
            items, cursor = pull(source)
            assert items == []  # deferred: no blank line yet, not settled
            time.sleep(0.3)  # past the creation's debounce
            woken.clear()
            file.write(b"Subject: written in two steps\nMessage-ID: <two@example.org>\n\nbody\n")
        assert wait_for(woken, 1.5)
    finally:
        watcher.stop()
    assert subjects(pull(source, cursor)[0]) == ["written in two steps"]


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


def test_watcher_follows_a_missing_path_down_as_the_folders_on_its_way_appear(tmp_path):
    root = tmp_path / "mailroot" / "Maildir"  # neither folder exists yet: the watch starts on tmp_path
    woken = threading.Event()
    watcher = make_source(root).watch(woken.set)
    try:
        (tmp_path / "mailroot" / "other").mkdir(parents=True)  # only the way there appears
        assert wait_for(woken, 1.5)
        time.sleep(0.3)
        woken.clear()
        inbox = make_folder(root)  # inside mailroot/: unseen from tmp_path's watch alone
        assert wait_for(woken, 1.5)
        time.sleep(0.3)
        woken.clear()
        deliver(inbox, message(1))
        assert wait_for(woken, 1.5)
    finally:
        watcher.stop()


def test_source_is_registered_and_its_options_are_documented():
    assert source_class("maildir") is MaildirSource
    assert MaildirSource.kind == "mail"
    options = MaildirSource.Options()
    assert options.backfill_months == 24 and "Sent" in options.sent_folders
    for option in MaildirSource.Options.__dataclass_fields__.values():
        assert option.metadata["doc"]


def test_a_sent_folder_names_a_sender_missing_from_your_addresses_once(tmp_path, caplog):
    root = tmp_path / "Maildir"
    sent = make_folder(root / "Sent")
    deliver(sent, message(1, sender="ada@old-job.example"))
    deliver(sent, message(2, sender="ada@old-job.example"))
    with caplog.at_level(logging.INFO, logger="connectors.maildir"):
        items, _ = pull(make_source(root))
    assert [item.direction for item in items] == ["in", "in"]
    assert caplog.text.count("holds mail from ada@old-job.example") == 1


def test_a_gmail_spelling_of_your_own_address_is_yours_in_a_sent_folder(tmp_path, caplog):
    root = tmp_path / "Maildir"
    sent = make_folder(root / "Sent")
    deliver(sent, message(1, sender="Ada.Lovelace+work@googlemail.com"))
    source = MaildirSource(
        MaildirSource.Options(path=[str(root)]),
        SourceContext(name="mail", own_addresses=("adalovelace@gmail.com",)),
    )
    with caplog.at_level(logging.INFO, logger="connectors.maildir"):
        [item] = pull(source)[0]
    assert item.direction == "out"
    assert "not one of your addresses" not in caplog.text


@pytest.mark.parametrize("folder", [".Drafts", "Drafts", "[Gmail]/Drafts", ".Entwürfe", ".Junk", "Spam", ".Junk E-mail",
                                    ".Спам", ".Junk-E-Mail", ".Lixo Eletrônico", ".Kladder", "[Gmail].Drafts"])
def test_drafts_and_junk_folders_are_not_read(tmp_path, folder):
    root = tmp_path / "Maildir"
    make_folder(root)
    deliver(make_folder(root / folder), message(1))
    deliver(root, message(2))
    assert subjects(pull(make_source(root))[0]) == ["Message 2"]


def test_the_folders_left_unread_can_be_configured(tmp_path):
    root = tmp_path / "Maildir"
    deliver(make_folder(root / "Drafts"), message(1))
    deliver(make_folder(root / "Archive"), message(2))
    assert subjects(pull(make_source(root, skip_folders=["archive"]))[0]) == ["Message 1"]


def test_a_message_flagged_as_a_draft_is_not_read_in_any_folder(tmp_path):
    inbox = make_folder(tmp_path / "Maildir")
    deliver(inbox, message(1), subdir="cur", flags="DS")
    deliver(inbox, message(2), subdir="cur", flags="S")
    assert subjects(pull(make_source(inbox))[0]) == ["Message 2"]
