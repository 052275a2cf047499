"""The demo's driver: the real daemon over simulated workdays, with a simulated user and network.

Each workday the wall clock is pinned (``CONNECT5_NOW``, read by
``daemon.clock.now``) to three moments and the real ``Daemon.cycle`` runs at
each: 07:30 (sync, then the morning job picks five and writes the block),
12:30 and 17:30 (sync). In between, the simulated user writes to most of the
day's picks, by e-mail (a file in the Maildir's ``.Sent``) or on LinkedIn
(``connect5 done``), and the simulated network answers: replies by e-mail,
LinkedIn's notification mails, calls added to the input calendar, plus noise
(a newsletter, LinkedIn invitations, an auto-reply, an all-hands meeting).

The simulator never tells the store what happened: every funnel step is
detected by the Maildir and ICS connectors, ``rules`` and the daemon's sync.
All simulated times are wall-clock times in one zone, so the run is the same
for a seed whatever day it runs on.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import logging
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon.demo import calendar as demo_calendar
from daemon.demo import mail as demo_mail
from daemon.demo import network
from daemon.demo.network import Person

log = logging.getLogger(__name__)

ZONE = "Europe/London"
CHECKPOINTS = (time(7, 30), time(12, 30), time(17, 30))
WRITE_SHARE = 0.9  # picks the user writes to
EMAIL_SHARE = 0.75  # of those with an address, written to by e-mail rather than LinkedIn
REPLY_SHARE = 0.85
BOOK_SHARE = 0.3  # of replies
AUTO_REPLY_SHARE = 0.05
SUBJECTS = ("Long time no see", "Coffee soon?", "Saw your news", "Quick hello", "Catching up")

CONFIG = """\
# Written by `connect5 demo`: a home that needs no account and no network.
[me]
name = "{me_name}"
emails = ["{me_email}"]
timezone = "{zone}"

[picking]
per_day = 5

[block]
title = "Connect 5"
time = "09:00"
writer = "ics"

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
class Settings:
    contacts: int = 500
    days: int = 10  # workdays
    seed: int = 1
    directory: Path | None = None
    start: date | None = None  # a Monday; default: the run ends before this week


