"""``connect5 review``: matches connect5 did not guess, and the addresses it learned.

``rules.matching`` never guesses: an address several contacts share, or a name
several contacts carry, becomes a row in the ``review`` table. Here the user
lists them and decides:

- ``review assign ID NAME`` teaches the address to that contact (an address
  review, or a name review whose reason names one address) and marks the row
  resolved. Other contacts holding the same address lose it, so it is no longer
  ambiguous; what they lost is kept in the row, so ``forget`` can give it back.
- ``review dismiss ID`` marks the row resolved without teaching anything.
- ``review forget ADDRESS`` undoes learning: the learned rows of ADDRESS go
  (``contact_emails.learned_from`` set), what an assignment took from other
  contacts comes back and its review row is open again.
- ``review --learned`` lists every learned address and where it came from.
"""

from __future__ import annotations

import json
from typing import Any

import click

from daemon.cli import App, UserError, echo_json, json_option
from daemon.commands.common import find_contact
from daemon.reviews import taught_addresses



@click.group(invoke_without_command=True)
@click.option("--learned", is_flag=True, help="List the addresses connect5 learned, and from where.")
@json_option
@click.pass_context
def review(ctx: click.Context, learned: bool, as_json: bool) -> None:
    """List addresses and names that could belong to more than one contact."""
    if ctx.invoked_subcommand:
        return
    store = ctx.find_object(App).store(create=False)
    if learned:
        rows = learned_rows(store)
        _emit(as_json, rows, _learned_lines(rows))
        return
    rows = open_rows(store)
    _emit(as_json, rows, _open_lines(rows))


@review.command()
@click.argument("review_id", metavar="ID", type=int)
@click.argument("name", nargs=-1, required=True)
@json_option
@click.pass_context
def assign(ctx: click.Context, review_id: int, name: tuple[str, ...], as_json: bool) -> None:
    """Say that review ID is NAME (a candidate's name, or any contact's name or key)."""
    app = ctx.find_object(App)
    store = app.store(create=False)
    row = _open_row(store, review_id)
    contact = _chosen(store, row, " ".join(name))
    result = assign_review(store, row, contact["key"], _zone(app))
    taught = ", ".join(result["taught"]) or "nothing to learn"
    line = f"#{review_id} {row['value']!r} is {contact['name']}: {taught}"
    if result["credited"]:
        line += f"; {_count(result['credited'], 'earlier item')} credited to them"
    others = [item for item in result["removed"] if item["contact_key"] != contact["key"]]
    if others:
        line += f" (taken from {len(others)} other contacts; undo with `connect5 review forget`)"
    _emit(as_json, {"id": review_id, "contact": contact["name"], **result}, [line])


@review.command()
@click.argument("review_id", metavar="ID", type=int)
@json_option
@click.pass_context
def dismiss(ctx: click.Context, review_id: int, as_json: bool) -> None:
    """Leave review ID unresolved for good: nothing is learned."""
    from daemon.store import utc_now

    store = ctx.find_object(App).store(create=False)
    row = _open_row(store, review_id)
    with store.atomic():
        store.execute("UPDATE review SET resolved = ? WHERE id = ?",
                      [json.dumps({"action": "dismissed", "at": utc_now()}), review_id])
        store.drop_held(review_id)
    _emit(as_json, {"id": review_id, "dismissed": True}, [f"#{review_id} {row['value']!r}: dismissed"])


@review.command()
@click.argument("address")
@json_option
@click.pass_context
def forget(ctx: click.Context, address: str, as_json: bool) -> None:
    """Undo what was learned about ADDRESS (by a sync or by `review assign`)."""
    app = ctx.find_object(App)
    store = app.store(create=False)
    result = forget_address(store, address, _zone(app))
    if not result["forgotten"]:
        raise UserError(f"{address!r} is not a learned address (see `connect5 review --learned`)")
    names = ", ".join(item["name"] for item in result["forgotten"])
    line = f"{result['address']}: no longer {names}"
    if result["restored"]:
        line += f"; {len(result['restored'])} earlier addresses restored, review reopened"
    _emit(as_json, result, [line])


def _zone(app: App) -> str:
    from daemon import clock

    return clock.zone_name(app.config.me.timezone)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# -- reading ----------------------------------------------------------------


def open_rows(store) -> list[dict[str, Any]]:
    """Unresolved review rows, newest first, with the candidates' names."""
    rows = store.query(
        "SELECT id, kind, value, candidates, reason, source, first_seen, last_seen, seen,"
        " (SELECT max(at) FROM review_held h WHERE h.review_id = review.id) AS latest_at FROM review"
        " WHERE resolved IS NULL ORDER BY last_seen DESC, id DESC"
    )
    for row in rows:
        keys = json.loads(row["candidates"])
        row["candidates"] = [_candidate(store, key) for key in keys]
    return rows


