"""Human names made comparable, and an index that finds contacts by name.

``normalise_name`` turns what people and services write into a name ("Dr. José
Q. Álvarez, PhD (he/him) 🚀", "Álvarez, José", "José Álvarez via LinkedIn")
into one comparable form ("jose alvarez"). ``NameIndex`` maps normalised names
to contact keys: ``lookup`` is exact (callers decide unique / ambiguous / none),
``prefix_lookup`` serves the command line, ``find_in_text`` finds full names
inside free text such as a calendar title.

What is dropped, and why:

- accents and letter variants (NFKD, then a few letters NFKD keeps: ø, ł, æ ...),
  case (``casefold``: ß == ss);
- anything in brackets: pronouns "(she/her)" and nicknames "(Kit)" as LinkedIn
  shows them; bare pronouns "she/her" too;
- a "Last, First" comma form is turned round; otherwise everything after the
  first comma is a credential or suffix (", PhD", ", CSSGB®, ITIL V4®");
- trailing credentials without a comma: the unambiguous ones ("PhD", "MBA",
  "PMP", "Jr") in any case; short ones that are also surnames ("Ma", "Do",
  "Md") only when written in capitals;
- leading titles ("Dr.", "Prof.", "Mr"), a trailing "via LinkedIn", single
  letter middle initials, emoji, symbols and punctuation; apostrophes join
  ("O'Brien" == "OBrien"), hyphens separate ("Jean-Luc" == "Jean Luc").

A title or credential is never dropped when it is the only word left.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable

logger = logging.getLogger(__name__)

# Unambiguous credentials and suffixes: dropped at the end of a name in any case.
STRONG_CREDENTIALS = frozenset(
    """
    phd mba cpa pmp cfa cfp cma cia cisa cism cissp ccna ccnp ccie csm cspo psm
    safe itil llm llb msc bsc meng beng mphil dphil edd psyd pharmd dds dmd frcs
    mrcp mbbs faia aia leed shrm sphr acca fca mcse mcsa esq jr sr
    """.split()
)
# Credentials that are also names ("Jack Ma", "Anh Do"): dropped only when
# written in capitals or after a comma.
WEAK_CREDENTIALS = frozenset("ma md ms do ba bs ms mfa mph jd rn pe ea cc ii iii iv".split())
_KNOWN_CREDENTIALS = STRONG_CREDENTIALS | WEAK_CREDENTIALS
TITLES = frozenset("dr doctor prof professor mr mrs ms mx miss sir dame".split())
CREDENTIAL_MARKS = "®™©"
PRONOUNS = "she|her|hers|he|him|his|they|them|theirs|their|ze|zir|xe|xem|it|its|any"

# ASCII letters and single spaces: most names, and the fast path for indexing.
_SIMPLE = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
_TWO_WORDS = re.compile(r"[A-Za-z]+ [A-Za-z]+")
_PRONOUN_WORDS = frozenset(PRONOUNS.split("|"))
_BRACKETS = re.compile(r"\([^()]*\)?|\[[^\[\]]*\]?|\{[^{}]*\}?")
_BARE_PRONOUNS = re.compile(rf"\b(?:{PRONOUNS})(?:\s*/\s*(?:{PRONOUNS}))+\b", re.IGNORECASE)
_TAGLINE = re.compile(r"\s*[|•]\s*.*$|\s[–—·]\s.*$")
# Letters NFKD does not decompose but people type without the accent.
_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
                          "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th",
                          "Þ": "Th", "ð": "d", "Ð": "D", "ħ": "h", "Ħ": "H"})
_APOSTROPHES = re.compile(r"['’‘`´ʼ]")
# Accents: the combining diacritical marks NFKD splits off Latin, Greek and
# Cyrillic letters. Other scripts' marks (Devanagari, Thai ...) are spelling and stay.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_ASCII_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")


def normalise_name(text: str) -> str:
    """The comparable form of a human name: lower-case words separated by one space."""
    if _TWO_WORDS.fullmatch(text):
        # The common case ("Ada Lovelace"), kept fast for indexing 30,000 names.
        lowered = text.lower()
        first, _, last = lowered.partition(" ")
        if first not in TITLES and last not in _KNOWN_CREDENTIALS:
            return lowered
    text = text.strip()
    if not text:
        return ""
    if _SIMPLE.fullmatch(text):
        words = text.split(" ")
    else:
        words = _words(text)
    return " ".join(_clean_words(words))


def name_tokens(text: str) -> tuple[str, ...]:
    """The words of ``normalise_name(text)``."""
    return tuple(normalise_name(text).split())


def text_words(text: str) -> list[str]:
    """Words of free text (a title), accents stripped but nothing else dropped."""
    return _split(_strip_accents(text))


def _strip_accents(text: str) -> str:
    """NFKD, drop accents (the combining marks Latin, Greek and Cyrillic use), NFC."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    if decomposed.isascii():
        return decomposed
    return unicodedata.normalize("NFC", _ACCENTS.sub("", decomposed))


