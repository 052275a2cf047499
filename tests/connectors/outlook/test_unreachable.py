"""Outlook's sign-in service unreachable: one line from `connect5 auth outlook`, a retry in the daemon.

msal asks the authority for its OpenID configuration as soon as it is built, so
a machine with no network fails there, before any token is asked for. The
"network" is an address on 127.0.0.1 where nothing listens, or (for Graph
itself) a server there that accepts and never answers.
"""

from __future__ import annotations

import time

import pytest
from fakes.closed import closed_port
from fakes.google.silent import SilentServer
from fakes.graph.wiring import CLIENT_ID, account_options, context

from connectors import base
from connectors.base import AuthError, SourceUnavailable


def test_auth_outlook_with_the_sign_in_service_unreachable_says_so_in_one_line(cli):
    port = closed_port()
    cli.write_config(f'[[sources]]\nname = "outlook"\ntype = "outlook-mail"\n'
                     f'authority = "https://127.0.0.1:{port}"\ngraph_url = "https://127.0.0.1:{port}/v1.0"\n')
    finished = cli.process("auth", "outlook", "--client-id", CLIENT_ID)
    assert finished.returncode == 1, finished.stderr
    assert finished.stderr.strip().splitlines() == [finished.stderr.strip()], finished.stderr
    assert f"cannot reach 127.0.0.1:{port}" in finished.stderr and "check the network" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_an_outlook_source_with_the_sign_in_service_unreachable_is_retried_later(graph, tokens_dir, tmp_path):
    from connectors.outlook.mail import OutlookMailSource

    port = closed_port()
    options = OutlookMailSource.Options(**{**account_options(graph), "authority": f"https://127.0.0.1:{port}"})
    source = OutlookMailSource(options, context(tmp_path, tokens_dir))
    with pytest.raises(SourceUnavailable, match=f"cannot reach 127.0.0.1:{port}") as raised:
        list(source.sync(None))
    assert not isinstance(raised.value, AuthError)


TIMEOUT = 0.3


def silent_client(silent, keepalive):
    """A Graph client for a server that never answers; its clock counts its waits and real time (the timeouts)."""
    from fakes.google.clock import FakeClock

    from connectors.outlook.auth import http_session
    from connectors.outlook.graph import GraphClient

    clock, started = FakeClock(), time.monotonic()

    def elapsed() -> float:
        return clock.monotonic() + time.monotonic() - started

    client = GraphClient(silent.url + "v1.0", lambda force: "token", http_session(), timeout=TIMEOUT,
                         sleep=clock.sleep, clock=elapsed, keepalive=keepalive)
    return client, elapsed


@pytest.mark.parametrize("how", ["one request", "a $batch"])
def test_graph_that_never_answers_gives_up_within_the_bound_keeping_the_daemon_alive(monkeypatch, how):
    from connectors.outlook.graph import Request

    monkeypatch.setattr(base, "RETRY_SECONDS", 4.0)
    pings: list[int] = []
    with SilentServer() as silent:
        client, elapsed = silent_client(silent, lambda: pings.append(silent.accepted))
        with pytest.raises(SourceUnavailable, match="Graph did not answer"):
            if how == "one request":
                client.get("/me/mailFolders/inbox")
            else:
                client.batch([Request("GET", "/me/mailFolders/inbox"), Request("GET", "/me/mailFolders/sentitems")])
        assert elapsed() <= 4.0 + TIMEOUT + 0.5, "gave up within the bound, the timeouts counted"
        assert silent.accepted >= 2
        assert set(range(1, silent.accepted)) <= set(pings), "the keepalive ran between every two attempts"


def test_the_outlook_sources_wait_with_the_daemons_keepalive(graph, tokens_dir, tmp_path):
    from dataclasses import replace

    from connectors.outlook.calendar import OutlookCalendarSource
    from connectors.outlook.mail import OutlookMailSource

    def keepalive():
        pass

    for kind in (OutlookMailSource, OutlookCalendarSource):
        source = kind(kind.Options(**account_options(graph)), replace(context(tmp_path, tokens_dir), keepalive=keepalive))
        assert source.client.keepalive is keepalive
