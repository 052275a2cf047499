"""Page tokens Google no longer takes: the listing starts again, once, and never loops on one cursor.

Google may expire a page token some time after issuing it (https://google.aip.dev/158)
and answers it 400. A cursor keeps the page token of a sync cut short, so without a
way back every later sync would send the same dead token and fail the same way.
"""

from __future__ import annotations

import json

import pytest

from connectors.base import CursorExpired, SourceUnavailable
from connectors.google import calendar as calendar_module

from .conftest import ME
from .test_calendar import meeting, run
from .test_calendar import source as calendar_source
from .test_gmail import fill
from .test_gmail import run as run_gmail
from .test_gmail import source as gmail_source


def expire_page_tokens_before_every(fake, method: str, expire) -> None:
    """Every ``method`` call meets page tokens that have just expired."""

    def injector(layer: str, what: str):
        if layer == "api" and what == method:
            expire()
        return None

    fake.injector = injector


def statuses(fake, method: str, since: int = 0) -> list[int]:
    return [call.status for call in fake.calls[since:] if call.method == method]


# --- Google Calendar ---------------------------------------------------------------


@pytest.fixture
def ten_a_page(monkeypatch):
    monkeypatch.setattr(calendar_module, "PAGE_SIZE", 10)


def test_an_incremental_calendar_sync_whose_page_token_expired_reads_again_from_its_sync_token(
        fake, context, clock, ten_a_page):
    _, cursor, _ = run(calendar_source(fake, context))
    created = {fake.calendars.put("primary", meeting(clock, hour))["id"] for hour in range(35)}
    first, cursor, _ = run(calendar_source(fake, context), cursor, stop_after=1)
    assert json.loads(cursor)["calendars"]["primary"]["page"]
    fake.calendars.expire_page_tokens()
    before = len(fake.calls)
    rest, cursor, batches = run(calendar_source(fake, context), cursor)
    assert {item.external_id for item in first + rest} == created
    assert not any(batch.full_resync for batch in batches)
    state = json.loads(cursor)["calendars"]["primary"]
    assert state["sync"] and not state["page"]
    assert statuses(fake, "events.list", before)[0] == 400 and statuses(fake, "events.list", before).count(400) == 1
    restart = [call for call in fake.calls[before:] if call.method == "events.list"][1]
    assert "syncToken" in restart.query and "pageToken" not in restart.query


def test_a_full_calendar_sync_whose_page_token_expired_asks_for_a_full_resync(fake, context, clock, ten_a_page):
    created = {fake.calendars.put("primary", meeting(clock, hour))["id"] for hour in range(35)}
    _, cursor, _ = run(calendar_source(fake, context), stop_after=2)
    assert not json.loads(cursor)["calendars"]["primary"]["sync"]
    fake.calendars.expire_page_tokens()
    with pytest.raises(CursorExpired):
        run(calendar_source(fake, context), cursor)
    items, cursor, batches = run(calendar_source(fake, context), None)  # what the daemon does next
    assert batches[0].full_resync and {item.external_id for item in items} == created


def test_a_calendar_page_token_refused_again_is_an_error_not_a_loop(fake, context, clock, ten_a_page):
    _, cursor, _ = run(calendar_source(fake, context))
    for hour in range(35):
        fake.calendars.put("primary", meeting(clock, hour))
    _, cursor, _ = run(calendar_source(fake, context), cursor, stop_after=1)
    expire_page_tokens_before_every(fake, "events.list", fake.calendars.expire_page_tokens)
    before = len(fake.calls)
    with pytest.raises(SourceUnavailable, match="400"):
        run(calendar_source(fake, context), cursor)
    assert statuses(fake, "events.list", before) == [400, 200, 400]


# --- Gmail ---------------------------------------------------------------------------


@pytest.mark.parametrize("cut_after, phase", [(1, "sent"), (3, "rest")])
def test_a_backfill_pass_whose_page_token_expired_starts_that_pass_again(fake, context, clock, cut_after, phase):
    fill(fake, clock, 1300, every_sent=2)  # 650 sent (2 pages), 650 others (2 pages)
    first, cursor = run_gmail(gmail_source(fake, context, clock), stop_after=cut_after)
    assert json.loads(cursor)["phase"] == phase and json.loads(cursor)["page"]
    fake.mailbox.expire_page_tokens()
    before = len(fake.calls)
    second, cursor = run_gmail(gmail_source(fake, context, clock), cursor)
    assert {item.external_id for item in first + second} == set(fake.mailbox.messages)
    assert json.loads(cursor)["phase"] == "incremental"
    assert statuses(fake, "users.messages.list", before).count(400) == 1
    later = fake.mailbox.add(sender="later@example.org", to=ME)
    assert [item.external_id for item in run_gmail(gmail_source(fake, context, clock), cursor)[0]] == [later.id]


def test_a_history_page_token_refused_mid_listing_lists_again_from_the_last_record_committed(fake, context, clock):
    fill(fake, clock, 10)
    _, cursor = run_gmail(gmail_source(fake, context, clock))
    news = {fake.mailbox.add(sender=f"n{index}@example.org", to=ME).id for index in range(1200)}  # 3 pages
    before = len(fake.calls)
    seen, committed = [], []
    for batch in gmail_source(fake, context, clock).sync(cursor):
        seen.extend(batch.items)
        committed.append(json.loads(batch.cursor)["history"])
        if len(committed) == 1:
            fake.mailbox.expire_page_tokens()
    assert {item.external_id for item in seen} == news
    calls = [call for call in fake.calls[before:] if call.method == "users.history.list"]
    assert [call.status for call in calls].count(400) == 1
    restart = calls[[call.status for call in calls].index(400) + 1]
    assert restart.query["startHistoryId"] == [committed[0]] and "pageToken" not in restart.query


def test_a_gmail_page_token_refused_again_is_an_error_not_a_loop(fake, context, clock):
    fill(fake, clock, 1300, every_sent=2)
    _, cursor = run_gmail(gmail_source(fake, context, clock), stop_after=1)
    expire_page_tokens_before_every(fake, "users.messages.list", fake.mailbox.expire_page_tokens)
    before = len(fake.calls)
    with pytest.raises(SourceUnavailable, match="400"):
        run_gmail(gmail_source(fake, context, clock), cursor)
    assert statuses(fake, "users.messages.list", before) == [400, 200, 400]
