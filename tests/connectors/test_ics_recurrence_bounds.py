"""Recurrence rules that would expand without bound: cut, logged once with the file, the rest read.

A rule firing every second (or minute) with no COUNT or UNTIL, one walked second by
second since 1970, one that can never match: each would take a sync minutes (or
gigabytes, or for ever) before the cut. Real series, a daily one since 1990
included, are read whole.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hostile.helpers import deadline

from connectors.base import SourceContext
from connectors.ics import IcsSource
from connectors.ics.recurrence import MAX_INSTANCES

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def calendar(path: Path, *events: tuple[str, str, str]) -> Path:
    """A settled calendar file of (uid, DTSTART value with its parameters, RRULE) events."""
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260301T090000Z\r\nDTSTART{start}\r\nDURATION:PT30M\r\n"
        + (f"RRULE:{rule}\r\n" if rule else "") + "SUMMARY:Call\r\nEND:VEVENT\r\n"
        for uid, start, rule in events
    )
    path.write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
    moment = time.time() - 60
    os.utime(path, (moment, moment))
    return path


def read(path: Path) -> list:
    source = IcsSource(IcsSource.Options(path=[str(path)]),
                       SourceContext(name="calendar", timezone="Europe/Berlin", now=lambda: NOW))
    return [item for batch in source.sync(None) for item in batch.items]


def count(items, series_id: str) -> int:
    return sum(item.series_id == series_id for item in items)


NEIGHBOURS = (("call@example.org", ":20260305T140000Z", ""),
              ("weekly@example.org", ";TZID=Europe/Berlin:20260302T090000", "FREQ=WEEKLY;COUNT=10"))


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=MINUTELY;INTERVAL=2;BYHOUR=9,10,11",
                                  "FREQ=DAILY;BYHOUR=8,9,10,11,12,13,14,15,16;BYMINUTE=0,15,30,45"])
def test_a_rule_firing_many_times_a_day_without_an_end_is_cut_at_the_cap(tmp_path, caplog, rule):
    path = calendar(tmp_path / "hostile.ics", ("flood@example.org", ":20260301T090000Z", rule), *NEIGHBOURS)
    caplog.set_level(logging.WARNING, logger="connectors")
    with deadline(20):
        items = read(path)
    assert count(items, "flood@example.org") == MAX_INSTANCES
    assert count(items, "call@example.org") == 1 and count(items, "weekly@example.org") == 10
    cuts = [record.getMessage() for record in caplog.records if "cut" in record.getMessage()]
    assert len(cuts) == 1 and str(path) in cuts[0] and "flood@example.org" in cuts[0]


@pytest.mark.parametrize("start, rule", [
    (":20000101T000000Z", "FREQ=HOURLY"),
    (":19700101T000000Z", "FREQ=SECONDLY;BYWEEKNO=-1;BYHOUR=11;BYMINUTE=52"),  # 86,400 steps a day, 1 in 6,000 kept
    (":00050101T000000Z", "FREQ=SECONDLY;INTERVAL=86399;BYMONTH=12"),
])
def test_a_fine_rule_walked_from_long_ago_is_cut_before_it_is_walked_to_today(tmp_path, caplog, start, rule):
    path = calendar(tmp_path / "hostile.ics", ("old@example.org", start, rule), *NEIGHBOURS)
    with deadline(10):
        items = read(path)
    assert count(items, "old@example.org") <= MAX_INSTANCES
    assert count(items, "call@example.org") == 1 and count(items, "weekly@example.org") == 10
    assert f"calendar {path}: 1 recurring series cut" in caplog.text


def test_rules_that_never_move_on_are_not_searched_until_the_year_9999(tmp_path, caplog):
    rules = [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31",  # days that never come
        "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=20", "FREQ=WEEKLY;BYYEARDAY=1;BYMONTH=6",
        "FREQ=DAILY;BYSETPOS=2", "FREQ=WEEKLY;BYSETPOS=3",  # a period never has a second or third instance
        "FREQ=DAILY;INTERVAL=0",  # dateutil repeats DTSTART for ever
    ]
    never = [(f"never-{number}@example.org", ":20260301T090000Z", rule) for number, rule in enumerate(rules)]
    path = calendar(tmp_path / "hostile.ics", *never, *NEIGHBOURS)
    with deadline(10):  # dateutil alone: 2 to 20 s each, or for ever
        items = read(path)
    assert count(items, "call@example.org") == 1 and count(items, "weekly@example.org") == 10
    assert all(count(items, uid) <= 1 for uid, _, _ in never)  # DTSTART itself, at most
    assert f"calendar {path}: {len(rules)} recurring series cut" in caplog.text


def test_real_series_are_read_whole_and_nothing_is_logged(tmp_path, caplog):
    path = calendar(
        tmp_path / "real.ics",
        ("daily@example.org", ";TZID=Europe/Berlin:19900101T090000", "FREQ=DAILY"),
        ("twice@example.org", ":20260301T080000Z", "FREQ=DAILY;BYHOUR=8,16;COUNT=40"),
        ("monthly@example.org", ":20250114T100000Z", "FREQ=MONTHLY;BYDAY=2TU"),
        ("last@example.org", ":20250131T100000Z", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
        ("leap@example.org", ":20240229T100000Z", "FREQ=YEARLY"),
    )
    caplog.set_level(logging.WARNING, logger="connectors")
    items = read(path)
    assert count(items, "daily@example.org") == 730 + 121  # the whole window, 2024-03-01 to 2026-06-29
    assert count(items, "twice@example.org") == 40
    assert count(items, "monthly@example.org") == 18  # January 2025 to June 2026
    assert count(items, "last@example.org") == 17  # 30 June 2026 is the day the window ends
    assert count(items, "leap@example.org") == 0  # 29 February: 2024 is a day before the window, 2028 after
    assert "cut" not in caplog.text
