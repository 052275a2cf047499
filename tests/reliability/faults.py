"""Fault injection against the fake Google and fake Graph: one seeded scenario, run clean and faulted.

A *world* is a fake (``FakeGoogle`` or ``FakeGraph``) seeded with the same mail
and meetings, a connect5 home wired to it (config endpoints, token files, a
LinkedIn import) and two days of steps run through the real CLI in this process
(``connect5 sync`` then ``connect5 today``, Monday and Tuesday, with new mail,
a booking and a cancellation in between). ``run`` plays it with an *injector*
installed in the fake (see ``FakeGoogle.injector`` / ``FakeGraph.injector``) and
returns the canonical store, the fake's calendars and what was injected. The
Google world is ``reliability.google_world``, the Graph one ``reliability.graph_world``.

A ``Plan`` decides the faults: it counts the fake's calls per layer ("http" per
round trip, "api" per call, "part" per call inside a batch) and injects chosen
faults at chosen call numbers, numbers drawn by the seed from the calls a clean
run made, so faults land at random moments of the whole scenario. Expiries
(history, sync tokens, delta links) happen between the two days.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from reliability import harness

ME = "me@example.com"
TIMEOUT = 0.4  # the connectors' timeout_seconds in these homes: a "timeout" fault stalls past it
MONDAY, TUESDAY = "2026-03-02", "2026-03-03"
PEOPLE = [(f"Person{n}", f"Number{n}", f"p{n}", f"p{n}@example.org" if n < 40 else "") for n in range(80)]
WRITING = PEOPLE[:40]


def pinned_now() -> datetime:
    return datetime.fromisoformat(os.environ.get("CONNECT5_NOW", f"{MONDAY}T06:00:00+00:00"))


# -- plans ----------------------------------------------------------------------------------------


@dataclass
class Plan:
    """An injector: ``faults[(layer, n)]`` is answered at the n-th call of ``layer`` (0-based)."""

    faults: dict[tuple[str, int], object] = field(default_factory=dict)
    calls: Counter = field(default_factory=Counter)

    fake: object = None  # set by ``run_*``: what an action (a plain callable) acts on
    marks: list[dict] = field(default_factory=list)  # the counts before each step
    names: dict[tuple[str, int], str] = field(default_factory=dict)  # the class of each planned fault
    delivered: Counter = field(default_factory=Counter)  # faults handed to the fake, per class

    def __call__(self, layer: str, what: str):
        number = self.calls[layer]
        self.calls[layer] += 1
        fault = self.faults.get((layer, number))
        if callable(fault):  # an action, such as revoking the grant, and then the call goes on
            fault(self.fake)
            return None
        if fault is not None:
            self.delivered[self.names.get((layer, number), fault_name(layer, fault))] += 1
        return fault


@dataclass(frozen=True)
class FaultClass:
    """One class of fault: which layers it lands on and how to make one (``make(randomness)``)."""

    name: str
    layers: tuple[str, ...]
    make: object  # Callable[[random.Random], Fault]
    burst: int = 1  # consecutive calls hit each time (parts of one batch)


def plan(classes: list[FaultClass], counts: Counter, randomness: random.Random, faults: int) -> Plan:
    """``faults`` faults of the given classes at random call numbers within a clean run's ``counts``."""
    chosen: dict[tuple[str, int], object] = {}
    names: dict[tuple[str, int], str] = {}
    for _ in range(faults):
        kind = randomness.choice(classes)
        layers = [layer for layer in kind.layers if counts[layer] > 0]
        if not layers:
            continue
        layer = randomness.choice(layers)
        start = randomness.randrange(counts[layer])
        if kind.name == "access token expired" and "access token expired" in names.values():
            # One expiry per run: the fake forgets every client's token at once, and a client may find
            # out much later, on a call that meets a second expiry right after its refresh; a fresh
            # token refused again at once is treated as a revoked grant (one refresh per request).
            continue
        for offset in range(kind.burst):
            chosen[(layer, start + offset)] = kind.make(randomness)
            names[(layer, start + offset)] = kind.name
    return Plan(chosen, names=names)


# -- running a world ----------------------------------------------------------------------------


@dataclass
class Outcome:
    store: dict
    remote: dict
    injected: Counter
    calls: Counter
    failures: list[str]
    status: dict | None = None


def connect5(home: Path, now: str, *arguments: str) -> tuple[int, str]:
    from daemon.cli import main

    os.environ["CONNECT5_NOW"] = now
    result = CliRunner().invoke(main, ["--home", str(home), *arguments])
    return result.exit_code, result.output