@dataclass
class DayReport:
    day: date
    picked: int = 0
    emailed: int = 0
    linkedin: int = 0
    replies: int = 0
    linkedin_replies: int = 0
    bookings: int = 0
    funnel: dict[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def pinned_clock() -> Iterator[None]:
    """Restore ``CONNECT5_NOW`` as it was, whatever the simulation pinned it to."""
    before = os.environ.get("CONNECT5_NOW")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CONNECT5_NOW", None)
        else:
            os.environ["CONNECT5_NOW"] = before


def default_start(today: date, days: int) -> date:
    """The Monday from which ``days`` workdays end before the current week."""
    weeks = -(-days // 5)
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks)


def workdays(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


class Simulation:
    """One demo run in ``directory`` (see the module docstring)."""

    def __init__(self, settings: Settings, directory: Path, start: date):
        from daemon import paths

        self.settings = settings
        self.directory = directory
        self.start = start
        self.zone = ZoneInfo(ZONE)
        self.random = random.Random(settings.seed)
        self.home = paths.resolve(str(directory))
        self.pending: list[tuple[datetime, int, str, tuple]] = []
        self.order = itertools.count()
        self.people: dict[str, Person] = {}
        self.report: DayReport | None = None

    # -- setting up -----------------------------------------------------------

    def setup(self) -> None:
        from daemon import config as config_module
        from daemon import importer
        from daemon.store import open_store

        people = network.generate(self.settings.contacts, self.random, self.start)
        from connectors.linkedin import normalise_profile_url

        self.people = {normalise_profile_url(person.profile_url): person for person in people}
        files = self.directory / "input"
        files.mkdir(parents=True, exist_ok=True)
        connections = network.write_connections(files / "Connections.csv", people)
        cards = network.write_vcards(files / "contacts.vcf", people)
        self.maildir = demo_mail.Maildir(self.directory / "Maildir", self.settings.seed)
        self.calendar = demo_calendar.CalendarFile(files / "calendar.ics")
        self.home.config_file.write_text(CONFIG.format(
            me_name=demo_mail.ME_NAME, me_email=demo_mail.ME_EMAIL, zone=ZONE,
            maildir=self.maildir.root, calendar=self.calendar.path,
        ))
        self.config = config_module.load(self.home.config_file, missing_ok=False)
        self.store = open_store(self.home.db_path)
        from connectors.linkedin import read_export
        from connectors.vcard import read_vcards

        importer.import_linkedin(self.store, read_export(connections))
        importer.import_vcards(self.store, read_vcards(cards))
        self.daemon = self._daemon()
        self._schedule_noise(people)

    def _daemon(self):
        """The real ``Daemon``, its sources made as ``start_sources`` does, minus the watchers.

        Simulated time has no use for wake-ups: every cycle syncs every source.
        """
        from daemon.loop import Daemon, SourceState
        from daemon.sync import make_source

        daemon = Daemon(home=self.home, config=self.config, store=self.store)
        for source in self.config.sources:
            daemon.sources[source.name] = SourceState(source, connector=make_source(source, self.config, self.home))
        return daemon

    def _schedule_noise(self, people: list[Person]) -> None:
        days = workdays(self.start, self.settings.days)
        first = self._at(days[0], time(8, 0)) - timedelta(days=2)
        # The all-hands on the second day (the only day, in a one-day demo).
        self.calendar.add(demo_calendar.all_hands("demo-all-hands", self._at(days[min(1, len(days) - 1)], time(16, 0)),
                                                  first))
        for number, day in enumerate(days, start=1):
            self._later(self._at(day, time(6, 15)), "newsletter", (number,))
            if number % 2:
                name = f"{self.random.choice(network.FIRST_NAMES)} Outsider"
                self._later(self._at(day, time(11, 5)), "invitation", (name,))
        if len(people) >= 2 and len(days) >= 2:
            # The two contacts who share a name (see ``network.generate``): a LinkedIn
            # message from that name is not guessed but listed by `connect5 review`.
            self._later(self._at(days[1], time(13, 40)), "linkedin-reply", (people[1],))

    # -- time -----------------------------------------------------------------

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.zone)

    def _later(self, when: datetime, kind: str, payload: tuple) -> None:
        heapq.heappush(self.pending, (when, next(self.order), kind, payload))

    def _pin(self, when: datetime) -> None:
        os.environ["CONNECT5_NOW"] = when.isoformat()

    def _deliver_until(self, until: datetime) -> None:
        while self.pending and self.pending[0][0] <= until:
            when, _, kind, payload = heapq.heappop(self.pending)
            self._happen(when, kind, payload)

    def _happen(self, when: datetime, kind: str, payload: tuple) -> None:
        report = self.report
        if kind == "reply-email":
            person, subject, message_id = payload
            self.maildir.deliver(when, demo_mail.reply(person, subject, message_id))
            report.replies += 1
        elif kind == "linkedin-reply":
            self.maildir.deliver(when, demo_mail.linkedin_message(payload[0]))
            report.linkedin_replies += 1
        elif kind == "book":
            person, start = payload
            uid = f"demo-call-{next(self.order)}@demo.example"
            self.calendar.add(demo_calendar.call(uid, start, when, person.name, person.email))
            report.bookings += 1
        elif kind == "auto-reply":
            self.maildir.deliver(when, demo_mail.auto_reply(payload[0]))
        elif kind == "newsletter":
            self.maildir.deliver(when, demo_mail.newsletter(payload[0]))
        elif kind == "invitation":
            self.maildir.deliver(when, demo_mail.linkedin_invitation(payload[0]))

    # -- a workday ------------------------------------------------------------

    def workday(self, day: date) -> DayReport:
        from daemon import morning

        self.report = DayReport(day)
        self._cycle(self._at(day, CHECKPOINTS[0]))
        picks = morning.picks_of(self.store, day)
        self.report.picked = len(picks)
        for index, pick in enumerate(picks):
            self._write_to(self.people[pick["contact_key"]], self._at(day, time(9, index)))
        for checkpoint in CHECKPOINTS[1:]:
            self._cycle(self._at(day, checkpoint))
        self.report.funnel = _funnel_so_far(self.store)
        return self.report

    def _cycle(self, when: datetime) -> None:
        self._deliver_until(when)
        self._pin(when)
        self.daemon.cycle(force_sync=True)

    def _write_to(self, person: Person, when: datetime) -> None:
        if self.random.random() >= WRITE_SHARE:
            return
        subject = self.random.choice(SUBJECTS)
        message_id = ""
        if person.email and self.random.random() < EMAIL_SHARE:
            message_id = self.maildir.deliver(when, demo_mail.outbound(person, subject), sent=True)
            self.report.emailed += 1
            if self.random.random() < AUTO_REPLY_SHARE:
                self._later(when + timedelta(minutes=2), "auto-reply", (person,))
        else:
            self._pin(when)
            self._done(person)
            self.report.linkedin += 1
        if self.random.random() >= REPLY_SHARE:
            return
        reply_at = when + timedelta(minutes=self.random.randint(60, 30 * 60))
        if message_id:
            self._later(reply_at, "reply-email", (person, subject, message_id))
        else:
            self._later(reply_at, "linkedin-reply", (person,))
        if self.random.random() < BOOK_SHARE:
            booked_at = reply_at + timedelta(minutes=self.random.randint(20, 240))
            meeting = workdays(booked_at.date() + timedelta(days=1), self.random.randint(1, 3))[-1]
            start = self._at(meeting, self.random.choice((time(14, 0), time(15, 30), time(11, 0))))
            self._later(booked_at, "book", (person, start))

    def _done(self, person: Person) -> None:
        """The user tells connect5 they wrote on LinkedIn: the real ``connect5 done`` command."""
        from daemon.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            main.main(["--home", str(self.directory), "done", person.profile_url], standalone_mode=False,
                      prog_name="connect5")

    def finish(self, last: date) -> dict:
        from daemon.commands.stats import collect

        self._cycle(self._at(last, time(23, 0)))
        data = collect(self.store, last, ZONE)
        data["review"] = self.store.db.execute("SELECT count(*) FROM review WHERE resolved IS NULL").fetchone()[0]
        self.daemon.store.close()
        return data


def _funnel_so_far(store) -> dict[str, int]:
    from rules import stats

    states = [row[0] for row in store.db.execute("SELECT state FROM picks WHERE skipped = 0")]
    return stats.funnel_counts(stats.funnel(states))
