"""How tests point the Outlook connectors at a running fake: options, sign-in, context.

The connectors need no code change for this: the fake's URLs and CA go in the
same config keys a national cloud would use.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from connectors.base import SourceContext

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)  # a Monday
ME = "me@example.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"


def account_options(graph, **extra) -> dict:
    return {
        "client_id": CLIENT_ID,
        "tenant": "organizations",
        "authority": graph.authority,
        "graph_url": graph.url,
        "ca_bundle": str(graph.ca_path),
        **extra,
    }


def home_config(graph, *, me: str = ME, timezone: str = "UTC", mail_extra: str = "", timeout: float | None = None) -> str:
    """A connect5 ``config.toml``: the Outlook block writer and both Outlook sources, all pointed at ``graph``."""
    cloud = (f'tenant = "organizations"\nauthority = "{graph.authority}"\ngraph_url = "{graph.url}"\n'
             f'ca_bundle = "{graph.ca_path}"\n' + (f"timeout_seconds = {timeout}\n" if timeout else ""))
    return (f'\n[me]\nname = "Ada Lovelace"\nemails = ["{me}"]\ntimezone = "{timezone}"\n\n'
            f'[block]\nwriter = "outlook"\n{cloud}\n'
            f'[[sources]]\nname = "outlook-mail"\ntype = "outlook-mail"\n{mail_extra}{cloud}\n'
            f'[[sources]]\nname = "outlook-calendar"\ntype = "outlook-calendar"\n{cloud}')


def sign_in(graph, tokens_dir: Path) -> str:
    """Run the device-code flow against the fake, as `connect5 auth outlook` does."""
    from connectors.outlook import AccountOptions, auth

    options = AccountOptions(**account_options(graph))
    account = auth.resolve(options, tokens_dir)
    granted = ("Mail.ReadBasic", "Calendars.ReadWrite")
    scopes = auth.qualified(account.graph_url, granted)
    username = auth.SignIn(account).device_flow(scopes, show=lambda message: None)
    auth.record_sign_in(tokens_dir, options.client_id, options.tenant, username, granted)
    return username


def context(data_dir: Path, tokens_dir: Path, name: str = "outlook", now: datetime = NOW,
            zone: str = "Europe/London") -> SourceContext:
    return SourceContext(
        name=name, own_addresses=frozenset({ME}), data_dir=data_dir, tokens_dir=tokens_dir,
        timezone=zone, now=lambda: now,
    )
