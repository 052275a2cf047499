"""Which contacts a message or an event touches, and what to review.

Addresses are matched after ``normalise_address``; display names only through
``rules.names.NameIndex`` and only to learn a new address from mail *we* sent
(an outbound message to an unknown address whose display name is exactly one
contact). Nothing is guessed: an address or name that fits several contacts
becomes a ``ReviewItem`` and touches nobody. Own addresses, and any contact
an own address belongs to, never count as contacts.

What is noise is ``rules.noise``'s to say; noise touches nobody.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from connectors.records import Attendee, CalendarItem, Direction, MailItem
from rules.addresses import normalise_address
from rules.names import NameIndex
from rules.noise import noise_reason

logger = logging.getLogger(__name__)

MAX_ATTENDEES = 20


class Learned(NamedTuple):
    """An address the store may add to a contact, and why."""

    address: str
    contact_key: str
    reason: str


@dataclass(frozen=True)
class ReviewItem:
    """A match that was not guessed: the user picks among ``candidates`` (contact keys).

    ``kind`` says what was ambiguous: an "address" several contacts share, or a
    "name" several contacts carry (or, for inbound mail, a name that fits one
    contact from an address nobody has: worth confirming, never learned alone).
    """

    kind: Literal["address", "name"]
    value: str
    candidates: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class MailMatch:
    """What one message means: contacts touched, addresses learned, items to review."""

    contacts: tuple[str, ...] = ()
    learned: tuple[Learned, ...] = ()
    ambiguous: tuple[ReviewItem, ...] = ()
    noise: str = ""
    reasons: tuple[str, ...] = ()
    direction: Direction = "in"  # ``direction_of`` the message: store this, not the connector's guess

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class EventMatch:
    """What one calendar event means; ``cancelled`` and ``ignored`` (our own block) flag it.

    ``declined``: one of our own addresses declined it. ``status`` is what to
    store: the event's own, but "cancelled" when it is off for us (cancelled or
    declined), since a meeting we will not attend is no booked call.
    """

    contacts: tuple[str, ...] = ()
    learned: tuple[Learned, ...] = ()
    ambiguous: tuple[ReviewItem, ...] = ()
    noise: str = ""
    cancelled: bool = False
    ignored: bool = False
    reasons: tuple[str, ...] = ()
    declined: bool = False
    status: str = "confirmed"

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def direction_of(item: MailItem, own: Iterable[str]) -> Direction:
    """ "out" when the connector said so or the sender is one of our own addresses, else "in".

    Decided here, after ``normalise_address``, because a connector compares
    addresses as they are spelt: ``Ada.Lovelace@gmail.com`` and
    ``adalovelace+work@googlemail.com`` are both ``adalovelace@gmail.com``.
    """
    if item.direction == "out":
        return "out"
    if item.sender and normalise_address(item.sender.email) in _normalised_own(own):
        return "out"
    return "in"


class _Collector:
    """Gathers touches, learned addresses and review items for one item."""

    def __init__(self, own, addresses: Mapping[str, list[str]], names: NameIndex) -> None:
        self.own = _normalised_own(own)
        self.addresses = addresses
        self.names = names
        self._own_keys: frozenset[str] | None = None
        self.contacts: list[str] = []
        self.learned: list[Learned] = []
        self.ambiguous: list[ReviewItem] = []
        self.reasons: list[str] = []

    @property
    def own_keys(self) -> frozenset[str]:
        """Contacts an own address belongs to: us, never touched.

        Worked out on first use: most messages are from strangers and never ask.
        """
        if self._own_keys is None:
            self._own_keys = frozenset(key for address in self.own for key in self.addresses.get(address, ()))
        return self._own_keys

    def touch(self, key: str, reason: str) -> None:
        if key in self.own_keys:
            self.reasons.append(f"{reason}, but that contact has one of your addresses: skipped")
        elif key not in self.contacts:
            self.contacts.append(key)
            self.reasons.append(reason)

    def review(self, item: ReviewItem) -> None:
        if item not in self.ambiguous:
            self.ambiguous.append(item)
            self.reasons.append(item.reason)

    def person(self, role: str, email: str, name: str, may_learn: bool) -> None:
        """Match one address (with its display name) seen in ``role`` ("sender", "recipient")."""
        address = normalise_address(email)
        if not address or address in self.own:
            return
        found = self.addresses.get(address)
        keys = _unique(found, self.own_keys) if found else []
        if len(keys) == 1:
            self.touch(keys[0], f"{role} {address} is {self.names.name_of(keys[0])}")
        elif keys:
            self.review(ReviewItem("address", address, tuple(keys),
                                   f"{role} {address} belongs to {len(keys)} contacts: not guessed"))
        elif name:
            self.by_name(role, address, name, may_learn)

    def by_name(self, role: str, address: str, name: str, may_learn: bool) -> None:
        found = self.names.lookup(name)
        keys = _unique(found, self.own_keys) if found else []
        if len(keys) > 1:
            self.review(ReviewItem("name", name, tuple(keys),
                                   f"{role} {address} is called {name!r}, the name of {len(keys)} contacts: not guessed"))
        elif keys and may_learn:
            contact = self.names.name_of(keys[0])
            reason = f"{role} {address} is called {name!r}, only {contact} has that name: learned"
            self.learned.append(Learned(address, keys[0], reason))
            self.touch(keys[0], reason)
        elif keys:
            self.review(ReviewItem("name", name, tuple(keys),
                                   f"{role} {address} is unknown but called {name!r} like "
                                   f"{self.names.name_of(keys[0])}: confirm to learn"))

    def title(self, text: str) -> None:
        """Contacts named in full in an event title ("Call with Ada Lovelace")."""
        for window, found in self.names.find_in_text(text):
            keys = _unique(found, self.own_keys)
            if len(keys) == 1:
                self.touch(keys[0], f"title names {self.names.name_of(keys[0])}")
            elif keys:
                self.review(ReviewItem("name", window, tuple(keys),
                                       f"title names {window!r}, the name of {len(keys)} contacts: not guessed"))


def _normalised_own(own: Iterable[str]) -> frozenset[str]:
    if isinstance(own, frozenset):
        return _normalised_frozen(own)
    return frozenset(normalise_address(address) for address in own)


@functools.lru_cache(maxsize=64)
def _normalised_frozen(own: frozenset[str]) -> frozenset[str]:
    # The daemon passes the same frozenset for every message of a sync.
    return frozenset(normalise_address(address) for address in own)


def _unique(keys: Iterable[str], excluded: frozenset[str]) -> list[str]:
    result: list[str] = []
    for key in keys:
        if key not in excluded and key not in result:
            result.append(key)
    return result


def match_mail(item: MailItem, own: frozenset[str], addresses: Mapping[str, list[str]], names: NameIndex) -> MailMatch:
    """The contacts a message touches: the sender of inbound mail, every To/Cc of outbound.

    Outbound is ``direction_of``: mail from any spelling of an own address.
    ``addresses`` maps normalised address -> contact keys. Noise touches nobody.
    """
    noise = noise_reason(item)
    direction = direction_of(item, own)
    if noise:
        return MailMatch(noise=noise, reasons=(noise,), direction=direction)
    if direction != "out" and _unknown_sender(item, own, addresses, names):
        return _NOBODY  # most mail: from someone outside the network, nothing to collect
    collector = _Collector(own, addresses, names)
    if direction == "out":
        for recipient in item.recipients:
            collector.person("recipient", recipient.email, recipient.name, may_learn=True)
    elif item.sender:
        collector.person("sender", item.sender.email, item.sender.name, may_learn=False)
    if not collector.reasons:
        collector.reasons.append("nobody in the message is a known contact")
    return MailMatch(
        contacts=tuple(collector.contacts),
        learned=tuple(collector.learned),
        ambiguous=tuple(collector.ambiguous),
        reasons=tuple(collector.reasons),
        direction=direction,
    )


_NOBODY = MailMatch(reasons=("nobody in the message is a known contact",))


def _unknown_sender(item: MailItem, own, addresses: Mapping[str, list[str]], names: NameIndex) -> bool:
    """True when ``_Collector.person`` would find nothing for this inbound sender.

    No touch, nothing learned, nothing to review: the address is ours, or known
    to no contact, and its display name is no contact's name.
    """
    sender = item.sender
    if sender is None:
        return True
    address = normalise_address(sender.email)
    if not address or address in _normalised_own(own):
        return True
    if addresses.get(address):
        return False
    return not sender.name or not names.lookup(sender.name)


def match_event(
    item: CalendarItem,
    own: frozenset[str],
    addresses: Mapping[str, list[str]],
    names: NameIndex,
    contact_names_in_title: bool = True,
) -> EventMatch:
    """The contacts an event involves: organiser, attendees, and full names in its title.

    Attendees who declined are left out (they are not meeting us). When we
    organised the event an attendee's display name may teach an address, as
    outbound mail does. Cancelled events still match, flagged ``cancelled``;
    so do events we declined, flagged ``declined``: both have ``status``
    "cancelled", so the meeting still counts once it is accepted again.
    """
    if item.ours:
        return EventMatch(ignored=True, reasons=("our own block",))
    people = _people(item)
    if len(people) > MAX_ATTENDEES:
        noise = f"bulk: {len(people)} attendees (more than {MAX_ATTENDEES})"
        return EventMatch(noise=noise, cancelled=item.status == "cancelled", reasons=(noise,))
    collector = _Collector(own, addresses, names)
    we_organised = item.organizer is not None and normalise_address(item.organizer.email) in collector.own
    declined = any(
        attendee.status == "declined" and normalise_address(attendee.email) in collector.own
        for attendee in item.attendees
    )
    for role, attendee in people.values():
        if attendee.status == "declined":
            collector.reasons.append(f"{role} {normalise_address(attendee.email)} declined")
            continue
        collector.person(role, attendee.email, attendee.name, may_learn=we_organised)
    if contact_names_in_title and item.title:
        collector.title(item.title)
    if item.status == "cancelled":
        collector.reasons.append("the event is cancelled")
    elif declined:
        collector.reasons.append("you declined it: not a booked call")
    if not collector.reasons:
        collector.reasons.append("nobody in the event is a known contact")
    return EventMatch(
        contacts=tuple(collector.contacts),
        learned=tuple(collector.learned),
        ambiguous=tuple(collector.ambiguous),
        cancelled=item.status == "cancelled",
        reasons=tuple(collector.reasons),
        declined=declined,
        status="cancelled" if declined else item.status,
    )


def _people(item: CalendarItem) -> dict[str, tuple[str, Attendee]]:
    """Organiser and attendees by normalised address, each once."""
    people: dict[str, tuple[str, Attendee]] = {}
    if item.organizer and item.organizer.email:
        people[normalise_address(item.organizer.email)] = ("organiser", item.organizer)
    for attendee in item.attendees:
        address = normalise_address(attendee.email)
        if address and address not in people:
            people[address] = ("attendee", attendee)
    return people


__all__ = [
    "EventMatch",
    "Learned",
    "MailMatch",
    "ReviewItem",
    "direction_of",
    "match_event",
    "match_mail",
    "normalise_address",
]
