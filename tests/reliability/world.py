"""Generated inputs for the reliability harness: a LinkedIn export, a Maildir and a calendar.

Everything is derived from one seed, so the uninterrupted run and every crashed
run read byte-identical files. The inputs are generated once and only read by
connect5 (each run has its own home), so one set serves many runs.

- ``linkedin/``: ``Connections.csv`` (2024 format) and ``messages.csv``;
- ``Maildir/``: INBOX and ``.Sent``, a few thousand header-only messages: mail
  from strangers and lists (noise), replies from contacts, mail sent to
  contacts, LinkedIn "X just messaged you" notifications naming contacts;
- ``calendar.ics``: meetings with contacts (some cancelled), and big meetings.

File mtimes follow the Date header and lie in the past, as after delivery, so
the Maildir cursor's floors settle above every file (see
``connectors.maildir.cursor``).
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ME = ("Ada Lovelace", "ada@example.com", "https://www.linkedin.com/in/ada")
FIRST = ("Grace Alan Katherine Edsger Barbara Donald Frances John Radia Ken Margaret Dennis Leslie Ivan Shafi "
         "Whitfield Adele Niklaus Tony Fran Jean Butler Juris Peter Hedy Claude Lynn Robin Dana Mary").split()
LAST = ("Hopper Turing Johnson Dijkstra Liskov Knuth Allen Backus Perlman Thompson Hamilton Ritchie Lamport "
        "Sutherland Goldwasser Diffie Goldberg Wirth Hoare Bilas Sammet Lampson Hartmanis Naur Lamarr Shannon "
        "Conway Milner Scott Shaw Kay Engelbart Floyd Rivest").split()
COMPANIES = ("Acme Globex Initech Umbrella Hooli Vandelay Stark Wayne Tyrell Cyberdyne Soylent Wonka "
             "Gringotts Oscorp Aperture").split()
START = datetime(2025, 3, 1, tzinfo=UTC)
END = datetime(2026, 2, 27, tzinfo=UTC)

CONFIG = """
[me]
name = "{me_name}"
emails = ["{me_email}"]
linkedin_url = "{me_url}"
timezone = "{zone}"

[picking]
days = {days}

[block]
time = "{block_time}"

[[sources]]
name = "mail"
type = "maildir"
path = ["{maildir}"]
backfill_months = 0

