"""The Outlook block writer against the fake Graph: one series, one block a day, the user's edits win."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes.graph import instance_id, parse_graph_time

from connectors.base import BlockSeriesDeleted
from connectors.outlook import BLOCK_PROPERTY_ID, CATEGORY
from connectors.records import Block

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 3, 2)


def block_for(day: date, names=("Ada Lovelace",), at: time = time(9, 0), weekdays=("mon", "tue", "wed", "thu", "fri")) -> Block:
    links = "".join(f'<li><a href="https://www.linkedin.com/in/{n.split()[0].lower()}">{n}</a></li>' for n in names)
    return Block(
        day=day, title=f"Connect 5 · {', '.join(n.split()[0] for n in names)}",
        start=datetime.combine(day, at, tzinfo=LONDON), minutes=5,
        description="\n".join(names), html=f"<ul>{links}</ul>", weekdays=weekdays, timezone="Europe/London",
        series_description="Five minutes for five people",
    )


def series_of(graph) -> list[dict]:
    return [e for e in graph.calendar.events.values() if e["type"] == "seriesMaster"]


def test_the_first_write_creates_one_private_series_and_fills_the_days_occurrence(graph, block_writer):
    reference = block_writer().write(MONDAY, block_for(MONDAY))
    (series,) = series_of(graph)
    assert series["sensitivity"] == "private" and series["categories"] == [CATEGORY]
    assert series["singleValueExtendedProperties"][0]["id"] == BLOCK_PROPERTY_ID
    assert series["recurrence"]["pattern"]["daysOfWeek"] == ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert series["transactionId"]
    assert (reference.writer, reference.state) == ("outlook", "written")
    assert reference.remote_id == instance_id(series["id"], MONDAY)
    occurrence = graph.calendar.get(reference.remote_id)
    assert occurrence["subject"] == "Connect 5 · Ada"
    assert occurrence["body"]["contentType"] == "HTML" and 'href="https://www.linkedin.com/in/ada"' in occurrence["body"]["content"]
    start = parse_graph_time(occurrence["start"]).astimezone(LONDON)
    assert (start.hour, start.minute) == (9, 0)
    assert parse_graph_time(occurrence["end"]) - parse_graph_time(occurrence["start"]) == timedelta(minutes=5)


def test_one_block_a_day_however_often_it_is_written(graph, block_writer):
    writer = block_writer()
    first = writer.write(MONDAY, block_for(MONDAY, ("Ada Lovelace",)))
    again = block_writer().write(MONDAY, block_for(MONDAY, ("Ada Lovelace", "Bob Stone")))
    tuesday = block_writer().write(MONDAY + timedelta(days=1), block_for(MONDAY + timedelta(days=1), ("Eve Ng",)))
    assert len(graph.calendar.events) == 1 and first.remote_id == again.remote_id != tuesday.remote_id
    assert graph.calendar.get(first.remote_id)["subject"] == "Connect 5 · Ada, Bob"
    assert graph.calendar.get(tuesday.remote_id)["subject"] == "Connect 5 · Eve"
    assert len(graph.graph_requests("/me/events")) - len(graph.graph_requests("/me/events/")) == 2  # find + create once


def test_a_lost_series_mark_finds_the_series_again_instead_of_creating_another(graph, block_writer, tmp_path):
    block_writer().write(MONDAY, block_for(MONDAY))
    (tmp_path / "outlook-block.json").unlink()
    block_writer().write(MONDAY, block_for(MONDAY))
    assert len(series_of(graph)) == 1


def test_a_create_retried_after_a_lost_answer_does_not_duplicate(graph, block_writer):
    writer = block_writer()
    first = writer._create(block_for(MONDAY))
    second = writer._create(block_for(MONDAY))
    assert first == second and len(series_of(graph)) == 1


def test_a_moved_occurrence_keeps_its_time(graph, block_writer):
    writer = block_writer()
    reference = writer.write(MONDAY, block_for(MONDAY))
    series_id = series_of(graph)[0]["id"]
    graph.calendar.move_occurrence(series_id, MONDAY, datetime.combine(MONDAY, time(14, 30), tzinfo=LONDON))
    moved = writer.write(MONDAY, block_for(MONDAY, ("Ada Lovelace", "Bob Stone")))
    assert moved.state == "moved" and moved.remote_id == reference.remote_id
    occurrence = graph.calendar.get(moved.remote_id)
    assert parse_graph_time(occurrence["start"]).astimezone(LONDON).hour == 14
    assert occurrence["subject"] == "Connect 5 · Ada, Bob"


def test_a_deleted_occurrence_is_not_recreated(graph, block_writer):
    writer = block_writer()
    reference = writer.write(MONDAY, block_for(MONDAY))
    graph.calendar.delete(reference.remote_id)
    again = writer.write(MONDAY, block_for(MONDAY))
    assert again.state == "user-deleted"
    assert len(graph.calendar.events) == 1
    assert writer.write(MONDAY + timedelta(days=1), block_for(MONDAY + timedelta(days=1))).state == "written"


def test_a_deleted_series_stops_block_writing_with_a_clear_message(graph, block_writer):
    writer = block_writer()
    writer.write(MONDAY, block_for(MONDAY))
    graph.calendar.delete(series_of(graph)[0]["id"])
    with pytest.raises(BlockSeriesDeleted, match="deleted in Outlook"):
        writer.write(MONDAY + timedelta(days=1), block_for(MONDAY + timedelta(days=1)))
    assert graph.calendar.events == {}


def test_a_new_block_time_moves_the_series(graph, block_writer):
    block_writer().write(MONDAY, block_for(MONDAY))
    tuesday = MONDAY + timedelta(days=1)
    reference = block_writer().write(tuesday, block_for(tuesday, at=time(8, 15)))
    assert len(series_of(graph)) == 1
    start = parse_graph_time(graph.calendar.get(reference.remote_id)["start"]).astimezone(LONDON)
    assert (start.hour, start.minute) == (8, 15)


def test_the_calendar_source_sees_the_block_as_ours(graph, block_writer, calendar_source):
    block_writer().write(MONDAY, block_for(MONDAY))
    graph.calendar.add_event("Real meeting", datetime(2026, 3, 3, 11, tzinfo=LONDON))
    items = [i for b in calendar_source(backfill_months=1, months_ahead=1).sync(None) for i in b.items]
    assert {i.title for i in items if not i.ours} == {"Real meeting"}
    assert any(i.ours and i.title == "Connect 5 · Ada" for i in items)
