"""The local loop end to end: real Maildir and .ics files, the real CLI and daemon, no fakes.

One workday of five picks: the user writes four e-mails and notes a LinkedIn
message with ``connect5 done``; a reply lands in the Maildir, a LinkedIn
notification arrives, a booking is appended to the calendar, and noise (an
auto-reply, a mailing list, a LinkedIn invitation, a big meeting) touches
nobody. Each step is detected by ``connect5 run --once``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.home import CliHome

from daemon.store import open_store

MONDAY = "2026-03-02"
PEOPLE = [  # first, last, slug, address
    ("Grace", "Hopper", "grace", "grace@navy.example"),
    ("Alan", "Turing", "alan", "alan@bletchley.example"),
    ("Katherine", "Johnson", "katherine", ""),
    ("Edsger", "Dijkstra", "edsger", "edsger@tue.example"),
    ("Barbara", "Liskov", "barbara", "barbara@mit.example"),
]
CONFIG = """
[me]
name = "Ada Lovelace"
emails = {emails}
timezone = "{timezone}"

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


class World(CliHome):
    """The files outside connect5 that a person's mail client and calendar write."""

    day = MONDAY

    def __init__(self, root: Path, monkeypatch, timezone: str = "UTC", emails: tuple[str, ...] = ("ada@example.com",)):
        super().__init__(root / "home", monkeypatch)
        self.root = root
        self.maildir = root / "Maildir"
        self.calendar = root / "calendar.ics"
        self.events: list[str] = []
        self.count = 0
        for folder in (self.maildir, self.maildir / ".Sent"):
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True)
        addresses = "[" + ", ".join(f'"{address}"' for address in emails) + "]"
        (self.home / "config.toml").write_text(
            CONFIG.format(maildir=self.maildir, calendar=self.calendar, emails=addresses, timezone=timezone))
        self.write_calendar()

    def mail(self, headers: str, *, sent: bool = False, folder: str = "") -> None:
        """Written into tmp/, then renamed: how delivery agents and clients store mail."""
        self.count += 1
        folder = self.maildir / ".Sent" if sent else self.maildir / folder if folder else self.maildir
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        name = f"1772400000.M{self.count}P1.test"
        (folder / "tmp" / name).write_text(headers.strip() + "\n\nNever read.\n")
        (folder / "tmp" / name).rename(folder / ("cur" if sent else "new") / (name + (":2,S" if sent else "")))

    def write_calendar(self) -> None:
        text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(self.events) + "END:VCALENDAR\r\n"
        temporary = self.calendar.with_name(".calendar.tmp")
        temporary.write_text(text)
        temporary.replace(self.calendar)

    def book(self, uid: str, start: str, created: str, organizer: str, attendees: list[str], title: str,
             answer: str = "ACCEPTED") -> None:
        lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{created}", f"CREATED:{created}",
                 f"LAST-MODIFIED:{created}", f"DTSTART:{start}", "DURATION:PT30M", f"SUMMARY:{title}",
                 f"ORGANIZER:mailto:{organizer}"]
        lines += [f"ATTENDEE;PARTSTAT={answer}:mailto:{address}" for address in attendees]
        self.events.append("\r\n".join(lines + ["END:VEVENT"]) + "\r\n")
        self.write_calendar()

    def snapshot(self) -> dict[str, list]:
        store = open_store(self.home / "connect5.db", create=False)
        try:
            return {table: store.query(f"SELECT * FROM {table} ORDER BY 1, 2")
                    for table in ("interactions", "interaction_contacts", "picks", "contact_emails", "review",
                                  "contacts", "blocks")}
        finally:
            store.close()


def picked_world(tmp_path, monkeypatch, morning: str = f"{MONDAY}T07:30:00+00:00", **options) -> World:
    """Everyone imported, and the morning job run at ``morning``: all five are picked."""
    world = World(tmp_path, monkeypatch, **options)
    rows = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    rows += [f"{first},{last},https://www.linkedin.com/in/{slug},{address},Co {slug},Engineer,01 Jan 2019"
             for first, last, slug, address in PEOPLE]
    (tmp_path / "Connections.csv").write_text("\n".join(rows) + "\n")
    world.connect5("import", "linkedin", str(tmp_path / "Connections.csv"))
    world.at(morning)
    world.connect5("run", "--once")  # the morning job: all five are picked, the block written
    return world


@pytest.fixture
def world(tmp_path, monkeypatch):
    return picked_world(tmp_path, monkeypatch)


def write_to_everyone(world: World) -> None:
    world.at(f"{MONDAY}T09:00:00+00:00")
    for index, (first, last, _, address) in enumerate(PEOPLE):
        if address:
            world.mail(f"""
From: Ada Lovelace <ada@example.com>
To: {first} {last} <{address}>
Subject: Long time no see
Date: Mon, 02 Mar 2026 09:0{index}:00 +0000
Message-ID: <out-{index}@example.com>
""", sent=True)
    world.connect5("done", "Katherine Johnson")


