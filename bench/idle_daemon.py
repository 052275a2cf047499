"""Benchmark: what an idle ``connect5 run`` costs, with a Maildir and an .ics source.

Starts the real daemon in a temporary home the way the systemd unit does
(``NOTIFY_SOCKET`` pointing at a socket this script owns, ``WATCHDOG_USEC`` as
``WatchdogSec=5min`` sets it), waits for READY and for the first sync to settle,
then measures for ``--minutes`` (default 10, the figure to report):

- CPU time used (user + system, all threads) as a share of one core; goal <= 0.2%;
- peak RSS (VmHWM); goal <= 80 MB;
- wake-ups per minute: voluntary context switches of all threads (each is a
  sleep that ended), and the notify datagrams systemd would receive;
- whether the Google and Microsoft client libraries were imported (they should
  not be: no such source is configured), from a second short run with -X importtime.

    .venv/bin/python bench/idle_daemon.py [--minutes 10] [--messages 2000]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONNECT5 = str(Path(sys.executable).parent / "connect5")
WATCHDOG_USEC = 300_000_000  # the unit's WatchdogSec=5min
HEAVY_LIBRARIES = ("googleapiclient", "google_auth_oauthlib", "msal")


def make_home(folder: Path, messages: int) -> None:
    maildir = folder / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    samples = sorted((ROOT / "tests" / "data" / "mail").glob("*.eml"))
    for number in range(messages):
        data = samples[number % len(samples)].read_bytes()
        (maildir / "cur" / f"{1700000000 + number}.{number}.bench:2,S").write_bytes(data)
    calendar = sorted((ROOT / "tests" / "data" / "ics").glob("*.ics"))
    (folder / "calendar.ics").write_bytes(next(p for p in calendar if p.name != "broken.ics").read_bytes())
    (folder / "config.toml").write_text(
        '[me]\nname = "Ada Lovelace"\nemails = ["ada@example.com"]\n\n'
        f'[[sources]]\nname = "mail"\ntype = "maildir"\npath = ["{maildir}"]\n\n'
        f'[[sources]]\nname = "calendar"\ntype = "ics"\npath = ["{folder / "calendar.ics"}"]\n'
    )


def cpu_seconds(pid: int) -> float:
    """CPU time of all threads in nanosecond resolution (schedstat), not clock ticks."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):  # a thread that just ended
            continue
    return total / 1e9


def switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                total += int(line.split()[1])
    return total


def status_field(pid: int, name: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def imported_heavy(env: dict[str, str]) -> list[str]:
    """Heavy libraries a daemon with this config imports, from a short run with -X importtime."""
    process = subprocess.Popen([CONNECT5, "run"], env=dict(env, PYTHONPROFILEIMPORTTIME="1", NOTIFY_SOCKET=""),
                               stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in stderr.splitlines() if "import time:" in line}
    return [name for name in HEAVY_LIBRARIES if name in modules]


def wait_ready(listener: socket.socket, timeout: float) -> None:
    listener.settimeout(timeout)
    while True:
        if b"READY=1" in listener.recv(65536):
            return


def drain(listener: socket.socket) -> list[bytes]:
    listener.setblocking(False)
    received = []
    while True:
        try:
            received.append(listener.recv(65536))
        except BlockingIOError:
            return received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="measuring time (report the 10-minute figure)")
    parser.add_argument("--messages", type=int, default=2000, help="messages in the Maildir")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after READY before measuring")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="connect5-idle-") as folder:
        home = Path(folder)
        make_home(home, arguments.messages)
        name = f"connect5-bench-{uuid.uuid4().hex}"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind("\0" + name)
        env = dict(os.environ, CONNECT5_HOME=str(home), NOTIFY_SOCKET="@" + name, WATCHDOG_USEC=str(WATCHDOG_USEC))
        process = subprocess.Popen([CONNECT5, "run"], env=env, stderr=subprocess.DEVNULL)
        try:
            measure(process, listener, arguments)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        heavy = imported_heavy(env)
        print(f"Google/Microsoft  {'imported: ' + ', '.join(heavy) if heavy else 'not imported'}")


def measure(process: subprocess.Popen, listener: socket.socket, arguments) -> None:
    started = time.monotonic()
    wait_ready(listener, 60)
    print(f"ready after {time.monotonic() - started:.2f} s")
    time.sleep(arguments.settle)
    drain(listener)
    pid, seconds = process.pid, arguments.minutes * 60
    cpu_before, switches_before, began = cpu_seconds(pid), switches(pid), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - began
    cpu = cpu_seconds(pid) - cpu_before
    woken = switches(pid) - switches_before
    datagrams = drain(listener)
    minutes = elapsed / 60
    print(f"measured          {elapsed:.0f} s idle, {arguments.messages} messages + 1 .ics, "
          f"{len(list(Path(f'/proc/{pid}/task').iterdir()))} threads")
    print(f"CPU time          {cpu:.2f} s = {100 * cpu / elapsed:.3f}% of one core (goal <= 0.2%)")
    print(f"peak RSS          {int(status_field(pid, 'VmHWM').split()[0]) / 1024:.1f} MB (goal <= 80 MB)")
    print(f"RSS now           {int(status_field(pid, 'VmRSS').split()[0]) / 1024:.1f} MB")
    print(f"wake-ups          {woken / minutes:.0f}/min (voluntary context switches, all threads)")
    print(f"notify datagrams  {len(datagrams) / minutes:.1f}/min "
          f"({sum(b'WATCHDOG=1' in d for d in datagrams)} WATCHDOG, {sum(b'STATUS=' in d for d in datagrams)} STATUS)")


if __name__ == "__main__":
    main()
