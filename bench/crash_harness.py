"""The crash harness in full: SIGKILL connect5's import, sync and morning job at N seeded moments.

Generates the inputs (LinkedIn export with messages.csv, a Maildir, an .ics
calendar; see ``tests/reliability/world.py``), runs the steps once without
interruption, then crashed runs (each step killed with SIGKILL at a random
moment of its measured duration, sometimes twice, then rerun to completion)
until ``--points`` kills have been delivered, and compares every crashed run's
store and block file with the uninterrupted run's. Prints a JSON summary; exits
1 if anything differed or any kill left an unsound store or a second block.

    .venv/bin/python bench/crash_harness.py [--points 200] [--seed 1] [--messages 3000] [--contacts 400] [--keep DIR]

The reduced version runs in the test suite (tests/reliability/test_crash_local.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from reliability import harness, world  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200, help="kills to deliver (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--contacts", type=int, default=400)
    parser.add_argument("--keep", type=Path, help="work here and keep the homes (default: a temporary folder)")
    arguments = parser.parse_args()
    work = arguments.keep or Path(tempfile.mkdtemp(prefix="connect5-crash-"))
    started = time.monotonic()
    try:
        inputs = world.generate(work / "inputs", contacts=arguments.contacts, messages=arguments.messages,
                                seed=arguments.seed)
        steps = harness.local_steps(inputs)
        reference, tally, found = harness.campaign(
            inputs, work, steps, points=arguments.points, seed=arguments.seed,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
        print(harness.summary(reference, tally, found))
        print(f"{time.monotonic() - started:.0f} s", file=sys.stderr)
        return 1 if found or tally.problems else 0
    finally:
        if arguments.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
