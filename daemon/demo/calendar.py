"""The demo's input calendar: an .ics file to which booked calls are appended.

The file is rewritten whole, atomically (a temporary file renamed over it), as
calendar apps and ``vdirsyncer`` do, so the ICS source never reads half a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from daemon.demo.mail import ME_EMAIL, ME_NAME


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    minutes: int
    title: str
    created: datetime
    organizer: tuple[str, str]  # (name, address)
    attendees: tuple[tuple[str, str], ...]


class CalendarFile:
    """An .ics file of events, written again after every change."""

    def __init__(self, path: Path):
        self.path = path
        self.events: list[Event] = []
        self.write()

    def add(self, event: Event) -> None:
        self.events.append(event)
        self.write()

    def write(self) -> None:
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//connect5//demo//EN", "CALSCALE:GREGORIAN"]
        for event in self.events:
            lines += _event_lines(event)
        lines.append("END:VCALENDAR")
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
        os.replace(temporary, self.path)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: Event) -> list[str]:
    organizer_name, organizer_email = event.organizer
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_stamp(event.created)}",
        f"CREATED:{_stamp(event.created)}",
        f"LAST-MODIFIED:{_stamp(event.created)}",
        f"DTSTART:{_stamp(event.start)}",
        f"DTEND:{_stamp(event.start + timedelta(minutes=event.minutes))}",
        f"SUMMARY:{event.title}",
        f"ORGANIZER;CN={organizer_name}:mailto:{organizer_email}",
    ]
    for name, address in event.attendees:
        lines.append(f"ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{address}")
    lines.append("END:VEVENT")
    return lines


def call(uid: str, start: datetime, created: datetime, name: str, address: str) -> Event:
    """A call a contact booked with the user (they organise, the user attends)."""
    organizer = (name, address) if address else (ME_NAME, ME_EMAIL)
    attendees = ((ME_NAME, ME_EMAIL),) if address else ()
    return Event(uid, start, 30, f"Call: {name} / {ME_NAME}", created, organizer, attendees)


def all_hands(uid: str, start: datetime, created: datetime, size: int = 40) -> Event:
    """A company meeting with many attendees: noise, touches nobody."""
    attendees = tuple((f"Colleague {number}", f"colleague{number}@work.example") for number in range(size))
    return Event(uid, start, 60, "All hands", created, ("Office", "office@work.example"), attendees)
