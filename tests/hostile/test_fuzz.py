"""Hypothesis against every parser of outside input: only the documented error may come out.

Connections.csv rows, mail header blocks, .ics text (the calendar source and the
block writer's reader) and config TOML. Good items placed next to the fuzz
must still arrive. ``CONNECT5_SLOW=1`` tries many more examples.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hostile.helpers import deadline

from connectors.base import NotAnExportError
from connectors.ics.blockfile import BlockFileError, load
from connectors.ics.events import CalendarFileError, read_calendar
from connectors.linkedin import read_export
from connectors.maildir.message import Identity, UnreadableMessageError, build_item
from daemon.config import ConfigError, load_text

pytestmark = pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")
settings.load_profile("hostile")

HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
GOOD_ROWS = [
    ["Ada", "Lovelace", "https://www.linkedin.com/in/ada-good", "ada@example.com", "Engines", "Analyst", "09 Oct 2024"],
    ["Grace", "Hopper", "https://www.linkedin.com/in/grace-good", "", "Navy", "Rear Admiral", "01 Jan 2020"],
]
# NUL is left out: a file holding one is refused whole as binary (tested below).
text = st.text(st.characters(exclude_characters="\x00"), max_size=40)
cell = st.one_of(
    text,
    st.sampled_from(["", " ", '"', '""', "\n", "\r\n", ",", "09 Oct 2024", "1/8/18, 6:14 PM", "\ufeff",
                     "https://www.linkedin.com/in/x", "linkedin.com/in/%zz", "a@b", "=cmd|' /C calc'!A0"]),
)
rows = st.lists(st.lists(cell, min_size=0, max_size=9), max_size=12)


def _csv(rows_: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows_)
    return buffer.getvalue()


@given(rows=rows, tail=text)
def test_fuzzed_connections_rows_cost_only_themselves(tmp_path_factory, rows, tail):
    path = tmp_path_factory.mktemp("csv") / "Connections.csv"
    content = "Notes:\n\"x\"\n\n" + HEADER + "\n" + _csv(GOOD_ROWS) + _csv(rows) + tail
    path.write_text(content, encoding="utf-8", errors="replace")
    with deadline(5):
        export = read_export(path)
    urls = {contact.profile_url for contact in export.contacts}
    assert {row[2] for row in GOOD_ROWS} <= urls
    for skipped in export.skipped:
        assert skipped.line >= 1 and skipped.reason


@given(data=st.binary(max_size=2000))
def test_any_bytes_as_connections_csv_raise_only_not_an_export(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "Connections.csv"
    path.write_bytes(data)
    try:
        read_export(path)
    except NotAnExportError as error:
        assert "\n" not in str(error)


IDENTITY = Identity("mail", frozenset({"me@example.com"}))
names = st.sampled_from(["From", "To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To", "References",
                         "List-Id", "Auto-Submitted", "Precedence", "X-LinkedIn-Class", "from", "TO", "X-Other"])
values = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["=?utf-8?q?caf=C3=A9?=", "=?bogus?b?@@@?=", "=?utf-8*en?Q?x?=", "undisclosed-recipients:;",
                     "Team: a@x.org, b@y.org;", '"Last, First" <l@x.org>', "<a@b> <c@d>", "<<<>>>", "(((",
                     "Mon, 32 Foo 99999 25:61:61 +9999", "Thu, 1 Jan 1970 00:00:00 -0000", "\\", "\x00"]),
)


@given(fields=st.lists(st.tuples(names, values), max_size=15), noise=st.binary(max_size=300))
def test_fuzzed_header_blocks_give_an_item_or_an_unreadable_message(fields, noise):
    block = "\n".join(f"{name}: {value}" for name, value in fields).encode("utf-8", "surrogateescape")
    for candidate in (block, block + b"\n" + noise, noise):
        candidate = candidate.replace(b"\n\n", b"\n")
        try:
            item = build_item(candidate, "unique", 1_700_000_000_000_000_000, IDENTITY)
        except UnreadableMessageError:
            continue
        assert item.sent_at.tzinfo is not None
        assert all("@" in address.email or address.email for address in item.to)


ics_names = st.sampled_from(["DTSTART", "DTEND", "DTSTART;TZID=Europe/Paris", "DTSTART;VALUE=DATE", "RRULE",
                             "EXDATE", "RDATE", "RECURRENCE-ID", "UID", "SUMMARY", "ATTENDEE;PARTSTAT=ACCEPTED",
                             "ORGANIZER;CN=x", "STATUS", "DURATION", "TZID", "X-WR-TIMEZONE", "BEGIN", "END"])
ics_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["20260105T090000", "20260105T090000Z", "20260105", "FREQ=DAILY;COUNT=3",
                     "FREQ=WEEKLY;UNTIL=20260201", "FREQ=SECONDLY", "FREQ=YEARLY;BYMONTH=13", "mailto:a@b.org",
                     "PT5M", "-P1D", "CANCELLED", "VEVENT", "VTIMEZONE", "VCALENDAR", "Mars/Olympus", "99999999T999999"]),
)


def _calendar(lines: list[tuple[str, str]]) -> bytes:
    body = "\r\n".join(f"{name}:{value}" for name, value in lines)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".encode(
        "utf-8", "surrogateescape")


@given(lines=st.lists(st.tuples(ics_names, ics_values), max_size=14), raw=st.binary(max_size=200))
def test_fuzzed_calendars_give_items_or_a_calendar_file_error(lines, raw):
    window = (date(2025, 1, 1), date(2026, 6, 1))
    for data in (_calendar(lines), raw, _calendar(lines)[:-30]):
        with deadline(5):
            try:
                items = read_calendar(data, "fuzz.ics", "calendar", ZoneInfo("Europe/London"), window)
            except CalendarFileError:
                continue
        assert all(item.start.tzinfo is not None for item in items)


@given(lines=st.lists(st.tuples(ics_names, ics_values), max_size=14))
def test_fuzzed_block_files_load_or_raise_block_file_error(lines):
    try:
        load(_calendar(lines))
    except BlockFileError:
        pass


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(key)} = {_toml_value(item)}" for key, item in value.items()) + "}"


scalars = st.one_of(st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                    st.sampled_from(["09:00", "25:99", "mon", "Europe/London", "Nowhere/City", "ics", "google",
                                     "maildir", "outlook-mail", "~/Maildir", "-5", ""]))
toml_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
keys = st.sampled_from(["name", "emails", "timezone", "linkedin_url", "per_day", "days", "cooldown_days",
                        "max_per_company", "cadence", "at", "title", "time", "minutes", "writer", "opener", "path",
                        "type", "backfill_months", "sent_folders", "unknown"])
tables = st.dictionaries(keys, toml_values, max_size=6)


def _config_text(sections: dict, sources: list[dict]) -> str:
    lines = []
    for name, table in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    for table in sources:
        lines.append("[[sources]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


@given(sections=st.dictionaries(st.sampled_from(["me", "picking", "block", "extra"]), tables, max_size=4),
       sources=st.lists(tables, max_size=3), raw=st.text(max_size=200))
def test_fuzzed_config_gives_a_config_or_a_config_error(sections, sources, raw):
    path = Path("/fuzz/config.toml")
    for text in (_config_text(sections, sources), raw, _config_text(sections, sources) + raw):
        try:
            load_text(text, path)
        except ConfigError as error:
            assert error.problems and all(isinstance(problem, str) for problem in error.problems)
