"""A fake Gmail mailbox: messages with labels and headers, history, paging like Gmail.

What it copies from https://developers.google.com/workspace/gmail/api/reference/rest:
``messages.list`` newest first, 100 a page by default and 500 at most, with page
tokens that stay valid while mail arrives; ``messages.get`` in the metadata format
with only the ``metadataHeaders`` asked for; ``history.list`` of records after a
start id, 404 for a start id older than the retained history, page tokens valid only
with the start id that issued them (400 otherwise); page tokens of either list
answered 400 once expired (``expire_page_tokens``: Google may expire them when it
likes, https://google.aip.dev/158); and the limits of
the ``gmail.metadata`` scope: no ``q``, no ``format=full`` or ``raw``
(https://developers.google.com/workspace/gmail/api/auth/scopes).
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime

from .server import ApiError

METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"
GMAIL_SCOPES = {METADATA_SCOPE, "https://www.googleapis.com/auth/gmail.readonly",
                "https://www.googleapis.com/auth/gmail.modify", "https://mail.google.com/"}


@dataclass
class Message:
    id: str
    thread_id: str
    labels: set[str]
    internal_ms: int
    headers: list[tuple[str, str]]
    history_id: int
    body: str = "A body no connector may ever ask for."

    def key(self) -> tuple[int, str]:
        return (-self.internal_ms, self.id)


@dataclass
class Mailbox:
    address: str = "me@example.com"
    messages: dict[str, Message] = field(default_factory=dict)
    order: list[tuple[int, str]] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    history_id: int = 1000
    oldest_history: int = 1000
    page_generation: int = 0  # page tokens carry it; ``expire_page_tokens`` moves it on
    ids: itertools.count = field(default_factory=lambda: itertools.count(0x18f0000000000))
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)

    # --- changing the mailbox, as mail arrives or the user acts ---------------

    def add(self, *, sender: str, to: str = "", subject: str = "", at: datetime | None = None,
            labels: tuple[str, ...] = ("INBOX",), cc: str = "", message_id: str = "",
            in_reply_to: str = "", thread_id: str = "", extra: tuple[tuple[str, str], ...] = (),
            record: bool = True) -> Message:
        """Deliver (or send, with label SENT) one message; returns it."""
        at = at or self.now()
        identifier = format(next(self.ids), "x")
        message_id = message_id or f"<{identifier}@mail.example>"
        headers = [("From", sender), ("To", to), ("Subject", subject),
                   ("Date", format_datetime(at)), ("Message-ID", message_id)]
        if cc:
            headers.append(("Cc", cc))
        if in_reply_to:
            headers += [("In-Reply-To", in_reply_to), ("References", in_reply_to)]
        headers += list(extra)
        self.history_id += 3  # history ids grow with gaps (the API says so)
        message = Message(identifier, thread_id or identifier, set(labels), int(at.timestamp() * 1000),
                          headers, self.history_id)
        self.messages[identifier] = message
        bisect.insort(self.order, message.key())
        if record:
            self.history.append({"id": str(self.history_id), "messages": [self._stub(message)],
                                 "messagesAdded": [{"message": self._stub(message, labels=True)}]})
        return message

    def delete(self, identifier: str) -> None:
        message = self.messages.pop(identifier)
        self.order.remove(message.key())
        self.history_id += 3
        self.history.append({"id": str(self.history_id), "messages": [self._stub(message)],
                             "messagesDeleted": [{"message": self._stub(message, labels=True)}]})

    def expire_history(self) -> None:
        """Forget all history so far: older start ids now get 404, as after a week or so."""
        self.history.clear()
        self.oldest_history = self.history_id

    def expire_page_tokens(self) -> None:
        """Make every page token issued so far invalid, as Google does some time after issuing them."""
        self.page_generation += 1

    @staticmethod
    def _stub(message: Message, labels: bool = False) -> dict:
        stub = {"id": message.id, "threadId": message.thread_id}
        if labels:
            stub["labelIds"] = sorted(message.labels)
        return stub

    # --- the API -----------------------------------------------------------

    def get_profile(self, query: dict) -> dict:
        return {"emailAddress": self.address, "messagesTotal": len(self.messages),
                "threadsTotal": len({m.thread_id for m in self.messages.values()}),
                "historyId": str(self.history_id)}

    def list_messages(self, query: dict) -> dict:
        if query.get("q", [""])[0]:
            raise ApiError(403, "forbidden", "Metadata scope does not support 'q' parameter")
        labels = set(query.get("labelIds", []))
        size = _page_size(query, default=100, most=500)
        include_spam = query.get("includeSpamTrash", ["false"])[0] == "true"
        start = 0
        if query.get("pageToken"):
            start = bisect.bisect_right(self.order, _decode_token(query["pageToken"][0], self.page_generation))
        found: list[Message] = []
        position = start
        while position < len(self.order) and len(found) < size + 1:
            message = self.messages[self.order[position][1]]
            position += 1
            if labels <= message.labels and (include_spam or not message.labels & {"SPAM", "TRASH"}):
                found.append(message)
        answer: dict = {"resultSizeEstimate": len(found)}
        if found:
            page = found[:size]
            answer["messages"] = [self._stub(message) for message in page]
            if len(found) > size:
                answer["nextPageToken"] = _encode_token(self.page_generation, page[-1].key())
        return answer

    def get_message(self, identifier: str, query: dict) -> dict:
        format_ = query.get("format", ["full"])[0]
        if format_ != "metadata" and format_ != "minimal":
            raise ApiError(403, "forbidden", f"Metadata scope doesn't allow format {format_.upper()}")
        message = self.messages.get(identifier)
        if message is None:
            raise ApiError(404, "notFound", "Requested entity was not found.")
        answer = {"id": message.id, "threadId": message.thread_id, "labelIds": sorted(message.labels),
                  "historyId": str(message.history_id), "internalDate": str(message.internal_ms),
                  "sizeEstimate": 2048}
        if format_ == "metadata":
            wanted = {name.lower() for name in query.get("metadataHeaders", [])}
            headers = [{"name": name, "value": value} for name, value in message.headers
                       if not wanted or name.lower() in wanted]
            answer["payload"] = {"partId": "", "mimeType": "multipart/alternative", "filename": "",
                                 "headers": headers}
        return answer

    def list_history(self, query: dict) -> dict:
        start = int(query["startHistoryId"][0])
        if start < self.oldest_history:
            raise ApiError(404, "notFound", "Requested entity was not found.")
        size = _page_size(query, default=100, most=500)
        offset = _history_offset(query["pageToken"][0], start, self.page_generation) if query.get("pageToken") else 0
        types = set(query.get("historyTypes", []))
        records = [record for record in self.history if int(record["id"]) > start
                   and (not types or any(_TYPE_KEYS[t] in record for t in types))]
        page = records[offset:offset + size]
        answer: dict = {"historyId": str(self.history_id)}
        if page:
            answer["history"] = page
        if offset + size < len(records):
            answer["nextPageToken"] = _encode_history_token(self.page_generation, start, offset + size)
        return answer


_TYPE_KEYS = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
              "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}


def _page_size(query: dict, default: int, most: int) -> int:
    if "maxResults" not in query:
        return default
    return max(1, min(most, int(query["maxResults"][0])))


def _encode_history_token(generation: int, start: int, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([generation, start, offset]).encode()).decode()


def _history_offset(token: str, start: int, generation: int) -> int:
    """Where a history page token continues; Google refuses (400) a token sent with another startHistoryId.

    A page token belongs to the listing that issued it: every page of one listing is
    asked with the same ``startHistoryId``
    (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.history/list).
    """
    try:
        issued_in, issued_for, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise ApiError(400, "invalidArgument", "Invalid pageToken") from None
    if issued_for != start or issued_in != generation:
        raise ApiError(400, "invalidArgument", "Invalid pageToken")
    return int(offset)


def _encode_token(generation: int, key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps([generation, *key]).encode()).decode()


def _decode_token(token: str, generation: int) -> tuple[int, str]:
    try:
        issued_in, negative_ms, identifier = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise ApiError(400, "invalidArgument", "Invalid pageToken") from None
    if issued_in != generation:
        raise ApiError(400, "invalidArgument", "Invalid pageToken")
    return (negative_ms, identifier)
