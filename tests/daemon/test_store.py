"""The store: private files, migrations, idempotent imports, vanished contacts kept, foreign files refused."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, date, datetime

import pytest

from connectors.records import Contact, Touch
from daemon.store import StoreError, open_store


def contact(key: str, name: str, **extra) -> Contact:
    return Contact(key=key, name=name, source="linkedin", **extra)


@pytest.fixture
def store(tmp_path):
    opened = open_store(tmp_path / "data" / "connect5.db")
    yield opened
    opened.close()


def test_store_file_and_folder_are_private(tmp_path):
    path = tmp_path / "data" / "connect5.db"
    open_store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_store_uses_wal_and_records_its_migrations(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [row[0] for row in store.db.execute("SELECT name FROM _sqlite_migrations")]
    assert names[0] == "m001_initial"


def test_reopening_applies_no_migration_twice(tmp_path):
    path = tmp_path / "connect5.db"
    open_store(path).close()
    store = open_store(path)
    from daemon.schema import NAMES

    assert store.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(NAMES)


def test_reimporting_the_same_contacts_is_a_no_op(store):
    people = [contact("https://www.linkedin.com/in/ada", "Ada Lovelace", emails=("ada@example.com",)),
              contact("https://www.linkedin.com/in/grace", "Grace Hopper")]
    first = store.import_contacts(people, source="linkedin", snapshot=True)
    before = store.query("SELECT * FROM contacts ORDER BY key")
    second = store.import_contacts(people, source="linkedin", snapshot=True)
    assert (first.added, second.added, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert store.query("SELECT * FROM contacts ORDER BY key") == before
    assert second.emails_added == 0


def test_changed_position_counts_as_updated(store):
    store.import_contacts([contact("k", "Ada", position="Analyst")], source="linkedin", snapshot=True)
    report = store.import_contacts([contact("k", "Ada", position="Engineer")], source="linkedin", snapshot=True)
    assert report.updated == 1
    assert store.contact("k")["position"] == "Engineer"


def test_contact_missing_from_a_newer_export_is_marked_not_deleted(store):
    store.import_contacts([contact("a", "Ada"), contact("b", "Ben")], source="linkedin", snapshot=True)
    report = store.import_contacts([contact("a", "Ada")], source="linkedin", snapshot=True)
    assert report.vanished == 1
    assert store.contact("b")["missing_since"] is not None
    back = store.import_contacts([contact("a", "Ada"), contact("b", "Ben")], source="linkedin", snapshot=True)
    assert back.returned == 1 and store.contact("b")["missing_since"] is None


def test_one_contact_keeps_many_addresses_with_their_source(store):
    store.import_contacts([contact("a", "Ada", emails=("Ada@Example.com",))], source="linkedin", snapshot=True)
    store.add_emails("a", ["ada@work.example"], source="vcard")
    emails = {(row["email"], row["source"]) for row in store.emails_of("a")}
    assert emails == {("ada@example.com", "linkedin"), ("ada@work.example", "vcard")}


def test_interactions_are_unique_per_source_and_external_id(store):
    store.import_contacts([contact("a", "Ada")], source="linkedin", snapshot=True)
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    touch = Touch("linkedin-messages", "m1", "a", at, "linkedin", "out")
    assert store.record_touches([touch, touch]) == (1, 0)
    assert store.record_touches([touch]) == (0, 0)
    assert store.db.execute("SELECT count(*) FROM interactions").fetchone()[0] == 1
    assert store.contact("a")["last_touch_at"] == "2026-05-01T12:00:00+00:00"


def test_touches_for_unknown_people_are_counted_not_stored(store):
    touch = Touch("linkedin-messages", "m1", "nobody", datetime(2026, 5, 1, tzinfo=UTC), "linkedin", "in")
    assert store.record_touches([touch]) == (0, 1)


def test_cancelled_meeting_does_not_count_as_last_touch(store):
    store.import_contacts([contact("a", "Ada")], source="linkedin", snapshot=True)
    with store.atomic():
        store.add_interaction(source="cal", external_id="e1", kind="meeting", direction="both",
                              at=datetime(2026, 6, 1, tzinfo=UTC), contact_keys=["a"])
        store.add_interaction(source="cal", external_id="e1", kind="meeting", direction="both",
                              at=datetime(2026, 6, 1, tzinfo=UTC), contact_keys=["a"], status="cancelled")
        store.refresh_last_touch(["a"])
    assert store.contact("a")["last_touch_at"] is None


def test_a_file_that_is_not_sqlite_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "connect5.db"
    path.write_text("hello, I am a text file")
    with pytest.raises(StoreError, match="not an SQLite file"):
        open_store(path)
    assert path.read_text() == "hello, I am a text file"


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "connect5.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE songs (title TEXT)")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match="another program"):
        open_store(path)
    assert sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall() == [("songs",)]


def test_a_transaction_that_fails_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.import_contacts([contact("a", "Ada")], source="linkedin", snapshot=True)
            store.set_cursor("mail", "cursor-1")
            raise RuntimeError("crash")
    assert store.contact("a") is None
    assert store.cursor("mail") is None


def test_connected_on_is_stored_as_an_iso_date(store):
    store.import_contacts([contact("a", "Ada", connected_on=date(2019, 3, 4))], source="linkedin", snapshot=True)
    assert store.contact("a")["connected_on"] == "2019-03-04"


def test_skipped_inputs_are_kept_newest_first_and_bounded_per_source(store):
    from daemon.store import SKIPPED_KEPT

    with store.atomic():
        for number in range(SKIPPED_KEPT + 5):
            store.note_skipped("mail", f"/m/{number}", "empty file")
        store.note_skipped("calendar", "/c/a.ics", "not a calendar")
    count, latest = store.skipped_inputs("mail", limit=2)
    assert count == SKIPPED_KEPT
    assert [row["message"] for row in latest] == [f"/m/{SKIPPED_KEPT + 4}: empty file", f"/m/{SKIPPED_KEPT + 3}: empty file"]
    assert store.skipped_inputs("calendar")[0] == 1
