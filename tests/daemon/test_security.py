"""Security properties: private files checked on every start, no secret in any log,
headers-only requests, loopback-only sign-in, private block events.

See docs/SECURITY.md for the threat model these tests hold the code to.
"""

from __future__ import annotations

import inspect
import json
import logging
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fakes.google import FakeGoogle

from connectors.google import CALENDAR_EVENTS, GMAIL_METADATA
from daemon import logs
from daemon.permissions import NotPrivateError, ensure_private

ME = "ada@example.com"
GOOGLE_CONFIG = """
[me]
emails = ["{me}"]
timezone = "UTC"

[[sources]]
name = "gmail"
type = "gmail"
gmail_endpoint = "{fake.gmail_endpoint}"
token_uri = "{fake.token_uri}"
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leaky_home(home: Path) -> Path:
    tokens = home / "tokens"
    tokens.mkdir()
    token = tokens / "google.json"
    token.write_text('{"refresh_token": "1//secret-refresh"}')
    home.chmod(0o755)
    tokens.chmod(0o755)
    token.chmod(0o644)
    return token


def test_start_up_makes_a_world_readable_data_folder_tokens_folder_and_token_private(cli, home):
    token = _leaky_home(home)
    result = cli.process("run", "--once")
    assert result.returncode == 0, result.stderr
    assert (mode(home), mode(home / "tokens"), mode(token)) == (0o700, 0o700, 0o600)
    assert f"{token} was readable by others (0644); made it 0600" in result.stderr


def test_a_token_file_that_cannot_be_made_private_stops_the_daemon_with_one_line(home, monkeypatch):
    token = _leaky_home(home)
    real_chmod = __import__("os").chmod

    def refuse(path, new_mode, *args, **kwargs):
        if Path(path) == token:
            raise PermissionError(1, "Operation not permitted")
        return real_chmod(path, new_mode, *args, **kwargs)

    monkeypatch.setattr("daemon.permissions.os.chmod", refuse)
    with pytest.raises(NotPrivateError) as refused:
        ensure_private(home, home / "tokens")
    assert str(refused.value) == (
        f"{token} is readable by others (0644) and cannot be fixed (Operation not permitted); "
        f"run: chmod 600 {token} (see connect5 check)"
    )


def test_check_reports_then_fixes_the_same_holes(cli, home):
    token = _leaky_home(home)
    cli.write_config("")
    report = cli.process("check", "--json")
    assert report.returncode == 1
    bad = {finding["detail"] for finding in json.loads(report.stdout) if finding["check"] == "modes" and not finding["ok"]}
    assert f"token file {token} is 0644, should be 0600" in bad
    cli.process("check", "--fix")
    assert mode(token) == 0o600 and mode(home / "tokens") == 0o700


MONDAY = {"CONNECT5_NOW": "2026-03-02T08:00:00+00:00"}


@pytest.fixture
def picked(cli, home, linkedin_2024) -> Path:
    """A home with a store and a block file, both 0600, as `connect5 today` leaves them."""
    cli("import", "linkedin", str(linkedin_2024), env=MONDAY)
    cli("today", env=MONDAY)
    assert mode(home / "connect5.db") == 0o600 and mode(home / "connect5.ics") == 0o600
    return home


def modes_findings(report: str) -> dict[str, dict]:
    return {finding["detail"].split(" ")[2]: finding for finding in json.loads(report)
            if finding["check"] == "modes"}


def test_check_reports_a_readable_store_before_opening_it_makes_it_private(cli, picked):
    store = picked / "connect5.db"
    store.chmod(0o644)
    report = cli.process("check", "--json")
    finding = modes_findings(report.stdout)[str(store)]
    assert not finding["ok"] and finding["fixed"], finding
    assert finding["detail"] == f"store file {store} was 0644, now 0600 (opening the store fixed it)"
    assert mode(store) == 0o600


def test_status_says_so_when_opening_the_store_makes_it_private(cli, picked):
    store = picked / "connect5.db"
    store.chmod(0o644)
    result = cli.process("status", env=MONDAY)
    assert f"store file {store} was readable by others (0644); made it 0600" in result.stderr
    assert mode(store) == 0o600


def test_check_reports_a_readable_block_file_and_fix_repairs_it(cli, picked):
    block = picked / "connect5.ics"
    block.chmod(0o644)
    report = cli.process("check", "--json")
    assert report.returncode == 1
    finding = modes_findings(report.stdout)[str(block)]
    assert finding["detail"] == f"block file {block} is 0644, should be 0600" and not finding["fixed"]
    assert mode(block) == 0o644  # check without --fix changes nothing
    fixed = cli.process("check", "--fix", "--json")
    assert modes_findings(fixed.stdout)[str(block)]["detail"] == f"block file {block} was 0644, now 0600"
    assert mode(block) == 0o600


@pytest.mark.parametrize("command", [("today",), ("run", "--once")])
def test_an_unchanged_block_file_opened_to_others_is_made_private_again(cli, picked, command):
    block = picked / "connect5.ics"
    before = block.read_bytes()
    block.chmod(0o644)
    result = cli.process(*command, env=MONDAY)
    assert result.returncode == 0, result.stderr
    assert block.read_bytes() == before  # nothing to write: the content is the same
    assert mode(block) == 0o600
    assert f"{block} was readable by others (0644); made it 0600" in result.stderr


def test_the_store_and_everything_written_are_private(cli, home, linkedin_2024):
    cli("import", "linkedin", str(linkedin_2024))
    cli("today")
    assert mode(home) == 0o700
    for path in home.iterdir():
        if path.is_file() and path.name != "config.toml":
            assert mode(path) & 0o077 == 0, path


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR])
def test_the_formatter_masks_tokens_refresh_tokens_and_secrets_at_every_level(level):
    secrets = {
        "Authorization: Bearer ya29.a0AfH6SMBsecretsecret": "ya29.a0AfH6SMBsecretsecret",
        '{"access_token": "abc123def456ghi"}': "abc123def456ghi",
        "refresh_token=1//0gSecretRefresh&x=1": "1//0gSecretRefresh",
        "client_secret=GOCSPX-supersecret": "GOCSPX-supersecret",
        "id token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig": "eyJhbGciOiJSUzI1NiJ9",
    }
    formatter = logs.SafeFormatter("%(message)s")
    for message, secret in secrets.items():
        record = logging.LogRecord("connectors.google", level, __file__, 1, message, (), None)
        assert secret not in formatter.format(record), message


@pytest.mark.parametrize("verbose", [True, False])
def test_a_google_sync_logs_no_token_or_secret_at_any_level(cli, home, verbose):
    with FakeGoogle(address=ME) as fake:
        token = fake.token_file(home / "tokens", [GMAIL_METADATA, CALENDAR_EVENTS])
        fake.mailbox.add(sender="grace@navy.example", to=ME, subject="hello")
        cli.write_config(GOOGLE_CONFIG.format(fake=fake, me=ME))
        result = cli.process(*(["-v"] if verbose else []), "sync")
        issued = list(fake.oauth.access_tokens)
        calls = list(fake.calls)
    saved = json.loads(token.read_text())
    secrets = [saved["refresh_token"], saved["client_secret"], *issued]
    assert result.returncode == 0, result.stderr
    if verbose:
        assert result.stderr.strip(), "debug logging said nothing: the scan would prove nothing"
    for secret in secrets:
        assert secret not in result.stderr + result.stdout
    assert calls, "no request reached the fake"
    for call in calls:  # headers only: metadata or minimal, never full or raw
        assert call.query.get("format", ["metadata"])[0] in ("metadata", "minimal"), call


def _listeners(port: int) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp writes them) listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, port_hex = local.rpartition(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.append(address)
    return found


def test_google_sign_in_listens_on_127_0_0_1_only():
    """While the browser is sent off, the redirect's listener is bound to loopback, nothing else."""
    from urllib.parse import parse_qs, urlsplit

    from connectors.google.signin import SignInError, sign_in

    seen: dict[str, object] = {}

    def show_url(url: str) -> None:
        redirect = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0])
        seen["host"], seen["listeners"] = redirect.hostname, _listeners(redirect.port)

    config = {"installed": {"client_id": "id", "client_secret": "secret", "auth_uri": "https://accounts.example/auth",
                            "token_uri": "http://127.0.0.1:9/token", "redirect_uris": ["http://127.0.0.1"]}}
    with pytest.raises(SignInError):
        sign_in(config, ["https://www.googleapis.com/auth/gmail.metadata"], show_url, timeout=0.2)
    assert seen == {"host": "127.0.0.1", "listeners": ["0100007F"]}


def test_the_ics_block_is_a_private_event(tmp_path):
    from connectors.base import SourceContext
    from connectors.ics.writer import IcsBlockWriter
    from connectors.records import Block

    path = tmp_path / "connect5.ics"
    writer = IcsBlockWriter(IcsBlockWriter.Options(path=str(path)), SourceContext(name="block"))
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    writer.write(date(2026, 1, 5), Block(day=date(2026, 1, 5), title="Connect 5", start=start, minutes=5,
                                         description="five", html=""))
    events = path.read_text().split("BEGIN:VEVENT")[1:]
    assert events and all("CLASS:PRIVATE" in event for event in events)


def test_the_google_and_outlook_blocks_are_private():
    from connectors.google import block as google_block
    from connectors.outlook import block as outlook_block

    assert '"visibility": "private"' in inspect.getsource(google_block)
    assert '"sensitivity": "private"' in inspect.getsource(outlook_block)
