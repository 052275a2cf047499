"""Crash points on the local path: SIGKILL import, sync, today and run --once; nothing lost or doubled.

Reduced by default (20 kills on a smaller Maildir); ``CONNECT5_SLOW=1`` runs the
full 200, as does ``bench/crash_harness.py --points 200``.
"""

from __future__ import annotations

import os

import pytest

from reliability import harness, world

FULL = os.environ.get("CONNECT5_SLOW") == "1"
POINTS = 200 if FULL else 20


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    work = tmp_path_factory.mktemp("crash")
    inputs = world.generate(work / "inputs", contacts=400 if FULL else 150, messages=3000 if FULL else 600, seed=7)
    reference, tally, found = harness.campaign(inputs, work, harness.local_steps(inputs), points=POINTS, seed=7)
    return inputs, reference, tally, found


def test_every_kill_left_a_sound_store_and_at_most_one_block_per_day(campaign):
    _, _, tally, _ = campaign
    assert tally.total >= POINTS
    assert tally.problems == []


def test_crashed_runs_end_identical_to_the_uninterrupted_run(campaign):
    _, _, tally, found = campaign
    assert found == [], harness.summary(campaign[1], tally, found)


def test_the_uninterrupted_run_did_the_work_the_comparison_relies_on(campaign):
    inputs, reference, _, _ = campaign
    dumped = reference.dump
    sources = {row[0] for row in dumped["interactions"]}
    assert {"mail", "calendar", "linkedin-messages"} <= sources
    assert any(row[3] == "linkedin" for row in dumped["interactions"])  # LinkedIn notification mails
    assert [row[0] for row in dumped["blocks"]] == ["2026-03-02", "2026-03-03"]
    assert len(dumped["picks"]) == 10
    days = harness.block_events(inputs.root.parent / "reference" / "connect5.ics")
    assert days == {"master": 1, "2026-03-02": 1, "2026-03-03": 1}


def test_kills_landed_in_every_step(campaign):
    _, _, tally, _ = campaign
    if FULL:
        assert set(tally.kills) == {"import", "sync", "today", "run-once"}
    assert sum(tally.partial.values()) > 0, "no kill interrupted work in progress"
