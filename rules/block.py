"""The daily block's words: its description, its HTML, "last in touch" and openers.

Pure functions: the caller passes the day, the people and every time already in the
user's zone; nothing here reads the clock or touches a file. Every writer (ics,
Google, Outlook) receives the ``Block`` built here and only has to place it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date, datetime

from connectors.records import Block, BlockPerson

PLAIN_DESCRIPTION = "Five minutes for five people — open `connect5 today`"
DEFAULT_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

# Used when the configured template is empty. Chosen by what is known about the
# person, so a missing company never leaves "how are things at ?" behind.
DEFAULT_OPENER = "Hi {first_name}, it has been a while — how are things at {company}?"
OPENER_WITHOUT_COMPANY = "Hi {first_name}, it has been a while — how are you doing?"
OPENER_NEVER_TALKED = (
    "Hi {first_name}, we connected a while ago but never really talked — "
    "would you be up for a quick catch-up?"
)

KIND_LABELS = {
    "email": "e-mail",
    "e-mail": "e-mail",
    "mail": "e-mail",
    "linkedin": "LinkedIn message",
    "meeting": "meeting",
    "calendar": "meeting",
    "done": "marked done",
}

HONORIFICS = {"dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx", "mx."}
PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


def first_name(name: str) -> str:
    """The first word of ``name`` that is not an honorific ("Dr. Ada Lovelace" → "Ada")."""
    words = name.split()
    for word in words:
        if word.lower() not in HONORIFICS:
            return word.strip(",")
    return words[0] if words else ""


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _months_between(earlier: date, later: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def describe_ago(then: date, today: date) -> str:
    """How long ago ``then`` was, in the largest unit that reads naturally (a booked meeting: how far ahead)."""
    days = (today - then).days
    if days < 0:
        return "tomorrow" if days == -1 else f"in {_span(today, then)}"
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{_span(then, today)} ago"


def _span(earlier: date, later: date) -> str:
    """The time from ``earlier`` to ``later`` (two days or more): "5 days", "3 weeks", "2 months", "4 years"."""
    days = (later - earlier).days
    if days < 14:
        return f"{days} days"
    if days < 60:
        return _plural(days // 7, "week")
    months = _months_between(earlier, later)
    return _plural(max(months, 1), "month") if months < 24 else _plural(months // 12, "year")


def describe_last_touch(
    last: datetime | None, kind: str, connected_on: date | None, today: date
) -> str:
    """Human text for the last interaction, e.g. "3 months ago (2026-08-14, e-mail)".

    ``last`` should already be in the user's zone: its calendar date is used as is.
    ``kind`` is the interaction kind ("email", "linkedin", "meeting", "done"); an
    unknown kind is shown as given, an empty one is left out. Without any
    interaction: "never since connecting in 2019", or "never" when the connection
    date is unknown too.
    """
    if last is None:
        if connected_on is None:
            return "never"
        return f"never since connecting in {connected_on.year}"
    label = KIND_LABELS.get(kind.lower(), kind) if kind else ""
    detail = f"{last.date().isoformat()}, {label}" if label else last.date().isoformat()
    return f"{describe_ago(last.date(), today)} ({detail})"


def _default_template(person: BlockPerson) -> str:
    if person.last_touch.startswith("never"):
        return OPENER_NEVER_TALKED
    return DEFAULT_OPENER if person.company else OPENER_WITHOUT_COMPANY


def opener(template: str, person: BlockPerson, today: date) -> str:
    """A short suggested first line for ``person``, from ``template``.

    Placeholders: ``{first_name}``, ``{name}``, ``{company}``, ``{position}``,
    ``{last_touch}`` and ``{weekday}`` (today's, e.g. "Tuesday"). A known
    placeholder whose value is unknown renders empty. An unknown placeholder
    (``{nickname}``) and any stray brace are left in the text literally, so a typo
    in the config shows up in the block instead of crashing the morning job.
    An empty template picks a default that fits what is known about the person.
    """
    values = {
        "first_name": first_name(person.name),
        "name": person.name,
        "company": person.company,
        "position": person.position,
        "last_touch": person.last_touch,
        "weekday": today.strftime("%A"),
    }
    chosen = template or _default_template(person)

    def substitute(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return PLACEHOLDER.sub(substitute, chosen).strip()


def role_line(person: BlockPerson) -> str:
    """ "Position at Company", or whichever half is known."""
    if person.position and person.company:
        return f"{person.position} at {person.company}"
    return person.position or person.company


def safe_profile_url(url: str) -> str:
    """``url`` when it is an http(s) link, else "" (no ``javascript:`` links in HTML)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def safe_email(address: str) -> str:
    """``address`` when it looks like one plain mailbox, else "" (nothing to inject)."""
    if re.fullmatch(r"[^\s<>\"'@,;:()\[\]\\]+@[^\s<>\"'@,;:()\[\]\\]+", address):
        return address
    return ""


def _person_opener(person: BlockPerson, template: str, today: date) -> str:
    return person.opener or opener(template, person, today)


def _person_text(number: int, person: BlockPerson, opener_text: str) -> list[str]:
    role = role_line(person)
    lines = [f"{number}. {person.name}" + (f" — {role}" if role else "")]
    if person.last_touch:
        lines.append(f"   Last in touch: {person.last_touch}")
    if person.profile_url:
        lines.append(f"   Profile: {person.profile_url}")
    if person.email:
        lines.append(f"   E-mail: {person.email}")
    if opener_text:
        lines.append(f"   Opener: {opener_text}")
    return lines


def _person_html(person: BlockPerson, opener_text: str) -> str:
    escape = html.escape
    role = role_line(person)
    parts = [f"<b>{escape(person.name)}</b>" + (f" — {escape(role)}" if role else "")]
    if person.last_touch:
        parts.append(f"Last in touch: {escape(person.last_touch)}")
    links = []
    profile = safe_profile_url(person.profile_url)
    if profile:
        links.append(f'<a href="{escape(profile)}">Profile</a>')
    email = safe_email(person.email)
    if email:
        links.append(f'<a href="mailto:{escape(email)}">{escape(email)}</a>')
    if links:
        parts.append(" · ".join(links))
    if opener_text:
        parts.append(f"<i>{escape(opener_text)}</i>")
    return "<li>" + "<br>".join(parts) + "</li>"


def describe_people(
    day: date, people: Sequence[BlockPerson], opener_template: str = ""
) -> tuple[str, str]:
    """The plain-text and HTML descriptions of a day with ``people`` (or a plain day)."""
    if not people:
        plain_html = "<p>Five minutes for five people — open <code>connect5 today</code></p>"
        return PLAIN_DESCRIPTION, plain_html
    noun = "person" if len(people) == 1 else "people"
    heading = f"Five minutes, {len(people)} {noun} — say hello to:"
    text_lines = [heading, ""]
    items = []
    for number, person in enumerate(people, start=1):
        opener_text = _person_opener(person, opener_template, day)
        text_lines.extend(_person_text(number, person, opener_text))
        text_lines.append("")
        items.append(_person_html(person, opener_text))
    text_lines.append("Mark someone done with `connect5 done NAME`.")
    html_text = (
        f"<p>{html.escape(heading)}</p><ol>{''.join(items)}</ol>"
        "<p>Mark someone done with <code>connect5 done NAME</code>.</p>"
    )
    return "\n".join(text_lines), html_text


def render_block(
    day: date,
    people: Sequence[BlockPerson],
    *,
    title: str = "Connect 5",
    start: datetime,
    minutes: int = 5,
    weekdays: Sequence[str] = DEFAULT_WEEKDAYS,
    timezone: str = "",
    opener_template: str = "",
) -> Block:
    """The ``Block`` for ``day``: rendered text and HTML plus the data writers need.

    ``start`` is the day's start, aware and in the user's zone; ``timezone`` is that
    zone's IANA name (taken from ``start`` when left empty). People without an
    ``opener`` get one from ``opener_template`` (see ``opener``). With no people
    the block is the plain one: ``PLAIN_DESCRIPTION``, which is also the
    ``series_description`` every block carries for days without their own block.
    """
    description, html_text = describe_people(day, people, opener_template)
    zone = timezone or getattr(start.tzinfo, "key", "") or "UTC"
    return Block(
        day=day,
        title=title,
        start=start,
        minutes=minutes,
        description=description,
        html=html_text,
        people=tuple(people),
        weekdays=tuple(weekdays),
        timezone=zone,
        series_description=PLAIN_DESCRIPTION,
    )
