"""What several commands share: finding a contact by name, the day, JSON output, text that fits the terminal."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import click

from daemon import clock
from daemon.cli import App, UserError


def today_for(app: App, given: str | None = None) -> date:
    if given:
        try:
            return date.fromisoformat(given)
        except ValueError:
            raise click.BadParameter(f"{given!r} is not YYYY-MM-DD", param_hint="--date") from None
    return clock.local_day(clock.now(), clock.zone_name(app.config.me.timezone))


def find_contact(store, query: str) -> dict[str, Any]:
    """The one contact ``query`` names: exact key or profile URL, else a unique name or prefix."""
    row = _by_key(store, query.strip())
    if row is not None:
        return row
    index = _name_index(store)
    keys = index.prefix_lookup(query)
    if not keys:
        raise UserError(f"no contact matches {query!r} (try `connect5 contacts list`)")
    if len(keys) > 1:
        raise UserError(_ambiguous(store, index, query, keys))
    return store.contact(keys[0])


def find_contact_in(store, words: tuple[str, ...] | list[str], what: str) -> tuple[dict[str, Any], list[str]]:
    """The contact named by the longest run of leading ``words`` (at least one word left over), and the rest.

    For commands whose name is followed by more words (``tag Zoë Øster mentor``).
    When no run names exactly one contact, the error is the one for all but the last word.
    """
    from rules.names import normalise_name

    index = _name_index(store)
    whole = " ".join(words)
    # (A blank last word is no name's part: the tag check says what is wrong with it.)
    everyone = index.prefix_lookup(whole) if words[-1].strip() else []
    if len(everyone) == 1 and normalise_name(index.name_of(everyone[0])) == normalise_name(whole):
        # Every word is the name ("tag Mary Anne Jones"): a shorter name plus a tag would be a guess.
        raise click.UsageError(f"{whole!r} is the whole name of {index.name_of(everyone[0])}; say {what} after it")
    if len(everyone) == 1:
        # All the words still name one person ("tag Mary Anne" for Mary Anne Jones): where the
        # name ends is anyone's guess, so say it with quotes.
        name = index.name_of(everyone[0])
        raise click.UsageError(f"{whole!r} could all be the name of {name}; quote the name and say {what} after it"
                               f" (connect5 tag \"{' '.join(words[:-1])}\" {words[-1]})")
    for size in range(len(words) - 1, 0, -1):
        query = " ".join(words[:size])
        row = _by_key(store, query.strip())
        if row is None:
            keys = index.prefix_lookup(query)
            row = store.contact(keys[0]) if len(keys) == 1 else None
        if row is not None:
            return row, list(words[size:])
    return find_contact(store, " ".join(words[:-1])), list(words[-1:])


def _by_key(store, query: str) -> dict[str, Any] | None:
    """The contact whose key or profile URL is ``query`` (any spelling of a LinkedIn profile URL)."""
    row = store.contact(query)
    if row is not None or "/" not in query:
        return row
    if "linkedin.com" in query.lower():
        from connectors.linkedin import normalise_profile_url

        try:
            row = store.contact(normalise_profile_url(query))
        except ValueError:
            row = None
        if row is not None:
            return row
    trimmed = query.split("?", 1)[0].rstrip("/")
    rows = store.query("SELECT * FROM contacts WHERE key = ? OR lower(profile_url) = lower(?)"
                       " OR lower(rtrim(profile_url, '/')) = lower(?) LIMIT 1", [trimmed, trimmed, trimmed])
    return rows[0] if rows else None


def _name_index(store):
    from rules.names import NameIndex

    return NameIndex(store.db.execute("SELECT key, name FROM contacts").fetchall())


def _ambiguous(store, index, query: str, keys: list[str]) -> str:
    names = sorted(index.name_of(key) for key in keys)
    if len(set(names)) == 1:
        # The same name twice or more: only the profile URL (or key) tells them apart.
        people = []
        for key in keys[:8]:
            row = store.contact(key)
            detail = ", ".join(part for part in (row["company"], row["profile_url"] or key) if part)
            people.append(f"{row['name']} ({detail})")
        return (f"{query!r} matches {len(keys)} contacts named {names[0]}: {'; '.join(people)}; "
                "say which by profile URL")
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return f"{query!r} matches {len(keys)} contacts: {shown}; say more of the name"


def json_option(function):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(function)


# -- text that fits the terminal --------------------------------------------------


def output_width() -> int | None:
    """The terminal's width in columns (``COLUMNS`` wins), or None when a script reads the output: cut nothing."""
    import os
    import shutil
    import sys

    if not os.environ.get("COLUMNS") and not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def display_width(text: str) -> int:
    """The columns ``text`` takes in a terminal (山田 four, Zoë three however its ë is spelled)."""
    if text.isascii():  # most names, and 30,000 of them are listed at once
        return len(text)
    return sum(_character_width(character) for character in text)


def _character_width(character: str) -> int:
    # East Asian wide and fullwidth characters (CJK, most emoji) take two columns; combining
    # marks and format characters (accents spelled apart, variation selectors, zero-width
    # joiners) take none: https://www.unicode.org/reports/tr11/
    if unicodedata.category(character) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1


def fit(text: str, width: int) -> str:
    """``text`` in at most ``width`` columns, ending in "…" where it was cut."""
    if display_width(text) <= width:
        return text
    if width < 1:
        return ""
    kept, used = [], 0
    for character in text:
        used += _character_width(character)
        if used > width - 1:
            break
        kept.append(character)
    return "".join(kept).rstrip() + "…"


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` columns."""
    return text + " " * max(0, width - display_width(text))
