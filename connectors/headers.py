"""Reading mail headers without reading mail: the header block, addresses, RFC 2047 words, dates.

Shared by the mail connectors (Maildir files, Gmail and Graph metadata headers).
Everything here is a pure function over bytes or text and never raises on bad
input: one malformed message must not stop a sync, so a broken header becomes an
empty or best-effort value.

Speed matters (a Maildir backfill reads tens of thousands of files), so the common
shapes take hand-written fast paths and everything else falls back to the standard
library's compat32 helpers (``email.utils.getaddresses``,
``email.utils.parsedate_to_datetime``, ``email.header.decode_header``), which are
correct for the odd cases and about ten times slower for the usual ones.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from connectors.records import Address

# The stdlib's email helpers (email.utils takes ~15 ms to import, with socket and
# random) are imported where the rare shapes that need them turn up.

# RFC 5322 3.6.8: a field name is printable US-ASCII except the colon.
_FIELD_NAME = re.compile(rb"[!-9;-~]+")
# Unfolding (RFC 5322 2.2.3) removes the line break before a continuation line.
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_FOLD_TEXT = re.compile(r"\r?\n(?=[ \t])")
# What bytes.strip() removes; str.strip() would also take Unicode spaces (U+00A0 ...).
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
_BRACKETED = re.compile(r"<([^<>]*)>")
# The blank line that ends a header block, with LF or CRLF line ends.
_BLANK_LINE = re.compile(rb"\n\r?\n")


def header_end(data: bytes) -> int:
    """Where the header block in ``data`` ends: the index of its blank line, or -1.

    Works for LF and CRLF line ends. A message that starts with a blank line has an
    empty header block (0).
    """
    if data.startswith((b"\n", b"\r\n")):
        return 0
    # One regex pass is faster than two bytes.find calls over the same few KB.
    match = _BLANK_LINE.search(data)
    if match is None:
        return -1
    position = match.start()
    if data[position + 1] == 0x0D and data[position + 3 : position + 4] == b"\n":
        # "\n\r\n\n": a CRLF blank line counts only when it lies wholly before the
        # first LF one (as with the two searches this replaces); here the LF one wins.
        return position + 3
    return position + 1


def parse_header_block(
    data: bytes,
    names: Iterable[str] | None = None,
    prefixes: Iterable[str] = (),
) -> dict[str, list[str]]:
    """The header fields of ``data`` (a message or its start): lower-case name -> values.

    Only the header block is looked at (up to the first blank line, or all of
    ``data`` when it has none). Values are unfolded and stripped, decoded from
    UTF-8 (RFC 6532) or else Latin-1, but RFC 2047 words are left as they are (see
    ``decode``). Lines that are not header fields are ignored.

    With ``names`` (lower-case) only those fields, plus any whose name starts with
    one of ``prefixes``, are returned; this is a few substring searches instead of
    a walk over every line, and gives the same values as the full walk.
    """
    end = header_end(data)
    return block_fields(data if end < 0 else data[:end], names, prefixes)


def block_fields(
    block: bytes,
    names: Iterable[str] | None = None,
    prefixes: Iterable[str] = (),
) -> dict[str, list[str]]:
    """``parse_header_block`` for a block already cut at its blank line (saves a search)."""
    if names is None:
        return _all_fields(block)
    return _some_fields(block, names, prefixes)


def _all_fields(block: bytes) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    name = b""
    parts: list[bytes] = []
    for line in block.split(b"\n"):
        if name and line[:1] in (b" ", b"\t"):
            parts.append(line)
            continue
        if name:
            fields.setdefault(name.decode("ascii"), []).append(_text(b"\n".join(parts)))
        colon = line.find(b":")
        name = line[:colon].lower() if colon > 0 else b""
        if name and _FIELD_NAME.fullmatch(name):
            parts = [line[colon + 1 :]]
        else:
            name = b""
    if name:
        fields.setdefault(name.decode("ascii"), []).append(_text(b"\n".join(parts)))
    return fields


def _some_fields(block: bytes, names: Iterable[str], prefixes: Iterable[str]) -> dict[str, list[str]]:
    pattern = _field_pattern(tuple(names), tuple(prefixes))
    try:
        # Nearly every block is UTF-8: decoding it once is cheaper than decoding
        # each value, and gives the same text, as values are cut at ASCII characters.
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return _some_fields_bytes(block, pattern)
    fields: dict[str, list[str]] = {}
    keys = _FIELD_KEYS
    for name, value in _text_pattern(pattern).findall("\n" + text):
        key = keys.get(name)
        if key is None:
            key = name.lower()
            if len(keys) < 1024:  # bounded: hostile mail can spell names in any case
                keys[name] = key
        if "\n" in value:
            value = _FOLD_TEXT.sub("", value)
        value = value.strip(_ASCII_WHITESPACE)
        if key in fields:
            fields[key].append(value)
        else:
            fields[key] = [value]
    return fields


# Field names as spelled in mail ("From", "FROM", "X-LinkedIn-Class") -> lower-case keys.
_FIELD_KEYS: dict[str, str] = {}


def _some_fields_bytes(block: bytes, pattern: re.Pattern[bytes]) -> dict[str, list[str]]:
    """``_some_fields`` for a block that is not UTF-8: each value is decoded on its own."""
    fields: dict[str, list[str]] = {}
    for name, value in pattern.findall(b"\n" + block):
        key = name.lower().decode("ascii")
        if key in fields:
            fields[key].append(_text(value))
        else:
            fields[key] = [_text(value)]
    return fields


@functools.lru_cache(maxsize=32)
def _field_pattern(names: tuple[str, ...], prefixes: tuple[str, ...]) -> re.Pattern[bytes]:
    """One regular expression that finds just the wanted fields with their folded values.

    Letting the regex engine skip the dozens of Received, DKIM and ARC lines is
    several times faster than looking at every line in Python.
    """
    choices = [re.escape(name.encode("ascii")) for name in names]
    choices += [re.escape(prefix.encode("ascii")) + rb"[!-9;-~]*" for prefix in prefixes]
    # A look-ahead on the first letter turns away continuation lines and most
    # unwanted fields before the alternation is tried.
    initials = {text[:1].encode("ascii") for text in (*names, *prefixes) if text}
    initials = b"".join(re.escape(letter) for letter in sorted(initials | {i.swapcase() for i in initials}))
    return re.compile(
        rb"\n(?=[" + initials + rb"])(" + b"|".join(choices) + rb"):([^\n]*(?:\n[ \t][^\n]*)*)", re.IGNORECASE
    )


@functools.lru_cache(maxsize=32)
def _text_pattern(pattern: re.Pattern[bytes]) -> re.Pattern[str]:
    """``pattern`` for decoded text, folding case for ASCII only, as for bytes ("ſ" is not "s")."""
    return re.compile(pattern.pattern.decode("ascii"), re.IGNORECASE | re.ASCII)


def _text(raw: bytes) -> str:
    if b"\n" in raw:
        raw = _FOLD.sub(b"", raw)
    raw = raw.strip()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# decode_header is quadratic in the number of encoded words (5 MB of them took six
# minutes); no subject or display name worth showing is longer than this.
MAX_DECODED_CHARS = 16 * 1024


def decode(text: str) -> str:
    """``text`` with its RFC 2047 encoded words decoded; unknown charsets read as Latin-1."""
    if "=?" not in text:
        return text
    return _decode_words(text[:MAX_DECODED_CHARS])


@functools.lru_cache(maxsize=4096)
def _decode_words(text: str) -> str:
    # Cached: the same encoded names and list tags come back in message after message.
    from email.errors import HeaderParseError
    from email.header import decode_header

    try:
        parts = decode_header(text)
    except (HeaderParseError, ValueError, AssertionError, IndexError):
        return text
    decoded = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            decoded.append(chunk)
        elif charset is None:
            decoded.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            decoded.append(chunk.decode(_codec(charset), "replace"))
    return "".join(decoded)


def _codec(charset: str) -> str:
    # RFC 2231 allows a language after the charset ("utf-8*en"); drop it.
    name = charset.partition("*")[0].strip().lower()
    try:
        codecs.lookup(name)
    except (LookupError, ValueError):
        return "latin-1"
    return name


# One mailbox of a list in the shapes nearly all mail uses: `Name <a@b>`,
# `"Quoted, Name" <a@b>` or a bare `a@b`. Anything else (comments, groups,
# escapes, route addresses) goes to the stdlib parser.
_ATOM_ADDRESS = r"[^<>\s\"(),:;\\\[\]]+@[^<>\s\"(),:;\\\[\]]+"
_MAILBOX = re.compile(
    r"[ \t]*(?:"
    r"(?:\"(?P<quoted>[^\"\\]*)\"|(?P<plain>[^\",<>()\\:;@\[\]]*?))[ \t]*<(?P<angle>" + _ATOM_ADDRESS + r")>"
    r"|(?P<bare>" + _ATOM_ADDRESS + r"))[ \t]*(?P<comma>,|$)"
)


def addresses(values: Iterable[str]) -> tuple[Address, ...]:
    """Every mailbox in one or more address-list header values (To, Cc, several To ...).

    Group syntax contributes its members (``Team: a@x, b@y;``), an empty group
    (``undisclosed-recipients:;``) nothing. Addresses are lower-cased; display names
    are RFC 2047-decoded.
    """
    found: tuple[Address, ...] = ()
    for value in values:
        found += _mailboxes(_bounded(value))
    return found


# A longer address list is a mass mailing: its first few thousand recipients are
# enough to call it bulk (rules.matching counts more than 20), and the stdlib
# parser is quadratic on long group lists (200,000 recipients took eight minutes).
MAX_ADDRESS_CHARS = 64 * 1024


def _bounded(value: str) -> str:
    """``value`` cut after the last whole mailbox before ``MAX_ADDRESS_CHARS``."""
    if len(value) <= MAX_ADDRESS_CHARS:
        return value
    cut = value.rfind(",", 0, MAX_ADDRESS_CHARS)
    return value[: cut if cut > 0 else MAX_ADDRESS_CHARS]


# Mail repeats the same few header values (your own address in To, the people you
# write with), and Address is immutable, so parsed values are shared.
@functools.lru_cache(maxsize=4096)
def _mailboxes(value: str) -> tuple[Address, ...]:
    pairs = _fast_mailboxes(value)
    if pairs is None:
        from email.utils import getaddresses

        pairs = getaddresses([value])
    found = []
    for name, email in pairs:
        email = email.strip().lower()
        if email:
            found.append(Address(email, decode(name.strip())))
    return tuple(found)


def _fast_mailboxes(value: str) -> list[tuple[str, str]] | None:
    value = value.strip()
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(value):
        match = _MAILBOX.match(value, position)
        if match is None:
            return None
        quoted, plain, angle, bare, comma = match.groups()  # one call, not five look-ups
        if bare:
            pairs.append(("", bare))
        else:
            pairs.append((quoted or plain or "", angle))
        position = match.end()
        if not comma:
            break
    if position < len(value) or (value and value[-1] == ","):
        return None
    return pairs


_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_DATE = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s+([+-]\d{4})\s*(?:\([^()]*\)\s*)?$"
)


@functools.lru_cache(maxsize=256)
def _zone_offset(zone: str) -> timedelta:
    """``+0130`` as a timedelta; cached, as mail comes from a handful of zones."""
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    return offset if zone[0] == "+" else -offset


def parse_date(text: str) -> datetime | None:
    """A Date header as an aware UTC datetime, or None when it cannot be read.

    A date without a zone (or ``-0000``, RFC 5322 3.3) is taken as UTC.
    """
    match = _DATE.match(text)
    if match:
        day, month, year, hour, minute, second, zone = match.groups()
        month_number = _MONTHS.get(month.lower())
        try:
            if month_number is not None:
                moment = datetime(
                    int(year), month_number, int(day), int(hour), int(minute), int(second or 0), tzinfo=timezone.utc
                )
                return moment - _zone_offset(zone)
        except (ValueError, OverflowError):
            pass
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def message_ids(text: str) -> list[str]:
    """The ids in a Message-ID, In-Reply-To or References value, angle brackets stripped."""
    ids = [found.strip() for found in _BRACKETED.findall(text)]
    ids = [found for found in ids if found]
    if not ids and text.strip() and "<" not in text:
        # Some old clients write ids without brackets.
        ids = text.split()
    return ids


def first_message_id(text: str) -> str:
    """The first id in ``text`` (the same as ``message_ids(text)[0]``), or ""."""
    start = text.find("<")
    end = text.find(">", start)
    if start >= 0 and end > start:
        found = text[start + 1 : end].strip()
        if found and "<" not in found:
            return found
    ids = message_ids(text)
    return ids[0] if ids else ""
