"""Fault injection against the fake Graph: every fault class alone, then mixed at random.

The same seeded scenario (``graph_world.run_graph``: Outlook mail delta in two
folders through ``$batch``, the calendar delta, the Outlook block, two days of
``connect5 sync`` + ``connect5 today``) runs once without faults and then with
faults injected at random moments; the store and Outlook's calendar must end
identical. A revoked grant must stop the Outlook sources with a message naming
``connect5 auth outlook`` while a Maildir source syncs fully, and lose nothing
once signed in again. (Graph has no 403 rate-limit answer; that class is Google's.)

Reduced by default; ``CONNECT5_SLOW=1`` runs more of each, as does
``bench/fault_harness.py``.
"""

from __future__ import annotations

import json
import os
import random

import pytest

from reliability import faults, graph_world

FULL = os.environ.get("CONNECT5_SLOW") == "1"
RUNS_PER_CLASS = 4 if FULL else 1
FAULTS_PER_RUN = 3 if FULL else 2
MIXED = 12 if FULL else 1
CLASSES = {kind.name: kind for kind in graph_world.graph_classes()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("graph-faults")
    outcome = graph_world.run_graph(root, "clean", faults.Plan())
    assert outcome.failures == []
    return root, outcome


def test_the_clean_run_did_the_work_and_runs_the_same_twice(clean):
    root, outcome = clean
    store = outcome.store
    assert {row[0] for row in store["interactions"]} == {"outlook-mail", "outlook-calendar"}
    assert [row[0] for row in store["blocks"]] == ["2026-03-02", "2026-03-03"]
    assert len(store["picks"]) == 10
    (series,) = [key for key in outcome.remote if key.startswith("Connect 5")]
    assert len(outcome.remote[series]) == 1 and len(outcome.remote[series][0]["days"]) == 2
    assert outcome.calls["part"] > 0
    again = graph_world.run_graph(root, "clean-again", faults.Plan())
    assert faults.differences(outcome, again) == []


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_each_fault_class_alone_changes_nothing(clean, name):
    root, reference = clean
    found, delivered = faults.alone(graph_world.run_graph, root, reference, CLASSES[name], random.Random(name),
                                    RUNS_PER_CLASS, FAULTS_PER_RUN)
    assert found == [], "\n".join(found)
    assert delivered[name] >= RUNS_PER_CLASS, delivered


@pytest.mark.parametrize("name", sorted(graph_world.GRAPH_EXPIRIES))
def test_an_expired_delta_link_changes_nothing(clean, name):
    root, reference = clean
    outcome = graph_world.run_graph(root, "expired", faults.Plan(), between=graph_world.GRAPH_EXPIRIES[name])
    assert faults.differences(reference, outcome) == []


def test_faults_mixed_at_random_change_nothing(clean):
    root, reference = clean
    found, delivered = faults.mixed(graph_world.run_graph, root, reference, list(CLASSES.values()),
                                    graph_world.GRAPH_EXPIRIES, random.Random(5), MIXED, 6)
    assert found == [], "\n".join(found)
    assert len(delivered) >= 3, delivered


def test_a_revoked_grant_stops_the_outlook_sources_and_nothing_else(tmp_path):
    """Revoked at a random moment of the syncs and the Monday morning job: the Outlook sources end
    stopped, naming `connect5 auth outlook`; the Maildir source syncs fully, the picks are made;
    after signing in again, nothing is missing."""
    clean = graph_world.run_graph(tmp_path, "clean", faults.Plan(), maildir=True)
    assert clean.failures == []
    counted = faults.Plan()
    graph_world.run_graph(tmp_path, "counted", counted, maildir=True)
    randomness = random.Random(9)
    for run in range(3 if FULL else 1):
        moment = randomness.randrange(counted.marks[3]["http"])
        plan = faults.Plan({("http", moment): lambda fake: fake.identity.revoke()})
        again: dict = {}

        def sign_in_again(fake, home):
            again["before"] = faults.store_dump(home, wall_clock_stamps=True)
            again["status"] = json.loads(faults.connect5(home, f"{faults.TUESDAY}T07:05:00+00:00", "status", "--json")[1])
            again["auth"] = faults.connect5(home, f"{faults.TUESDAY}T07:55:00+00:00", "auth", "outlook",
                                            "--client-id", graph_world.GRAPH_CLIENT_ID)
            again["sync"] = faults.connect5(home, f"{faults.TUESDAY}T08:00:00+00:00", "sync")
            again["today"] = faults.connect5(home, f"{faults.TUESDAY}T08:00:00+00:00", "today")

        outcome = graph_world.run_graph(tmp_path, f"revoked-{run}", plan, maildir=True, after=sign_in_again)
        sources = {source["name"]: source for source in again["status"]["sources"]}
        # A source whose last call came before the revocation ends fine; the others stop, naming the command.
        stopped = [name for name in ("outlook-mail", "outlook-calendar") if sources[name]["stopped"]]
        assert stopped, (moment, sources)
        for name in ("outlook-mail", "outlook-calendar"):
            assert sources[name]["stopped"] == sources[name]["last_error"], sources[name]
            if name in stopped:
                assert "connect5 auth outlook" in sources[name]["stopped"] and sources[name]["fix"] == "connect5 auth outlook"
        assert sources["mail"]["stopped"] == "" and sources["mail"]["last_error"] == ""
        before = again["before"]
        mail = [row for row in before["interactions"] if row[0] == "mail"]
        assert mail == [row for row in clean.store["interactions"] if row[0] == "mail"] and len(mail) == 20
        assert len(before["picks"]) == 10
        assert all("auth outlook" in line for line in outcome.failures), outcome.failures
        assert again["auth"][0] == again["sync"][0] == again["today"][0] == 0, again
        # Signed in again: every interaction is there, every source runs, one block series.
        assert outcome.store["interactions"] == clean.store["interactions"]
        remote = lambda store: [row for row in store["cursors"] if row[0] != "mail"]  # noqa: E731 (Maildir: its path)
        assert remote(outcome.store) == remote(clean.store)
        series = [key for key in outcome.remote if key.startswith("Connect 5")]
        assert len(series) == 1 and len(outcome.remote[series[0]]) == 1, series
        assert "2026-03-03" in [row[0] for row in outcome.store["blocks"]]
