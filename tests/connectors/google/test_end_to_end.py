"""The whole loop through the CLI with Google: Gmail, Google Calendar and the block, against the fake."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from fakes.google import FakeGoogle
from fakes.home import CliHome

from connectors.google import CALENDAR_EVENTS, GMAIL_METADATA

MONDAY = "2026-03-02"
ME = "ada@example.com"
PEOPLE = [("Grace", "Hopper", "grace", "grace@navy.example"), ("Alan", "Turing", "alan", "alan@bletchley.example"),
          ("Edsger", "Dijkstra", "edsger", "edsger@tue.example"), ("Barbara", "Liskov", "barbara", "barbara@mit.example"),
          ("Ken", "Thompson", "ken", "ken@bell.example")]
CONFIG = """
[me]
name = "Ada Lovelace"
emails = ["{me}"]
timezone = "UTC"

[block]
writer = "google"
calendar_endpoint = "{fake.calendar_endpoint}"
token_uri = "{fake.token_uri}"

[[sources]]
name = "gmail"
type = "gmail"
gmail_endpoint = "{fake.gmail_endpoint}"
token_uri = "{fake.token_uri}"

[[sources]]
name = "google-calendar"
type = "google-calendar"
calendar_endpoint = "{fake.calendar_endpoint}"
token_uri = "{fake.token_uri}"
"""


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


class World(CliHome):
    day = MONDAY

    def __init__(self, root: Path, fake: FakeGoogle, monkeypatch):
        super().__init__(root / "home", monkeypatch)
        self.fake = fake
        (self.home / "config.toml").write_text(CONFIG.format(fake=fake, me=ME))
        fake.token_file(self.home / "tokens", [GMAIL_METADATA, CALENDAR_EVENTS])


@pytest.fixture
def world(tmp_path, monkeypatch):
    now = lambda: datetime.fromisoformat(os.environ.get("CONNECT5_NOW", f"{MONDAY}T07:30:00+00:00"))  # noqa: E731
    with FakeGoogle(address=ME, now=now) as fake:
        world = World(tmp_path, fake, monkeypatch)
        rows = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
        rows += [f"{first},{last},https://www.linkedin.com/in/{slug},{address},Co {slug},Engineer,01 Jan 2019"
                 for first, last, slug, address in PEOPLE]
        (tmp_path / "Connections.csv").write_text("\n".join(rows) + "\n")
        world.connect5("import", "linkedin", str(tmp_path / "Connections.csv"))
        world.at(f"{MONDAY}T07:30:00+00:00")
        world.connect5("run", "--once")
        yield world


def write_to_everyone(world: World) -> None:
    for index, (first, last, _, address) in enumerate(PEOPLE):
        world.fake.mailbox.add(sender=f"Ada Lovelace <{ME}>", to=f"{first} {last} <{address}>",
                               subject="Long time no see", labels=("SENT",), message_id=f"<out-{index}@example.com>",
                               at=when(f"{MONDAY}T09:0{index}:00+00:00"))
    world.at(f"{MONDAY}T09:30:00+00:00")
    world.connect5("run", "--once")


def test_the_block_is_written_into_google_calendar_once_however_often_the_morning_job_runs(world):
    for minute in ("07:40", "07:50", "08:10"):
        world.at(f"{MONDAY}T{minute}:00+00:00")
        world.connect5("run", "--once")
    assert len(world.fake.calls_to("events.insert")) == 1
    assert len(world.fake.calls_to("events.patch")) == 1
    (instance,) = [event for event in world.fake.calendars.list_events("primary", {"singleEvents": ["true"],
                   "timeMin": [f"{MONDAY}T00:00:00Z"], "timeMax": [f"{MONDAY}T23:59:00Z"]})["items"]]
    assert "Grace Hopper" in instance["description"]


def test_sent_gmail_becomes_reached_out_and_a_reply_becomes_replied(world):
    write_to_everyone(world)
    assert set(world.states().values()) == {"reached_out"}
    world.fake.mailbox.add(sender="Grace Hopper <grace@navy.example>", to=ME, subject="Re: Long time no see",
                           in_reply_to="<out-0@example.com>", at=when(f"{MONDAY}T11:00:00+00:00"))
    world.at(f"{MONDAY}T11:05:00+00:00")
    world.connect5("run", "--once")
    states = world.states()
    assert states["Grace Hopper"] == "replied" and states["Alan Turing"] == "reached_out"
    gets = world.fake.calls_to("users.messages.get")
    assert gets and all(call.query["format"] == ["metadata"] for call in gets)


def test_a_calendly_style_booking_in_google_calendar_becomes_call_booked(world):
    write_to_everyone(world)
    world.fake.calendars.put("primary", {
        "summary": "Ada Lovelace and Alan Turing", "description": "Event Name: 30 Minute Meeting (Calendly)",
        "start": {"dateTime": "2026-03-04T14:00:00+00:00"}, "end": {"dateTime": "2026-03-04T14:30:00+00:00"},
        "created": f"{MONDAY}T13:00:00Z", "organizer": {"email": ME, "self": True},
        "attendees": [{"email": ME, "organizer": True, "self": True, "responseStatus": "accepted"},
                      {"email": "alan@bletchley.example", "displayName": "Alan Turing", "responseStatus": "accepted"}]})
    world.at(f"{MONDAY}T13:30:00+00:00")
    world.connect5("run", "--once")
    assert world.states()["Alan Turing"] == "call_booked"


def test_contacts_show_has_last_in_touch_from_gmail(world):
    write_to_everyone(world)
    shown = json.loads(world.connect5("contacts", "show", "Barbara", "Liskov", "--json").output)
    assert shown["last_touch_at"].startswith(f"{MONDAY}T09:03")
