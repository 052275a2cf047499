"""Reviews a sync decides by itself: an address learned from sent mail settles the questions it answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MAILDIR_CONFIG

from connectors.records import Contact
from daemon.cli import main
from daemon.store import open_store

WREN = "https://www.linkedin.com/in/wren"
SENT = """From: Ada Lovelace <ada@example.com>
To: Wren Zeller <wren.z@ntt.example>
Subject: hello
Date: Mon, 30 Nov 2026 09:05:00 +0000
Message-ID: <s1@example.com>
"""
REPLY = """From: Wren Zeller <wren.z@ntt.example>
To: ada@example.com
Subject: Re: hello
Date: Mon, 30 Nov 2026 11:00:00 +0000
Message-ID: <w2@ntt.example>
In-Reply-To: <s1@example.com>
"""


def connect5(home: Path, *arguments: str):
    return CliRunner().invoke(main, ["--home", str(home), *arguments])


def put(folder: Path, name: str, headers: str) -> None:
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "cur" / name).write_text(headers + "\nbody\n")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Wren, with no address yet, picked today; the inbox holds her reply, Sent the mail it answers."""
    monkeypatch.setenv("CONNECT5_NOW", "2026-11-30T07:30:00+00:00")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(MAILDIR_CONFIG.format(maildir=tmp_path / "Maildir"))
    store = open_store(home / "connect5.db")
    store.import_contacts([Contact(key=WREN, name="Wren Zeller", company="NTT")], source="linkedin", snapshot=True)
    store.close()
    assert connect5(home, "today", "--no-block").exit_code == 0
    put(tmp_path / "Maildir", "1.reply.host:2,S", REPLY)  # the inbox is read before .Sent
    put(tmp_path / "Maildir" / ".Sent", "2.sent.host:2,S", SENT)
    monkeypatch.setenv("CONNECT5_NOW", "2026-11-30T12:00:00+00:00")
    return home


def pick_state(home: Path) -> str:
    return json.loads(connect5(home, "contacts", "show", "Wren", "--json").output)["picks"][0]["state"]


def test_a_reply_read_before_the_sent_mail_that_teaches_its_address_counts_in_the_same_sync(home):
    synced = connect5(home, "sync")
    assert synced.exit_code == 0
    assert "2 interactions" in synced.output and "1 addresses learned" in synced.output
    assert "to review" not in synced.output
    assert connect5(home, "review").output.strip() == "nothing to review"
    assert pick_state(home) == "replied"


def test_forgetting_the_learned_address_puts_the_reply_back_in_review(home):
    assert connect5(home, "sync").exit_code == 0
    assert connect5(home, "review", "forget", "wren.z@ntt.example").exit_code == 0
    listed = connect5(home, "review").output
    assert "1 to review" in listed and "sender wren.z@ntt.example is unknown" in listed
    assert pick_state(home) == "reached_out"


def test_a_message_read_again_is_not_seen_again_and_a_dismissed_row_is_not_to_review(home):
    (home.parent / "Maildir" / ".Sent" / "cur" / "2.sent.host:2,S").unlink()  # nobody teaches the address
    first = connect5(home, "sync")
    assert "1 to review" in first.output
    for _ in range(2):
        assert connect5(home, "sync", "--again", "mail").exit_code == 0
    listed = connect5(home, "review", "--json").output
    rows = json.loads(listed)
    assert [row["seen"] for row in rows] == [1]
    assert connect5(home, "review", "dismiss", str(rows[0]["id"])).exit_code == 0
    again = connect5(home, "sync", "--again", "mail")
    assert again.exit_code == 0 and "to review" not in again.output


def test_a_row_holding_more_than_a_hundred_messages_is_not_seen_again_on_a_re_read(home):
    (home.parent / "Maildir" / ".Sent" / "cur" / "2.sent.host:2,S").unlink()  # the address stays unknown
    for number in range(105):
        text = REPLY.replace("<w2@ntt.example>", f"<w{number}@ntt.example>")
        text = text.replace("11:00:00", f"{number // 60:02d}:{number % 60:02d}:00")
        put(home.parent / "Maildir", f"3.{number}.host:2,S", text)
    assert connect5(home, "sync").exit_code == 0
    first = json.loads(connect5(home, "review", "--json").output)[0]["seen"]
    assert first == 106  # the reply and the 105
    for _ in range(2):
        assert connect5(home, "sync", "--again", "mail").exit_code == 0
    assert json.loads(connect5(home, "review", "--json").output)[0]["seen"] == first


def test_an_address_learned_for_one_contact_leaves_a_question_about_another_open(home):
    store = open_store(home / "connect5.db")
    store.import_contacts([Contact(key="https://www.linkedin.com/in/carol", name="Carol King", company="Acme")],
                          source="vcard", snapshot=False)
    store.close()
    mail = home.parent / "Maildir"
    (mail / "cur" / "1.reply.host:2,S").unlink()
    put(mail, "4.carol.host:2,S", REPLY.replace("Wren Zeller <wren.z@ntt.example>", "Carol King <wren.z@ntt.example>"))
    assert connect5(home, "sync").exit_code == 0  # the sent mail teaches the address as Wren's
    listed = connect5(home, "review").output
    assert "1 to review" in listed and "Carol King" in listed
