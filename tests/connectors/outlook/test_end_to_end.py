"""Outlook end to end: the real CLI and daemon against the fake Graph, config keys only.

Sign in with `connect5 auth outlook` (device code), let `connect5 run --once`
pick the day's five and write the block into Outlook, then write to people from
Outlook, get a reply and a booking, and watch the funnel move.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from fakes.graph import FakeGraph
from fakes.graph.wiring import CLIENT_ID, home_config
from fakes.home import CliHome

from daemon.cli import main

MONDAY = "2026-03-02"
PEOPLE = [("Grace", "Hopper", "grace", "grace@navy.example"), ("Alan", "Turing", "alan", "alan@bletchley.example"),
          ("Edsger", "Dijkstra", "edsger", "edsger@tue.example")]
class World(CliHome):
    day = MONDAY

    def __init__(self, root, monkeypatch, graph: FakeGraph):
        super().__init__(root / "home", monkeypatch)
        self.graph = graph
        (self.home / "config.toml").write_text(home_config(graph))


@pytest.fixture
def world(tmp_path, monkeypatch):
    with FakeGraph(username="me@example.com") as graph:
        world = World(tmp_path, monkeypatch, graph)
        rows = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
        rows += [f"{first},{last},https://www.linkedin.com/in/{slug},{address},Co {slug},Engineer,01 Jan 2019"
                 for first, last, slug, address in PEOPLE]
        (tmp_path / "Connections.csv").write_text("\n".join(rows) + "\n")
        world.connect5("import", "linkedin", str(tmp_path / "Connections.csv"))
        world.connect5("auth", "outlook", "--client-id", CLIENT_ID)
        world.at(f"{MONDAY}T07:30:00+00:00")
        world.connect5("run", "--once")
        yield world


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_the_morning_job_writes_one_block_into_outlook(world):
    masters = [e for e in world.graph.calendar.events.values() if e["type"] == "seriesMaster"]
    assert len(masters) == 1
    occurrence = world.graph.calendar.get(f"{masters[0]['id']}_OCC20260302")
    assert all(first in occurrence["body"]["content"] for first, *_ in PEOPLE)
    world.at(f"{MONDAY}T08:00:00+00:00")
    world.connect5("run", "--once")
    assert len(world.graph.calendar.events) == 1


def test_mail_sent_from_outlook_a_reply_and_a_booking_move_the_funnel(world):
    mailbox = world.graph.mailbox
    for number, (first, last, _, address) in enumerate(PEOPLE):
        mailbox.add("sentitems", sender="me@example.com", to=[address], subject="Long time no see",
                    conversation_id=f"c{number}", received=at(f"{MONDAY}T09:0{number}:00"))
    world.at(f"{MONDAY}T09:30:00+00:00")
    world.connect5("sync")
    assert set(world.states().values()) == {"reached_out"}

    mailbox.add("inbox", sender="grace@navy.example", sender_name="Grace Hopper", to=["me@example.com"],
                subject="Re: Long time no see", conversation_id="c0", received=at(f"{MONDAY}T11:00:00"))
    world.graph.calendar.add_event("Catch-up", at("2026-03-04T14:00:00"),
                                   attendees=[("alan@bletchley.example", "accepted")])
    world.at(f"{MONDAY}T11:05:00+00:00")
    world.connect5("sync")
    states = world.states()
    assert states["Grace Hopper"] == "replied"
    assert states["Alan Turing"] == "call_booked"
    assert states["Edsger Dijkstra"] == "reached_out"
    shown = json.loads(world.connect5("contacts", "show", "Grace Hopper", "--json").output)
    assert "replied" in json.dumps(shown)


def test_a_revoked_grant_stops_the_outlook_sources_with_the_command_to_run(world):
    world.graph.identity.revoke()
    world.at(f"{MONDAY}T09:30:00+00:00")
    result = CliRunner().invoke(main, ["--home", str(world.home), "sync", "outlook-mail"])
    assert result.exit_code != 0 or "connect5 auth outlook" in result.output
    assert "connect5 auth outlook" in result.output
    assert "refresh-" not in result.output and "access-" not in result.output


def test_signing_in_again_resumes_the_stopped_sources_of_the_running_daemon(world):
    """A refused grant stops the sources of `connect5 run`; `connect5 auth outlook` brings them back at once."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    def sources() -> dict[str, dict]:
        # status exits non-zero while a source is stopped: only its report matters here
        report = json.loads(CliRunner().invoke(main, ["--home", str(world.home), "status", "--json"]).output)
        return {source["name"]: source for source in report["sources"]}

    def wait_until(check, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(f"{what} within {timeout} s: {sources()}")

    world.graph.identity.revoke()
    world.at(f"{MONDAY}T09:30:00+00:00")
    env = dict(os.environ, CONNECT5_NOW=f"{MONDAY}T09:30:00+00:00")
    env.pop("NOTIFY_SOCKET", None)
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "connect5"), "--home", str(world.home), "run"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: all(s.get("stopped") for s in sources().values()), "both Outlook sources stopped")
        world.graph.mailbox.add("inbox", sender="grace@navy.example", sender_name="Grace Hopper",
                                to=["me@example.com"], subject="hello", received=at(f"{MONDAY}T09:00:00"))
        assert world.states()["Grace Hopper"] == "picked"  # the stopped daemon cannot see her reply
        signed_in = world.connect5("auth", "outlook", "--client-id", CLIENT_ID)
        assert f"connect5 run (pid {daemon.pid}) reloads and resumes its sources" in signed_in.output
        wait_until(lambda: not any(s.get("stopped") for s in sources().values()), "sources resumed")
        wait_until(lambda: world.states()["Grace Hopper"] == "replied", "Grace's reply synced by the daemon")
        assert daemon.poll() is None
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=20)
    assert daemon.returncode == 0, stderr
