"""Benchmark: the .ics source over one big calendar file (years of meetings), the first sync and a re-read.

A calendar exported from a mail client or Google holds every meeting of many
years in one file, and the source reads it again whenever it changes and once
a day (the window moves). Generates ``--events`` meetings spread over ten years
up to now (invitation-sized: organiser, two attendees, a description), one
weekly series among them, and prints the file's size, the items read and the
cpu-seconds of the first sync and of the next day's re-read, in this process.

    .venv/bin/python bench/ics_big_file.py [--events 20000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ics_vdir import timed_sync  # noqa: E402  (the same sync, timed the same way)

NOW = datetime(2026, 11, 27, 8, tzinfo=UTC)


def write_calendar(path: Path, events: int) -> None:
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n",
             "BEGIN:VEVENT\r\nUID:weekly@bench\r\nDTSTART:20170102T090000Z\r\nDTEND:20170102T093000Z\r\n"
             "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:Team meeting\r\nEND:VEVENT\r\n"]
    span = 10 * 365 * 24
    for number in range(events):
        start = NOW - timedelta(hours=span * (number + 1) // (events + 1) - 24 * 60)
        stamp = start.strftime("%Y%m%dT%H0000Z")
        until = (start + timedelta(minutes=30)).strftime("%Y%m%dT%H%M00Z")
        parts.append(
            f"BEGIN:VEVENT\r\nUID:event-{number}@bench\r\nDTSTAMP:{stamp}\r\nCREATED:{stamp}\r\n"
            f"LAST-MODIFIED:{stamp}\r\nDTSTART:{stamp}\r\nDTEND:{until}\r\nSUMMARY:Call {number} about the plan\r\n"
            "ORGANIZER;CN=Ada Lovelace:mailto:ada@example.com\r\n"
            f"ATTENDEE;CN=Person {number};PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:p{number}@example.org\r\n"
            f"ATTENDEE;CN=Other {number};PARTSTAT=NEEDS-ACTION:mailto:o{number}@example.net\r\n"
            f"DESCRIPTION:{'Join the call with the link below. ' * 12}\r\nEND:VEVENT\r\n")
    parts.append("END:VCALENDAR\r\n")
    path.write_text("".join(parts))
    settled = time.time() - 300
    os.utime(path, (settled, settled))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="connect5-big-ics-"))
    try:
        path = work / "calendar.ics"
        write_calendar(path, arguments.events)
        print(f"calendar: {arguments.events:,} meetings over ten years and a weekly series, "
              f"{path.stat().st_size / 1e6:.1f} MB")
        items, cpu, cursor = timed_sync(path, NOW, None)
        print(f"first sync: {items:,} items in {cpu:.2f} cpu-s")
        items, cpu, _ = timed_sync(path, NOW + timedelta(days=1), cursor)
        print(f"next day's re-read: {items:,} items in {cpu:.2f} cpu-s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
