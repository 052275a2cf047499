"""One sync of one source: pull batches, decide with ``rules``, commit items and cursor together.

A batch's interactions, learned addresses, review items, refreshed last-touch
and pick states, and the cursor after the batch all commit in one transaction:
a crash at any point loses nothing and, on restart, repeats nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors import base
from connectors.records import Batch, CalendarItem, MailItem
from daemon import clock
from daemon.config import Config, Source
from daemon.outcomes import refresh_touched
from daemon.paths import Home
from daemon.store import Store

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    source: str
    batches: int = 0
    items: int = 0
    interactions: int = 0
    noise: int = 0
    duplicates: int = 0
    unknown: int = 0  # matched nobody and left nothing to review
    cancelled: int = 0  # meetings stored or marked as cancelled (or declined by you)
    learned: int = 0
    review: int = 0  # open review rows this sync added to (counted at its end: one may be settled meanwhile)
    reviewed: set[int] = field(default_factory=set)
    skipped: int = 0  # inputs the connector could not read (kept for `status`)
    retry_in: float | None = None  # the soonest a connector asked to be synced again (Batch.retry_in)
    resynced: bool = False
    changed_picks: int = 0
    touched: set[str] = field(default_factory=set)


def make_source(source: Source, config: Config, home: Home, keepalive: Callable[[], None] | None = None):
    """The connector of ``source``; ``keepalive`` is called while it waits to retry (see SourceContext)."""
    cls = base.source_class(source.type)
    context = base.SourceContext(
        name=source.name,
        own_addresses=config.own_addresses,
        data_dir=home.data_dir,
        tokens_dir=home.tokens_dir,
        timezone=clock.zone_name(config.me.timezone),
        now=clock.now,
        **({"keepalive": keepalive} if keepalive else {}),
    )
    return cls(source.options, context)


class Matcher:
    """The store's address and name indexes, loaded once per sync and kept current."""

    def __init__(self, store: Store, own: frozenset[str]):
        from rules import linkedin, matching
        from rules.names import NameIndex

        self.own = own
        self.addresses = store.address_index()
        self.names = NameIndex(store.name_pairs())
        # Looked up once per sync: an import statement per item cost ~1 us each.
        self.classify = linkedin.classify
        self.match_mail = matching.match_mail


def sync_source(
    store: Store,
    config: Config,
    home: Home,
    source: Source,
    connector=None,
    progress: Callable[[SyncReport, Batch], None] | None = None,
) -> SyncReport:
    """Pull everything new from ``source``; raises the connector's errors after committing what came."""
    connector = connector or make_source(source, config, home)
    report = SyncReport(source.name)
    matcher = Matcher(store, config.own_addresses)
    zone = clock.zone_name(config.me.timezone)
    cursor = store.cursor(source.name)
    try:
        _pull(store, connector, source, cursor, matcher, report, zone, progress)
    except base.CursorExpired as expired:
        log.warning("%s: cursor expired (%s); resyncing", source.name, expired)
        with store.atomic():
            store.set_cursor(source.name, None, type_name=source.type)
            store.log_event("warning", f"cursor expired, resync: {expired}", source=source.name)
        report.resynced = True
        _pull(store, connector, source, None, matcher, report, zone, progress)
    with store.atomic():
        store.source_state(source.name, synced=True)
    report.review = store.open_reviews(report.reviewed)
    return report


def read_from_start(store: Store, sources: list[str]) -> None:
    """Make the next sync of ``sources`` read from the start, as their first did (their cursors forgotten)."""
    with store.atomic():
        for name in sources:
            store.execute("UPDATE cursors SET cursor = NULL WHERE source = ?", [name])


