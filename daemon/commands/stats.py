"""``connect5 stats``: the funnel, how much of the network was touched, and a year of activity.

The store is read here; ``rules.stats`` decides the numbers and draws the
heatmap. ``collect`` is what ``connect5 demo`` prints at its end too.
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from typing import Any, TextIO

import click

from daemon.cli import echo_json, json_option, pass_app
from daemon.commands.common import today_for
from rules import stats as rules

HEATMAP_WHAT = "interactions"


@click.command()
@click.option("--since", metavar="YYYY-MM-DD", help="Count only picks from this day on in the funnel.")
@json_option
@pass_app
def stats(app, since: str | None, as_json: bool) -> None:
    """The funnel with its rates, coverage of the network, and a year of daily activity."""
    from daemon import clock

    from daemon import morning

    first_day = _since(since)
    store = app.store(create=False)
    morning.look_at_started(store, app.config)  # a call that has begun counts as met
    zone = clock.zone_name(app.config.me.timezone)
    data = collect(store, today_for(app), zone, first_day, app.config.picking.days)
    if as_json:
        echo_json(data)
        return
    for line in render(data, style_for(sys.stdout)):
        click.echo(line)


def _since(text: str | None) -> date | None:
    from daemon.cli import parse_day

    return parse_day(text, "--since") if text else None


def collect(store, today: date, zone: str, since: date | None = None,
            block_days: tuple[str, ...] | list[str] = ("mon", "tue", "wed", "thu", "fri")) -> dict[str, Any]:
    """Everything ``stats`` reports, as JSON-ready data; ``block_days`` as ``[picking] days``."""
    from daemon.config import WEEKDAYS

    # Picks frozen ahead with `today --date` are plans, not yet part of the funnel or coverage.
    steps = rules.funnel(_pick_states(store, since, today))
    network = _one(store, "SELECT count(*) FROM contacts WHERE missing_since IS NULL")
    excluded = _one(store, "SELECT count(*) FROM contacts WHERE missing_since IS NULL AND excluded = 1")
    first_in_touch = rules.in_touch_since(today)
    in_touch = _in_touch(store, first_in_touch, today, zone)
    picked = _one(
        store,
        "SELECT count(DISTINCT p.contact_key) FROM picks p JOIN contacts c ON c.key = p.contact_key"
        " WHERE p.skipped = 0 AND c.missing_since IS NULL AND p.day <= ?",
        [today.isoformat()],
    )
    covered = rules.coverage(network, in_touch, picked)
    # A rotation reaches those who can be picked: the excluded never are.
    weekdays = [WEEKDAYS.index(day) for day in block_days if day in WEEKDAYS]
    pace = rules.rotation(network - excluded, _picks_per_day(store), today, weekdays)
    activity = activity_per_day(store, first_in_touch, today, zone)
    return {
        "today": today.isoformat(),
        "since": since.isoformat() if since else None,
        "funnel": rules.funnel_counts(steps),
        "rates": {
            step.step: {"of_previous": step.of_previous, "of_picked": step.of_picked} for step in steps[1:]
        },
        "coverage": {
            "network": covered.network,
            "excluded": excluded,
            "in_touch_365_days": covered.in_touch,
            "in_touch_share": covered.in_touch_share,
            "picked_at_least_once": covered.picked,
            "picked_share": covered.picked_share,
        },
        "rotation": {"pace_per_day": round(pace.pace, 3), "window_days": pace.window_days, "days": pace.days},
        "activity": {day.isoformat(): count for day, count in sorted(activity.items())},
    }


def _one(store, sql: str, params=()) -> int:
    return store.db.execute(sql, list(params)).fetchone()[0] or 0


def _pick_states(store, since: date | None, today: date) -> list[str]:
    sql, params = "SELECT state FROM picks WHERE skipped = 0 AND day <= ?", [today.isoformat()]
    if since:
        sql, params = sql + " AND day >= ?", [*params, since.isoformat()]
    return [row[0] for row in store.db.execute(sql, params)]


def _bounds(first: date, last: date, zone: str) -> tuple[str, str]:
    """UTC text bounds of the local days ``first``..``last``, comparable with stored times."""
    from daemon import clock
    from daemon.clock import iso

    return iso(clock.at_local(first, "00:00", zone)), iso(clock.at_local(last + timedelta(days=1), "00:00", zone))


def _in_touch(store, first: date, today: date, zone: str) -> int:
    low, high = _bounds(first, today, zone)
    return _one(
        store,
        "SELECT count(DISTINCT c.contact_key) FROM interaction_contacts c"
        " JOIN interactions i ON i.id = c.interaction_id JOIN contacts k ON k.key = c.contact_key"
        " WHERE k.missing_since IS NULL AND i.status != 'cancelled' AND i.at >= ? AND i.at < ?",
        [low, high],
    )


def _picks_per_day(store) -> dict[date, int]:
    rows = store.db.execute("SELECT day, count(*) FROM picks WHERE skipped = 0 GROUP BY day")
    return {date.fromisoformat(day): count for day, count in rows}


def activity_per_day(store, first: date, last: date, zone: str) -> dict[date, int]:
    """Interactions (not cancelled) per local day from ``first`` to ``last``."""
    from daemon import clock
    from daemon.store import parse_moment

    low, high = _bounds(first, last, zone)
    counts: dict[date, int] = {}
    for (at,) in store.db.execute(
        "SELECT at FROM interactions WHERE status != 'cancelled' AND at >= ? AND at < ?", [low, high]
    ):
        day = clock.local_day(parse_moment(at), zone)
        counts[day] = counts.get(day, 0) + 1
    return counts


def style_for(stream: TextIO) -> rules.Style:
    """256 colours on a terminal, shades when ``NO_COLOR`` is set, plain characters in pipes and files."""
    if not stream.isatty() or os.environ.get("TERM") == "dumb":
        return "plain"
    if os.environ.get("NO_COLOR"):  # https://no-color.org: set and not empty
        return "unicode"
    return "color"


def render(data: dict[str, Any], style: rules.Style = "plain") -> list[str]:
    """The text report: funnel, coverage and rotation, then the heatmap."""
    lines = render_funnel(data) + [""] + render_coverage(data) + ["", "Activity, the last 12 months"]
    activity = {date.fromisoformat(day): count for day, count in data["activity"].items()}
    lines += rules.heatmap(activity, date.fromisoformat(data["today"]), style, HEATMAP_WHAT)
    return lines


def render_funnel(data: dict[str, Any]) -> list[str]:
    since = data["since"]
    lines = [f"Funnel, picks since {since}" if since else "Funnel, all picks"]
    counts, rates = data["funnel"], data["rates"]
    width = len(str(max(counts.values(), default=0)))
    previous = None
    for step in rules.STEPS:
        words = rules.STEP_WORDS[step]
        line = f"  {words:<12} {counts[step]:>{width}}"
        if previous == "picked":
            line += f"  {rules.percent(rates[step]['of_picked']):>4} of picked"
        elif previous is not None:
            of_previous = f"{rules.percent(rates[step]['of_previous']):>4} of {rules.STEP_WORDS[previous]}"
            line += f"  {of_previous:<20}  {rules.percent(rates[step]['of_picked']):>4} of picked"
        lines.append(line.rstrip())
        previous = step
    return lines


def render_coverage(data: dict[str, Any]) -> list[str]:
    covered, pace = data["coverage"], data["rotation"]
    width = len(str(covered["network"]))
    excluded = f" ({covered['excluded']} excluded)" if covered["excluded"] else ""
    lines = [
        f"Network: {covered['network']} contacts{excluded}",
        f"  in touch in the last 365 days  {covered['in_touch_365_days']:>{width}}"
        f"  {rules.percent(covered['in_touch_share'])}",
        f"  picked at least once           {covered['picked_at_least_once']:>{width}}"
        f"  {rules.percent(covered['picked_share'])}",
    ]
    if covered["network"] <= covered["excluded"]:
        lines.append("  full rotation: nobody can be picked (import your network, or include someone again)")
    elif pace["days"] is None and not pace["window_days"]:
        lines.append("  full rotation: nobody picked yet (run `connect5 today`)")
    elif pace["days"] is None:
        lines.append(f"  full rotation: no picks in the last {rules.counted(pace['window_days'], 'day')}"
                     " (everyone in cooldown, snoozed or excluded?), so no pace to go by")
    else:
        lines.append(
            f"  full rotation in {rules.counted(pace['days'], 'day')} at the current pace"
            f" ({pace['pace_per_day']:.1f} picks a calendar day, from the last"
            f" {rules.counted(pace['window_days'], 'day')} of picking)"
        )
    return lines
