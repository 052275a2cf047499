"""Field-level parsing for LinkedIn exports: dates, names, profile URLs and keys.

Everything here is a pure function over strings, so the readers stay about file
shapes and these stay about what one cell means. The vCard importer reuses the
name helpers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime, timezone
from urllib.parse import quote, unquote, urlsplit

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

# "09 Oct 2024" (current export), "9-Oct-2024" (re-saved by a spreadsheet).
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})")
# "1/8/18, 6:14 PM" (2018 export): month/day/two-digit year, the time is dropped.
_MONTH_DAY_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?)?")
# "2024-10-09", optionally followed by a time.
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?)?")
# "09.10.2024": what a spreadsheet in a German, Dutch, Nordic ... locale writes back (day first).
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?)?")

# Zero-width and direction marks hide inside copied names; variation selectors
# and skin-tone modifiers ride along with emoji.
_INVISIBLE = {"Cf", "Cc", "Co", "Cs", "Cn"}
_SYMBOLS = {"So", "Sk", "Sm"}
_PRONOUNS = re.compile(
    r"\b(?:she|he|they|her|him|them|hers|his|theirs|ze|xe|zir|hir|any)"
    r"(?:\s*/\s*(?:she|he|they|her|him|them|hers|his|theirs|ze|xe|zir|hir|any|pronouns))+\b",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"\([^)]*\)?|\[[^\]]*\]?|\{[^}]*\}?")
# Trailing credentials written without a comma ("Lopez CPA"). Only well-known
# ones, and only when something is left in front of them.
_CREDENTIAL = re.compile(
    r"\s+(?:ph\.?\s?d\.?|mba|cpa|md|msc|m\.sc\.?|bsc|pmp|cfa|acca|ll\.?m\.?|dr\.?|mphil|ma|jd|esq\.?)$",
    re.IGNORECASE,
)
# The common case, already nearly canonical: skip urlsplit (a third of the import time).
_SIMPLE_PROFILE_URL = re.compile(r"(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/in/([^/?#\s]+)/?", re.IGNORECASE)
# A name made of words (letters, inner apostrophes, hyphens, dots) and single spaces.
_PLAIN_WORD = re.compile(r"\w+(?:['.-]\w+)*\.?")
_PLAIN_NAME = re.compile(r"\w+(?:['.-]\w+)*\.?(?: \w+(?:['.-]\w+)*\.?)*")
# Letters, digits and everyday punctuation: text without anything else needs no
# per-character Unicode category pass (which dominates the import time otherwise).
_NOT_PLAIN = re.compile(r"[^\w \t'.,()\[\]{}/&|+!?:;@#*\"-]")
_EDGE_PUNCTUATION = " \t|·•-–—_/\\,;:*~+#&"


@functools.lru_cache(maxsize=8192)
def parse_connected_on(text: str) -> date | None:
    """The date part of a "Connected On" cell in any format LinkedIn has used, or None."""
    text = text.strip()
    match = _DAY_MONTH_YEAR.fullmatch(text)
    if match:
        month = MONTHS.get(match.group(2).lower())
        return _date_or_none(int(match.group(3)), month, int(match.group(1))) if month else None
    match = _MONTH_DAY_YEAR.fullmatch(text)
    if match:
        year = int(match.group(3))
        year += 2000 if year < 100 else 0
        return _date_or_none(year, int(match.group(1)), int(match.group(2)))
    match = _ISO_DATE.fullmatch(text)
    if match:
        return _date_or_none(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _DOTTED_DATE.fullmatch(text)
    if match:
        year = int(match.group(3))
        return _date_or_none(year + (2000 if year < 100 else 0), int(match.group(2)), int(match.group(1)))
    return None


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_message_time(text: str) -> datetime | None:
    """``2023-05-04 17:21:09 UTC`` (or an ISO 8601 time) as an aware UTC datetime, or None."""
    text = text.strip()
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    elif text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # LinkedIn writes UTC; a re-saved file may drop the suffix
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def clean_whitespace(text: str) -> str:
    """TABs, non-breaking and zero-width spaces, runs of spaces: one plain space, trimmed."""
    # ASCII control characters (ESC, NUL ...) are invisible too, not only Unicode's.
    if (not text.isascii() and _NOT_PLAIN.search(text)) or not text.isprintable():
        text = "".join(" " if unicodedata.category(c) in _INVISIBLE else c for c in text)
    return " ".join(text.split())


def _clean_part(text: str, *, surname: bool) -> str:
    if surname and "," in text:  # "Lopez, CPA", "Ibsen, CSSGB®, ITIL V4®"
        text = text.split(",", 1)[0]
    if (not text.isascii() and _NOT_PLAIN.search(text)) or not text.isprintable():
        text = unicodedata.normalize("NFC", text)
        text = "".join(" " if unicodedata.category(c) in _SYMBOLS | _INVISIBLE else c for c in text)
    if "(" in text or "[" in text or "{" in text:
        text = _BRACKETED.sub(" ", text)
    if "/" in text:
        text = _PRONOUNS.sub(" ", text)
    text = " ".join(text.split()).strip(_EDGE_PUNCTUATION)
    if surname and " " in text:
        text = _CREDENTIAL.sub("", text).strip(_EDGE_PUNCTUATION)
    return text


def human_name(first: str, last: str) -> str:
    """The person's name without pronouns, credentials, nicknames in brackets or emoji.

    ``human_name("Maria (she/her)", "Lopez, CPA") == "Maria Lopez"``. When cleaning
    would leave nothing (a name made only of emoji), the whitespace-cleaned text is
    kept instead, so a contact never loses its name.
    """
    if _PLAIN_NAME.fullmatch(first) and _PLAIN_WORD.fullmatch(last):
        return f"{first} {last}"  # nothing to clean: most names, fast
    parts = [_clean_part(first, surname=False), _clean_part(last, surname=True)]
    name = " ".join(part for part in parts if part)
    return name or clean_whitespace(f"{first} {last}")


def normalised_name(name: str) -> str:
    """Lower case, accents folded, single spaces: ``"Zoë  Müller" -> "zoe muller"``."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def normalise_profile_url(url: str) -> str:
    """The canonical form of a LinkedIn profile URL, the key of a LinkedIn contact.

    ``http://de.linkedin.com/in/Jane-Doe/?trk=x`` becomes
    ``https://www.linkedin.com/in/jane-doe``: https, the www host, the slug lower
    cased and percent-encoded one way, no trailing slash, query or sub-page.
    Raises ``ValueError`` when ``url`` is not a LinkedIn profile URL.
    """
    text = url.strip()
    simple = _SIMPLE_PROFILE_URL.fullmatch(text)
    if simple:
        return "https://www.linkedin.com/in/" + _canonical_slug(simple.group(1))
    if not text:
        raise ValueError("empty profile URL")
    if "://" not in text:
        text = "https://" + text.lstrip("/")
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or not (host == "linkedin.com" or host.endswith(".linkedin.com")):
        raise ValueError(f"not a LinkedIn URL: {url!r}")
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) >= 2 and segments[0].lower() == "in":
        return f"https://www.linkedin.com/in/{_canonical_slug(segments[1])}"
    if len(segments) >= 2 and segments[0].lower() == "pub":  # pre-2014 public profile links
        path = "/".join(quote(unquote(segment).lower(), safe="-_.~") for segment in segments)
        return f"https://www.linkedin.com/{path}"
    raise ValueError(f"not a LinkedIn profile URL: {url!r}")


def _canonical_slug(slug: str) -> str:
    if slug.isascii() and "%" not in slug:
        return slug.lower()
    return quote(unquote(slug).lower(), safe="-_.~")


def derived_key(first: str, last: str, email: str = "", connected_on: date | None = None) -> str:
    """A stable key for a contact without a profile URL.

    ``"email:<address>"`` when there is an e-mail address, else
    ``"name:<normalised name>:<connected_on ISO>"``.
    """
    email = email.strip().lower()
    if email:
        return f"email:{email}"
    when = connected_on.isoformat() if connected_on else ""
    return f"name:{normalised_name(human_name(first, last))}:{when}"


def is_email(text: str) -> bool:
    """Loose check: something@something.tld without spaces (LinkedIn also writes URNs there)."""
    local, at, domain = text.partition("@")
    return bool(at and local and "." in domain and " " not in text)