def _pull(store, connector, source, cursor, matcher, report, zone, progress) -> None:
    for batch in connector.sync(cursor):
        with store.atomic():
            touched: set[str] = set()
            if batch.full_resync and getattr(connector, "kind", "") == "calendar":
                touched |= _forget_calendar(store, source.name)
                report.resynced = True
            for item in batch.items:
                report.items += 1
                if isinstance(item, CalendarItem):
                    touched |= _calendar_item(store, item, matcher, report)
                else:
                    touched |= _mail_item(store, item, matcher, report)
            if touched:
                report.changed_picks += refresh_touched(store, touched, zone)
            for what, reason in batch.skipped:
                store.note_skipped(source.name, what, reason)
            report.skipped += len(batch.skipped)
            if batch.retry_in is not None:
                report.retry_in = min(report.retry_in or batch.retry_in, batch.retry_in)
            store.set_cursor(source.name, batch.cursor, type_name=source.type, items=len(batch.items))
        report.batches += 1
        report.touched |= touched
        if progress:
            progress(report, batch)


def _forget_calendar(store: Store, source: str) -> set[str]:
    """Before a full calendar resync: every upcoming event counts as cancelled until seen again.

    Only events that have not started are forgotten: a resync reads a bounded
    window, and a meeting that already happened stays part of the history even
    when it falls outside that window.
    """
    now = clock.now().isoformat(timespec="seconds")
    rows = store.query(
        "SELECT DISTINCT c.contact_key FROM interactions i JOIN interaction_contacts c ON c.interaction_id = i.id"
        " WHERE i.source = ? AND i.status != 'cancelled' AND i.at >= ?",
        [source, now],
    )
    store.execute("UPDATE interactions SET status = 'cancelled' WHERE source = ? AND at >= ?", [source, now])
    return {row["contact_key"] for row in rows}


def _mail_item(store: Store, item: MailItem, matcher: Matcher, report: SyncReport) -> set[str]:
    if item.deleted:
        return set()
    notice = matcher.classify(item)
    if notice is not None:
        return _linkedin_notice(store, item, notice, matcher, report)
    match = matcher.match_mail(item, matcher.own, matcher.addresses, matcher.names)
    if match.noise:
        report.noise += 1
        return set()
    touched = _remember(store, item, match, matcher, report, _mail_facts(item, "email", match.direction))
    if not match.contacts:
        report.unknown += not match.ambiguous  # what went to review is counted there
        return touched
    if _duplicate(store, item):
        report.duplicates += 1
        return touched
    # Counted when new or changed: a source read again finds what it stored before.
    report.interactions += store.add_interaction(
        source=item.source, external_id=item.external_id, kind="email", direction=match.direction,
        at=item.sent_at, contact_keys=match.contacts, message_id=item.message_id,
    )
    return touched | set(match.contacts)


def _remember(store: Store, item, match, matcher: Matcher, report: SyncReport, facts: dict) -> set[str]:
    """Store what a match could not decide (for review, with ``facts``) and the addresses it learned.

    Returns the contacts credited with items that waited in review for an address learned now.
    """
    for review in match.ambiguous:
        _review(store, review, report, facts)
    touched: set[str] = set()
    for learned in match.learned:
        where = f"{item.source}:{item.external_id}"
        if store.add_emails(learned.contact_key, [learned.address], source="learned", learned_from=where):
            report.learned += 1
            matcher.addresses.setdefault(learned.address, []).append(learned.contact_key)
            credited = store.settle_learned(learned.address, learned.contact_key, where)
            if credited:
                report.interactions += credited
                touched.add(learned.contact_key)
    return touched


def _review(store: Store, review, report: SyncReport, facts: dict) -> None:
    """Open (or see again) a review row and hold the item's ``facts``, to credit it once decided."""
    review_id = store.add_review(review.kind, review.value, list(review.candidates), review.reason, report.source,
                                 item=(facts["source"], facts["external_id"], facts["at"]))
    store.hold_for_review(review_id, **facts)
    report.reviewed.add(review_id)


