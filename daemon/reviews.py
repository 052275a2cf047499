"""The review tables of the store: what a sync could not decide, and what it saw meanwhile.

A message from ``bob@shared.example`` (an address two contacts have) or an
event with an attendee called like a contact but unknown by address is not
guessed: it opens a review row. What that item *was* (source, id, kind,
direction, time, Message-ID, status; never subject or content) is held beside
the row, so deciding the review later credits it: `connect5 review assign`
turns the held items into interactions of the chosen contact, and the pick
that was waiting for that reply shows "replied". Undoing the assignment
(`connect5 review forget`) takes the credit back and holds the items again.

``ReviewTables`` is mixed into ``daemon.store.Store``; it needs ``self.db``,
``self.query`` and ``self.add_interaction`` from there.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.clock import iso
from daemon.clock import stamp as utc_now

# Held items per review row: the newest are kept (a correspondent writing daily
# from an unknown address for years still needs only the recent ones credited).
MAX_HELD = 100

HELD_FIELDS = ("source", "external_id", "kind", "direction", "at", "message_id", "status", "created", "updated")


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class ReviewTables:
    def add_review(self, kind: str, value: str, candidates: list[str], reason: str, source: str) -> int:
        """Open (or see again) the review row for ``kind``/``value``; returns its id."""
        now = utc_now()
        self.db.execute(
            "INSERT INTO review (kind, value, candidates, reason, source, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(kind, value) DO UPDATE SET"
            " last_seen = excluded.last_seen, seen = review.seen + 1, candidates = excluded.candidates",
            [kind, value, json.dumps(sorted(candidates)), reason, source, now, now],
        )
        review_id, resolved = self.db.execute(
            "SELECT id, resolved FROM review WHERE kind = ? AND value = ?", [kind, value]).fetchone()
        if resolved and _decided_only_its_items(self, review_id, json.loads(resolved)):
            # Assigning a name that taught no address and left no alias decided the
            # items it held, nothing more: a new item under that name is a new question.
            self.db.execute("UPDATE review SET resolved = NULL, reason = ? WHERE id = ?", [reason, review_id])
        return review_id

    def hold_for_review(
        self,
        review_id: int,
        *,
        source: str,
        external_id: str,
        kind: str,
        direction: str,
        at: datetime | None,
        message_id: str = "",
        status: str = "confirmed",
        created: datetime | None = None,
        updated: datetime | None = None,
    ) -> None:
        """Keep what an undecided item was, to credit it when review ``review_id`` is decided.

        Only open rows hold items: a dismissed row stays dismissed. Seeing the same
        item again (a calendar event moved) replaces what was held.
        """
        if at is None or self.db.execute("SELECT resolved FROM review WHERE id = ?", [review_id]).fetchone()[0]:
            return
        self.db.execute(
            "INSERT OR REPLACE INTO review_held (review_id, source, external_id, kind, direction, at, message_id,"
            " status, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [review_id, source, external_id, kind, direction, _iso(at), message_id, status,
             _iso(created), _iso(updated)],
        )
        (count,) = self.db.execute("SELECT count(*) FROM review_held WHERE review_id = ?", [review_id]).fetchone()
        if count > MAX_HELD:
            self.db.execute(
                "DELETE FROM review_held WHERE review_id = ? AND id NOT IN"
                " (SELECT id FROM review_held WHERE review_id = ? ORDER BY at DESC, id DESC LIMIT ?)",
                [review_id, review_id, MAX_HELD],
            )

    def held_items(self, review_id: int) -> list[dict[str, Any]]:
        return self.query(
            f"SELECT {', '.join(HELD_FIELDS)} FROM review_held WHERE review_id = ? ORDER BY at, id", [review_id]
        )

    def drop_held(self, review_id: int) -> None:
        self.db.execute("DELETE FROM review_held WHERE review_id = ?", [review_id])

    def credit_held(self, review_id: int, key: str) -> list[dict[str, Any]]:
        """Make the items held by review ``review_id`` interactions of contact ``key``.

        Returns one record per held item, saying what crediting changed (a new
        interaction, or a new link to one already stored), for ``uncredit``. A
        message stored under another id (the same Message-ID in another folder)
        is credited there, so one message still counts once.
        """
        credited = []
        for held in self.held_items(review_id):
            target = (held["source"], held["external_id"])
            if held["message_id"]:
                same = self.db.execute(
                    "SELECT source, external_id FROM interactions WHERE message_id = ? AND message_id != '' LIMIT 1",
                    [held["message_id"]],
                ).fetchone()
                if same is not None:
                    target = tuple(same)
            row = self._interaction_id(target)
            if row is None:  # never stored: nobody it named was known
                self.add_interaction(
                    source=held["source"], external_id=held["external_id"], kind=held["kind"],
                    direction=held["direction"], at=_moment(held["at"]), contact_keys=(),
                    message_id=held["message_id"], status=held["status"], created=_moment(held["created"]),
                    updated=_moment(held["updated"]),
                )
                row = self._interaction_id(target)
            linked = self.db.execute(
                "INSERT OR IGNORE INTO interaction_contacts (interaction_id, contact_key) VALUES (?, ?)", [row, key]
            ).rowcount > 0
            credited.append({**held, "target": list(target), "linked": linked})
        self.drop_held(review_id)
        return credited

    def uncredit(self, review_id: int, key: str, credited: list[dict[str, Any]]) -> None:
        """Undo ``credit_held``: unlink what it linked, drop what is left with nobody, hold the items again."""
        for item in credited:
            row = self._interaction_id(item["target"])
            if row is not None and item["linked"]:
                self.db.execute(
                    "DELETE FROM interaction_contacts WHERE interaction_id = ? AND contact_key = ?", [row, key]
                )
                self.db.execute(
                    "DELETE FROM interactions WHERE id = ? AND NOT EXISTS"
                    " (SELECT 1 FROM interaction_contacts WHERE interaction_id = ?)",
                    [row, row],
                )
            self.db.execute(
                f"INSERT OR REPLACE INTO review_held (review_id, {', '.join(HELD_FIELDS)})"
                f" VALUES (?, {', '.join('?' * len(HELD_FIELDS))})",
                [review_id, *(item[name] for name in HELD_FIELDS)],
            )

    def _interaction_id(self, target) -> int | None:
        row = self.db.execute(
            "SELECT id FROM interactions WHERE source = ? AND external_id = ?", list(target)
        ).fetchone()
        return row[0] if row else None


def _decided_only_its_items(store, review_id: int, resolved: dict) -> bool:
    if resolved.get("action") != "assigned" or resolved.get("taught") or resolved.get("removed"):
        return False
    alias = store.db.execute("SELECT 1 FROM contact_aliases WHERE source = ?", [f"review:{review_id}"]).fetchone()
    return alias is None
