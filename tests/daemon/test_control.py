"""``connect5 today`` asks the running daemon (daemon.control), and works on its own whenever that fails.

A real ``connect5 run`` in a subprocess, real Unix sockets, real commands in
subprocesses: what a user's terminal does while the service runs.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from daemon import control, paths, where

MONDAY_EARLY = "2026-11-23T06:00:00+00:00"  # before the 07:00 morning job: `today` has the daemon choose
CONFIG = '[me]\ntimezone = "Europe/London"\nname = "Owner"\n'
CONNECTIONS = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + "".join(
    f"Person{n},Example,https://www.linkedin.com/in/p{n},,Company {n},Engineer,01 Jan 2019\n" for n in range(12)
)
ANSWERED = "answered by the running daemon"


def run(home: Path, *args: str, now: str = MONDAY_EARLY, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "CONNECT5_NOW": now, **env}
    return subprocess.run([sys.executable, "-m", "daemon", "--home", str(home), *args], capture_output=True,
                          text=True, env=full_env, timeout=60)


@pytest.fixture
def network(cli) -> Path:
    cli.import_network(CONNECTIONS)  # with a config that is CONFIG
    return cli.home


class Daemon:
    def __init__(self, home: Path, now: str = MONDAY_EARLY):
        self.home = home
        self.socket_path = home / where.CONTROL_SOCKET
        self.process = subprocess.Popen([sys.executable, "-m", "daemon", "--home", str(home), "run"],
                                        env={**os.environ, "CONNECT5_NOW": now}, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not self.listening():
            assert self.process.poll() is None, self.process.stderr.read()
            assert time.monotonic() < deadline, "the daemon made no control socket"
            time.sleep(0.05)

    def listening(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.socket_path))  # a question left unsaid: the daemon declines it
            except OSError:
                return False
        return True

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _, errors = self.process.communicate(timeout=30)
        return errors


@pytest.fixture
def daemon(network):
    running = Daemon(network)
    yield running
    running.stop()


def test_today_is_answered_by_the_running_daemon_with_what_it_would_print_itself(daemon):
    asked = run(daemon.home, "-v", "today")
    assert asked.returncode == 0, asked.stderr
    assert ANSWERED in asked.stderr
    lines = asked.stdout.splitlines()
    assert lines[0] == "2026-11-23 · your five"
    assert lines[-1] == f"block written: {daemon.home / 'connect5.ics'}"
    assert "BEGIN:VEVENT" in (daemon.home / "connect5.ics").read_text()
    daemon.stop()
    alone = run(daemon.home, "-v", "today")
    assert ANSWERED not in alone.stderr
    # The same five, frozen by the daemon; only the block line differs (written before).
    assert alone.stdout.splitlines()[:-1] == lines[:-1]
    assert alone.stdout.splitlines()[-1].startswith("block already up to date")


def test_json_and_errors_come_back_as_the_command_itself_gives_them(daemon):
    asked = run(daemon.home, "-v", "today", "--json")
    assert ANSWERED in asked.stderr
    data = json.loads(asked.stdout)
    assert data["day"] == "2026-11-23" and len(data["picks"]) == 5 and data["block"] == "block written"
    past = run(daemon.home, "-v", "today", "--date", "2026-11-20")
    assert ANSWERED in past.stderr
    assert past.returncode == 1
    assert "connect5: 2026-11-20 has gone by and has no picks" in past.stderr
    assert past.stdout == ""
    bad = run(daemon.home, "today", "--date", "someday")
    assert bad.returncode == 2 and "'someday' is not a day written YYYY-MM-DD" in bad.stderr


def test_another_config_file_or_another_clock_is_not_the_daemons_to_answer(daemon, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(CONFIG.replace("Europe/London", "Asia/Tokyo"))
    with_other = run(daemon.home, "-v", "--config", str(other), "today", "--no-block")
    assert with_other.returncode == 0 and ANSWERED not in with_other.stderr
    later = run(daemon.home, "-v", "today", now="2026-11-24T06:00:00+00:00")
    assert later.returncode == 0 and ANSWERED not in later.stderr
    assert later.stdout.startswith("2026-11-24 · your five")


def test_warnings_of_the_answer_reach_the_asker_as_they_would_the_command_itself(network):
    block = network / "connect5.ics"
    block.write_text("not a calendar\n")  # moved aside, with a warning, by whoever writes the block next
    running = Daemon(network)
    try:
        asked = run(network, "-v", "today")
    finally:
        daemon_log = running.stop()
    assert asked.returncode == 0 and ANSWERED in asked.stderr
    warning = next(line for line in asked.stderr.splitlines() if "WARNING" in line)
    assert "connectors.ics.writer: block file" in warning and "moved it to" in warning
    assert "moved it to" in daemon_log  # and still in the daemon's own log
    assert "not a calendar" in next(network.glob("connect5.ics.*")).read_text()
    block.write_text("not a calendar\n")
    alone = run(network, "today", "--no-block")  # nothing written: nothing to say
    assert "WARNING" not in alone.stderr


def test_a_store_moved_aside_under_the_daemon_is_not_answered_from_and_stops_it(daemon):
    aside = daemon.home / "aside"
    aside.mkdir()
    for path in daemon.home.glob("connect5.db*"):
        path.rename(aside / path.name)
    asked = run(daemon.home, "-v", "today")  # the command opens the store at the path: a new, empty one
    assert ANSWERED not in asked.stderr
    assert asked.stdout.startswith("2026-11-23: nobody to pick (import your network")
    assert (daemon.home / "connect5.db").exists()
    daemon.process.wait(timeout=30)  # it stops by itself, for the service manager to start it again
    errors = daemon.stop()
    assert daemon.process.returncode == 1
    assert "was moved or replaced while connect5 ran" in errors


def test_a_config_edited_just_before_is_the_one_the_answer_follows(daemon):
    (daemon.home / "config.toml").write_text(CONFIG + "\n[picking]\nper_day = 3\n")
    asked = run(daemon.home, "-v", "today")
    assert ANSWERED in asked.stderr
    assert asked.stdout.startswith("2026-11-23 · your 3\n")


def test_a_config_the_daemon_refused_is_reported_by_the_command_itself(daemon):
    (daemon.home / "config.toml").write_text(CONFIG + "\n[picking]\nper_dya = 3\n")
    asked = run(daemon.home, "-v", "today")
    assert asked.returncode == 1 and ANSWERED not in asked.stderr
    assert "per_dya" in asked.stderr


def test_the_socket_is_the_users_alone_and_goes_with_a_clean_stop(daemon):
    assert stat.S_IMODE(daemon.socket_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(daemon.home.stat().st_mode) == 0o700
    daemon.stop()
    assert not daemon.socket_path.exists()


def test_a_socket_left_by_a_killed_daemon_is_worked_around_then_replaced(network):
    killed = Daemon(network)
    killed.process.kill()
    killed.process.communicate()
    assert killed.socket_path.exists()  # nobody removed it
    alone = run(network, "-v", "today")
    assert alone.returncode == 0 and ANSWERED not in alone.stderr
    assert alone.stdout.startswith("2026-11-23 · your five")
    again = Daemon(network)
    try:
        asked = run(network, "-v", "today")
        assert ANSWERED in asked.stderr and asked.stdout.splitlines()[:-1] == alone.stdout.splitlines()[:-1]
    finally:
        again.stop()


def test_garbage_on_the_socket_is_ignored_and_the_next_question_answered(daemon):
    for junk in (b"", b"hello\n", b"connect5-control/0\0today", b"\xff\xfe" * 100, b"x" * 200_000):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(str(daemon.socket_path))
            try:
                connection.sendall(junk)
                connection.shutdown(socket.SHUT_WR)
                assert connection.recv(100) == b""  # declined without a word
            except (BrokenPipeError, ConnectionResetError):
                pass  # an oversized question may be cut off
    asked = run(daemon.home, "-v", "today")
    assert asked.returncode == 0 and ANSWERED in asked.stderr


def test_a_daemon_that_does_not_answer_in_time_is_given_up_on(tmp_path, monkeypatch):
    monkeypatch.setattr(control, "ANSWER_TIMEOUT", 0.3)
    path = tmp_path / "control.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    held = []
    accepting = threading.Thread(target=lambda: held.append(listener.accept()[0]))  # accepts, says nothing
    accepting.start()
    started = time.monotonic()
    assert control.ask(str(path), "/x/config.toml", "today", ["", "", ""]) is None
    assert time.monotonic() - started < 2
    accepting.join()
    held[0].close()
    listener.close()


def test_answers_survive_the_trip_whatever_they_hold():
    for status, out, err in ((0, "", ""), (1, "", "connect5: no\n"), (0, "Zoë · 5\n\0\n3 0\n" * 1000, "é")):
        assert control.parse_answer(control.format_answer(status, out, err)) == (status, out, err)
    assert control.parse_answer(b"") is None
    assert control.parse_answer(b"0 99\nshort") is None
    assert control.parse_question(b"connect5-control/0\0today\0/c\0\0") is None


@pytest.mark.parametrize("option, config, environment", [
    (None, None, {}),
    ("relative/home/", None, {}),
    ("~/h", "conf/../c.toml", {}),
    (None, "c.toml", {"CONNECT5_HOME": "/srv/c5"}),
    (None, None, {"XDG_CONFIG_HOME": "/etc/x", "XDG_DATA_HOME": "relative"}),
])
def test_locate_finds_what_resolve_does(option, config, environment, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("CONNECT5_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config_file, data_dir = where.locate(option, config)
    home = paths.resolve(option, config)
    assert (Path(config_file), Path(data_dir)) == (home.config_file, home.data_dir)
    assert where.control_socket(data_dir) == str(home.control_path)


def test_asking_the_daemon_loads_neither_click_nor_the_store_nor_the_config_reader_nor_socket(daemon):
    probe = ("import sys, daemon.entry\n"
             "sys.argv = ['connect5', '--home', *sys.argv[1:]]\n"
             "try:\n    daemon.entry.main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('click', 'sqlite3', 'tomllib', 'logging', 'rules.picker', 'socket',"
             " 'dataclasses', 'daemon.cli') if m in sys.modules), file=sys.stderr)\n")

    def loaded(*args: str) -> tuple[str, list[str]]:
        result = subprocess.run([sys.executable, "-c", probe, str(daemon.home), *args], capture_output=True,
                                text=True, env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY}, timeout=60)
        return result.stdout, ast.literal_eval(result.stderr.strip().splitlines()[-1])

    out, modules = loaded("today")
    assert out.startswith("2026-11-23 · your five")
    assert modules == []
    out, modules = loaded("today", "--json", "--no-block", "--date=2026-11-23")
    assert json.loads(out)["day"] == "2026-11-23" and modules == []
    out, modules = loaded("today", "--restart-block")  # done by the command itself: it loads them
    assert out.startswith("2026-11-23 · your five") and {"click", "sqlite3", "tomllib"} <= set(modules)


@pytest.mark.parametrize("arguments, expected", [
    (["today"], ("today", {}, ["", "", ""])),
    (["-v", "--home", "/h", "today", "--json"], ("today", {"verbose": "1", "home": "/h"}, ["", "", "1"])),
    (["--home=/a", "--config", "c.toml", "--home", "/b", "today", "--date", "2026-12-01", "--no-block"],
     ("today", {"home": "/b", "config": "c.toml"}, ["2026-12-01", "1", ""])),
    (["--verbose", "today", "--date=", "--json", "--json"], ("today", {"verbose": "1"}, ["", "", "1"])),
    (["--home", "--config", "today"], ("today", {"home": "--config"}, ["", "", ""])),  # as click reads it
    (["today", "--restart-block"], None),
    (["today", "--help"], None),
    (["today", "--date"], None),
    (["today", "2026-12-01"], None),
    (["today", "--"], None),
    (["--home"], None),
    (["--version"], None),
    (["-h", "today"], None),
    (["-vv", "today"], None),
    (["--jso", "today"], None),
    (["today", "--jso"], None),
    (["stats"], None),
    ([], None),
])
def test_read_command_takes_only_the_spellings_it_knows_and_leaves_the_rest_to_click(arguments, expected):
    assert control.read_command(arguments) == expected


def test_a_reader_that_stops_early_ends_an_answered_today_quietly(daemon):
    command = f"{sys.executable} -m daemon --home {daemon.home} -v today | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True,
                            env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2026-11-23 · your five\n"
    assert "Traceback" not in result.stderr


def test_a_config_deleted_under_the_daemon_is_reported_by_the_command_itself(daemon):
    (daemon.home / "config.toml").rename(daemon.home / "config.bak")
    asked = run(daemon.home, "-v", "--config", str(daemon.home / "config.toml"), "today")
    assert asked.returncode == 1 and ANSWERED not in asked.stderr
    assert "does not exist" in asked.stderr


def test_a_path_that_is_not_utf8_works_without_the_daemon(daemon, tmp_path):
    odd = os.fsencode(str(tmp_path)) + b"/c\xff.toml"
    with open(odd, "w") as file:
        file.write(CONFIG)
    command = [sys.executable, "-m", "daemon", "--home", str(daemon.home), "--config", odd, "-v", "today"]
    asked = subprocess.run(command, capture_output=True, env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY},
                           timeout=60)
    assert asked.returncode == 0, asked.stderr
    assert b"Traceback" not in asked.stderr and ANSWERED.encode() not in asked.stderr


def test_twenty_todays_at_once_are_all_answered_by_the_daemon(daemon):
    env = {**os.environ, "CONNECT5_NOW": MONDAY_EARLY}
    processes = [subprocess.Popen([sys.executable, "-m", "daemon", "--home", str(daemon.home), "-v", "today"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(20)]
    results = [process.communicate(timeout=60) for process in processes]
    assert all(ANSWERED in err for _, err in results)
    assert len({out for out, _ in results}) <= 2  # "block written" for the first, "up to date" after
