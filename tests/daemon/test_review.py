"""``connect5 review``: ambiguous matches found by a real sync, resolved, dismissed and undone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MAILDIR_CONFIG

from connectors.records import Contact
from daemon.cli import main
from daemon.store import open_store

BOB_ACME = "https://www.linkedin.com/in/bob-acme"
BOB_INITECH = "https://www.linkedin.com/in/bob-initech"
GRACE = "https://www.linkedin.com/in/grace"


def deliver(maildir: Path, name: str, headers: str) -> None:
    """A message lands the way a delivery agent does it: written in tmp/, renamed into new/."""
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    temporary = maildir / "tmp" / name
    temporary.write_text(headers.strip() + "\n\nA body nobody reads.\n")
    temporary.rename(maildir / "new" / name)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECT5_NOW", "2026-03-18T17:00:00+00:00")
    maildir = tmp_path / "Maildir"
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "config.toml").write_text(MAILDIR_CONFIG.format(maildir=maildir))
    store = open_store(tmp_path / "home" / "connect5.db")
    store.import_contacts(
        [
            Contact(key=BOB_ACME, name="Bob Stone", company="Acme", emails=("bob@shared.example",)),
            Contact(key=BOB_INITECH, name="Bob Stone", company="Initech", emails=("bob@shared.example",)),
            Contact(key=GRACE, name="Grace Hopper", company="Navy"),
        ],
        source="linkedin", snapshot=True,
    )
    store.close()
    deliver(maildir, "1.bob.host", """
From: Bob Stone <bob@shared.example>
To: Ada Lovelace <ada@example.com>
Subject: lunch?
Date: Mon, 16 Mar 2026 10:00:00 +0000
Message-ID: <bob-1@shared.example>
""")
    deliver(maildir, "2.grace.host", """
From: Ada Lovelace <ada@example.com>
To: Grace Hopper <grace@navy.example>
Subject: hello
Date: Mon, 16 Mar 2026 11:00:00 +0000
Message-ID: <ada-1@example.com>
""")
    assert connect5(tmp_path / "home", "sync").exit_code == 0
    return tmp_path / "home"


def connect5(home: Path, *arguments: str):
    return CliRunner().invoke(main, ["--home", str(home), *arguments])


def listed(home: Path) -> list[dict]:
    result = connect5(home, "review", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def emails(home: Path) -> set[tuple[str, str, str | None]]:
    store = open_store(home / "connect5.db")
    try:
        return {(row["email"], row["contact_key"], row["learned_from"])
                for row in store.query("SELECT * FROM contact_emails")}
    finally:
        store.close()


def test_bare_review_lists_the_shared_address_with_both_candidates_and_where_it_was_seen(home):
    result = connect5(home, "review")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("1 to review")
    # The date of the message it holds (the 16th), not of the sync that saw it (the 18th).
    assert "address 'bob@shared.example': seen once in mail, latest 2026-03-16" in result.output
    # Both candidates carry the same name, so their keys are shown to tell them apart.
    assert f"Bob Stone (Acme) [{BOB_ACME}]" in result.output
    assert "belongs to 2 contacts: not guessed" in result.output
    (row,) = listed(home)
    assert {candidate["company"] for candidate in row["candidates"]} == {"Acme", "Initech"}


def test_assign_teaches_the_address_to_one_contact_and_later_mail_matches_only_them(home):
    (row,) = listed(home)
    ambiguous = connect5(home, "review", "assign", str(row["id"]), "Bob Stone")
    assert ambiguous.exit_code == 1 and "more than one candidate" in ambiguous.output
    result = connect5(home, "review", "assign", str(row["id"]), BOB_INITECH)
    assert result.exit_code == 0, result.output
    assert "taken from 1 other contacts" in result.output
    assert ("bob@shared.example", BOB_INITECH, f"review:{row['id']}") in emails(home)
    assert not any(key == BOB_ACME for _, key, _ in emails(home))
    assert listed(home) == []
    deliver(home.parent / "Maildir", "3.bob.host", """
