"""``snooze``, ``exclude``, ``tag``, ``done``, ``skip``: telling connect5 about a person."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta

import click

from daemon.cli import UserError, echo_json, json_option, pass_app
from daemon.commands.common import (as_typed, contact_by_key, find_contact, find_contact_in, lookup_name,
                                    tell_apart, today_for)

# Far enough for "never" in practice, near enough for date arithmetic.
LONGEST_SNOOZE_DAYS = 100 * 365


def parse_until(text: str, today: date) -> date:
    """``30d``, ``8w``, ``3m`` (30-day months) or a date, as the first day back (after ``today``)."""
    match = re.fullmatch(r"(\d+)\s*([dwm])", text.strip().lower())
    if match:
        days = int(match.group(1)) * {"d": 1, "w": 7, "m": 30}[match.group(2)]
        if days > LONGEST_SNOOZE_DAYS:
            raise click.BadParameter(f"{text!r} is more than 100 years; `connect5 exclude NAME` leaves someone out for good")
        if days == 0:
            raise click.BadParameter(f"{text!r} is no time at all; say 30d, 8w or 3m")
        return today + timedelta(days=days)
    from daemon.clock import written_day

    try:
        until = written_day(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}: say 30d, 8w, 3m or YYYY-MM-DD") from None
    if until <= today:
        raise click.BadParameter(f"{until} is not after today ({today}); a snooze ends on a day still to come")
    if (until - today).days > LONGEST_SNOOZE_DAYS:
        raise click.BadParameter(f"{until} is more than 100 years away; `connect5 exclude NAME` leaves someone out for good")
    return until


def _split_duration(words: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The name's words and the duration after them (default 30d).

    A last word that starts with a digit is the duration, valid or not (so `30`
    or `1y` is called a bad duration, not an unknown name); so is `30 d`.
    """
    units = {"d": "d", "day": "d", "days": "d", "w": "w", "week": "w", "weeks": "w",
             "m": "m", "month": "m", "months": "m"}
    if len(words) > 2 and words[-2].isdigit() and words[-1].lower() in units:
        return words[:-2], words[-2] + units[words[-1].lower()]
    if len(words) > 1 and words[-1][:1].isdigit():
        return words[:-1], words[-1]
    return words, "30d"


@click.command()
@click.argument("words", nargs=-1, required=True, metavar="NAME... [DURATION]")
@click.option("--undo", is_flag=True, help="End the snooze: they can be picked again.")
@json_option
@pass_app
def snooze(app, words: tuple[str, ...], undo: bool, as_json: bool) -> None:
    """Leave NAME out of picks for DURATION: 30d, 8w, 3m or YYYY-MM-DD (default 30d).

    `connect5 snooze NAME --undo` ends a snooze before its day.
    """
    if undo:
        _unsnooze(app, words, as_json)
        return
    words, duration = _split_duration(words)
    until = parse_until(duration, today_for(app))
    store = app.store(create=False)
    from daemon.morning import picks_of

    row = find_contact(store, " ".join(words), picked=[pick["contact_key"] for pick in picks_of(store, today_for(app))])
    with store.atomic():
        store.set_contact(row["key"], snoozed_until=until.isoformat())
    _say(as_json, {"contact": row["name"], "snoozed_until": until.isoformat()},
         f"{row['name']}: snoozed until {until}" + _still_picked(app, store, row))


def _unsnooze(app, words: tuple[str, ...], as_json: bool) -> None:
    """``snooze --undo``: JSON as ``exclude --undo`` has it, the setting as it now is (no snooze: null)."""
    if _split_duration(words)[0] != words:
        raise click.UsageError("--undo ends a snooze: say the name without a duration")
    store = app.store(create=False)
    row = find_contact(store, " ".join(words))
    was = row["snoozed_until"] if row["snoozed_until"] and row["snoozed_until"] > today_for(app).isoformat() else None
    with store.atomic():
        store.set_contact(row["key"], snoozed_until=None)
    said = f"snooze until {was} ended; they can be picked again" if was else "not snoozed; nothing to undo"
    _say(as_json, {"contact": row["name"], "snoozed_until": None}, f"{row['name']}: {said}")


@click.command()
@click.argument("name", nargs=-1, required=True)
@click.option("--undo", is_flag=True, help="Include them again.")
@json_option
@pass_app
def exclude(app, name: tuple[str, ...], undo: bool, as_json: bool) -> None:
    """Never pick NAME (or, with --undo, include them again)."""
    store = app.store(create=False)
    row = find_contact(store, " ".join(name))
    with store.atomic():
        store.set_contact(row["key"], excluded=0 if undo else 1)
    if undo:
        words = "included again" if row["excluded"] else "not excluded; nothing to undo"
    else:
        words = "excluded from picks" + _still_picked(app, store, row)
    _say(as_json, {"contact": row["name"], "excluded": not undo}, f"{row['name']}: {words}")


def _still_picked(app, store, row: dict) -> str:
    """A hint when ``row`` is one of today's five, which stay as they were chosen."""
    day = today_for(app)
    picked = store.db.execute("SELECT state FROM picks WHERE day = ? AND contact_key = ? AND skipped = 0",
                              [day.isoformat(), row["key"]]).fetchone()
    if picked is None or picked[0] != "picked":
        return ""  # not today's, or already reached out to: `skip` would refuse
    return f" (still one of today's five: `connect5 skip {row['name']}` swaps them for the next in line)"


def clean_tags(tags) -> list[str]:
    """Tags as stored and matched against ``[picking] cadence``: trimmed, lower-case, never empty."""
    cleaned = [text.strip().lower() for text in tags]
    if not all(cleaned):
        raise click.BadParameter("a tag cannot be empty", param_hint="TAG")
    return cleaned


