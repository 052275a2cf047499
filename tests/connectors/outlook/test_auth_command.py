"""`connect5 auth outlook`: the device-code flow against the fake, driven by the config's cloud keys."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

from fakes.graph.wiring import CLIENT_ID


def outlook_config(graph, writer: str = "ics") -> str:
    return f"""
[me]
emails = ["me@example.com"]

[block]
writer = "{writer}"

[[sources]]
name = "outlook"
type = "outlook-mail"
tenant = "organizations"
authority = "{graph.authority}"
graph_url = "{graph.url}"
ca_bundle = "{graph.ca_path}"
"""


def test_device_code_sign_in_keeps_a_private_token_cache_and_records_the_app(graph, cli, home):
    cli.write_config(outlook_config(graph))
    result = cli("auth", "outlook", "--client-id", CLIENT_ID)
    assert "FAKE-CODE" in result.output and "Signed in to Outlook as me@example.com" in result.output
    assert graph.identity.token_requests.count("urn:ietf:params:oauth:grant-type:device_code") == 2  # pending, then tokens
    cache = home / "tokens" / "outlook.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600 and stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    recorded = json.loads((home / "tokens" / "outlook-app.json").read_text())
    assert recorded == {"client_id": CLIENT_ID, "tenant": "organizations", "username": "me@example.com",
                        "scopes": ["Mail.ReadBasic"]}
    assert "access-" not in result.output  # never print a token


def test_scopes_follow_the_config_mail_read_basic_and_read_write_calendars_for_the_block(graph, cli):
    cli.write_config(outlook_config(graph, writer="outlook").replace('[block]\nwriter = "outlook"',
                     f'[block]\nwriter = "outlook"\nauthority = "{graph.authority}"'))
    cli("auth", "outlook", "--client-id", CLIENT_ID)
    requested = graph.identity.scopes_seen[0].split()
    resource = graph.authority
    assert f"{resource}/Mail.ReadBasic" in requested and f"{resource}/Calendars.ReadWrite" in requested
    assert "offline_access" in requested and not any("Mail.Read " in s or s.endswith("/Mail.Read") for s in requested)


def test_without_a_client_id_the_command_says_what_to_pass(graph, cli):
    cli.write_config(outlook_config(graph))
    result = cli("auth", "outlook", ok=False)
    assert result.exit_code == 1 and "--client-id" in result.output


def test_the_sources_then_sync_with_no_client_id_in_the_config(graph, cli, home):
    from connectors.outlook.mail import OutlookMailSource
    from fakes.graph.wiring import NOW, context

    cli.write_config(outlook_config(graph))
    cli("auth", "outlook", "--client-id", CLIENT_ID)
    graph.mailbox.add("inbox", sender="ada@example.org", received=NOW)
    options = OutlookMailSource.Options(tenant="organizations", authority=graph.authority, graph_url=graph.url,
                                        ca_bundle=str(graph.ca_path))
    source = OutlookMailSource(options, context(home, home / "tokens"))
    assert [i.sender.email for b in source.sync(None) for i in b.items] == ["ada@example.org"]


def test_with_the_block_in_outlook_the_calendar_source_reads_with_the_read_write_grant(graph, cli, home):
    from connectors.outlook.calendar import OutlookCalendarSource
    from fakes.graph.wiring import NOW, context

    cloud = f'tenant = "organizations"\nauthority = "{graph.authority}"\ngraph_url = "{graph.url}"\nca_bundle = "{graph.ca_path}"\n'
    cli.write_config(f'[me]\nemails = ["me@example.com"]\n\n[block]\nwriter = "outlook"\n{cloud}\n'
                     f'[[sources]]\nname = "calendar"\ntype = "outlook-calendar"\n{cloud}')
    cli("auth", "outlook", "--client-id", CLIENT_ID)
    assert not any("Calendars.Read " in scope + " " for scope in graph.identity.scopes_seen)  # ReadWrite only
    graph.calendar.add_event("Coffee", NOW + timedelta(days=1))
    graph.identity.expire_access_tokens()  # the daemon's first token comes from a silent refresh
    options = OutlookCalendarSource.Options(tenant="organizations", authority=graph.authority, graph_url=graph.url,
                                            ca_bundle=str(graph.ca_path))
    source = OutlookCalendarSource(options, context(home, home / "tokens"))
    assert [item.title for batch in source.sync(None) for item in batch.items] == ["Coffee"]


def test_a_sign_in_recorded_before_its_scopes_were_finds_them_in_the_token_cache(graph, cli, home):
    from connectors.files import read_json, write_json
    from connectors.outlook.auth import APP_FILE, AccountOptions, resolve

    cloud = f'tenant = "organizations"\nauthority = "{graph.authority}"\ngraph_url = "{graph.url}"\nca_bundle = "{graph.ca_path}"\n'
    cli.write_config(f'[me]\nemails = ["me@example.com"]\n\n[block]\nwriter = "outlook"\n{cloud}\n'
                     f'[[sources]]\nname = "calendar"\ntype = "outlook-calendar"\n{cloud}')
    cli("auth", "outlook", "--client-id", CLIENT_ID)
    app_file = home / "tokens" / APP_FILE
    write_json(app_file, {key: value for key, value in read_json(app_file).items() if key != "scopes"})
    granted = resolve(AccountOptions(), home / "tokens").granted
    assert "Calendars.ReadWrite" in granted and "Calendars.Read" not in granted


def test_a_token_graph_refused_is_not_handed_out_again_after_the_refresh(graph, cli, home):
    from connectors.outlook.mail import OutlookMailSource
    from fakes.graph.wiring import NOW, context

    cloud = f'tenant = "organizations"\nauthority = "{graph.authority}"\ngraph_url = "{graph.url}"\nca_bundle = "{graph.ca_path}"\n'
    cli.write_config(f'[me]\nemails = ["me@example.com"]\n\n[block]\nwriter = "outlook"\n{cloud}\n'
                     f'[[sources]]\nname = "mail"\ntype = "outlook-mail"\npage_size = 2\n{cloud}')
    cli("auth", "outlook", "--client-id", CLIENT_ID)  # one token for mail and calendar scopes together
    for number in range(6):
        graph.mailbox.add("inbox", sender=f"person{number}@example.org", received=NOW - timedelta(hours=number))
    options = OutlookMailSource.Options(tenant="organizations", authority=graph.authority, graph_url=graph.url,
                                        ca_bundle=str(graph.ca_path), page_size=2)
    source = OutlookMailSource(options, context(home, home / "tokens"))
    graph.identity.expire_access_tokens()  # Graph forgets every token msal still holds as valid
    assert len([item for batch in source.sync(None) for item in batch.items]) == 6
    # One refresh: the refused sign-in token (of broader scopes) must not be picked again for each page.
    assert graph.identity.token_requests.count("refresh_token") == 1
