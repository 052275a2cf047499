"""RFC 5545 content lines without icalendar: folding, escaping and a tiny parser.

The block writer serialises its own file with these helpers because importing
icalendar costs more than the rest of ``connect5 today`` together. The parser reads
any well-formed content lines into a tree of components; deciding whether the tree
is in the writer's own shape is ``connectors.ics.blockfile``'s job.

See RFC 5545 §3.1 (content lines, folding), §3.2 (parameters), §3.3.11 (text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

CRLF = "\r\n"
FOLD_OCTETS = 75


class ContentLineError(ValueError):
    """A line that is not ``NAME[;PARAM=VALUE...]:VALUE``, or BEGIN/END out of order."""


def escape_text(value: str) -> str:
    """A TEXT value escaped: backslash, semicolon, comma and newlines (§3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def unescape_text(value: str) -> str:
    """The inverse of ``escape_text``; also accepts ``\\N`` and leaves unknown escapes."""
    result = []
    characters = iter(value)
    for character in characters:
        if character != "\\":
            result.append(character)
            continue
        following = next(characters, "")
        result.append({"n": "\n", "N": "\n"}.get(following, following))
    return "".join(result)


def fold(line: str) -> str:
    """``line`` folded at 75 octets (never inside a UTF-8 sequence), CRLF-terminated."""
    encoded = line.encode("utf-8")
    if len(encoded) <= FOLD_OCTETS:
        return line + CRLF
    pieces = []
    start = 0
    limit = FOLD_OCTETS
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        # step back over UTF-8 continuation bytes (10xxxxxx) so no character splits
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(encoded[start:end].decode("utf-8"))
        start = end
        limit = FOLD_OCTETS - 1  # continuation lines start with one space
    return (CRLF + " ").join(pieces) + CRLF


def unfold(text: str) -> list[str]:
    """The logical lines of ``text``: folds joined, blank lines dropped, CRLF or LF."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw.strip():
            lines.append(raw)
    return lines


def parse_line(line: str) -> tuple[str, dict[str, str], str]:
    """``NAME;P=V;Q="a:b":value`` → ("NAME", {"P": "V", "Q": "a:b"}, "value")."""
    index = 0
    length = len(line)
    while index < length and line[index] not in ";:":
        index += 1
    name = line[:index].upper()
    if not name or index == length:
        raise ContentLineError(f"not a content line: {line[:60]!r}")
    parameters: dict[str, str] = {}
    while line[index] == ";":
        equals = line.find("=", index)
        if equals < 0:
            raise ContentLineError(f"parameter without a value: {line[:60]!r}")
        key = line[index + 1 : equals].upper()
        index = equals + 1
        if index < length and line[index] == '"':
            close = line.find('"', index + 1)
            if close < 0:
                raise ContentLineError(f"unclosed quote: {line[:60]!r}")
            value, index = line[index + 1 : close], close + 1
        else:
            stop = index
            while stop < length and line[stop] not in ";:":
                stop += 1
            value, index = line[index:stop], stop
        parameters[key] = value
        if index >= length:
            raise ContentLineError(f"no value: {line[:60]!r}")
    return name, parameters, line[index + 1 :]


@dataclass
class Component:
    """One BEGIN/END block: its name, properties in order, and nested components."""

    name: str
    properties: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def first(self, name: str) -> tuple[dict[str, str], str] | None:
        for key, parameters, value in self.properties:
            if key == name:
                return parameters, value
        return None

    def value(self, name: str, default: str = "") -> str:
        found = self.first(name)
        return found[1] if found else default


def parse(text: str) -> Component:
    """The single top-level component of ``text`` (normally VCALENDAR)."""
    stack: list[Component] = []
    top: Component | None = None
    for number, line in enumerate(unfold(text), start=1):
        name, parameters, value = parse_line(line)
        if name == "BEGIN":
            component = Component(value.upper())
            if stack:
                stack[-1].children.append(component)
            elif top is not None:
                raise ContentLineError(f"line {number}: a second top-level component")
            else:
                top = component
            stack.append(component)
        elif name == "END":
            if not stack or stack[-1].name != value.upper():
                raise ContentLineError(f"line {number}: END:{value} does not close a BEGIN")
            stack.pop()
        elif stack:
            stack[-1].properties.append((name, parameters, value))
        else:
            raise ContentLineError(f"line {number}: property outside any component")
    if top is None or stack:
        raise ContentLineError("no complete component (file cut short?)")
    return top


def format_local(moment: datetime) -> str:
    """A DATE-TIME in local form, ``20260105T090000`` (the TZID goes in a parameter)."""
    return moment.strftime("%Y%m%dT%H%M%S")


def format_utc(moment: datetime) -> str:
    """A DATE-TIME in UTC form, ``20260105T080000Z``."""
    return moment.strftime("%Y%m%dT%H%M%SZ")


def parse_local(value: str) -> datetime:
    """``20260105T090000`` → naive datetime; anything else raises ValueError."""
    return datetime.strptime(value, "%Y%m%dT%H%M%S")


def format_offset(offset: timedelta) -> str:
    """A UTC-OFFSET value: ``+0100``, ``-0500``, ``+0530`` (seconds only when present)."""
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}{minutes:02d}"
    return text + f"{seconds:02d}" if seconds else text
