"""The store's schema as sqlite-utils migrations, applied in order.

Add a migration at the end (and its name to ``NAMES``); never edit one that has
shipped. Each runs in a transaction together with the record of it having run.
sqlite-utils is imported only when a migration is pending (see daemon.database).
"""

from __future__ import annotations

import sqlite3
from typing import Any

MIGRATION_SET = "connect5"
NAMES = ("m001_initial", "m002_contact_aliases", "m003_pick_anchor", "m004_review_held")


def pending(connection: sqlite3.Connection) -> bool:
    """True when a migration of ours has not run yet (cheap: no sqlite-utils import)."""
    try:
        rows = connection.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
        ).fetchall()
    except sqlite3.OperationalError:
        return True
    return not set(NAMES) <= {row[0] for row in rows}


def apply(connection: sqlite3.Connection) -> None:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for name in NAMES:
        migrations(name=name)(globals()[name])
    migrations.apply(Database(connection, execute_plugins=False))


def m001_initial(db: Any) -> None:
    _run(
        db,
        """
        CREATE TABLE contacts (
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            first_name TEXT NOT NULL DEFAULT '',
            last_name TEXT NOT NULL DEFAULT '',
            company TEXT NOT NULL DEFAULT '',
            position TEXT NOT NULL DEFAULT '',
            profile_url TEXT NOT NULL DEFAULT '',
            connected_on TEXT,
            source TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            excluded INTEGER NOT NULL DEFAULT 0,
            snoozed_until TEXT,
            missing_since TEXT,
            last_touch_at TEXT,
            last_touch_kind TEXT,
            last_picked_on TEXT,
            picked_rotation INTEGER NOT NULL DEFAULT 0,
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE contact_emails (
            email TEXT NOT NULL,
            contact_key TEXT NOT NULL REFERENCES contacts(key),
            source TEXT NOT NULL,
            learned_from TEXT,
            added_at TEXT NOT NULL,
            PRIMARY KEY (email, contact_key)
        );
        CREATE INDEX contact_emails_contact ON contact_emails(contact_key);

        CREATE TABLE interactions (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            message_id TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            direction TEXT NOT NULL,
            at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'confirmed',
            created TEXT,
            updated TEXT,
            recorded_at TEXT NOT NULL,
            UNIQUE (source, external_id)
        );
        CREATE INDEX interactions_message_id ON interactions(message_id) WHERE message_id != '';
        CREATE INDEX interactions_at ON interactions(at);

        CREATE TABLE interaction_contacts (
            interaction_id INTEGER NOT NULL REFERENCES interactions(id),
            contact_key TEXT NOT NULL,
            PRIMARY KEY (interaction_id, contact_key)
        ) WITHOUT ROWID;
        CREATE INDEX interaction_contacts_contact ON interaction_contacts(contact_key, interaction_id);

        CREATE TABLE picks (
            day TEXT NOT NULL,
            slot INTEGER NOT NULL,
            contact_key TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            rotation INTEGER NOT NULL DEFAULT 1,
            state TEXT NOT NULL DEFAULT 'picked',
            skipped INTEGER NOT NULL DEFAULT 0,
            picked_at TEXT NOT NULL,
            reached_out_at TEXT,
            replied_at TEXT,
            booked_at TEXT,
            met_at TEXT,
            PRIMARY KEY (day, slot)
        );
        CREATE INDEX picks_contact ON picks(contact_key);

        CREATE TABLE blocks (
            day TEXT NOT NULL,
            writer TEXT NOT NULL,
            remote_id TEXT NOT NULL DEFAULT '',
            etag TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'written',
            digest TEXT NOT NULL DEFAULT '',
            written_at TEXT NOT NULL,
            PRIMARY KEY (day, writer)
        );

        CREATE TABLE cursors (
            source TEXT PRIMARY KEY,
            type TEXT NOT NULL DEFAULT '',
            cursor TEXT,
            updated_at TEXT,
            last_sync_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            stopped TEXT,
            items INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE review (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            candidates TEXT NOT NULL DEFAULT '[]',
            reason TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            seen INTEGER NOT NULL DEFAULT 1,
            resolved TEXT,
            UNIQUE (kind, value)
        );

        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            level TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL
        );

        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        INSERT INTO meta (key, value) VALUES ('rotation', '1');
        """
    )


def m002_contact_aliases(db: Any) -> None:
    # A name the user said belongs to one contact (`connect5 review assign`), so
    # the next LinkedIn notification with that name is credited, not re-asked.
    _run(
        db,
        """
        CREATE TABLE contact_aliases (
            name TEXT NOT NULL,
            contact_key TEXT NOT NULL,
            source TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (name, contact_key)
        )
        """,
    )


def m003_pick_anchor(db: Any) -> None:
    # The day a contact counts as out of touch from (the latest of last touch, last
    # pick, connection day; NULL when none is known), indexed, so the morning job
    # reads the most overdue few hundred in index order instead of sorting 30,000.
    _run(
        db,
        """
        ALTER TABLE contacts ADD COLUMN anchor TEXT GENERATED ALWAYS AS (
            nullif(max(coalesce(substr(last_touch_at, 1, 10), ''), coalesce(last_picked_on, ''),
                       coalesce(connected_on, '')), '')
        ) VIRTUAL;
        CREATE INDEX contacts_anchor ON contacts(anchor, key) WHERE missing_since IS NULL AND excluded = 0;
        CREATE INDEX contacts_tagged ON contacts(key) WHERE tags != '[]'
        """,
    )


def _run(db: Any, script: str) -> None:
    # Connection.executescript() commits any open transaction first, which would
    # break the migration's atomicity, so statements run one by one instead.
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


def m004_review_held(db: Any) -> None:
    # What an undecided item was (never its content), kept beside its review row so
    # that deciding the review credits it (see daemon.reviews).
    _run(
        db,
        """
        CREATE TABLE review_held (
            id INTEGER PRIMARY KEY,
            review_id INTEGER NOT NULL,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            direction TEXT NOT NULL,
            at TEXT NOT NULL,
            message_id TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'confirmed',
            created TEXT,
            updated TEXT,
            UNIQUE (review_id, source, external_id)
        )
        """,
    )
