"""``connect5 auth google``: sign in once in a browser; the token file then serves every Google source.

Scopes come from the config: gmail.metadata for a ``gmail`` source,
calendar.events.readonly for a ``google-calendar`` source, and calendar.events or
calendar.app.created for the block (``[block] writer = "google"``). See docs/google.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from daemon.cli import UserError, pass_app

DEFAULT_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"


@click.command()
@click.option("--client-secrets", "client_secrets", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your Desktop-app OAuth client JSON (needed the first time; see docs/google.md).")
@click.option("--no-browser", is_flag=True, help="Print the address to open instead of opening a browser.")
@click.option("--account", default="", help="Name of this Google account when you sign in to several.")
@pass_app
def google(app: Any, client_secrets: Path | None, no_browser: bool, account: str) -> None:
    """Sign in to Google (Gmail and Calendar) in a browser."""
    from connectors import google as google_connectors
    from connectors.google import auth, signin

    path = google_connectors.token_path(app.home.tokens_dir, account)
    client_config = _client_config(client_secrets, path)
    scopes = scopes_for(app.config, account)

    def show(url: str) -> None:
        click.echo(f"Sign in to Google here (waiting for your answer):\n\n  {url}\n", err=True)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    try:
        credentials = signin.sign_in(client_config, scopes, show)
    except signin.SignInError as error:
        raise UserError(str(error)) from None
    granted = set(credentials.granted_scopes or scopes)
    missing = [scope for scope in scopes if scope not in granted]
    if missing:
        names = ", ".join(scope.rsplit("/", 1)[-1] for scope in missing)
        raise UserError(f"Google did not grant {names}: run the command again and tick every box")
    installed = next(iter(client_config.values()))
    auth.save(path, credentials, {"scopes": sorted(granted), "auth_uri": installed.get("auth_uri", DEFAULT_AUTH_URI),
                                  "token_uri": installed.get("token_uri", google_connectors.TOKEN_URI)})
    click.echo(f"Signed in to Google ({', '.join(s.rsplit('/', 1)[-1] for s in sorted(granted))}); token saved to {path}")
    from daemon.commands.auth import resume_daemon

    resume_daemon(app)


def scopes_for(config: Any, account: str) -> list[str]:
    """The narrowest scopes the configured Google sources and writer need."""
    from connectors import base
    from connectors import google as google_connectors

    scopes: list[str] = []
    for source in config.sources:
        if source.type in ("gmail", "google-calendar") and source.options.account == account:
            scopes += base.source_class(source.type).scopes(source.options)
    if config.block.writer == "google":
        options = config.block.options or base.writer_class("google").Options()
        if options.account == account:
            scopes += base.writer_class("google").scopes(options)
    if not scopes:
        scopes = [google_connectors.GMAIL_METADATA, google_connectors.CALENDAR_EVENTS_READONLY]
    return google_connectors.narrowest(scopes)


def _client_config(client_secrets: Path | None, token_path: Path) -> dict[str, Any]:
    if client_secrets is not None:
        try:
            config = json.loads(client_secrets.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UserError(f"cannot read {client_secrets}: {error}") from None
        if "installed" not in config:
            raise UserError(f"{client_secrets} is not a Desktop app OAuth client (see docs/google.md)")
        return config
    if token_path.exists():
        saved = json.loads(token_path.read_text(encoding="utf-8"))
        from connectors import google as google_connectors

        return {"installed": {"client_id": saved.get("client_id"), "client_secret": saved.get("client_secret"),
                              "auth_uri": saved.get("auth_uri", DEFAULT_AUTH_URI),
                              "token_uri": saved.get("token_uri", google_connectors.TOKEN_URI)}}
    raise UserError("the first Google sign-in needs --client-secrets FILE (your Desktop app client; see docs/google.md)")
