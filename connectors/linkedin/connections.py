"""Reading ``Connections.csv`` in every shape LinkedIn (and spreadsheets) have given it.

Shapes handled:

- 2024: a ``Notes:`` preamble, a blank line, then
  ``First Name,Last Name,URL,Email Address,Company,Position,Connected On``;
  dates like ``09 Oct 2024``.
- 2018: no preamble, no URL column, dates like ``"1/8/18, 6:14 PM"``.
- headerless: a file re-saved by its owner with preamble and header gone. The
  layout is recognised from rows whose last column is a date: 6 columns are
  First, Last, Email, Company, Position, Connected On; 7 add URL after Last.
- a whole row wrapped into one quoted field (a spreadsheet quirk): the field is
  parsed again as a row.

Members who hide their profile appear as rows blank but for the date; they are
counted and skipped. Any other bad row is skipped with its physical line number.
"""

from __future__ import annotations

import csv
import itertools
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from connectors.base import NotAnExportError
from connectors.linkedin.fields import (
    clean_whitespace,
    derived_key,
    human_name,
    is_email,
    normalise_profile_url,
    parse_connected_on,
)
from connectors.linkedin.reader import CsvRecords
from connectors.linkedin.report import Skipped
from connectors.records import Contact

log = logging.getLogger(__name__)

HEADER_NAMES = {
    "first name": "first",
    "last name": "last",
    "url": "url",
    "profile url": "url",
    "email address": "email",
    "e-mail address": "email",
    "email": "email",
    "company": "company",
    "position": "position",
    "connected on": "connected_on",
}
HEADERLESS_LAYOUTS = {
    6: ("first", "last", "email", "company", "position", "connected_on"),
    7: ("first", "last", "url", "email", "company", "position", "connected_on"),
}
EXPECTED = "the header 'First Name,Last Name,URL,Email Address,Company,Position,Connected On' or rows ending in a date"
_HEAD_RECORDS = 20  # the preamble is 3 lines today; leave room for what LinkedIn adds next
_HIDDEN = "hidden member: only a date"


@dataclass
class ConnectionsResult:
    contacts: list[Contact] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    hidden_count: int = 0
    format: str = ""


_FIELDS = ("first", "last", "url", "email", "company", "position", "connected_on")
_CANONICAL = tuple(range(len(_FIELDS)))  # the 2024 layout: _FIELDS in column order


@dataclass(frozen=True)
class _Layout:
    columns: dict[str, int]  # field name -> column index
    width: int
    format: str
    start: int  # index of the first data record in the head
    indices: tuple[int, ...] = ()  # the column of each of _FIELDS, -1 when there is none

    def __post_init__(self):
        object.__setattr__(self, "indices", tuple(self.columns.get(name, -1) for name in _FIELDS))


def read_connections(
    stream: TextIO, what: str, file: str = "Connections.csv", latest: date | None = None
) -> ConnectionsResult:
    """Contacts from one Connections.csv text stream; ``what`` names it in errors, ``file`` in skips.

    With ``latest``, a row connected after that day is skipped: a wrong clock or a
    damaged date must not hide someone as "just connected" for years.
    """
    result = ConnectionsResult()
    reader = CsvRecords(stream, result.skipped, file)
    head = _semicolon_head(reader, _head(reader))
    layout = _find_layout([(line, row) for line, row, _ in head], what)
    result.format = layout.format
    # Read the head again knowing the width, so a stray quote in it loses one line too.
    reader.fits = lambda row: len(_shaped(row, layout.width)) == layout.width
    reader.read_again([line for _, _, lines in head[layout.start :] for line in lines])
    seen: dict[str, int] = {}
    for line, row in reader:
        outcome = _read_row(row, layout)
        if isinstance(outcome, Contact) and latest is not None and outcome.connected_on > latest:
            outcome = f"connected in the future ({outcome.connected_on.isoformat()})"
        if isinstance(outcome, Contact):
            if outcome.key in seen:
                outcome = f"duplicate of line {seen[outcome.key]} (same person)"
            else:
                seen[outcome.key] = line
                result.contacts.append(outcome)
                continue
        if outcome is None:
            continue
        result.skipped.append(Skipped(line, outcome, file))
        if outcome == _HIDDEN:
            result.hidden_count += 1
        # The caller reports every skip; a log line each would show them twice.
        log.debug("%s:%d skipped: %s", file, line, outcome)
    log.info(
        "%s: %d contacts, %d hidden members, %d other rows skipped (%s format)",
        what, len(result.contacts), result.hidden_count, len(result.skipped) - result.hidden_count, result.format,
    )
    return result


