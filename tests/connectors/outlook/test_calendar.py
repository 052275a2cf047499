"""The Outlook calendar source against the fake Graph: window, series, answers, our block."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fakes.graph import instance_id
from fakes.graph.wiring import ME, NOW

from connectors.base import CursorExpired
from connectors.outlook import BLOCK_PROPERTY_ID, BLOCK_PROPERTY_VALUE, CATEGORY

LONDON = ZoneInfo("Europe/London")


def items_of(batches) -> list:
    return [item for batch in batches for item in batch.items]


def test_first_sync_lists_events_with_attendees_and_their_answers(graph, calendar_source):
    meeting = graph.calendar.add_event("Coffee with Ada", NOW + timedelta(days=2),
                                       attendees=[("ada@example.org", "accepted"), ("bob@example.org", "tentativelyAccepted")])
    graph.calendar.add_event("Long ago", NOW - timedelta(days=500))
    batches = list(calendar_source().sync(None))
    (item,) = items_of(batches)
    assert batches[0].full_resync
    assert (item.external_id, item.title, item.status, item.ours) == (meeting, "Coffee with Ada", "confirmed", False)
    assert [(a.email, a.status) for a in item.attendees] == [("ada@example.org", "accepted"), ("bob@example.org", "tentative")]
    assert item.start == NOW + timedelta(days=2) and item.end == item.start + timedelta(minutes=30)
    assert item.organizer.status == "organizer"


def test_our_own_answer_comes_from_the_events_response_status(graph, calendar_source):
    # On our copy Graph leaves our attendee entry at "none"; responseStatus is our answer.
    declined = {"response": "declined", "time": "2026-02-01T10:00:00Z"}
    organizer = {"emailAddress": {"address": "ada@example.org", "name": "Ada"}}
    listed = graph.calendar.add_event("Listed", NOW + timedelta(days=2), attendees=[(ME, "none")],
                                      organizer=organizer, responseStatus=declined)
    unlisted = graph.calendar.add_event("Via a list", NOW + timedelta(days=3), attendees=[("team@example.org", "none")],
                                        organizer=organizer, responseStatus=declined)
    accepted = graph.calendar.add_event("Accepted", NOW + timedelta(days=4), attendees=[(ME, "none")],
                                        organizer=organizer, responseStatus={"response": "accepted"})
    series = graph.calendar.add_series("Weekly", NOW + timedelta(days=1), attendees=[(ME, "none")],
                                       organizer=organizer, responseStatus=declined)
    items = items_of(calendar_source(backfill_months=1, months_ahead=1).sync(None))
    answers = {item.external_id: [(a.email, a.status) for a in item.attendees] for item in items}
    assert answers[listed] == [(ME, "declined")]
    assert answers[unlisted] == [("team@example.org", "needsAction"), (ME, "declined")]
    assert answers[accepted] == [(ME, "accepted")]
    occurrences = [item for item in items if item.series_id == series]
    assert occurrences and all(
        [(a.email, a.status) for a in item.attendees] == [(ME, "declined")] for item in occurrences)


def test_occurrences_take_title_and_attendees_from_their_series(graph, calendar_source):
    start = datetime(2026, 2, 2, 10, 0, tzinfo=LONDON)
    series = graph.calendar.add_series("Weekly sync", start, days=("monday",), attendees=[("eve@example.org", "accepted")])
    items = items_of(calendar_source(backfill_months=1, months_ahead=1).sync(None))
    assert len(items) >= 8
    assert {(i.title, i.series_id) for i in items} == {("Weekly sync", series)}
    assert all([a.email for a in i.attendees] == ["eve@example.org"] for i in items)
    assert all(i.start.astimezone(LONDON).hour == 10 for i in items)


def test_no_calendar_request_selects_a_body_and_masters_are_read_with_a_selection(graph, calendar_source):
    graph.calendar.add_series("Weekly sync", datetime(2026, 2, 2, 10, tzinfo=LONDON), days=("monday",))
    list(calendar_source().sync(None))
    reads = graph.graph_requests("/me/events/")
    assert reads and all("$select" in r.query and "body" not in r.query["$select"].lower() for r in reads)


def test_a_cancelled_occurrence_and_a_cancelled_meeting_come_back_cancelled(graph, calendar_source):
    series = graph.calendar.add_series("Weekly sync", datetime(2026, 2, 2, 10, tzinfo=LONDON), days=("monday",))
    meeting = graph.calendar.add_event("Lunch", NOW + timedelta(days=1))
    source = calendar_source()
    cursor = list(source.sync(None))[-1].cursor
    graph.calendar.delete(instance_id(series, date(2026, 3, 9)))
    graph.calendar.patch(meeting, {"isCancelled": True})
    changed = {i.external_id: i.status for i in items_of(source.sync(cursor))}
    assert changed == {instance_id(series, date(2026, 3, 9)): "cancelled", meeting: "cancelled"}


def test_a_call_booked_with_a_contact_appears_in_the_next_poll(graph, calendar_source):
    source = calendar_source()
    cursor = list(source.sync(None))[-1].cursor
    assert items_of(source.sync(cursor)) == []
    booked = graph.calendar.add_event("Call with Ada", NOW + timedelta(days=3), attendees=[("ada@example.org", "none")])
    (item,) = items_of(source.sync(cursor))
    assert item.external_id == booked and item.attendees[0].email == "ada@example.org"
    assert item.attendees[0].status == "needsAction"


def test_our_own_block_is_recognised_by_its_extended_property(graph, calendar_source):
    graph.calendar.add_series("Connect 5", datetime(2026, 2, 2, 9, tzinfo=LONDON), days=("monday", "tuesday"),
                              minutes=5, categories=[CATEGORY],
                              singleValueExtendedProperties=[{"id": BLOCK_PROPERTY_ID, "value": BLOCK_PROPERTY_VALUE}])
    graph.calendar.add_series("Connect 5 lookalike", datetime(2026, 2, 2, 11, tzinfo=LONDON), days=("monday",),
                              categories=[CATEGORY])
    items = items_of(calendar_source(backfill_months=1, months_ahead=1).sync(None))
    ours = {i.title for i in items if i.ours}
    assert ours == {"Connect 5"} and any(not i.ours for i in items)


def test_a_moved_window_is_read_again_without_a_full_resync(graph, calendar_source):
    early = graph.calendar.add_event("Early", NOW + timedelta(days=80))
    later = graph.calendar.add_event("Later", NOW + timedelta(days=100))
    cursor = list(calendar_source(months_ahead=3).sync(None))[-1].cursor
    moved = list(calendar_source(now=NOW + timedelta(days=30), months_ahead=3).sync(cursor))
    assert not any(b.full_resync for b in moved)
    assert {i.external_id for i in items_of(moved)} >= {early, later}
    graph.reset_counts()
    assert items_of(calendar_source(now=NOW + timedelta(days=30)).sync(moved[-1].cursor)) == []
    assert len(graph.requests) == 1


def test_an_expired_delta_token_asks_for_a_full_resync(graph, calendar_source):
    source = calendar_source()
    cursor = list(source.sync(None))[-1].cursor
    graph.expire_delta_tokens()
    with pytest.raises(CursorExpired):
        list(source.sync(cursor))


def test_crash_mid_sync_and_restart_loses_nothing(graph, calendar_source):
    wanted = {graph.calendar.add_event(f"Meeting {n}", NOW + timedelta(hours=5 * n)) for n in range(23)}
    seen, cursor = [], None
    generator = calendar_source(page_size=4).sync(cursor)
    for count, batch in enumerate(generator):
        if count == 3:
            break
        seen.extend(batch.items)
        cursor = batch.cursor
    generator.close()
    for batch in calendar_source(page_size=4).sync(cursor):
        seen.extend(batch.items)
    ids = [i.external_id for i in seen]
    assert set(ids) == wanted and len(ids) == len(wanted)


def test_times_are_aware_and_in_utc(graph, calendar_source):
    graph.calendar.add_event("Zoned", datetime(2026, 3, 5, 15, 30, tzinfo=ZoneInfo("America/New_York")))
    (item,) = items_of(calendar_source().sync(None))
    assert item.start == datetime(2026, 3, 5, 20, 30, tzinfo=timezone.utc)


def test_all_day_events_start_at_midnight_in_my_zone(graph, tokens_dir, tmp_path):
    from fakes.graph.wiring import account_options, context

    from connectors.outlook.calendar import OutlookCalendarSource

    pacific = ZoneInfo("America/Los_Angeles")
    graph.calendar.create({"subject": "Offsite", "isAllDay": True,
                           "start": {"dateTime": "2026-03-05T00:00:00", "timeZone": "America/Los_Angeles"},
                           "end": {"dateTime": "2026-03-06T00:00:00", "timeZone": "America/Los_Angeles"}})
    graph.calendar.add_series("Gym day", datetime(2026, 3, 4, tzinfo=pacific), days=("wednesday",),
                              minutes=24 * 60, isAllDay=True)
    options = OutlookCalendarSource.Options(**account_options(graph))
    source = OutlookCalendarSource(options, context(tmp_path, tokens_dir, "outlook-calendar", zone="America/Los_Angeles"))
    items = {(item.title, item.start.date()): item for item in items_of(source.sync(None))}
    offsite = items["Offsite", date(2026, 3, 5)]
    assert (offsite.start, offsite.end) == (datetime(2026, 3, 5, tzinfo=pacific), datetime(2026, 3, 6, tzinfo=pacific))
    gym = items["Gym day", date(2026, 3, 11)]
    assert gym.start == datetime(2026, 3, 11, tzinfo=pacific) and gym.end - gym.start == timedelta(days=1)
