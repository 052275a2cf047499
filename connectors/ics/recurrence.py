"""Recurrence rules cut to what can be expanded: a hostile rule must not take minutes or gigabytes.

dateutil walks a rule from DTSTART step by step, so FREQ=SECONDLY without an end,
a DTSTART centuries ago, days that never come (BYMONTH=2;BYMONTHDAY=30), a
BYSETPOS no period reaches or INTERVAL=0 would take minutes (or for ever) and
gigabytes. ``bound`` cuts such a rule, in place, to a COUNT (or drops it, keeping
the DTSTART instance) before the expansion, and logs the file once.
"""

from __future__ import annotations

import logging
from datetime import MAXYEAR, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from math import prod

logger = logging.getLogger(__name__)

# One series keeps at most this many instances in the read window. A call recurs at
# most daily, and the default window (850 days) of a daily series fits whole; a
# FREQ=SECONDLY without COUNT or UNTIL would be 73 million (0.2 ms and ~1 kB each).
MAX_INSTANCES = 2_000
# dateutil walks a rule from DTSTART, before the window too, a day at a time (5 µs a
# step): a rule is cut after this many instances or days (a daily series since 1890).
MAX_STEPS = 50_000
# Finer than DAILY, it walks one FREQ step at a time (0.3 µs), instance or not, so
# FREQ=SECONDLY;BYHOUR=11 is 86,400 steps a day: a rule is cut after this many.
MAX_FINE_STEPS = 2_000_000
SUBDAILY_SECONDS = {"HOURLY": 3600, "MINUTELY": 60, "SECONDLY": 1}
DAY_PARTS = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYEASTER")
TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
DAY = timedelta(days=1)


def _until(rule, start: date, zone: tzinfo) -> datetime | None:
    """The rule's UNTIL as a wall-clock time in DTSTART's zone (inclusive), or None."""
    until = rule.get("UNTIL", [None])[0]
    if not isinstance(until, datetime):
        return datetime.combine(until, time.max) if isinstance(until, date) else None
    own = getattr(start, "tzinfo", None) or zone  # a floating or all-day DTSTART is in the user's zone
    return (until.astimezone(own) if until.tzinfo else until).replace(tzinfo=None)


@lru_cache(maxsize=512)
def _finds_nothing(rule_text: str, start: datetime) -> bool:
    """Whether ``rule_text`` has no instance from ``start``, 400 years or more before 9999, on.

    The calendar (weekdays, ISO weeks) repeats every 400 years. 25 to 175 ms (YEARLY to WEEKLY)."""
    from dateutil.rrule import rrulestr

    try:
        return next(iter(rrulestr(rule_text, dtstart=start)), None) is None
    except Exception:  # parts dateutil refuses: the expansion logs and skips the series
        return False


def _day_filter(rule, freq: str, start: datetime) -> str | None:
    """The days ``rule`` may fall on, as a YEARLY rule (dateutil's defaults included); None: any day."""
    parts = {name: [str(value) for value in rule[name]] for name in ("WKST", *DAY_PARTS) if name in rule}
    if not any(name in parts for name in DAY_PARTS if name != "BYMONTH"):
        if freq not in ("YEARLY", "MONTHLY"):
            return None  # a weekday, or the months alone: every year has them
        parts.setdefault("BYMONTH", [str(start.month)])  # dateutil's defaults: DTSTART's day
        parts["BYMONTHDAY"] = [str(start.day)]
    if "BYDAY" in parts and freq != "YEARLY":
        if freq == "MONTHLY":  # "2TU" counts in the month
            parts.setdefault("BYMONTH", [str(month) for month in range(1, 13)])
        else:  # finer than MONTHLY, dateutil ignores the ordinal
            parts["BYDAY"] = [day[-2:] for day in parts["BYDAY"]]
    return ";".join(["FREQ=YEARLY"] + [f"{name}={','.join(values)}" for name, values in sorted(parts.items())])


