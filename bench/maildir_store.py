"""Benchmark: ``connect5 sync`` of a 20,000-message Maildir into the store, end to end.

Generates the Maildir with ``bench/maildir_ingest.py``'s generator (same seed,
same messages: Received chains, DKIM, lists, 3-30 KB files), imports as contacts
the 300 "contact" addresses it draws a tenth of its mail from, then times the
real ``connect5 sync`` in a subprocess (process start, config, matching, rules,
one transaction per batch) and prints messages/s (wall and per cpu-second of
the child), what was stored and the store's size on disk. A second sync shows
the cost of finding nothing new, and a sync of an empty Maildir the cost of
starting Python, importing, reading the config and opening the store, which
every figure includes. ``--cached-bytecode`` runs ``connect5`` with its
compiled modules cached (in the work folder), as an installed program runs;
without it the environment decides (``PYTHONDONTWRITEBYTECODE=1`` makes every
run compile the project's modules again).

With ``--keep DIR`` an existing ``DIR/Maildir`` is reused (generating takes
~25 s), and the store is rebuilt for each run. ``--dump FILE`` writes what the
sync stored (interactions, their contacts, review, contact addresses, last
touch) as sorted text, to prove a change left behaviour alone: dump before and
after, then ``diff``.

    .venv/bin/python bench/maildir_store.py [--messages 20000] [--seed 5] [--keep DIR] [--dump FILE]
                                            [--cached-bytecode]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from maildir_ingest import DOMAINS, OWN, generate  # noqa: E402

from connectors.records import Contact  # noqa: E402
from daemon.store import open_store  # noqa: E402

CONFIG = """
[me]
name = "Ada Lovelace"
emails = ["{own}"]
timezone = "UTC"

[[sources]]
name = "mail"
type = "maildir"
path = ["{maildir}"]
backfill_months = 0
"""


def contact_addresses(seed: int) -> list[str]:
    """The addresses ``generate`` draws its contacts' mail from: its first 300 random choices."""
    randomness = random.Random(seed)
    return [f"contact{index}@{randomness.choice(DOMAINS)}" for index in range(300)]


def build_home(work: Path, maildir: Path, seed: int, name: str = "home") -> Path:
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    (home / "config.toml").write_text(CONFIG.format(own=OWN, maildir=maildir))
    store = open_store(home / "connect5.db")
    contacts = [Contact(key=f"https://www.linkedin.com/in/contact-{index}", name=f"Contact{index} Person",
                        emails=(address,)) for index, address in enumerate(contact_addresses(seed))]
    store.import_contacts(contacts, source="linkedin", snapshot=True)
    store.close()
    return home


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# The environment of every connect5 run (None: this process's).
ENVIRONMENT: dict[str, str] | None = None


def timed_run(arguments: list[str]) -> tuple[float, float, str]:
    """Wall and cpu seconds of one ``connect5`` run, and its output."""
    started, cpu_started = time.perf_counter(), child_cpu()
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "connect5"), *arguments], capture_output=True, text=True,
                            env=ENVIRONMENT)
    elapsed, cpu = time.perf_counter() - started, child_cpu() - cpu_started
    if result.returncode != 0:
        raise SystemExit(f"connect5 {' '.join(arguments)} failed: {result.stderr.strip()}")
    return elapsed, cpu, result.stdout


def timed_sync(home: Path) -> tuple[float, float, dict]:
    elapsed, cpu, output = timed_run(["--home", str(home), "sync", "--json"])
    return elapsed, cpu, json.loads(output)[0]


DUMP_QUERIES = (
    "SELECT source, external_id, message_id, kind, direction, at, status, created, updated FROM interactions",
    "SELECT i.source, i.external_id, c.contact_key FROM interaction_contacts c JOIN interactions i"
    " ON i.id = c.interaction_id",
    "SELECT kind, value, candidates, reason, source, seen, resolved FROM review",
    "SELECT email, contact_key, source, learned_from FROM contact_emails",
    "SELECT key, last_touch_at, last_touch_kind FROM contacts",
    "SELECT day, slot, contact_key, state, reached_out_at, replied_at, booked_at, met_at FROM picks",
)


