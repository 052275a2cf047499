"""One Maildir file's header block, read without its body, turned into a ``MailItem``.

At most ``HEADER_LIMIT`` bytes of a file are read, in growing chunks that stop as
soon as the blank line ending the headers is in hand, so a huge attachment costs
nothing and a file without a header block cannot make us read gigabytes. A
settled file shorter than that with no blank line at all is a message without a
body when every line of it is a header field.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from connectors import headers as mail_headers
from connectors.records import Address, MailItem
from rules.addresses import normalise_address

FIRST_READ = 8 * 1024  # most header blocks are 2-6 KB
HEADER_LIMIT = 256 * 1024
# A file without the blank line that is younger than this may still be written
# by a tool that does not use tmp/; it is read again on the next sync.
SETTLING_NS = 60 * 1_000_000_000

ADDRESS_FIELDS = ("from", "to", "cc")
IDENTITY_FIELDS = ("date", "subject", "message-id", "in-reply-to", "references")
# The few extra headers rules look at, stored in MailItem.headers.
KEPT_FIELDS = ("list-id", "list-unsubscribe", "precedence", "auto-submitted", "x-autoreply", "x-autorespond")
KEPT_PREFIXES = ("x-linkedin-",)
WANTED_FIELDS = ADDRESS_FIELDS + IDENTITY_FIELDS + KEPT_FIELDS
_MESSAGE_FIELDS = frozenset({"from", "to", "date", "subject", "message-id"})
_ALWAYS_THERE = frozenset(ADDRESS_FIELDS + IDENTITY_FIELDS)


# RFC 5322 3.6.8: a field name is printable US-ASCII except the colon.
_FIELD_LINE = re.compile(rb"[!-9;-~]+:")

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


class UnreadableMessageError(Exception):
    """The file is not a message we can read; the reason is the message."""


class MessageNotReadyError(Exception):
    """The file may still be being written; try again on the next sync."""


@dataclass(frozen=True)
class Identity:
    """Who the reader is: what every item needs besides the file.

    ``own_addresses`` are normalised (``rules.addresses.normalise_address``), so
    ``Ada.Lovelace+work@googlemail.com`` is as much yours as ``adalovelace@gmail.com``.
    """

    source: str
    own_addresses: frozenset[str]

    @classmethod
    def of(cls, source: str, own_addresses) -> Identity:
        return cls(source, frozenset(normalise_address(address) for address in own_addresses))


def read_header_block(path: str, mtime_ns: int, now_ns: int) -> bytes:
    """The header block of the file at ``path`` (without the blank line).

    Raises ``FileNotFoundError`` when the file is gone, ``MessageNotReadyError`` or
    ``UnreadableMessageError`` as documented above.
    """
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        data = os.read(descriptor, FIRST_READ)
        end = mail_headers.header_end(data)
        chunk = FIRST_READ
        while end < 0 and len(data) < HEADER_LIMIT:
            more = os.read(descriptor, min(chunk, HEADER_LIMIT - len(data)))
            if not more:
                break
            data += more
            chunk *= 2
            end = mail_headers.header_end(data)
    finally:
        os.close(descriptor)
    if end >= 0:
        if end == 0:
            raise UnreadableMessageError("no header block (the file starts with a blank line)")
        return data[:end]
    if not data:
        raise UnreadableMessageError("empty file")
    if len(data) >= HEADER_LIMIT:
        raise UnreadableMessageError(f"header block longer than {HEADER_LIMIT // 1024} KB")
    if -1_000_000_000 < now_ns - mtime_ns < SETTLING_NS:  # a time ahead is another clock's, not a write now
        raise MessageNotReadyError(path)
    if _only_header_lines(data):
        # RFC 5322 3.5: the body, and the blank line before it, are optional.
        return data
    raise UnreadableMessageError("no blank line after the headers")


def _only_header_lines(data: bytes) -> bool:
    """True when every line of ``data`` is a header field or the continuation of one.

    A settled file without a blank line is a header block only then; a line of
    anything else may be body text, which is never read as a header.
    """
    lines = data.split(b"\n")
    if lines[-1] in (b"", b"\r"):
        lines.pop()  # the line end of the last field
    for index, line in enumerate(lines):
        if index and line[:1] in (b" ", b"\t"):
            continue
        if not _FIELD_LINE.match(line):
            return False
    return True


def build_item(block: bytes, external_id: str, mtime_ns: int, identity: Identity) -> MailItem:
    """The ``MailItem`` for one header block; raises ``UnreadableMessageError`` for non-mail."""
    fields = mail_headers.block_fields(block, WANTED_FIELDS, KEPT_PREFIXES)
    if "from" not in fields and "message-id" not in fields and not _MESSAGE_FIELDS.intersection(fields):
        raise UnreadableMessageError("not a mail message (no From, To, Date, Subject or Message-ID)")
    senders = mail_headers.addresses(fields.get("from", ()))
    sender = senders[0] if senders else None
    sent_at = None
    if "date" in fields:
        sent_at = mail_headers.parse_date(fields["date"][0])
    if sent_at is None:
        # No usable Date: the file's mtime is when it was delivered (or saved).
        sent_at = datetime.fromtimestamp(mtime_ns / 1e9, timezone.utc)
    message_id = _first_id(fields, "message-id")
    in_reply_to = _first_id(fields, "in-reply-to")
    # The thread is named by its first message: References' first id, else the
    # parent, else this message.
    return MailItem(
        source=identity.source,
        external_id=external_id,
        sent_at=sent_at,
        sender=sender,
        to=mail_headers.addresses(fields.get("to", ())),
        cc=mail_headers.addresses(fields.get("cc", ())),
        subject=mail_headers.decode(fields["subject"][0]) if "subject" in fields else "",
        message_id=message_id,
        thread_id=_first_id(fields, "references") or in_reply_to or message_id,
        in_reply_to=in_reply_to,
        direction=_direction(sender, identity.own_addresses),
        headers=_kept_headers(fields),
    )


def _first_id(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name)
    return mail_headers.first_message_id(values[0]) if values else ""


def _direction(sender: Address | None, own_addresses: frozenset[str]) -> str:
    return "out" if sender is not None and normalise_address(sender.email) in own_addresses else "in"


def _kept_headers(fields: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    if fields.keys() <= _ALWAYS_THERE:
        return ()  # most mail: no list, auto-reply or LinkedIn headers
    extra = fields.keys() - _ALWAYS_THERE  # whatever is left is a kept field
    return tuple((name, mail_headers.decode(value)) for name in sorted(extra) for value in fields[name])
