"""The Graph world of the fault scenario: fault classes, config, seed, day two and ``run_graph``."""

from __future__ import annotations

import os
import random
from datetime import timedelta
from pathlib import Path

from fakes.graph.wiring import CLIENT_ID, home_config

from reliability.faults import (
    MAILDIR_SOURCE, ME, MONDAY, MONDAY_START, TIMEOUT, WRITING, FaultClass, Outcome, connect5, import_people, play,
    retry_after, seeded_mail, write_maildir,
)


# -- the Graph world -------------------------------------------------------------------------------

GRAPH_CLIENT_ID = CLIENT_ID


def graph_classes() -> list[FaultClass]:
    from fakes.graph import Fault

    def part(randomness: random.Random) -> Fault:
        if randomness.random() < 0.5:
            return Fault("status", 429, "ApplicationThrottled", retry_after(randomness))
        return Fault("status", randomness.choice([500, 503]), "ServiceUnavailable")

    return [
        FaultClass("429 + Retry-After", ("api", "part"),
                   lambda r: Fault("status", 429, "ApplicationThrottled", retry_after(r))),
        FaultClass("5xx", ("api",), lambda r: Fault("status", r.choice([500, 502, 503]), "ServiceUnavailable")),
        FaultClass("batch part failed", ("part",), part, burst=2),
        FaultClass("connection reset", ("http",), lambda r: Fault("reset")),
        FaultClass("read time-out", ("http",), lambda r: Fault("timeout", stall=TIMEOUT * 2.5)),
        FaultClass("access token expired", ("http",), lambda r: Fault("expire")),
    ]


GRAPH_EXPIRIES = {"expired deltaLink (410 syncStateNotFound)": lambda fake: fake.expire_delta_tokens()}


def seed_graph(fake, messages: int, meetings: int) -> None:
    randomness = random.Random(11)
    for kind, number, when, address in seeded_mail(randomness, messages):
        if kind == "news":
            fake.mailbox.add("inbox", sender=f"news{number}@stranger.example", received=when)
        elif kind == "reply":
            fake.mailbox.add("inbox", sender=address, to=[ME], subject=f"Re: hello {number}", received=when)
        else:
            fake.mailbox.add("sentitems", sender=ME, to=[address], subject=f"hello {number}", received=when)
    fake.seeded = [fake.calendar.add_event(
        f"Call {number}", MONDAY_START + timedelta(days=randomness.randrange(-30, 10), hours=9),
        attendees=[(randomness.choice(WRITING)[3], "accepted")]) for number in range(meetings)]


def graph_day_two(fake) -> None:
    randomness = random.Random(12)
    for number in range(15):
        when = MONDAY_START + timedelta(hours=10, minutes=randomness.randrange(600))
        address = randomness.choice(WRITING)[3]
        # Explicit ids: the fake numbers messages with the counter its delta tokens advance.
        names = {"id": f"AAMkDAY2{number:04d}", "internet_message_id": f"<monday-{number}@example.com>"}
        if number % 2:
            fake.mailbox.add("inbox", sender=address, to=[ME], subject=f"Re: monday {number}", received=when, **names)
        else:
            fake.mailbox.add("sentitems", sender=ME, to=[address], subject=f"monday {number}", received=when, **names)
    # An explicit id (read only through the delta): the fake numbers events with its token counter.
    fake.calendar.add_event("Booked call", MONDAY_START + timedelta(days=3, hours=14),
                            attendees=[(WRITING[7][3], "accepted")], id="AAMkBOOKED0001")
    fake.calendar.delete(fake.seeded[3])


def graph_remote(fake) -> dict:
    """Outlook's calendar by subject and start (ids and stamps come from the fake's counters and clock)."""
    found = {}
    for event in fake.calendar.events.values():
        key = f"{event.get('subject')} @ {event['start'].get('dateTime')}"
        days = {day: (o.get("body") or {}).get("content") for day, o in sorted(event["_overrides"].items())}
        found.setdefault(key, []).append({"type": event["type"], "cancelled": sorted(event["_cancelled"]),
                                          "body": event.get("body"), "days": days})
    return dict(sorted(found.items()))


def run_graph(root: Path, name: str, injector=None, between=None, *, messages: int = 150, meetings: int = 12,
              maildir: bool = False, after=None) -> Outcome:
    """The Graph world, with ``injector`` in the fake; ``after(fake, home)`` runs before the fake stops."""
    from fakes.graph import FakeGraph

    home = root / name
    home.mkdir(parents=True)
    os.environ["CONNECT5_NOW"] = f"{MONDAY}T05:00:00+00:00"
    with FakeGraph(username=ME) as fake:
        seed_graph(fake, messages, meetings)
        config = home_config(fake, me=ME, timezone="Europe/Berlin", mail_extra="page_size = 25\n", timeout=TIMEOUT)
        if maildir:
            config += MAILDIR_SOURCE.format(path=write_maildir(home / "Maildir"))
        (home / "config.toml").write_text(config)
        import_people(home, home)
        code, output = connect5(home, f"{MONDAY}T05:50:00+00:00", "auth", "outlook", "--client-id", GRAPH_CLIENT_ID)
        assert code == 0, output
        return play(home, fake, injector, graph_day_two, between, after, graph_remote, wall_clock_stamps=True)
