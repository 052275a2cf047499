"""A VTIMEZONE component for an IANA zone, written from zoneinfo without icalendar.

zoneinfo has no public list of transitions, so they are found by stepping through
the range a week at a time and bisecting to the second where the offset changes.
Each distinct (from, to, name, daylight) observance is written once with its first
onset as DTSTART and later onsets as RDATE, as icalendar's ``Timezone.from_tzinfo``
does. Explicit onsets, unlike an RRULE guessed from them, are right for every zone
whose rules changed in the range; the writer regenerates the component every day,
so a range of a few years around today is enough (RFC 5545 §3.6.5).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from connectors.ics.text import format_local, format_offset

# Offsets are sampled once a week and bisected where they differ: no zone in the
# tz database changes its offset twice within one week in the years we cover.
STEP = timedelta(days=7)


def _state(zone: ZoneInfo, moment: datetime) -> tuple[timedelta, str, bool]:
    local = moment.astimezone(zone)
    return local.utcoffset() or timedelta(0), local.tzname() or "", bool(local.dst())


def _bisect(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first UTC second in (before, after] whose state differs from ``before``'s."""
    old = _state(zone, before)
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _state(zone, middle) == old:
            low = middle
        else:
            high = middle
    return high


def transitions(zone: ZoneInfo, first_year: int, last_year: int):
    """(onset UTC, offset before, offset after, name, daylight) between the years."""
    moment = datetime(first_year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    state = _state(zone, moment)
    found = []
    while moment < end:
        following = min(moment + STEP, end)
        following_state = _state(zone, following)
        if following_state != state:
            onset = _bisect(zone, moment, following)
            after = _state(zone, onset)
            found.append((onset, state[0], after[0], after[1], after[2]))
            state = after
            following = onset
        moment = following
    return found


def vtimezone_lines(zone_name: str, first_year: int, last_year: int) -> list[str]:
    """Unfolded content lines of a VTIMEZONE for ``zone_name`` over the years given."""
    return list(_vtimezone_lines(zone_name, first_year, last_year))


@lru_cache(maxsize=8)  # the running daemon writes the same zone's years every day
def _vtimezone_lines(zone_name: str, first_year: int, last_year: int) -> tuple[str, ...]:
    zone = ZoneInfo(zone_name)
    local_start = datetime(first_year, 1, 1)
    offset, name, daylight = _state(zone, local_start.replace(tzinfo=zone))
    # observance key -> onsets in local time before the change (RFC 5545 §3.6.5)
    observances: dict[tuple, list[datetime]] = {(offset, offset, name, daylight): [local_start]}
    for onset, before, after, after_name, after_daylight in transitions(zone, first_year, last_year):
        local_onset = (onset + before).replace(tzinfo=None)
        observances.setdefault((before, after, after_name, after_daylight), []).append(local_onset)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone_name}"]
    for (before, after, observance_name, is_daylight), onsets in observances.items():
        kind = "DAYLIGHT" if is_daylight else "STANDARD"
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{format_local(onsets[0])}",
            f"TZOFFSETFROM:{format_offset(before)}",
            f"TZOFFSETTO:{format_offset(after)}",
        ]
        # One RDATE per onset: RFC 5545 allows a list, but vobject reads only its first value.
        lines += [f"RDATE:{format_local(onset)}" for onset in onsets[1:]]
        if observance_name:
            lines.append(f"TZNAME:{observance_name}")
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return tuple(lines)
