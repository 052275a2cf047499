"""Crash points against the fake Graph: SIGKILL ``connect5 sync`` and ``run --once`` writing to Outlook.

The fake runs in this process on 127.0.0.1 (HTTPS); connect5 runs as real
subprocesses against it and is killed at seeded random moments of each step's
measured duration, then rerun to completion. Every crashed run gets its own
fake, seeded with the same mailbox and calendar, and must end with the same
store as the uninterrupted run and exactly one block series in Outlook holding
one occurrence per day with that day's five.

Reduced by default (8 kills); ``CONNECT5_SLOW=1`` delivers 60.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from fakes.graph import FakeGraph
from fakes.graph.wiring import CLIENT_ID, home_config

from reliability import harness

FULL = os.environ.get("CONNECT5_SLOW") == "1"
POINTS = 60 if FULL else 8
ME = "me@example.com"
STEPS = [
    harness.Step("sync", ("sync",), "2026-03-02T05:55:00+00:00"),
    harness.Step("run-once-monday", ("run", "--once"), "2026-03-02T07:30:00+00:00"),
    harness.Step("run-once-tuesday", ("run", "--once"), "2026-03-03T07:30:00+00:00"),
]
# 40 people with an address (mail and meetings touch them), 60 without: those are picked.
PEOPLE = [(f"Person{n}", f"Number{n}", f"p{n}", f"p{n}@example.org" if n < 40 else "") for n in range(100)]
WRITING = PEOPLE[:40]


def seed(graph: FakeGraph) -> None:
    randomness = random.Random(11)
    start = datetime(2026, 2, 1, tzinfo=UTC)
    for number in range(400):
        when = start + timedelta(minutes=randomness.randrange(60 * 24 * 28))
        _, _, _, address = randomness.choice(WRITING)
        roll = randomness.random()
        if roll < 0.4:
            graph.mailbox.add("inbox", sender=f"news{number}@stranger.example", received=when)
        elif roll < 0.7:
            graph.mailbox.add("inbox", sender=address, to=[ME], subject=f"Re: hello {number}", received=when)
        else:
            graph.mailbox.add("sentitems", sender=ME, to=[address], subject=f"hello {number}", received=when)
    for number in range(20):
        when = start + timedelta(days=randomness.randrange(40), hours=9)
        graph.calendar.add_event(f"Call {number}", when, attendees=[(randomness.choice(WRITING)[3], "accepted")])


def prepare(tmp_path, name: str, graph: FakeGraph, monkeypatch):
    from daemon.cli import main

    home = tmp_path / name
    home.mkdir()
    (home / "config.toml").write_text(home_config(graph, me=ME, timezone="Europe/Berlin"))
    csv = tmp_path / "Connections.csv"
    rows = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    rows += [f"{f},{l},https://www.linkedin.com/in/{s},{a},Co {n % 9},Engineer,01 Jan 2019"
             for n, (f, l, s, a) in enumerate(PEOPLE)]
    csv.write_text("\n".join(rows) + "\n")
    monkeypatch.setenv("CONNECT5_NOW", "2026-03-02T05:50:00+00:00")
    for arguments in (["import", "linkedin", str(csv)], ["auth", "outlook", "--client-id", CLIENT_ID]):
        result = CliRunner().invoke(main, ["--home", str(home), *arguments])
        assert result.exit_code == 0, result.output
    return home


def outlook_blocks(graph: FakeGraph) -> dict:
    """Our block as Outlook holds it: series masters, and each overridden day's body."""
    masters = [e for e in graph.calendar.events.values() if e["type"] == "seriesMaster"]
    days = {}
    for master in masters:
        for day, override in sorted(master.get("_overrides", {}).items()):
            days[str(day)] = override.get("body", {}).get("content", "") if isinstance(override, dict) else override
    return {"events": len(graph.calendar.events) - 20, "masters": len(masters),
            "subjects": sorted(m.get("subject", "") for m in masters), "days": days}


def store_dump(home) -> dict:
    """The store, without what only names the fake's own counters and clock.

    An event's created/updated are the fake's wall-clock stamps; a delta link
    holds the fake's port and a token from a counter that every delta round
    (also one cut short by a kill) advances, and the same counter numbers new
    events, so the series id's number differs too: kept are each cursor's
    phases and the occurrence day of each block's id.
    """
    import json

    dumped = harness.dump(home)
    dumped.pop("ics")
    dumped["interactions"] = [row[:7] for row in dumped["interactions"]]
    dumped["blocks"] = [[row[0], row[1], row[2].rsplit("_", 1)[-1], *row[3:]] for row in dumped["blocks"]]
    cursors = []
    for source, kind, cursor, _items, error, stopped in dumped["cursors"]:
        state = json.loads(cursor) if cursor else {}
        phases = {name: folder.get("phase") for name, folder in state.get("folders", {}).items()}
        cursors.append([source, kind, phases or state.get("phase"), error, stopped])
    dumped["cursors"] = cursors
    return dumped


def test_killed_syncs_and_morning_jobs_against_outlook_lose_and_double_nothing(tmp_path, monkeypatch):
    with FakeGraph(username=ME) as graph:
        seed(graph)
        home = prepare(tmp_path, "reference", graph, monkeypatch)
        durations = {step.name: harness.run_step(home, step)[1] for step in STEPS}
        reference, remote = store_dump(home), outlook_blocks(graph)
    assert remote["masters"] == 1 and remote["events"] == 1
    assert sorted(remote["days"]) and len(reference["picks"]) == 10
    assert {row[0] for row in reference["interactions"]} == {"outlook-mail", "outlook-calendar"}

    randomness, kills, trial, found = random.Random(3), 0, 0, []
    while kills < POINTS:
        trial += 1
        with FakeGraph(username=ME) as graph:
            seed(graph)
            home = prepare(tmp_path, f"crashed-{trial}", graph, monkeypatch)
            for step in STEPS:
                for _ in range(randomness.randint(1, 2)):
                    killed, _ = harness.run_step(home, step, kill_after=randomness.uniform(0, durations[step.name]))
                    if not killed:
                        break
                    kills += 1
                    assert harness.check_after_kill(home) == []
                    assert outlook_blocks(graph)["masters"] <= 1
                harness.run_step(home, step)
            found += [f"trial {trial}: {line}" for line in harness.differences(reference, store_dump(home))]
            if outlook_blocks(graph) != remote:
                found.append(f"trial {trial}: Outlook holds {outlook_blocks(graph)}")
    assert found == [], "\n".join(found)