[[sources]]
name = "calendar"
type = "ics"
path = ["{calendar}"]
"""


@dataclass
class Person:
    first: str
    last: str
    slug: str
    email: str
    company: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def url(self) -> str:
        return f"https://www.linkedin.com/in/{self.slug}"


@dataclass
class World:
    root: Path
    people: list[Person] = field(default_factory=list)
    messages: int = 0

    @property
    def export(self) -> Path:
        return self.root / "linkedin"

    @property
    def maildir(self) -> Path:
        return self.root / "Maildir"

    @property
    def calendar(self) -> Path:
        return self.root / "calendar.ics"

    def config(self, *, zone: str = "UTC", block_time: str = "09:00",
               days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")) -> str:
        return CONFIG.format(
            me_name=ME[0], me_email=ME[1], me_url=ME[2], zone=zone, block_time=block_time,
            days="[" + ", ".join(f'"{day}"' for day in days) + "]",
            maildir=self.maildir, calendar=self.calendar,
        )

    def new_home(self, path: Path, **config) -> Path:
        path.mkdir(parents=True)
        (path / "config.toml").write_text(self.config(**config))
        return path


def _moment(randomness: random.Random) -> datetime:
    span = (END - START).total_seconds()
    return START + timedelta(seconds=int(randomness.random() * span))


def generate(root: Path, *, contacts: int = 400, messages: int = 3000, seed: int = 5) -> World:
    """Write the inputs under ``root`` (created) and describe them."""
    randomness = random.Random(seed)
    world = World(Path(root))
    world.root.mkdir(parents=True, exist_ok=True)
    names = [(first, last) for first in FIRST for last in LAST]
    randomness.shuffle(names)
    for number, (first, last) in enumerate(names[:contacts]):
        slug = f"{first.lower()}-{last.lower()}-{number:04x}"
        email = f"{first.lower()}.{last.lower()}@{randomness.choice(COMPANIES).lower()}.example" \
            if randomness.random() < 0.7 else ""
        world.people.append(Person(first, last, slug, email, randomness.choice(COMPANIES)))
    _write_connections(world, randomness)
    _write_messages_csv(world, randomness)
    world.messages = _write_maildir(world, randomness, messages)
    _write_calendar(world, randomness)
    return world


def _write_connections(world: World, randomness: random.Random) -> None:
    world.export.mkdir(exist_ok=True)
    with open(world.export / "Connections.csv", "w", encoding="utf-8", newline="") as out:
        out.write("Notes:\n\"When exporting your connection data, you may notice ...\"\n\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"])
        for person in world.people:
            connected = datetime(2015, 1, 1) + timedelta(days=randomness.randrange(3500))
            writer.writerow([person.first, person.last, person.url, person.email, person.company,
                             "Engineer", connected.strftime("%d %b %Y")])


def _write_messages_csv(world: World, randomness: random.Random) -> None:
    header = ["CONVERSATION ID", "CONVERSATION TITLE", "FROM", "SENDER PROFILE URL", "TO",
              "RECIPIENT PROFILE URLS", "DATE", "SUBJECT", "CONTENT", "FOLDER", "ATTACHMENTS"]
    with open(world.export / "messages.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for number in range(len(world.people)):
            person = randomness.choice(world.people)
            conversation = f"conv-{number:05d}"
            for turn in range(randomness.randint(1, 3)):
                when = _moment(randomness).strftime("%Y-%m-%d %H:%M:%S UTC")
                mine = turn % 2 == 0
                writer.writerow([
                    conversation, "", ME[0] if mine else person.name, ME[2] if mine else person.url,
                    person.name if mine else ME[0], person.url if mine else ME[2],
                    when, "", "never stored", "INBOX", "",
                ])


def _write_maildir(world: World, randomness: random.Random, count: int) -> int:
    for folder in (world.maildir, world.maildir / ".Sent"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
    with_mail = [person for person in world.people if person.email]
    for number in range(count):
        when = _moment(randomness)
        roll = randomness.random()
        person = randomness.choice(with_mail)
        folder, sub, flags = world.maildir, "cur", ":2,S"
        extra = ""
        if roll < 0.45:  # strangers and lists: noise or unknown
            sender = f"Someone {number} <someone{number}@stranger.example>"
            recipient = f"{ME[0]} <{ME[1]}>"
            if number % 3 == 0:
                extra = "List-Id: <rust.lists.example>\nPrecedence: list\n"
            subject = f"Newsletter {number}"
        elif roll < 0.7:  # a contact writes (a reply, mostly)
            sender, recipient = f"{person.name} <{person.email}>", f"{ME[0]} <{ME[1]}>"
            subject = f"Re: catching up {number}"
            extra = f"In-Reply-To: <out-{number - 1}@example.com>\n"
            sub, flags = ("new", "") if number % 4 == 0 else ("cur", ":2,S")
        elif roll < 0.9:  # written by me
            folder = world.maildir / ".Sent"
            sender, recipient = f"{ME[0]} <{ME[1]}>", f"{person.name} <{person.email}>"
            subject = f"catching up {number}"
        else:  # LinkedIn tells me someone wrote there
            person = randomness.choice(world.people)
            sender = f"{person.name} via LinkedIn <messages-noreply@linkedin.com>"
            recipient = f"{ME[0]} <{ME[1]}>"
            subject = f"{person.first} just messaged you"
            extra = "X-LinkedIn-Class: MBR-TO-MBR\nX-LinkedIn-Template: email_member_message_v2\n"
        text = (f"From: {sender}\nTo: {recipient}\nSubject: {subject}\nDate: {format_datetime(when)}\n"
                f"Message-ID: <m-{number}@example.com>\n{extra}\nNever read.\n")
        unique = f"{int(when.timestamp())}.M{number}P1.harness"
        path = folder / sub / (unique + flags)
        path.write_text(text)
        stamp = when.timestamp()
        os.utime(path, (stamp, stamp))
    return count


def _write_calendar(world: World, randomness: random.Random) -> None:
    with_mail = [person for person in world.people if person.email]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//harness//EN"]
    for number in range(200):
        start = _moment(randomness).replace(minute=0, second=0)
        guests = randomness.sample(with_mail, 12 if number % 10 == 0 else 1)
        stamp = start - timedelta(days=3)
        lines += ["BEGIN:VEVENT", f"UID:meeting-{number}@harness", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
                  f"CREATED:{stamp:%Y%m%dT%H%M%SZ}", f"LAST-MODIFIED:{stamp:%Y%m%dT%H%M%SZ}",
                  f"DTSTART:{start:%Y%m%dT%H%M%SZ}", "DURATION:PT30M", f"SUMMARY:Call {number}",
                  f"ORGANIZER:mailto:{ME[1]}"]
        lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{guest.email}" for guest in guests]
        if number % 7 == 0:
            lines.append("STATUS:CANCELLED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    world.calendar.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    stamp = (END - timedelta(days=1)).timestamp()
    os.utime(world.calendar, (stamp, stamp))
