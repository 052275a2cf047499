"""A source's schedule in the run loop: backoff while failing, probes on wake-ups, the status line."""

from __future__ import annotations

import pytest

from daemon.config import Source
from daemon.source_state import BUSY_RETRY, LOCAL_POLL_SECONDS, MAX_BACKOFF, REMOTE_POLL_SECONDS, SourceState

OK = {"error": "", "stopped": False, "line": "mail: 3 new", "interactions": 3}
FAILED = {"error": "cannot read ~/Maildir", "stopped": False, "line": "mail: cannot read ~/Maildir"}


def state(watched: bool = True) -> SourceState:
    return SourceState(Source(name="mail", type="maildir", options=None), watcher=object() if watched else None)


@pytest.mark.parametrize(("watched", "interval"), [(True, LOCAL_POLL_SECONDS), (False, REMOTE_POLL_SECONDS)])
def test_a_healthy_source_is_due_again_after_its_poll_interval(watched, interval):
    source = state(watched)
    source.synced(OK, now=100.0)
    assert (source.due, source.failures, source.error, source.last) == (100.0 + interval, 0, "", "mail: 3 new")


def test_each_failure_in_a_row_doubles_the_wait_up_to_the_cap_and_a_success_ends_it():
    source = state(watched=False)
    waits = []
    for _ in range(12):
        source.synced(FAILED, now=0.0)
        waits.append(source.due)
    assert waits[:5] == [REMOTE_POLL_SECONDS * 2, REMOTE_POLL_SECONDS * 4, REMOTE_POLL_SECONDS * 8,
                         REMOTE_POLL_SECONDS * 16, MAX_BACKOFF]
    assert max(waits) == MAX_BACKOFF and waits[-1] == MAX_BACKOFF
    assert source.failures == 12 and source.error == FAILED["error"] and not source.stopped
    source.synced(OK, now=5000.0)
    assert (source.failures, source.error, source.due) == (0, "", 5000.0 + REMOTE_POLL_SECONDS)


def test_a_stopping_error_stops_the_source():
    source = state()
    source.synced({**FAILED, "stopped": True}, now=0.0)
    assert source.stopped == FAILED["error"] and source.summary(None, "UTC") == "mail stopped: cannot read ~/Maildir"


def test_a_busy_store_retries_soon_and_is_no_failure_of_the_source():
    source = state()
    source.synced({"error": "busy", "stopped": False, "busy": True, "line": "mail: busy"}, now=10.0)
    assert (source.due, source.failures, source.error, source.last) == (10.0 + BUSY_RETRY, 0, "", "")


def test_a_probe_failing_as_before_leaves_the_backoff_alone():
    source = state()
    source.synced(FAILED, now=0.0)
    before = (source.due, source.failures, source.last)
    source.probe_at = 30.0
    source.synced({**FAILED, "repeated": True}, now=30.0)
    assert (source.due, source.failures, source.last) == before and source.probe_at == 0.0


def test_a_connector_asking_to_be_read_again_sooner_is_due_then():
    source = state()
    source.synced({**OK, "retry_in": 2.0}, now=1.0)
    assert source.due == 3.0


def test_a_wake_up_syncs_a_healthy_source_and_sets_one_probe_for_a_failing_one():
    source = state()
    assert source.woken(now=0.0, gap=10.0)
    source.synced(FAILED, now=100.0)
    assert not source.woken(now=101.0, gap=10.0) and source.probe_at == 110.0
    assert not source.woken(now=105.0, gap=10.0) and source.probe_at == 110.0  # one probe, not one per wake-up
    source.probe_at = 0.0
    assert not source.woken(now=200.0, gap=10.0) and source.probe_at == 200.0


def test_the_status_line_says_failing_synced_or_not_yet_in_the_users_zone():
    source = state()
    assert source.summary(None, "UTC") == "mail not synced yet"
    assert source.summary("2026-11-27T08:05:00+00:00", "Asia/Kathmandu") == "mail synced 13:50"
    source.synced(FAILED, now=0.0)
    assert source.summary("2026-11-27T08:05:00+00:00", "UTC") == "mail failing (1x): cannot read ~/Maildir"
