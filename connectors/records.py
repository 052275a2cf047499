"""The plain records that cross the boundary between connectors, rules and the daemon.

Connectors produce them, rules decide over them, the daemon stores them. They are
frozen dataclasses with no behaviour beyond small conveniences, so every layer can
build them in tests without touching I/O.

Times are always timezone-aware; mail and calendar times are normalised to UTC by
the connector that reads them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, Literal, TypeVar

Direction = Literal["in", "out"]
ResponseStatus = Literal["accepted", "declined", "tentative", "needsAction", "organizer", "unknown"]


@dataclass(frozen=True)
class Address:
    """One mailbox from a header: the address and the display name shown with it."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class Contact:
    """A person in the network.

    ``key`` is the LinkedIn profile URL when there is one, else a stable key derived
    by the source (see ``connectors.linkedin.derived_key``). ``source`` names where
    the record came from ("linkedin", "vcard", ...); ``email_source`` of the addresses
    is the same source.
    """

    key: str
    name: str
    emails: tuple[str, ...] = ()
    company: str = ""
    position: str = ""
    profile_url: str = ""
    connected_on: date | None = None
    tags: tuple[str, ...] = ()
    source: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class MailItem:
    """The headers of one message, never its body.

    ``external_id`` is stable per source (a Maildir file's unique name, a Gmail id,
    a Graph id); ``message_id`` is the RFC 5322 Message-ID, used to count one
    message seen in several folders once. ``headers`` carries the few extra header
    values rules need (List-Id, Precedence, Auto-Submitted, X-LinkedIn-Class ...),
    lower-cased names: ``rules.matching`` decides from them (and the sender and
    recipients) whether a message is person-to-person. ``noise`` is for what only
    a connector can know beyond the headers: a reason string ("list", "bulk" ...)
    that rules then take as it is.
    """

    source: str
    external_id: str
    sent_at: datetime
    sender: Address | None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    subject: str = ""
    message_id: str = ""
    thread_id: str = ""
    in_reply_to: str = ""
    direction: Direction = "in"
    noise: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    deleted: bool = False

    def header(self, name: str) -> str:
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return ""

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""
    status: ResponseStatus = "unknown"


@dataclass(frozen=True)
class CalendarItem:
    """One event instance (recurrences are expanded by the connector).

    ``external_id`` is unique per instance within the source (for a recurring
    event, the series id plus the instance's original start). ``ours`` is true for
    connect5's own block, which rules ignore.
    """

    source: str
    external_id: str
    start: datetime
    end: datetime
    title: str = ""
    series_id: str = ""
    organizer: Attendee | None = None
    attendees: tuple[Attendee, ...] = ()
    status: Literal["confirmed", "tentative", "cancelled"] = "confirmed"
    created: datetime | None = None
    updated: datetime | None = None
    ours: bool = False


@dataclass(frozen=True)
class Touch:
    """An interaction its source already attributes to one contact key.

    LinkedIn's ``messages.csv`` names people by profile URL, and ``connect5 done``
    names the contact directly, so no address matching is needed. ``kind`` is
    "linkedin" (a LinkedIn message), "email", "meeting" or "done".
    """

    source: str
    external_id: str
    contact_key: str
    at: datetime
    kind: str
    direction: Direction


T = TypeVar("T")


@dataclass(frozen=True)
class Batch(Generic[T]):
    """Items from one pull and the cursor that follows them.

    The daemon commits ``items`` and ``cursor`` in one transaction. ``full_resync``
    is true on the first batch of a resync: the daemon then forgets what it knew
    from this source (``replaces``) before storing these items.
    ``progress`` is (done, total) when the connector can tell, for progress bars.
    ``skipped`` names the inputs the connector could not read and moved past,
    as (what, why) pairs ("/path/to/file", "no blank line after the headers"):
    the daemon keeps them for ``connect5 status``, since a log line is easily missed.
    ``retry_in``: seconds after which a sync should look again, for an input left
    for later because it may still be being written (no watcher event will say
    when it is done).
    """

    items: tuple[T, ...]
    cursor: str | None
    full_resync: bool = False
    progress: tuple[int, int | None] | None = None
    skipped: tuple[tuple[str, str], ...] = ()
    retry_in: float | None = None


@dataclass(frozen=True)
class BlockPerson:
    """One of the day's five as the block shows them."""

    name: str
    position: str = ""
    company: str = ""
    profile_url: str = ""
    email: str = ""
    last_touch: str = ""  # human text, e.g. "3 months ago (2026-08-01, e-mail)"
    opener: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Block:
    """The day's block as every writer receives it: already rendered text plus data."""

    day: date
    title: str
    start: datetime  # aware, in the user's zone
    minutes: int
    description: str  # plain text
    html: str  # the same, as HTML with links (Outlook, Google)
    people: tuple[BlockPerson, ...] = ()
    weekdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    timezone: str = "UTC"
    # what the recurring series shows on days without their own block (plain text)
    series_description: str = ""


@dataclass(frozen=True)
class BlockRef:
    """Where a writer put a day's block: what the daemon records in ``blocks``."""

    writer: str
    remote_id: str
    etag: str = ""
    state: Literal["written", "user-deleted", "series-deleted", "moved"] = "written"


def replace(record, **changes):
    """``dataclasses.replace`` re-exported so callers need not import dataclasses."""
    return dataclasses.replace(record, **changes)


__all__ = [
    "Address",
    "Attendee",
    "Batch",
    "Block",
    "BlockPerson",
    "BlockRef",
    "CalendarItem",
    "Contact",
    "MailItem",
    "Touch",
    "field",
    "replace",
]
