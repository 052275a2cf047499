"""Benchmark: the .ics source over a vdir of one-event files, the first sync and the next day's re-read.

Every file is read again once a day (the window of recurring events moves with
the day). The cursor lists every file; written once per file, it made this
quadratic (96 s a day was seen for 3,000 files). Prints cpu-seconds for each.

    .venv/bin/python bench/ics_vdir.py [--files 3000]
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

from connectors.base import SourceContext  # noqa: E402
from connectors.ics import IcsSource  # noqa: E402


def write_vdir(root: Path, files: int) -> None:
    root.mkdir()
    settled = time.time() - 120
    for number in range(files):
        path = root / f"event-{number}.ics"
        path.write_text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:event-{number}@bench\r\nDTSTAMP:20260301T090000Z\r\n"
            f"DTSTART:202603{1 + number % 28:02d}T1{number % 8}0000Z\r\nDURATION:PT30M\r\n"
            f"SUMMARY:Call {number}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        os.utime(path, (settled, settled))


def timed_sync(root: Path, now: datetime, cursor: str | None) -> tuple[int, float, str | None]:
    context = SourceContext(name="calendar", now=lambda: now, timezone="Europe/Berlin")
    source = IcsSource(IcsSource.Options(path=[str(root)]), context)
    started, items = time.process_time(), 0
    for batch in source.sync(cursor):
        items += len(batch.items)
        cursor = batch.cursor
    return items, time.process_time() - started, cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=3000)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="connect5-vdir-"))
    try:
        write_vdir(work / "vdir", arguments.files)
        monday = datetime(2026, 3, 2, 8, tzinfo=UTC)
        items, cpu, cursor = timed_sync(work / "vdir", monday, None)
        print(f"first sync: {items} items from {arguments.files} files in {cpu:.1f} cpu-s")
        items, cpu, _ = timed_sync(work / "vdir", monday + timedelta(days=1), cursor)
        print(f"next day's re-read: {items} items in {cpu:.1f} cpu-s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
