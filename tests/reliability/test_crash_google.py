"""Crash points against the fake Google: SIGKILL ``connect5 sync`` and ``run --once`` (Gmail, Calendar, block).

The fake runs in this process on 127.0.0.1; connect5 runs as real subprocesses
against it (the Google world of ``faults``: Gmail backfill by batches, history
on the second day, Google Calendar by sync token, the block series in the
primary calendar) and is killed at seeded random moments of each step's
measured duration, then rerun to completion. Every crashed run gets its own
fake seeded with the same mailbox and calendar, and must end with the same
store as the uninterrupted run and the same calendars in Google: one block
series, each day's instance holding that day's five, nothing else changed.

Reduced by default (8 kills, 300 messages); ``CONNECT5_SLOW=1`` delivers 60 (1,500 messages).
"""

from __future__ import annotations

import os
import random
from datetime import datetime

from fakes.google import FakeGoogle

from connectors.google import CALENDAR_EVENTS, GMAIL_METADATA
from reliability import faults, google_world, harness

FULL = os.environ.get("CONNECT5_SLOW") == "1"
POINTS = 60 if FULL else 8
MESSAGES = 1500 if FULL else 300  # more mail makes a longer backfill, so more kills land mid-work
STEPS = [
    harness.Step("sync", ("sync",), "2026-03-02T05:55:00+00:00"),
    harness.Step("run-once-monday", ("run", "--once"), "2026-03-02T07:30:00+00:00"),
    harness.Step("run-once-tuesday", ("run", "--once"), "2026-03-03T07:30:00+00:00"),
]


class Clock:
    """The fake's clock: the pinned time of the step being run."""

    moment = datetime.fromisoformat("2026-03-02T05:00:00+00:00")

    def __call__(self) -> datetime:
        return self.moment


def prepare(tmp_path, name: str, fake: FakeGoogle):
    home = tmp_path / name
    home.mkdir()
    (home / "config.toml").write_text(google_world.GOOGLE_CONFIG.format(me=faults.ME, f=fake, timeout=10))
    fake.token_file(home / "tokens", [GMAIL_METADATA, CALENDAR_EVENTS])
    faults.import_people(home, home)
    return home


def play(home, fake: FakeGoogle, clock: Clock, run) -> None:
    """Each step through ``run(step)``; Monday's news reaches the fake before Tuesday's step."""
    for step in STEPS:
        if step.name == "run-once-tuesday":
            google_world.google_day_two(fake)
        clock.moment = datetime.fromisoformat(step.now)
        run(step)


def series(fake: FakeGoogle) -> int:
    return sum(1 for calendar in fake.calendars.calendars.values() for event in calendar.events
               if event.startswith("connect5block"))


def test_killed_syncs_and_morning_jobs_against_google_lose_and_double_nothing(tmp_path):
    clock = Clock()
    durations = {}
    with FakeGoogle(address=faults.ME, now=clock, units_per_minute=1e9) as fake:
        google_world.seed_google(fake, MESSAGES, 15)
        home = prepare(tmp_path, "reference", fake)
        play(home, fake, clock, lambda step: durations.__setitem__(step.name, harness.run_step(home, step)[1]))
        reference, remote = faults.store_dump(home), google_world.google_remote(fake)
    assert series(fake) == 1 and len(reference["picks"]) == 10
    assert [row[0] for row in reference["blocks"]] == ["2026-03-02", "2026-03-03"]
    assert {row[0] for row in reference["interactions"]} == {"gmail", "google-calendar"}

    randomness, kills, partial, trial, found = random.Random(3), 0, 0, 0, []
    while kills < POINTS:
        trial += 1
        clock.moment = Clock.moment  # the seeding time, as for the reference
        with FakeGoogle(address=faults.ME, now=clock, units_per_minute=1e9) as fake:
            google_world.seed_google(fake, MESSAGES, 15)
            home = prepare(tmp_path, f"crashed-{trial}", fake)

            def crash(step):
                nonlocal kills, partial
                for _ in range(randomness.randint(1, 2)):
                    before = harness.dump(home)
                    killed, _ = harness.run_step(home, step, kill_after=randomness.uniform(0, durations[step.name]))
                    if not killed:
                        break
                    kills += 1
                    partial += harness.dump(home) != before
                    assert harness.check_after_kill(home) == []
                    assert series(fake) <= 1
                harness.run_step(home, step)

            play(home, fake, clock, crash)
            found += [f"trial {trial}: {line}" for line in harness.differences(reference, faults.store_dump(home))]
            if google_world.google_remote(fake) != remote:
                found.append(f"trial {trial}: Google Calendar: {faults.describe(remote, google_world.google_remote(fake))}")
    assert found == [], "\n".join(found)
    print(f"{kills} kills in {trial} crashed runs, {partial} left partial work, 0 differences")
