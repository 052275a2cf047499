"""What ``connect5 stats`` reports, decided from plain counts and dates.

- ``funnel``: picked → reached out → replied → call booked → met, cumulative (a
  pick that replied also counts as reached out), each step with its rate
  relative to the step before and to picked.
- ``coverage``: the share of the network in touch in the last 365 days, and the
  share picked at least once.
- ``rotation``: calendar days a full rotation of the network takes at the pace
  of the recent picks.
- ``heatmap``: a year of daily activity as a contribution-style grid, 7 rows
  (Monday to Sunday) by 53 week columns, month labels on top and a legend.

No I/O and no clock reads: ``today`` is always passed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

STEPS = ("picked", "reached_out", "replied", "call_booked", "met")
STEP_WORDS = {
    "picked": "picked",
    "reached_out": "reached out",
    "replied": "replied",
    "call_booked": "call booked",
    "met": "met",
}
YEAR_DAYS = 365
PACE_WINDOW_DAYS = 28
WEEKS = 53
DAY_LABELS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Style = Literal["plain", "unicode", "color"]
# Level 0 (no activity) to 4 (the busiest days), per style.
PLAIN_CELLS = (".", "-", "+", "*", "#")
UNICODE_CELLS = ("·", "░", "▒", "▓", "█")
COLOR_CODES = (237, 22, 28, 34, 46)  # 256-colour greens, dark to bright
COLOR_CELL = "■"


@dataclass(frozen=True)
class FunnelStep:
    """One step: how many picks reached it and the rates (None when nothing to divide by)."""

    step: str
    count: int
    of_previous: float | None
    of_picked: float | None

    @property
    def words(self) -> str:
        return STEP_WORDS[self.step]


def funnel(states: Iterable[str]) -> tuple[FunnelStep, ...]:
    """The cumulative funnel over pick ``states``; states outside ``STEPS`` (skipped) are left out."""
    reached = [0] * len(STEPS)
    for state in states:
        if state in STEPS:
            for index in range(STEPS.index(state) + 1):
                reached[index] += 1
    picked = reached[0]
    steps = []
    for index, step in enumerate(STEPS):
        previous = reached[index - 1] if index else None
        steps.append(
            FunnelStep(
                step,
                reached[index],
                _share(reached[index], previous) if index else None,
                _share(reached[index], picked) if index else None,
            )
        )
    return tuple(steps)


def funnel_counts(steps: Iterable[FunnelStep]) -> dict[str, int]:
    return {step.step: step.count for step in steps}


@dataclass(frozen=True)
class Coverage:
    """How much of the network was touched: counts and shares of ``network``."""

    network: int
    in_touch: int  # an interaction within the last 365 days
    picked: int  # picked at least once

    @property
    def in_touch_share(self) -> float | None:
        return _share(self.in_touch, self.network)

    @property
    def picked_share(self) -> float | None:
        return _share(self.picked, self.network)


def coverage(network: int, in_touch: int, picked: int) -> Coverage:
    if min(network, in_touch, picked) < 0:
        raise ValueError("counts cannot be negative")
    return Coverage(network, min(in_touch, network), min(picked, network))


def in_touch_since(today: date) -> date:
    """The first day that counts as "in the last 365 days"."""
    return today - timedelta(days=YEAR_DAYS - 1)


@dataclass(frozen=True)
class Rotation:
    """The current pace (picks per calendar day) and the days a full rotation takes at it."""

    pace: float
    window_days: int
    days: int | None  # None when nothing has been picked yet


def rotation(network: int, picks_per_day: Mapping[date, int], today: date,
             block_weekdays: Iterable[int] = range(5), window_days: int = PACE_WINDOW_DAYS) -> Rotation:
    """The pace over the last ``window_days`` (fewer when picking began later), per calendar day.

    Picks are counted per block day (``block_weekdays``, Monday 0) and spread over the
    week, so a window that begins on a Monday or ends on a Friday does not sway it;
    today counts once it has picks. ``network``: the contacts that can be picked.
    """
    weekdays = frozenset(block_weekdays)
    end = today if picks_per_day.get(today) else today - timedelta(days=1)
    past = [day for day, count in picks_per_day.items() if count and day <= end]
    if not past or not weekdays:
        return Rotation(0.0, 0, None)
    start = max(min(past), end - timedelta(days=window_days - 1))
    days = (end - start).days + 1
    picks = sum(count for day, count in picks_per_day.items() if start <= day <= end)
    block_days = sum(1 for offset in range(days) if (start + timedelta(days=offset)).weekday() in weekdays)
    pace = picks / max(block_days, 1) * len(weekdays) / 7
    if pace <= 0 or network <= 0:
        return Rotation(pace, days, None)
    return Rotation(pace, days, math.ceil(network / pace))


# -- the heatmap -------------------------------------------------------------


def heatmap_start(today: date) -> date:
    """The Monday that opens the grid: 52 weeks before the Monday of ``today``'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=WEEKS - 1)


