"""Imports into the store: a read LinkedIn export or vCard file becomes contacts.

The parsers in ``connectors`` read files; this module decides nothing beyond
what the store needs (which contact a vCard enriches is ``rules.names``'
unique-match rule) and returns a summary the CLI prints.
"""

from __future__ import annotations

from typing import Any

from daemon.store import Store


# Sources cheap to read again (local files): after an import that adds people they are,
# so mail and meetings read before, when nobody in them was known, are matched now.
LOCAL_TYPES = frozenset({"maildir", "ics"})


def _read_again_for_new_people(store: Store) -> list[str]:
    """Notes on reading again the sources synced before new people came: local ones now, remote ones on request."""
    rows = store.query("SELECT source, type FROM cursors WHERE cursor IS NOT NULL ORDER BY source")
    local = [row["source"] for row in rows if row["type"] in LOCAL_TYPES]
    remote = [row["source"] for row in rows if row["type"] not in LOCAL_TYPES]
    notes = []
    if local:
        from daemon.sync import read_from_start

        read_from_start(store, local)
        notes.append(f"{', '.join(local)}: read again from the start at the next sync, to find the new people"
                     " in what was read before")
    for name in remote:
        notes.append(f"{name}: `connect5 sync --again {name}` reads it again to find the new people in it")
    return notes


# An export that lacks this many people who connected after its own newest
# connection is older than the network imported before (people seldom remove
# their newest connections).
LATER_MISSING = 3


class RefusedExportError(Exception):
    """An export that would mark much of the network gone by mistake: nothing imported; the message says why."""


class EmptyExportError(RefusedExportError):
    """An export without a single contact would mark the whole network gone: refused."""


def import_linkedin(store: Store, export, *, mark_gone: str = "guarded") -> dict[str, Any]:
    """Store an ``Export``: contacts as a snapshot of the network, messages as interactions.

    An export holding nobody (a file cut after its header, every row damaged) is
    refused when the store has a network: as a snapshot it would mark everyone gone.
    While ``mark_gone`` is "guarded", so is one that would mark more than half of
    the network gone, or that looks older than the network (``LATER_MISSING``):
    an old export picked up by mistake, or a file of a few people to add. With
    "none" nobody is marked gone; with "all" the export is the network, as it says.
    """
    if not export.contacts:
        kept = store.db.execute(
            "SELECT count(*) FROM contacts WHERE source = 'linkedin' AND missing_since IS NULL"
        ).fetchone()[0]
        gone = f", and nobody marked gone ({kept} in your network)" if kept else ""
        raise EmptyExportError(
            f"the export holds no contacts ({len(export.skipped)} rows skipped); nothing imported{gone}"
        )
    if mark_gone == "guarded":
        _refuse_a_shrinking_export(store, export.contacts)
    report = store.import_contacts(export.contacts, source="linkedin", snapshot=mark_gone != "none")
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
    if report.returned:
        line += f", {report.returned} back in the export"
    notes = []
    if export.messages or export.message_skipped:
        notes.append(
            f"messages: {stored} new interactions, {unknown} with people not in your connections, "
            f"{len(export.message_skipped)} rows skipped"
        )
    if report.added or report.returned:
        notes += _read_again_for_new_people(store)
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


def _refuse_a_shrinking_export(store: Store, contacts) -> None:
    keys = {contact.key for contact in contacts}
    kept = store.db.execute(
        "SELECT key, connected_on FROM contacts WHERE source = 'linkedin' AND missing_since IS NULL").fetchall()
    missing = [(key, connected) for key, connected in kept if key not in keys]
    dates = [contact.connected_on for contact in contacts if contact.connected_on]
    newest = max(dates).isoformat() if dates else None
    later = [key for key, connected in missing if newest and connected and connected > newest]
    if len(missing) * 2 <= len(kept) and len(later) < LATER_MISSING:
        return
    if len(later) >= LATER_MISSING:
        # Older: adding it would bring back who left since and old jobs, so --add-only is no cure.
        raise RefusedExportError(
            f"nothing imported: it looks older than the network you imported ({len(later)} people connected"
            f" after its newest connection, {newest}, and it lacks {len(missing)} of your {len(kept)});"
            " import a newer export, or --mark-gone takes it as your whole network all the same")
    raise RefusedExportError(
        f"nothing imported: it lacks {len(missing)} of the {len(kept)} people in your network. A file of a few"
        " people? --add-only adds and updates them, marking nobody gone; --mark-gone takes it as your whole"
        " network and marks the rest gone")


