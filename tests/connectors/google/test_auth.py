"""`connect5 auth google` against the fake: loopback redirect on 127.0.0.1, token file 0600, scopes from config."""

from __future__ import annotations

import json
import stat
import threading
import webbrowser
from pathlib import Path

import requests
from click.testing import CliRunner

from connectors.google import CALENDAR_APP_CREATED, CALENDAR_EVENTS, CALENDAR_EVENTS_READONLY, GMAIL_METADATA
from connectors.google import signin
from daemon.cli import main

CONFIG = """
[block]
writer = "google"
calendar = "{calendar}"
calendar_endpoint = "{fake.calendar_endpoint}"
token_uri = "{fake.token_uri}"

[[sources]]
name = "mail"
type = "gmail"
gmail_endpoint = "{fake.gmail_endpoint}"
token_uri = "{fake.token_uri}"

[[sources]]
name = "calendar"
type = "google-calendar"
calendar_endpoint = "{fake.calendar_endpoint}"
token_uri = "{fake.token_uri}"
"""


def browser(visited: list[str]):
    """Stands in for the user's browser: follows the consent redirect back to the loopback server."""

    def open_url(url: str, *args, **kwargs) -> bool:
        visited.append(url)
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}, daemon=True).start()
        return True

    return open_url


def sign_in(tmp_path: Path, fake, monkeypatch, calendar: str = "primary", *arguments: str):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(CONFIG.format(fake=fake, calendar=calendar))
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps(fake.client_secrets()))
    visited: list[str] = []
    monkeypatch.setattr(webbrowser, "open", browser(visited))
    result = CliRunner().invoke(main, ["--home", str(home), "auth", "google", "--client-secrets", str(secrets),
                                       *arguments])
    return result, home / "tokens" / "google.json", visited


def test_signing_in_saves_a_private_token_file_with_the_narrowest_scopes(tmp_path, fake, monkeypatch):
    result, path, visited = sign_in(tmp_path, fake, monkeypatch)
    assert result.exit_code == 0, result.output
    saved = json.loads(path.read_text())
    assert saved["refresh_token"] and saved["client_id"] and saved["client_secret"]
    assert saved["scopes"] == sorted([GMAIL_METADATA, CALENDAR_EVENTS])  # events.readonly is implied by events
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    (url,) = visited
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url and "access_type=offline" in url
    assert saved["token"] not in result.output


def test_the_block_in_its_own_calendar_asks_for_app_created_instead_of_events(tmp_path, fake, monkeypatch):
    result, path, _ = sign_in(tmp_path, fake, monkeypatch, "connect5")
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["scopes"] == sorted([GMAIL_METADATA, CALENDAR_EVENTS_READONLY,
                                                             CALENDAR_APP_CREATED])


def test_signing_in_again_reuses_the_saved_client(tmp_path, fake, monkeypatch):
    sign_in(tmp_path, fake, monkeypatch)
    visited: list[str] = []
    monkeypatch.setattr(webbrowser, "open", browser(visited))
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "home"), "auth", "google"])
    assert result.exit_code == 0, result.output and len(visited) == 1


def test_the_first_sign_in_without_client_secrets_says_what_is_needed(tmp_path):
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "auth", "google"])
    assert result.exit_code == 1 and "--client-secrets" in result.output


def test_the_loopback_server_listens_on_127_0_0_1_only(fake, monkeypatch):
    seen: list[str] = []

    def show(url: str) -> None:
        seen.append(url)
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}, daemon=True).start()

    credentials = signin.sign_in(fake.client_secrets(), [GMAIL_METADATA], show, timeout=10)
    assert credentials.refresh_token and "127.0.0.1" in seen[0]
    original = signin.wsgiref.simple_server.make_server
    hosts: list[str] = []
    monkeypatch.setattr(signin.wsgiref.simple_server, "make_server",
                        lambda host, *a, **k: hosts.append(host) or original(host, *a, **k))
    signin.sign_in(fake.client_secrets(), [GMAIL_METADATA], show, timeout=10)
    assert hosts == ["127.0.0.1"]