def import_people(home: Path, folder: Path) -> None:
    rows = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    rows += [f"{f},{l},https://www.linkedin.com/in/{s},{a},Co {n % 9},Engineer,01 Jan 2019"
             for n, (f, l, s, a) in enumerate(PEOPLE)]
    (folder / "Connections.csv").write_text("\n".join(rows) + "\n")
    code, output = connect5(home, f"{MONDAY}T05:50:00+00:00", "import", "linkedin", str(folder / "Connections.csv"))
    assert code == 0, output


def steps(home: Path, between, fake, failures: list[str], plan=None) -> None:
    """Monday sync + today, the day's changes (``between``), Tuesday sync + today."""
    for day, hook in ((MONDAY, None), (TUESDAY, between)):
        if hook:
            hook(fake)
        for arguments, time in ((("sync",), "06:55"), (("today",), "07:00")):
            if isinstance(plan, Plan):
                plan.marks.append(dict(plan.calls))
            code, output = connect5(home, f"{day}T{time}:00+00:00", *arguments)
            if code != 0 or "not written" in output:
                failures.append(f"{day} {' '.join(arguments)} exited {code}: {output.strip()[-400:]}")


def play(home: Path, fake, injector, day_two, between, after, remote, *, wall_clock_stamps: bool = False) -> Outcome:
    """Both days in a seeded home with ``injector`` in ``fake``: what every world's ``run_*`` ends with."""
    if injector is not None:
        injector.fake = fake
    fake.injector = injector
    failures: list[str] = []
    steps(home, lambda f: (day_two(f), between and between(f)), fake, failures, injector)
    fake.injector = None
    if after:
        after(fake, home)
    status = json.loads(connect5(home, f"{TUESDAY}T07:05:00+00:00", "status", "--json")[1])
    calls = injector.calls if isinstance(injector, Plan) else Counter()
    delivered = injector.delivered if isinstance(injector, Plan) else injected(fake.injected)
    return Outcome(store_dump(home, wall_clock_stamps=wall_clock_stamps), remote(fake), delivered, calls, failures,
                   status)


def alone(run, root: Path, reference: Outcome, kind: FaultClass, randomness: random.Random, runs: int,
          per_run: int) -> tuple[list[str], Counter]:
    """``runs`` runs of a world (``run``) with ``per_run`` faults of one class: the differences, what was delivered."""
    found, delivered = [], Counter()
    for number in range(runs):
        faulted = plan([kind], reference.calls, randomness, per_run)
        outcome = run(root, f"{kind.name}-{number}".replace(" ", "_"), faulted)
        delivered.update(outcome.injected)
        found += [f"run {number}: {line}" for line in differences(reference, outcome)]
    return found, delivered


def mixed(run, root: Path, reference: Outcome, classes: list[FaultClass], expiries: dict, randomness: random.Random,
          runs: int, per_run: int) -> tuple[list[str], Counter]:
    """``runs`` runs with ``per_run`` faults of every class and each expiry at even odds, as ``alone``."""
    found, delivered = [], Counter()
    for number in range(runs):
        faulted = plan(classes, reference.calls, randomness, per_run)
        chosen = [expire for expire in expiries.values() if randomness.random() < 0.5]
        outcome = run(root, f"mixed-{number}", faulted, between=lambda fake: [expire(fake) for expire in chosen])
        delivered.update(outcome.injected)
        found += [f"mixed {number}: {line}" for line in differences(reference, outcome)]
    return found, delivered


def seeded_mail(randomness: random.Random, messages: int):
    """The scenario's mail before Monday, as (kind, number, when, address) for each world's fake to hold.

    kind is "news" (from a stranger), "reply" (from ``address``, a contact) or
    "sent" (to ``address``); the same seed gives both worlds the same mail.
    """
    start = MONDAY_START - timedelta(days=50)
    for number in range(messages):
        when = spread(start, randomness, 49)
        address = randomness.choice(WRITING)[3]
        roll = randomness.random()
        yield ("news" if roll < 0.4 else "reply" if roll < 0.7 else "sent"), number, when, address