From: Bob Stone <bob@shared.example>
To: Ada Lovelace <ada@example.com>
Subject: still on for lunch
Date: Tue, 17 Mar 2026 10:00:00 +0000
Message-ID: <bob-2@shared.example>
""")
    assert connect5(home, "sync").exit_code == 0
    store = open_store(home / "connect5.db")
    touched = store.query("SELECT contact_key FROM interaction_contacts c JOIN interactions i"
                          " ON i.id = c.interaction_id WHERE i.message_id = 'bob-2@shared.example'")
    store.close()
    assert touched == [{"contact_key": BOB_INITECH}]


def test_forget_undoes_an_assignment_and_reopens_the_review(home):
    (row,) = listed(home)
    before = emails(home)
    assert connect5(home, "review", "assign", str(row["id"]), BOB_ACME).exit_code == 0
    result = connect5(home, "review", "forget", "Bob@Shared.example")
    assert result.exit_code == 0, result.output
    assert "2 earlier addresses restored, review reopened" in result.output
    assert emails(home) == before
    assert [item["id"] for item in listed(home)] == [row["id"]]


def test_dismiss_resolves_without_teaching_and_twice_is_an_error(home):
    (row,) = listed(home)
    before = emails(home)
    assert connect5(home, "review", "dismiss", str(row["id"])).exit_code == 0
    assert listed(home) == [] and emails(home) == before
    again = connect5(home, "review", "dismiss", str(row["id"]))
    assert again.exit_code == 1 and "already resolved" in again.output
    assert connect5(home, "review", "dismiss", "999").exit_code == 1


def test_learned_lists_an_address_learned_from_sent_mail_and_forget_removes_it(home):
    result = connect5(home, "review", "--learned")
    assert result.exit_code == 0, result.output
    assert "grace@navy.example  Grace Hopper  from mail:2.grace.host" in result.output
    assert connect5(home, "review", "forget", "grace@navy.example").exit_code == 0
    assert not any(email == "grace@navy.example" for email, _, _ in emails(home))
    assert connect5(home, "review", "--learned").output.strip() == "no learned addresses"
    missing = connect5(home, "review", "forget", "grace@navy.example")
    assert missing.exit_code == 1 and "not a learned address" in missing.output


def test_forget_never_removes_an_imported_address(home):
    result = connect5(home, "review", "forget", "bob@shared.example")
    assert result.exit_code == 1
    assert {key for email, key, _ in emails(home) if email == "bob@shared.example"} == {BOB_ACME, BOB_INITECH}


def test_a_name_review_is_resolved_and_teaches_the_one_address_its_reason_names(home):
    store = open_store(home / "connect5.db")
    with store.atomic():
        store.add_review("name", "Grace Hopper", [GRACE], "sender gh@other.example is unknown but called"
                         " 'Grace Hopper' like Grace Hopper: confirm to learn", "mail")
    store.close()
    (row,) = [item for item in listed(home) if item["kind"] == "name"]
    result = connect5(home, "review", "assign", str(row["id"]), "Grace", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["taught"] == ["gh@other.example"]
    assert ("gh@other.example", GRACE, f"review:{row['id']}") in emails(home)


def test_review_times_follow_the_daemon_clock(home):
    (row,) = listed(home)
    assert row["last_seen"].startswith("2026-03-18")


def test_after_assigning_a_linkedin_name_two_contacts_share_the_next_message_is_asked_again(home):
    def notice(number: int) -> str:
        return f"""
