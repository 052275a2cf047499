"""``connect5 contacts list|show``: the network with last-in-touch, state and tags."""

from __future__ import annotations

import json

import click

from daemon.cli import echo_json, json_option, pass_app
from daemon.commands.common import display_width, find_contact, fit, output_width, pad, today_for

# Widest name and company columns on a terminal; on a narrow one the company gives way
# first, then the name, down to NARROWEST each.
NAME_COLUMNS, COMPANY_COLUMNS, NARROWEST = 32, 28, 8
LAST_COLUMNS = len("last: 2026-11-27")


@click.group()
def contacts() -> None:
    """List contacts or show one."""


@contacts.command("list")
@click.option("--tag", help="Only contacts with this tag.")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="At most this many (0 = all).")
@json_option
@pass_app
def list_contacts(app, tag: str | None, limit: int, as_json: bool) -> None:
    """Every contact, longest out of touch first."""
    store = app.store(create=False)
    rows = store.query(
        "SELECT key, name, company, position, profile_url, connected_on, last_touch_at, last_touch_kind,"
        " tags, excluded, snoozed_until, missing_since, last_picked_on FROM contacts"
        " ORDER BY coalesce(last_touch_at, connected_on, '') , name"
    )
    today = today_for(app).isoformat()
    for row in rows:
        row["tags"] = json.loads(row["tags"])
        row["excluded"] = bool(row["excluded"])  # SQLite's 0/1: a JSON boolean, as `exclude --json` says it
        row["state"] = state_of(row, today)
    if tag:
        rows = [row for row in rows if tag.strip().lower() in row["tags"]]
    if limit:
        rows = rows[:limit]
    if as_json:
        echo_json(rows)
        return
    width = output_width()
    name_columns, company_columns = _column_widths(rows, width)
    zone = _zone(app)
    for row in rows:
        last = f"{_local(row['last_touch_at'], zone):%Y-%m-%d}" if row["last_touch_at"] else "never"
        extra = f" [{', '.join(row['tags'])}]" if row["tags"] else ""
        state = f" ({row['state']})" if row["state"] != "active" else ""
        line = (f"{pad(fit(row['name'], name_columns), name_columns)} "
                f"{pad(fit(row['company'], company_columns), company_columns)} last: {last:<10}{state}{extra}")
        click.echo(line.rstrip() if width is None else fit(line.rstrip(), width))
    click.echo(f"{len(rows)} contacts")


def _column_widths(rows: list[dict], width: int | None) -> tuple[int, int]:
    """Name and company columns: as wide as the widest cell, and within ``width`` on a terminal."""
    name_columns = max((display_width(row["name"]) for row in rows), default=0)
    company_columns = max((display_width(row["company"]) for row in rows), default=0)
    if width is None:  # a script reads it: cut nothing
        return name_columns, company_columns
    name_columns, company_columns = min(name_columns, NAME_COLUMNS), min(company_columns, COMPANY_COLUMNS)
    room = width - LAST_COLUMNS - 2  # two spaces between the three columns
    company_columns = min(company_columns, max(NARROWEST, room - name_columns))
    name_columns = min(name_columns, max(NARROWEST, room - company_columns))
    return name_columns, company_columns


def state_of(row: dict, today: str) -> str:
    """``today`` (ISO): a snooze that has ended says nothing any more."""
    if row.get("missing_since"):
        return "gone from export"
    if row.get("excluded"):
        return "excluded"
    if row.get("snoozed_until") and row["snoozed_until"] > today:
        return f"snoozed until {row['snoozed_until']}"
    return "active"


@contacts.command("show")
@click.argument("name", nargs=-1, required=True)
@json_option
@pass_app
def show(app, name: tuple[str, ...], as_json: bool) -> None:
    """One contact: details, addresses, picks and recent interactions."""
    store = app.store(create=False)
    row = find_contact(store, " ".join(name))
    row["tags"] = json.loads(row["tags"])
    row["excluded"] = bool(row["excluded"])
    row["state"] = state_of(row, today_for(app).isoformat())
    row["emails"] = store.emails_of(row["key"])
    row["interactions"] = store.interactions_of(row["key"])
    row["picks"] = store.query(
        "SELECT day, state, reason, skipped FROM picks WHERE contact_key = ? ORDER BY day DESC", [row["key"]]
    )
    for pick in row["picks"]:
        pick["skipped"] = bool(pick["skipped"])
    if as_json:
        echo_json(row)
        return
    click.echo(row["name"])
    role = " at ".join(part for part in (row["position"], row["company"]) if part)
    for label, value in (
        ("role", role), ("profile", row["profile_url"]), ("connected", row["connected_on"]),
        ("last in touch", _last_touch(app, row)),
        ("state", row["state"]), ("tags", ", ".join(row["tags"])),
    ):
        if value:
            click.echo(f"  {label + ':':<15}{value}")
    for email in row["emails"]:
        learned = f" (learned: {email['learned_from']})" if email["learned_from"] else ""
        click.echo(f"  {'e-mail:':<15}{email['email']} from {email['source']}{learned}")
    for pick in row["picks"][:5]:
        click.echo(f"  {'picked:':<15}{pick['day']} → {pick['state'].replace('_', ' ')}")
    zone = _zone(app)
    for item in row["interactions"][:10]:
        status = f", {item['status']}" if item["status"] not in ("confirmed", "", None) else ""
        when = f"{_local(item['at'], zone):%Y-%m-%d %H:%M}"
        click.echo(f"  {'interaction:':<15}{when} {item['kind']} {item['direction']} ({item['source']}{status})")


def _zone(app):
    """The user's zone: text shows local days and times (JSON keeps the stored UTC ones)."""
    from zoneinfo import ZoneInfo

    from daemon import clock

    return ZoneInfo(clock.zone_name(app.config.me.timezone))


def _local(text: str, zone):
    from datetime import datetime

    return datetime.fromisoformat(text).astimezone(zone)


def _last_touch(app, row: dict) -> str:
    """As the block says it: "3 months ago (2026-08-14, e-mail)", in the user's zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from daemon import clock
    from daemon.store import parse_day
    from rules.block import describe_last_touch

    zone = clock.zone_name(app.config.me.timezone)
    last = datetime.fromisoformat(row["last_touch_at"]).astimezone(ZoneInfo(zone)) if row["last_touch_at"] else None
    today = clock.local_day(clock.now(), zone)
    return describe_last_touch(last, row["last_touch_kind"] or "", parse_day(row["connected_on"]), today)
