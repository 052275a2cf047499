"""Google's token endpoint unreachable: one line from `connect5 auth google`, a retry in the daemon.

The "network" is an address on 127.0.0.1 where nothing listens.
"""

from __future__ import annotations

import json
import threading
import webbrowser

import pytest
import requests
from fakes.closed import closed_port

from connectors.base import AuthError, SourceUnavailable


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
    from connectors.google.gmail import GmailSource

    options = GmailSource.Options(gmail_endpoint=fake.gmail_endpoint,
                                  token_uri=f"http://127.0.0.1:{closed_port()}/token")
    source = GmailSource(options, context, clock=clock.monotonic, sleep=clock.sleep)
    with pytest.raises(SourceUnavailable, match="cannot reach .*Connection refused") as raised:
        list(source.sync(None))
    assert not isinstance(raised.value, AuthError)
