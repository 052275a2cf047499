"""Imports into the store: a read LinkedIn export or vCard file becomes contacts.

The parsers in ``connectors`` read files; this module decides nothing beyond
what the store needs (which contact a vCard enriches is ``rules.names``'
unique-match rule) and returns a summary the CLI prints.
"""

from __future__ import annotations

from typing import Any

from daemon.store import Store


def import_linkedin(store: Store, export) -> dict[str, Any]:
    """Store an ``Export``: contacts as a snapshot of the network, messages as interactions."""
    report = store.import_contacts(export.contacts, source="linkedin", snapshot=True)
    stored, unknown = store.record_touches(export.messages) if export.messages else (0, 0)
    skipped = [str(item) for item in export.skipped]
    skipped += [str(item) for item in export.message_skipped]
    line = (
        f"LinkedIn ({export.format}): {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(export.skipped)} skipped"
        f" ({export.hidden_count} hidden members)"
    )
    if report.vanished:
        line += f", {report.vanished} no longer in the export (kept, marked)"
    notes = []
    if export.messages or export.message_skipped:
        notes.append(
            f"messages: {stored} new interactions, {unknown} with people not in your connections, "
            f"{len(export.message_skipped)} rows skipped"
        )
    with store.atomic():
        store.log_event("info", line, source="import")
    return {
        "line": line,
        "format": export.format,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "vanished": report.vanished,
        "returned": report.returned,
        "hidden": export.hidden_count,
        "skipped": skipped,
        "messages_stored": stored,
        "messages_unknown": unknown,
        "notes": notes,
    }


def import_vcards(store: Store, result, *, add_new: bool = True) -> dict[str, Any]:
    """Enrich contacts a card names uniquely; add cards with addresses as new contacts."""
    from rules.matching import normalise_address
    from rules.names import NameIndex

    index = NameIndex(store.name_pairs())
    addresses = store.address_index()
    enriched = added_emails = 0
    new, ambiguous, notes = [], [], []
    with store.atomic():
        for contact in result.contacts:
            owners = {key for email in contact.emails for key in addresses.get(normalise_address(email), [])}
            keys = sorted(owners) if owners else index.lookup(contact.name)
            if len(keys) == 1:
                added_emails += store.add_emails(keys[0], contact.emails, source="vcard")
                enriched += 1
            elif len(keys) > 1:
                names = ", ".join(sorted({index.name_of(key) for key in keys}))
                ambiguous.append(contact.name)
                notes.append(f"ambiguous: card {contact.name!r} could be {names}; not merged")
                store.add_review("name", contact.name, keys, "vCard name matches several contacts", "vcard")
            elif add_new and contact.emails:
                new.append(contact)
    report = store.import_contacts(new, source="vcard", snapshot=False)
    line = (
        f"vCard: {enriched} cards matched existing contacts ({added_emails} new addresses), "
        f"{report.added} new contacts, {report.unchanged + report.updated} already known, "
        f"{len(ambiguous)} ambiguous, {len(result.skipped)} skipped"
    )
    return {
        "line": line,
        "matched": enriched,
        "emails_added": added_emails + report.emails_added,
        "added": report.added,
        "ambiguous": ambiguous,
        "skipped": [str(item) for item in result.skipped],
        "notes": notes,
    }
