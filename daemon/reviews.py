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
import re
from datetime import datetime
from typing import Any

from daemon.clock import iso
from daemon.clock import stamp as utc_now

# Held items per review row: the newest are kept (a correspondent writing daily
# from an unknown address for years still needs only the recent ones credited).
MAX_HELD = 100

ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")

HELD_FIELDS = ("source", "external_id", "kind", "direction", "at", "message_id", "status", "created", "updated")


def taught_addresses(row: dict[str, Any]) -> list[str]:
    """What assigning ``row`` teaches: its address, or the one address its reason names."""
    from rules.matching import normalise_address

    if row["kind"] == "address":
        return [normalise_address(row["value"])]
    found = {normalise_address(match) for match in ADDRESS.findall(row["reason"])}
    if row.get("source") == "vcard":
        return sorted(found)  # a card's own addresses, all of them its person's
    return sorted(found) if len(found) == 1 else []


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class ReviewTables:
    def add_review(self, kind: str, value: str, candidates: list[str], reason: str, source: str,
                   item: tuple[str, str, datetime | None] | None = None) -> int:
        """Open (or see again) the review row for ``kind``/``value``; returns its id.

        ``item`` (source, external id, time) already held by the row is the same
        message read again (``sync --again``, an import reading sources afresh): not
        seen again. Nor is one older than all of a full row's ``MAX_HELD`` items: the
        row held it once and let it go for newer ones.
        """
        now = utc_now()
        again = item is not None and self._held_before(kind, value, *item)
        self.db.execute(
            "INSERT INTO review (kind, value, candidates, reason, source, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(kind, value) DO UPDATE SET"
            " last_seen = excluded.last_seen, seen = review.seen + ?, candidates = excluded.candidates",
            [kind, value, json.dumps(sorted(candidates)), reason, source, now, now, 0 if again else 1],
        )
        review_id, resolved = self.db.execute(
            "SELECT id, resolved FROM review WHERE kind = ? AND value = ?", [kind, value]).fetchone()
        if resolved and _decided_only_its_items(self, review_id, json.loads(resolved)):
            # Assigning a name that taught no address and left no alias decided the
            # items it held, nothing more: a new item under that name is a new question.
            self.db.execute("UPDATE review SET resolved = NULL, reason = ? WHERE id = ?", [reason, review_id])
        return review_id

    def _held_before(self, kind: str, value: str, source: str, external_id: str, at: datetime | None) -> bool:
        row = self.db.execute("SELECT id FROM review WHERE kind = ? AND value = ?", [kind, value]).fetchone()
        if row is None:
            return False
        held = self.db.execute("SELECT 1 FROM review_held WHERE review_id = ? AND source = ? AND external_id = ?",
                               [row[0], source, external_id]).fetchone()
        if held is not None:
            return True
        count, oldest = self.db.execute("SELECT count(*), min(at) FROM review_held WHERE review_id = ?",
                                        [row[0]]).fetchone()
        return count >= MAX_HELD and at is not None and _iso(at) < oldest

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

    def settle_learned(self, address: str, key: str, learned_from: str) -> int:
        """A sync just learned that ``address`` is ``key``'s: open reviews about it are decided so.

        A reply read before the sent mail that taught its sender's address (the
        inbox is read before Sent) waits in review as an unknown sender; it is
        credited to ``key`` now, as ``review assign`` would. ``review forget
        ADDRESS`` opens such rows again. Returns how many items were credited.
        """
        count = 0
        for row in self.query("SELECT * FROM review WHERE resolved IS NULL"):
            if address not in taught_addresses(row) or key not in json.loads(row["candidates"]):
                continue  # another question, or one about someone else ("Carol King" at Bob's address)
            credited = self.credit_held(row["id"], key)
            resolved = {"action": "learned", "contact_key": key, "at": utc_now(), "address": address,
                        "learned_from": learned_from, "taught": [], "removed": [], "credited": credited}
            self.db.execute("UPDATE review SET resolved = ? WHERE id = ?", [json.dumps(resolved), row["id"]])
            count += len(credited)
        return count

    def settled_by_learning(self, address: str, key: str) -> list[int]:
        """The reviews ``settle_learned`` decided when ``address`` was learned for ``key``."""
        return [row[0] for row in self.db.execute(
            "SELECT id FROM review WHERE json_extract(resolved, '$.action') = 'learned'"
            " AND json_extract(resolved, '$.address') = ? AND json_extract(resolved, '$.contact_key') = ?",
            [address, key])]

    def open_reviews(self, ids) -> int:
        """How many of review rows ``ids`` are still open."""
        ids, count = sorted(ids), 0
        for start in range(0, len(ids), 500):  # well under SQLite's limit on parameters
            chunk = ids[start:start + 500]
            count += self.db.execute(
                f"SELECT count(*) FROM review WHERE resolved IS NULL AND id IN ({', '.join('?' * len(chunk))})",
                chunk).fetchone()[0]
        return count

    def _interaction_id(self, target) -> int | None:
        row = self.db.execute(
            "SELECT id FROM interactions WHERE source = ? AND external_id = ?", list(target)
        ).fetchone()
        return row[0] if row else None


def _decided_only_its_items(store, review_id: int, resolved: dict) -> bool:
    if resolved.get("action") not in ("assigned", "learned") or resolved.get("taught") or resolved.get("removed"):
        return False
    alias = store.db.execute("SELECT 1 FROM contact_aliases WHERE source = ?", [f"review:{review_id}"]).fetchone()
    return alias is None
