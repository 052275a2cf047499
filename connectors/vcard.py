"""The vCard importer: ``.vcf`` files (versions 2.1, 3.0 and 4.0) into Contact records.

A small hand parser, enough for what connect5 needs from an address book: the
name (FN, else built from N), every EMAIL, the organisation (ORG's first
component), TITLE, UID and a LinkedIn profile URL when a card has one.

What it copes with (RFC 6350 §3.2 and §3.4, RFC 2426, vCard 2.1):

- folded lines (a line starting with a space or TAB continues the previous one);
- 2.1 quoted-printable values (``ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8`` or the
  bare ``QUOTED-PRINTABLE`` parameter) with ``=`` soft line breaks, as Android writes;
- 2.1 bare parameters (``EMAIL;HOME;INTERNET;PREF:``) and grouped names (``item1.EMAIL``);
- escapes ``\\,`` ``\\;`` ``\\n`` ``\\\\``, and multiple values in N's components.

A card is skipped, with the line of its BEGIN, when it has no name, when it has
nothing connect5 can use (no e-mail address and no LinkedIn profile), or when
its END:VCARD is missing (the next BEGIN:VCARD starts the next card, unless it
follows an empty 2.1 AGENT line, whose nested card is nobody of ours). Matching
cards to existing contacts is the daemon's job, not this module's.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from connectors.base import NotAnExportError
from connectors.linkedin.fields import clean_whitespace, is_email, normalise_profile_url, normalised_name
from connectors.linkedin.report import Skipped
from connectors.records import Contact

log = logging.getLogger(__name__)

SOURCE = "vcard"
MAX_FILE_BYTES = 200 * 1024 * 1024
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_PROFILE_PROPERTIES = {"URL", "X-SOCIALPROFILE", "X-LINKEDIN"}


@dataclass(frozen=True)
class VcardResult:
    """The cards read as contacts, and the cards skipped with their line and reason."""

    contacts: list[Contact] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class _Card:
    line: int
    properties: list[tuple[str, dict[str, list[str]], str]] = field(default_factory=list)


def read_vcards(path: Path) -> VcardResult:
    """Contacts from a .vcf file, or from every .vcf file in a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".vcf", ".vcard") and p.is_file())
        if not files:
            raise NotAnExportError(f"{path} holds no .vcf files; expected vCard files")
    else:
        files = [path]
    result = VcardResult()
    seen: dict[str, int] = {}
    for file in files:
        try:
            _read_file(file, result, seen)
        except NotAnExportError as error:
            if len(files) == 1:
                raise
            # One picture or binary saved as .vcf in a folder must not lose the other files.
            result.skipped.append(Skipped(1, str(error), file.name))
            log.debug("skipped %s", error)  # the caller reports every skip
    log.info("%s: %d contacts from vCards, %d cards skipped", path, len(result.contacts), len(result.skipped))
    return result


def _read_file(path: Path, result: VcardResult, seen: dict[str, int]) -> None:
    text = _decoded(path)
    if "BEGIN:VCARD" not in text.upper():
        raise NotAnExportError(f"{path} is not a vCard file: expected BEGIN:VCARD … END:VCARD")
    for card in _cards(text, result.skipped, path.name):
        outcome = _contact(card)
        if isinstance(outcome, Contact) and outcome.key in seen:
            outcome = f"duplicate of the card at line {seen[outcome.key]}"
        if isinstance(outcome, Contact):
            seen[outcome.key] = card.line
            result.contacts.append(outcome)
        else:
            result.skipped.append(Skipped(card.line, outcome, path.name))
            log.debug("%s:%d skipped: %s", path.name, card.line, outcome)  # the caller reports it