def _candidate(store, key: str) -> dict[str, str]:
    contact = store.contact(key)
    if contact is None:
        return {"key": key, "name": key, "company": ""}
    return {"key": key, "name": contact["name"], "company": contact["company"]}


def learned_rows(store) -> list[dict[str, Any]]:
    return store.query(
        "SELECT e.email, e.contact_key, c.name, e.source, e.learned_from, e.added_at FROM contact_emails e"
        " LEFT JOIN contacts c ON c.key = e.contact_key WHERE e.learned_from IS NOT NULL"
        " ORDER BY e.added_at DESC, e.email"
    )


def _open_row(store, review_id: int) -> dict[str, Any]:
    rows = store.query("SELECT * FROM review WHERE id = ?", [review_id])
    if not rows:
        raise UserError(f"no review #{review_id} (see `connect5 review`)")
    if rows[0]["resolved"] is not None:
        raise UserError(f"review #{review_id} is already resolved")
    return rows[0]


def _chosen(store, row: dict[str, Any], name: str) -> dict[str, Any]:
    """The candidate NAME means; any other contact when no candidate fits."""
    from rules.names import NameIndex

    keys = json.loads(row["candidates"])
    if name in keys:
        return store.contact(name)
    pairs = [(key, contact["name"]) for key in keys if (contact := store.contact(key))]
    found = NameIndex(pairs).prefix_lookup(name)
    if len(found) == 1:
        return store.contact(found[0])
    if len(found) > 1:
        raise UserError(f"{name!r} is more than one candidate of #{row['id']}; give the contact key instead: "
                        + ", ".join(found))
    return find_contact(store, name)


# -- deciding ---------------------------------------------------------------


def assign_review(store, row: dict[str, Any], key: str, zone: str | None = None) -> dict[str, Any]:
    """Teach ``row``'s address to ``key``, take it from other holders, mark the row resolved.

    The items the row held (the messages and events that raised it) become
    ``key``'s interactions, so last-in-touch and the funnel count them.
    """
    from daemon.outcomes import refresh_touched
    from daemon.store import utc_now

    taught, removed = [], []
    with store.atomic():
        for address in taught_addresses(row):
            # Every holder's row is kept in the review row, the chosen contact's too (its
            # imported row becomes a learned one), so ``forget`` restores exactly what was.
            for holder in store.query("SELECT * FROM contact_emails WHERE email = ?", [address]):
                removed.append(holder)
                store.execute("DELETE FROM contact_emails WHERE email = ? AND contact_key = ?",
                              [address, holder["contact_key"]])
            store.add_emails(key, [address], source="review", learned_from=f"review:{row['id']}")
            taught.append(address)
        if row["kind"] == "name" and not taught and not _shared_name(store, row["value"]):
            # A name that is no one's exact name ("Bob" for Bob Stone) now means this
            # contact. A name several contacts carry never does: that would send every
            # later message under it to the one chosen here; each goes to review instead.
            store.add_alias(row["value"], key, source=f"review:{row['id']}")
        credited = store.credit_held(row["id"], key)
        also, credited_with_them = _settle_siblings(store, row["id"], taught, key)
        refresh_touched(store, [key], zone)
        resolved = {"action": "assigned", "contact_key": key, "at": utc_now(), "taught": taught, "removed": removed,
                    "credited": credited, "also": also}
        store.execute("UPDATE review SET resolved = ? WHERE id = ?", [json.dumps(resolved), row["id"]])
        store.log_event("info", f"review #{row['id']} assigned to {key}", source="review")
    return {"taught": taught, "removed": removed, "credited": len(credited) + credited_with_them, "settled": also}


def _settle_siblings(store, review_id: int, taught: list[str], key: str) -> tuple[list[int], int]:
    """Open reviews about an address just taught (the same sender under another name): decided with it.

    Their held items are credited to ``key``; ``_reopen`` of ``review_id`` opens them again.
    Returns their ids and how many items crediting them added.
    """
    from daemon.store import utc_now

    if not taught:
        return [], 0
    settled, count = [], 0
    for other in store.query("SELECT * FROM review WHERE resolved IS NULL AND id != ?", [review_id]):
        if not set(taught_addresses(other)) & set(taught):
            continue
        credited = store.credit_held(other["id"], key)
        resolved = {"action": "assigned", "contact_key": key, "at": utc_now(), "taught": [], "removed": [],
                    "credited": credited, "with": review_id}
        store.execute("UPDATE review SET resolved = ? WHERE id = ?", [json.dumps(resolved), other["id"]])
        settled.append(other["id"])
        count += len(credited)
    return settled, count


