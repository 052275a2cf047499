"""The morning job: choose the day's five (once); ``daemon.calendar_block`` then writes the day's block.

Picks for a day are frozen once stored: running the job again, or ``connect5
today`` any number of times, changes nothing. ``skip`` swaps one pick for the
next in line; the skipped row stays, marked, so the replacement never repeats
it.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from daemon import clock
from daemon.config import Config
from daemon.store import STARTED_MARK, Store, utc_now

if TYPE_CHECKING:  # imported where picks are chosen: a day's frozen picks are shown without it
    from rules import picker

log = logging.getLogger(__name__)

CANDIDATE_SQL = (
    "SELECT key, name, company, substr(last_touch_at, 1, 10), last_touch_kind, connected_on, tags,"
    " excluded, snoozed_until, last_picked_on, picked_rotation FROM contacts WHERE missing_since IS NULL"
)


PREVIEW = "preview"  # the state of a pick shown for a day still to come, never stored
PREVIEW_DAYS = 90  # the days before a previewed one that are chosen first (in memory); later ones are not


class PastDayError(Exception):
    """Picks cannot be made for a day that has gone by."""


class NotABlockDay(Exception):
    """``day`` is not one of ``[picking] days``: nobody is picked and no block is written."""

    def __init__(self, day: date, days: list[str]):
        self.day, self.next_day = day, clock.next_block_day(day, days)
        super().__init__(f"{day:%a %Y-%m-%d} is not one of your block days ({', '.join(days)}); "
                         f"the next is {self.next_day:%a %Y-%m-%d}")


def settings_of(config: Config) -> picker.Settings:
    from rules import picker

    return picker.Settings(
        per_day=config.picking.per_day,
        cooldown_days=config.picking.cooldown_days,
        max_per_company=config.picking.max_per_company,
        # Tags are matched case-blind: `tag` stores them lower-case, older stores may not.
        cadence={tag.lower(): days for tag, days in config.picking.cadence.items()},
        workdays_per_week=len(config.picking.days),
    )


# The shortlist (see rules.picker.Shortlist): the most overdue untagged contacts in
# anchor order, read from the contacts_anchor index (those with no date at all
# separately: their anchor depends on the day), every tagged contact, and
# today's picks so their companies count against the cap.
_SHORTLIST_FILTER = (
    " AND excluded = 0 AND tags = '[]' AND picked_rotation < :rotation"
    " AND (snoozed_until IS NULL OR snoozed_until <= :day)"
    " AND (last_touch_at IS NULL OR last_touch_at < :touched_before)"
)
SHORTLIST_SQL = f"""
SELECT * FROM ({CANDIDATE_SQL.replace("FROM contacts", "FROM contacts INDEXED BY contacts_anchor")}
               AND anchor IS NOT NULL{_SHORTLIST_FILTER} ORDER BY anchor, key LIMIT :size)
UNION ALL SELECT * FROM ({CANDIDATE_SQL} AND anchor IS NULL{_SHORTLIST_FILTER} ORDER BY key LIMIT :size)
UNION ALL {CANDIDATE_SQL.replace("FROM contacts", "FROM contacts INDEXED BY contacts_tagged")}
          AND excluded = 0 AND tags != '[]'
UNION ALL {CANDIDATE_SQL} AND key IN (SELECT value FROM json_each(:taken))
"""


def load_candidates(store: Store, bounds: picker.Shortlist | None = None, taken=()) -> list[picker.Candidate]:
    """Every contact, or with ``bounds`` only those that can matter today (see ``picker.Shortlist``)."""
    from rules import picker

    if bounds is None:
        rows = store.db.conn.execute(CANDIDATE_SQL)
    else:
        import json

        rows = store.db.conn.execute(SHORTLIST_SQL, {
            "rotation": bounds.rotation, "day": bounds.day.isoformat(), "size": bounds.size,
            "touched_before": bounds.touched_before.isoformat(), "taken": json.dumps(list(taken)),
        })
    make, day = picker.Candidate, date.fromisoformat
    result, seen = [], set()
    for key, name, company, touch, kind, connected, tags, excluded, snoozed, picked, rotation in rows:
        if key in seen:
            continue
        seen.add(key)
        result.append(
            make(
                key, name, company or "",
                day(touch) if touch else None, kind or "",
                day(connected) if connected else None,
                tuple(_tags(tags)), bool(excluded),
                day(snoozed) if snoozed else None,
                day(picked) if picked else None, rotation,
            )
        )
    return result


def _tags(text: str) -> list[str]:
    if text in ("", "[]"):
        return []
    import json

    return [tag.lower() for tag in json.loads(text)]


def picks_of(store: Store, day: date, *, include_skipped: bool = False) -> list[dict[str, Any]]:
    skipped = "" if include_skipped else " AND p.skipped = 0"
    return store.query(
        "SELECT p.*, c.name, c.company, c.position, c.profile_url, c.first_name, c.connected_on,"
        " c.last_touch_at, c.last_touch_kind FROM picks p JOIN contacts c ON c.key = p.contact_key"
        f" WHERE p.day = ?{skipped} ORDER BY p.slot",
        [day.isoformat()],
    )


def skipped_on(store: Store, day: date) -> int:
    """How many of ``day``'s picks were skipped."""
    return store.db.execute("SELECT count(*) FROM picks WHERE day = ? AND skipped = 1", [day.isoformat()]).fetchone()[0]