def _words(text: str) -> list[str]:
    """Split a non-trivial name into cased words: brackets, pronouns, commas handled."""
    text = _strip_accents(text)
    text = _BRACKETS.sub(" ", text)
    text = _BARE_PRONOUNS.sub(" ", text)
    text = _TAGLINE.sub("", text)
    segments = [segment.strip() for segment in text.split(",")]
    text = segments[0]
    if len(segments) > 1 and len(_split(text)) == 1:
        # "Lovelace, Ada" -> "Ada Lovelace"; in an all-capitals name capitals
        # say nothing, so only known credentials count.
        if not _is_credentials(segments[1], known_only=segments[1].isupper() and text.isupper()):
            text = segments[1] + " " + text
    return _split(text)


def _split(text: str) -> list[str]:
    """Words: runs of letters, digits and marks; apostrophes join, all else separates."""
    text = _APOSTROPHES.sub("", text)
    if text.isascii():
        return [word for word in _ASCII_NOT_WORD.split(text) if word]
    words: list[str] = []
    current: list[str] = []
    for char in text:
        if unicodedata.category(char)[0] in "LNM":
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _is_credentials(segment: str, known_only: bool = False) -> bool:
    """True when a comma segment is credentials ("PhD", "CSSGB®", "ITIL V4", "Ph.D.")."""
    if any(mark in segment for mark in CREDENTIAL_MARKS):
        return True
    words = _split(segment.replace(".", ""))
    if known_only:
        return bool(words) and all(word.casefold() in _KNOWN_CREDENTIALS for word in words)
    return bool(words) and all(_is_credential(word, after_comma=True) for word in words)


def _is_credential(word: str, after_comma: bool = False) -> bool:
    folded = word.casefold()
    if folded in STRONG_CREDENTIALS:
        return True
    shouting = len(word) > 1 and word.isupper()
    if folded in WEAK_CREDENTIALS:
        return after_comma or shouting
    return after_comma and shouting


def _clean_words(words: list[str]) -> list[str]:
    """Drop titles, trailing credentials and "via LinkedIn", middle initials; fold case."""
    start, end = 0, len(words)
    while end - start > 1 and words[start].casefold() in TITLES:
        start += 1
    while end - start > 1:
        last = words[end - 1].casefold()
        if end - start > 2 and last == "linkedin" and words[end - 2].casefold() == "via":
            end -= 2
        elif _is_credential(words[end - 1]):
            end -= 1
        else:
            break
    kept = words[start:end]
    folded = [_fold(word) for word in kept]
    folded = [word for word in folded if word]
    if len(folded) > 2:
        middle = [word for word in folded[1:-1] if not (len(word) == 1 and word.isalpha())]
        folded = [folded[0], *middle, folded[-1]]
    return folded


def _fold(word: str) -> str:
    """Case-fold a word, keeping letters, digits and marks (casefold can add accents)."""
    if word.isascii():
        return word.lower()
    folded = _strip_accents(word.casefold())
    return "".join(char for char in folded if unicodedata.category(char)[0] in "LNM")


