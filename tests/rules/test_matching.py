"""Tests for rules.matching: addresses, noise, mail and event matching."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.records import Address, Attendee, CalendarItem, MailItem
from rules.matching import (
    Learned,
    ReviewItem,
    direction_of,
    match_event,
    match_mail,
    normalise_address,
)
from rules.names import NameIndex
from rules.noise import noise_reason

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
OWN = frozenset({"me@example.com", "Me.Myself@gmail.com"})
NAMES = NameIndex(
    [
        ("ada", "Ada Lovelace"),
        ("grace", "Grace Hopper, PhD"),
        ("sam-1", "Sam Lee"),
        ("sam-2", "Sam Lee"),
        ("jose", "José Álvarez"),
        ("me", "Me Myself"),
    ]
)
ADDRESSES = {
    "ada@example.com": ["ada"],
    "gracehopper@gmail.com": ["grace"],
    "shared@example.com": ["sam-1", "sam-2"],
    "me@example.com": ["me"],
}


def mail(sender="ada@example.com", to=("me@example.com",), direction="in", subject="Hello", headers=(), **extra):
    def address(value):
        return value if isinstance(value, Address) else Address(value)

    return MailItem(
        source="test",
        external_id="1",
        sent_at=NOW,
        sender=address(sender) if sender else None,
        to=tuple(address(value) for value in to),
        subject=subject,
        direction=direction,
        headers=tuple((name.lower(), value) for name, value in headers),
        **extra,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("Grace.Hopper+news@gmail.com", "gracehopper@gmail.com"),
        ("grace.hopper@googlemail.com", "gracehopper@gmail.com"),
        ("G.r.a.c.e@GoogleMail.com", "grace@gmail.com"),
        ("first.last+tag@example.com", "first.last+tag@example.com"),
        ("first.last@outlook.com", "first.last@outlook.com"),
        (" <ada@example.com> ", "ada@example.com"),
        ("not an address", "not an address"),
        ("", ""),
    ],
)
def test_normalise_address_folds_gmail_dots_and_tags_only(raw, expected):
    assert normalise_address(raw) == expected


@given(st.emails() | st.text(max_size=30))
def test_normalise_address_is_idempotent(address):
    once = normalise_address(address)
    assert normalise_address(once) == once


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        (mail(), ""),
        (mail(noise="list"), "list"),
        (mail(sender="noreply@shop.example"), "no-reply"),
        (mail(sender="no-reply@shop.example"), "no-reply"),
        (mail(sender="no_reply@shop.example"), "no-reply"),
        (mail(sender="DoNotReply@bank.example"), "no-reply"),
        (mail(sender="MAILER-DAEMON@mx.example"), "no-reply"),
        (mail(sender="postmaster@mx.example"), "no-reply"),
        (mail(sender="notifications@github.com"), "no-reply"),
        (mail(sender="messaging-digest-noreply@linkedin.com"), "linkedin"),
        (mail(sender="invitations@linkedin.com"), "linkedin"),
        (mail(headers=[("List-Id", "<team.lists.example>")]), "list"),
        (mail(headers=[("List-Unsubscribe", "<mailto:u@x>")]), "list"),
        (mail(headers=[("Precedence", "bulk")]), "bulk"),
        (mail(headers=[("Precedence", "junk")]), "bulk"),
        (mail(headers=[("Precedence", "list")]), "list"),
        (mail(to=[f"person{number}@example.com" for number in range(21)]), "bulk"),
        (mail(to=[f"person{number}@example.com" for number in range(20)]), ""),
        (mail(headers=[("Auto-Submitted", "auto-replied")]), "auto-reply"),
        (mail(headers=[("Auto-Submitted", "auto-generated")]), "auto-reply"),
        (mail(headers=[("Auto-Submitted", "no")]), ""),
        (mail(headers=[("X-Autoreply", "yes")]), "auto-reply"),
        (mail(headers=[("X-Autorespond", "yes")]), "auto-reply"),
        (mail(subject="Automatic reply: Lunch?"), "auto-reply"),
        (mail(subject="Out of Office: back on Monday"), "auto-reply"),
        (mail(subject="Abwesenheitsnotiz: Termin"), "auto-reply"),
        (mail(subject="Out of office drinks on Friday?", headers=[("Auto-Submitted", "no")]), ""),
        (mail(subject="Re: the out of office plan"), ""),
    ],
)
def test_noise_reason_names_the_kind_of_noise(item, kind):
    reason = noise_reason(item)
    assert reason.partition(":")[0] == kind
    assert bool(reason) == bool(kind)


def test_direction_is_out_when_the_sender_is_one_of_our_addresses():
    assert direction_of(mail(sender="me.myself+x@googlemail.com"), OWN) == "out"
    assert direction_of(mail(sender="ada@example.com"), OWN) == "in"
    assert direction_of(mail(sender=None), OWN) == "in"


@pytest.mark.parametrize("sender", ["Me.Myself@gmail.com", "memyself+work@googlemail.com", "ME.MYSELF@GMAIL.COM"])
def test_mail_from_a_gmail_spelling_of_our_address_is_outbound_and_touches_its_recipients(sender):
    # The connector compared spellings and said "in"; rules know Gmail's rules.
    result = match_mail(mail(sender=Address(sender, "Me Myself"), to=("ada@example.com",), direction="in"),
                        frozenset({"memyself@gmail.com"}), ADDRESSES, NAMES)
    assert (result.direction, result.contacts) == ("out", ("ada",))


@pytest.mark.parametrize(
    ("item", "contacts", "learned", "review"),
    [
        # inbound: the sender only, whatever the case and Gmail spelling
        (mail(sender="ADA@example.com"), ["ada"], [], []),
        (mail(sender="Grace.Hopper+work@googlemail.com"), ["grace"], [], []),
        (mail(sender="stranger@example.com"), [], [], []),
        # inbound from an unknown address never teaches, but a unique name is offered for review
        (mail(sender=Address("ada.new@work.example", "Ada Lovelace")), [], [], [("name", ("ada",))]),
        (mail(sender=Address("sam@else.example", "Sam Lee")), [], [], [("name", ("sam-1", "sam-2"))]),
        (mail(sender="shared@example.com"), [], [], [("address", ("sam-1", "sam-2"))]),
        # outbound: every To and Cc, own addresses skipped
        (
            mail(sender="me@example.com", direction="out", to=("ada@example.com", "me@example.com"),
                 cc=(Address("gracehopper@gmail.com"),)),
            ["ada", "grace"], [], [],
        ),
        # outbound to an unknown address whose display name is one contact: learned
        (
            mail(sender="me@example.com", direction="out", to=(Address("jose@new.example", "Jose Alvarez"),)),
            ["jose"], [("jose@new.example", "jose")], [],
        ),
        # outbound to an unknown address whose name is two contacts: review, no touch
        (
            mail(sender="me@example.com", direction="out", to=(Address("sam@new.example", "Sam Lee"),)),
            [], [], [("name", ("sam-1", "sam-2"))],
        ),
        (mail(sender="me@example.com", direction="out", to=("shared@example.com",)), [], [], [("address", ("sam-1", "sam-2"))]),
        # noise touches nobody
        (mail(sender="ada@example.com", headers=[("List-Id", "<x>")]), [], [], []),
    ],
)
def test_match_mail_touches_known_people_and_never_guesses(item, contacts, learned, review):
    result = match_mail(item, OWN, ADDRESSES, NAMES)
    assert list(result.contacts) == contacts
    assert [(entry.address, entry.contact_key) for entry in result.learned] == learned
    assert [(entry.kind, entry.candidates) for entry in result.ambiguous] == review
    assert result.reason


def test_match_mail_explains_each_decision():
    result = match_mail(mail(sender="ada@example.com"), OWN, ADDRESSES, NAMES)
    assert result.reasons == ("sender ada@example.com is Ada Lovelace",)
    learned = match_mail(
        mail(sender="me@example.com", direction="out", to=(Address("jose@new.example", "José Álvarez"),)),
        OWN, ADDRESSES, NAMES,
    ).learned
    assert learned == (Learned("jose@new.example", "jose", learned[0].reason),)
    assert "learned" in learned[0].reason


def test_noise_is_reported_instead_of_contacts():
    result = match_mail(mail(sender="noreply@example.com"), OWN, ADDRESSES, NAMES)
    assert result.contacts == () and result.noise.startswith("no-reply")


def event(title="", organizer="me@example.com", attendees=(), **extra):
    return CalendarItem(
        source="test",
        external_id="event-1",
        start=NOW,
        end=NOW + timedelta(minutes=30),
        title=title,
        organizer=Attendee(organizer, status="organizer") if organizer else None,
        attendees=tuple(value if isinstance(value, Attendee) else Attendee(value) for value in attendees),
        **extra,
    )


@pytest.mark.parametrize(
    ("item", "contacts", "review"),
    [
        (event(attendees=["me@example.com", "ADA@example.com"]), ["ada"], []),
        (event(organizer="ada@example.com", attendees=["me.myself@gmail.com"]), ["ada"], []),
        (event(attendees=[Attendee("ada@example.com", status="declined")]), [], []),
        (event(attendees=["shared@example.com"]), [], [("address", ("sam-1", "sam-2"))]),
        (event("30 Minute Meeting between Ada Lovelace and Grace Hopper", organizer="calendly@calendly.example"),
         ["ada", "grace"], []),
        (event("Call with José Álvarez"), ["jose"], []),
        (event("Call with Sam Lee"), [], [("name", ("sam-1", "sam-2"))]),
        (event("Call with Me Myself"), [], []),  # our own contact is never touched
        (event("Lunch with Ada", attendees=["stranger@example.com"]), [], []),
    ],
)
def test_match_event_uses_addresses_and_full_names_in_the_title(item, contacts, review):
    result = match_event(item, OWN, ADDRESSES, NAMES)
    assert list(result.contacts) == contacts
    assert [(entry.kind, entry.candidates) for entry in result.ambiguous] == review
    assert result.reason


def test_title_names_are_ignored_when_switched_off():
    result = match_event(event("Call with Ada Lovelace"), OWN, ADDRESSES, NAMES, contact_names_in_title=False)
    assert result.contacts == ()


def test_an_event_we_organised_teaches_an_attendee_address_by_unique_name():
    result = match_event(event(attendees=[Attendee("ada@new.example", "Ada Lovelace")]), OWN, ADDRESSES, NAMES)
    assert result.contacts == ("ada",)
    assert [(entry.address, entry.contact_key) for entry in result.learned] == [("ada@new.example", "ada")]


def test_an_event_someone_else_organised_only_offers_a_name_for_review():
    item = event(organizer="boss@corp.example", attendees=[Attendee("ada@new.example", "Ada Lovelace")])
    result = match_event(item, OWN, ADDRESSES, NAMES)
    assert result.contacts == () and result.learned == ()
    assert result.ambiguous == (ReviewItem("name", "Ada Lovelace", ("ada",), result.ambiguous[0].reason),)


def test_more_than_20_attendees_is_noise():
    item = event(attendees=["ada@example.com", *[f"p{number}@example.com" for number in range(20)]])
    result = match_event(item, OWN, ADDRESSES, NAMES)
    assert result.contacts == () and result.noise.startswith("bulk")


def test_a_cancelled_event_still_matches_but_is_flagged():
    result = match_event(event(attendees=["ada@example.com"], status="cancelled"), OWN, ADDRESSES, NAMES)
    assert result.contacts == ("ada",) and result.cancelled


@pytest.mark.parametrize("own", ["me@example.com", "Me.Myself+cal@googlemail.com"])
def test_an_event_we_declined_is_stored_as_cancelled(own):
    item = event(organizer="ada@example.com", attendees=[Attendee(own, status="declined")])
    result = match_event(item, OWN, ADDRESSES, NAMES)
    assert result.contacts == ("ada",) and result.declined and not result.cancelled
    assert result.status == "cancelled" and "you declined" in result.reason


@pytest.mark.parametrize("answer", ["accepted", "tentative", "needsAction", "unknown"])
def test_an_event_we_did_not_decline_keeps_its_status(answer):
    item = event(organizer="ada@example.com", attendees=[Attendee("me@example.com", status=answer)])
    result = match_event(item, OWN, ADDRESSES, NAMES)
    assert (result.contacts, result.declined, result.status) == (("ada",), False, "confirmed")


def test_our_own_block_is_ignored():
    result = match_event(event("Connect 5", attendees=["ada@example.com"], ours=True), OWN, ADDRESSES, NAMES)
    assert result.ignored and result.contacts == ()


ADDRESS_POOL = ["me@example.com", "me.myself+x@googlemail.com", "ada@example.com", "shared@example.com",
                "gracehopper@gmail.com", "new@example.com"]


@given(
    own=st.frozensets(st.sampled_from(ADDRESS_POOL), max_size=3),
    sender=st.sampled_from(ADDRESS_POOL),
    recipients=st.lists(st.tuples(st.sampled_from(ADDRESS_POOL), st.sampled_from(["", "Ada Lovelace", "Me Myself"])),
                        max_size=5),
    direction=st.sampled_from(["in", "out"]),
)
def test_matching_never_returns_an_own_address_as_a_contact(own, sender, recipients, direction):
    addresses = {**ADDRESSES, "new@example.com": ["ada"]}
    own_keys = {key for address in own for key in addresses.get(normalise_address(address), [])}
    item = mail(sender=sender, to=[Address(email, name) for email, name in recipients], direction=direction)
    result = match_mail(item, own, addresses, NAMES)
    assert not set(result.contacts) & own_keys
    own_normalised = {normalise_address(address) for address in own}
    assert not {entry.address for entry in result.learned} & own_normalised
    calendar = match_event(event("Call with Ada Lovelace", organizer=sender,
                                 attendees=[email for email, _ in recipients]), own, addresses, NAMES)
    assert not set(calendar.contacts) & own_keys
