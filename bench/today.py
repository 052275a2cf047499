"""Benchmark: ``connect5 today`` on 30,000 contacts and 1,000,000 interactions.

Prints the picking time in-process (loading candidates + ``rules.picker.pick``)
and the wall time of the whole ``connect5 today`` command against
``connect5 --version`` (interpreter start-up), each ``today`` timed right after a
``--version`` so both meet the same load (medians of repeated rounds), both for
the first run of a day (picks chosen and the block written) and a repeat
(frozen picks, block already up to date); each both with ``connect5 run``
running (the daemon answers, see daemon.control; a first run then has the
daemon choose the day) and without it (the command does everything itself).

    .venv/bin/python bench/today.py [--contacts 30000] [--interactions 1000000] [--runs 10]
                                    [--keep DIR] [--breakdown]

``--breakdown`` also prints where a repeated ``connect5 today`` with no daemon
spends its time against ``--version``: the wall time of each phase (interpreter
and site start-up, importing what the command needs: click and the CLI for
``--version``, the store, config and picker for ``today``; running it;
interpreter exit; medians) and the import time of each module ``today`` loads
that ``--version`` does not (``-X importtime`` self times, medians).

Goals: picking <= 50 ms; the whole command <= 1.3 x --version.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.records import Contact  # noqa: E402
from daemon import config as config_module  # noqa: E402
from daemon import morning  # noqa: E402
from daemon.store import open_store  # noqa: E402

NOW = "2026-11-27T06:00:00+00:00"


def build(home: Path, contacts: int, interactions: int, seed: int = 7) -> None:
    randomness = random.Random(seed)
    store = open_store(home / "connect5.db")
    people = [
        Contact(key=f"https://www.linkedin.com/in/p{n:06d}", name=f"Person{n} Example{n % 997}",
                company=f"Company {randomness.randrange(3000)}", position="Engineer",
                connected_on=date(2012, 1, 1) + timedelta(days=randomness.randrange(5000)), source="linkedin")
        for n in range(contacts)
    ]
    store.import_contacts(people, source="linkedin", snapshot=True)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    span = int((datetime(2026, 11, 26, tzinfo=UTC) - start).total_seconds())
    with store.atomic():
        rows, links = [], []
        for n in range(interactions):
            at = (start + timedelta(seconds=randomness.randrange(span))).isoformat(timespec="seconds")
            rows.append((n + 1, "mail", f"m{n}", f"<m{n}@example.com>", "email",
                         randomness.choice(("in", "out")), at, at))
            links.append((n + 1, people[randomness.randrange(contacts)].key))
        store.db.conn.executemany(
            "INSERT INTO interactions (id, source, external_id, message_id, kind, direction, at, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        store.db.conn.executemany("INSERT INTO interaction_contacts VALUES (?, ?)", links)
        store.execute(
            "UPDATE contacts SET last_touch_at = t.at, last_touch_kind = 'email' FROM"
            " (SELECT c.contact_key AS key, max(i.at) AS at FROM interaction_contacts c"
            " JOIN interactions i ON i.id = c.interaction_id GROUP BY c.contact_key) AS t WHERE contacts.key = t.key"
        )
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    (home / "config.toml").write_text('[me]\ntimezone = "Europe/London"\n')


def time_picking(home: Path, runs: int) -> list[float]:
    store = open_store(home / "connect5.db")
    config = config_module.load(home / "config.toml")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = morning.choose(store, config, date(2026, 11, 27))
        timings.append(time.perf_counter() - started)
        assert len(result.picks) == 5
    store.close()
    return timings


def paired(version: list[str], command: list[str], runs: int, before=None, after=None) -> list[tuple[float, float]]:
    """(``version`` seconds, ``command`` seconds) of ``runs`` rounds, each timing the two back to back.

    Interleaved, so a change in the machine's load (a shared VM's neighbours) moves
    both sides of a ratio alike instead of only the runs that happened to meet it.
    """
    env = {**os.environ, "CONNECT5_NOW": NOW}
    rounds = []
    for _ in range(runs):
        if before:
            before()
        timings = []
        for arguments in (version, command):
            started = time.perf_counter()
            subprocess.run(arguments, check=True, capture_output=True, env=env)
            timings.append(time.perf_counter() - started)
        rounds.append((timings[0], timings[1]))
        if after:
            after()
    return rounds


class Daemon:
    """``connect5 run`` on ``home`` in the background, started and stopped as a user's service would be."""

    def __init__(self, executable: list[str], home: Path):
        self.executable, self.home, self.process = executable, home, None

    def start(self) -> None:
        socket_path = self.home / "control.sock"
        self.process = subprocess.Popen([*self.executable, "--home", str(self.home), "run"],
                                        env={**os.environ, "CONNECT5_NOW": NOW}, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not socket_path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("connect5 run did not start")
            time.sleep(0.05)
        time.sleep(0.5)  # its first cycle over

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)
            self.process = None


# Run in a child: the phases of one ``connect5`` command, as wall-clock stamps on stderr.
PHASES = """
import sys, time
stamps = [time.time()]
import daemon.entry
if sys.argv[-1] == "today":
    import daemon.today_report, daemon.morning, daemon.logs, daemon.paths
else:
    import daemon.cli
stamps.append(time.time())
sys.argv = ["connect5", *sys.argv[1:]]
try:
    daemon.entry.main()
except SystemExit:
    pass
stamps.append(time.time())
sys.stderr.write(" ".join(map(repr, stamps)) + "\\n")
"""