def canonical_cursors(rows: list) -> list:
    """Cursors as what they promise, without the fakes' counters (sync token sequence, delta token numbers)."""
    found = []
    for source, kind, cursor, _items, error, stopped in rows:
        state = json.loads(cursor) if cursor and kind != "maildir" else cursor
        if kind == "gmail" and state:
            state = {"phase": state["phase"], "history": state["history"], "page": state["page"]}
        elif kind == "google-calendar" and state:
            state = {name: bool(c.get("sync")) and not c.get("page") for name, c in state["calendars"].items()}
        elif kind.startswith("outlook") and state:
            folders = state.get("folders")
            state = {n: f.get("phase") for n, f in folders.items()} if folders else state.get("phase")
        found.append([source, kind, state, error, stopped])
    return found


def store_dump(home: Path, *, wall_clock_stamps: bool = False) -> dict:
    """The store without bookkeeping: the harness's dump, less etags (a retried write bumps them),
    the cursors reduced as above and, for Graph, event stamps and series ids taken from the fake's
    wall clock and counters."""
    dumped = harness.dump(home)
    dumped.pop("ics", None)
    if "blocks" not in dumped:
        return dumped
    dumped["blocks"] = [[day, writer, remote.rsplit("_", 1)[-1] if wall_clock_stamps else remote, *rest]
                        for day, writer, remote, _etag, *rest in dumped["blocks"]]
    if wall_clock_stamps:
        dumped["interactions"] = [row[:7] for row in dumped["interactions"]]
    dumped["cursors"] = canonical_cursors(dumped["cursors"])
    return dumped


def differences(clean: Outcome, faulted: Outcome) -> list[str]:
    found = list(faulted.failures)
    found += harness.differences(clean.store, faulted.store)
    if clean.remote != faulted.remote:
        found.append(f"remote calendar differs: {describe(clean.remote, faulted.remote)}")
    return found


def describe(expected, actual, path: str = "") -> str:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            if expected.get(key) != actual.get(key):
                return describe(expected.get(key), actual.get(key), f"{path}/{key}")
    return f"{path}: {str(expected)[:200]} != {str(actual)[:200]}"


@dataclass
class Tally:
    """Faults injected per class and runs, over a campaign."""

    runs: int = 0
    per_class: Counter = field(default_factory=Counter)
    found: list[str] = field(default_factory=list)

    def add(self, label: str, clean: Outcome, faulted: Outcome, expiries: Counter | None = None) -> list[str]:
        self.runs += 1
        self.per_class.update(faulted.injected)
        self.per_class.update(expiries or {})
        found = [f"{label}: {line}" for line in differences(clean, faulted)]
        self.found += found
        return found

    def as_dict(self) -> dict:
        return {"runs": self.runs, "faults_per_class": dict(sorted(self.per_class.items())),
                "faults": sum(self.per_class.values()), "differences": self.found[:20]}


def fault_name(layer: str, fault) -> str:
    """The class a delivered fault counts under."""
    if fault.kind != "status":
        return {"reset": "connection reset", "timeout": "read time-out", "expire": "access token expired"}[fault.kind]
    if layer == "part":
        return "batch part failed"
    return {429: "429 + Retry-After", 403: "403 rate limit"}.get(fault.status, "5xx")


def injected(records: list) -> Counter:
    return Counter(fault_name(layer, fault) for layer, _what, fault in records)


def spread(start: datetime, randomness: random.Random, days: int) -> datetime:
    return start + timedelta(minutes=randomness.randrange(60 * 24 * days))


MONDAY_START = datetime(2026, 3, 2, tzinfo=UTC)


# -- fault classes ---------------------------------------------------------------------------------


def retry_after(randomness: random.Random) -> tuple[tuple[str, str], ...]:
    return (("Retry-After", str(randomness.choice([0, 1]))),)


# -- a Maildir beside the remote sources ---------------------------------------------------------

MAILDIR_SOURCE = """
[[sources]]
name = "mail"
type = "maildir"
path = ["{path}"]
"""


def write_maildir(root: Path, count: int = 20) -> Path:
    """A small Maildir of replies from contacts (the source that must keep running)."""
    from email.utils import format_datetime

    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    randomness = random.Random(13)
    for number in range(count):
        when = spread(MONDAY_START - timedelta(days=20), randomness, 19)
        address = randomness.choice(WRITING)[3]
        (root / "cur" / f"{1700000000 + number}.M{number}P1.host:2,S").write_text(
            f"From: {address}\nTo: {ME}\nSubject: local {number}\nDate: {format_datetime(when)}\n"
            f"Message-ID: <local-{number}@example.org>\n\nbody\n")
    return root
