"""GmailSource against the fake Gmail: backfill order, resumability, history, quota, privacy."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta

import pytest
from fakes.google import FakeGoogle, Fault

from connectors.base import AuthError, SourceUnavailable
from connectors.google.gmail import GmailSource
from connectors.records import MailItem
from rules.noise import noise_reason

from .conftest import ME

OPTIONS = dict(quota_units_per_minute=6000, message_get_units=5)


def source(fake: FakeGoogle, context, clock, **changes) -> GmailSource:
    options = GmailSource.Options(gmail_endpoint=fake.gmail_endpoint, token_uri=fake.token_uri,
                                  **{**OPTIONS, **changes})
    return GmailSource(options, context, clock=clock.monotonic, sleep=clock.sleep)


def fill(fake: FakeGoogle, clock, count: int, every_sent: int = 4, days: float = 0.2) -> None:
    """``count`` messages, one every ``days`` back from now, every ``every_sent``-th one sent by me."""
    for index in range(count):
        at = clock.now() - timedelta(days=days * (count - index))
        if index % every_sent == 0:
            fake.mailbox.add(sender=ME, to=f"person{index}@example.org", subject=f"to {index}", at=at,
                             labels=("SENT",), record=False)
        else:
            fake.mailbox.add(sender=f"Person {index} <person{index}@example.org>", to=ME, subject=f"from {index}",
                             at=at, record=False)


def run(gmail: GmailSource, cursor=None, stop_after: int | None = None):
    """Drive ``sync`` like the daemon: commit each batch's items and cursor; stop early to "crash"."""
    committed: list[MailItem] = []
    batches = 0
    for batch in gmail.sync(cursor):
        committed.extend(batch.items)
        cursor = batch.cursor
        batches += 1
        if stop_after is not None and batches >= stop_after:
            break
    return committed, cursor


def test_backfill_reads_sent_mail_first_then_everything_else(fake, context, clock):
    fill(fake, clock, 700)
    items, cursor = run(source(fake, context, clock))
    assert len(items) == 700
    directions = [item.direction for item in items]
    assert directions[:175] == ["out"] * 175 and set(directions[175:]) == {"in"}
    assert json.loads(cursor)["phase"] == "incremental"
    assert fake.calls_to("users.getProfile")[0] is fake.calls[0]


def test_no_body_is_ever_requested(fake, context, clock):
    fill(fake, clock, 300)
    run(source(fake, context, clock))
    gets = fake.calls_to("users.messages.get")
    assert len(gets) == 300
    assert all(call.query["format"] == ["metadata"] for call in gets)
    assert all("metadataHeaders" in call.query for call in gets)
    assert all(call.status == 200 for call in fake.calls)
    assert not any("q" in call.query for call in fake.calls)


def test_headers_become_a_mail_item_with_direction_noise_and_kept_headers(fake, context, clock):
    sent = fake.mailbox.add(sender=f"Me <{ME}>", to="=?utf-8?q?Zo=C3=AB?= <zoe@example.org>", cc="x@example.org",
                            subject="=?utf-8?q?Caf=C3=A9?=", labels=("SENT",), at=clock.now() - timedelta(hours=2))
    fake.mailbox.add(sender="News <news@example.com>", to=ME, subject="Weekly", at=clock.now() - timedelta(hours=1),
                     extra=(("List-Id", "<weekly.example.com>"), ("X-LinkedIn-Class", "INMAIL")))
    items, _ = run(source(fake, context, clock))
    out, news = items
    assert out.direction == "out" and out.to[0].email == "zoe@example.org" and out.to[0].name == "Zoë"
    assert out.subject == "Café" and out.cc[0].email == "x@example.org" and out.source == "gmail"
    assert out.external_id == sent.id and out.message_id == f"{sent.id}@mail.example"
    assert out.sent_at.tzinfo is not None and noise_reason(out) == ""
    assert news.direction == "in" and noise_reason(news).startswith("no-reply")  # "news@" sends newsletters
    assert news.header("list-id") == "<weekly.example.com>" and news.header("x-linkedin-class") == "INMAIL"


def test_chats_spam_trash_drafts_and_bulk_categories_are_skipped(fake, context, clock):
    at = clock.now() - timedelta(hours=1)
    for labels in (("CHAT",), ("SPAM",), ("TRASH",), ("DRAFT",), ("INBOX", "CATEGORY_PROMOTIONS"),
                   ("INBOX", "CATEGORY_SOCIAL"), ("INBOX", "CATEGORY_FORUMS"), ("INBOX", "CATEGORY_UPDATES")):
        fake.mailbox.add(sender="a@example.org", to=ME, subject=str(labels), labels=labels, at=at)
    kept = fake.mailbox.add(sender="b@example.org", to=ME, labels=("INBOX", "CATEGORY_PERSONAL"), at=at)
    items, _ = run(source(fake, context, clock))
    assert [item.external_id for item in items] == [kept.id]