def phases(arguments: list[str], runs: int) -> dict[str, float]:
    env = {**os.environ, "CONNECT5_NOW": NOW}
    rows = []
    for _ in range(runs):
        started = time.time()
        result = subprocess.run([sys.executable, "-c", PHASES, *arguments], check=True, capture_output=True,
                                text=True, env=env)
        ended = time.time()
        stamps = [float(value) for value in result.stderr.split()[-3:]]
        rows.append((stamps[0] - started, stamps[1] - stamps[0], stamps[2] - stamps[1], ended - stamps[2]))
    names = ("start-up and site", "import what the command needs", "run", "exit")
    return {name: statistics.median(column) for name, column in zip(names, zip(*rows))}


def import_times(arguments: list[str], runs: int) -> dict[str, float]:
    """Median ``-X importtime`` self time (seconds) of every module one command imports."""
    env = {**os.environ, "CONNECT5_NOW": NOW}
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "daemon", *arguments], check=True,
                                capture_output=True, text=True, env=env)
        for line in result.stderr.splitlines():
            if line.startswith("import time:") and "self [us]" not in line:
                own, _, name = line[len("import time:"):].split("|")
                samples.setdefault(name.strip(), []).append(int(own) / 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def breakdown(home: Path, runs: int) -> None:
    today = ["--home", str(home), "today"]
    version, command = phases(["--version"], runs), phases(today, runs)
    print("where the time goes (medians, ms):  --version  today")
    for name in version:
        print(f"  {name:<32} {version[name] * 1000:8.1f} {command[name] * 1000:6.1f}")
    base, extra = import_times(["--version"], runs), import_times(today, runs)
    only = {name: seconds for name, seconds in extra.items() if name not in base}
    ours = sum(seconds for name, seconds in only.items() if name.split(".")[0] in ("daemon", "connectors", "rules"))
    print(f"modules today imports beyond --version: {len(only)}, {sum(only.values()) * 1000:.1f} ms of import time "
          f"(-X importtime self times; {ours * 1000:.1f} ms in connect5's own modules)")
    for name, seconds in sorted(only.items(), key=lambda pair: -pair[1])[:15]:
        print(f"  {seconds * 1000:5.1f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=30_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="Build the store here, or reuse the one already there.")
    parser.add_argument("--breakdown", action="store_true", help="Also print where a repeated run spends its time.")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = arguments.keep or Path(scratch)
        home = Path(folder) / "home"
        started = time.perf_counter()
        if not (home / "connect5.db").exists():
            build(home, arguments.contacts, arguments.interactions)
        size = (home / "connect5.db").stat().st_size / 1e6
        print(f"store: {arguments.contacts:,} contacts, {arguments.interactions:,} interactions, "
              f"{size:.0f} MB, built in {time.perf_counter() - started:.1f} s")
        picking = time_picking(home, arguments.runs)
        print(f"picking (load candidates + pick): median {statistics.median(picking) * 1000:.1f} ms, "
              f"best {min(picking) * 1000:.1f} ms (goal <= 50 ms)")
        # An installed connect5 has its bytecode compiled by pip; here PYTHONDONTWRITEBYTECODE
        # may be set, and recompiling the project on every start is no user's reality.
        root = Path(__file__).resolve().parent.parent
        subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(root / name) for name in
                        ("daemon", "connectors", "rules"))], check=True)
        executable = [str(Path(sys.executable).with_name("connect5"))]
        pristine = Path(folder) / "pristine.db"
        if not pristine.exists():
            shutil.copy(home / "connect5.db", pristine)
        shutil.copy(pristine, home / "connect5.db")

        def fresh_day() -> None:
            shutil.copy(pristine, home / "connect5.db")
            (home / "connect5.ics").unlink(missing_ok=True)
            # The copy leaves the whole store dirty in the page cache; without this the
            # first commit's fsync would time writing 300 MB, which no real day does.
            os.sync()

        today = [*executable, "--home", str(home), "today"]
        version = [*executable, "--version"]
        first = paired(version, today, arguments.runs, before=fresh_day)
        repeat = paired(version, today, arguments.runs)
        daemon = Daemon(executable, home)

        def fresh_day_with_daemon() -> None:
            fresh_day()
            daemon.start()

        try:
            first_asked = paired(version, today, arguments.runs, before=fresh_day_with_daemon, after=daemon.stop)
            daemon.start()
            repeat_asked = paired(version, today, arguments.runs)
        finally:
            daemon.stop()
        print("each `connect5 today` timed right after a `connect5 --version`, in the same conditions; medians:")
        for label, rounds in (("first run of the day, no daemon", first),
                              ("repeated, no daemon", repeat),
                              ("first run of the day, daemon running", first_asked),
                              ("repeated, daemon running", repeat_asked)):
            base = statistics.median(pair[0] for pair in rounds)
            median = statistics.median(pair[1] for pair in rounds)
            ratio = statistics.median(pair[1] / pair[0] for pair in rounds)
            print(f"  today, {label}: {median * 1000:.0f} ms against --version {base * 1000:.0f} ms"
                  f" = {median / base:.2f} x (median of the rounds' own ratios {ratio:.2f} x)")
        print("goal: today <= 1.3 x --version")
        if arguments.breakdown:
            breakdown(home, arguments.runs)


if __name__ == "__main__":
    main()