From: "Bob Stone via LinkedIn" <messages-noreply@linkedin.com>
To: Ada Lovelace <ada@example.com>
Subject: Bob just messaged you
Date: Tue, 17 Mar 2026 1{number}:00:00 +0000
Message-ID: <notice-{number}@linkedin.com>
X-LinkedIn-Class: MBR-TO-MBR
"""

    deliver(home.parent / "Maildir", "4.notice.host", notice(1))
    assert connect5(home, "sync").exit_code == 0
    (row,) = [item for item in listed(home) if item["kind"] == "name"]
    assert connect5(home, "review", "assign", str(row["id"]), BOB_ACME).exit_code == 0
    deliver(home.parent / "Maildir", "5.notice.host", notice(2))
    assert connect5(home, "sync").exit_code == 0
    # Both contacts are called Bob Stone: deciding one notice decides nothing about the
    # next, which waits in review rather than going to the Bob chosen the first time.
    assert contacts_of(home, "notice-2@linkedin.com") == set()
    (again,) = [item for item in listed(home) if item["kind"] == "name"]
    assert again["id"] == row["id"]  # the same question, open again
    assert connect5(home, "review", "assign", str(row["id"]), BOB_INITECH).exit_code == 0
    assert contacts_of(home, "notice-2@linkedin.com") == {BOB_INITECH}
    assert contacts_of(home, "notice-1@linkedin.com") == {BOB_ACME}


def test_assigning_a_name_two_contacts_share_teaches_the_address_and_no_alias(home):
    store = open_store(home / "connect5.db")
    review_id = store.add_review("name", "Bob Stone", [BOB_ACME, BOB_INITECH],
                                 "sender bob.private@home.example is unknown but called Bob Stone", "mail")
    store.close()
    assert connect5(home, "review", "assign", str(review_id), BOB_INITECH).exit_code == 0
    assert state(home, "SELECT * FROM contact_aliases") == []
    assert state(home, "SELECT contact_key FROM contact_emails WHERE email = 'bob.private@home.example'") == [
        {"contact_key": BOB_INITECH}]


def test_forget_takes_back_an_alias_a_review_added(home):
    store = open_store(home / "connect5.db")
    review_id = store.add_review("name", "Amazing Grace", [GRACE], "a LinkedIn message from Amazing Grace", "mail")
    store.close()
    assert connect5(home, "review", "assign", str(review_id), GRACE).exit_code == 0
    assert state(home, "SELECT name, contact_key FROM contact_aliases") == [
        {"name": "Amazing Grace", "contact_key": GRACE}]
    from daemon.commands.review import _reopen

    store = open_store(home / "connect5.db")
    with store.atomic():
        _reopen(store, review_id)
    store.close()
    assert state(home, "SELECT * FROM contact_aliases") == []


# -- deciding a review credits what raised it -----------------------------------


def state(home: Path, sql: str, params: list | None = None) -> list[dict]:
    store = open_store(home / "connect5.db")
    try:
        return store.query(sql, params or [])
    finally:
        store.close()


def contacts_of(home: Path, message_id: str) -> set[str]:
    rows = state(home, "SELECT c.contact_key FROM interaction_contacts c JOIN interactions i"
                       " ON i.id = c.interaction_id WHERE i.message_id = ?", [message_id])
    return {row["contact_key"] for row in rows}


def last_touch(home: Path, key: str) -> str | None:
    return state(home, "SELECT last_touch_at FROM contacts WHERE key = ?", [key])[0]["last_touch_at"]


def test_assigning_credits_the_message_that_raised_the_review(home):
    (row,) = listed(home)
    assert contacts_of(home, "bob-1@shared.example") == set()
    assert last_touch(home, BOB_INITECH) is None
    result = connect5(home, "review", "assign", str(row["id"]), BOB_INITECH)
    assert result.exit_code == 0, result.output
    assert "1 earlier item credited to them" in result.output
    assert contacts_of(home, "bob-1@shared.example") == {BOB_INITECH}
    assert last_touch(home, BOB_INITECH).startswith("2026-03-16T10:00")
    assert last_touch(home, BOB_ACME) is None
    assert state(home, "SELECT count(*) AS n FROM review_held")[0]["n"] == 0


def test_a_reply_from_an_unknown_address_counts_for_the_pick_once_the_review_is_decided(home):
    hedy = "https://www.linkedin.com/in/hedy"
    store = open_store(home / "connect5.db")
    store.import_contacts([Contact(key=hedy, name="Hedy Lamarr", emails=("hedy@work.example",))],
                          source="vcard", snapshot=False)
    store.close()
    assert connect5(home, "today").exit_code == 0

    def pick_state() -> str:
        return state(home, "SELECT state FROM picks WHERE contact_key = ?", [hedy])[0]["state"]

    assert pick_state() == "picked"
    deliver(home.parent / "Maildir", "6.hedy.host", """
From: Hedy Lamarr <hl@home.example>
To: Ada Lovelace <ada@example.com>
Subject: Re: hello
Date: Wed, 18 Mar 2026 12:00:00 +0000
Message-ID: <hedy-reply@home.example>
""")
    assert connect5(home, "sync").exit_code == 0
    (row,) = [item for item in listed(home) if item["kind"] == "name"]
    assert "hl@home.example" in row["reason"]
    assert pick_state() == "picked"  # not guessed

    assert connect5(home, "review", "assign", str(row["id"]), "Hedy").exit_code == 0
    assert pick_state() == "replied"
    assert contacts_of(home, "hedy-reply@home.example") == {hedy}
    assert last_touch(home, hedy).startswith("2026-03-18T12:00")

    # Undone: the reply no longer counts, and the review holds it again for the next decision.
    assert connect5(home, "review", "forget", "hl@home.example").exit_code == 0
    assert pick_state() == "picked"
    assert contacts_of(home, "hedy-reply@home.example") == set()
    assert state(home, "SELECT count(*) AS n FROM interactions WHERE message_id = 'hedy-reply@home.example'"
                 )[0]["n"] == 0
    assert last_touch(home, hedy) is None
    assert connect5(home, "review", "assign", str(row["id"]), "Hedy").exit_code == 0
    assert pick_state() == "replied"


def test_forget_takes_back_only_the_link_it_added_to_a_message_already_stored(home):
    # Bob's mail also went to Grace's known address: the message is stored (as Grace's).
    deliver(home.parent / "Maildir", "7.bob.host", """
