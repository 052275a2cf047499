"""The crash harness: run connect5 steps as real processes, SIGKILL them, compare with a clean run.

A *step* is one CLI command (``import linkedin``, ``sync``, ``today``, ``run
--once``) with a pinned wall clock (``CONNECT5_NOW``). The uninterrupted run
executes the steps once each into its own home and records how long each took
and a canonical dump of the result. A crashed run executes the same steps into a
fresh home, but kills each step with SIGKILL at a seeded random moment within
that step's measured duration (sometimes the rerun too), then reruns it until
it exits on its own. After every kill the store must pass ``PRAGMA
integrity_check`` and the block file must be a readable calendar with at most
one event per day; at the end the dump must equal the uninterrupted run's.

The dump leaves out only what is wall-clock bookkeeping (``recorded_at``,
``added_at``, ``picked_at``, ``written_at``, cursor timestamps) and reduces the
Maildir cursor to what it promises (see ``canonical_cursor``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from reliability.world import World

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Step:
    name: str
    args: tuple[str, ...]
    now: str
    zone: str = ""


def local_steps(world: World) -> list[Step]:
    """Import, sync, the morning job via ``today``, and a next-day ``run --once`` (sync + morning job)."""
    return [
        Step("import", ("import", "linkedin", str(world.export), "--quiet"), "2026-03-02T06:50:00+00:00"),
        Step("sync", ("sync",), "2026-03-02T06:55:00+00:00"),
        Step("today", ("today",), "2026-03-02T07:00:00+00:00"),
        Step("run-once", ("run", "--once"), "2026-03-03T09:30:00+00:00"),
    ]


def command(home: Path, step: Step) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "CONNECT5_NOW": step.now, "PYTHONPATH": str(REPOSITORY)}
    env.pop("JOURNAL_STREAM", None)
    env.pop("NOTIFY_SOCKET", None)
    if step.zone:
        env["TZ"] = step.zone
    return [sys.executable, "-m", "daemon", "--home", str(home), *step.args], env


def run_step(home: Path, step: Step, *, kill_after: float | None = None, timeout: float = 300) -> tuple[bool, float]:
    """Run ``step``; with ``kill_after`` SIGKILL it then. Returns (killed while running, seconds)."""
    argv, env = command(home, step)
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    if kill_after is None:
        out, err = process.communicate(timeout=timeout)
        if process.returncode != 0:
            raise AssertionError(f"{step.name} exited {process.returncode}:\n{out.decode()}\n{err.decode()}")
        return False, time.monotonic() - started
    try:
        process.wait(timeout=kill_after)
        killed = False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        killed = True
    out, err = process.communicate()
    if not killed and process.returncode != 0:
        raise AssertionError(f"{step.name} exited {process.returncode}:\n{out.decode()}\n{err.decode()}")
    return killed, time.monotonic() - started


# -- what is compared --------------------------------------------------------


def canonical_cursor(source_type: str, cursor: str | None, world: World | None):
    """The cursor as what it promises; only the Maildir floors depend on the wall clock of the scan.

    A Maildir floor rises to "scan time minus ten minutes", so two runs never
    agree on it byte for byte; what must agree is that every folder's floor is
    above every file in it and the set of names still remembered above it.
    """
    if source_type != "maildir" or not cursor:
        return cursor
    from connectors.maildir.cursor import decode

    state = decode(cursor)
    floors = {}
    for folder, floor in sorted(state.floors.items()):
        newest = max((entry.stat().st_mtime_ns for sub in ("cur", "new") if (Path(folder) / sub).is_dir()
                      for entry in os.scandir(Path(folder) / sub)), default=0)
        floors[folder] = "above every file" if floor > newest else f"below {newest - floor} ns"
    return {"floors": floors, "seen": sorted(state.seen)}


def dump(home: Path, world: World | None = None) -> dict:
    """The store and the block file without wall-clock bookkeeping."""
    connection = sqlite3.connect(f"file:{home / 'connect5.db'}?mode=ro", uri=True)
    try:
        def rows(sql: str) -> list[list]:
            return [list(row) for row in connection.execute(sql)]

        if not rows("SELECT 1 FROM sqlite_master WHERE name = 'meta'"):
            return {"store": "no schema yet"}  # killed before the first migration committed

        result = {
            "contacts": rows("SELECT key, name, first_name, last_name, company, position, profile_url, connected_on,"
                             " source, tags, excluded, snoozed_until, missing_since IS NULL, last_touch_at,"
                             " last_touch_kind, last_picked_on, picked_rotation FROM contacts ORDER BY key"),
            "contact_emails": rows("SELECT email, contact_key, source, learned_from FROM contact_emails"
                                   " ORDER BY email, contact_key"),
            "interactions": rows("SELECT source, external_id, message_id, kind, direction, at, status, created,"
                                 " updated FROM interactions ORDER BY source, external_id"),
            "interaction_contacts": rows("SELECT i.source, i.external_id, c.contact_key FROM interaction_contacts c"
                                         " JOIN interactions i ON i.id = c.interaction_id ORDER BY 1, 2, 3"),
            "picks": rows("SELECT day, slot, contact_key, reason, rotation, state, skipped, reached_out_at,"
                          " replied_at, booked_at, met_at FROM picks ORDER BY day, slot"),
            "blocks": rows("SELECT day, writer, remote_id, etag, state, digest FROM blocks ORDER BY day, writer"),
            "cursors": [[source, kind, canonical_cursor(kind, cursor, world), items, error, stopped]
                        for source, kind, cursor, items, error, stopped in connection.execute(
                            "SELECT source, type, cursor, items, last_error, stopped FROM cursors ORDER BY source")],
            "review": rows("SELECT kind, value, candidates, reason, source, seen, resolved FROM review"
                           " ORDER BY kind, value"),
            # block_file_seen caches the block file's stat (path, times, inode): the file's, not the store's, news.
            "meta": rows("SELECT key, value FROM meta WHERE key != 'block_file_seen' ORDER BY key"),
        }
    finally:
        connection.close()
    ics = home / "connect5.ics"
    result["ics"] = ics.read_text() if ics.exists() else None
    return result


def differences(expected: dict, actual: dict) -> list[str]:
    """Human-readable differences between two dumps (empty when equal)."""
    found = []
    for table in expected:
        want, got = expected[table], actual.get(table)
        if want == got:
            continue
        if isinstance(want, list) and isinstance(got, list):
            missing = [row for row in want if row not in got]
            extra = [row for row in got if row not in want]
            found.append(f"{table}: {len(want)} rows expected, {len(got)} found;"
                         f" missing {missing[:3]} extra {extra[:3]}")
        else:
            found.append(f"{table}: differs")
    return found


def check_after_kill(home: Path) -> list[str]:
    """What must hold at any instant: a sound store and a block file with at most one event per day."""
    problems = []
    database = home / "connect5.db"
    if database.exists():
        connection = sqlite3.connect(str(database))
        try:
            status = connection.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            status = str(error)
        finally:
            connection.close()
        if status != "ok":
            problems.append(f"integrity_check: {status}")
    problems += block_file_problems(home / "connect5.ics")
    return problems


def block_events(path: Path) -> Counter:
    """RECURRENCE-ID day -> number of override events in the block file."""
    import icalendar

    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    days: Counter = Counter()
    for event in calendar.walk("VEVENT"):
        recurrence = event.get("RECURRENCE-ID")
        if recurrence is not None:
            days[recurrence.dt.date().isoformat()] += 1
        else:
            days["master"] += 1
    return days


def block_file_problems(path: Path) -> list[str]:
    if not path.exists():
        return []
    try:
        days = block_events(path)
    except ValueError as error:
        return [f"{path.name} unreadable: {error}"]
    return [f"{path.name}: {count} events for {day}" for day, count in days.items() if count > 1]


# -- the runs ----------------------------------------------------------------


@dataclass
class Reference:
    durations: dict[str, float]
    dump: dict


def uninterrupted(world: World, home: Path, steps: list[Step]) -> Reference:
    durations = {}
    for step in steps:
        _, durations[step.name] = run_step(home, step)
    return Reference(durations, dump(home, world))


@dataclass
class Tally:
    """What the crashed runs did: kills delivered per step, and how many left partial work behind."""

    trials: int = 0
    kills: Counter = field(default_factory=Counter)
    partial: Counter = field(default_factory=Counter)  # the store had changed since the step began
    late: int = 0  # the process had exited before its kill moment
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.kills.values())

    def as_dict(self) -> dict:
        return {"trials": self.trials, "kills": self.total, "kills_per_step": dict(self.kills),
                "kills_leaving_partial_work": dict(self.partial), "exited_before_kill": self.late,
                "problems": self.problems}


def crashed(world: World, home: Path, steps: list[Step], reference: Reference, randomness: random.Random,
            tally: Tally, *, max_kills_per_step: int = 2) -> list[str]:
    """One crashed run; returns its differences from the reference (empty = nothing lost or doubled)."""
    tally.trials += 1
    for step in steps:
        kills = randomness.randint(1, max_kills_per_step)
        for _ in range(kills):
            before = dump(home, world) if (home / "connect5.db").exists() else None
            delay = randomness.uniform(0, reference.durations[step.name])
            killed, _ = run_step(home, step, kill_after=delay)
            if not killed:
                tally.late += 1
                break
            tally.kills[step.name] += 1
            problems = check_after_kill(home)
            if problems:
                tally.problems += [f"trial {tally.trials} {step.name} at {delay:.3f}s: {p}" for p in problems]
            if (home / "connect5.db").exists() and dump(home, world) != before:
                tally.partial[step.name] += 1
        run_step(home, step)
    found = differences(reference.dump, dump(home, world))
    return [f"trial {tally.trials}: {line}" for line in found]


def campaign(world: World, work: Path, steps: list[Step], *, points: int, seed: int,
             log=lambda line: None) -> tuple[Reference, Tally, list[str]]:
    """Crashed runs until ``points`` kills have been delivered; returns the reference, tally and differences."""
    reference = uninterrupted(world, world.new_home(work / "reference"), steps)
    again = dump(work / "reference", world)
    for step in steps:  # rerunning every step on the finished store is a no-op
        run_step(work / "reference", step)
    # The steps' pinned clocks now run backwards (the sync of day 1 after day 2), so the
    # calendar is read again: its cursor's count of items pulled may grow, nothing else.
    rerun = differences(_without_counts(again), _without_counts(dump(work / "reference", world)))
    randomness = random.Random(seed)
    tally, found = Tally(), [f"rerun of the uninterrupted run: {line}" for line in rerun]
    while tally.total < points:
        home = world.new_home(work / f"crashed-{tally.trials:04d}")
        found += crashed(world, home, steps, reference, randomness, tally)
        log(f"trial {tally.trials}: {tally.total}/{points} kills, {len(found)} differences")
    return reference, tally, found


def _without_counts(dumped: dict) -> dict:
    return {**dumped, "cursors": [row[:3] + row[4:] for row in dumped.get("cursors", [])]}


def summary(reference: Reference, tally: Tally, found: list[str]) -> str:
    sizes = {table: len(rows) for table, rows in reference.dump.items() if isinstance(rows, list)}
    return json.dumps({"durations": {k: round(v, 3) for k, v in reference.durations.items()},
                       "reference_rows": sizes, **tally.as_dict(), "differences": found[:20]}, indent=2)
