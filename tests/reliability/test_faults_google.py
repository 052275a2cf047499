"""Fault injection against the fake Google: every fault class alone, then mixed at random.

The same seeded scenario (``google_world.run_google``: Gmail backfill and history,
Google Calendar, the Google block, two days of ``connect5 sync`` + ``connect5
today``) runs once without faults and then with faults injected at random
moments; the store and the fake's calendars must end identical. A revoked grant
must stop the Google sources with a message naming ``connect5 auth google``
while a Maildir source syncs fully, and lose nothing once signed in again.

Reduced by default (a fault or two per class, two mixed schedules);
``CONNECT5_SLOW=1`` runs more of each, as does ``bench/fault_harness.py``.
"""

from __future__ import annotations

import json
import os
import random

import pytest

from reliability import faults, google_world

FULL = os.environ.get("CONNECT5_SLOW") == "1"
RUNS_PER_CLASS = 4 if FULL else 1
FAULTS_PER_RUN = 3 if FULL else 2
MIXED = 12 if FULL else 1
CLASSES = {kind.name: kind for kind in google_world.google_classes()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("google-faults")
    outcome = google_world.run_google(root, "clean", faults.Plan())
    assert outcome.failures == []
    return root, outcome


def test_the_clean_run_did_the_work_and_runs_the_same_twice(clean):
    root, outcome = clean
    store = outcome.store
    assert {row[0] for row in store["interactions"]} == {"gmail", "google-calendar"}
    assert [row[0] for row in store["blocks"]] == ["2026-03-02", "2026-03-03"]
    assert len(store["picks"]) == 10
    assert list(outcome.remote[faults.ME]["overrides"]) == ["connect5block0"]
    again = google_world.run_google(root, "clean-again", faults.Plan())
    assert faults.differences(outcome, again) == []


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_each_fault_class_alone_changes_nothing(clean, name):
    root, reference = clean
    found, delivered = faults.alone(google_world.run_google, root, reference, CLASSES[name], random.Random(name),
                                    RUNS_PER_CLASS, FAULTS_PER_RUN)
    assert found == [], "\n".join(found)
    assert delivered[name] >= RUNS_PER_CLASS, delivered


@pytest.mark.parametrize("name", sorted(google_world.GOOGLE_EXPIRIES))
def test_an_expired_cursor_changes_nothing(clean, name):
    root, reference = clean
    outcome = google_world.run_google(root, name.split()[1], faults.Plan(), between=google_world.GOOGLE_EXPIRIES[name])
    assert faults.differences(reference, outcome) == []


def test_faults_mixed_at_random_change_nothing(clean):
    root, reference = clean
    found, delivered = faults.mixed(google_world.run_google, root, reference, list(CLASSES.values()),
                                    google_world.GOOGLE_EXPIRIES, random.Random(5), MIXED, 8)
    assert found == [], "\n".join(found)
    assert len(delivered) >= 4, delivered


def test_a_revoked_grant_stops_the_google_sources_and_nothing_else(tmp_path):
    """Revoked at a random moment of the syncs and the Monday morning job: Gmail and Google Calendar
    end stopped, naming `connect5 auth google`; the Maildir source syncs fully, the picks are made;
    after signing in again, nothing is missing."""
    from connectors.google import CALENDAR_EVENTS, GMAIL_METADATA

    clean = google_world.run_google(tmp_path, "clean", faults.Plan(), maildir=True)
    assert clean.failures == []
    before_last_step = faults.Plan()
    google_world.run_google(tmp_path, "counted", before_last_step, maildir=True)
    randomness = random.Random(9)
    for run in range(3 if FULL else 1):
        moment = randomness.randrange(before_last_step.marks[3]["http"])
        plan = faults.Plan({("http", moment): lambda fake: fake.oauth.revoke_all()})
        again: dict = {}

        def sign_in_again(fake, home):
            again["before"] = faults.store_dump(home)
            again["status"] = json.loads(faults.connect5(home, f"{faults.TUESDAY}T07:05:00+00:00", "status", "--json")[1])
            fake.token_file(home / "tokens", [GMAIL_METADATA, CALENDAR_EVENTS])
            again["sync"] = faults.connect5(home, f"{faults.TUESDAY}T08:00:00+00:00", "sync")
            again["today"] = faults.connect5(home, f"{faults.TUESDAY}T08:00:00+00:00", "today")

        outcome = google_world.run_google(tmp_path, f"revoked-{run}", plan, maildir=True, after=sign_in_again)
        sources = {source["name"]: source for source in again["status"]["sources"]}
        # A source whose last call came before the revocation ends fine; the others stop, naming the command.
        stopped = [name for name in ("gmail", "google-calendar") if sources[name]["stopped"]]
        assert stopped, (moment, sources)
        for name in ("gmail", "google-calendar"):
            assert sources[name]["stopped"] == sources[name]["last_error"], sources[name]
            if name in stopped:
                assert "connect5 auth google" in sources[name]["stopped"] and sources[name]["fix"] == "connect5 auth google"
        assert sources["mail"]["stopped"] == "" and sources["mail"]["last_error"] == ""
        before = again["before"]
        mail = [row for row in before["interactions"] if row[0] == "mail"]
        assert mail == [row for row in clean.store["interactions"] if row[0] == "mail"] and len(mail) == 20
        assert len(before["picks"]) == 10
        assert all("auth google" in line for line in outcome.failures), outcome.failures
        assert again["sync"][0] == 0 and again["today"][0] == 0, again
        # Signed in again: every interaction is there, every source runs, one block series.
        assert outcome.store["interactions"] == clean.store["interactions"]
        google = lambda store: [row for row in store["cursors"] if row[0] != "mail"]  # noqa: E731 (Maildir: its path)
        assert google(outcome.store) == google(clean.store)
        assert [event for event in outcome.remote[faults.ME]["events"] if event.startswith("connect5")] == [
            "connect5block0"]
        assert "2026-03-03" in [row[0] for row in outcome.store["blocks"]]
