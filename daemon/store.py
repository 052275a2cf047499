"""The store: one SQLite file (sqlite-utils), WAL, migrations, private to the user.

Invariants kept here:

- every write that belongs together happens inside ``store.atomic()``;
- re-running an import or a sync is a no-op (natural keys and UNIQUE
  constraints, ``INSERT OR IGNORE``);
- a contact that vanished from a newer export is marked, never deleted;
- the file and its folder are readable by the user alone.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.files import name_as_text, private_dir
from daemon import schema
from daemon.clock import iso
from daemon.clock import stamp as utc_now  # the store's timestamps follow the daemon clock
from daemon.contacts import ContactTables, ImportReport  # noqa: F401  (re-exported)
from daemon.database import Database
from daemon.reviews import ReviewTables
from daemon.store_problems import access_problem

if TYPE_CHECKING:
    from connectors.records import Touch

SQLITE_MAGIC = b"SQLite format 3\x00"
# Inputs a source could not read are events of this level; ``status`` shows them.
SKIPPED = "skipped"
SKIPPED_KEPT = 100  # per source: enough to find them all in a folder gone bad, bounded for a hostile one
# Meta key: every interaction up to this moment counts in last touch (see morning.refresh_started).
STARTED_MARK = "started_checked_at"
# A contact's interactions that count as being in touch; a condition and ORDER BY follow.
_TOUCHES = ("SELECT i.at, i.kind FROM interaction_contacts c JOIN interactions i ON i.id = c.interaction_id"
            " WHERE c.contact_key = ? AND i.status != 'cancelled' AND ")


class StoreError(Exception):
    """The store cannot be opened or used; the message says what to do."""


class StoreAccessError(StoreError):
    """The machine will not let connect5 write its data: a read-only folder, file or mount, a full disk."""


class Store(ContactTables, ReviewTables):
    """connect5's data over one SQLite connection (see daemon.database for why not sqlite-utils here)."""

    def __init__(self, db: Database, path: Path):
        self.db = db
        self.path = path

    @contextmanager
    def atomic(self) -> Iterator[Store]:
        with self.db.atomic():
            yield self

    def close(self) -> None:
        self.db.close()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, list(params)))

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, list(params))

    # -- meta -------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    def log_event(self, level: str, message: str, source: str = "") -> None:
        self.db.execute(
            "INSERT INTO events (at, level, source, message) VALUES (?, ?, ?, ?)",
            [utc_now(), level, source, message],
        )

    def note_skipped(self, source: str, what: str, reason: str) -> None:
        """Remember an input ``source`` could not read (for ``status``); the newest few per source are kept.

        ``what`` is often a path, whose bytes that are not UTF-8 are kept as ``\\xe9``.
        """
        what = name_as_text(what)
        self.log_event(SKIPPED, f"{what}: {reason}", source=source)
        self.db.execute(
            "DELETE FROM events WHERE level = ? AND source = ? AND id NOT IN"
            " (SELECT id FROM events WHERE level = ? AND source = ? ORDER BY id DESC LIMIT ?)",
            [SKIPPED, source, SKIPPED, source, SKIPPED_KEPT],
        )

    def skipped_inputs(self, source: str, limit: int = 3) -> tuple[int, list[dict[str, Any]]]:
        """How many inputs of ``source`` are remembered as skipped, and the newest ``limit`` of them."""
        count = self.db.execute("SELECT count(*) FROM events WHERE level = ? AND source = ?", [SKIPPED, source])
        rows = self.query(
            "SELECT at, message FROM events WHERE level = ? AND source = ? ORDER BY id DESC LIMIT ?",
            [SKIPPED, source, limit],
        )
        return count.fetchone()[0], [dict(row) for row in rows]

    # -- interactions -----------------------------------------------------

    def add_interaction(
        self,
        *,
        source: str,
        external_id: str,
        kind: str,
        direction: str,
        at: datetime,
        contact_keys: Iterable[str],
        message_id: str = "",
        status: str = "confirmed",
        created: datetime | None = None,
        updated: datetime | None = None,
    ) -> bool:
        """Insert or update one interaction and its contacts; True when anything changed."""
        row = self.db.execute(
            "SELECT id, at, status, updated FROM interactions WHERE source = ? AND external_id = ?",
            [source, external_id],
        ).fetchone()
        values = [iso(at), status, iso(updated) if updated else None]
        if row is None:
            cursor = self.db.execute(
                "INSERT INTO interactions (source, external_id, message_id, kind, direction, at, status,"
                " updated, created, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source, external_id, message_id, kind, direction, *values,
                 iso(created) if created else None, utc_now()],
            )
            interaction_id, changed = cursor.lastrowid, True
        else:
            interaction_id, changed = row[0], list(row[1:]) != values
            if changed:
                self.db.execute(
                    "UPDATE interactions SET at = ?, status = ?, updated = ? WHERE id = ?", [*values, interaction_id]
                )
        for key in contact_keys:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO interaction_contacts (interaction_id, contact_key) VALUES (?, ?)",
                [interaction_id, key],
            )
            changed = changed or cursor.rowcount > 0
        return changed

    def record_touches(self, touches: Iterable[Touch]) -> tuple[int, int]:
        """Store touches whose contact exists; returns (stored, unknown contact)."""
        stored = unknown = 0
        known = {key for (key,) in self.db.execute("SELECT key FROM contacts")}
        touched: set[str] = set()
        with self.atomic():
            for touch in touches:
                if touch.contact_key not in known:
                    unknown += 1
                    continue
                if self.add_interaction(
                    source=touch.source, external_id=touch.external_id, kind=touch.kind,
                    direction=touch.direction, at=touch.at, contact_keys=[touch.contact_key],
                ):
                    stored += 1
                    touched.add(touch.contact_key)
            self.refresh_last_touch(touched)
        return stored, unknown

    def refresh_last_touch(self, keys: Iterable[str], now: datetime | None = None) -> None:
        """Recompute last-in-touch for ``keys`` from their interactions (cancelled ones excluded).

        A meeting counts from when it is booked, even ahead (a booked call is being in
        touch): the next one, not the last of a weekly series expanded weeks ahead.
        Anything else counts only once its time has come, so a message whose Date
        lies years ahead cannot keep its sender out of the rotation until then.
        """
        from daemon import clock

        moment = iso(now or clock.now())
        for key in keys:
            row = self.db.execute(_TOUCHES + "i.kind = 'meeting' AND i.at > ? ORDER BY i.at LIMIT 1",
                                  [key, moment]).fetchone()
            at, kind = row or self.last_touch_by(key, moment)
            self.db.execute(
                "UPDATE contacts SET last_touch_at = ?, last_touch_kind = ? WHERE key = ?", [at, kind, key]
            )
        if self.meta(STARTED_MARK) is None:
            # The first refresh of a store: what it holds counts as of now, and whatever is
            # dated later counts when its time comes (morning.refresh_started looks from here).
            self.set_meta(STARTED_MARK, moment)

    def last_touch_by(self, key: str, moment: str) -> tuple[str | None, str | None]:
        """(time, kind) of ``key``'s latest interaction at or before ``moment`` (cancelled ones left out)."""
        row = self.db.execute(_TOUCHES + "i.at <= ? ORDER BY i.at DESC LIMIT 1", [key, moment]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def interactions_of(self, key: str, limit: int = 20) -> list[dict[str, Any]]:
        return self.query(
            "SELECT i.source, i.kind, i.direction, i.at, i.status FROM interaction_contacts c"
            " JOIN interactions i ON i.id = c.interaction_id WHERE c.contact_key = ?"
            " ORDER BY i.at DESC LIMIT ?",
            [key, limit],
        )

    # -- cursors ----------------------------------------------------------

    def cursor(self, source: str) -> str | None:
        row = self.db.execute("SELECT cursor FROM cursors WHERE source = ?", [source]).fetchone()
        return row[0] if row else None

    def set_cursor(self, source: str, cursor: str | None, *, type_name: str = "", items: int = 0) -> None:
        now = utc_now()
        self.db.execute(
            "INSERT INTO cursors (source, type, cursor, updated_at, last_sync_at, items) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at,"
            " last_sync_at = excluded.last_sync_at, items = cursors.items + excluded.items,"
            " type = CASE WHEN excluded.type != '' THEN excluded.type ELSE cursors.type END",
            [source, type_name, cursor, now, now, items],
        )

    def source_state(self, source: str, *, error: str | None = None, stopped: str | None = None,
                     synced: bool = False) -> None:
        now = utc_now()
        self.db.execute("INSERT OR IGNORE INTO cursors (source) VALUES (?)", [source])
        if synced:
            self.db.execute(
                "UPDATE cursors SET last_sync_at = ?, last_error = NULL, stopped = NULL WHERE source = ?",
                [now, source],
            )
        if error is not None:
            self.db.execute(
                "UPDATE cursors SET last_error = ?, last_error_at = ? WHERE source = ?", [error, now, source]
            )
        if stopped is not None:
            self.db.execute("UPDATE cursors SET stopped = ? WHERE source = ?", [stopped or None, source])


# How long a writer waits for another to finish (SQLite allows one at a time): an
# import of 30,000 contacts holds the store for several seconds, and neither the
# daemon nor a command should fail for that. Status and check read with less.
BUSY_SECONDS = 30.0


def open_store(path: Path, *, create: bool = True, timeout: float | None = None) -> Store:
    """Open (and create or migrate) the store at ``path``; refuse files that are not ours.

    ``timeout``: how long a write waits for another writer (default ``BUSY_SECONDS``).
    """
    timeout = BUSY_SECONDS if timeout is None else timeout
    path = Path(path)
    exists = path.exists()
    if not exists and not create:
        raise StoreError(f"no store at {path} (run `connect5 import linkedin ...` first)")
    try:
        if exists:
            _check_is_store(path)
        else:
            private_dir(path.parent)
        connection = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        db = Database(connection)
        db.execute("PRAGMA busy_timeout = %d" % int(timeout * 1000))
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = OFF")
        _check_foreign(db, path)
        if schema.pending(connection):
            schema.apply(connection)
    except (sqlite3.DatabaseError, OSError) as error:
        problem = access_problem(error, path)
        if problem:
            raise StoreAccessError(problem) from None
        if isinstance(error, OSError):
            raise
        raise StoreError(f"{path}: cannot use this store: {error}") from None
    _make_private(path, said=exists)
    return Store(db, path)


def _check_is_store(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as error:
        raise StoreError(f"{path}: unreadable store: {error.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise StoreError(f"{path} is not an SQLite file; move it aside or point --home elsewhere")


def _check_foreign(db: Database, path: Path) -> None:
    tables = set(db.table_names())
    if tables and "_sqlite_migrations" not in tables:
        raise StoreError(f"{path} is an SQLite file of another program; point --home elsewhere")
    if "_sqlite_migrations" in tables:
        sets = {row[0] for row in db.execute("SELECT DISTINCT migration_set FROM _sqlite_migrations")}
        if sets and schema.MIGRATION_SET not in sets:
            raise StoreError(f"{path} is an SQLite file of another program; point --home elsewhere")


def _make_private(path: Path, said: bool) -> None:
    """Files 0600; with ``said``, a store that existed before, each fix is a warning.

    A new store is made under the umask, so fixing it is routine; a hole in an
    existing one is worth knowing about (docs/SECURITY.md).
    """
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & 0o077:
                os.chmod(candidate, 0o600)
                if said:
                    logging.getLogger(__name__).warning(
                        "store file %s was readable by others (%04o); made it 0600", candidate, mode)
        except FileNotFoundError:
            continue


def parse_day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def parse_moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
