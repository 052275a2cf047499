"""What several commands share: finding a contact by name, the day, JSON output."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from daemon import clock
from daemon.cli import App, UserError


def today_for(app: App, given: str | None = None) -> date:
    if given:
        try:
            return date.fromisoformat(given)
        except ValueError:
            raise click.BadParameter(f"{given!r} is not YYYY-MM-DD", param_hint="--date") from None
    return clock.local_day(clock.now(), clock.zone_name(app.config.me.timezone))


def find_contact(store, query: str) -> dict[str, Any]:
    """The one contact ``query`` names: exact key or URL, else a unique name or prefix."""
    from rules.names import NameIndex

    row = store.contact(query.strip())
    if row is not None:
        return row
    index = NameIndex(store.db.execute("SELECT key, name FROM contacts").fetchall())
    keys = index.prefix_lookup(query)
    if not keys:
        raise UserError(f"no contact matches {query!r} (try `connect5 contacts list`)")
    if len(keys) > 1:
        names = sorted(index.name_of(key) for key in keys)
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        raise UserError(f"{query!r} matches {len(keys)} contacts: {shown}; say more of the name")
    return store.contact(keys[0])


def json_option(function):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(function)