def import_vcards(
    store: Store, result, *, add_new: bool = True, own_addresses=(), own_profile: str = ""
) -> dict[str, Any]:
    """Enrich the contact a card names uniquely; add cards with addresses as new contacts.

    A card is matched by its LinkedIn profile URL first, then by its addresses,
    then by its name (and, failing that, by given and family name alone, so a
    middle name does not hide someone). Several candidates are listed for review,
    never guessed. Cards carrying one of ``own_addresses`` (or ``own_profile``)
    are the user's own and are skipped.
    """
    from rules.matching import normalise_address
    from rules.names import NameIndex

    own = {normalise_address(address) for address in own_addresses}
    index = NameIndex(store.name_pairs())
    addresses = store.address_index()
    enriched = added_emails = 0
    new, ambiguous, own_cards, nothing, notes = [], [], [], [], []
    with store.atomic():
        for contact in result.contacts:
            if own & {normalise_address(email) for email in contact.emails} or (
                own_profile and contact.profile_url == own_profile
            ):
                own_cards.append(contact.name)
                notes.append(f"skipped card {contact.name!r}: your own card (it carries an address or profile in [me])")
                continue
            keys = _card_matches(store, contact, addresses, index, normalise_address)
            if len(keys) == 1:
                added_emails += store.add_emails(keys[0], contact.emails, source="vcard")
                enriched += 1
            elif len(keys) > 1:
                names = ", ".join(_described(store, key, index) for key in keys)
                ambiguous.append(contact.name)
                notes.append(f"ambiguous: card {contact.name!r} could be {names}; not merged")
                reason = "vCard name matches several contacts"
                value = contact.name
                if contact.emails:
                    reason += f"; the card's addresses: {', '.join(contact.emails)}"
                    # One question per card, not per name: a second "Sam Smith" card with other
                    # addresses is a new question, even after the first one was answered.
                    value += f" <{', '.join(sorted(contact.emails))}>"
                store.add_review("name", value, keys, reason, "vcard")
            elif add_new and contact.emails:
                new.append(contact)
            else:
                nothing.append(contact.name)
                why = "it matches no contact and has no e-mail address" if add_new else "it matches no contact"
                notes.append(f"skipped card {contact.name!r}: nothing to add ({why})")
    report = store.import_contacts(new, source="vcard", snapshot=False)
    from rules.stats import counted

    if added_emails or report.added or report.emails_added:
        notes += _read_again_for_new_people(store)

    line = (
        f"vCard: {counted(enriched, 'card')} matched existing contacts ({counted(added_emails, 'new address', 'new addresses')}), "
        f"{report.added} new contacts, {report.unchanged + report.updated} already known, "
        f"{len(ambiguous)} ambiguous, {len(result.skipped)} skipped"
    )
    if nothing:
        line += f", {len(nothing)} with nothing to add"
    if own_cards:
        line += f", {len(own_cards)} your own card" + ("s" if len(own_cards) > 1 else "")
    return {
        "line": line,
        "matched": enriched,
        "emails_added": added_emails + report.emails_added,
        "added": report.added,
        "ambiguous": ambiguous,
        "own_cards": own_cards,
        "nothing_to_add": nothing,
        "skipped": [str(item) for item in result.skipped],
        "notes": notes,
    }


def _card_matches(store: Store, contact, addresses: dict[str, list[str]], index, normalise_address) -> list[str]:
    """The keys a card may belong to: by profile URL, else addresses, else name."""
    if contact.profile_url:
        rows = store.query(
            "SELECT key FROM contacts WHERE key = ? OR profile_url = ? ORDER BY key",
            [contact.profile_url, contact.profile_url],
        )
        if rows:
            return [row["key"] for row in rows]
    owners = {key for email in contact.emails for key in addresses.get(normalise_address(email), [])}
    if owners:
        return sorted(owners)
    keys = index.lookup(contact.name)
    if not keys and contact.first_name and contact.last_name:  # "Grace Brewster Murray Hopper"
        keys = index.lookup(f"{contact.first_name} {contact.last_name}")
    return keys


def _described(store: Store, key: str, index) -> str:
    """A candidate as the user can tell them apart: name, company, profile URL."""
    row = store.contact(key) or {}
    details = [part for part in (row.get("company"), row.get("profile_url") or key) if part]
    return f"{index.name_of(key)} ({', '.join(details)})"
