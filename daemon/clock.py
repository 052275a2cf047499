"""The user's zone and wall-clock helpers (the only place the daemon reads the clock).

Rules never read the clock; the daemon passes ``now`` in. Tests and the demo
set ``CONNECT5_NOW`` (an ISO timestamp) to pin the wall clock.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def system_zone_name() -> str:
    """The system's IANA zone: $TZ, then /etc/localtime's link, then /etc/timezone, else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    try:
        candidates.append(Path("/etc/timezone").read_text().strip())
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


def zone_name(configured: str) -> str:
    return configured or system_zone_name()


def now() -> datetime:
    """The wall clock, aware, in UTC (``CONNECT5_NOW`` pins it)."""
    pinned = os.environ.get("CONNECT5_NOW")
    if pinned:
        moment = datetime.fromisoformat(pinned)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime.now(UTC)


def stamp() -> str:
    """The wall clock as the store writes it: UTC ISO 8601 to the second."""
    return now().isoformat(timespec="seconds")


def iso(moment: datetime) -> str:
    """An aware datetime as the store writes it (UTC ISO 8601 to the second, which sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def written_day(text: str) -> date:
    """The day ``text`` writes as YYYY-MM-DD; ValueError for anything else.

    ``date.fromisoformat`` alone also takes 20261124 and 2026-W48-2, which ``--date``'s help does not offer.
    """
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"{text!r} is not YYYY-MM-DD")
    return date.fromisoformat(text)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def at_local(day: date, hhmm: str, zone: str) -> datetime:
    """``day`` at ``HH:MM`` in ``zone``; a time skipped by DST moves forward (fold=0)."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    naive = datetime.combine(day, time(hours, minutes))
    aware = naive.replace(tzinfo=ZoneInfo(zone))
    # Round-trip through UTC normalises a non-existent local time (spring forward).
    return aware.astimezone(UTC).astimezone(ZoneInfo(zone))


def is_block_day(day: date, days: list[str] | tuple[str, ...]) -> bool:
    return WEEKDAY_NAMES[day.weekday()] in days


def next_block_day(after: date, days: list[str] | tuple[str, ...]) -> date:
    day = after
    for _ in range(8):
        day += timedelta(days=1)
        if is_block_day(day, days):
            return day
    raise ValueError("no block days configured")


def next_block(now: datetime, zone: str, hhmm: str, days) -> datetime:
    """The start of the first block after ``now``: today's while its time is ahead, else the next block day's.

    A block written late (the morning job catching up after 09:00) is not the
    next one: its time has gone by.
    """
    today = local_day(now, zone)
    if is_block_day(today, days) and at_local(today, hhmm, zone) > now:
        return at_local(today, hhmm, zone)
    return at_local(next_block_day(today, days), hhmm, zone)


def last_run_day(marked: str | None, today: date) -> date:
    """The day a daily job last ran, as remembered (``marked``, YYYY-MM-DD); ``today`` when never.

    A day after tomorrow is no date-line crossing but a clock that was set wrong
    when it ran (a bad clock at boot, a restored machine): it must not stop the
    job until that day comes, so it counts as today.
    """
    if not marked or date.fromisoformat(marked) > today + timedelta(days=1):
        return today
    return date.fromisoformat(marked)
