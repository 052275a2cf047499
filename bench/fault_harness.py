"""Fault injection in full: each fault class alone, then mixed at random, against the fake Google and Graph.

For each service (``--service google``, ``graph`` or ``both``) the seeded
scenario of ``tests/reliability/faults.py`` (the worlds are in ``google_world.py``
and ``graph_world.py``: two days of ``connect5 sync`` + ``connect5 today``
through the real connectors into a real store) runs once
without faults; then, for every fault class, ``--runs`` runs with ``--faults``
faults of that class at random moments; then each expiry (Gmail historyId,
Calendar syncToken, Graph deltaLink) alone; then ``--mixed`` runs with
``--mixed-faults`` faults of every class and random expiries; then
``--revocations`` runs revoking the grant at a random moment beside a Maildir
source. Every faulted run's store and the fake's calendars are compared with
the clean run. Prints a JSON summary per service (faults delivered per class,
runs, differences) and exits 1 on any difference.

    .venv/bin/python bench/fault_harness.py [--service both] [--seed 1] [--runs 5] [--faults 3] [--mixed 20]

The reduced version runs in the test suite (tests/reliability/test_faults_google.py,
test_faults_graph.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from reliability import faults, google_world, graph_world  # noqa: E402

SERVICES = {
    "google": (google_world.run_google, google_world.google_classes, google_world.GOOGLE_EXPIRIES,
               lambda fake: fake.oauth.revoke_all(), ("gmail", "google-calendar"), "connect5 auth google"),
    "graph": (graph_world.run_graph, graph_world.graph_classes, graph_world.GRAPH_EXPIRIES,
              lambda fake: fake.identity.revoke(), ("outlook-mail", "outlook-calendar"), "connect5 auth outlook"),
}


def campaign(service: str, work: Path, arguments: argparse.Namespace, log) -> dict:
    run, classes, expiries, revoke, remote_sources, command = SERVICES[service]
    started = time.monotonic()
    clean = run(work, "clean", faults.Plan())
    assert clean.failures == [], clean.failures
    tally, randomness = faults.Tally(), random.Random(arguments.seed)
    for kind in classes():
        for number in range(arguments.runs):
            plan = faults.plan([kind], clean.calls, randomness, arguments.faults)
            tally.add(f"{kind.name} #{number}", clean, run(work, f"{kind.name}-{number}".replace(" ", "_"), plan))
        log(f"{service}: {kind.name}: {tally.per_class[kind.name]} delivered, {len(tally.found)} differences")
    for name, expire in expiries.items():
        tally.add(name, clean, run(work, name.split()[1], faults.Plan(), between=expire), Counter({name: 1}))
    for number in range(arguments.mixed):
        plan = faults.plan(classes(), clean.calls, randomness, arguments.mixed_faults)
        chosen = {name: expire for name, expire in expiries.items() if randomness.random() < 0.5}
        tally.add(f"mixed #{number}", clean, run(work, f"mixed-{number}", plan,
                                                 between=lambda fake: [e(fake) for e in chosen.values()]),
                  Counter(list(chosen)))
        log(f"{service}: mixed {number + 1}/{arguments.mixed}, {len(tally.found)} differences")
    revoked = revocations(service, work, arguments, randomness, tally, log)
    return {"service": service, **tally.as_dict(), "revoked_grants": revoked,
            "clean_run_calls": dict(clean.calls), "seconds": round(time.monotonic() - started, 1)}


def revocations(service: str, work: Path, arguments, randomness: random.Random, tally: faults.Tally, log) -> dict:
    """Revoke the grant at a random moment beside a Maildir source: the remote sources stop, naming the
    command; the Maildir source syncs all of its mail."""
    run, _, _, revoke, remote_sources, command = SERVICES[service]
    clean = run(work, "clean-maildir", faults.Plan(), maildir=True)
    counted = faults.Plan()
    run(work, "counted-maildir", counted, maildir=True)
    checked = 0
    log(f"{service}: expiries and mixed done, {len(tally.found)} differences; revoking")
    for number in range(arguments.revocations):
        moment = randomness.randrange(counted.marks[3]["http"])
        outcome = run(work, f"revoked-{number}", faults.Plan({("http", moment): revoke}), maildir=True)
        sources = {source["name"]: source for source in outcome.status["sources"]}
        # A source whose last call came before the revocation ends fine; the others stop, naming the command.
        stopped = [name for name in remote_sources if sources[name]["stopped"]]
        problems = [] if stopped else [f"no source stopped: {sources}"]
        problems += [f"{name} stopped or failed without `{command}`: {sources[name]}" for name in remote_sources
                     if (sources[name]["stopped"] or sources[name]["last_error"])
                     and command not in sources[name]["stopped"]]
        if sources["mail"]["stopped"] or sources["mail"]["last_error"]:
            problems.append(f"the Maildir source failed: {sources['mail']}")
        mail = [row for row in outcome.store["interactions"] if row[0] == "mail"]
        if mail != [row for row in clean.store["interactions"] if row[0] == "mail"]:
            problems.append("the Maildir source's interactions differ")
        tally.found += [f"revoked #{number} at http call {moment}: {line}" for line in problems]
        tally.per_class["revoked refresh token"] += 1
        checked += 1
    return {"runs": checked}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=["google", "graph", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="runs per fault class (default 5)")
    parser.add_argument("--faults", type=int, default=3, help="faults per run of one class (default 3)")
    parser.add_argument("--mixed", type=int, default=20, help="runs of mixed faults (default 20)")
    parser.add_argument("--mixed-faults", type=int, default=8, help="faults per mixed run (default 8)")
    parser.add_argument("--revocations", type=int, default=5, help="runs revoking the grant (default 5)")
    parser.add_argument("--keep", type=Path, help="work here and keep the homes (default: a temporary folder)")
    arguments = parser.parse_args()
    logging.disable(logging.WARNING)  # retries are logged as warnings; the summary says what matters
    work = arguments.keep or Path(tempfile.mkdtemp(prefix="connect5-faults-"))
    services = ["google", "graph"] if arguments.service == "both" else [arguments.service]
    results = [campaign(s, work / s, arguments, lambda line: print(line, file=sys.stderr, flush=True))
               for s in services]
    print(json.dumps(results, indent=2))
    return 1 if any(result["differences"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