@click.command()
@click.argument("words", nargs=-1, required=True, metavar="NAME... TAG...")
@click.option("--remove", is_flag=True, help="Remove the tags instead.")
@json_option
@pass_app
def tag(app, words: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Add TAGs to NAME (tags may carry their own cadence in [picking] cadence).

    A quoted name is all of the name and every word after it a tag: `tag "Ann
    Lee" phd`. Unquoted, the name is the longest run of leading words that names
    one contact and ends in a word their name is written with: `tag Zoë Øster
    mentor` tags Zoë Øster; `tag Ann Lee phd` (or jr, she/her, an emoji) tags Ann
    Lee, whose name is found without them but does not contain them.
    """
    if len(words) < 2:
        raise click.UsageError("say a name and at least one tag: connect5 tag NAME TAG")
    store = app.store(create=False)
    row, rest = find_contact_in(store, words, "a tag")
    tags = clean_tags(rest)
    with store.atomic():  # read under the write lock: two `tag` commands at once both count
        current = json.loads(store.contact(row["key"])["tags"])
        wanted = [t for t in current if t not in tags] if remove else sorted(set(current) | set(tags))
        store.set_contact(row["key"], tags=json.dumps(wanted))
    _say(as_json, {"contact": row["name"], "tags": wanted}, f"{row['name']}: tags {', '.join(wanted) or '(none)'}")


@click.command()
@click.argument("name", nargs=-1, required=True)
@click.option("--date", "given", metavar="YYYY-MM-DD", help="When (default: now; never a day to come).")
@json_option
@pass_app
def done(app, name: tuple[str, ...], given: str | None, as_json: bool) -> None:
    """Record that you reached out to NAME (LinkedIn, phone, anything connect5 cannot see)."""
    from daemon import clock
    from daemon.outcomes import refresh_touched

    today, zone = today_for(app), clock.zone_name(app.config.me.timezone)
    day = today_for(app, given)
    if day > today:
        raise BadDateError(f"{day} is still to come; `done` records what already happened")
    store = app.store(create=False)
    from daemon.morning import picks_of

    row = find_contact(store, " ".join(name), picked=[pick["contact_key"] for pick in picks_of(store, day)])
    moment = clock.now()  # today's is now, never later: a touch still to come counts only once it comes
    if day < today:
        # The hour of a day gone by is unknown: midday keeps it that day in any zone near the user's.
        from zoneinfo import ZoneInfo

        moment = datetime.combine(day, time(12, 0), tzinfo=ZoneInfo(zone))
    with store.atomic():
        store.add_interaction(
            source="manual", external_id=f"done:{row['key']}:{day.isoformat()}", kind="done",
            direction="out", at=moment, contact_keys=[row["key"]],
        )
        refresh_touched(store, [row["key"]], zone)
    _say(as_json, {"contact": row["name"], "done": moment.isoformat()}, f"{row['name']}: reached out, noted")


@click.command()
@click.argument("name", nargs=-1, required=True)
@click.option("--date", "given", metavar="YYYY-MM-DD", help="The day of the pick (default: today).")
@json_option
@pass_app
def skip(app, name: tuple[str, ...], given: str | None, as_json: bool) -> None:
    """Swap NAME, one of the day's five, for the next in line."""
    from daemon import morning

    store, config = app.store(create=False), app.config
    current = today_for(app)
    day = today_for(app, given)
    if day < current:
        raise UserError(f"{day} has gone by; only today's picks and later ones can be skipped")
    picks = morning.picks_of(store, day)
    if not picks:
        from daemon import clock

        if not clock.is_block_day(day, config.picking.days):
            raise UserError(f"nobody is picked on {day:%a %Y-%m-%d}: it is not one of your block days")
        if day > current:
            raise UserError(f"{day} is still to come: its five are chosen on the day")
        raise UserError(f"nobody is picked on {day} (run `connect5 today`)")
    from rules.names import NameIndex

    name = as_typed(" ".join(name))
    index = NameIndex([(row["contact_key"], row["name"]) for row in picks])
    by_key = contact_by_key(store, name.strip())
    keys = [by_key["key"]] if by_key and by_key["key"] in {row["contact_key"] for row in picks} else []
    keys = keys or lookup_name(index, name)
    if len(keys) > 1:
        raise UserError(f"{name!r} is not exactly one of {day}'s picks: it could be {tell_apart(store, index, keys)}")
    if not keys:
        names = ", ".join(row["name"] for row in picks)
        raise UserError(f"{name!r} is not exactly one of {day}'s picks: {names}")
    state = next(row["state"] for row in picks if row["contact_key"] == keys[0])
    if state != "picked":
        raise UserError(f"{index.name_of(keys[0])} is already at \"{state.replace('_', ' ')}\" on {day}; "
                        "skipping would drop that from the funnel")
    try:
        replacement = morning.skip(store, config, day, keys[0])
    except morning.NotPicked:
        raise UserError(f"{index.name_of(keys[0])} is no longer one of {day}'s picks (skipped just now?)") from None
    skipped_name = index.name_of(keys[0])
    if day >= current:
        from daemon import calendar_block

        calendar_block.write_block(store, config, app.home, day, current)
    if replacement is None:
        _say(as_json, {"skipped": skipped_name, "replacement": None}, f"skipped {skipped_name}; nobody left to pick")
        return
    _say(as_json, {"skipped": skipped_name, "replacement": replacement["name"]},
         f"skipped {skipped_name}; in their place: {replacement['name']} ({replacement['reason']})")


class BadDateError(UserError):
    """A day the command cannot take: one line like any user error, but bad usage (exit status 2)."""

    exit_code = 2


def _say(as_json: bool, data: dict, line: str) -> None:
    if as_json:
        echo_json(data)
    else:
        click.echo(line)
