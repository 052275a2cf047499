"""The store's connection: a small sqlite3 wrapper with sqlite-utils' calling shape.

Commands such as ``connect5 today`` must finish within interpreter start-up,
and importing sqlite-utils alone costs about 75 ms, so day-to-day reads and
writes go through this wrapper (``execute``, ``query``, ``atomic``) and
sqlite-utils is imported only to apply migrations (``daemon.schema``).

The connection runs in autocommit mode (``isolation_level=None``): a statement
outside ``atomic()`` commits on its own, as sqlite-utils' ``execute`` does;
``atomic()`` opens ``BEGIN IMMEDIATE`` (so a writer never fails half-way on a
lock upgrade) or a savepoint when nested.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_savepoints = itertools.count()


class Database:
    def __init__(self, connection: sqlite3.Connection):
        connection.isolation_level = None
        self.conn = connection

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def query(self, sql: str, parameters: Any = ()) -> Iterator[dict[str, Any]]:
        cursor = self.conn.execute(sql, parameters)
        names = [column[0] for column in cursor.description or ()]
        for row in cursor:
            yield dict(zip(names, row))

    def table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            name = f"connect5_{next(_savepoints)}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
