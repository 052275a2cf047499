"""Benchmark: an idle hour of Gmail and Google Calendar incremental sync.

    .venv/bin/python bench/google_idle.py [--polls 60]

After a first sync of a small mailbox and calendar, ``sync(cursor)`` is driven
``--polls`` times with nothing changing (a fake clock, no real waiting: one poll
a minute is an hour), then once more after one new message and one new meeting.
Reported: API calls, HTTP round trips and quota units per poll. Goal: one
history.list (2 units) per Gmail poll and one events.list per calendar poll.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def drain(source, cursor):
    items = []
    for batch in source.sync(cursor):
        items.extend(batch.items)
        cursor = batch.cursor
    return items, cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=60)
    polls = parser.parse_args().polls

    from fakes.google import FakeGoogle
    from fakes.google.clock import FakeClock

    from connectors.base import SourceContext
    from connectors.google import CALENDAR_EVENTS_READONLY, GMAIL_METADATA
    from connectors.google.calendar import GoogleCalendarSource
    from connectors.google.gmail import GmailSource

    clock = FakeClock()
    with FakeGoogle(clock=clock.monotonic, now=clock.now) as fake, tempfile.TemporaryDirectory() as folder:
        for index in range(200):
            fake.mailbox.add(sender=f"c{index}@example.org", to=fake.address,
                             at=clock.now() - timedelta(days=index), record=False)
        start = clock.now() + timedelta(days=1)
        fake.calendars.put("primary", {"summary": "Call", "start": {"dateTime": start.isoformat()},
                                       "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()}})
        tokens = fake.token_file(Path(folder) / "tokens", [GMAIL_METADATA, CALENDAR_EVENTS_READONLY])
        context = SourceContext(name="gmail", own_addresses=frozenset({fake.address}), tokens_dir=tokens.parent,
                                now=clock.now)
        gmail = GmailSource(GmailSource.Options(gmail_endpoint=fake.gmail_endpoint, token_uri=fake.token_uri),
                            context, clock=clock.monotonic, sleep=clock.sleep)
        calendar = GoogleCalendarSource(GoogleCalendarSource.Options(
            calendar_endpoint=fake.calendar_endpoint, token_uri=fake.token_uri), context, sleep=clock.sleep)
        _, mail_cursor = drain(gmail, None)
        _, calendar_cursor = drain(calendar, None)
        calls, trips, units = len(fake.calls), fake.round_trips, fake.quota.spent
        for _ in range(polls):
            clock.sleep(60)
            _, mail_cursor = drain(gmail, mail_cursor)
            _, calendar_cursor = drain(calendar, calendar_cursor)
        idle = fake.calls[calls:]
        report = {
            "polls": polls,
            "idle_calls_by_method": dict(Counter(call.method for call in idle)),
            "idle_round_trips": fake.round_trips - trips,
            "idle_gmail_units": fake.quota.spent - units,
            "gmail_units_per_poll": (fake.quota.spent - units) / polls,
        }
        calls, units = len(fake.calls), fake.quota.spent
        fake.mailbox.add(sender="new@example.org", to=fake.address)
        fake.calendars.put("primary", {"summary": "Booked", "start": {"dateTime": start.isoformat()},
                                       "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()}})
        mail, _ = drain(gmail, mail_cursor)
        meetings, _ = drain(calendar, calendar_cursor)
        report["one_change"] = {"calls_by_method": dict(Counter(call.method for call in fake.calls[calls:])),
                                "gmail_units": fake.quota.spent - units, "mail_items": len(mail),
                                "calendar_items": len(meetings)}
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