def test_backfill_stops_at_backfill_months(fake, context, clock):
    fill(fake, clock, 100, days=30)  # 100 months of mail, one a month
    items, _ = run(source(fake, context, clock, backfill_months=24))
    oldest = min(item.sent_at for item in items)
    assert 22 <= len(items) <= 24
    assert oldest >= clock.now() - timedelta(days=24 * 31)


@pytest.mark.parametrize("crash_after", [1, 2, 3])
def test_crash_and_restart_mid_backfill_loses_and_duplicates_nothing(fake, context, clock, crash_after):
    fill(fake, clock, 1300, every_sent=2)  # 650 sent (2 pages), 650 others (2 pages)
    first, cursor = run(source(fake, context, clock), stop_after=crash_after)
    second, cursor = run(source(fake, context, clock), cursor)  # a new process: nothing in memory
    ids = [item.external_id for item in first + second]
    assert len(ids) == len(set(ids)) == 1300
    gets = [call.path.rsplit("/", 1)[-1] for call in fake.calls_to("users.messages.get")]
    assert len(gets) == len(set(gets)) == 1300, "no message was fetched twice"


def test_mail_arriving_during_the_backfill_is_picked_up_from_history(fake, context, clock):
    fill(fake, clock, 1000)
    gmail = source(fake, context, clock)
    seen: list[MailItem] = []
    cursor = None
    for index, batch in enumerate(gmail.sync(None)):
        seen.extend(batch.items)
        cursor = batch.cursor
        if index == 0:
            late = fake.mailbox.add(sender="late@example.org", to=ME, subject="while you were syncing")
    again, _ = run(source(fake, context, clock), cursor)
    assert late.id in {item.external_id for item in seen + again}


def test_a_reply_arrives_through_history_with_in_reply_to_our_message(fake, context, clock):
    fill(fake, clock, 10)
    _, cursor = run(source(fake, context, clock))
    sent = fake.mailbox.add(sender=ME, to="Bob <bob@example.org>", subject="Coffee?", labels=("SENT",),
                            message_id="<ask@example.com>")
    clock.sleep(3600)
    fake.mailbox.add(sender="Bob <bob@example.org>", to=ME, subject="Re: Coffee?", in_reply_to="<ask@example.com>",
                     thread_id=sent.thread_id)
    items, _ = run(source(fake, context, clock), cursor)
    ask, reply = items
    assert (ask.direction, ask.to[0].email) == ("out", "bob@example.org")
    assert (reply.direction, reply.sender.email, reply.in_reply_to) == ("in", "bob@example.org", "ask@example.com")
    assert reply.thread_id == ask.thread_id and reply.sent_at > ask.sent_at


def test_a_poll_with_several_pages_of_history_keeps_every_message(fake, context, clock):
    fill(fake, clock, 10)
    _, cursor = run(source(fake, context, clock))
    news = {fake.mailbox.add(sender=f"n{index}@example.org", to=ME, subject=f"new {index}").id
            for index in range(1200)}  # three pages of history.list
    items, cursor = run(source(fake, context, clock), cursor)
    assert {item.external_id for item in items} == news
    starts = {call.query["startHistoryId"][0] for call in fake.calls_to("users.history.list")}
    assert len(starts) == 1, "every page of one listing is asked with the start id that began it"
    later = fake.mailbox.add(sender="later@example.org", to=ME)
    assert [item.external_id for item in run(source(fake, context, clock), cursor)[0]] == [later.id]


def test_an_idle_poll_costs_one_history_call_and_two_units(fake, context, clock):
    fill(fake, clock, 50)
    _, cursor = run(source(fake, context, clock))
    before, spent = len(fake.calls), fake.quota.spent
    gmail = source(fake, context, clock)
    for _ in range(60):
        items, cursor = run(gmail, cursor)
        assert items == []
    calls = fake.calls[before:]
    assert [call.method for call in calls] == ["users.history.list"] * 60
    assert fake.quota.spent - spent == 120


def test_expired_history_catches_up_from_the_last_synced_date_without_a_rescan(fake, context, clock):
    fill(fake, clock, 700)
    _, cursor = run(source(fake, context, clock))
    clock.sleep(86400 * 10)
    news = [fake.mailbox.add(sender=f"n{i}@example.org", to=ME, at=clock.now() - timedelta(days=i))
            for i in range(3)]
    fake.mailbox.expire_history()  # a week or more offline: Google no longer has that history
    before = len(fake.calls_to("users.messages.get"))
    items, cursor = run(source(fake, context, clock), cursor)
    assert {item.external_id for item in items} >= {message.id for message in news}
    refetched = len(fake.calls_to("users.messages.get")) - before
    assert refetched <= 50, "one batch reaching back past the last synced date, not a rescan of 700"
    assert json.loads(cursor)["phase"] == "incremental"
    later = fake.mailbox.add(sender="after@example.org", to=ME)
    items, _ = run(source(fake, context, clock), cursor)
    assert [item.external_id for item in items] == [later.id]


