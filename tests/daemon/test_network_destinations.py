"""Nothing is sent anywhere but the configured services.

A real ``connect5 run --once`` subprocess, configured for Gmail, Google
Calendar, Outlook mail and calendar and a Google block (all pointing at the
fakes on 127.0.0.1), runs with a Python audit hook (PEP 578) that records every
``socket.connect`` and ``socket.getaddrinfo``. Every destination must be one
of the fakes' own addresses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from click.testing import CliRunner
from fakes.google import FakeGoogle
from fakes.graph import FakeGraph
from fakes.graph.wiring import CLIENT_ID

from connectors.google import CALENDAR_EVENTS, GMAIL_METADATA
from daemon.cli import main

ME = "ada@example.com"
CONFIG = """
[me]
name = "Ada Lovelace"
emails = ["{me}"]
timezone = "UTC"

[block]
writer = "google"
calendar_endpoint = "{google.calendar_endpoint}"
token_uri = "{google.token_uri}"

[[sources]]
name = "gmail"
type = "gmail"
gmail_endpoint = "{google.gmail_endpoint}"
token_uri = "{google.token_uri}"

[[sources]]
name = "google-calendar"
type = "google-calendar"
calendar_endpoint = "{google.calendar_endpoint}"
token_uri = "{google.token_uri}"

[[sources]]
name = "outlook-mail"
type = "outlook-mail"
{cloud}
[[sources]]
name = "outlook-calendar"
type = "outlook-calendar"
{cloud}"""
CLOUD = """tenant = "organizations"
authority = "{graph.authority}"
graph_url = "{graph.url}"
ca_bundle = "{graph.ca_path}"
"""
# Runs connect5 with an audit hook that appends every network destination to a file.
AUDITED = """
import json, sys
log = open(sys.argv[1], "a")
def hook(event, arguments):
    if event == "socket.connect":
        address = arguments[1]
        if isinstance(address, tuple):
            log.write(json.dumps(["connect", str(address[0]), address[1]]) + "\\n"); log.flush()
    elif event == "socket.getaddrinfo":
        log.write(json.dumps(["lookup", str(arguments[0]), arguments[1]]) + "\\n"); log.flush()
sys.addaudithook(hook)
from daemon.cli import main
main(sys.argv[2:])
"""


def test_a_full_cycle_talks_only_to_the_configured_services(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    now = "2026-03-02T07:30:00+00:00"
    with FakeGoogle(address=ME) as google, FakeGraph(username=ME) as graph:
        (home / "config.toml").write_text(CONFIG.format(me=ME, google=google, cloud=CLOUD.format(graph=graph)))
        google.token_file(home / "tokens", [GMAIL_METADATA, CALENDAR_EVENTS])
        connections = tmp_path / "Connections.csv"
        connections.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                               "Grace,Hopper,https://www.linkedin.com/in/grace,grace@navy.example,Navy,Admiral,"
                               "01 Jan 2019\n")
        for arguments in (["import", "linkedin", str(connections)], ["auth", "outlook", "--client-id", CLIENT_ID]):
            result = CliRunner().invoke(main, ["--home", str(home), *arguments])
            assert result.exit_code == 0, result.output
        log = tmp_path / "destinations.jsonl"
        environment = {**os.environ, "CONNECT5_NOW": now}
        completed = subprocess.run(
            [sys.executable, "-c", AUDITED, str(log), "--home", str(home), "run", "--once"],
            capture_output=True, text=True, env=environment, timeout=120,
        )
        assert completed.returncode == 0, completed.stderr
        allowed = {_host_port(url) for url in (google.gmail_endpoint, google.calendar_endpoint, google.token_uri,
                                                graph.url, graph.authority)}
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    connects = {(host, port) for kind, host, port in seen if kind == "connect"}
    lookups = {host for kind, host, _ in seen if kind == "lookup"}
    assert connects, "the audit hook saw no connection at all"
    assert connects <= allowed, f"unexpected destinations: {connects - allowed}"
    assert lookups <= {"127.0.0.1", "localhost"}, f"unexpected name lookups: {lookups}"
    # Every configured service was really used.
    assert {port for _, port in connects} == {port for _, port in allowed}


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port
