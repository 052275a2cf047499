"""A daemon driven through a sequence of wall-clock readings, and what to check afterwards.

``Clocked.tick(moment)`` sets ``CONNECT5_NOW`` (and ``TZ`` when the machine's
zone changes) and calls ``Daemon.cycle()``, as the run loop does after every
wake-up; ``restart=True`` builds a fresh ``Daemon`` first, as after a reboot or
``connect5 run --once``. Nothing is patched: the clock module reads the
environment on every call.

``instances`` expands the block file with icalendar + recurring-ical-events,
the way a subscribing calendar app would.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

CONFIG = """
[me]
name = "Ada Lovelace"
emails = ["ada@example.com"]
timezone = "{zone}"

[picking]
days = {days}
at = "{picking_at}"

[block]
time = "{block_time}"
"""


class Clocked:
    def __init__(self, root: Path, *, zone: str = "", block_time: str = "09:00", picking_at: str = "07:00",
                 days=("mon", "tue", "wed", "thu", "fri"), people: int = 80):
        from daemon.cli import main

        self.home_dir = root / "home"
        self.home_dir.mkdir(parents=True)
        days_text = "[" + ", ".join(f'"{day}"' for day in days) + "]"
        (self.home_dir / "config.toml").write_text(
            CONFIG.format(zone=zone, days=days_text, picking_at=picking_at, block_time=block_time))
        rows = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
        rows += [f"Person{n},Number{n},https://www.linkedin.com/in/p{n},,Company {n % 20},Engineer,01 Jan 2019"
                 for n in range(people)]
        (root / "Connections.csv").write_text("\n".join(rows) + "\n")
        result = CliRunner().invoke(main, ["--home", str(self.home_dir), "import", "linkedin",
                                           str(root / "Connections.csv")])
        assert result.exit_code == 0, result.output
        self.daemon = None
        self.ticks: list[str] = []

    def start(self):
        from daemon.config import load
        from daemon.loop import Daemon
        from daemon.paths import resolve
        from daemon.store import open_store

        if self.daemon is not None:
            self.daemon.store.close()
        home = resolve(home=str(self.home_dir))
        config = load(home.config_file)
        self.daemon = Daemon(home=home, config=config, store=open_store(home.db_path))
        return self.daemon

    def tick(self, moment: str, *, tz: str | None = None, restart: bool = False) -> None:
        os.environ["CONNECT5_NOW"] = moment
        if tz is not None:
            os.environ["TZ"] = tz
        if restart or self.daemon is None:
            self.start()
        self.daemon.cycle()
        self.ticks.append(moment)

    def close(self) -> None:
        if self.daemon is not None:
            self.daemon.store.close()
            self.daemon = None

    # -- what happened ----------------------------------------------------

    def picks(self) -> dict[str, list[str]]:
        days: dict[str, list[str]] = {}
        for day, key in self.daemon.store.db.execute("SELECT day, contact_key FROM picks ORDER BY day, slot"):
            days.setdefault(day, []).append(key)
        return days

    def blocks(self) -> list[str]:
        return [row[0] for row in self.daemon.store.db.execute("SELECT day FROM blocks ORDER BY day")]

    def names(self, day: str) -> list[str]:
        return [row[0] for row in self.daemon.store.db.execute(
            "SELECT c.name FROM picks p JOIN contacts c ON c.key = p.contact_key WHERE p.day = ? ORDER BY slot",
            [day])]

    @property
    def ics(self) -> Path:
        return self.home_dir / "connect5.ics"


def instances(path: Path, first: date, last: date) -> list:
    """Every block instance between ``first`` and ``last`` (inclusive), as a calendar app expands them."""
    import icalendar
    import recurring_ical_events

    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return list(recurring_ical_events.of(calendar).between(first, last + timedelta(days=1)))


def per_day(events, zone: str) -> Counter:
    return Counter(local_start(event, zone).date().isoformat() for event in events)


def local_start(event, zone: str) -> datetime:
    """The start as a wall clock in ``zone`` shows it; through UTC so a time in a DST gap is normalised."""
    return event["DTSTART"].dt.astimezone(UTC).astimezone(ZoneInfo(zone))
