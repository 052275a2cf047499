"""Public iCalendar test suites through the .ics source and the block writer's reader.

Google, Thunderbird and Exchange exports, fuzzer finds, broken files and DST
edge cases: a broken file is logged with its path and skipped, a broken series
only costs that series, and the other files of the same folder all arrive.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hostile.helpers import CORPUS, deadline, ics_corpus

from connectors.base import SourceContext
from connectors.ics.reader import IcsSource
from connectors.ics.writer import IcsBlockWriter
from connectors.records import Block

# icalendar warns when it guesses a vendor TZID ("/mozilla.org/.../America/New_York");
# the guess is what we want, and pytest would turn the warning into an error.
pytestmark = pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
# Files icalendar itself refuses: each must be logged with its path, nothing else lost.
UNPARSABLE = {
    "multiple_calendar_components.ics", "parsing_error_in_UTC_offset.ics", "pr_480_summary_with_colon.ics",
    "small_bad_calendar.ics", "badstream.ics", "silly_test.ics", "timezones.ics",
}  # fmt: skip
FOLDERS = sorted(path.name for path in CORPUS.glob("ics-*"))


def _source(path: Path, past_days: int = 730) -> IcsSource:
    options = IcsSource.Options(path=[str(path)], window_past_days=past_days)
    return IcsSource(options, SourceContext(name="calendar", timezone="Europe/London", now=lambda: NOW))


def _items(source: IcsSource) -> list:
    return [item for batch in source.sync(None) for item in batch.items]


def test_every_corpus_folder_has_its_licence_and_source():
    for folder in CORPUS.iterdir():
        assert (folder / "LICENSE").stat().st_size > 500, folder
        assert "Licence:" in (folder / "SOURCE.md").read_text(), folder


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folder_of_public_calendars_syncs_and_names_each_broken_file(tmp_path, folder, caplog):
    copy = shutil.copytree(CORPUS / folder, tmp_path / folder)
    past_days = 9000 if folder == "ics-vobject" else 730  # vobject's events are from 2002-2006
    caplog.set_level(logging.WARNING, logger="connectors")
    with deadline(30):
        together = _items(_source(copy, past_days))
    broken = {path.name for path in copy.glob("*.ics") if path.name in UNPARSABLE}
    for name in broken:
        message = f"calendar {copy / name} cannot be parsed, skipping it"
        assert any(record.getMessage().startswith(message) for record in caplog.records), name
    for record in caplog.records:  # every complaint says which file it is about
        assert str(copy) in record.getMessage(), record.getMessage()
    assert len(together) > 0 or folder == "ics-vobject"


def test_a_broken_file_costs_only_itself(tmp_path):
    """The items of a mixed folder are exactly the items of its good files read alone."""
    good = [CORPUS / "ics-icalendar" / name for name in ("issue_1050_simple_calendar.ics", "example.ics")]
    good += [CORPUS / "ics-recurring-ical-events" / name for name in ("daylight_saving_time.ics", "Germany.ics")]
    alone = 0
    for index, path in enumerate(good):
        (tmp_path / f"alone{index}").mkdir()
        shutil.copy(path, tmp_path / f"alone{index}" / path.name)
        alone += len(_items(_source(tmp_path / f"alone{index}", 9000)))
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for path in good + [path for path in ics_corpus() if path.name in UNPARSABLE]:
        shutil.copy(path, mixed / f"{path.parent.name}-{path.name}")
    (mixed / "empty.ics").write_bytes(b"")
    (mixed / "binary.ics").write_bytes(bytes(range(256)) * 8)
    assert alone > 0
    assert len(_items(_source(mixed, 9000))) == alone


def test_a_series_without_dtstart_does_not_hide_the_rest_of_its_file(tmp_path):
    """vobject's simple_test.ics: an event with no DTSTART next to a good one."""
    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        "BEGIN:VEVENT\r\nSUMMARY:no start\r\nUID:broken\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:good\r\nSUMMARY:call\r\nDTSTART:20260106T100000Z\r\n"
        "DTEND:20260106T103000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (tmp_path / "mixed.ics").write_text(calendar)
    assert [item.external_id for item in _items(_source(tmp_path))] == ["good"]


def _block(day: date) -> Block:
    start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    return Block(day=day, title="Connect 5", start=start, minutes=5, description="five", html="<p>five</p>")


@pytest.mark.parametrize("path", ics_corpus(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_the_block_writer_survives_any_calendar_where_its_file_should_be(tmp_path, path):
    """A foreign or broken block file is moved aside and a good one written; never an exception."""
    target = tmp_path / "connect5.ics"
    shutil.copy(path, target)
    writer = IcsBlockWriter(IcsBlockWriter.Options(path=str(target)), SourceContext(name="block", now=lambda: NOW))
    with deadline(10):
        reference = writer.write(date(2026, 1, 5), _block(date(2026, 1, 5)))
    assert reference.remote_id.endswith("2026-01-05")
    assert b"Connect 5" in target.read_bytes()
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)
