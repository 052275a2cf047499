"""The funnel state of one pick, from the interactions that followed it.

picked → reached out → replied → call booked → met. Each step counts only
interactions from the start of the pick's day (in the user's zone) until the
same person's next pick, so an old pick is not credited with a later one's
reply.

- reached out: an outbound message (e-mail, LinkedIn) or ``done``; a reply
  implies it, since people rarely answer unasked.
- replied: an inbound e-mail or LinkedIn message from them.
- call booked: a meeting with them (not our block; noise filtered by
  ``rules.matching``) created or changed after the pick began, not cancelled
  (a meeting you declined is stored as cancelled: ``EventMatch.status``).
- met: that meeting has started.

A message counts once its time has come, as for last touch: one dated ahead (a
sender's clock wrong by days) is not yet a step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

STATES = ("picked", "reached_out", "replied", "call_booked", "met")


@dataclass(frozen=True)
class Interaction:
    kind: str  # email | linkedin | meeting | done
    direction: str  # in | out
    at: datetime  # sent time, or the meeting's start
    status: str = "confirmed"
    changed: datetime | None = None  # for meetings: created/updated (else when we first saw it)


@dataclass(frozen=True)
class Outcome:
    state: str
    reached_out_at: datetime | None = None
    replied_at: datetime | None = None
    booked_at: datetime | None = None
    met_at: datetime | None = None
    reason: str = "picked, nothing since"


def outcome(start: datetime, until: datetime | None, interactions: Iterable[Interaction], now: datetime) -> Outcome:
    """The furthest funnel step reached by a pick that began at ``start``."""
    reached = replied = booked = met = None
    for item in interactions:
        if item.kind == "meeting":
            changed = item.changed or item.at
            if item.status == "cancelled" or changed < start or (until is not None and changed >= until):
                continue
            booked = _earliest(booked, changed)
            if item.at <= now:
                met = _earliest(met, item.at)
            continue
        if item.at < start or (until is not None and item.at >= until) or item.at > now:
            continue
        if item.direction == "out":
            reached = _earliest(reached, item.at)
        else:
            replied = _earliest(replied, item.at)
    if replied is not None and reached is None:
        reached = replied
    if met is not None:
        return Outcome("met", reached, replied, booked, met, f"met on {met.date()}")
    if booked is not None:
        return Outcome("call_booked", reached, replied, booked, None, f"call booked on {booked.date()}")
    if replied is not None:
        return Outcome("replied", reached, replied, None, None, f"replied on {replied.date()}")
    if reached is not None:
        return Outcome("reached_out", reached, None, None, None, f"reached out on {reached.date()}")
    return Outcome("picked")


def _earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current
