"""What ``connect5 today`` prints: the day's five, why each was picked, and the block written.

Three callers, one text: the click command (``daemon.commands.today``), the
running daemon answering a ``today`` it was asked (``answer``), and ``today``
answered by the ``connect5`` entry point itself when no daemon runs
(``answer_here``), which spares it importing click. Nothing here imports click.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from daemon.jsontext import to_json
from daemon.morning import PastDayError

Echo = Callable[..., None]  # click.echo's shape: echo(text, nl=True, err=False)


def answer_here(options: dict[str, str], fields: list[str]) -> tuple[int, str, str] | None:
    """``answer`` in this process, for ``daemon.control.read_command``'s ``options`` and ``fields``.

    None leaves the command to click, which reports what stopped this: a
    ``--date`` that is no day (seen before anything is opened or made), a missing
    or bad config file, a store that cannot be opened, or a bug (click runs it
    again and shows it as every command does; choosing and writing are safe to
    repeat). A store that stays busy, a full disk or a read-only folder found on
    the way is told here, in click's words, rather than waited for twice.
    """
    from daemon import config as config_module
    from daemon import logs, paths
    from daemon.store import open_store
    from daemon.store_problems import environment_problem

    if not _is_day(fields[0]):
        return None
    logs.configure(verbose=bool(options.get("verbose")))
    try:
        home = paths.resolve(options.get("home"), options.get("config"))
        if options.get("config") and not home.config_file.exists():
            return None
        config = config_module.load(home.config_file)
        store = open_store(home.db_path)
    except Exception:  # noqa: BLE001 - click's turn: it reports it (see above)
        return None
    try:
        return answer(config, store, home, fields)
    except Exception as error:  # noqa: BLE001
        problem = environment_problem(error, home.db_path)
        return (1, "", f"connect5: {problem}\n") if problem else None
    finally:
        store.close()


def answer(config, store, home, fields: list[str]) -> tuple[int, str, str] | None:
    """What ``today`` prints for the daemon's ``fields`` (``daemon.control.ASKABLE``), run in the daemon.

    None for a ``--date`` that is no day: the click command tells that mistake.
    """
    given, no_block, as_json = fields
    if not _is_day(given):
        return None
    out: list[str] = []
    errors: list[str] = []

    def echo(text: str = "", *, nl: bool = True, err: bool = False) -> None:
        (errors if err else out).append(text + ("\n" if nl else ""))

    try:
        report(config, store, home, given or None, no_block=bool(no_block), restart_block=False,
               as_json=bool(as_json), echo=echo)
    except PastDayError as error:  # what the click command shows as a user error
        return 1, "".join(out), "".join(errors) + f"connect5: {error}\n"
    return 0, "".join(out), "".join(errors)


def _is_day(given: str) -> bool:
    """``--date``'s value is empty (today) or a day written YYYY-MM-DD."""
    from daemon.clock import written_day

    try:
        return not given or bool(written_day(given))
    except ValueError:
        return False


def report(config, store, home, given: str | None, *, no_block: bool, restart_block: bool, as_json: bool,
           echo: Echo) -> None:
    """Choose the day's picks if not yet chosen, write its block, and ``echo`` what a person (or script) reads.

    Raises ``PastDayError`` for a day gone by that has no picks.
    """
    from connectors.base import ConnectorError
    from daemon import calendar_block, clock, morning

    morning.look_at_started(store, config)  # who replied or met since the last look, before showing them
    current = clock.local_day(clock.now(), clock.zone_name(config.me.timezone))
    day = date.fromisoformat(given) if given else current
    try:
        picks = morning.ensure_picks(store, config, day, current)
    except morning.NotABlockDay as error:
        if as_json:
            echo(to_json({"day": day.isoformat(), "block_day": False, "next_block_day": error.next_day.isoformat(),
                        "block": "", "picks": []}))
        else:
            echo(f"{error}: nobody to pick, no block")
        return
    block_note = ""
    previewed = bool(picks) and picks[0]["state"] == morning.PREVIEW
    if previewed:
        block_note = "block written on the day"
    elif not no_block and picks and day >= current:
        try:
            reference = calendar_block.write_block(store, config, home, day, current, restart=restart_block)
            block_note = "block written" if reference else "block already up to date"
            if reference is not None and reference.state == "series-deleted":
                block_note = "block not written: you deleted the series; `connect5 today --restart-block` starts a new one"
            elif reference is None and store.meta("block_stopped") == config.block.writer:
                block_note = "block writing is stopped (series deleted); `connect5 today --restart-block` starts a new one"
        except ConnectorError as error:
            block_note = f"block not written: {error}"
    where = calendar_block.ics_path(config, home) if config.block.writer == "ics" else config.block.writer
    short = morning.shortfall(store, config, day, picks) if picks else _nobody(store, day, day == current)
    if as_json:
        echo(to_json({"day": day.isoformat(), "block_day": True, "block": block_note, "calendar": str(where),
                    "picks": [_public(p) for p in picks], "short": short, "preview": previewed}))
        return
    if not picks:
        echo(f"{day}: {short}")
        return
    _print(echo, day, picks, block_note, where, short, config.picking.per_day, previewed)


def _nobody(store, day, is_today: bool) -> str:
    """Why ``day`` has no picks at all, in words."""
    from daemon import morning

    skipped = morning.skipped_on(store, day)
    if skipped:
        return (f"you skipped all {skipped} of the day's picks and nobody else is due"
                " (`connect5 contacts list` shows each one's state)")
    network = store.db.execute("SELECT count(*) FROM contacts WHERE missing_since IS NULL").fetchone()[0]
    if not network:
        return "nobody to pick (import your network: `connect5 import linkedin PATH`)"
    return (f"nobody can be picked {'today' if is_today else f'on {day}'}: all {network}"
            " contacts are in cooldown, snoozed, excluded or already picked this rotation"
            " (`connect5 contacts list` shows each one's state)")


def _public(row: dict) -> dict:
    keep = ("slot", "contact_key", "name", "company", "position", "profile_url", "reason", "state",
            "last_touch_at", "last_touch_kind", "rotation")
    return {key: row.get(key) for key in keep}


def _print(echo: Echo, day, picks, block_note, where, short: str, wanted: int, previewed: bool) -> None:
    # Picks are frozen: after per_day is lowered, the day still has the ones it was given.
    shown = len(picks) if not short else wanted
    count = f"{len(picks)} of your {wanted}" if short else f"your {'five' if shown == 5 else shown}"
    if previewed:
        echo(f"{day} · a preview of {count}: chosen on the day, so it may change")
    else:
        echo(f"{day} · {count}")
    for number, row in enumerate(picks, start=1):
        role = " at ".join(part for part in (row["position"], row["company"]) if part)
        echo(f"{number}. {row['name']}" + (f" — {role}" if role else ""))
        if row["profile_url"]:
            echo(f"   {row['profile_url']}")
        echo(f"   why: {row['reason']}")
        if row["state"] not in ("picked", "preview"):
            echo(f"   state: {row['state'].replace('_', ' ')}")
    if short:
        echo(f"only {len(picks)}: {short}")
    if block_note:
        echo(f"{block_note}: {where}")
