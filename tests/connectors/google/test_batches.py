"""Hand-written Google batches: the wire format both ways, and what a batch does when a part fails."""

from __future__ import annotations

import pytest
from fakes.google import Fault
from fakes.google.server import parse_batch

from connectors.base import AuthError, SourceUnavailable
from connectors.google import batches

from .test_gmail import fill, run, source


def test_a_batch_body_is_read_by_the_fake_as_one_get_per_part():
    content_type, body = batches.body([("a1", "/gmail/v1/users/me/messages/a1?format=metadata"), ("b2", "/x")])
    assert parse_batch(content_type, body) == [
        ("a1", "GET", "/gmail/v1/users/me/messages/a1?format=metadata", b""), ("b2", "GET", "/x", b"")]


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_a_batch_answer_is_read_part_by_part_with_crlf_or_lf(newline):
    answer = newline.join([
        b"--xyz", b"Content-Type: application/http", b"Content-ID: <response-a1>", b"",
        b"HTTP/1.1 200 OK", b"Content-Type: application/json; charset=UTF-8", b"", b'{"id": "a1"}',
        b"--xyz", b"Content-Type: application/http", b"Content-ID: <response-b2>", b"",
        b"HTTP/1.1 429 Too Many Requests", b"Retry-After: 7", b"", b'{"error": {}}',
        b"--xyz--", b""])
    parts = batches.parse('multipart/mixed; boundary="xyz"', answer)
    assert parts["a1"].status == 200 and parts["a1"].json() == {"id": "a1"}
    assert parts["b2"].status == 429 and parts["b2"].get("retry-after") == "7"


def test_an_answer_that_is_not_multipart_is_a_format_error():
    with pytest.raises(batches.BatchFormatError):
        batches.parse("application/json", b"{}")


def test_an_access_token_expiring_mid_backfill_is_refreshed_and_nothing_is_lost(fake, context, clock):
    fill(fake, clock, 1200)
    gmail = source(fake, context, clock)
    items = []
    for index, batch in enumerate(gmail.sync(None)):
        items.extend(batch.items)
        if index == 1:
            fake.oauth.expire_access_tokens()  # the next batch meets a 401 on the outer request
    assert len(items) == len({item.external_id for item in items}) == 1200
    assert fake.oauth.refreshes == 2  # the first access token, then one refresh


def test_parts_answered_401_are_sent_again_after_a_refresh(fake, context, clock):
    fill(fake, clock, 120)
    seen = []

    def injector(layer, what):
        seen.append(layer)
        if layer == "part" and seen.count("part") in (3, 60):
            return Fault("status", status=401, reason="authError")
        return None

    fake.injector = injector
    items, _ = run(source(fake, context, clock))
    assert sorted(item.external_id for item in items) == sorted(fake.mailbox.messages)
    assert fake.oauth.refreshes == 3  # the first access token, then one refresh per batch with a 401 part


def test_a_part_refused_for_a_usage_limit_stops_the_batch_before_the_cursor_passes_it(fake, context, clock):
    fill(fake, clock, 120)
    gets = []

    def injector(layer, what):
        if layer == "part":
            gets.append(what)
            if len(gets) == 60:
                return Fault("status", status=403, reason="dailyLimitExceeded")
        return None

    fake.injector = injector
    gmail = source(fake, context, clock)
    committed, cursor = [], None
    with pytest.raises(SourceUnavailable) as raised:
        for batch in gmail.sync(None):
            committed.extend(batch.items)
            cursor = batch.cursor
    assert not isinstance(raised.value, AuthError)
    again, _ = run(source(fake, context, clock), cursor)  # the daemon tries again later from what it committed
    assert {item.external_id for item in committed + again} == set(fake.mailbox.messages)


def test_a_part_refused_for_lack_of_permission_stops_the_source_for_a_sign_in(fake, context, clock):
    fill(fake, clock, 20)
    fake.injector = lambda layer, what: (
        Fault("status", status=403, reason="insufficientPermissions") if layer == "part" else None)
    with pytest.raises(AuthError, match="connect5 auth google"):
        run(source(fake, context, clock))
