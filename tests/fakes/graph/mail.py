"""The fake mailbox: folders of messages and Graph's per-folder delta query.

Behaves as https://learn.microsoft.com/graph/delta-query-messages documents:
the first round pages the folder (``@odata.nextLink``) and ends with an
``@odata.deltaLink``; later rounds return only what changed since, with
``@removed`` for messages that left the folder. ``$select`` limits the
properties returned (``id`` always comes back), and ``$filter`` accepts only
``receivedDateTime ge|gt <time>``, as on the real service. State tokens live
on the server; ``expire_tokens`` makes every old one answer 410 Gone.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

WELL_KNOWN = {"inbox": "Inbox", "sentitems": "Sent Items", "drafts": "Drafts", "archive": "Archive"}
FILTER = re.compile(r"^\s*receivedDateTime\s+(ge|gt)\s+(\S+)\s*$", re.IGNORECASE)


class GoneError(Exception):
    """The state token is unknown or expired: the client must start over (410)."""


class BadRequestError(Exception):
    """A query Graph would refuse (400)."""


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def address(email: str, name: str = "") -> dict:
    return {"emailAddress": {"address": email, "name": name or email.split("@")[0]}}


@dataclass
class StoredMessage:
    data: dict
    folder: str
    seq: int


@dataclass
class Round:
    """Server-side state behind one skiptoken: a frozen list of ids to page through."""

    folder: str
    select: tuple[str, ...] | None
    entries: list[str]
    offset: int
    end_seq: int
    removed: set[str] = field(default_factory=set)
    generation: int = 0
    since: tuple[str, datetime] | None = None


class Mailbox:
    """Folders of messages with a change sequence, as the delta endpoint needs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.folders: dict[str, str] = dict(WELL_KNOWN)  # id -> display name
        self.messages: dict[str, StoredMessage] = {}
        self.tombstones: dict[str, list[tuple[str, int]]] = {}
        self.by_folder: dict[str, dict[str, None]] = {name: {} for name in self.folders}
        self.seq = 0
        self.generation = 0
        self.rounds: dict[str, Round] = {}
        self.deltas: dict[str, tuple[str, tuple[str, ...] | None, int, int, tuple | None]] = {}
        self._ids = itertools.count(1)

    # -- what tests do to the mailbox -------------------------------------------------

    def add_folder(self, name: str) -> str:
        with self.lock:
            folder_id = f"folder-{next(self._ids)}"
            self.folders[folder_id] = name
            self.by_folder[folder_id] = {}
            return folder_id

    def add(self, folder: str = "inbox", **fields) -> str:
        """Store a message; unspecified fields get plausible values. Returns its id."""
        with self.lock:
            number = next(self._ids)
            message_id = fields.pop("id", f"AAMkMSG{number:08d}")
            received = fields.pop("received", None) or datetime.now(timezone.utc)
            sender = fields.pop("sender", "someone@example.com")
            data = {
                "id": message_id,
                "subject": fields.pop("subject", f"Message {number}"),
                "from": address(sender, fields.pop("sender_name", "")),
                "sender": address(sender),
                "toRecipients": [address(a) for a in fields.pop("to", ["me@example.com"])],
                "ccRecipients": [address(a) for a in fields.pop("cc", [])],
                "bccRecipients": [],
                "receivedDateTime": received.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sentDateTime": received.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "internetMessageId": fields.pop("internet_message_id", f"<m{number}@example.com>"),
                "conversationId": fields.pop("conversation_id", f"conv-{number}"),
                "isDraft": fields.pop("is_draft", False),
                "isRead": False,
                "importance": "normal",
                "body": {"contentType": "text", "content": fields.pop("body", "secret body text")},
                "bodyPreview": "secret body text",
                "uniqueBody": {"contentType": "text", "content": "secret body text"},
                "internetMessageHeaders": [{"name": "X-Secret", "value": "header"}],
            }
            data.update(fields)
            self._store(message_id, data, folder)
            return message_id

    def update(self, message_id: str, **fields) -> None:
        with self.lock:
            stored = self.messages[message_id]
            stored.data.update(fields)
            self._store(message_id, stored.data, stored.folder)

    def delete(self, message_id: str) -> None:
        with self.lock:
            stored = self.messages.pop(message_id)
            self.by_folder[stored.folder].pop(message_id, None)
            self.seq += 1
            self.tombstones.setdefault(stored.folder, []).append((message_id, self.seq))

    def move(self, message_id: str, folder: str) -> None:
        with self.lock:
            stored = self.messages[message_id]
            self.delete(message_id)
            self._store(message_id, stored.data, folder)

    def expire_tokens(self) -> None:
        """Every state token handed out so far now answers 410 Gone."""
        with self.lock:
            self.generation += 1

    def _store(self, message_id: str, data: dict, folder: str) -> None:
        self.seq += 1
        self.messages[message_id] = StoredMessage(data=data, folder=folder, seq=self.seq)
        self.by_folder[folder].pop(message_id, None)
        self.by_folder[folder][message_id] = None  # re-insert: dict order = change order

    # -- the delta endpoint -----------------------------------------------------------

    def folder_id(self, name_or_id: str) -> str:
        key = name_or_id.lower() if name_or_id.lower() in WELL_KNOWN else name_or_id
        if key not in self.folders:
            raise KeyError(name_or_id)
        return key

    def start(self, folder: str, select: tuple[str, ...] | None, filter_text: str | None) -> Round:
        """The first request of a round: snapshot the folder's ids (oldest change first)."""
        since = None
        if filter_text:
            match = FILTER.match(filter_text)
            if not match:
                raise BadRequestError("only receivedDateTime ge|gt is supported on delta")
            since = (match.group(1).lower(), _parse_time(match.group(2)))
        with self.lock:
            entries = [m for m in self.by_folder[folder] if self._matches(m, since)]
            return Round(folder, select, entries, 0, self.seq, generation=self.generation, since=since)

    def resume_delta(self, token: str) -> Round:
        with self.lock:
            if token not in self.deltas or self.deltas[token][3] != self.generation:
                raise GoneError(token)
            folder, select, start_seq, _, since = self.deltas[token]
            changed = [m for m in self.by_folder[folder] if self.messages[m].seq > start_seq]
            removed = [m for m, seq in self.tombstones.get(folder, []) if seq > start_seq]
            removed = [m for m in dict.fromkeys(removed) if m not in self.by_folder[folder]]
            entries = removed + changed
            return Round(folder, select, entries, 0, self.seq, set(removed), self.generation, since)

    def resume_round(self, token: str) -> Round:
        with self.lock:
            round_ = self.rounds.get(token)
            if round_ is None or round_.generation != self.generation:
                raise GoneError(token)
            return round_

    def page(self, round_: Round, size: int) -> tuple[list[dict], str | None, str | None]:
        """One page of a round: (items, skiptoken or None, deltatoken or None)."""
        with self.lock:
            chunk = round_.entries[round_.offset : round_.offset + size]
            items = [self._render(m, round_) for m in chunk]
            rest = round_.entries[round_.offset + size :]
            if rest:
                token = f"skip{next(self._ids)}"
                self.rounds[token] = Round(
                    round_.folder, round_.select, round_.entries, round_.offset + size,
                    round_.end_seq, round_.removed, round_.generation, round_.since,
                )
                return items, token, None
            token = f"delta{next(self._ids)}"
            self.deltas[token] = (round_.folder, round_.select, round_.end_seq, round_.generation, round_.since)
            return items, None, token

    def _matches(self, message_id: str, since) -> bool:
        if since is None:
            return True
        received = _parse_time(self.messages[message_id].data["receivedDateTime"])
        return received >= since[1] if since[0] == "ge" else received > since[1]

    def _render(self, message_id: str, round_: Round) -> dict:
        stored = self.messages.get(message_id)
        if stored is None or stored.folder != round_.folder or message_id in round_.removed:
            return {"id": message_id, "@removed": {"reason": "deleted"}}
        if round_.select is None:
            return dict(stored.data)
        return {key: stored.data[key] for key in ("id", *round_.select) if key in stored.data}
