"""GoogleBlockWriter against the fake Calendar: one series, one patch a day, the user's edits win."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.base import BlockSeriesDeleted
from connectors.google import CALENDAR_APP_CREATED
from connectors.google.block import GoogleBlockWriter
from connectors.records import Block

ZONE = "Europe/London"
MONDAY = date(2026, 6, 1)


def block(day: date, names: str = "Ada, Bob", at: str = "09:00", minutes: int = 5, **changes) -> Block:
    hour, minute = map(int, at.split(":"))
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(ZONE))
    return Block(day=day, title="Connect 5", start=start, minutes=minutes, description=names,
                 html=f"<p>{names}</p>", timezone=ZONE, series_description="Your five show here each morning.",
                 **changes)


def writer(fake, context, **changes) -> GoogleBlockWriter:
    options = GoogleBlockWriter.Options(calendar_endpoint=fake.calendar_endpoint, token_uri=fake.token_uri, **changes)
    return GoogleBlockWriter(options, replace(context, name="block:google"))


def instance(fake, reference):
    return fake.calendars.get_event("primary", reference.remote_id)


def test_the_block_is_written_once_per_day_however_often_the_morning_job_runs(fake, context):
    for _ in range(4):
        reference = writer(fake, context).write(MONDAY, block(MONDAY))
    assert reference.state == "written"
    assert len(fake.calls_to("events.insert")) == 1 and len(fake.calls_to("events.patch")) == 1
    event = instance(fake, reference)
    assert event["summary"] == "Connect 5" and event["description"] == "<p>Ada, Bob</p>"
    assert event["start"]["dateTime"].startswith("2026-06-01T09:00:00+01:00")


def test_the_series_is_private_ours_five_minutes_on_the_block_days_in_an_explicit_zone(fake, context):
    writer(fake, context).write(MONDAY, block(MONDAY))
    (inserted,) = fake.calls_to("events.insert")
    series = fake.calendars.get_event("primary", "connect5block0")
    assert series["visibility"] == "private"
    assert series["extendedProperties"]["private"]["connect5"] == "block"
    assert series["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"]
    assert series["start"] == {"dateTime": "2026-06-01T09:00:00", "timeZone": ZONE}
    assert series["end"] == {"dateTime": "2026-06-01T09:05:00", "timeZone": ZONE}


def test_each_day_patches_its_own_instance_of_the_one_series(fake, context):
    first = writer(fake, context).write(MONDAY, block(MONDAY, "Ada"))
    second = writer(fake, context).write(MONDAY + timedelta(days=1), block(MONDAY + timedelta(days=1), "Cy"))
    assert first.remote_id != second.remote_id and len(fake.calls_to("events.insert")) == 1
    assert instance(fake, second)["description"] == "<p>Cy</p>" and instance(fake, first)["description"] == "<p>Ada</p>"


def test_a_new_series_created_on_a_weekend_starts_on_the_next_block_day(fake, context):
    saturday = MONDAY - timedelta(days=2)
    writer(fake, context).write(MONDAY, block(saturday))
    assert fake.calendars.get_event("primary", "connect5block0")["start"]["dateTime"] == "2026-06-01T09:00:00"


def test_an_insert_answered_409_reads_the_existing_series_instead_of_making_another(fake, context):
    writer(fake, context).write(MONDAY, block(MONDAY))  # the earlier run whose answer was "lost"

    class LostAnswer(GoogleBlockWriter):
        hidden = True

        def _get(self, calendar_id, event_id):
            if self.hidden:
                self.hidden = False
                return None
            return super()._get(calendar_id, event_id)

    options = GoogleBlockWriter.Options(calendar_endpoint=fake.calendar_endpoint, token_uri=fake.token_uri)
    reference = LostAnswer(options, context).write(MONDAY, block(MONDAY))
    assert [call.status for call in fake.calls_to("events.insert")] == [200, 409]
    assert reference.state == "written" and len(fake.calendars.calendar("primary").events) == 1


def test_an_instance_the_user_moved_keeps_its_new_time(fake, context):
    reference = writer(fake, context).write(MONDAY, block(MONDAY, "Ada"))
    later = datetime(2026, 6, 1, 16, 0, tzinfo=ZoneInfo(ZONE))
    fake.calendars.patch_event("primary", reference.remote_id, {
        "start": {"dateTime": later.isoformat()}, "end": {"dateTime": (later + timedelta(minutes=5)).isoformat()}})
    again = writer(fake, context).write(MONDAY, block(MONDAY, "Ada, Eve"))
    event = instance(fake, again)
    assert again.state == "moved" and event["start"]["dateTime"] == later.isoformat()
    assert event["description"] == "<p>Ada, Eve</p>"


def test_an_instance_the_user_deleted_is_not_recreated(fake, context):
    reference = writer(fake, context).write(MONDAY, block(MONDAY))
    fake.calendars.delete_event("primary", reference.remote_id)
    patches = len(fake.calls_to("events.patch"))
    again = writer(fake, context).write(MONDAY, block(MONDAY, "Someone else"))
    assert again.state == "user-deleted" and len(fake.calls_to("events.patch")) == patches
    assert instance(fake, reference)["status"] == "cancelled"


def test_a_series_the_user_deleted_stops_writing_until_restarted(fake, context):
    writer(fake, context).write(MONDAY, block(MONDAY))
    fake.calendars.delete_event("primary", "connect5block0")
    tuesday = MONDAY + timedelta(days=1)
    with pytest.raises(BlockSeriesDeleted, match="deleted"):
        writer(fake, context).write(tuesday, block(tuesday))
    assert len(fake.calls_to("events.insert")) == 1
    restarted = writer(fake, context).restart(tuesday, block(tuesday))
    assert restarted.remote_id.startswith("connect5block1_") and restarted.state == "written"
    wednesday = tuesday + timedelta(days=1)
    assert writer(fake, context).write(wednesday, block(wednesday)).remote_id.startswith("connect5block1_")


def test_a_changed_block_time_moves_the_series(fake, context):
    writer(fake, context).write(MONDAY, block(MONDAY))
    tuesday = MONDAY + timedelta(days=1)
    reference = writer(fake, context).write(tuesday, block(tuesday, at="08:30", minutes=10))
    event = instance(fake, reference)
    assert event["start"]["dateTime"].startswith("2026-06-02T08:30:00")
    assert event["end"]["dateTime"].startswith("2026-06-02T08:40:00")


def test_the_own_calendar_mode_needs_only_the_app_created_scope_and_is_found_again(fake, context, tmp_path):
    narrow = tmp_path / "narrow"
    fake.token_file(narrow, [CALENDAR_APP_CREATED])
    own = replace(context, tokens_dir=narrow)
    first = writer(fake, own, calendar="connect5").write(MONDAY, block(MONDAY))
    second = writer(fake, own, calendar="connect5").write(MONDAY, block(MONDAY))
    created = [c for c in fake.calendars.calendars.values() if c.app_created]
    assert len(created) == 1 and first.remote_id == second.remote_id
    assert len(created[0].events) == 1 and not fake.calendars.calendar("primary").events
