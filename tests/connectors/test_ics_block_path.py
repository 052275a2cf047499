"""What the .ics writer does with what [block] path names: a symlink, a device, a FIFO, a file not its own."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.base import SourceContext, SourceUnavailable
from connectors.ics import IcsBlockWriter
from connectors.ics.blockfile import BLOCK_UID
from connectors.records import BlockPerson
from daemon.permissions import inspect, keep_private
from rules.block import render_block

DAY = date(2026, 3, 2)


def block():
    start = datetime.combine(DAY, time(9, 0), tzinfo=ZoneInfo("Europe/London"))
    return render_block(DAY, [BlockPerson(name="Grace Hopper", company="Navy")], start=start, minutes=5,
                        weekdays=("mon", "tue", "wed", "thu", "fri"), timezone="Europe/London")


def writer(path: Path) -> IcsBlockWriter:
    context = SourceContext(name="block", now=lambda: datetime(2026, 3, 2, 7, tzinfo=ZoneInfo("UTC")))
    return IcsBlockWriter(IcsBlockWriter.Options(path=str(path)), context)


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "connect5.ics").write_text("")  # the web server's copy, empty so far
    link = tmp_path / "connect5.ics"
    link.symlink_to(served / "connect5.ics")
    writer(link).write(DAY, block())
    assert link.is_symlink() and f"UID:{BLOCK_UID}" in (served / "connect5.ics").read_text()
    assert writer(link).holds(DAY)
    dangling = tmp_path / "later.ics"
    dangling.symlink_to(served / "not-yet.ics")
    writer(dangling).write(DAY, block())
    assert dangling.is_symlink() and (served / "not-yet.ics").is_file()


@pytest.mark.parametrize("make", [os.mkfifo, os.mkdir], ids=["fifo", "folder"])
def test_anything_but_a_file_is_refused_untouched_and_a_fifo_is_never_read(tmp_path, make):
    path = tmp_path / "connect5.ics"
    make(path)
    before = os.stat(path)
    with pytest.raises(SourceUnavailable, match=r"is a (FIFO|folder), not a file; set \[block\] path to a file"):
        writer(path).write(DAY, block())
    with pytest.raises(SourceUnavailable, match="not a file"):
        writer(path).holds(DAY)
    after = os.stat(path)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null on this system")
def test_a_device_such_as_dev_null_is_refused_not_replaced():
    with pytest.raises(SourceUnavailable, match="is a character device, not a file"):
        writer(Path("/dev/null")).write(DAY, block())
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="no /proc/version on this system")
def test_a_system_file_that_cannot_be_moved_aside_is_one_error_and_keeps_its_mode():
    mode = os.stat("/proc/version").st_mode
    with pytest.raises(SourceUnavailable, match="cannot be moved aside"):
        writer(Path("/proc/version")).write(DAY, block())
    assert os.stat("/proc/version").st_mode == mode


def test_only_a_configured_block_file_that_holds_a_block_of_ours_is_made_private(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    foreign, ours = tmp_path / "notes.txt", tmp_path / "mine.ics"
    foreign.write_text("a file of someone else's\n")
    writer(ours).write(DAY, block())
    for path in (foreign, ours):
        path.chmod(0o644)
    assert [entry.path for entry in inspect(data, data / "tokens", foreign)] == [data]
    assert [entry.path for entry in inspect(data, data / "tokens", ours)] == [data, ours]


def test_keeping_the_block_file_private_leaves_a_file_of_someone_elses_alone(tmp_path):
    foreign, ours = tmp_path / "version", tmp_path / "mine.ics"
    foreign.write_text("Linux version 6.1\n")
    writer(ours).write(DAY, block())
    for path in (foreign, ours):
        path.chmod(0o444)
    keep_private(foreign, "block file")
    keep_private(ours, "block file")
    assert stat.S_IMODE(foreign.stat().st_mode) == 0o444 and stat.S_IMODE(ours.stat().st_mode) == 0o400


def test_a_symlinked_block_file_opened_to_others_is_made_private_again_through_the_link(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    link = tmp_path / "connect5.ics"
    link.symlink_to(served / "connect5.ics")
    writer(link).write(DAY, block())
    (served / "connect5.ics").chmod(0o644)
    keep_private(link, "block file")
    assert stat.S_IMODE((served / "connect5.ics").stat().st_mode) == 0o600 and link.is_symlink()
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (served / "connect5.ics").chmod(0o644)
    assert [entry.path for entry in inspect(data, data / "tokens", link)] == [data, served / "connect5.ics"]


def test_a_file_saved_back_in_utc_still_holds_its_day_east_of_utc(tmp_path):
    import icalendar

    zone = "Pacific/Auckland"
    start = datetime.combine(DAY, time(9, 0), tzinfo=ZoneInfo(zone))
    auckland = render_block(DAY, [BlockPerson(name="Grace Hopper", company="Navy")], start=start, minutes=5,
                            weekdays=("mon", "tue", "wed", "thu", "fri"), timezone=zone)
    context = SourceContext(name="block", timezone=zone, now=lambda: datetime(2026, 3, 1, 18, tzinfo=ZoneInfo("UTC")))
    path = tmp_path / "connect5.ics"
    ics = IcsBlockWriter(IcsBlockWriter.Options(path=str(path)), context)
    ics.write(DAY, auckland)
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    for event in calendar.walk("VEVENT"):
        for name in ("RECURRENCE-ID", "DTSTART", "DTEND"):
            if name in event:
                moment = event.decoded(name).astimezone(ZoneInfo("UTC"))  # 20:00 UTC the day before
                del event[name]
                event.add(name, moment)
    path.write_bytes(calendar.to_ical())
    assert ics.holds(DAY)