def levels(counts: Mapping[date, int]) -> dict[date, int]:
    """0 for no activity, else 1-4 by the share of the busiest day (GitHub's way)."""
    busiest = max((count for count in counts.values() if count > 0), default=0)
    return {day: (math.ceil(4 * count / busiest) if count > 0 else 0) for day, count in counts.items()}


def heatmap(counts: Mapping[date, int], today: date, style: Style = "plain", what: str = "interactions") -> list[str]:
    """The grid's lines: month labels, seven day rows, then the legend and a summary.

    The grid opens on a Monday, so its first days can be more than a year ago: they
    stay blank, and the year shown is the one coverage counts (``in_touch_since``).
    """
    start, first = heatmap_start(today), in_touch_since(today)
    shown = {day: count for day, count in counts.items() if first <= day <= today}
    level_of = levels(shown)
    lines = ["    " + _month_labels(start)]
    for weekday in range(7):
        cells = []
        for week in range(WEEKS):
            day = start + timedelta(weeks=week, days=weekday)
            cells.append(" " if day > today or day < first else _cell(level_of.get(day, 0), style))
        lines.append(f"{DAY_LABELS[weekday]:<4}" + "".join(cells).rstrip())
    legend = " ".join(_cell(level, style) for level in range(5))
    lines.append(f"    less {legend} more")
    lines.append("    " + _summary(shown, what))
    return lines


def _month_labels(start: date) -> str:
    """Each month's name above the first week column that starts in it, never overlapping.

    The first column is labelled only when its month lasts long enough to hold
    the name; otherwise the next month would lose its label to it.
    """
    begins = [week for week in range(WEEKS)
              if week == 0 or (start + timedelta(weeks=week - 1)).month != (start + timedelta(weeks=week)).month]
    if len(begins) > 1 and begins[1] - begins[0] < 4:
        begins = begins[1:]
    row = [" "] * WEEKS
    free_from = 0
    for week in begins:
        if week >= free_from and week + 3 <= WEEKS:
            row[week : week + 3] = MONTHS[(start + timedelta(weeks=week)).month - 1]
            free_from = week + 4
    return "".join(row).rstrip()


def _cell(level: int, style: Style) -> str:
    if style == "color":
        return f"\x1b[38;5;{COLOR_CODES[level]}m{COLOR_CELL}\x1b[0m"
    if style == "unicode":
        return UNICODE_CELLS[level]
    return PLAIN_CELLS[level]


def _summary(shown: Mapping[date, int], what: str) -> str:
    total = sum(shown.values())
    active = sum(1 for count in shown.values() if count > 0)
    if not total:
        return f"no {what} in the last year"
    busiest = max(sorted(shown), key=lambda day: shown[day])
    # ``what`` is a regular plural ("interactions"), so its singular drops the "s".
    return (f"{counted(total, what.removesuffix('s'), what)} on {counted(active, 'day')} in the last year; "
            f"busiest {busiest.isoformat()} ({shown[busiest]})")


def counted(number: int, word: str, plural: str = "") -> str:
    """ "1 day", "2 days": ``number`` and ``word``, plural unless it is one."""
    return f"{number} {word if number == 1 else plural or word + 's'}"


def percent(share: float | None) -> str:
    """A share as "84%" (or "–" when undefined); below 10% with one decimal."""
    if share is None:
        return "–"
    value = share * 100
    return f"{value:.1f}%" if 0 < value < 10 else f"{value:.0f}%"


def _share(part: int, whole: int | None) -> float | None:
    if not whole:
        return None
    return part / whole


__all__ = [
    "Coverage",
    "FunnelStep",
    "Rotation",
    "STEPS",
    "counted",
    "coverage",
    "funnel",
    "funnel_counts",
    "heatmap",
    "heatmap_start",
    "in_touch_since",
    "levels",
    "percent",
    "rotation",
]
