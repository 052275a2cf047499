"""Today's five: most overdue first, nobody starved, same answer for the same day.

A contact is *overdue* by the days since the later of their last interaction,
their last pick and the day they connected, divided by their cadence. The
default cadence is one full rotation of the network (everyone once, at
``per_day`` a day on the configured days); a tag may set a shorter one
(mentors every 60 days).

Rotation: each contact without a tag cadence is picked at most once per
rotation. When nobody pickable is left in the current rotation, the next one
begins. So with nobody ever answering, everyone is picked once before anyone
is picked twice.

Never picked: excluded, snoozed, in cooldown (an interaction within
``cooldown_days``, or within a tag's cadence when that is shorter), tagged with
a cadence that is not due yet, or already among today's picks. At most
``max_per_company`` a day from one company.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

# A contact who never connected on a known date is treated as this old.
UNKNOWN_AGE_DAYS = 3650
# Legal forms that name no other company: "Acme Inc." is Acme, as far as the cap goes.
LEGAL_FORMS = frozenset("inc incorporated llc ltd limited gmbh ag sa sas srl bv nv plc corp corporation co".split())


class Candidate(NamedTuple):
    """What the picker needs to know about one contact (dates as ``date``)."""

    key: str
    name: str
    company: str = ""
    last_touch: date | None = None
    last_touch_kind: str = ""
    connected_on: date | None = None
    tags: tuple[str, ...] = ()
    excluded: bool = False
    snoozed_until: date | None = None
    last_picked: date | None = None
    picked_rotation: int = 0


@dataclass(frozen=True)
class Settings:
    per_day: int = 5
    cooldown_days: int = 90
    max_per_company: int = 2
    cadence: Mapping[str, int] = field(default_factory=dict)
    workdays_per_week: int = 5


@dataclass(frozen=True)
class Pick:
    key: str
    reason: str
    overdue: float
    rotation: int


@dataclass(frozen=True)
class Result:
    picks: tuple[Pick, ...]
    rotation: int  # the rotation the day's picks belong to (advanced if it ran out)
    pool: int  # contacts that could ever be picked (not excluded)
    complete: bool = True  # False: a shortlist was not enough, ask again with everyone


def rotation_days(pool: int, settings: Settings) -> int:
    """Calendar days one full rotation of ``pool`` contacts takes at the configured pace."""
    workdays = math.ceil(max(pool, 1) / settings.per_day)
    return max(1, math.ceil(workdays * 7 / max(settings.workdays_per_week, 1)))


@dataclass(frozen=True)
class Shortlist:
    """Bounds a store may use to fetch only the candidates that can matter.

    Everyone the picker could choose today without starting a new rotation is
    not excluded, not snoozed past ``day``, last in touch before
    ``touched_before`` (or never), and either tagged or picked in an earlier
    rotation than ``rotation``. Among the untagged, the most overdue are those
    with the earliest anchor (the latest of last touch, last pick and
    connection day), so the first ``size`` of them by anchor are enough unless
    the day cannot be filled from them, in which case ``pick`` says so
    (``Result.complete``) and the caller asks again with everyone.
    """

    day: date
    touched_before: date
    rotation: int
    size: int


def shortlist(day: date, settings: Settings, rotation: int) -> Shortlist:
    cutoff = date.fromordinal(day.toordinal() - settings.cooldown_days + 1)
    return Shortlist(day=day, touched_before=cutoff, rotation=rotation, size=max(50, settings.per_day * 40))


def pick(
    candidates: Sequence[Candidate],
    day: date,
    settings: Settings,
    rotation: int,
    *,
    taken: Iterable[str] = (),
    skipped: Iterable[str] = (),
    count: int | None = None,
    pool: int | None = None,
    shortlisted: bool = False,
) -> Result:
    """Choose ``count`` (default ``per_day``) contacts for ``day``.

    ``taken`` are keys already picked (or skipped) today; they and their
    companies' quota are respected, except for those also in ``skipped``: a
    person skipped today is not contacted, so takes no place of their company's.
    Deterministic for equal inputs.
    ``pool`` is the number of contacts that are not excluded, when
    ``candidates`` is only a shortlist (see ``Shortlist``); with
    ``shortlisted`` a result that could differ from the one over everyone is
    returned with ``complete=False``.
    """
    wanted = settings.per_day if count is None else count
    taken = set(taken)
    if pool is None:
        pool = sum(1 for candidate in candidates if not candidate.excluded)
    default_cadence = rotation_days(pool, settings)
    company_counts = _company_counts(candidates, taken - set(skipped))
    ranked, leftovers = _rank(candidates, day, settings, rotation, taken, default_cadence)
    capped: list = []
    picks = _take(ranked, wanted, company_counts, settings.max_per_company, rotation, capped)
    if shortlisted and len(picks) < wanted:
        return Result(picks=tuple(picks), rotation=rotation, pool=pool, complete=False)
    # Begin the next rotation only when this one is used up: people held back by
    # today's company cap are still owed their turn, so nobody repeats before them.
    if len(picks) < wanted and leftovers and not capped:
        # The rotation ran out: start the next one with whoever is most overdue.
        rotation += 1
        chosen = {item.key for item in picks}
        rest = [entry for entry in leftovers if entry[3].key not in chosen]
        heapq.heapify(rest)
        picks += _take(rest, wanted - len(picks), company_counts, settings.max_per_company, rotation, [])
    return Result(picks=tuple(picks), rotation=rotation, pool=pool)


def company_key(company: str) -> str:
    """What tells companies apart for the cap: case, punctuation, spacing and a trailing legal form aside."""
    words = "".join(ch if ch.isalnum() else " " for ch in company.casefold()).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def _company_counts(candidates: Sequence[Candidate], taken: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    if taken:
        for candidate in candidates:
            if candidate.key in taken and candidate.company:
                company = company_key(candidate.company)
                counts[company] = counts.get(company, 0) + 1
    return counts


def _rank(
    candidates: Sequence[Candidate],
    day: date,
    settings: Settings,
    rotation: int,
    taken: set[str],
    default_cadence: int,
) -> tuple[list, list]:
    """Heaps of (first, -overdue, key, candidate, cadence, own): this rotation's, and the next one's.

    ``first`` is 0 for a tagged contact whose cadence is due (one not due is left
    out), 1 for everyone else:
    a cadence is a promise to come round that often, so it goes before the
    general rotation (where people never contacted can be many times more overdue).
    """
    today = day.toordinal()
    cooldown = settings.cooldown_days
    tag_cadence = settings.cadence
    ranked, leftovers = [], []
    for candidate in candidates:
        if candidate.excluded or candidate.key in taken:
            continue
        if candidate.snoozed_until is not None and candidate.snoozed_until > day:
            continue
        cadence, own = default_cadence, False
        if candidate.tags and tag_cadence:
            tagged = [tag_cadence[tag] for tag in candidate.tags if tag in tag_cadence]
            if tagged:
                cadence, own = min(tagged), True
        # A tag's cadence is a promise to come round that often, so it shortens the
        # cooldown for those it covers: a mentor every 60 days is due 60 days after
        # the last talk, not after the general 90.
        touch = candidate.last_touch
        if touch is not None and today - touch.toordinal() < (min(cooldown, cadence) if own else cooldown):
            continue
        anchor = _anchor(candidate, today)
        entry = (0 if own else 1, -(today - anchor) / cadence, candidate.key, candidate, cadence, own)
        if own:
            # Only when due: the cadence counts from the last touch, pick or connection,
            # and one longer than the cooldown must not put them first before then.
            if today - anchor >= cadence:
                ranked.append(entry)
        elif candidate.picked_rotation < rotation:
            ranked.append(entry)
        elif candidate.last_picked is None or candidate.last_picked < day:
            leftovers.append(entry)
    heapq.heapify(ranked)
    return ranked, leftovers


def _anchor(candidate: Candidate, today: int) -> int:
    """The ordinal day from which a contact counts as out of touch."""
    known = [m.toordinal() for m in (candidate.last_touch, candidate.last_picked, candidate.connected_on) if m]
    return max(known) if known else today - UNKNOWN_AGE_DAYS


def _take(heap: list, wanted: int, company_counts: dict[str, int], cap: int, rotation: int, capped: list) -> list[Pick]:
    """Pop the most overdue into picks; those over their company's cap go to ``capped``."""
    picks: list[Pick] = []
    while heap and len(picks) < wanted:
        _, negative_overdue, _, candidate, cadence, own = heapq.heappop(heap)
        company = company_key(candidate.company) if candidate.company else ""
        if company and company_counts.get(company, 0) >= cap:
            capped.append(candidate.key)
            continue
        if company:
            company_counts[company] = company_counts.get(company, 0) + 1
        why = reason(candidate, -negative_overdue, cadence, own)
        picks.append(Pick(candidate.key, why, -negative_overdue, rotation))
    return picks


def reason(candidate: Candidate, overdue: float, cadence: int, own_cadence: bool) -> str:
    """Why this contact was picked, in words a person reads."""
    if candidate.last_touch is not None:
        since = f"last in touch {candidate.last_touch.isoformat()}"
        if candidate.last_touch_kind:
            since += f" ({_kind_words(candidate.last_touch_kind)})"
    elif candidate.connected_on is not None:
        since = f"never in touch since connecting in {candidate.connected_on.year}"
    else:
        since = "never in touch"
    if own_cadence:
        tags = ", ".join(candidate.tags)
        return f"{since}; {tags} cadence every {cadence} days, {overdue:.1f}x due"
    return f"{since}; among the longest out of touch ({overdue:.1f}x a rotation)"


def _kind_words(kind: str) -> str:
    return {
        "email": "e-mail",
        "linkedin": "LinkedIn message",
        "meeting": "meeting",
        "done": "reached out",
    }.get(kind, kind)
