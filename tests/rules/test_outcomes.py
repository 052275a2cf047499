"""The funnel state of one pick, from the interactions after it (``rules.outcomes``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.outcomes import Interaction, outcome

START = datetime(2026, 11, 25, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


def test_a_message_out_then_one_in_is_a_reply():
    items = [Interaction("email", "out", START + timedelta(hours=8)), Interaction("email", "in", START + timedelta(hours=9))]
    assert outcome(START, None, items, NOW).state == "replied"


def test_messages_dated_ahead_are_no_step_until_their_time():
    # A sender's clock days fast: "sent" on the 28th, "replied" on Christmas, seen on the 25th.
    items = [Interaction("email", "out", datetime(2026, 11, 28, 10, tzinfo=UTC)),
             Interaction("email", "in", datetime(2026, 12, 25, 10, tzinfo=UTC))]
    assert outcome(START, None, items, NOW).state == "picked"
    assert outcome(START, None, items, datetime(2026, 11, 28, 11, tzinfo=UTC)).state == "reached_out"
    assert outcome(START, None, items, datetime(2026, 12, 25, 11, tzinfo=UTC)).state == "replied"


def test_a_call_booked_ahead_counts_at_once_and_is_met_when_it_starts():
    call = Interaction("meeting", "both", datetime(2026, 12, 2, 15, tzinfo=UTC), changed=START + timedelta(hours=9))
    assert outcome(START, None, [call], NOW).state == "call_booked"
    assert outcome(START, None, [call], datetime(2026, 12, 2, 15, tzinfo=UTC)).state == "met"
