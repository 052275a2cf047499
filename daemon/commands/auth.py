"""``connect5 auth google|outlook``: the one place interactive sign-in happens."""

from __future__ import annotations

from daemon.cli import LazyGroup

import click

SUBCOMMANDS = {
    "google": ("daemon.commands.auth_google:google", "Sign in to Google (Gmail and Calendar) in a browser."),
    "outlook": ("daemon.commands.auth_outlook:outlook", "Sign in to Outlook / Microsoft 365 (device code)."),
}


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
def auth() -> None:
    """Sign in once; the daemon then refreshes tokens silently and never opens a browser."""
