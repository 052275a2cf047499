"""An idle hour of Outlook polling against the fake Graph: what does nothing cost?

After a first sync of a small mailbox and calendar, drive ``sync(cursor)`` of the
mail source (Inbox + Sent Items) and the calendar source ``--polls`` times (60 =
one poll a minute for an hour) with nothing changing, without real waiting, and
count Graph requests and HTTP round trips. Goal: one delta call per folder per
poll — the mail folders' delta links go out together in one ``$batch``.

    .venv/bin/python bench/outlook_idle.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.graph import FakeGraph  # noqa: E402
from fakes.graph.wiring import NOW, account_options, context, sign_in  # noqa: E402

from connectors.outlook.calendar import OutlookCalendarSource  # noqa: E402
from connectors.outlook.mail import OutlookMailSource  # noqa: E402


def last_cursor(source, cursor):
    for batch in source.sync(cursor):
        cursor = batch.cursor
    return cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=60)
    arguments = parser.parse_args()
    with FakeGraph() as graph, tempfile.TemporaryDirectory() as folder:
        tokens = Path(folder) / "tokens"
        sign_in(graph, tokens)
        for number in range(500):
            graph.mailbox.add("inbox", received=NOW - timedelta(hours=number))
            graph.mailbox.add("sentitems", sender="me@example.com", received=NOW - timedelta(hours=number))
        for number in range(40):
            graph.calendar.add_event(f"Meeting {number}", NOW + timedelta(hours=20 * number - 400))
        mail = OutlookMailSource(OutlookMailSource.Options(**account_options(graph)), context(Path(folder), tokens))
        calendar = OutlookCalendarSource(OutlookCalendarSource.Options(**account_options(graph)),
                                         context(Path(folder), tokens))
        mail_cursor, calendar_cursor = last_cursor(mail, None), last_cursor(calendar, None)
        results = {}
        for name, source, cursor in (("mail", mail, mail_cursor), ("calendar", calendar, calendar_cursor)):
            graph.reset_counts()
            started = time.monotonic()
            for _ in range(arguments.polls):
                cursor = last_cursor(source, cursor)
            results[name] = (len(graph.requests), graph.http_requests, time.monotonic() - started)
    folders = len(OutlookMailSource.Options().folders)
    print(f"polls                  {arguments.polls} (an hour at one a minute), nothing changed")
    for name, (requests, trips, elapsed) in results.items():
        per_poll = requests / arguments.polls
        print(f"{name:9} graph requests {requests} ({per_poll:.2f} per poll), http round trips {trips} "
              f"({trips / arguments.polls:.2f} per poll), {elapsed:.2f} s")
    print(f"goal: mail {folders} per poll (one per folder), calendar 1 per poll")


if __name__ == "__main__":
    main()
