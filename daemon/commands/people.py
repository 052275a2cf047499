"""``snooze``, ``exclude``, ``tag``, ``done``, ``skip``: telling connect5 about a person."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta

import click

from daemon.cli import UserError, echo_json, pass_app
from daemon.commands.common import find_contact, json_option, today_for


def parse_until(text: str, today: date) -> date:
    """``30d``, ``8w``, ``3m`` (30-day months) or a date, as the first day back."""
    match = re.fullmatch(r"(\d+)\s*([dwm])", text.strip().lower())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return today + timedelta(days=amount * {"d": 1, "w": 7, "m": 30}[unit])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: say 30d, 8w, 3m or YYYY-MM-DD") from None


@click.command()
@click.argument("name")
@click.argument("duration", default="30d")
@json_option
@pass_app
def snooze(app, name: str, duration: str, as_json: bool) -> None:
    """Leave NAME out of picks for DURATION (default 30d)."""
    store = app.store(create=False)
    row = find_contact(store, name)
    until = parse_until(duration, today_for(app))
    with store.atomic():
        store.set_contact(row["key"], snoozed_until=until.isoformat())
    _say(as_json, {"contact": row["name"], "snoozed_until": until.isoformat()}, f"{row['name']}: snoozed until {until}")


@click.command()
@click.argument("name")
@click.option("--undo", is_flag=True, help="Include them again.")
@json_option
@pass_app
def exclude(app, name: str, undo: bool, as_json: bool) -> None:
    """Never pick NAME (or, with --undo, include them again)."""
    store = app.store(create=False)
    row = find_contact(store, name)
    with store.atomic():
        store.set_contact(row["key"], excluded=0 if undo else 1)
    words = "included again" if undo else "excluded from picks"
    _say(as_json, {"contact": row["name"], "excluded": not undo}, f"{row['name']}: {words}")


@click.command()
@click.argument("name")
@click.argument("tags", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove the tags instead.")
@json_option
@pass_app
def tag(app, name: str, tags: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Add TAGS to NAME (tags may carry their own cadence in [picking] cadence)."""
    store = app.store(create=False)
    row = find_contact(store, name)
    current = json.loads(row["tags"])
    wanted = [t for t in current if t not in tags] if remove else sorted(set(current) | set(tags))
    with store.atomic():
        store.set_contact(row["key"], tags=json.dumps(wanted))
    _say(as_json, {"contact": row["name"], "tags": wanted}, f"{row['name']}: tags {', '.join(wanted) or '(none)'}")


@click.command()
@click.argument("name")
@click.option("--date", "given", metavar="YYYY-MM-DD", help="When (default: now).")
@json_option
@pass_app
def done(app, name: str, given: str | None, as_json: bool) -> None:
    """Record that you reached out to NAME (LinkedIn, phone, anything connect5 cannot see)."""
    from daemon import clock
    from daemon.outcomes import refresh_touched

    store = app.store(create=False)
    row = find_contact(store, name)
    moment = clock.now()
    if given:
        day = today_for(app, given)
        zone = clock.zone_name(app.config.me.timezone)
        from zoneinfo import ZoneInfo

        moment = datetime.combine(day, time(12, 0), tzinfo=ZoneInfo(zone))
    with store.atomic():
        store.add_interaction(
            source="manual", external_id=f"done:{row['key']}:{moment.date().isoformat()}", kind="done",
            direction="out", at=moment, contact_keys=[row["key"]],
        )
        refresh_touched(store, [row["key"]], clock.zone_name(app.config.me.timezone))
    _say(as_json, {"contact": row["name"], "done": moment.isoformat()}, f"{row['name']}: reached out, noted")


@click.command()
@click.argument("name")
@click.option("--date", "given", metavar="YYYY-MM-DD", help="The day of the pick (default: today).")
@json_option
@pass_app
def skip(app, name: str, given: str | None, as_json: bool) -> None:
    """Swap NAME, one of the day's five, for the next in line."""
    from daemon import morning

    store, config = app.store(create=False), app.config
    current = today_for(app)
    day = today_for(app, given)
    picks = morning.picks_of(store, day)
    if not picks:
        raise UserError(f"nobody is picked on {day} (run `connect5 today`)")
    from rules.names import NameIndex

    index = NameIndex([(row["contact_key"], row["name"]) for row in picks])
    keys = index.prefix_lookup(name)
    if len(keys) != 1:
        names = ", ".join(row["name"] for row in picks)
        raise UserError(f"{name!r} is not exactly one of {day}'s picks: {names}")
    replacement = morning.skip(store, config, day, keys[0])
    skipped_name = index.name_of(keys[0])
    if day >= current:
        morning.write_block(store, config, app.home, day, current)
    if replacement is None:
        _say(as_json, {"skipped": skipped_name, "replacement": None}, f"skipped {skipped_name}; nobody left to pick")
        return
    _say(as_json, {"skipped": skipped_name, "replacement": replacement["name"]},
         f"skipped {skipped_name}; in their place: {replacement['name']} ({replacement['reason']})")


def _say(as_json: bool, data: dict, line: str) -> None:
    if as_json:
        echo_json(data)
    else:
        click.echo(line)
