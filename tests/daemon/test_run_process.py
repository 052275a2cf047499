"""``connect5 run`` as systemd runs it: a real subprocess talking sd_notify to a socket we own.

The test plays systemd's part: it binds a datagram socket, passes it as
``NOTIFY_SOCKET`` (abstract namespace, and once as a path) with a short
``WATCHDOG_USEC``, and reads what the daemon says: READY, STATUS, WATCHDOG,
RELOADING, STOPPING.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

CONNECT5 = str(Path(sys.executable).parent / "connect5")
CONFIG = """\
[me]
name = "Ada Lovelace"
emails = ["ada@example.com"]
timezone = "Europe/London"

[block]
time = "{time}"

[[sources]]
name = "mail"
type = "maildir"
path = ["{maildir}"]

[[sources]]
name = "calendar"
type = "ics"
path = ["{ics}"]
"""
CALENDAR = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"


def write_config(home: Path, time_of_block: str = "09:00") -> None:
    maildir = home / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True, exist_ok=True)
    ics = home / "calendar.ics"
    if not ics.exists():
        ics.write_text(CALENDAR)
    text = CONFIG.format(time=time_of_block, maildir=maildir, ics=ics)
    # Written to a temporary name and renamed, as editors do, so the daemon never reads half a file.
    (home / "config.tmp").write_text(text)
    (home / "config.tmp").replace(home / "config.toml")


class FakeSystemd:
    """The receiving end of NOTIFY_SOCKET: like systemd, it reads every datagram as it arrives.

    A reader thread drains the socket at once (Linux queues only
    ``net.unix.max_dgram_qlen`` datagrams, often 10); ``wait_for`` looks
    through what was received, in order.
    """

    def __init__(self, path: str | None = None, *, reading: bool = True):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if path is None:
            name = f"connect5-test-{uuid.uuid4().hex}"
            self.socket.bind("\0" + name)
            self.address = "@" + name
        else:
            self.socket.bind(path)
            self.address = path
        self.messages: list[dict[str, str]] = []
        self._arrived = threading.Condition()
        self._next = 0  # index of the first message wait_for has not looked at
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        if reading:
            self._reader.start()

    def _read(self) -> None:
        self.socket.settimeout(0.1)
        while not self._closed:
            try:
                data = self.socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self._arrived:
                self.messages.append(fields)
                self._arrived.notify_all()

    def wait_for(self, key: str, timeout: float = 10.0) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                while self._next < len(self.messages):
                    fields = self.messages[self._next]
                    self._next += 1
                    if key in fields:
                        return fields
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {key} within {timeout}s; got {self.messages}")
                self._arrived.wait(remaining)

    def close(self) -> None:
        self._closed = True
        if self._reader.is_alive():
            self._reader.join(timeout=2)
        self.socket.close()


def start_daemon(home: Path, notify: FakeSystemd | None, **extra: str) -> subprocess.Popen:
    env = dict(os.environ, CONNECT5_HOME=str(home), **{"CONNECT5_NOW": "2026-03-02T06:00:00+00:00", **extra})
    env.pop("JOURNAL_STREAM", None)
    if notify is not None:
        env["NOTIFY_SOCKET"] = notify.address
        env.setdefault("WATCHDOG_USEC", "400000")
    return subprocess.Popen([CONNECT5, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    write_config(tmp_path)
    return tmp_path


@pytest.fixture
def systemd():
    fake = FakeSystemd()
    yield fake
    fake.close()


@pytest.fixture
def daemon(home: Path, systemd: FakeSystemd):
    process = start_daemon(home, systemd)
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=10)


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=5)
    return process.returncode, stderr


def test_ready_arrives_with_a_status_a_person_can_read(daemon, systemd):
    ready = systemd.wait_for("READY")
    assert ready["READY"] == "1"
    assert "next block Mon 2026-03-02 09:00" in ready["STATUS"]
    assert "mail" in ready["STATUS"] and "calendar" in ready["STATUS"]


def test_status_reports_each_source_synced_after_the_first_sync(daemon, systemd):
    systemd.wait_for("READY")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = systemd.wait_for("STATUS")["STATUS"]
        if "mail synced" in status and "calendar synced" in status:
            return
    raise AssertionError(f"sources never reported synced: {systemd.messages}")


def test_watchdog_pings_keep_arriving_at_half_the_interval(daemon, systemd):
    systemd.wait_for("READY")
    started = time.monotonic()
    for _ in range(5):
        systemd.wait_for("WATCHDOG", timeout=2)
    elapsed = time.monotonic() - started
    # WATCHDOG_USEC=0.4 s: pings every ~0.2 s, so five take about a second, never near 0.4 s each.
    assert elapsed < 1.9


def test_sighup_reloads_and_applies_the_new_config(daemon, home, systemd):
    systemd.wait_for("READY")
    write_config(home, time_of_block="10:30")
    daemon.send_signal(signal.SIGHUP)
    systemd.wait_for("RELOADING")
    ready = systemd.wait_for("READY")
    assert "next block Mon 2026-03-02 10:30" in ready["STATUS"]


def test_a_changed_config_file_is_reloaded_without_a_signal(daemon, home, systemd):
    systemd.wait_for("READY")
    time.sleep(0.3)  # let the config watcher start
    write_config(home, time_of_block="11:15")
    reloading = systemd.wait_for("RELOADING", timeout=5)
    assert int(reloading["MONOTONIC_USEC"]) > 0
    assert "11:15" in systemd.wait_for("READY", timeout=5)["STATUS"]


def test_a_broken_config_keeps_the_old_one_running_and_says_what_is_wrong(daemon, home, systemd):
    systemd.wait_for("READY")
    (home / "config.toml").write_text('[block]\ntime = "25:99"\n')
    daemon.send_signal(signal.SIGHUP)
    systemd.wait_for("RELOADING")
    ready = systemd.wait_for("READY")
    assert "block.time" in ready["STATUS"] and "old config" in ready["STATUS"]
    systemd.wait_for("WATCHDOG", timeout=2)
    assert daemon.poll() is None
    code, stderr = stop(daemon)
    assert code == 0
    assert "block.time: '25:99' is not HH:MM" in stderr


def test_a_refused_config_stays_in_every_status_line_until_a_reload_succeeds(daemon, home, systemd):
    systemd.wait_for("READY")
    good = (home / "config.toml").read_text()
    (home / "config.toml").write_text('[block]\ntime = "25:99"\n')
    daemon.send_signal(signal.SIGHUP)
    systemd.wait_for("RELOADING")
    assert systemd.wait_for("READY")["STATUS"].startswith("config error (old config in use): block.time")
    (home / "calendar.ics").unlink()  # the calendar now fails: its watcher wakes a sync, and the line changes
    status = systemd.wait_for("STATUS")["STATUS"]
    while "calendar failing" not in status:
        status = systemd.wait_for("STATUS")["STATUS"]
    assert status.startswith("config error (old config in use): block.time: '25:99' is not HH:MM; ")
    (home / "config.tmp").write_text(good)
    (home / "config.tmp").replace(home / "config.toml")
    daemon.send_signal(signal.SIGHUP)
    ready = systemd.wait_for("READY")
    while "config error" in ready.get("STATUS", ""):  # the broken file's own change may reload once more
        ready = systemd.wait_for("READY")
    assert ready["STATUS"].startswith("mail ")


@pytest.mark.parametrize("moment, expected", [
    ("2026-03-02T13:27:00+00:00", "next block Tue 2026-03-03 09:00"),  # Monday afternoon: today's has gone by
    ("2026-03-06T13:27:00+00:00", "next block Mon 2026-03-09 09:00"),  # Friday afternoon: over the weekend
    ("2026-03-02T07:30:00+00:00", "next block Mon 2026-03-02 09:00"),  # after the 07:00 picking, before the block
])
def test_the_first_status_names_a_block_still_ahead(home, moment, expected):
    fake = FakeSystemd()
    process = start_daemon(home, fake, CONNECT5_NOW=moment)
    try:
        assert expected in fake.wait_for("READY")["STATUS"]
        assert expected in fake.wait_for("STATUS")["STATUS"]  # after the first sync and the morning job
        process.send_signal(signal.SIGHUP)
        fake.wait_for("RELOADING")
        assert expected in fake.wait_for("READY")["STATUS"]
    finally:
        process.kill()
        process.communicate(timeout=10)
        fake.close()


def test_a_notify_socket_nobody_reads_never_keeps_the_daemon_from_stopping(home):
    # The queue of an unread datagram socket fills after a few pings; sends must give up, not block.
    deaf = FakeSystemd(reading=False)
    process = start_daemon(home, deaf)
    try:
        time.sleep(4)  # ~20 watchdog pings at WATCHDOG_USEC=0.4 s: far more than the queue holds
        assert process.poll() is None
        started = time.monotonic()
        code, stderr = stop(process)
        assert code == 0
        assert time.monotonic() - started < 5
        assert stderr.count("cannot notify systemd") == 1  # said once, not once per ping
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
        deaf.close()


def test_sigterm_sends_stopping_and_exits_0_within_five_seconds(daemon, systemd):
    systemd.wait_for("READY")
    started = time.monotonic()
    code, _ = stop(daemon)
    assert code == 0
    assert time.monotonic() - started < 5
    systemd.wait_for("STOPPING", timeout=1)


def test_a_socket_path_works_as_well_as_the_abstract_namespace(home):
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # AF_UNIX paths are limited to 108 bytes
        fake = FakeSystemd(os.path.join(folder, "notify"))
        process = start_daemon(home, fake)
        try:
            assert fake.wait_for("READY")["READY"] == "1"
            assert stop(process)[0] == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
            fake.close()


def test_a_second_run_on_the_same_home_is_refused_naming_the_first_pid(daemon, home, systemd):
    systemd.wait_for("READY")
    second = subprocess.run(
        [CONNECT5, "--home", str(home), "run"], capture_output=True, text=True, timeout=10,
        env={key: value for key, value in os.environ.items() if key != "NOTIFY_SOCKET"},
    )
    assert second.returncode == 1
    assert f"pid {daemon.pid}" in second.stderr
    assert "Traceback" not in second.stderr


def test_status_json_answers_at_once_while_the_daemon_runs(daemon, home, systemd):
    systemd.wait_for("READY")
    started = time.monotonic()
    result = subprocess.run(
        [CONNECT5, "--home", str(home), "status", "--json"], capture_output=True, text=True, timeout=10,
        env=dict(os.environ, CONNECT5_NOW="2026-03-02T06:00:00+00:00"),
    )
    assert time.monotonic() - started < 5
    report = json.loads(result.stdout)
    assert report["daemon"]["pid"] == daemon.pid
    assert {source["name"] for source in report["sources"]} == {"mail", "calendar"}
    assert result.returncode in (0, 4), result.stderr


def test_without_notify_socket_the_daemon_runs_and_stops_quietly(home):
    process = start_daemon(home, None)
    lines: list[str] = []
    read_until(process.stderr.fileno(), "connect5 running on", lines)
    code, stderr = stop(process)
    assert code == 0
    assert "cannot notify" not in "\n".join(lines) + stderr


# -- logging under journald -------------------------------------------------------


def read_until(fd: int, wanted: str, seen: list[str], timeout: float = 10.0) -> None:
    """Read ``fd`` into ``seen`` until a line containing ``wanted`` arrives (signals before it are unsafe)."""
    deadline, buffer = time.monotonic() + timeout, b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if ready and not chunk:
            break
        buffer += chunk
        *lines, rest = buffer.split(b"\n")
        buffer = rest
        seen += [line.decode() for line in lines]
        if any(wanted in line for line in seen):
            return
    raise AssertionError(f"no line with {wanted!r} within {timeout}s: {seen}")


def run_with_journal(home: Path, *, matching: bool, config_error: bool) -> list[str]:
    """Run the daemon with stderr on a pipe that JOURNAL_STREAM names (or not); return the lines it wrote."""
    read_end, write_end = os.pipe()
    info = os.fstat(write_end)
    stream = f"{info.st_dev}:{info.st_ino}" if matching else f"{info.st_dev}:{info.st_ino + 1}"
    env = dict(os.environ, CONNECT5_HOME=str(home), JOURNAL_STREAM=stream, CONNECT5_NOW="2026-03-02T06:00:00+00:00")
    env.pop("NOTIFY_SOCKET", None)
    process = subprocess.Popen([CONNECT5, "run"], env=env, stdout=subprocess.DEVNULL, stderr=write_end)
    os.close(write_end)
    lines: list[str] = []
    try:
        read_until(read_end, "connect5 running on", lines)
        if config_error:
            (home / "config.toml").write_text('[block]\ntime = "25:99"\n')
            process.send_signal(signal.SIGHUP)
            read_until(read_end, "config not reloaded", lines)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(read_end)
    return lines


def test_under_journald_lines_carry_priorities_and_no_timestamps(home):
    lines = run_with_journal(home, matching=True, config_error=True)
    assert f"<6>daemon: connect5 running on {home}" in lines
    errors = [line for line in lines if "config not reloaded" in line]
    assert errors and all(line.startswith("<3>daemon.loop: ") for line in errors)
    assert all(line[:1] == "<" and line[2] == ">" for line in lines)


def test_an_inherited_journal_stream_that_is_not_stderr_is_ignored(home):
    first = run_with_journal(home, matching=False, config_error=False)[0]
    assert not first.startswith("<")
    assert first[2] == ":" and " INFO daemon: connect5 running on" in first