def test_the_morning_job_picked_everyone_and_wrote_the_block(world):
    assert world.states() == {f"{first} {last}": "picked" for first, last, _, _ in PEOPLE}
    assert "Grace Hopper" in (world.home / "connect5.ics").read_text()


def test_sent_mail_and_done_become_reached_out(world):
    write_to_everyone(world)
    world.at(f"{MONDAY}T09:30:00+00:00")
    world.connect5("run", "--once")
    assert set(world.states().values()) == {"reached_out"}


def test_a_reply_file_landing_in_the_maildir_becomes_replied(world):
    write_to_everyone(world)
    world.mail("""
From: Grace Hopper <grace@navy.example>
To: Ada Lovelace <ada@example.com>
Subject: Re: Long time no see
Date: Mon, 02 Mar 2026 11:00:00 +0000
Message-ID: <reply-grace@navy.example>
In-Reply-To: <out-0@example.com>
""")
    world.at(f"{MONDAY}T11:05:00+00:00")
    world.connect5("run", "--once")
    assert world.states()["Grace Hopper"] == "replied"
    assert world.states()["Alan Turing"] == "reached_out"


KATHERINE_NOTICE = """
From: "Katherine Johnson via LinkedIn" <messages-noreply@linkedin.com>
To: Ada Lovelace <ada@example.com>
Subject: Katherine just messaged you
Date: Mon, 02 Mar 2026 12:00:00 +0000
Message-ID: <notice-1@linkedin.com>
X-LinkedIn-Class: MBR-TO-MBR
"""


def test_a_linkedin_notification_mail_becomes_replied(world):
    write_to_everyone(world)
    world.mail(KATHERINE_NOTICE)
    world.at(f"{MONDAY}T12:05:00+00:00")
    world.connect5("run", "--once")
    assert world.states()["Katherine Johnson"] == "replied"


def test_a_booking_appended_to_the_calendar_becomes_call_booked_then_met(world):
    write_to_everyone(world)
    world.book("call-1@test", "20260304T140000Z", "20260302T130000Z", "grace@navy.example",
               ["ada@example.com"], "Catch-up")
    world.book("call-2@test", "20260305T100000Z", "20260302T131000Z", "ada@example.com", [],
               "Call with Katherine Johnson")
    world.at(f"{MONDAY}T13:30:00+00:00")
    world.connect5("run", "--once")
    states = world.states()
    assert (states["Grace Hopper"], states["Katherine Johnson"]) == ("call_booked", "call_booked")
    world.at("2026-03-04T15:00:00+00:00")  # Wednesday, after Grace's call, before Katherine's
    world.connect5("run", "--once")
    states = world.states()
    assert (states["Grace Hopper"], states["Katherine Johnson"]) == ("met", "call_booked")


def test_noise_touches_nobody(world):
    write_to_everyone(world)
    world.at(f"{MONDAY}T09:30:00+00:00")
    world.connect5("run", "--once")
    before = world.snapshot()["interactions"]
    world.mail("""
From: Alan Turing <alan@bletchley.example>
To: Ada Lovelace <ada@example.com>
Subject: Automatic reply: away
Date: Mon, 02 Mar 2026 09:01:00 +0000
Message-ID: <auto-1@bletchley.example>
Auto-Submitted: auto-replied
""")
    world.mail("""
From: Edsger Dijkstra <edsger@tue.example>
To: Ada Lovelace <ada@example.com>
Subject: [EWD] new manuscript
Date: Mon, 02 Mar 2026 10:00:00 +0000
Message-ID: <list-1@tue.example>
List-Id: EWD notes <ewd.tue.example>
""")
    world.mail("""
From: "Barbara Liskov via LinkedIn" <invitations@linkedin.com>
To: Ada Lovelace <ada@example.com>
Subject: Barbara Liskov wants to connect
Date: Mon, 02 Mar 2026 10:30:00 +0000
Message-ID: <invite-1@linkedin.com>
""")
    crowd = [f"person{number}@corp.example" for number in range(30)] + ["barbara@mit.example"]
    world.book("all-hands@test", "20260302T160000Z", "20260302T100000Z", "ceo@corp.example", crowd, "All hands")
    world.at(f"{MONDAY}T11:00:00+00:00")
    world.connect5("run", "--once")
    assert set(world.states().values()) == {"reached_out"}
    assert world.snapshot()["interactions"] == before


def test_running_again_after_everything_changes_nothing(world):
    write_to_everyone(world)
    world.mail("""
From: Grace Hopper <grace@navy.example>
To: Ada Lovelace <ada@example.com>
Subject: Re: Long time no see
Date: Mon, 02 Mar 2026 11:00:00 +0000
Message-ID: <reply-grace@navy.example>
""")
    world.book("call-1@test", "20260304T140000Z", "20260302T130000Z", "grace@navy.example",
               ["ada@example.com"], "Catch-up")
    world.at(f"{MONDAY}T13:30:00+00:00")
    world.connect5("run", "--once")
    first = world.snapshot()
    world.connect5("run", "--once")
    world.connect5("sync")
    assert world.snapshot() == first


