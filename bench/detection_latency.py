"""Benchmark: from a reply landing in the Maildir to its pick showing "replied", while ``connect5 run`` runs.

Builds a home in a temporary folder (60 contacts with addresses, a Maildir, 50
picks a day on every day, the morning job at 00:00 so it runs at once), starts
the real ``connect5 run`` as a subprocess, waits for its 50 picks, then drops 50
replies one at a time the way a delivery agent does (written into ``tmp/``,
renamed into ``new/``) and polls the store read-only until that pick's state is
"replied". Prints p50, p95 and max; the goal is p95 <= 2 s.

    .venv/bin/python bench/detection_latency.py [--replies 50] [--gap 0.2] [--keep DIR]

The clock starts right after the rename; the daemon's path is the Maildir
watcher (inotify, debounced), one sync, the rules and the commit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.records import Contact  # noqa: E402
from daemon.store import open_store  # noqa: E402

CONFIG = """
[me]
name = "Ada Lovelace"
emails = ["ada@example.com"]
timezone = "UTC"

[picking]
per_day = {picks}
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
at = "00:00"

[block]
time = "00:00"

[[sources]]
name = "mail"
type = "maildir"
path = ["{maildir}"]
backfill_months = 0
"""


def build_home(root: Path, picks: int) -> tuple[Path, Path]:
    home, maildir = root / "home", root / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    home.mkdir()
    (home / "config.toml").write_text(CONFIG.format(picks=picks, maildir=maildir))
    store = open_store(home / "connect5.db")
    contacts = [
        Contact(key=f"https://www.linkedin.com/in/person-{number}", name=f"Person{number} Bench{number}",
                emails=(f"person{number}@bench.example",), company=f"Company {number}")
        for number in range(picks + 10)
    ]
    store.import_contacts(contacts, source="linkedin", snapshot=True)
    store.close()
    return home, maildir


def state_reader(database: Path):
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1.0)

    def states() -> dict[str, str]:
        try:
            return dict(connection.execute("SELECT contact_key, state FROM picks WHERE skipped = 0"))
        except sqlite3.OperationalError:
            return {}

    return states


def wait_for(condition, timeout: float, what: str, daemon: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if daemon.poll() is not None:
            raise SystemExit(f"connect5 run exited ({daemon.returncode}) while waiting for {what}")
        time.sleep(0.005)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


def deliver_reply(maildir: Path, number: int, key: str) -> None:
    slug = key.rsplit("-", 1)[1]
    now = datetime.now(UTC)
    text = (f"From: Person{slug} Bench{slug} <person{slug}@bench.example>\nTo: Ada Lovelace <ada@example.com>\n"
            f"Subject: Re: hello\nDate: {format_datetime(now)}\nMessage-ID: <reply-{number}@bench.example>\n\n"
            "body\n")
    unique = f"{int(now.timestamp())}.M{number}P{os.getpid()}.bench"
    (maildir / "tmp" / unique).write_text(text)
    os.rename(maildir / "tmp" / unique, maildir / "new" / unique)


def measure(root: Path, replies: int, gap: float) -> list[float]:
    home, maildir = build_home(root, replies)
    environment = {key: value for key, value in os.environ.items() if key != "CONNECT5_NOW"}
    daemon = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "connect5"), "--home", str(home), "run"],
        env=environment, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )
    try:
        while not (home / "connect5.db").exists():
            time.sleep(0.01)
        states = state_reader(home / "connect5.db")
        picked = wait_for(lambda: len(states()) >= replies and states(), 30, f"{replies} picks", daemon)
        time.sleep(0.5)  # let the first cycle finish and the watcher settle
        latencies = []
        for number, key in enumerate(sorted(picked)[:replies]):
            deliver_reply(maildir, number, key)
            started = time.perf_counter()
            wait_for(lambda key=key: states().get(key) == "replied", 30, f"reply {number}", daemon)
            latencies.append(time.perf_counter() - started)
            time.sleep(gap)
        return latencies
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between one detection and the next reply")
    parser.add_argument("--keep", type=Path, help="build the home here and keep it")
    arguments = parser.parse_args()
    root = arguments.keep or Path(tempfile.mkdtemp(prefix="connect5-latency-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        latencies = sorted(measure(root, min(arguments.replies, 50), arguments.gap))
    finally:
        if arguments.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(f"replies detected: {len(latencies)}")
    print(f"latency p50: {statistics.median(latencies) * 1000:.0f} ms")
    print(f"latency p95: {p95 * 1000:.0f} ms   (goal <= 2000 ms: {'met' if p95 <= 2 else 'MISSED'})")
    print(f"latency max: {latencies[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