def _decoded(path: Path) -> str:
    if not path.is_file():
        raise NotAnExportError(f"{path} does not exist; expected a .vcf file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise NotAnExportError(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not a vCard file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NotAnExportError(f"cannot read {path}: {error.strerror or error}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise NotAnExportError(f"{path} is a binary file; expected a vCard (.vcf) file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number of its start, unfolded line), joining folds and QP soft breaks."""
    current: str | None = None
    start = 0
    quoted_printable = False
    for number, line in enumerate(_LINE_BREAK.split(text), 1):
        if current is not None and quoted_printable and current.endswith("="):
            current = current[:-1] + line  # a soft line break, 2.1 / RFC 2045 §6.7
        elif current is not None and line[:1] in (" ", "\t"):
            current += line[1:]
        else:
            if current:
                yield start, current
            current, start = line, number
            quoted_printable = "QUOTED-PRINTABLE" in line.split(":", 1)[0].upper()
    if current:
        yield start, current


def _cards(text: str, skipped: list[Skipped], file: str) -> Iterator[_Card]:
    card: _Card | None = None
    depth = 0
    previous = ""
    for number, line in _logical_lines(text):
        parsed = _property(line)
        if parsed is None:
            continue
        name, params, value = parsed
        previous, after = name, previous
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            if depth and after != "AGENT":
                # Only a 2.1 AGENT (an empty AGENT line, then the card) nests one card in
                # another: any other BEGIN is the next card, and the open one lost its END.
                if card is not None:
                    skipped.append(Skipped(card.line, f"no END:VCARD before the next card (line {number})", file))
                depth = 0
            depth += 1
            if depth == 1:
                card = _Card(number)
        elif name == "END" and value.strip().upper() == "VCARD" and depth:
            depth -= 1
            if depth == 0 and card is not None:
                yield card
                card = None
        elif card is not None and depth == 1:  # nested cards (2.1 AGENT) are not people of ours
            card.properties.append((name, params, value))
    if card is not None:
        skipped.append(Skipped(card.line, "no END:VCARD before the end of the file", file))


def _property(line: str) -> tuple[str, dict[str, list[str]], str] | None:
    """``[group.]NAME[;params]:value`` -> (NAME, {PARAM: [values]}, raw value)."""
    head_end = _unquoted_index(line, ":")
    if head_end < 0:
        return None
    head, value = line[:head_end], line[head_end + 1 :]
    pieces = _split_unquoted(head, ";")
    name = pieces[0].strip().upper().rsplit(".", 1)[-1]
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        key, equals, values = piece.partition("=")
        if not equals:  # 2.1 bare parameter: a TYPE, or the encoding itself
            key, values = ("ENCODING", key) if key.upper() in ("QUOTED-PRINTABLE", "BASE64", "8BIT") else ("TYPE", key)
        params.setdefault(key.strip().upper(), []).extend(v.strip().strip('"') for v in values.split(","))
    return name, params, _decode(value, params)


def _unquoted_index(text: str, wanted: str) -> int:
    quoted = False
    for index, character in enumerate(text):
        if character == '"':
            quoted = not quoted
        elif character == wanted and not quoted:
            return index
    return -1


def _split_unquoted(text: str, separator: str) -> list[str]:
    pieces = []
    while (index := _unquoted_index(text, separator)) >= 0:
        pieces.append(text[:index])
        text = text[index + 1 :]
    return pieces + [text]


def _decode(value: str, params: dict[str, list[str]]) -> str:
    encoding = (params.get("ENCODING") or [""])[0].upper()
    if encoding in ("B", "BASE64"):
        return ""  # photos and keys: nothing connect5 reads
    if encoding != "QUOTED-PRINTABLE":
        return value
    data = quopri.decodestring(value.encode("utf-8"))
    charset = (params.get("CHARSET") or ["utf-8"])[0]
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")


def _split_escaped(value: str, separator: str) -> list[str]:
    """Split on separators that are not backslash-escaped; escapes are kept."""
    pieces, current, index = [], [], 0
    while index < len(value):
        character = value[index]
        if character == "\\" and index + 1 < len(value):
            current.append(value[index : index + 2])
            index += 2
            continue
        if character == separator:
            pieces.append("".join(current))
            current = []
        else:
            current.append(character)
        index += 1
    pieces.append("".join(current))
    return pieces


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _text(value: str) -> str:
    return clean_whitespace(_unescape(value))


def _contact(card: _Card) -> Contact | str:
    """The card as a Contact, or the reason it is skipped."""
    values: dict[str, list[str]] = {}
    for name, _, value in card.properties:
        values.setdefault(name, []).append(value)
    family = given = ""
    built = ""
    if values.get("N"):
        components = [
            " ".join(_text(v) for v in _split_escaped(c, ",") if _text(v))
            for c in _split_escaped(values["N"][0], ";")
        ] + [""] * 5
        family, given, additional = components[0], components[1], components[2]
        built = " ".join(part for part in (given, additional, family) if part)
    name = next((_text(v) for v in values.get("FN", []) if _text(v)), "") or built
    if not name:
        return "no name (neither FN nor N)"
    emails = _emails(values.get("EMAIL", []))
    profile_url = _profile_url(card)
    if not emails and not profile_url:
        return "nothing to use: no e-mail address or LinkedIn profile"
    organisation = next((_text(_split_escaped(v, ";")[0]) for v in values.get("ORG", [])), "")
    title = next((_text(v) for v in values.get("TITLE", []) if _text(v)), "")
    uid = next((_unescape(v).strip() for v in values.get("UID", []) if v.strip()), "")
    return Contact(
        key=f"vcard:{uid}" if uid else _hashed_key(name, emails),
        name=name,
        emails=emails,
        company=organisation,
        position=title,
        profile_url=profile_url,
        source=SOURCE,
        first_name=given,
        last_name=family,
    )


def _emails(values: list[str]) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for value in values:
        address = _text(value)
        if address.lower().startswith("mailto:"):
            address = address[len("mailto:") :]
        if is_email(address):
            found.setdefault(address.lower(), address)
    return tuple(found.values())


def _profile_url(card: _Card) -> str:
    for name, _, value in card.properties:
        if name in _PROFILE_PROPERTIES and "linkedin.com" in value.lower():
            try:
                return normalise_profile_url(_unescape(value))
            except ValueError:
                continue
    return ""


def _hashed_key(name: str, emails: tuple[str, ...]) -> str:
    text = "\n".join([normalised_name(name), *sorted(email.lower() for email in emails)])
    return "vcard:" + hashlib.sha256(text.encode()).hexdigest()[:16]
