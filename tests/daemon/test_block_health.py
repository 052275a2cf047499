"""The block as it is on disk: a deleted or moved .ics file is written again, a failed write shows in
``status``, and ``status`` tells a running ``connect5 sync`` from the daemon."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
MONDAY_MORNING = {"CONNECT5_NOW": "2026-03-02T10:00:00+00:00"}  # a block day, after the morning job's time
MONDAY_LATER = {"CONNECT5_NOW": "2026-03-02T11:00:00+00:00"}
CONFIG = '[me]\nname = "Ada"\nemails = ["ada@example.com"]\ntimezone = "UTC"\n'


@pytest.fixture
def network(cli, home):
    """A home with the 2024 export imported and no sources (status: healthy but for the daemon)."""
    cli.write_config(CONFIG)
    cli("import", "linkedin", str(DATA / "linkedin" / "export-2024.csv"))
    return cli


def status(cli, env=MONDAY_LATER):
    result = cli("status", "--json", ok=False, env=env)
    return result.exit_code, json.loads(result.stdout)


def holds_monday(path: Path) -> bool:
    return path.exists() and "RECURRENCE-ID;TZID=UTC:20260302T090000" in path.read_text()


# -- a block file deleted or moved --------------------------------------------------


def test_today_writes_a_deleted_block_file_again(network, home):
    network("today", env=MONDAY_MORNING)
    block = home / "connect5.ics"
    assert holds_monday(block)
    block.unlink()
    result = network("today", env=MONDAY_LATER)
    assert "already up to date" not in result.output and "block written" in result.output
    assert holds_monday(block)
    assert "already up to date" in network("today", env=MONDAY_LATER).output


@pytest.mark.parametrize("damage", ["deleted", "cut short"])
def test_a_lost_or_broken_block_file_gets_the_days_before_back_from_the_store(network, home, damage):
    days = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    for day in days[:3]:
        network("today", env={"CONNECT5_NOW": f"{day}T10:00:00+00:00"})
    block = home / "connect5.ics"
    shown = {day: block.read_text().count(f"RECURRENCE-ID;TZID=UTC:{day.replace('-', '')}T090000") for day in days}
    assert shown == {"2026-03-02": 1, "2026-03-03": 1, "2026-03-04": 1, "2026-03-05": 0}
    if damage == "deleted":
        block.unlink()
    else:
        block.write_text(block.read_text()[:len(block.read_text()) // 2])  # a sync tool stopped halfway
    result = network("today", env={"CONNECT5_NOW": "2026-03-05T10:00:00+00:00"})
    assert "wrote 3 of them again" in result.output + result.stderr
    text = block.read_text()
    for day in days:
        assert text.count(f"RECURRENCE-ID;TZID=UTC:{day.replace('-', '')}T090000") == 1, day
    assert "DTSTART;TZID=UTC:20260302T090000" in text  # the series begins on the first day again


def test_a_day_written_again_shows_what_it_showed_when_picked_not_what_came_after(network, home):
    import icalendar

    def monday(path):
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        [event] = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" in e and e.decoded("RECURRENCE-ID").day == 2]
        return str(event["DESCRIPTION"])

    network("today", env={"CONNECT5_NOW": "2026-03-02T10:00:00+00:00"})
    block = home / "connect5.ics"
    shown = monday(block)
    first = network.json("today", "--no-block", env={"CONNECT5_NOW": "2026-03-02T10:00:00+00:00"})["picks"][0]
    network("done", first["profile_url"], env={"CONNECT5_NOW": "2026-03-03T10:00:00+00:00"})  # in touch since
    network("today", env={"CONNECT5_NOW": "2026-03-03T10:00:00+00:00"})
    block.unlink()
    network("today", env={"CONNECT5_NOW": "2026-03-04T10:00:00+00:00"})
    assert monday(block) == shown


def test_today_writes_the_block_to_a_path_set_since(network, home):
    network("today", env=MONDAY_MORNING)
    moved = home / "calendars" / "five.ics"
    moved.parent.mkdir()
    network.write_config(CONFIG + f'\n[block]\npath = "{moved}"\n')
    assert "block written" in network("today", env=MONDAY_LATER).output
    assert holds_monday(moved)


def test_a_block_file_holding_another_day_only_is_written_again(network, home):
    network("today", env=MONDAY_MORNING)
    block = home / "connect5.ics"
    block.write_text(block.read_text().replace("20260302T09", "20260223T09"))  # last week's, as from a backup
    assert "block written" in network("today", env=MONDAY_LATER).output
    assert holds_monday(block)


def test_a_restarted_daemon_writes_a_deleted_block_file_again(network, home):
    network("run", "--once", env=MONDAY_MORNING)
    block = home / "connect5.ics"
    assert holds_monday(block)
    block.unlink()
    network("run", "--once", env=MONDAY_LATER)
    assert holds_monday(block)


def test_status_reports_a_missing_block_file_until_it_is_written_again(network, home):
    network("today", env=MONDAY_MORNING)
    assert status(network) == (3, status(network)[1]) and status(network)[1]["problems"] == []
    (home / "connect5.ics").unlink()
    code, report = status(network)
    assert code == 4
    assert report["today"]["block"]["file_problem"].startswith(f"the block file {home / 'connect5.ics'} is missing")
    assert [problem for problem in report["problems"] if "is missing" in problem]
    human = network("status", ok=False, env=MONDAY_LATER).stdout
    assert "! block: the block file" in human and "`connect5 today` writes it again" in human
    network("today", env=MONDAY_LATER)
    code, report = status(network)
    assert (code, report["problems"]) == (3, [])


def test_status_says_when_the_block_file_no_longer_holds_the_block(network, home):
    network("today", env=MONDAY_MORNING)
    (home / "connect5.ics").write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nEND:VCALENDAR\r\n")
    code, report = status(network)
    assert code == 4 and "does not hold the block of 2026-03-02" in report["today"]["block"]["file_problem"]


# -- a block write that fails --------------------------------------------------------


def unwritable(home: Path) -> Path:
    """A block path no one can write, root included: its folder is a file."""
    (home / "not-a-folder").write_text("")
    return home / "not-a-folder" / "connect5.ics"


def test_a_failed_block_write_is_a_problem_until_a_write_succeeds(network, home):
    network.write_config(CONFIG + f'\n[block]\npath = "{unwritable(home)}"\n')
    assert "block not written" in network("today", env=MONDAY_MORNING).output
    code, report = status(network)
    assert code == 4
    assert report["block_error"]["writer"] == "ics" and "Not a directory" in report["block_error"]["error"]
    assert [problem for problem in report["problems"]
            if problem.startswith("block not written since ") and "Not a directory" in problem]
    network.write_config(CONFIG)
    assert "block written" in network("today", env=MONDAY_LATER).output
    code, report = status(network)
    assert (code, report["problems"], report["block_error"]) == (3, [], None)


def test_a_block_write_the_daemon_could_not_do_shows_in_status(network, home):
    network.write_config(CONFIG + f'\n[block]\npath = "{unwritable(home)}"\n')
    network("run", "--once", env=MONDAY_MORNING)
    code, report = status(network)
    assert code == 4 and "Not a directory" in report["block_error"]["error"]
    assert report["block_error"]["since"] == report["block_error"]["at"]


def test_a_failed_write_keeps_when_it_began(network, home):
    network.write_config(CONFIG + f'\n[block]\npath = "{unwritable(home)}"\n')
    network("today", env=MONDAY_MORNING)
    since = status(network)[1]["block_error"]["since"]
    network("today", env=MONDAY_LATER)
    error = status(network)[1]["block_error"]
    assert error["since"] == since and error["at"] >= since


# -- what holds the lock --------------------------------------------------------------


def test_status_tells_a_running_sync_from_the_daemon(network, home):
    from daemon.lock import DaemonLock

    with DaemonLock(home / "connect5.lock", kind="sync"):
        code, report = status(network)
        human = network("status", ok=False, env=MONDAY_LATER).stdout
    assert code == 3
    assert report["daemon"] == {"running": False, "pid": None, "lock": {"kind": "sync", "pid": os.getpid()}}
    assert human.startswith(f"a `connect5 sync` (pid {os.getpid()}) is running; the daemon is not")


def test_status_says_the_daemon_runs_when_connect5_run_holds_the_lock(network, home):
    from daemon.lock import DaemonLock

    with DaemonLock(home / "connect5.lock"):
        code, report = status(network)
    assert code == 0 and report["daemon"] == {"running": True, "pid": os.getpid(),
                                              "lock": {"kind": "run", "pid": os.getpid()}}


def test_a_lock_file_of_an_older_version_holding_only_a_pid_is_the_daemon(network, home):
    fd = os.open(home / "connect5.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.write(fd, b"4242\n")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, report = status(network)
    finally:
        os.close(fd)
    assert code == 0 and report["daemon"]["running"] is True and report["daemon"]["pid"] == 4242


def test_the_lock_records_the_command_that_took_it(tmp_path):
    from daemon.lock import DaemonLock, held_by

    with DaemonLock(tmp_path / "connect5.lock", kind="sync"):
        holder = held_by(tmp_path / "connect5.lock")
        assert (holder.kind, holder.pid) == ("sync", os.getpid())
        assert (tmp_path / "connect5.lock").read_text() == f"{os.getpid()} sync\n"
    assert held_by(tmp_path / "connect5.lock") is None


def test_a_second_command_is_told_which_one_holds_the_lock(tmp_path):
    from daemon.lock import AlreadyRunningError, DaemonLock

    with DaemonLock(tmp_path / "connect5.lock", kind="sync"):
        with pytest.raises(AlreadyRunningError, match=r"a `connect5 sync` \(pid \d+\) is running on"):
            DaemonLock(tmp_path / "connect5.lock", kind="run").acquire()


def test_block_gone_tells_the_daemon_a_written_block_file_was_deleted(network, home):
    from datetime import date

    from daemon import calendar_block
    from daemon import config as config_module
    from daemon.paths import Home
    from daemon.store import open_store

    network("today", env=MONDAY_MORNING)
    config = config_module.load(home / "config.toml")
    paths, store = Home(config_file=home / "config.toml", data_dir=home), open_store(home / "connect5.db")
    try:
        monday = date(2026, 3, 2)
        assert calendar_block.block_gone(store, config, paths, monday) == ""
        assert calendar_block.block_gone(store, config, paths, date(2026, 3, 3)) == ""  # nothing written for it yet
        (home / "connect5.ics").unlink()
        assert calendar_block.block_gone(store, config, paths, monday).endswith("connect5.ics is missing")
    finally:
        store.close()


def test_a_running_daemon_writes_a_deleted_block_file_again_at_its_next_cycle(network, home, monkeypatch):
    from daemon.config import load
    from daemon.loop import Daemon
    from daemon.paths import resolve
    from daemon.store import open_store

    monkeypatch.setenv("CONNECT5_NOW", MONDAY_MORNING["CONNECT5_NOW"])
    paths = resolve(str(home))
    store = open_store(paths.db_path)
    daemon = Daemon(home=paths, config=load(paths.config_file), store=store)
    try:
        daemon.cycle(force_sync=True)
        block = home / "connect5.ics"
        assert block.exists()
        written = block.read_bytes()
        daemon.cycle()  # in place: nothing to do, and the file is not even read again
        assert block.read_bytes() == written
        block.unlink()
        monkeypatch.setenv("CONNECT5_NOW", MONDAY_LATER["CONNECT5_NOW"])
        daemon.cycle()
        assert block.exists() and b"BEGIN:VEVENT" in block.read_bytes()
    finally:
        store.close()


def test_a_repeated_today_checks_the_block_file_with_a_stat_not_a_parse(network, home):
    import subprocess
    import sys

    network("today", env=MONDAY_MORNING)
    script = ("import sys; from daemon.cli import main\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print('connectors.ics.writer' in sys.modules, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", script, "--home", str(home), "today"], capture_output=True, text=True,
                         env={**os.environ, **MONDAY_LATER}, timeout=60)
    assert "block already up to date" in run.stdout
    assert run.stderr.strip().splitlines()[-1] == "False"
    (home / "connect5.ics").write_text((home / "connect5.ics").read_text() + "\n")  # touched: looked at again
    assert "block already up to date" in network("today", env=MONDAY_LATER).output


def test_a_restart_on_the_same_day_does_not_log_picks_as_chosen_again(network, home, monkeypatch):
    import logging

    from daemon.config import load
    from daemon.loop import Daemon
    from daemon.paths import resolve
    from daemon.store import open_store

    class Collect(logging.Handler):  # on the logger itself: an in-process `connect5 run` may stop propagation
        def __init__(self):
            super().__init__(logging.INFO)
            self.lines: list[str] = []

        def emit(self, record):
            self.lines.append(record.getMessage())

    monkeypatch.setenv("CONNECT5_NOW", MONDAY_MORNING["CONNECT5_NOW"])
    paths, logger = resolve(str(home)), logging.getLogger("daemon.loop")
    starts = []
    for _ in range(2):  # the first start chooses, the second finds them chosen
        collect, level = Collect(), logger.level
        logger.addHandler(collect)
        logger.setLevel(logging.INFO)
        store = open_store(paths.db_path)
        try:
            Daemon(home=paths, config=load(paths.config_file), store=store).cycle(force_sync=True)
        finally:
            store.close()
            logger.removeHandler(collect)
            logger.setLevel(level)
        starts.append([line for line in collect.lines if "morning job for" in line])
    assert len(starts[0]) == 1 and starts[1] == []
