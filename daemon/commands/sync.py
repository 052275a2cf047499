"""``connect5 sync [SOURCE]``: one sync of one or all sources, with progress on a backfill."""

from __future__ import annotations

import sys

import click

from daemon.cli import UserError, echo_json, json_option, pass_app


@click.command()
@click.argument("source", required=False)
@click.option("--again", is_flag=True,
              help="Read from the start, as on the first sync: finds people added since in mail read before.")
@json_option
@pass_app
def sync(app, source: str | None, again: bool, as_json: bool) -> None:
    """Sync SOURCE (a [[sources]] name or type), or every configured source."""
    from daemon import runner

    config = app.config
    chosen = runner.select_sources(config, source)
    if not chosen:
        known = ", ".join(s.name for s in config.sources) or "none configured"
        if source:
            raise UserError(f"no source named {source!r} (configured: {known})")
        if not config.path.exists():
            raise UserError(f"no config yet ({config.path}): `connect5 init` writes one, then add your sources")
        raise UserError(f"no sources configured in {config.path} (see config.example.toml)")
    from daemon.lock import AlreadyRunningError, DaemonLock, holder

    if again:  # the next sync, this one or the running daemon's, reads them from the start
        from daemon.sync import read_from_start

        read_from_start(app.store(), [item.name for item in chosen])
    lock = DaemonLock(app.home.lock_path, kind="sync")  # one process syncs a store at a time: the daemon, or this
    try:
        lock.acquire()
    except AlreadyRunningError as refused:
        if not refused.holder.is_daemon:
            raise UserError(f"{refused.holder.describe()} is syncing this store; try again when it is done") from None
        if again:
            click.echo(f"connect5 run (pid {holder(app.home.lock_path)}) reads {', '.join(i.name for i in chosen)}"
                       " from the start at its next sync (within 5 minutes)")
            return
        raise UserError(f"connect5 run (pid {holder(app.home.lock_path)}) is running on this store and syncs every"
                        " source by itself; `connect5 status` shows how each is doing") from None
    try:
        _sync(app, config, chosen, as_json)
    finally:
        lock.release()


def _sync(app, config, chosen, as_json: bool) -> None:
    from daemon import runner

    store = app.store()
    results, failed = [], 0
    for item in chosen:
        progress = _Progress(item.name) if not as_json and sys.stderr.isatty() else None
        outcome = runner.sync_one(store, config, app.home, item, progress=progress)
        if progress:
            progress.close()
        results.append(outcome)
        failed += bool(outcome["error"])
        if not as_json:
            click.echo(outcome["line"], err=bool(outcome["error"]))
    from daemon import morning

    morning.look_at_started(store, config)  # what began since the last look counts, as the daemon would
    if as_json:
        echo_json(results)
    if failed:
        sys.exit(1)


class _Progress:
    """A progress bar with ETA once a connector says how much there is; a counter before."""

    def __init__(self, name: str):
        self.name, self.bar, self.done = name, None, 0

    def __call__(self, report, batch) -> None:
        if batch.progress and batch.progress[1]:
            done, total = batch.progress
            if self.bar is None:
                self.bar = click.progressbar(length=total, label=f"{self.name}", show_eta=True, file=sys.stderr)
                self.bar.__enter__()
            self.bar.update(done - self.done)
            self.done = done
        else:
            click.echo(f"\r{self.name}: {report.items} items", nl=False, err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        else:
            click.echo("\r", nl=False, err=True)
