"""GoogleCalendarSource against the fake Calendar: full sync, sync tokens, 410, instances, bookings."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from connectors.base import CursorExpired
from connectors.google import calendar as calendar_module
from connectors.google.calendar import GoogleCalendarSource

from .conftest import ME


def source(fake, context, **changes) -> GoogleCalendarSource:
    options = GoogleCalendarSource.Options(calendar_endpoint=fake.calendar_endpoint, token_uri=fake.token_uri,
                                           **changes)
    return GoogleCalendarSource(options, replace(context, name="calendar"), sleep=lambda seconds: None)


def run(calendar, cursor=None, stop_after=None):
    batches = []
    for batch in calendar.sync(cursor):
        batches.append(batch)
        if stop_after and len(batches) >= stop_after:
            break
    return [item for batch in batches for item in batch.items], (batches[-1].cursor if batches else cursor), batches


def meeting(clock, hours: float, **extra) -> dict:
    start = clock.now() + timedelta(hours=hours)
    return {"summary": "Meeting", "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()}, **extra}


def test_first_sync_reads_events_since_past_days_then_only_the_sync_token(fake, context, clock):
    fake.calendars.put("primary", meeting(clock, -24 * 400))  # before past_days: not read
    recent = fake.calendars.put("primary", meeting(clock, -24))
    items, cursor, batches = run(source(fake, context))
    assert [item.external_id for item in items] == [recent["id"]]
    assert batches[0].full_resync
    first = fake.calls_to("events.list")[0]
    assert first.query["singleEvents"] == ["true"] and "timeMin" in first.query
    later = fake.calendars.put("primary", meeting(clock, 2))
    items, cursor, batches = run(source(fake, context), cursor)
    assert [item.external_id for item in items] == [later["id"]] and not batches[0].full_resync
    incremental = fake.calls_to("events.list")[-1].query
    assert "syncToken" in incremental and not {"timeMin", "timeMax", "q", "orderBy", "updatedMin"} & set(incremental)


def test_an_event_becomes_a_calendar_item_with_times_in_utc_and_attendees(fake, context, clock):
    fake.calendars.put("primary", {
        "summary": "Lunch", "start": {"dateTime": "2026-06-02T12:30:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": "2026-06-02T13:30:00", "timeZone": "Europe/Paris"},
        "attendees": [{"email": ME, "responseStatus": "accepted", "self": True, "organizer": True},
                      {"email": "Bob@Example.org", "displayName": "Bob", "responseStatus": "tentative"}]})
    fake.calendars.put("primary", {"summary": "Holiday", "start": {"date": "2026-06-03"}, "end": {"date": "2026-06-04"}})
    (lunch, holiday), _, _ = run(source(fake, context))
    assert lunch.start == datetime(2026, 6, 2, 10, 30, tzinfo=timezone.utc) and lunch.title == "Lunch"
    assert [(a.email, a.status) for a in lunch.attendees] == [(ME, "organizer"), ("bob@example.org", "tentative")]
    assert lunch.organizer.email == ME and lunch.created is not None and not lunch.ours
    assert holiday.start == datetime(2026, 6, 2, 23, 0, tzinfo=timezone.utc)  # midnight in London (BST)


def test_recurring_events_come_as_instances_and_cancelled_or_moved_ones_are_reported(fake, context, clock):
    start = clock.now().replace(hour=9, minute=0) + timedelta(days=1)
    series = fake.calendars.put("primary", {
        "summary": "Standup", "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=15)).isoformat(), "timeZone": "UTC"}})
    items, cursor, _ = run(source(fake, context))
    assert len(items) == 5 and {item.series_id for item in items} == {series["id"]}
    fake.calendars.delete_event("primary", items[1].external_id)
    moved_to = start + timedelta(days=2, hours=3)
    fake.calendars.patch_event("primary", items[2].external_id, {
        "start": {"dateTime": moved_to.isoformat()}, "end": {"dateTime": (moved_to + timedelta(minutes=15)).isoformat()}})
    changed, cursor, _ = run(source(fake, context), cursor)
    by_id = {item.external_id: item for item in changed}
    assert by_id[items[1].external_id].status == "cancelled"
    assert by_id[items[2].external_id].start == moved_to


def test_a_stale_sync_token_asks_for_a_full_resync_that_replaces_the_items(fake, context, clock):
    fake.calendars.put("primary", meeting(clock, 1))
    _, cursor, _ = run(source(fake, context))
    fake.calendars.invalidate_sync_tokens("primary")
    with pytest.raises(CursorExpired):
        run(source(fake, context), cursor)
    items, cursor, batches = run(source(fake, context), None)
    assert batches[0].full_resync and len(items) == 1


def test_our_own_block_is_recognised_by_its_private_property(fake, context, clock):
    fake.calendars.put("primary", meeting(clock, 1, extendedProperties={"private": {"connect5": "block"}}))
    fake.calendars.put("primary", meeting(clock, 2))
    items, _, _ = run(source(fake, context))
    assert [item.ours for item in items] == [True, False]


def test_a_calendly_style_booking_lands_with_the_invitee_as_attendee(fake, context, clock):
    _, cursor, _ = run(source(fake, context))
    start = clock.now() + timedelta(days=3)
    fake.calendars.put("primary", {
        "summary": "Ada Lovelace and Bob Smith", "description": "Event Name: 30 Minute Meeting\nPowered by Calendly.com",
        "start": {"dateTime": start.isoformat()}, "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
        "organizer": {"email": ME, "self": True},
        "attendees": [{"email": ME, "organizer": True, "self": True, "responseStatus": "accepted"},
                      {"email": "bob@example.org", "displayName": "Bob Smith", "responseStatus": "accepted"}]})
    (booking,), _, _ = run(source(fake, context), cursor)
    assert ("bob@example.org", "accepted") in [(a.email, a.status) for a in booking.attendees]
    assert booking.created <= clock.now() < booking.start and booking.status == "confirmed"


def test_a_sync_interrupted_between_pages_resumes_without_losing_events(fake, context, clock, monkeypatch):
    monkeypatch.setattr(calendar_module, "PAGE_SIZE", 10)
    created = {fake.calendars.put("primary", meeting(clock, hour))["id"] for hour in range(35)}
    first, cursor, _ = run(source(fake, context), stop_after=2)
    assert json.loads(cursor)["calendars"]["primary"]["page"]
    rest, cursor, _ = run(source(fake, context), cursor)
    assert {item.external_id for item in first + rest} == created
    assert json.loads(cursor)["calendars"]["primary"]["sync"]


def test_several_calendars_are_synced_with_their_own_tokens(fake, context, clock):
    team = fake.calendars.insert_calendar({"summary": "Team"})["id"]
    fake.calendars.put("primary", meeting(clock, 1))
    fake.calendars.put(team, meeting(clock, 2))
    items, cursor, _ = run(source(fake, context, calendars=["primary", team]))
    assert len(items) == 2 and items[1].external_id.startswith(team + "/")
    assert set(json.loads(cursor)["calendars"]) == {"primary", team}


def test_a_403_for_a_usage_limit_is_retried_later_and_one_for_permission_asks_for_a_sign_in(fake, context, clock):
    from fakes.google import Fault

    from connectors.base import AuthError, SourceUnavailable

    fake.injector = lambda layer, what: Fault("status", status=403, reason="quotaExceeded") if layer == "api" else None
    with pytest.raises(SourceUnavailable) as raised:
        run(source(fake, context))
    assert not isinstance(raised.value, AuthError)
    fake.injector = lambda layer, what: (
        Fault("status", status=403, reason="forbidden") if layer == "api" else None)
    with pytest.raises(AuthError, match="connect5 auth google"):
        run(source(fake, context))


WORK = "ada@work.example"  # the only address in [me] emails; the Google account (ME) is not listed


def test_our_own_decline_is_known_by_self_from_an_address_not_in_me_emails(fake, context, clock):
    from rules.matching import match_event
    from rules.names import NameIndex

    context = replace(context, own_addresses=frozenset({WORK}))
    fake.calendars.put("primary", meeting(clock, 24, organizer={"email": "bob@example.org"}, attendees=[
        {"email": "bob@example.org", "displayName": "Bob Smith", "organizer": True, "responseStatus": "accepted"},
        {"email": ME, "responseStatus": "declined"}]))  # Google marks our entry "self": true
    (item,), _, _ = run(source(fake, context))
    match = match_event(item, context.own_addresses, {"bob@example.org": ["bob"]}, NameIndex([("bob", "Bob Smith")]))
    assert match.declined and match.status == "cancelled" and match.contacts == ("bob",)


def test_an_event_we_organised_from_an_address_not_in_me_emails_is_ours(fake, context, clock):
    from rules.matching import match_event
    from rules.names import NameIndex

    context = replace(context, own_addresses=frozenset({WORK}))
    fake.calendars.put("primary", meeting(clock, 24, attendees=[  # organised on our calendar: organizer is ME
        {"email": ME, "organizer": True, "responseStatus": "accepted"},
        {"email": "grace.new@example.org", "displayName": "Grace Hopper", "responseStatus": "accepted"}]))
    (item,), _, _ = run(source(fake, context))
    assert item.organizer.email == WORK
    match = match_event(item, context.own_addresses, {}, NameIndex([("grace", "Grace Hopper")]))
    assert [(learned.address, learned.contact_key) for learned in match.learned] == [("grace.new@example.org", "grace")]