def test_a_reply_before_utc_midnight_on_the_picks_first_day_counts_east_of_utc(tmp_path, monkeypatch):
    # In Tokyo 00:00-09:00 local is still the day before in UTC: the morning job and
    # the default 09:00 block both fall in it.
    world = picked_world(tmp_path, monkeypatch, morning=f"{MONDAY}T07:30:00+09:00", timezone="Asia/Tokyo")
    world.mail("""
From: Grace Hopper <grace@navy.example>
To: Ada Lovelace <ada@example.com>
Subject: Good morning
Date: Mon, 02 Mar 2026 08:15:00 +0900
Message-ID: <early-grace@navy.example>
""")
    world.at(f"{MONDAY}T08:20:00+09:00")
    world.connect5("run", "--once")
    assert world.states()["Grace Hopper"] == "replied"


def test_sent_mail_from_gmail_spellings_of_our_address_is_reaching_out(tmp_path, monkeypatch):
    world = picked_world(tmp_path, monkeypatch, emails=("adalovelace@gmail.com",))
    world.mail("""
From: Ada Lovelace <Ada.Lovelace@gmail.com>
To: Grace Hopper <grace@navy.example>
Subject: Long time no see
Date: Mon, 02 Mar 2026 09:00:00 +0000
Message-ID: <out-grace@gmail.com>
""", sent=True)
    world.mail("""
From: adalovelace+work@googlemail.com
To: Alan Turing <alan@bletchley.example>
Subject: Long time no see
Date: Mon, 02 Mar 2026 09:01:00 +0000
Message-ID: <out-alan@gmail.com>
""", sent=True)
    world.at(f"{MONDAY}T09:30:00+00:00")
    world.connect5("run", "--once")
    states = world.states()
    assert (states["Grace Hopper"], states["Alan Turing"]) == ("reached_out", "reached_out")
    directions = {row["message_id"]: row["direction"] for row in world.snapshot()["interactions"]}
    assert directions == {"out-grace@gmail.com": "out", "out-alan@gmail.com": "out"}


def test_a_linkedin_notification_filed_in_two_folders_counts_once(world):
    notice = KATHERINE_NOTICE
    world.mail(notice)
    world.mail(notice, folder=".[Gmail].All Mail")
    world.at(f"{MONDAY}T12:05:00+00:00")
    world.connect5("run", "--once")
    assert [row["kind"] for row in world.snapshot()["interactions"]] == ["linkedin"]
    assert world.states()["Katherine Johnson"] == "replied"


def test_a_meeting_we_declined_is_neither_booked_nor_met(world):
    write_to_everyone(world)
    world.book("call-1@test", "20260304T140000Z", "20260302T130000Z", "grace@navy.example",
               ["ada@example.com"], "Catch-up", answer="DECLINED")
    world.at(f"{MONDAY}T13:30:00+00:00")
    world.connect5("run", "--once")
    assert world.states()["Grace Hopper"] == "reached_out"
    world.at("2026-03-04T15:00:00+00:00")
    world.connect5("run", "--once")
    assert world.states()["Grace Hopper"] == "reached_out"


def test_a_booked_call_the_contact_declines_or_leaves_or_that_grows_into_a_crowd_is_booked_no_more(world):
    write_to_everyone(world)
    calls = [("call-g@test", "grace@navy.example"), ("call-a@test", "alan@bletchley.example")]
    for uid, address in calls:
        world.book(uid, "20260304T140000Z", "20260302T130000Z", "ada@example.com", [address], "Catch-up")
    world.at(f"{MONDAY}T13:30:00+00:00")
    world.connect5("run", "--once")
    states = world.states()
    assert (states["Grace Hopper"], states["Alan Turing"]) == ("call_booked", "call_booked")
    # Later that day: Grace declines; Alan's call becomes an all-hands of 30.
    world.events = []
    world.book("call-g@test", "20260304T140000Z", "20260302T150000Z", "ada@example.com",
               ["grace@navy.example"], "Catch-up", answer="DECLINED")
    world.book("call-a@test", "20260304T140000Z", "20260302T150000Z", "ada@example.com",
               ["alan@bletchley.example", *(f"person{n}@crowd.example" for n in range(30))], "Catch-up")
    world.at(f"{MONDAY}T16:00:00+00:00")
    world.connect5("run", "--once")
    states = world.states()
    assert (states["Grace Hopper"], states["Alan Turing"]) == ("reached_out", "reached_out")
    world.at("2026-03-04T15:00:00+00:00")  # after the time the call was set for: still not met
    world.connect5("run", "--once")
    states = world.states()
    assert (states["Grace Hopper"], states["Alan Turing"]) == ("reached_out", "reached_out")
