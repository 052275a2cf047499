"""Benchmark: ``connect5 sync`` of a 20,000-message Maildir into the store, end to end.

Generates the Maildir with ``bench/maildir_ingest.py``'s generator (same seed,
same messages: Received chains, DKIM, lists, 3-30 KB files), imports as contacts
the 300 "contact" addresses it draws a tenth of its mail from, then times the
real ``connect5 sync`` in a subprocess (process start, config, matching, rules,
one transaction per batch) and prints messages/s, what was stored and the
store's size on disk. A second sync shows the cost of finding nothing new.

    .venv/bin/python bench/maildir_store.py [--messages 20000] [--seed 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
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


def build_home(work: Path, maildir: Path, seed: int) -> Path:
    home = work / "home"
    home.mkdir()
    (home / "config.toml").write_text(CONFIG.format(own=OWN, maildir=maildir))
    store = open_store(home / "connect5.db")
    contacts = [Contact(key=f"https://www.linkedin.com/in/contact-{index}", name=f"Contact{index} Person",
                        emails=(address,)) for index, address in enumerate(contact_addresses(seed))]
    store.import_contacts(contacts, source="linkedin", snapshot=True)
    store.close()
    return home


def timed_sync(home: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "connect5"), "--home", str(home), "sync", "--json"],
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"connect5 sync failed: {result.stderr.strip()}")
    return elapsed, json.loads(result.stdout)[0]


def store_bytes(home: Path) -> int:
    database = home / "connect5.db"
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return sum(path.stat().st_size for path in home.glob("connect5.db*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    arguments = parser.parse_args()
    work = arguments.keep or Path(tempfile.mkdtemp(prefix="connect5-maildir-store-"))
    work.mkdir(parents=True, exist_ok=True)
    maildir = work / "Maildir"
    try:
        started = time.perf_counter()
        size = generate(maildir, arguments.messages, arguments.seed, fresh_mtimes=False)
        print(f"generated {arguments.messages} messages, {size / 1e6:.0f} MB, in {time.perf_counter() - started:.1f} s")
        home = build_home(work, maildir, arguments.seed)
        empty = store_bytes(home)
        elapsed, outcome = timed_sync(home)
        print(f"connect5 sync: {outcome['items']} messages in {elapsed:.2f} s = {outcome['items'] / elapsed:,.0f} "
              f"messages/s (one process, start-up included)")
        print(f"  {outcome['interactions']} interactions, {outcome['noise']} noise, {outcome['unknown']} unknown, "
              f"{outcome['duplicates']} duplicates, {outcome['learned']} addresses learned")
        total = store_bytes(home)
        print(f"store: {total / 1e6:.2f} MB ({(total - empty) / 1e6:.2f} MB added, "
              f"{(total - empty) / max(outcome['items'], 1):.0f} bytes a message)")
        again, second = timed_sync(home)
        print(f"second sync (nothing new): {second['items']} messages in {again:.2f} s")
    finally:
        if arguments.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
