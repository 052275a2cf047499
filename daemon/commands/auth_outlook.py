"""``connect5 auth outlook``: sign in to Outlook / Microsoft 365 once, by device code or browser.

The cloud (sign-in authority, Graph URL) and the app come from the config's
Outlook tables when there are any, so national clouds need no flags; what was
used is recorded next to the token cache, so the sources need no ``client_id``.
The scopes asked for follow the config: ``Mail.ReadBasic`` for an outlook-mail
source, ``Calendars.ReadWrite`` when the block is written to Outlook (else
``Calendars.Read`` for an outlook-calendar source); msal adds ``offline_access``.
They are recorded with the app, so the calendar source asks for ``Calendars.ReadWrite``
when that is what was granted (Entra refuses a silent request for an unconsented scope).
"""

from __future__ import annotations

import dataclasses

import click

from daemon.cli import UserError, pass_app


def _settings(config):
    """The first Outlook table's account options (a source, else the writer), or the defaults."""
    from connectors.outlook import AccountOptions

    tables = [s.options for s in config.sources if s.type in ("outlook-mail", "outlook-calendar")]
    if config.block.writer == "outlook" and config.block.options:
        tables.append(config.block.options)
    names = {f.name for f in dataclasses.fields(AccountOptions)}
    if not tables:
        return AccountOptions()
    return AccountOptions(**{name: getattr(tables[0], name) for name in names})


def _scopes(config) -> tuple[str, ...]:
    types = {s.type for s in config.sources}
    scopes = []
    if "outlook-mail" in types:
        scopes.append("Mail.ReadBasic")
    if config.block.writer == "outlook":
        scopes.append("Calendars.ReadWrite")
    elif "outlook-calendar" in types:
        scopes.append("Calendars.Read")
    return tuple(scopes) or ("Mail.ReadBasic", "Calendars.ReadWrite")


@click.command("outlook")
@click.option("--client-id", help="Application (client) id of your app registration (see docs/outlook.md).")
@click.option("--tenant", help="common | organizations | consumers | your tenant id or domain (default: common).")
@click.option("--browser", is_flag=True, help="Sign in in a browser on this machine instead of with a device code.")
@pass_app
def outlook(app, client_id: str | None, tenant: str | None, browser: bool) -> None:
    """Sign in to Outlook / Microsoft 365; the daemon then gets tokens silently."""
    from connectors.base import AuthError, SourceUnavailable
    from connectors.outlook import auth

    config = app.config
    settings = _settings(config)
    settings = dataclasses.replace(
        settings, client_id=client_id or settings.client_id, tenant=tenant or settings.tenant, account=""
    )
    tokens_dir = app.home.tokens_dir
    try:
        account = auth.resolve(settings, tokens_dir)
        wanted = _scopes(config)
        scopes = auth.qualified(account.graph_url, wanted)
        sign_in = auth.SignIn(account)
        if browser:
            username = sign_in.browser_flow(scopes)
        else:
            username = sign_in.device_flow(scopes, show=lambda message: click.echo(message, err=True))
    except (AuthError, SourceUnavailable) as error:  # not signed in; no network (already one line)
        raise UserError(str(error)) from None
    except ValueError as error:  # msal: the authority could not be discovered
        raise UserError(f"cannot reach the sign-in service: {error}") from None
    auth.record_sign_in(tokens_dir, account.client_id, account.authority_url.rsplit("/", 1)[-1], username, wanted)
    click.echo(f"Signed in to Outlook as {username or 'your account'}; tokens kept in {account.cache_path}.")
    from daemon.commands.auth import resume_daemon

    resume_daemon(app)
