"""Reading ``messages.csv`` into Touches: who wrote to whom on LinkedIn, and when.

Only the conversation id, the people's profile URLs, the date and the folder are
read from a row; SUBJECT and CONTENT are never copied out of the CSV row, which is
dropped as soon as those fields are taken (message bodies are never stored).

The owner of the export decides the direction: a message sent by the owner is
"out" and gives one Touch per other recipient; anything else is "in" from its
sender. The owner is ``me.linkedin_url`` when given, else the profile URL that
takes part in the most conversations.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from connectors.linkedin.fields import normalise_profile_url, parse_message_time
from connectors.linkedin.reader import CsvRecords
from connectors.linkedin.report import Skipped
from connectors.records import Touch

log = logging.getLogger(__name__)

SOURCE = "linkedin-messages"
_COLUMNS = {
    "conversation id": "conversation",
    "sender profile url": "sender",
    "recipient profile urls": "recipients",
    "date": "date",
    "folder": "folder",
}
_REQUIRED = ("conversation", "sender", "recipients", "date")
_URL_SEPARATORS = re.compile(r"[\s,;]+")
_HEAD_RECORDS = 5
_FUTURE_SLACK = timedelta(days=1)  # a message "tomorrow" is a time zone away, not an error


@dataclass(frozen=True)
class _Message:
    line: int
    conversation: str
    sender: str | None
    recipients: tuple[str, ...]
    at: datetime


def read_messages(
    stream: TextIO, what: str, owner_url: str | None = None, file: str = "messages.csv", now: datetime | None = None
) -> tuple[list[Touch], list[Skipped], str | None]:
    """(touches, skipped rows, owner URL used) from one messages.csv text stream.

    With ``now``, messages dated more than a day after it are skipped: a wrong clock
    or a damaged date must not make someone "in touch today" for years.
    """
    skipped: list[Skipped] = []
    reader = CsvRecords(stream, skipped, file)
    records = iter(reader)
    columns, width = _find_header(reader, records)
    if columns is None:
        log.warning("%s is not a LinkedIn messages.csv; no messages imported", what)
        reason = "not a LinkedIn messages.csv: expected a header with CONVERSATION ID, SENDER PROFILE URL, DATE"
        return [], [Skipped(1, reason, file)], None
    reader.fits = lambda row: len(row) == width
    latest = now + _FUTURE_SLACK if now is not None else None
    messages = []
    for line, row in records:
        outcome = _read_row(row, columns, width, line, latest)
        if isinstance(outcome, str):
            skipped.append(Skipped(line, outcome, file))
            log.debug("%s:%d skipped: %s", file, line, outcome)  # the caller reports it
        elif outcome is not None:
            messages.append(outcome)
    owner = _owner(messages, owner_url, what)
    touches = _touches(messages, owner, skipped, file)
    log.info("%s: %d touches from %d messages, %d rows skipped", what, len(touches), len(messages), len(skipped))
    return touches, skipped, owner


def _find_header(reader: CsvRecords, records: Iterator[tuple[int, list[str]]]) -> tuple[dict[str, int] | None, int]:
    for _, row in itertools.islice(records, _HEAD_RECORDS):
        columns = _columns(row)
        if columns is None and len(row) == 1 and ";" in row[0] and len(reader.last_lines) == 1:
            # A re-save by a European Excel splits on ";": so does everything after its header.
            cells = next(csv.reader(reader.last_lines, delimiter=";"), [])
            columns = _columns(cells)
            if columns is not None:
                reader.read_again([], delimiter=";")
                return columns, len(cells)
        if columns is not None:
            return columns, len(row)
    return None, 0


def _columns(row: list[str]) -> dict[str, int] | None:
    """Where each column is, when ``row`` is a messages.csv header."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        name = _COLUMNS.get(" ".join(cell.split()).lower().lstrip("\ufeff"))
        if name and name not in columns:
            columns[name] = index
    return columns if all(name in columns for name in _REQUIRED) else None


def _read_row(
    row: list[str], columns: dict[str, int], width: int, line: int, latest: datetime | None
) -> _Message | str | None:
    if not any(cell.strip() for cell in row):
        return None
    if len(row) != width:
        return f"expected {width} columns, found {len(row)}"
    if "folder" in columns and row[columns["folder"]].strip().upper() == "DRAFT":
        return "draft, never sent"
    when = row[columns["date"]].strip()
    at = parse_message_time(when)
    if at is None:
        return f"unreadable date {when[:40]!r}"
    if latest is not None and at > latest:
        return f"dated in the future ({when[:40]})"
    return _Message(
        line=line,
        conversation=row[columns["conversation"]].strip(),
        sender=_profile_or_none(row[columns["sender"]]),
        recipients=tuple(
            url for url in map(_profile_or_none, _URL_SEPARATORS.split(row[columns["recipients"]])) if url
        ),
        at=at,
    )


def _profile_or_none(text: str) -> str | None:
    if not text.strip():
        return None
    try:
        return normalise_profile_url(text)
    except ValueError:
        return None


def _owner(messages: list[_Message], owner_url: str | None, what: str) -> str | None:
    participants: dict[str, set[str]] = {}
    sent: Counter[str] = Counter()
    for message in messages:
        people = participants.setdefault(message.conversation, set())
        people.update(message.recipients)
        if message.sender:
            people.add(message.sender)
            sent[message.sender] += 1
    conversations: Counter[str] = Counter(url for people in participants.values() for url in people)
    if owner_url:
        owner = _profile_or_none(owner_url)
        if owner and (owner in conversations or not conversations):
            return owner
        log.warning("me.linkedin_url %r is in no conversation of %s; guessing the owner instead", owner_url, what)
    if not conversations:
        return None
    # Most conversations first, then most messages sent, then the URL for a stable choice.
    return min(conversations, key=lambda url: (-conversations[url], -sent[url], url))


def _touches(messages: list[_Message], owner: str | None, skipped: list[Skipped], file: str) -> list[Touch]:
    touches: dict[str, Touch] = {}
    for message in messages:
        if owner is not None and message.sender == owner:
            direction, others = "out", [url for url in message.recipients if url != owner]
            reason = "sent message without another recipient's profile URL"
        else:
            direction, others = "in", [message.sender] if message.sender else []
            reason = "received message without a sender profile URL"
        if not others:
            skipped.append(Skipped(message.line, reason, file))
            continue
        for other in dict.fromkeys(others):
            external_id = _external_id(message, other)
            touches.setdefault(
                external_id,
                Touch(SOURCE, external_id, contact_key=other, at=message.at, kind="linkedin", direction=direction),
            )
    return list(touches.values())


def _external_id(message: _Message, other: str) -> str:
    """Stable across re-imports: conversation, time, sender, and the other person."""
    text = "\x1f".join((message.conversation, message.at.isoformat(), message.sender or "", other))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