def dump(home: Path, target: Path) -> None:
    """What the sync stored, as sorted lines without ids or wall-clock times."""
    connection = sqlite3.connect(home / "connect5.db")
    lines = []
    for query in DUMP_QUERIES:
        lines.append(f"== {query}")
        lines += sorted(repr(tuple(row)) for row in connection.execute(query))
    connection.close()
    target.write_text("\n".join(lines) + "\n")


def store_bytes(home: Path) -> int:
    database = home / "connect5.db"
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return sum(path.stat().st_size for path in home.glob("connect5.db*"))


def start_up(work: Path, seed: int, cached_bytecode: bool) -> str:
    """Time ``connect5 sync`` of an empty Maildir (run twice with --cached-bytecode: the first fills the cache)."""
    global ENVIRONMENT
    if cached_bytecode:
        ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        ENVIRONMENT["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    empty_maildir = work / "empty-Maildir"
    for sub in ("cur", "new", "tmp"):
        (empty_maildir / sub).mkdir(parents=True, exist_ok=True)
    home = build_home(work, empty_maildir, seed, name="empty-home")
    for _ in range(2 if cached_bytecode else 1):
        wall, cpu, _ = timed_sync(home)
    bytecode = "cached" if cached_bytecode else "as the environment says"
    if not cached_bytecode and os.environ.get("PYTHONDONTWRITEBYTECODE"):
        bytecode = "compiled on every run: PYTHONDONTWRITEBYTECODE is set"
    return f"connect5 sync of an empty Maildir {wall:.3f} s wall, {cpu:.3f} cpu-s (bytecode {bytecode})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--dump", type=Path, help="write what the first sync stored to this file")
    parser.add_argument("--cached-bytecode", action="store_true", help="run connect5 with compiled modules cached")
    arguments = parser.parse_args()
    work = arguments.keep or Path(tempfile.mkdtemp(prefix="connect5-maildir-store-"))
    work.mkdir(parents=True, exist_ok=True)
    maildir = work / "Maildir"
    try:
        if arguments.keep is not None and maildir.is_dir():
            print(f"reusing {maildir} (delete it to generate again)")
        else:
            started = time.perf_counter()
            size = generate(maildir, arguments.messages, arguments.seed, fresh_mtimes=False)
            print(f"generated {arguments.messages} messages, {size / 1e6:.0f} MB, "
                  f"in {time.perf_counter() - started:.1f} s")
        home = build_home(work, maildir, arguments.seed)
        empty = store_bytes(home)
        print(f"start-up: {start_up(work, arguments.seed, arguments.cached_bytecode)}")
        elapsed, cpu, outcome = timed_sync(home)
        items = max(outcome["items"], 1)
        print(f"connect5 sync: {outcome['items']} messages in {elapsed:.2f} s (cpu {cpu:.2f} s) = "
              f"{items / elapsed:,.0f} messages/s, {items / cpu:,.0f} per cpu-second, "
              f"{cpu / items * 1e6:.0f} cpu-us a message (one process, start-up included); "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"  {outcome['interactions']} interactions, {outcome['noise']} noise, {outcome['unknown']} unknown, "
              f"{outcome['duplicates']} duplicates, {outcome['learned']} addresses learned")
        total = store_bytes(home)
        print(f"store: {total / 1e6:.2f} MB ({(total - empty) / 1e6:.2f} MB added, "
              f"{(total - empty) / max(outcome['items'], 1):.0f} bytes a message)")
        if arguments.dump:
            dump(home, arguments.dump)
            print(f"stored rows written to {arguments.dump}")
        again, again_cpu, second = timed_sync(home)
        print(f"second sync (nothing new): {second['items']} messages in {again:.2f} s (cpu {again_cpu:.2f} s)")
    finally:
        if arguments.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
