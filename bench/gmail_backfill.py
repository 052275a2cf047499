"""Benchmark: a Gmail backfill of a large fake mailbox against the quota floor.

    .venv/bin/python bench/gmail_backfill.py [--messages 100000] [--sent 0.15] [--scale 100]

The fake Google runs in its own process (so its work does not share our GIL) with
a mailbox of ``--messages`` messages over 23 months, ``--sent`` of them sent by
us, and a per-user quota of 6,000 units a minute scaled by ``--scale``, charging
20 units per messages.get. GmailSource (real clock, real HTTP, real batches)
backfills it. Reported: quota units and HTTP round trips per message, wall time
against the floor the quota sets, failed and duplicated messages, whether "last
in touch" is right for every contact once the SENT pass alone is done, and the
CPU seconds of each side (``time.process_time`` of the client process during the
sync, of the fake's process while it serves), since both compete for the cores.

The floor: a client starting with a full bucket may spend one minute's units at
once and every further unit at the refill rate, so the least possible wall time
is (units the fake charged - units_per_minute) / (units_per_minute / 60).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

ME = "me@example.com"
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
GET_UNITS = 20


def mailbox_plan(count: int, sent_share: float, seed: int = 5) -> list[tuple[bool, int, float]]:
    """(sent?, contact number, days ago) per message, oldest first, the same in both processes."""
    rng = random.Random(seed)
    plan = [(rng.random() < sent_share, rng.randrange(max(10, count // 20)), rng.uniform(0.01, 700)) for _ in range(count)]
    return sorted(plan, key=lambda entry: -entry[2])


def serve(plan, units_per_minute: float, connection) -> None:
    from fakes.google import FakeGoogle

    from connectors.google import GMAIL_METADATA

    fake = FakeGoogle(units_per_minute=units_per_minute, message_get_units=GET_UNITS, now=lambda: NOW)
    for sent, contact, days in plan:
        at = NOW - timedelta(days=days)
        if sent:
            fake.mailbox.add(sender=ME, to=f"c{contact}@example.org", at=at, labels=("SENT",), record=False)
        else:
            fake.mailbox.add(sender=f"c{contact}@example.org", to=ME, at=at, record=False)
    fake.start()
    cpu = time.process_time()  # the fake's own CPU (all its threads), from here to the client's "done"
    connection.send({"gmail": fake.gmail_endpoint, "token_uri": fake.token_uri,
                     "token": fake.authorized_user([GMAIL_METADATA])})
    connection.recv()  # the client is done
    cpu = time.process_time() - cpu
    gets = [call.path for call in fake.calls if call.method == "users.messages.get" and call.status == 200]
    connection.send({"spent": fake.quota.spent, "refused": fake.quota.refused, "round_trips": fake.round_trips,
                     "gets": len(gets), "distinct_gets": len(set(gets)),
                     "by_method": dict(fake.quota.by_method), "cpu": cpu})
    fake.stop()


def truth(plan) -> dict[str, datetime]:
    last: dict[str, datetime] = {}
    for sent, contact, days in plan:
        if sent:
            address = f"c{contact}@example.org"
            last[address] = max(last.get(address, datetime.min.replace(tzinfo=timezone.utc)), NOW - timedelta(days=days))
    return last


def run(arguments: argparse.Namespace) -> dict:
    from connectors.base import SourceContext
    from connectors.google.gmail import GmailSource

    plan = mailbox_plan(arguments.messages, arguments.sent)
    units_per_minute = 6000 * arguments.scale
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(plan, units_per_minute, child), daemon=True)
    server.start()
    endpoints = parent.recv()
    with tempfile.TemporaryDirectory() as folder:
        tokens = Path(folder) / "tokens"
        tokens.mkdir(mode=0o700)
        (tokens / "google.json").write_text(json.dumps(endpoints["token"]))
        context = SourceContext(name="gmail", own_addresses=frozenset({ME}), tokens_dir=tokens, now=lambda: NOW)
        options = GmailSource.Options(gmail_endpoint=endpoints["gmail"], token_uri=endpoints["token_uri"],
                                      quota_units_per_minute=units_per_minute, message_get_units=GET_UNITS)
        source = GmailSource(options, context)
        items, after_sent, started, cpu = [], None, time.monotonic(), time.process_time()
        for batch in source.sync(None):
            items.extend(batch.items)
            if after_sent is None and json.loads(batch.cursor)["phase"] != "sent":
                after_sent = list(items)
        wall = time.monotonic() - started
        cpu = time.process_time() - cpu
    parent.send("done")
    server_stats = parent.recv()
    server.join()
    server_stats["client_cpu"] = cpu
    return report(arguments, plan, items, after_sent or items, wall, units_per_minute, server_stats)


def report(arguments, plan, items, after_sent, wall, units_per_minute, stats) -> dict:
    ids = [item.external_id for item in items]
    expected = truth(plan)
    seen: dict[str, datetime] = {}
    for item in after_sent:
        if item.direction == "out":
            for address in item.to:
                seen[address.email] = max(seen.get(address.email, item.sent_at), item.sent_at)
    wrong = sum(1 for address, when in expected.items() if abs((seen.get(address, NOW) - when).total_seconds()) > 1)
    floor = max(1e-9, (stats["spent"] - units_per_minute) / (units_per_minute / 60.0))
    return {
        "messages": arguments.messages, "items": len(items), "failed": arguments.messages - len(set(ids)),
        "duplicated": len(ids) - len(set(ids)), "fetched_twice": stats["gets"] - stats["distinct_gets"],
        "units_per_message": round(stats["spent"] / arguments.messages, 3),
        "round_trips_per_message": round(stats["round_trips"] / arguments.messages, 4),
        "quota_refusals": stats["refused"], "wall_seconds": round(wall, 1), "floor_seconds": round(floor, 1),
        "ratio_to_floor": round(wall / floor, 3), "contacts": len(expected), "last_in_touch_wrong_after_sent_pass": wrong,
        "client_cpu_seconds": round(stats["client_cpu"], 1), "fake_cpu_seconds": round(stats["cpu"], 1),
        "client_cpu_ms_per_message": round(1000 * stats["client_cpu"] / arguments.messages, 3),
        "fake_cpu_ms_per_message": round(1000 * stats["cpu"] / arguments.messages, 3),
        "units_by_method": stats["by_method"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sent", type=float, default=0.15)
    parser.add_argument("--scale", type=float, default=100.0, help="multiply the 6,000 units/minute quota")
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
