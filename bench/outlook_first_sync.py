"""First sync of a large Outlook mailbox under Outlook's throttling budget, against the fake Graph.

Outlook allows 10,000 requests per 10 minutes per app and mailbox
(https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits), a
rate of 16.7 requests a second. The floor this budget sets for a first sync is
``pages needed × 600 s / 10,000``: no client can page faster for long. To run in
a minute or two, the fake (and the client's pacing) keep that rate but compress
time ``--time-scale`` times, with a window of ``--window-minutes`` (the budget
count scaled with it, so the rate is the documented one). We report Graph
requests per message, HTTP round trips (a ``$batch`` is one), 429s, and wall
time as a ratio of the floor, and check that nothing was lost or duplicated.

    .venv/bin/python bench/outlook_first_sync.py               # 100,000 messages
    .venv/bin/python bench/outlook_first_sync.py --messages 20000 --time-scale 50
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.graph import FakeGraph  # noqa: E402
from fakes.graph.wiring import NOW, account_options, context, sign_in  # noqa: E402

from connectors.outlook.mail import OutlookMailSource  # noqa: E402

DOCUMENTED_BUDGET, DOCUMENTED_WINDOW = 10_000, 600.0


def fill(graph: FakeGraph, messages: int, sent_share: float) -> dict[str, int]:
    sent = int(messages * sent_share)
    counts = {"inbox": messages - sent, "sentitems": sent}
    for folder, count in counts.items():
        for number in range(count):
            sender = "me@example.com" if folder == "sentitems" else f"person{number % 5000}@example.org"
            graph.mailbox.add(folder, sender=sender, received=NOW - timedelta(minutes=3 * number))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sent-share", type=float, default=0.2)
    parser.add_argument("--page-size", type=int, default=100, help="the connector default")
    parser.add_argument("--time-scale", type=float, default=2.0)
    parser.add_argument("--window-minutes", type=float, default=0.1)
    arguments = parser.parse_args()

    budget = round(DOCUMENTED_BUDGET * arguments.window_minutes / 10)
    window = arguments.window_minutes * 60 / arguments.time_scale
    with FakeGraph(budget=budget, window=window, max_page_size=max(200, arguments.page_size)) as graph, \
            tempfile.TemporaryDirectory() as folder:
        tokens = Path(folder) / "tokens"
        sign_in(graph, tokens)
        counts = fill(graph, arguments.messages, arguments.sent_share)
        options = OutlookMailSource.Options(**account_options(
            graph, page_size=arguments.page_size, backfill_months=1200,
            request_budget=budget, budget_window_seconds=window))
        source = OutlookMailSource(options, context(Path(folder), tokens))
        graph.reset_counts()
        started = time.monotonic()
        seen: Counter[str] = Counter()
        batches = 0
        for batch in source.sync(None):
            batches += 1
            seen.update(item.external_id for item in batch.items)
        elapsed = time.monotonic() - started

    pages = sum(math.ceil(count / arguments.page_size) for count in counts.values())
    floor = pages * window / budget
    graph_requests = len(graph.requests)
    lost = arguments.messages - len(seen)
    duplicated = sum(count - 1 for count in seen.values())
    print(f"messages            {arguments.messages:,} (inbox {counts['inbox']:,}, sent {counts['sentitems']:,})")
    print(f"budget              {budget:,} requests per {window:.2f} s (documented rate, time x{arguments.time_scale:g})")
    print(f"page size           {arguments.page_size}")
    print(f"graph requests      {graph_requests:,} ({graph_requests / arguments.messages:.4f} per message; "
          f"floor {pages:,} = {pages / arguments.messages:.4f})")
    print(f"http round trips    {graph.http_requests:,} ($batch of the folders' pages)")
    print(f"429 answers         {sum(r.status == 429 for r in graph.requests)}")
    print(f"batches yielded     {batches:,}")
    print(f"wall time           {elapsed:.1f} s; floor {floor:.1f} s; ratio {elapsed / floor:.3f} "
          f"(unscaled: {elapsed * arguments.time_scale / 60:.1f} min vs {floor * arguments.time_scale / 60:.1f} min)")
    print(f"lost {lost}, duplicated {duplicated}")
    if lost or duplicated:
        sys.exit(1)


if __name__ == "__main__":
    main()
