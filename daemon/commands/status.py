"""``connect5 status [--json]``: is the daemon running, how each source is doing, what happens next.

Read-only and quick while the daemon runs: the store is opened with a short busy
timeout (WAL lets readers in beside the daemon's writes), and nothing here
imports a connector but the .ics block writer, to see that its file still holds
the block.

The lock says what holds it: the daemon (``connect5 run``) or a one-shot
``connect5 sync``, which is not the daemon running.

Exit status, for scripts: 0 the daemon runs and nothing needs attention;
1 a user error (bad config, unusable store); 3 the daemon is not running;
4 something needs attention (a failing or stopped source, a deleted block
series, a block file gone or a block write failing), whether or not the daemon runs.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from daemon.cli import UserError, echo_json, json_option, pass_app

NOT_RUNNING = 3
NEEDS_ATTENTION = 4
STORE_TIMEOUT = 0.5  # seconds: a status must never hang on a busy store
SERIES_DELETED_HINT = (
    "you deleted the block series in your calendar, so connect5 stopped writing it;"
    " to start a new series, run `connect5 today --restart-block`"
)


@click.command()
@json_option
@pass_app
def status(app, as_json: bool) -> None:
    """Sources, cursors, last sync and error per source, the next morning job and today's five.

    \b
    Exit status: 0 the daemon runs and all is well; 1 a user error;
    3 the daemon is not running (a `connect5 sync` may be); 4 something needs
    attention (a failing or stopped source, a deleted block series, a block
    file gone or a block write failing), whether or not it runs.
    """
    report = collect(app)
    if as_json:
        echo_json(report)
    else:
        show(report)
    sys.exit(exit_code(report))


def exit_code(report: dict[str, Any]) -> int:
    if report["problems"]:
        return NEEDS_ATTENTION
    return 0 if report["daemon"]["running"] else NOT_RUNNING


def collect(app) -> dict[str, Any]:
    """Everything ``status`` shows, as plain data (the JSON output)."""
    from daemon import clock, lock

    config, home = app.config, app.home
    zone = clock.zone_name(config.me.timezone)
    now = clock.now()
    held = lock.held_by(home.lock_path)
    running = held is not None and held.is_daemon
    report: dict[str, Any] = {
        "daemon": {"running": running, "pid": held.pid if running else None,
                   "lock": {"kind": held.kind, "pid": held.pid} if held else None},
        "home": str(home.data_dir), "config": str(config.path), "timezone": zone,
        "now": now.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds"),
        "store": {"path": str(home.db_path), "exists": home.db_path.exists()},
        "sources": [], "today": None, "next_morning_job": None, "block_error": None, "problems": [],
    }
    store = _open_store(home.db_path)
    try:
        report["sources"] = _sources(config, store)
        report["today"], ran_today = _today(config, home, store, clock.local_day(now, zone))
        if store is not None:
            from daemon import calendar_block

            report["block_error"] = calendar_block.block_error(store)
        report["next_morning_job"] = _next_morning(config, now, zone, ran_today)
    finally:
        if store is not None:
            store.close()
    report["problems"] = _problems(report)
    return report


def _open_store(path):
    from daemon import store

    if not path.exists():
        return None
    try:
        return store.open_store(path, create=False, timeout=STORE_TIMEOUT)
    except store.StoreError as error:
        raise UserError(str(error)) from None


def _sources(config, store) -> list[dict[str, Any]]:
    from daemon.runner import AUTH_COMMANDS

    rows = {}
    if store is not None:
        rows = {row["source"]: row for row in store.query(
            "SELECT source, cursor IS NOT NULL AS has_cursor, updated_at, last_sync_at, last_error, last_error_at,"
            " stopped, items FROM cursors"
        )}
    result = []
    for source in config.sources:
        row = rows.get(source.name, {})
        stopped = row.get("stopped") or ""
        skipped, latest = store.skipped_inputs(source.name) if store is not None else (0, [])
        result.append({
            "name": source.name, "type": source.type,
            "last_sync_at": row.get("last_sync_at"), "cursor": bool(row.get("has_cursor")),
            "cursor_updated_at": row.get("updated_at"), "items": row.get("items") or 0,
            "last_error": row.get("last_error") or "", "last_error_at": row.get("last_error_at"),
            "stopped": stopped, "fix": AUTH_COMMANDS.get(source.type, "") if stopped else "",
            "skipped": {"count": skipped, "latest": latest},
        })
    return result


def _today(config, home, store, day) -> tuple[dict[str, Any], bool]:
    from daemon import clock

    today: dict[str, Any] = {"day": day.isoformat(), "picks": [], "block": None,
                             "block_day": clock.is_block_day(day, config.picking.days)}
    if store is None:
        return today, False
    from daemon import morning

    today["skipped"] = morning.skipped_on(store, day)
    for row in morning.picks_of(store, day):
        today["picks"].append({
            "slot": row["slot"], "name": row["name"], "company": row["company"], "state": row["state"],
            "reason": row["reason"],
        })
    blocks = store.query(
        "SELECT day, writer, state, written_at, etag FROM blocks WHERE writer = ? AND day <= ?"
        " ORDER BY day DESC LIMIT 1",
        [config.block.writer, day.isoformat()],
    )
    if blocks:
        block = dict(blocks[0])
        etag = block.pop("etag") or ""
        block["today"] = block["day"] == day.isoformat()
        if block["state"] == "series-deleted":
            block["hint"] = SERIES_DELETED_HINT
        # What was written may be gone since: the .ics file deleted, or [block] path changed.
        from daemon import calendar_block

        written = block["state"] not in ("series-deleted", "user-deleted")
        problem = calendar_block.block_file_problem(config, home, date.fromisoformat(block["day"]), etag) if written else ""
        block["file_problem"] = problem
        today["block"] = block
    # The morning job has run today when it chose picks or wrote a block (an empty network picks nobody).
    ran = store.query(
        "SELECT 1 FROM picks WHERE day = ? UNION ALL SELECT 1 FROM blocks WHERE day = ? LIMIT 1",
        [day.isoformat(), day.isoformat()],
    )
    return today, bool(ran)


def _next_morning(config, now: datetime, zone: str, ran_today: bool) -> dict[str, Any]:
    """When the daemon next chooses five and writes a block (the same rule as ``Daemon.morning_due``)."""
    from daemon import clock

    days = config.picking.days
    earliest = min(config.picking.at, config.block.time)
    today = clock.local_day(now, zone)
    day = today if clock.is_block_day(today, days) and not ran_today else clock.next_block_day(today, days)
    at = clock.at_local(day, earliest, zone)
    return {"at": at.isoformat(timespec="minutes"), "due": at <= now,
            "block_at": clock.at_local(day, config.block.time, zone).isoformat(timespec="minutes")}


def _problems(report: dict[str, Any]) -> list[str]:
    problems = []
    for source in report["sources"]:
        if source["stopped"]:
            fix = f" (run `{source['fix']}`)" if source["fix"] and source["fix"] not in source["stopped"] else ""
            problems.append(f"{source['name']} stopped: {source['stopped']}{fix}")
        elif source["last_error"]:
            problems.append(f"{source['name']} failing since {source['last_error_at']}: {source['last_error']}")
    block = (report["today"] or {}).get("block")
    if block and block["state"] == "series-deleted":
        problems.append(f"block: {block['hint']}")
    failure = report["block_error"]
    if block and block.get("file_problem") and not (failure and block["file_problem"] in failure["error"]):
        problems.append(f"block: {block['file_problem']}; `connect5 today` writes it again")
    if failure:
        problems.append(f"block not written since {failure['since']} ({failure['writer']}): {failure['error']}")
    if report["daemon"]["running"] and not Path(report["config"]).exists():
        problems.append(f"the config file {report['config']} is gone: the running daemon goes on with the one it"
                        " read until it stops; `connect5 init` writes a new one")
    return problems


# -- the human view -------------------------------------------------------------


def show(report: dict[str, Any]) -> None:
    zone = ZoneInfo(report["timezone"])
    daemon, held = report["daemon"], report["daemon"]["lock"]
    if daemon["running"]:
        click.echo(f"connect5 running (pid {daemon['pid']}) · {report['home']}")
    elif held:
        click.echo(f"a `connect5 {held['kind']}` (pid {held['pid']}) is running; the daemon is not · {report['home']}")
    else:
        click.echo(f"connect5 not running · {report['home']}")
    if report["sources"]:
        click.echo("sources")
    elif not Path(report["config"]).exists() and daemon["running"]:
        click.echo(f"sources: the config file {report['config']} is gone (see below)")
    elif not Path(report["config"]).exists():
        click.echo(f"sources: none, there is no config yet ({report['config']}): `connect5 init` writes one")
    else:
        click.echo(f"sources: none configured in {report['config']}")
    width = max((len(source["name"]) for source in report["sources"]), default=0)
    for source in report["sources"]:
        click.echo(f"  {source['name']:<{width}}  {_source_line(source, zone)}")
        skipped = source["skipped"]
        if skipped["count"]:
            newest = skipped["latest"]
            more = f", the newest {len(newest)} of {skipped['count']}" if skipped["count"] > len(newest) else ""
            click.echo(f"  {'':<{width}}  skipped as unreadable{more}:")
            for row in newest:
                click.echo(f"  {'':<{width}}    {_when(row['at'], zone)}  {row['message']}")
    job = report["next_morning_job"]
    if job:
        when = "due now" if job["due"] else _when(job["at"], zone)
        click.echo(f"next morning job  {when} (block at {_when(job['block_at'], zone)}, {report['timezone']})")
    _show_today(report["today"], zone)
    for problem in report["problems"]:
        click.echo(f"! {problem}")


def _source_line(source: dict[str, Any], zone: ZoneInfo) -> str:
    if source["stopped"]:
        fix = f" → run `{source['fix']}`" if source["fix"] and source["fix"] not in source["stopped"] else ""
        return f"{source['type']}: stopped: {source['stopped']}{fix}"
    if source["last_error"]:
        return f"{source['type']}: error since {_when(source['last_error_at'], zone)}: {source['last_error']}"
    if source["last_sync_at"]:
        return f"{source['type']}: synced {_when(source['last_sync_at'], zone)} · {source['items']} items"
    return f"{source['type']}: not synced yet"


def _show_today(today: dict[str, Any] | None, zone: ZoneInfo) -> None:
    if today is None:
        return
    if not today["picks"] and not today.get("block_day", True):
        click.echo(f"today ({today['day']}): not one of your block days")
    elif not today["picks"] and today.get("skipped"):
        click.echo(f"today ({today['day']}): all {today['skipped']} picks skipped")
    elif not today["picks"]:
        click.echo(f"today ({today['day']}): no picks yet")
    else:
        click.echo(f"today ({today['day']})")
    for number, pick in enumerate(today["picks"], start=1):
        company = f" ({pick['company']})" if pick["company"] else ""
        click.echo(f"  {number}. {pick['name']}{company} — {pick['state'].replace('_', ' ')}")
    block = today["block"]
    if block:
        when = "today" if block["today"] else f"last on {block['day']}"
        gone = f", but {block['file_problem']}" if block.get("file_problem") else ""
        click.echo(f"  block ({block['writer']}): {block['state']} {when}, {_when(block['written_at'], zone)}{gone}")


def _when(text: str | None, zone: ZoneInfo) -> str:
    if not text:
        return "never"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return text
    return f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M}"