def _head(reader: CsvRecords) -> list[tuple[int, list[str], list[str]]]:
    """The first records, each with the physical lines behind it."""
    return [(line, row, reader.last_lines) for line, row in itertools.islice(reader, _HEAD_RECORDS)]


def _semicolon_head(
    reader: CsvRecords, head: list[tuple[int, list[str], list[str]]]
) -> list[tuple[int, list[str], list[str]]]:
    """The head again, split on ``;``, when its header is (European Excel saves CSV that way)."""
    for index, (_, row, lines) in enumerate(head):
        if len(row) == 1 and ";" in row[0] and len(lines) == 1:
            cells = next(csv.reader(lines, delimiter=";"), [])
            if _header_columns(cells) is not None:
                reader.read_again([text for _, _, taken in head[index:] for text in taken], delimiter=";")
                return head[:index] + _head(reader)
    return head


def _find_layout(head: list[tuple[int, list[str]]], what: str) -> _Layout:
    for index, (_, row) in enumerate(head):
        columns = _header_columns(row)
        if columns is not None:
            fmt = "2024" if "url" in columns else "2018-legacy"
            return _Layout(columns, len(_trimmed(row)), fmt, index + 1)
    for index, (_, row) in enumerate(head):
        row = _recovered(row, expected=6)
        if len(row) in HEADERLESS_LAYOUTS and parse_connected_on(row[-1]):
            names = HEADERLESS_LAYOUTS[len(row)]
            return _Layout({name: i for i, name in enumerate(names)}, len(row), "headerless", index)
    raise NotAnExportError(f"{what} is not a LinkedIn Connections.csv: expected {EXPECTED}")


def _header_columns(row: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        name = HEADER_NAMES.get(" ".join(cell.split()).lower())
        if name and name not in columns:
            columns[name] = index
    if {"first", "last", "connected_on"} <= columns.keys():
        return columns
    return None


def _trimmed(row: list[str]) -> list[str]:
    while row and not row[-1].strip():
        row = row[:-1]
    return row


def _recovered(row: list[str], expected: int) -> list[str]:
    """Undo a whole row wrapped in one quoted field: parse that field as a row."""
    if len(row) == 1 and expected > 1 and "," in row[0]:
        # skipinitialspace: spreadsheets write `a, "b, c"` inside the wrapped text.
        try:
            return next(csv.reader([row[0]], skipinitialspace=True), row)
        except csv.Error:  # a line break inside the wrapped text: not a wrapped row
            return row
    return row


def _shaped(row: list[str], width: int) -> list[str]:
    """``row`` unwrapped and without blank cells past ``width``: ``width`` cells when it fits."""
    if len(row) == width:
        return row
    row = _recovered(row, width)
    if len(row) > width:
        row = row[:width] + _trimmed(row[width:])
    return row


def _read_row(row: list[str], layout: _Layout) -> Contact | str | None:
    """A Contact, a reason to skip the row, or None for a blank line."""
    width = layout.width
    if any("\x00" in cell for cell in row):
        return "damaged row: it holds a NUL byte"
    if len(row) != width:
        if not any(cell.strip() for cell in row):
            return None
        row = _shaped(row, width)
        if len(row) != width:
            return f"expected {width} columns, found {len(row)}"
    if layout.indices == _CANONICAL:
        first, last, url, email, company, position, when = map(str.strip, row)
    else:
        first, last, url, email, company, position, when = [
            row[index].strip() if index >= 0 else "" for index in layout.indices
        ]
    connected_on = parse_connected_on(when)
    if connected_on is None:
        if not any(cell.strip() for cell in row):
            return None
        return f"unreadable date {when[:40]!r}" if when else "no connection date"
    if not (first or last or url or email or company or position):
        return _HIDDEN
    first = clean_whitespace(first)
    last = clean_whitespace(last)
    if not first and not last:
        return "no name"
    if email and not is_email(email):  # the 2018 export puts "urn:li:member:…" there
        email = ""
    profile_url = ""
    if url:
        try:
            profile_url = normalise_profile_url(url)
        except ValueError:
            log.debug("ignoring a URL that is not a LinkedIn profile: %r", url[:80])
    return Contact(
        key=profile_url or derived_key(first, last, email, connected_on),
        name=human_name(first, last),
        emails=(email,) if email else (),
        company=company,
        position=position,
        profile_url=profile_url,
        connected_on=connected_on,
        source="linkedin",
        first_name=first,
        last_name=last,
    )