def ensure_picks(store: Store, config: Config, day: date, today: date) -> list[dict[str, Any]]:
    """The day's picks: stored ones if any, else chosen now and stored.

    A day after ``today`` is only previewed (see ``preview``): nothing is stored.
    """
    existing = picks_of(store, day)
    if existing:
        return existing
    if store.query("SELECT 1 FROM picks WHERE day = ? LIMIT 1", [day.isoformat()]):
        return picks_of(store, day)  # read again: another process may have chosen between the two reads
    if day < today:
        raise PastDayError(f"{day} has gone by and has no picks; only today or later can be picked")
    if not clock.is_block_day(day, config.picking.days):
        raise NotABlockDay(day, config.picking.days)
    if day > today:
        return preview(store, config, day, today)
    with store.atomic():
        # Another process (the daemon's morning job, a second `today`) may have chosen
        # since the look above: asked again inside the write lock, the first one wins.
        if not store.query("SELECT 1 FROM picks WHERE day = ? LIMIT 1", [day.isoformat()]):
            _choose(store, config, day, taken=(), count=None, first_slot=0)
    return picks_of(store, day)


def look_at_started(store: Store, config: Config, now: datetime | None = None) -> None:
    """``refresh_started`` at ``now`` (default: now); a store busy with another writer leaves it to the next look."""
    from daemon.store_problems import is_busy

    try:
        refresh_started(store, config, now or clock.now())
    except Exception as error:
        if not is_busy(error):
            raise


def preview(store: Store, config: Config, day: date, today: date) -> list[dict[str, Any]]:
    """Who ``day`` would pick, as ``picks_of`` rows with state "preview".

    The block days from ``today`` up to it that have no picks yet are chosen first
    (in memory, up to ``PREVIEW_DAYS`` of them), and their people left out, so the
    preview is whom that day would get if nothing else changed. Never stored: a day
    is chosen on the day, so that whoever is excluded, snoozed, written to or
    picked meanwhile is taken into account, and looking ahead holds nobody back.
    """
    taken: list[str] = []
    between = today
    for _ in range(PREVIEW_DAYS):
        if between >= day:
            break
        if clock.is_block_day(between, config.picking.days) and not picks_of(store, between, include_skipped=True):
            # Their companies are no one's on ``day``: passed as skipped, they take no place there.
            taken += [chosen.key for chosen in choose(store, config, between, taken=taken, skipped=taken).picks]
        between = date.fromordinal(between.toordinal() + 1)
    rows = []
    for slot, chosen in enumerate(choose(store, config, day, taken=taken, skipped=taken).picks):
        contact = store.contact(chosen.key) or {}
        rows.append({**contact, "day": day.isoformat(), "slot": slot, "contact_key": chosen.key,
                     "reason": chosen.reason, "rotation": chosen.rotation, "state": PREVIEW, "skipped": 0})
    return rows


def refresh_started(store: Store, config: Config, now: datetime) -> int:
    """Contacts whose interactions have begun since the last look: their last touch and funnel.

    A meeting turns a "call booked" pick into "met" when it starts, and a message
    dated ahead starts counting when its time comes, with no sync to tell us.
    The daemon looks every cycle; ``sync``, ``today`` and ``stats`` look too, so
    the answer is right when no daemon runs. The first look, in a store no refresh
    has marked yet, only notes the time. Returns how many picks changed state.
    """
    moment = clock.iso(now)
    since = store.meta(STARTED_MARK)
    keys = set()
    if since is not None and since < moment:
        keys = {row[0] for row in store.db.execute(
            "SELECT DISTINCT c.contact_key FROM interactions i INDEXED BY interactions_at"
            " JOIN interaction_contacts c ON c.interaction_id = i.id"
            " WHERE i.at > ? AND i.at <= ? AND i.status != 'cancelled'", [since, moment])}
    if since is not None and not keys:
        return 0  # nothing began: nothing written (the daemon asks every cycle)
    with store.atomic():
        store.set_meta(STARTED_MARK, moment)
        if not keys:
            return 0
        from daemon.outcomes import refresh_touched

        return refresh_touched(store, keys, clock.zone_name(config.me.timezone), now)


