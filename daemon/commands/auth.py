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


def resume_daemon(app) -> None:
    """Tell a running ``connect5 run`` on this home to reload, so sources stopped for sign-in resume now.

    The daemon stops a source whose grant was refused and leaves it until it is
    restarted or reloaded (SIGHUP); without this nudge a fresh sign-in would
    wait for the next reboot.
    """
    import os
    import signal

    from daemon import lock

    pid = lock.holder(app.home.lock_path)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as error:
        click.echo(f"connect5 run (pid {pid}) could not be told ({error.strerror}): "
                   "run `systemctl --user reload connect5` to resume its sources", err=True)
        return
    click.echo(f"connect5 run (pid {pid}) reloads and resumes its sources.")
