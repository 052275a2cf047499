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
from collections.abc import Iterator
from dataclasses import dataclass, field
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


def read_connections(stream: TextIO, what: str, file: str = "Connections.csv") -> ConnectionsResult:
    """Contacts from one Connections.csv text stream; ``what`` names it in errors."""
    result = ConnectionsResult()
    records = records_of(stream, result.skipped, file)
    head = list(itertools.islice(records, _HEAD_RECORDS))
    layout = _find_layout(head, what)
    result.format = layout.format
    seen: dict[str, int] = {}
    for line, row in itertools.chain(head[layout.start :], records):
        outcome = _read_row(row, layout)
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
            log.debug("%s:%d: %s", file, line, outcome)
        else:
            log.warning("%s:%d skipped: %s", file, line, outcome)
    log.info(
        "%s: %d contacts, %d hidden members, %d other rows skipped (%s format)",
        what, len(result.contacts), result.hidden_count, len(result.skipped) - result.hidden_count, result.format,
    )
    return result


def records_of(stream: TextIO, skipped: list[Skipped], file: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) for each CSV record; unparseable records are skipped."""
    reader = csv.reader(stream)
    previous = 0
    errors = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a field over the size limit; the reader can go on
            errors += 1
            skipped.append(Skipped(previous + 1, f"unreadable CSV: {error}", file))
            if errors > 100 and errors > reader.line_num // 2:
                raise NotAnExportError(f"{file} is mostly unreadable as CSV ({error})") from error
            previous = reader.line_num
            continue
        yield previous + 1, row
        previous = reader.line_num


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
        return next(csv.reader([row[0]], skipinitialspace=True), row)
    return row


def _read_row(row: list[str], layout: _Layout) -> Contact | str | None:
    """A Contact, a reason to skip the row, or None for a blank line."""
    width = layout.width
    if any("\x00" in cell for cell in row):
        return "damaged row: it holds a NUL byte"
    if len(row) != width:
        if not any(cell.strip() for cell in row):
            return None
        row = _recovered(row, width)
        if len(row) > width:
            row = row[:width] + _trimmed(row[width:])
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