class NameIndex:
    """Contact keys by normalised name, built once from ``(contact_key, name)`` pairs.

    A contact whose name carries a nickname in brackets ("Lars (Kit) Fontaine")
    is also found as "Kit Fontaine".
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._exact: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}
        self._padded: list[tuple[str, list[str]]] | None = None
        exact = self._exact
        for key, name in pairs:
            if key not in self._names:
                self._names[key] = name
            if "(" in name:
                for variant in name_variants(name):
                    self._add(variant, key)
                continue
            normalised = normalise_name(name)
            keys = exact.get(normalised)
            if keys is None:
                exact[normalised] = [key]
            elif key not in keys:
                keys.append(key)
        exact.pop("", None)

    def _add(self, normalised: str, key: str) -> None:
        keys = self._exact.setdefault(normalised, [])
        if key not in keys:
            keys.append(key)

    def __len__(self) -> int:
        return len(self._names)

    def name_of(self, key: str) -> str:
        """The name a contact was indexed under, or the key itself when unknown."""
        return self._names.get(key, key)

    def lookup(self, name: str) -> list[str]:
        """Keys whose normalised name equals ``normalise_name(name)`` (maybe several)."""
        return list(self._exact.get(_normalise_looked_up(name), ()))

    def prefix_lookup(self, query: str) -> list[str]:
        """Keys for a typed query, best tier first and only that tier.

        Tiers: the whole normalised name equals the query; the query's words are
        whole words of the name ("ada" -> "Ada Lovelace", "lovelace"); the query
        starts a word ("lovel" -> "Ada Lovelace", "ada lov"). One pass over the
        names (a few milliseconds for 30,000): the command line asks once.
        """
        normalised = normalise_name(query)
        if not normalised:
            return []
        if normalised in self._exact:
            return list(self._exact[normalised])
        if self._padded is None:
            self._padded = [(f" {name} ", keys) for name, keys in self._exact.items()]
        needle = f" {normalised}"
        whole_needle = f"{needle} "
        whole: list[str] = []
        partial: list[str] = []
        for padded, keys in self._padded:
            if needle in padded:
                bucket = whole if whole_needle in padded else partial
                bucket.extend(key for key in keys if key not in bucket)
        return whole or partial

    def find_in_text(self, text: str, shortest: int = 2, longest: int = 4) -> list[tuple[str, list[str]]]:
        """Full names (``shortest``..``longest`` words) found in free text, left to right.

        Returns ``(matched text, keys)`` pairs; at each place the longest match
        wins, and a match never overlaps the one before it. Each window is
        looked up in the index, so the cost depends on the text, not on the
        number of contacts.
        """
        words = text_words(text)
        found: list[tuple[str, list[str]]] = []
        position = 0
        while position < len(words):
            step = 1
            for size in range(min(longest, len(words) - position), shortest - 1, -1):
                window = " ".join(words[position:position + size])
                normalised = normalise_name(window)
                keys = self._exact.get(normalised) if normalised.count(" ") + 1 >= shortest else None
                if keys:
                    found.append((window, list(keys)))
                    step = size
                    break
            position += step
        return found


# Mail asks about the same display names message after message; indexing (which
# sees each name once) keeps calling normalise_name directly.
_normalise_looked_up = functools.lru_cache(maxsize=8192)(normalise_name)


def name_variants(name: str) -> tuple[str, ...]:
    """The normalised forms a contact is found under: the name, and "nickname last"."""
    normalised = normalise_name(name)
    variants = [normalised] if normalised else []
    for nickname in re.findall(r"\(([^()/]+)\)", name):
        nickname_words = _split(_strip_accents(nickname))
        words = normalised.split()
        if len(nickname_words) == 1 and len(words) >= 2 and nickname_words[0].casefold() not in _PRONOUN_WORDS:
            variant = normalise_name(f"{nickname_words[0]} {words[-1]}")
            if variant and variant not in variants:
                variants.append(variant)
    return tuple(variants)
