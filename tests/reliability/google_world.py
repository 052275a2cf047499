"""The Google world of the fault scenario: fault classes, config, seed, day two and ``run_google``."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta
from pathlib import Path

from reliability.faults import (
    MAILDIR_SOURCE, ME, MONDAY, MONDAY_START, TIMEOUT, WRITING, FaultClass, Outcome, import_people, pinned_now, play,
    retry_after, seeded_mail, write_maildir,
)


def google_classes() -> list[FaultClass]:
    from fakes.google import Fault

    def part(randomness: random.Random) -> Fault:
        status = randomness.choice([429, 500, 503])
        if status == 429:
            return Fault("status", 429, "rateLimitExceeded", retry_after(randomness))
        return Fault("status", status)

    return [
        FaultClass("429 + Retry-After", ("api", "part"),
                   lambda r: Fault("status", 429, "rateLimitExceeded", retry_after(r))),
        FaultClass("403 rate limit", ("api", "part"), lambda r: Fault(
            "status", 403, r.choice(["userRateLimitExceeded", "rateLimitExceeded"]), retry_after(r))),
        FaultClass("5xx", ("api",), lambda r: Fault("status", r.choice([500, 502, 503]))),
        FaultClass("batch part failed", ("part",), part, burst=3),
        FaultClass("connection reset", ("http",), lambda r: Fault("reset")),
        FaultClass("read time-out", ("http",), lambda r: Fault("timeout", stall=TIMEOUT * 2.5)),
        FaultClass("access token expired", ("http",), lambda r: Fault("expire")),
    ]


GOOGLE_EXPIRIES = {
    "expired historyId (404)": lambda fake: fake.mailbox.expire_history(),
    "expired syncToken (410)": lambda fake: fake.calendars.invalidate_sync_tokens("primary"),
}


# -- the Google world ----------------------------------------------------------------------------

GOOGLE_CONFIG = """
[me]
name = "Ada Lovelace"
emails = ["{me}"]
timezone = "Europe/Berlin"

[block]
writer = "google"
calendar_endpoint = "{f.calendar_endpoint}"
token_uri = "{f.token_uri}"
timeout_seconds = {timeout}

[[sources]]
name = "gmail"
type = "gmail"
gmail_endpoint = "{f.gmail_endpoint}"
token_uri = "{f.token_uri}"
quota_units_per_minute = 100000000
batch_size = 20
backfill_months = 3
timeout_seconds = {timeout}

[[sources]]
name = "google-calendar"
type = "google-calendar"
calendar_endpoint = "{f.calendar_endpoint}"
token_uri = "{f.token_uri}"
past_days = 90
timeout_seconds = {timeout}
"""


def seed_google(fake, messages: int, meetings: int) -> None:
    randomness = random.Random(11)
    for kind, number, when, address in seeded_mail(randomness, messages):
        if kind == "news":
            fake.mailbox.add(sender=f"news{number}@stranger.example", to=ME, subject=f"news {number}", at=when)
        elif kind == "reply":
            fake.mailbox.add(sender=address, to=ME, subject=f"Re: hello {number}", at=when)
        else:
            fake.mailbox.add(sender=ME, to=address, subject=f"hello {number}", at=when, labels=("SENT",))
    for number in range(meetings):
        when = MONDAY_START + timedelta(days=randomness.randrange(-30, 10), hours=9)
        meeting(fake, f"meet{number:04d}", f"Call {number}", when, randomness.choice(WRITING)[3])


def meeting(fake, identifier: str, title: str, when: datetime, guest: str, status: str = "confirmed") -> None:
    fake.calendars.put("primary", {
        "id": identifier, "summary": title, "status": status, "created": "2026-01-05T10:00:00Z",
        "start": {"dateTime": when.isoformat()}, "end": {"dateTime": (when + timedelta(minutes=30)).isoformat()},
        "attendees": [{"email": ME, "self": True, "responseStatus": "accepted"},
                      {"email": guest, "responseStatus": "accepted"}]})


def google_day_two(fake) -> None:
    """Monday's news: replies and sent mail, a booking, a cancelled meeting."""
    randomness = random.Random(12)
    for number in range(15):
        when = MONDAY_START + timedelta(hours=10, minutes=randomness.randrange(600))
        address = randomness.choice(WRITING)[3]
        if number % 2:
            fake.mailbox.add(sender=address, to=ME, subject=f"Re: monday {number}", at=when)
        else:
            fake.mailbox.add(sender=ME, to=address, subject=f"monday {number}", at=when, labels=("SENT",))
    meeting(fake, "booked0001", "Booked call", MONDAY_START + timedelta(days=3, hours=14), WRITING[7][3])
    cancelled = fake.calendars.calendars[ME].events.get("meet0003")
    if cancelled:
        meeting(fake, "meet0003", cancelled["summary"], datetime.fromisoformat(cancelled["start"]["dateTime"]),
                cancelled["attendees"][1]["email"], status="cancelled")


def google_remote(fake) -> dict:
    """Every calendar as the fake holds it, less the fake's sequence numbers and stamps."""
    def clean(event: dict) -> dict:
        return {key: value for key, value in event.items() if key not in ("_seq", "etag", "updated")}

    return {calendar_id: {"events": {i: clean(e) for i, e in sorted(calendar.events.items())},
                          "overrides": {m: {i: clean(o) for i, o in sorted(found.items())}
                                        for m, found in sorted(calendar.overrides.items())}}
            for calendar_id, calendar in sorted(fake.calendars.calendars.items())}


def run_google(root: Path, name: str, injector=None, between=None, *, messages: int = 150, meetings: int = 12,
               maildir: bool = False, after=None) -> Outcome:
    """The Google world, with ``injector`` in the fake; ``after(fake, home)`` runs before the fake stops."""
    from fakes.google import FakeGoogle

    from connectors.google import CALENDAR_EVENTS, GMAIL_METADATA

    home = root / name
    home.mkdir(parents=True)
    os.environ["CONNECT5_NOW"] = f"{MONDAY}T05:00:00+00:00"  # the fake's clock while it is seeded
    with FakeGoogle(address=ME, now=pinned_now, units_per_minute=1e9) as fake:
        seed_google(fake, messages, meetings)
        config = GOOGLE_CONFIG.format(me=ME, f=fake, timeout=TIMEOUT)
        if maildir:
            config += MAILDIR_SOURCE.format(path=write_maildir(home / "Maildir"))
        (home / "config.toml").write_text(config)
        fake.token_file(home / "tokens", [GMAIL_METADATA, CALENDAR_EVENTS])
        import_people(home, home)
        return play(home, fake, injector, google_day_two, between, after, google_remote)