def choose(store: Store, config: Config, day: date, *, taken=(), skipped=(), count: int | None = None,
           shortlist: bool = True, settings: picker.Settings | None = None) -> picker.Result:
    """What the picker would choose for ``day`` (reads only); ``settings`` default to the config's.

    ``taken`` and ``skipped`` are as for ``picker.pick``.
    """
    from rules import picker

    rotation = int(store.meta("rotation", "1"))
    settings = settings or settings_of(config)
    pool = store.db.execute(
        "SELECT count(*) FROM contacts INDEXED BY contacts_anchor WHERE missing_since IS NULL AND excluded = 0"
    ).fetchone()[0]
    if shortlist:
        bounds = picker.shortlist(day, settings, rotation)
        candidates = load_candidates(store, bounds, taken)
        result = picker.pick(candidates, day, settings, rotation, taken=taken, skipped=skipped, count=count, pool=pool,
                             shortlisted=True)
        if result.complete:
            return result
    return picker.pick(load_candidates(store), day, settings, rotation, taken=taken, skipped=skipped, count=count,
                       pool=pool)


def _choose(store: Store, config: Config, day: date, *, taken, count: int | None, first_slot: int,
            skipped=()) -> list[picker.Pick]:
    rotation = int(store.meta("rotation", "1"))
    result = choose(store, config, day, taken=taken, skipped=skipped, count=count)
    now = utc_now()
    with store.atomic():
        for slot, chosen in enumerate(result.picks, start=first_slot):
            store.execute(
                "INSERT INTO picks (day, slot, contact_key, reason, rotation, picked_at) VALUES (?, ?, ?, ?, ?, ?)",
                [day.isoformat(), slot, chosen.key, chosen.reason, chosen.rotation, now],
            )
            store.execute(
                "UPDATE contacts SET last_picked_on = ?, picked_rotation = max(picked_rotation, ?) WHERE key = ?",
                [day.isoformat(), chosen.rotation, chosen.key],
            )
        if result.rotation != rotation:
            store.set_meta("rotation", str(result.rotation))
            store.log_event("info", f"rotation {rotation} complete; rotation {result.rotation} begins")
    return list(result.picks)


def shortfall(store: Store, config: Config, day: date, picks: list[dict[str, Any]]) -> str:
    """Why ``day`` has fewer than ``per_day`` picks, in words; "" when it has them all.

    Asked of the picker again: whoever it would add now from this rotation was
    not wanted or not due when the day was chosen (``per_day`` raised since, say);
    whoever it would add only without the company cap is held back by the cap.
    """
    wanted, cap = config.picking.per_day, config.picking.max_per_company
    if not picks or len(picks) >= wanted:
        return ""
    rows = picks_of(store, day, include_skipped=True)
    taken = [row["contact_key"] for row in rows]
    skipped = [row["contact_key"] for row in rows if row["skipped"]]
    rotation = int(store.meta("rotation", "1"))
    now = choose(store, config, day, taken=taken, skipped=skipped, count=wanted - len(picks))
    if any(chosen.rotation <= rotation for chosen in now.picks):
        return f"the day was chosen when fewer than {wanted} were wanted or due, and a day's picks stay as chosen"
    uncapped = dataclasses.replace(settings_of(config), max_per_company=wanted)
    result = choose(store, config, day, taken=taken, skipped=skipped, count=wanted - len(picks), settings=uncapped)
    held = [chosen for chosen in result.picks if chosen.rotation <= rotation]
    if held:
        return (f"{len(held)} more {'is' if len(held) == 1 else 'are'} due but held back by max_per_company = {cap}"
                " (picking.max_per_company in the config)")
    return ("nobody else is due: the rest are in cooldown, snoozed, excluded or already picked this rotation"
            " (`connect5 contacts list` shows each one's state)")


class NotPicked(LookupError):
    """The contact is not (any more) one of the day's live picks: skipped meanwhile by another command."""


def skip(store: Store, config: Config, day: date, key: str) -> dict[str, Any] | None:
    """Mark ``key`` skipped on ``day`` and add the next in line; returns the replacement (None: nobody left)."""
    with store.atomic():  # read and write under one lock: two skips at once take different slots
        rows = picks_of(store, day, include_skipped=True)
        target = [row for row in rows if row["contact_key"] == key and not row["skipped"]]
        if not target:
            raise NotPicked(key)
        store.execute("UPDATE picks SET skipped = 1, state = 'skipped' WHERE day = ? AND slot = ?",
                      [day.isoformat(), target[0]["slot"]])
        taken = [row["contact_key"] for row in rows]
        skipped = [row["contact_key"] for row in rows if row["skipped"]] + [key]
        slot = max(row["slot"] for row in rows) + 1
        chosen = _choose(store, config, day, taken=taken, skipped=skipped, count=1, first_slot=slot)
    if not chosen:
        return None
    return next(row for row in picks_of(store, day) if row["contact_key"] == chosen[0].key)
