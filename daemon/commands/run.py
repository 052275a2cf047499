"""``connect5 run [--once]``: the daemon in the foreground (what the systemd unit starts)."""

from __future__ import annotations

import logging

import click

from daemon.cli import UserError, pass_app


@click.command()
@click.option("--once", is_flag=True, help="One cycle: sync every source, the morning job if due, then exit.")
@pass_app
def run(app, once: bool) -> None:
    """Run the daemon: watchers, polls and the morning job. SIGTERM or Ctrl-C stop it cleanly."""
    from daemon import logs
    from daemon.lock import AlreadyRunningError, DaemonLock
    from daemon.loop import Daemon, StoreReplaced

    logs.configure(verbose=app.verbose, service=True)
    from daemon.permissions import NotPrivateError, ensure_private

    try:
        ensure_private(app.home.data_dir, app.home.tokens_dir)
    except NotPrivateError as error:
        raise UserError(str(error)) from None
    config = app.config
    lock = DaemonLock(app.home.lock_path)
    try:
        lock.acquire()
    except AlreadyRunningError as error:
        raise UserError(str(error)) from None
    try:
        store = app.store()
        daemon = Daemon(home=app.home, config=config, store=store)
        daemon.install_signals()
        logging.getLogger("daemon").info("connect5 running on %s", app.home.data_dir)
        daemon.run(once=once)
    except StoreReplaced as error:  # exit 1: the service manager starts it again (Restart=on-failure)
        raise UserError(str(error)) from None
    finally:
        lock.release()
