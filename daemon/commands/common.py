"""What several commands share: finding a contact by name, the day, JSON output, text that fits the terminal."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from daemon import clock
from daemon.cli import App, UserError, parse_day


def today_for(app: App, given: str | None = None) -> date:
    if given:
        return parse_day(given)
    return clock.local_day(clock.now(), clock.zone_name(app.config.me.timezone))


def as_typed(text: str) -> str:
    """``text`` from the command line, bytes that are not UTF-8 (a Latin-1 terminal's "ü") shown as U+FFFD.

    Python hands them over as lone surrogates, which no name has and SQLite refuses.
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def find_contact(store, query: str, picked=()) -> dict[str, Any]:
    """The one contact ``query`` names: exact key or profile URL, else a unique name or prefix.

    A name several contacts fit means the one of them among ``picked`` (the day's
    five, the list the user reads it from) when exactly one is.
    """
    query = as_typed(query)
    row = contact_by_key(store, query.strip())
    if row is not None:
        return row
    index = _name_index(store)
    keys = lookup_name(index, query)
    if not keys:
        raise UserError(f"no contact matches {query!r} (try `connect5 contacts list`)")
    if len(keys) > 1 and len(on_the_list := [key for key in keys if key in set(picked)]) == 1:
        keys = on_the_list
    if len(keys) > 1:
        raise UserError(_ambiguous(store, index, query, keys))
    return store.contact(keys[0])


def lookup_name(index, query: str) -> list[str]:
    """The keys ``query`` names in ``index`` (``NameIndex.prefix_lookup``), narrowed to the one spelled as typed.

    Names are found without case and accents, so "Jürgen Groß" also finds Jurgen Gross;
    when exactly one of them is written as typed (case aside, accents counted), that one
    is meant: there is nothing more of the name to say.
    """
    keys = index.prefix_lookup(query)
    if len(keys) > 1:
        typed = _spelling(query)
        for written_as_typed in (lambda name: name == typed, lambda name: _words_begin(name, typed)):
            spelled = [key for key in keys if written_as_typed(_spelling(index.name_of(key)))]
            if len(spelled) == 1:
                return spelled
    return keys


def _words_begin(name: str, typed: str) -> bool:
    """Whether every typed word begins a word of ``name`` ("jürgen", "groß" for Jürgen Groß)."""
    words = name.split()
    return all(any(word.startswith(part) for word in words) for part in typed.split())


def _spelling(text: str) -> str:
    import unicodedata

    # NFC: a terminal may send "ë" as "e" and a combining mark. lower(), not casefold():
    # casefold makes "Groß" "gross", and ß is the very accent that tells them apart.
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def find_contact_in(store, words: tuple[str, ...] | list[str], what: str) -> tuple[dict[str, Any], list[str]]:
    """The contact the leading ``words`` name (at least one word left over), and the rest.

    For commands whose name is followed by more words (``tag Zoë Øster mentor``). A first
    word with a space in it was quoted: it is the name, all of it. Otherwise the name is the
    longest run of leading words that names one contact and ends in a word of their name
    as written (see ``_ends_in_the_name``). When no run does, the error is the one for all
    but the last word.
    """
    from rules.names import normalise_name

    words = [as_typed(word) for word in words]
    if len(words[0].split()) > 1:
        return find_contact(store, words[0]), list(words[1:])
    index = _name_index(store)
    for size in range(len(words), 0, -1):
        row = _named_by(store, index, words[:size])
        if row is None:
            continue
        if size < len(words):
            return row, list(words[size:])
        whole, name = " ".join(words), row["name"]
        if normalise_name(name) == normalise_name(whole):
            # Every word is the name ("tag Mary Anne Jones"): a shorter name plus a tag would be a guess.
            quote = ""
            if normalise_name(" ".join(words[:-1])) == normalise_name(whole):  # "Ann Lee PhD" for Ann Lee, PhD
                quote = f" (or quote the name: connect5 tag \"{' '.join(words[:-1])}\" {words[-1]})"
            raise click.UsageError(f"{whole!r} is the whole name of {name}; say {what} after it{quote}")
        # All the words still name one person ("tag Mary Anne" for Mary Anne Jones): where the
        # name ends is anyone's guess, so say it with quotes.
        raise click.UsageError(f"{whole!r} could all be the name of {name}; quote the name and say {what} after it"
                               f" (connect5 tag \"{' '.join(words[:-1])}\" {words[-1]})")
    return find_contact(store, " ".join(words[:-1])), list(words[-1:])


def _named_by(store, index, words: tuple[str, ...] | list[str]) -> dict[str, Any] | None:
    """The one contact ``words`` name, by key or profile URL or a name ending in a word of theirs; else None."""
    query = " ".join(words)
    row = contact_by_key(store, query.strip())
    if row is not None:
        return row
    if not words[-1].strip():
        return None  # a blank last word is no name's part: the caller says what is wrong with it
    keys = lookup_name(index, query)
    if len(keys) != 1 or not _ends_in_the_name(words[-1], index.name_of(keys[0])):
        return None
    return store.contact(keys[0])


def _ends_in_the_name(word: str, name: str) -> bool:
    """Whether ``word``, the last typed of a name, is written in ``name`` (or starts a word of it).

    Names are found without credentials, pronouns and emoji ("Ann Lee phd" finds Ann
    Lee), but a word typed after a name that the name does not contain is no part of it:
    in ``tag Ann Lee phd`` it is the tag. "Ann Lee, PhD" does contain it.
    """
    from rules.names import text_words

    typed = [part.casefold() for part in text_words(word)]
    written = [part.casefold() for part in text_words(name)]
    return (bool(typed) and all(part in written for part in typed[:-1])
            and any(part.startswith(typed[-1]) for part in written))


def contact_by_key(store, query: str) -> dict[str, Any] | None:
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
    names = {index.name_of(key) for key in keys}
    named = f" named {names.pop()}" if len(names) == 1 else ""
    return f"{query!r} matches {len(keys)} contacts{named}: {tell_apart(store, index, keys)}"


def tell_apart(store, index, keys: list[str]) -> str:
    """The candidates ``keys`` (those of one name with company and profile URL), and what to say to pick one."""
    from collections import Counter

    from rules.names import normalise_name

    keys = sorted(keys, key=index.name_of)
    normalised = {key: normalise_name(index.name_of(key)) for key in keys}
    shared = Counter(normalised.values())
    people = []
    for key in keys[:8]:
        if shared[normalised[key]] == 1:
            people.append(index.name_of(key))
            continue
        row = store.contact(key)
        detail = ", ".join(part for part in (row["company"], row["profile_url"] or key) if part)
        people.append(f"{index.name_of(key)} ({detail})")
    shown = "; ".join(people) + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")
    if len(shared) > 1:
        more = " (or, for one of several of the same name, the profile URL)" if max(shared.values()) > 1 else ""
        return f"{shown}; say more of the name{more}"
    spellings = {_spelling(index.name_of(key)) for key in keys}
    if len(spellings) == len(keys):
        # Jürgen Groß and Jurgen Gross: the name as written, accents and all, tells them apart.
        return f"{shown}; say the name exactly as written, accents and all, or the profile URL"
    # The same name twice or more: only the profile URL (or key) tells them apart.
    return f"{shown}; say which by profile URL"


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
    import unicodedata

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