def _shared_name(store, name: str) -> bool:
    """True when two or more contacts are called ``name`` (as names are compared)."""
    from rules.names import normalise_name

    wanted = normalise_name(name)
    carriers = [key for key, other in store.db.execute("SELECT key, name FROM contacts") if normalise_name(other) == wanted]
    return len(carriers) > 1


def forget_address(store, address: str, zone: str | None = None) -> dict[str, Any]:
    """Remove the learned rows of ``address``; give back what a review assignment took."""
    from rules.matching import normalise_address

    wanted = normalise_address(address)
    forgotten = store.query(
        "SELECT e.email, e.contact_key, e.learned_from, coalesce(c.name, e.contact_key) AS name"
        " FROM contact_emails e LEFT JOIN contacts c ON c.key = e.contact_key"
        " WHERE e.email = ? AND e.learned_from IS NOT NULL",
        [wanted],
    )
    restored: list[dict[str, Any]] = []
    with store.atomic():
        for row in forgotten:
            store.execute("DELETE FROM contact_emails WHERE email = ? AND contact_key = ?",
                          [row["email"], row["contact_key"]])
            if row["learned_from"].startswith("review:"):
                restored += _reopen(store, int(row["learned_from"].split(":", 1)[1]), zone)
            for review_id in store.settled_by_learning(row["email"], row["contact_key"]):
                _reopen(store, review_id, zone)  # a sync's learning decided it: open again, credit taken back
        if forgotten:
            store.log_event("info", f"forgot a learned address ({len(forgotten)} rows)", source="review")
    return {"address": wanted, "forgotten": forgotten, "restored": restored}


def _reopen(store, review_id: int, zone: str | None = None) -> list[dict[str, Any]]:
    from daemon.outcomes import refresh_touched

    rows = store.query("SELECT resolved FROM review WHERE id = ?", [review_id])
    if not rows or not rows[0]["resolved"]:
        return []
    resolved = json.loads(rows[0]["resolved"])
    removed = resolved.get("removed", [])
    if resolved.get("credited"):
        key = resolved["contact_key"]
        store.uncredit(review_id, key, resolved["credited"])
        refresh_touched(store, [key], zone)
    for item in removed:
        store.execute(
            "INSERT OR IGNORE INTO contact_emails (email, contact_key, source, learned_from, added_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [item["email"], item["contact_key"], item["source"], item["learned_from"], item["added_at"]],
        )
    store.execute("DELETE FROM contact_aliases WHERE source = ?", [f"review:{review_id}"])
    store.execute("UPDATE review SET resolved = NULL WHERE id = ?", [review_id])
    for sibling in resolved.get("also", []):
        _reopen(store, sibling, zone)
    return removed


# -- showing ----------------------------------------------------------------


def _open_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["nothing to review"]
    lines = [f"{len(rows)} to review (connect5 review assign ID NAME, or dismiss ID)"]
    for row in rows:
        names = [candidate["name"] for candidate in row["candidates"]]
        shown = []
        for candidate in row["candidates"]:
            text = candidate["name"] + (f" ({candidate['company']})" if candidate["company"] else "")
            if names.count(candidate["name"]) > 1:
                text += f" [{candidate['key']}]"
            shown.append(text)
        times = "once" if row["seen"] == 1 else f"{row['seen']} times"
        # The date of the newest message or event it holds, which is what a person remembers;
        # when it was seen (a sync, an import) only when it holds none.
        last = f"latest {row['latest_at'][:10]}" if row["latest_at"] else f"last {row['last_seen'][:10]}"
        lines += [
            f"#{row['id']} {row['kind']} {row['value']!r}: seen {times} in {row['source'] or 'an import'}, {last}",
            f"    could be: {', '.join(shown)}",
            f"    why: {row['reason']}",
        ]
    return lines


def _learned_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["no learned addresses"]
    lines = [f"{len(rows)} learned addresses (undo with `connect5 review forget ADDRESS`)"]
    for row in rows:
        lines.append(f"{row['email']}  {row['name'] or row['contact_key']}  from {row['learned_from']},"
                     f" {row['added_at'][:10]}")
    return lines


def _emit(as_json: bool, data: Any, lines: list[str]) -> None:
    if as_json:
        echo_json(data)
        return
    for line in lines:
        click.echo(line)