def _mail_facts(item: MailItem, kind: str, direction: str) -> dict:
    return {"source": item.source, "external_id": item.external_id, "kind": kind, "direction": direction,
            "at": item.sent_at, "message_id": item.message_id}


def _duplicate(store: Store, item: MailItem) -> bool:
    """The same Message-ID already stored under another external id (another folder or source)."""
    if not item.message_id:
        return False
    # "message_id != ''" lets SQLite use the partial index on message_id; without
    # it every matched message scanned the whole table (quadratic in a backfill).
    row = store.db.execute(
        "SELECT source, external_id FROM interactions WHERE message_id = ? AND message_id != '' LIMIT 1",
        [item.message_id],
    ).fetchone()
    return row is not None and tuple(row) != (item.source, item.external_id)


def _linkedin_notice(store: Store, item: MailItem, notice, matcher: Matcher, report: SyncReport) -> set[str]:
    from rules import linkedin

    if notice.kind != "message":
        report.noise += 1
        return set()
    key, review = linkedin.match_notice(notice, matcher.names)
    if review is not None:
        _review(store, review, report, _mail_facts(item, "linkedin", "in"))
    if key is None:
        report.unknown += review is None
        return set()
    if _duplicate(store, item):
        report.duplicates += 1
        return set()
    report.interactions += store.add_interaction(
        source=item.source, external_id=item.external_id, kind="linkedin", direction="in",
        at=item.sent_at, contact_keys=[key], message_id=item.message_id,
    )
    return {key}


def _calendar_item(store: Store, item: CalendarItem, matcher: Matcher, report: SyncReport) -> set[str]:
    from rules import matching

    match = matching.match_event(item, matcher.own, matcher.addresses, matcher.names)
    known = store.db.execute(
        "SELECT id FROM interactions WHERE source = ? AND external_id = ?", [item.source, item.external_id]
    ).fetchone()
    if match.ignored or match.noise:
        report.noise += 1
        if known is None or match.ignored:
            return set()
        return _unlink(store, known[0], keep=())  # a call that grew into a crowd is no call with anyone
    facts = {"source": item.source, "external_id": item.external_id, "kind": "meeting", "direction": "both",
             "at": item.start, "status": match.status, "created": item.created, "updated": item.updated}
    touched = _remember(store, item, match, matcher, report, facts)
    if not match.contacts and known is None:
        report.unknown += not match.ambiguous
        return touched
    if item.status == "cancelled" and known is not None:
        # A cancellation may carry no times (Graph's @removed, an ICS id that vanished):
        # keep the meeting's own start, change only its status.
        store.execute("UPDATE interactions SET status = 'cancelled' WHERE id = ?", [known[0]])
        rows = store.db.execute("SELECT contact_key FROM interaction_contacts WHERE interaction_id = ?", [known[0]])
        report.cancelled += 1
        return touched | {row[0] for row in rows}
    changed = store.add_interaction(
        source=item.source, external_id=item.external_id, kind="meeting", direction="both",
        at=item.start, contact_keys=match.contacts, status=match.status,
        created=item.created, updated=item.updated,
    )
    if match.status == "cancelled":
        report.cancelled += changed
    else:
        report.interactions += changed
    if known is not None:
        # Whoever the meeting no longer has (they declined, were taken off) is no longer
        # meeting us: their link goes, and their pick is looked at again.
        return touched | _unlink(store, known[0], keep=match.contacts) | set(match.contacts)
    return touched | set(match.contacts)


def _unlink(store: Store, interaction_id: int, keep) -> set[str]:
    """Drop the meeting's links to contacts not in ``keep``; returns every contact it was linked to."""
    linked = {row[0] for row in store.db.execute(
        "SELECT contact_key FROM interaction_contacts WHERE interaction_id = ?", [interaction_id])}
    for key in linked - set(keep):
        store.execute("DELETE FROM interaction_contacts WHERE interaction_id = ? AND contact_key = ?",
                      [interaction_id, key])
    return linked
