"""``connect5 demo``: the whole loop on a generated network, offline, in under a minute.

``run`` builds a fresh home (a LinkedIn-format network, a vCard file, a Maildir
and an input .ics calendar), then drives the real daemon over simulated
workdays (see ``daemon.demo.simulate``) and returns what ``connect5 stats``
would say at the end. ``network``, ``mail`` and ``calendar`` generate the files.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from daemon.demo.simulate import Settings, Simulation, default_start, pinned_clock, workdays

__all__ = ["Settings", "run"]


def run(settings: Settings, on_day=None) -> dict[str, Any]:
    """One demo run; ``on_day(report)`` is called after each simulated workday."""
    from daemon import clock

    started = time.perf_counter()
    directory = settings.directory or Path(tempfile.mkdtemp(prefix="connect5-demo-"))
    directory = directory.expanduser().absolute()
    directory.mkdir(parents=True, exist_ok=True)
    today = clock.local_day(clock.now(), "Europe/London")
    start = settings.start or default_start(today, settings.days)
    days = workdays(start, settings.days)
    reports = []
    with pinned_clock():
        simulation = Simulation(settings, directory, start)
        simulation.setup()
        for day in days:
            report = simulation.workday(day)
            reports.append(report)
            if on_day is not None:
                on_day(report)
        stats = simulation.finish(days[-1])
    return {
        "home": str(directory),
        "calendar": str(simulation.home.ics_path),
        "seed": settings.seed,
        "contacts": settings.contacts,
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "days": [{**asdict(report), "day": report.day.isoformat()} for report in reports],
        "funnel": stats["funnel"],
        "rates": stats["rates"],
        "coverage": stats["coverage"],
        "review": stats["review"],
        "stats": stats,
        "seconds": round(time.perf_counter() - started, 2),
    }
