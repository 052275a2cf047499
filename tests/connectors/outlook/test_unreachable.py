"""Outlook's sign-in service unreachable: one line from `connect5 auth outlook`, a retry in the daemon.

msal asks the authority for its OpenID configuration as soon as it is built, so
a machine with no network fails there, before any token is asked for. The
"network" is an address on 127.0.0.1 where nothing listens.
"""

from __future__ import annotations

import pytest
from fakes.closed import closed_port
from fakes.graph.wiring import CLIENT_ID, account_options, context

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
