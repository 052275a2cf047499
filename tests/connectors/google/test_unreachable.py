"""Google unreachable: one line from `connect5 auth google`, a retry in the daemon, a bounded wait.

The "network" is an address on 127.0.0.1 where nothing listens, or a server
there that accepts and never answers.
"""

from __future__ import annotations

import json
import threading
import time
import webbrowser
from dataclasses import replace

import pytest
import requests
from fakes.closed import closed_port
from fakes.google.silent import SilentServer

from connectors import base
from connectors.base import AuthError, SourceUnavailable
from connectors.google.gmail import GmailSource


def test_auth_google_with_the_token_endpoint_unreachable_says_so_in_one_line(cli, home, fake, monkeypatch, tmp_path):
    port = closed_port()
    secrets = fake.client_secrets()
    secrets["installed"]["token_uri"] = f"http://127.0.0.1:{port}/token"
    (tmp_path / "client_secret.json").write_text(json.dumps(secrets))
    cli.write_config('[[sources]]\nname = "mail"\ntype = "gmail"\n')

    def follow(url: str, *args, **kwargs) -> bool:  # the user's browser: consent, then back to the loopback
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}, daemon=True).start()
        return True

    monkeypatch.setattr(webbrowser, "open", follow)
    result = cli("auth", "google", "--client-secrets", str(tmp_path / "client_secret.json"), ok=False)
    assert result.exit_code == 1, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert f"cannot reach 127.0.0.1:{port}" in last and "check the network" in last
    assert not (home / "tokens" / "google.json").exists()


def test_a_gmail_source_with_the_token_endpoint_unreachable_is_retried_later(fake, context, clock):
    options = GmailSource.Options(gmail_endpoint=fake.gmail_endpoint,
                                  token_uri=f"http://127.0.0.1:{closed_port()}/token")
    source = GmailSource(options, context, clock=clock.monotonic, sleep=clock.sleep)
    with pytest.raises(SourceUnavailable, match="cannot reach .*Connection refused") as raised:
        list(source.sync(None))
    assert not isinstance(raised.value, AuthError)


class Stop(BaseException):
    """What the daemon's keepalive raises when a stop was asked for."""


def silent_gmail(fake, context, clock, silent, keepalive):
    """A Gmail source whose API never answers; its clock counts both its waits and real time (the timeouts)."""
    started = time.monotonic()

    def elapsed() -> float:
        return clock.monotonic() + time.monotonic() - started

    options = GmailSource.Options(gmail_endpoint=silent.url, token_uri=fake.token_uri, timeout_seconds=TIMEOUT)
    return GmailSource(options, replace(context, keepalive=keepalive), clock=elapsed, sleep=clock.sleep), elapsed


TIMEOUT = 0.3


def test_a_network_that_never_answers_gives_up_within_the_bound_keeping_the_daemon_alive(fake, context, clock,
                                                                                        monkeypatch):
    monkeypatch.setattr(base, "RETRY_SECONDS", 3.0)
    pings: list[int] = []
    with SilentServer() as silent:
        gmail, elapsed = silent_gmail(fake, context, clock, silent, lambda: pings.append(silent.accepted))
        with pytest.raises(SourceUnavailable, match="cannot reach Google"):
            list(gmail.sync(None))
        assert elapsed() <= 3.0 + TIMEOUT + 0.5, "gave up within the bound, the timeouts counted"
        assert silent.accepted >= 2
        assert set(range(1, silent.accepted)) <= set(pings), "the keepalive ran between every two attempts"


def test_a_stop_asked_for_while_retrying_ends_the_call_at_once(fake, context, clock):
    def keepalive():
        raise Stop()

    with SilentServer() as silent:
        gmail, _ = silent_gmail(fake, context, clock, silent, keepalive)
        with pytest.raises(Stop):
            list(gmail.sync(None))
        assert silent.accepted == 1
