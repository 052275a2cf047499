"""The Outlook mail source against the fake Graph: delta paging, privacy, crashes, throttling."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import sys
from collections import Counter
from datetime import timedelta

import pytest
from fakes.graph.wiring import NOW

from connectors.base import AuthError
from connectors.outlook.graph import Request

BODY_FIELDS = {"body", "bodypreview", "uniquebody", "internetmessageheaders"}


def fill(graph, inbox: int, sent: int = 0) -> set[str]:
    ids = set()
    for number in range(inbox):
        ids.add(graph.mailbox.add("inbox", sender=f"person{number}@example.org", received=NOW - timedelta(hours=number)))
    for number in range(sent):
        ids.add(graph.mailbox.add("sentitems", sender="me@example.com", to=[f"person{number}@example.org"],
                                  received=NOW - timedelta(hours=number)))
    return ids


def test_first_sync_reads_inbox_and_sent_items_back_to_the_backfill_start(graph, mail_source):
    wanted = fill(graph, 23, 5)
    graph.mailbox.add("inbox", sender="old@example.org", received=NOW - timedelta(days=400))
    batches = list(mail_source(page_size=10, backfill_months=12).sync(None))
    items = [item for batch in batches for item in batch.items]
    assert {item.external_id for item in items} == wanted
    assert batches[0].full_resync and not any(batch.full_resync for batch in batches[1:])
    outgoing = [item for item in items if item.direction == "out"]
    assert len(outgoing) == 5 and all(item.sender.email == "me@example.com" for item in outgoing)


def test_no_request_ever_asks_for_a_message_body(graph, mail_source):
    fill(graph, 15, 3)
    source = mail_source(page_size=4)
    cursor = list(source.sync(None))[-1].cursor
    graph.mailbox.add("inbox", sender="new@example.org", received=NOW)
    list(source.sync(cursor))
    deltas = graph.graph_requests("/messages/delta")
    first_requests = [r for r in deltas if "$select" in r.query]
    assert len(first_requests) == 2  # one per folder; the links carry the selection after that
    for request in first_requests:
        assert not {field.lower() for field in request.query["$select"].split(",")} & BODY_FIELDS
    assert all("$skiptoken" in r.query or "$deltatoken" in r.query or "$select" in r.query for r in deltas)


def test_items_carry_headers_and_never_a_body(graph, mail_source):
    graph.mailbox.add("inbox", sender="ada@example.org", sender_name="Ada Lovelace", to=["me@example.com"],
                      cc=["bob@example.org"], subject="Lunch?", received=NOW, conversation_id="thread-1",
                      internet_message_id="<lunch@example.org>", body="the secret plan")
    (item,) = [i for b in mail_source().sync(None) for i in b.items]
    assert (item.sender.email, item.sender.name, item.subject) == ("ada@example.org", "Ada Lovelace", "Lunch?")
    assert [a.email for a in item.cc] == ["bob@example.org"] and item.thread_id == "thread-1"
    assert item.message_id == "<lunch@example.org>" and item.sent_at == NOW
    assert "secret" not in repr(item)


def test_crash_and_restart_mid_sync_loses_and_duplicates_nothing(graph, mail_source):
    wanted = fill(graph, 47, 13)
    committed: list = []
    cursor = None
    for crash_after in (2, 3, 1):  # batches committed before each crash
        generator = mail_source(page_size=5).sync(cursor)
        for count, batch in enumerate(generator):
            if count == crash_after:
                break  # the batch was pulled but the process died before committing it
            committed.extend(batch.items)
            cursor = batch.cursor
        generator.close()
    for batch in mail_source(page_size=5).sync(cursor):
        committed.extend(batch.items)
        cursor = batch.cursor
    counts = Counter(item.external_id for item in committed)
    assert set(counts) == wanted
    assert max(counts.values()) == 1


def test_a_reply_arrives_in_the_next_poll_as_incoming_mail_in_the_same_thread(graph, mail_source):
    graph.mailbox.add("sentitems", sender="me@example.com", to=["ada@example.org"], conversation_id="c1",
                      received=NOW - timedelta(days=1), subject="Catching up")
    source = mail_source()
    cursor = list(source.sync(None))[-1].cursor
    graph.mailbox.add("inbox", sender="ada@example.org", to=["me@example.com"], conversation_id="c1",
                      received=NOW, subject="Re: Catching up")
    items = [item for batch in source.sync(cursor) for item in batch.items]
    assert [(i.direction, i.sender.email, i.thread_id) for i in items] == [("in", "ada@example.org", "c1")]


def test_mail_in_sent_items_is_outgoing_even_from_an_alias_not_in_my_addresses(graph, mail_source):
    graph.mailbox.add("sentitems", sender="ada.alias@example.net", to=["bob@example.org"], received=NOW)
    graph.mailbox.add("inbox", sender="bob@example.org", to=["ada.alias@example.net"], received=NOW)
    items = [item for batch in mail_source().sync(None) for item in batch.items]
    assert sorted((item.sender.email, item.direction) for item in items) == [
        ("ada.alias@example.net", "out"), ("bob@example.org", "in")]


def test_an_idle_poll_costs_one_delta_call_per_folder_in_one_round_trip(graph, mail_source):
    fill(graph, 30, 5)
    source = mail_source(page_size=50)
    cursor = list(source.sync(None))[-1].cursor
    graph.reset_counts()
    batches = list(source.sync(cursor))
    assert [len(b.items) for b in batches] == [0]
    assert len(graph.graph_requests("/messages/delta")) == 2
    assert graph.http_requests == 1


def test_removed_and_moved_away_messages_come_back_as_deleted_items(graph, mail_source):
    first, second, _ = (graph.mailbox.add("inbox", received=NOW - timedelta(hours=n)) for n in range(3))
    source = mail_source()
    cursor = list(source.sync(None))[-1].cursor
    graph.mailbox.delete(first)
    graph.mailbox.move(second, "archive")
    items = [item for batch in source.sync(cursor) for item in batch.items]
    assert {(i.external_id, i.deleted) for i in items} == {(first, True), (second, True)}


def test_an_expired_delta_token_reads_the_folder_again_without_losing_anything(graph, mail_source):
    wanted = fill(graph, 12, 2)
    source = mail_source(page_size=5)
    cursor = list(source.sync(None))[-1].cursor
    graph.expire_delta_tokens()
    newest = graph.mailbox.add("inbox", sender="late@example.org", received=NOW)
    batches = list(source.sync(cursor))
    assert {i.external_id for b in batches for i in b.items} == wanted | {newest}
    assert not any(b.full_resync for b in batches)
    assert sum(r.status == 410 for r in graph.requests) == 2
    graph.reset_counts()
    list(source.sync(batches[-1].cursor))
    assert all(r.status == 200 for r in graph.requests)


def test_drafts_are_skipped(graph, mail_source):
    graph.mailbox.add("sentitems", sender="me@example.com", is_draft=True, received=NOW)
    assert [i for b in mail_source().sync(None) for i in b.items] == []


def test_a_folder_named_by_its_display_name_is_found(graph, mail_source):
    clients = graph.mailbox.add_folder("Clients")
    message = graph.mailbox.add(clients, sender="client@example.org", received=NOW)
    items = [i for b in mail_source(folders=["Clients"]).sync(None) for i in b.items]
    assert [i.external_id for i in items] == [message]


def test_throttled_requests_wait_for_retry_after_and_lose_nothing(graph, mail_source):
    graph.throttle.budget, graph.throttle.window = 4, 0.5
    wanted = fill(graph, 30, 0)
    items = [i for b in mail_source(page_size=3, folders=["inbox"]).sync(None) for i in b.items]
    assert {i.external_id for i in items} == wanted
    assert graph.throttle.rejected > 0
    assert any(r.status == 429 for r in graph.requests)


def test_pacing_under_the_budget_avoids_429s(graph, mail_source):
    graph.throttle.budget, graph.throttle.window = 6, 0.6
    wanted = fill(graph, 30, 0)
    source = mail_source(page_size=3, folders=["inbox"], request_budget=6, budget_window_seconds=0.6)
    items = [i for b in source.sync(None) for i in b.items]
    assert {i.external_id for i in items} == wanted
    assert graph.throttle.rejected == 0


def test_more_than_20_requests_go_out_in_several_batches(graph, mail_source):
    client = mail_source().client
    graph.reset_counts()
    answers = client.batch([Request("GET", "/me/mailFolders") for _ in range(25)])
    assert len(answers) == 25 and all("value" in a for a in answers)
    assert graph.http_requests == 2


def test_the_fake_refuses_a_batch_of_more_than_20(graph, mail_source):
    client = mail_source().client
    payload = {"requests": [{"id": str(n), "method": "GET", "url": "/me/mailFolders"} for n in range(21)]}
    response = client.session.post(f"{graph.url}/$batch", json=payload,
                                   headers={"Authorization": f"Bearer {client.token(False)}"})
    assert response.status_code == 400


def test_an_expired_access_token_is_refreshed_silently(graph, mail_source):
    fill(graph, 3)
    source = mail_source()
    source.client  # signed in and holding a token
    graph.identity.expire_access_tokens()
    assert len([i for b in source.sync(None) for i in b.items]) == 3
    assert "refresh_token" in graph.identity.token_requests


def test_a_revoked_grant_stops_the_source_with_one_message_naming_the_command(graph, mail_source):
    graph.identity.revoke()
    with pytest.raises(AuthError, match="connect5 auth outlook"):
        list(mail_source().sync(None))


@pytest.mark.parametrize(
    "outage",
    [(503, {"error": "temporarily_unavailable", "error_description": "AADSTS50196: the server is busy\nTrace ID"}),
     (500, {"error": "server_error", "error_description": "AADSTS90033: a transient error"}),
     (502, None)],  # a proxy's error page: no JSON at all
    ids=["503", "500", "502-not-json"],
)
def test_an_outage_of_the_token_endpoint_is_retried_later_not_a_sign_in_to_redo(graph, mail_source, outage):
    from connectors.base import SourceUnavailable

    fill(graph, 2)
    source = mail_source()
    graph.identity.expire_access_tokens()
    graph.identity.outages = [outage]
    with pytest.raises(SourceUnavailable, match="token endpoint") as raised:
        list(source.sync(None))
    assert not isinstance(raised.value, AuthError) and "connect5 auth" not in str(raised.value)
    time.sleep(1.1)  # the Retry-After msal honours
    assert len([i for b in source.sync(None) for i in b.items]) == 2


def test_no_sign_in_at_all_names_the_command_with_the_client_id(graph, tmp_path):
    from fakes.graph.wiring import account_options, context

    from connectors.outlook.mail import OutlookMailSource

    options = OutlookMailSource.Options(**{**account_options(graph), "client_id": ""})
    source = OutlookMailSource(options, context(tmp_path, tmp_path / "no-tokens"))
    with pytest.raises(AuthError, match="connect5 auth outlook --client-id"):
        list(source.sync(None))


def test_the_token_cache_is_readable_by_the_user_alone(tokens_dir):
    cache = tokens_dir / "outlook.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(tokens_dir.stat().st_mode) == 0o700
    assert "access_token" not in cache.name and json.loads(cache.read_text())["RefreshToken"]


def test_an_unreadable_cursor_asks_for_a_full_resync(mail_source):
    from connectors.base import CursorExpired

    with pytest.raises(CursorExpired):
        list(mail_source().sync("not json"))


def test_importing_the_connectors_does_not_import_msal_or_requests():
    code = (
        "import sys, connectors.outlook.mail, connectors.outlook.calendar, connectors.outlook.block;"
        "print(sorted(m for m in ('msal', 'requests') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    assert result.stdout.strip() == "[]"


def test_signing_in_again_while_the_daemon_runs_is_picked_up_without_a_restart(graph, mail_source, tokens_dir):
    from fakes.graph.wiring import sign_in

    source = mail_source()
    graph.identity.revoke()
    with pytest.raises(AuthError):
        list(source.sync(None))
    sign_in(graph, tokens_dir)  # `connect5 auth outlook` in another process rewrites the cache file
    graph.mailbox.add("inbox", received=NOW)
    assert len([i for b in source.sync(None) for i in b.items]) == 1


def test_throttled_requests_inside_a_batch_are_retried_alone(graph, mail_source):
    graph.throttle.budget, graph.throttle.window = 3, 0.4
    wanted = fill(graph, 9, 9)
    items = [i for b in mail_source(page_size=3).sync(None) for i in b.items]
    assert sorted(i.external_id for i in items) == sorted(wanted)
    assert any(r.status == 429 and r.in_batch for r in graph.requests)