def _never_matches(rule, freq: str, start: datetime) -> bool:
    """Whether dateutil would search ``rule`` up to the year 9999 for nothing (2 to 20 s).

    Its days never come (BYMONTH=2;BYMONTHDAY=30), or BYSETPOS asks more than a period has."""
    from icalendar.prop import vRecur

    if "BYSETPOS" in rule and freq in ("YEARLY", "MONTHLY", "WEEKLY"):
        # The instances of a period depend on its days: let dateutil search one cycle,
        # from DTSTART's date 400·k years on (the same weekday, and 29 February stays).
        shifted = start.replace(year=start.year + (MAXYEAR - 400 - start.year) // 400 * 400)
        text = vRecur({name: value for name, value in rule.items() if name not in ("COUNT", "UNTIL", "INTERVAL")})
        return _finds_nothing(text.to_ical().decode(), shifted)
    if "BYSETPOS" in rule:  # a period is a day or shorter: its instances are the times finer than FREQ
        adding = TIME_PARTS[{"HOURLY": 1, "MINUTELY": 2, "SECONDLY": 3}.get(freq, 0):]  # BYHOUR in HOURLY filters
        if min(abs(int(position)) for position in rule["BYSETPOS"]) > prod(len(rule.get(name, [0])) for name in adding):
            return True
    days = _day_filter(rule, freq, start)
    return days is not None and _finds_nothing(days, datetime(MAXYEAR - 400, 1, 1))


def _cost(rule, freq: str, interval: int, start: datetime, end: datetime) -> tuple[timedelta, int] | None:
    """(dateutil's step, the steps it may take) for ``rule``; None when its walk through the window costs too much."""
    from dateutil.rrule import rrulestr

    if freq not in SUBDAILY_SECONDS:
        return timedelta(days=1), MAX_STEPS
    step = timedelta(seconds=SUBDAILY_SECONDS[freq] * interval)
    if not any(name.startswith("BY") for name in rule):
        return step, MAX_FINE_STEPS  # every step is an instance: the count of them bounds the walk
    # Steps that are no instance: walked to the first day allowed after ``end`` (25 ms to find).
    days, after = _day_filter(rule, freq, start), end
    if days is not None:
        after = next(iter(rrulestr(days, dtstart=end.replace(hour=0, minute=0, second=0))), datetime.max)
    walked = ((after - start).days + 1) * (86_400 / step.total_seconds() + 20)  # + the day's own loop
    return (step, MAX_FINE_STEPS) if walked <= MAX_FINE_STEPS else None


def _kept_instances(rule, start_value: date, zone: tzinfo, low: datetime, high: datetime) -> int | None:
    """How many instances of ``rule`` to keep (a COUNT; 0: none), or None to keep it whole.

    ``low`` and ``high``: the window as wall-clock times, with a margin.
    """
    from dateutil.rrule import rrulestr
    from icalendar.prop import vRecur

    try:
        freq, interval = str(rule["FREQ"][0]).upper(), int(rule.get("INTERVAL", [1])[0])
        # dateutil walks wall-clock times in DTSTART's own zone
        start = datetime.combine(start_value, start_value.time() if isinstance(start_value, datetime) else time())
        until = _until(rule, start_value, zone)
        end = min(high, until) if until else high
        unbounded = vRecur({name: value for name, value in rule.items() if name != "UNTIL"})
        instances = rrulestr(unbounded.to_ical().decode(), dtstart=start)
        # INTERVAL=0 makes dateutil repeat DTSTART for ever.
        cost = None if interval < 1 or _never_matches(rule, freq, start) else _cost(rule, freq, interval, start, end)
        if cost is None:
            return 0
        horizon = start + cost[0] * cost[1] if datetime.max - start > cost[0] * cost[1] else datetime.max
    except Exception:  # a rule dateutil cannot read: the expansion logs and skips the series
        return None
    once_a_day = freq not in SUBDAILY_SECONDS and all(len(rule.get(name, ())) < 2 for name in TIME_PARTS)
    if once_a_day and horizon >= end:
        return None  # at most one a day, and not too far to walk: cheap however it is written
    in_window = 0
    try:
        for index, moment in enumerate(instances):
            if moment > end:
                return None
            if moment > horizon or index >= MAX_STEPS:
                return index if in_window else 0  # none in the window: spare the expansion the walk
            in_window += moment >= low
            if in_window >= MAX_INSTANCES:
                return index + 1
    except Exception:  # dateutil's "invalid combination": the expansion skips the series
        return None
    return None


def bound(calendar, window: tuple[date, date], zone: tzinfo, path: str) -> None:
    """Cut, in place, every RRULE that would expand without bound (see ``MAX_INSTANCES``)."""
    from icalendar.prop import vRecur

    low, high = (datetime.combine(day, time()) for day in (window[0] - 2 * DAY, window[1] + 2 * DAY))  # zones: ±26 h
    cut: list[str] = []
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE")
        if rules is None or "DTSTART" not in event:
            continue
        try:
            start = event.decoded("DTSTART")
        except Exception:  # the expansion logs and skips it
            continue
        rules = rules if isinstance(rules, list) else [rules]
        counts = [_kept_instances(rule, start, zone, low, high) if isinstance(rule, vRecur) else None for rule in rules]
        if all(count is None for count in counts):
            continue
        cut.append(str(event.get("UID", "?")))
        del event["RRULE"]
        for rule, count in zip(rules, counts, strict=True):
            if count is None:
                event.add("RRULE", rule)
            elif count:  # 0: not even one instance is affordable, the rule goes
                limited = vRecur({name: value for name, value in rule.items() if name not in ("UNTIL", "COUNT")})
                limited["COUNT"] = [count]
                event.add("RRULE", limited)
    if cut:
        logger.warning("calendar %s: %d recurring series cut, they recur too often or too long to expand"
                       " (at most %d instances each): %s", path, len(cut), MAX_INSTANCES, ", ".join(cut[:3]))