@pytest.mark.parametrize("status", [429, 403])
def test_quota_refusals_are_waited_out_and_refused_parts_sent_again(fake, context, clock, status):
    fill(fake, clock, 600)
    fake.quota.units_per_minute = fake.quota.available = 1000  # less than we were told we have
    fake.rate_limit_status = status
    items, _ = run(source(fake, context, clock, quota_units_per_minute=6000))
    assert len({item.external_id for item in items}) == len(items) == 600
    assert fake.quota.refused > 0 and clock.slept > 60


def test_transient_server_errors_in_batch_parts_are_retried(fake, context, clock):
    fill(fake, clock, 120)
    fake.faults.extend([503] * 7)
    items, _ = run(source(fake, context, clock))
    assert len(items) == 120


def test_a_backfill_at_the_budget_never_trips_the_quota(fake, context, clock):
    fill(fake, clock, 1500)
    fake.quota.units_per_minute = fake.quota.available = 6000
    fake.costs["users.messages.get"] = 20
    run(source(fake, context, clock, message_get_units=20))
    assert fake.quota.refused == 0, [(c.method, c.status) for c in fake.calls if c.status != 200]
    floor = (fake.quota.spent - 6000) / 100  # seconds at 6,000 units a minute, past the first minute's bucket
    assert clock.elapsed <= floor * 1.15


@pytest.mark.parametrize("reason", ["dailyLimitExceeded", "quotaExceeded", "limitExceeded"])
def test_a_403_for_a_usage_limit_is_retried_later_not_a_sign_in_to_redo(fake, context, clock, reason):
    fill(fake, clock, 10)
    _, cursor = run(source(fake, context, clock))
    fake.injector = lambda layer, what: Fault("status", status=403, reason=reason) if layer == "api" else None
    with pytest.raises(SourceUnavailable, match="403") as raised:
        run(source(fake, context, clock), cursor)
    assert not isinstance(raised.value, AuthError)


def test_a_403_for_lack_of_permission_still_names_the_sign_in_command(fake, context, clock):
    fill(fake, clock, 10)
    _, cursor = run(source(fake, context, clock))
    fake.injector = lambda layer, what: (
        Fault("status", status=403, reason="insufficientPermissions") if layer == "api" else None)
    with pytest.raises(AuthError, match="connect5 auth google"):
        run(source(fake, context, clock), cursor)


def test_a_batch_size_above_gmails_limit_of_100_is_refused_with_the_key_named(fake, context, clock):
    from connectors.base import ConnectorError

    with pytest.raises(ConnectorError, match="batch_size: Gmail takes 1 to 100 .*not 101"):
        source(fake, context, clock, batch_size=101)
    source(fake, context, clock, batch_size=100)


def test_a_revoked_grant_stops_the_source_with_the_command_to_run(fake, context, clock):
    fake.oauth.revoke_all()
    with pytest.raises(AuthError, match="connect5 auth google"):
        run(source(fake, context, clock))


def test_an_outage_of_the_token_endpoint_is_retried_later_not_a_sign_in_to_redo(fake, context, clock):
    from connectors.base import SourceUnavailable

    fake.mailbox.add(sender="x@example.org", to=ME)
    fake.oauth.expire_access_tokens()
    fake.oauth.outages = 10  # longer than google-auth's own retries
    with pytest.raises(SourceUnavailable, match="token refresh failed") as raised:
        run(source(fake, context, clock))
    assert not isinstance(raised.value, AuthError) and "connect5 auth" not in str(raised.value)
    fake.oauth.outages = 0
    items, _ = run(source(fake, context, clock))
    assert len(items) == 1


def test_a_missing_token_file_names_the_command_to_run(fake, context, clock):
    (context.tokens_dir / "google.json").unlink()
    with pytest.raises(AuthError, match="connect5 auth google"):
        run(source(fake, context, clock))


def test_the_token_is_saved_again_after_every_refresh_with_mode_0600(fake, context, clock):
    path = context.tokens_dir / "google.json"
    run(source(fake, context, clock))
    first = json.loads(path.read_text())["token"]
    fake.oauth.expire_access_tokens()  # the next call gets 401, the library refreshes
    fake.mailbox.add(sender="x@example.org", to=ME)
    gmail = source(fake, context, clock)
    gmail._api = None
    run(gmail, json.dumps({"v": 1, "phase": "incremental", "history": "1", "page": None, "cutoff": "",
                           "since": "", "sent_pages": 0, "done": 0, "total": None}))
    saved = json.loads(path.read_text())
    assert saved["token"] and saved["token"] != first and saved["refresh_token"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert fake.oauth.refreshes == 2


def test_importing_the_connector_does_not_import_googles_libraries():
    code = ("import sys, connectors.google.gmail, connectors.google.calendar, connectors.google.block;"
            "print(sorted(m for m in sys.modules if m.startswith(('google', 'googleapiclient', 'httplib2'))))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    assert output.stdout.strip() == "[]"
