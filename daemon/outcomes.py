"""Keeps each pick's funnel state in the store up to date (``rules.outcomes`` decides)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from daemon import clock
from daemon.store import Store, parse_moment
from rules.outcomes import Interaction, outcome


def refresh_touched(store: Store, keys: Iterable[str], zone: str | None = None, now: datetime | None = None) -> int:
    """After the interactions of ``keys`` changed (or began, at ``now``): their last touch, then their picks' funnel.

    Returns how many picks changed state. Call inside a transaction.
    """
    keys, now = set(keys), now or clock.now()
    store.refresh_last_touch(keys, now)
    return refresh_outcomes(store, keys, now, zone)


def refresh_outcomes(store: Store, keys: Iterable[str], now: datetime, zone: str | None = None) -> int:
    """Recompute the picks of ``keys``; returns how many changed state. Call inside a transaction."""
    zone = zone or clock.system_zone_name()
    changed = 0
    for key in set(keys):
        picks = store.query(
            "SELECT day, slot, state FROM picks WHERE contact_key = ? AND skipped = 0 ORDER BY day", [key]
        )
        if not picks:
            continue
        starts = [clock.at_local(_day(row["day"]), "00:00", zone) for row in picks]
        # Stored times are UTC text; the first pick began at local midnight, which east
        # of UTC is the day before in UTC, so compare with that moment, not the bare date.
        items = [
            Interaction(row["kind"], row["direction"], parse_moment(row["at"]), row["status"],
                        parse_moment(row["changed"]))
            for row in store.query(
                "SELECT i.kind, i.direction, i.at, i.status, max(coalesce(i.updated, ''), coalesce(i.created, ''),"
                " CASE WHEN i.created IS NULL AND i.updated IS NULL THEN i.recorded_at ELSE '' END) AS changed"
                " FROM interaction_contacts c JOIN interactions i ON i.id = c.interaction_id"
                " WHERE c.contact_key = ? AND i.at >= ?",
                [key, clock.iso(starts[0])],
            )
        ]
        for index, row in enumerate(picks):
            until = starts[index + 1] if index + 1 < len(picks) else None
            result = outcome(starts[index], until, items, now)
            if result.state != row["state"]:
                changed += 1
            store.execute(
                "UPDATE picks SET state = ?, reached_out_at = ?, replied_at = ?, booked_at = ?, met_at = ?"
                " WHERE day = ? AND slot = ?",
                [result.state, *(_text(m) for m in (result.reached_out_at, result.replied_at, result.booked_at,
                                                      result.met_at)), row["day"], row["slot"]],
            )
    return changed


def _day(text: str):
    from datetime import date

    return date.fromisoformat(text)


def _text(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
