"""Several connect5 processes on one store: commands at once, the daemon and a long import, sync and run."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon import store as store_module

FRIDAY = {"CONNECT5_NOW": "2026-11-27T06:00:00+00:00"}
NETWORK = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + "".join(
    f"Person{n},Example,https://www.linkedin.com/in/p{n},,Company {n},Role,0{1 + n % 9} Mar 2019\n" for n in range(40)
)


@pytest.fixture
def network(cli):
    cli.import_network(NETWORK)
    return cli


def at_once(cli, commands: list[list[str]], env=FRIDAY) -> list[subprocess.CompletedProcess]:
    """Start every command before waiting for any."""
    import os

    environment = {**os.environ, **env}
    processes = [subprocess.Popen([sys.executable, "-m", "daemon", "--home", str(cli.home), *command],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
                 for command in commands]
    results = []
    for command, process in zip(commands, processes):
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def test_six_todays_at_once_on_a_day_without_picks_agree_on_one_five(network):
    results = at_once(network, [["today", "--json", "--no-block"]] * 6)
    assert [result.returncode for result in results] == [0] * 6, [result.stderr for result in results]
    chosen = {tuple(pick["contact_key"] for pick in json.loads(result.stdout)["picks"]) for result in results}
    assert len(chosen) == 1 and len(next(iter(chosen))) == 5


def test_skipping_each_of_the_five_at_once_swaps_all_five(network):
    picks = network.json("today", "--no-block", env=FRIDAY)["picks"]
    results = at_once(network, [["skip", pick["contact_key"]] for pick in picks])
    assert [result.returncode for result in results] == [0] * 5, [result.stderr for result in results]
    after = network.json("today", "--no-block", env=FRIDAY)["picks"]
    assert len(after) == 5 and not {pick["contact_key"] for pick in after} & {pick["contact_key"] for pick in picks}


def test_eight_tags_at_once_all_stay(network):
    results = at_once(network, [["tag", "https://www.linkedin.com/in/p7", f"t{number}"] for number in range(8)])
    assert [result.returncode for result in results] == [0] * 8
    assert network.json("contacts", "show", "https://www.linkedin.com/in/p7")["tags"] == [f"t{n}" for n in range(8)]


def test_sync_refuses_while_the_daemon_holds_the_store(network):
    from daemon.lock import DaemonLock

    network.write_config('[me]\ntimezone = "Europe/London"\n[[sources]]\nname = "mail"\ntype = "maildir"\n'
                         f'path = ["{network.home / "Maildir"}"]\n')
    with DaemonLock(network.home / "connect5.lock"):  # as `connect5 run` holds it
        result = network("sync", ok=False)
    assert result.exit_code == 1 and "is running on this store and syncs every source by itself" in result.output


def hold_the_write_lock(path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_command_that_finds_the_store_busy_says_so_in_one_line(network, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    holder = hold_the_write_lock(network.home / "connect5.db")
    try:
        result = network("exclude", "https://www.linkedin.com/in/p3", ok=False, env=FRIDAY)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1 and "the store stayed busy" in result.output
    assert "Traceback" not in result.output


def test_the_daemon_waits_out_a_busy_store_instead_of_dying(network, tmp_path, monkeypatch):
    from daemon import config as config_module
    from daemon.loop import BUSY_RETRY, Daemon
    from daemon.paths import Home
    from daemon.runner import STORE_BUSY, sync_one

    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    (maildir / "new" / "1.host").write_text("From: a@example.org\nTo: b@example.org\nSubject: x\n"
                                            "Message-ID: <1@example.org>\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n\nbody\n")
    network.write_config(f'[me]\ntimezone = "Europe/London"\n[[sources]]\nname = "mail"\ntype = "maildir"\n'
                         f'path = ["{maildir}"]\nbackfill_months = 0\n')
    monkeypatch.setenv("CONNECT5_NOW", "2026-11-27T08:00:00+00:00")
    config = config_module.load(network.home / "config.toml")
    home = Home(config_file=network.home / "config.toml", data_dir=network.home)
    store = store_module.open_store(network.home / "connect5.db", timeout=0.2)
    holder = hold_the_write_lock(network.home / "connect5.db")
    try:
        outcome = sync_one(store, config, home, config.sources[0])
        assert outcome["busy"] and outcome["error"] == STORE_BUSY
        daemon = Daemon(home=home, config=config, store=store)
        daemon.run_morning(datetime(2026, 11, 27, 8, tzinfo=UTC))  # picks need the write lock: waits, no crash
        assert daemon.morning_retry_at > 0 and daemon.last_morning == ""
    finally:
        holder.rollback()
        holder.close()
    assert BUSY_RETRY <= 60
    assert sync_one(store, config, home, config.sources[0])["error"] == ""  # free again: it syncs
    store.close()


def test_a_skip_that_lost_the_race_is_told_so_not_nobody_left(network):
    picks = network.json("today", "--no-block", env=FRIDAY)["picks"]
    results = at_once(network, [["skip", picks[0]["contact_key"]]] * 4)
    assert sorted(result.returncode for result in results) == [0, 1, 1, 1], [r.stderr for r in results]
    assert not any("nobody left" in result.stdout for result in results)
    losers = [result.stderr for result in results if result.returncode]
    assert all("is no longer one of" in text or "is not exactly one of" in text for text in losers), losers