From: Ada Lovelace <ada@example.com>
To: Bob Stone <bob@shared.example>, Grace Hopper <grace@navy.example>
Subject: the three of us
Date: Tue, 17 Mar 2026 09:00:00 +0000
Message-ID: <ada-2@example.com>
""")
    assert connect5(home, "sync").exit_code == 0
    assert contacts_of(home, "ada-2@example.com") == {GRACE}
    (row,) = [item for item in listed(home) if item["kind"] == "address"]
    assert connect5(home, "review", "assign", str(row["id"]), BOB_ACME).exit_code == 0
    assert contacts_of(home, "ada-2@example.com") == {GRACE, BOB_ACME}
    assert contacts_of(home, "bob-1@shared.example") == {BOB_ACME}
    assert connect5(home, "review", "forget", "bob@shared.example").exit_code == 0
    assert contacts_of(home, "ada-2@example.com") == {GRACE}
    assert contacts_of(home, "bob-1@shared.example") == set()
    assert last_touch(home, BOB_ACME) is None


def test_dismissing_drops_what_the_review_held_and_holds_nothing_more(home):
    (row,) = listed(home)
    assert connect5(home, "review", "dismiss", str(row["id"])).exit_code == 0
    deliver(home.parent / "Maildir", "8.bob.host", """
From: Bob Stone <bob@shared.example>
To: Ada Lovelace <ada@example.com>
Subject: ping
Date: Tue, 17 Mar 2026 15:00:00 +0000
Message-ID: <bob-3@shared.example>
""")
    assert connect5(home, "sync").exit_code == 0
    assert state(home, "SELECT count(*) AS n FROM review_held")[0]["n"] == 0
    assert contacts_of(home, "bob-3@shared.example") == set()


def test_a_review_holds_at_most_the_newest_hundred_items(tmp_path):
    from datetime import UTC, datetime, timedelta

    from daemon.reviews import MAX_HELD

    store = open_store(tmp_path / "connect5.db")
    with store.atomic():
        review_id = store.add_review("address", "x@shared.example", ["a", "b"], "two contacts", "mail")
        assert store.add_review("address", "x@shared.example", ["a", "b"], "two contacts", "mail") == review_id
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for number in range(MAX_HELD + 5):
            store.hold_for_review(review_id, source="mail", external_id=f"m{number}", kind="email",
                                  direction="in", at=start + timedelta(days=number))
    held = store.held_items(review_id)
    store.close()
    assert len(held) == MAX_HELD
    assert held[0]["external_id"] == "m5" and held[-1]["external_id"] == f"m{MAX_HELD + 4}"


def test_a_held_message_stored_under_another_folder_is_credited_there_once(tmp_path):
    from datetime import UTC, datetime

    store = open_store(tmp_path / "connect5.db")
    store.import_contacts([Contact(key=GRACE, name="Grace Hopper")], source="linkedin", snapshot=True)
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with store.atomic():
        store.add_interaction(source="mail", external_id="inbox-1", kind="email", direction="in", at=at,
                              contact_keys=[], message_id="same@example")
        review_id = store.add_review("name", "Grace Hopper", [GRACE], "confirm to learn", "mail")
        store.hold_for_review(review_id, source="mail", external_id="archive-1", kind="email", direction="in",
                              at=at, message_id="same@example")
        credited = store.credit_held(review_id, GRACE)
    rows = store.query("SELECT i.external_id, c.contact_key FROM interactions i"
                       " LEFT JOIN interaction_contacts c ON c.interaction_id = i.id")
    store.close()
    assert rows == [{"external_id": "inbox-1", "contact_key": GRACE}]
    assert [item["target"] for item in credited] == [["mail", "inbox-1"]]


def test_assigning_one_name_of_an_address_settles_the_other_names_it_wrote_under(home):
    store = open_store(home / "connect5.db")
    with store.atomic():
        ids = []
        for number, shown in enumerate(("Hopper, Grace", "Grace Hopper")):
            review_id = store.add_review("name", shown, [GRACE], f"sender gh@other.example is unknown but called"
                                         f" {shown!r} like Grace Hopper: confirm to learn", "mail")
            store.hold_for_review(review_id, source="mail", external_id=f"gh-{number}", kind="email", direction="in",
                                  at=datetime(2026, 3, 17, 9 + number, tzinfo=UTC), message_id=f"gh-{number}@other")
            ids.append(review_id)
    store.close()
    assigned = connect5(home, "review", "assign", str(ids[1]), "Grace", "Hopper")  # a name needs no quotes
    assert assigned.exit_code == 0 and "2 earlier items credited" in assigned.output, assigned.output
    assert listed(home) == [] or all(item["id"] not in ids for item in listed(home))
    assert contacts_of(home, "gh-0@other") == {GRACE} and contacts_of(home, "gh-1@other") == {GRACE}
    assert connect5(home, "review", "forget", "gh@other.example").exit_code == 0
    assert contacts_of(home, "gh-0@other") == set() and contacts_of(home, "gh-1@other") == set()
    assert {item["id"] for item in listed(home)} >= set(ids)
