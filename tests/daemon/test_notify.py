"""sd_notify by hand: datagrams on a socket we own, the watchdog interval and its pacing."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from daemon.notify import Notifier, watchdog_interval


@pytest.fixture
def listener():
    name = f"connect5-notify-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(1)
    yield "@" + name, sock
    sock.close()


@pytest.fixture
def make():
    """Notifiers that are closed after the test (an open socket is a ResourceWarning, an error here)."""
    made: list[Notifier] = []

    def factory(*args, **kwargs) -> Notifier:
        made.append(Notifier(*args, **kwargs))
        return made[-1]

    yield factory
    for notifier in made:
        notifier.close()


def received(sock: socket.socket) -> list[str]:
    return sock.recv(65536).decode().split("\n")


def test_ready_carries_the_status_in_the_same_datagram(listener, make):
    address, sock = listener
    make(address).ready("mail synced 09:14; next block Mon 2026-03-02 09:00")
    assert received(sock) == ["READY=1", "STATUS=mail synced 09:14; next block Mon 2026-03-02 09:00"]


def test_an_unchanged_status_is_not_sent_twice(listener, make):
    address, sock = listener
    notifier = make(address)
    notifier.status("one")
    notifier.status("one")
    notifier.status("two")
    assert received(sock) == ["STATUS=one"]
    assert received(sock) == ["STATUS=two"]


def test_reloading_carries_a_monotonic_timestamp_in_microseconds(listener, make):
    address, sock = listener
    make(address).reloading()
    lines = received(sock)
    assert lines[0] == "RELOADING=1"
    usec = int(lines[1].removeprefix("MONOTONIC_USEC="))
    assert abs(usec / 1e6 - time.clock_gettime(time.CLOCK_MONOTONIC)) < 5


def test_stopping_says_so(listener, make):
    address, sock = listener
    make(address).stopping()
    assert received(sock)[0] == "STOPPING=1"


def test_a_filesystem_socket_path_works(tmp_path, make):
    path = tmp_path / "n"
    if len(str(path)) > 100:
        pytest.skip("tmp_path too long for AF_UNIX")  # covered by the run-process test in /tmp
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(1)
    make(str(path)).watchdog()
    assert received(sock) == ["WATCHDOG=1"]
    sock.close()


def test_without_notify_socket_every_call_is_a_quiet_no_op(monkeypatch, make):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = make()
    assert not notifier.enabled
    notifier.ready("x")
    notifier.watchdog()
    assert notifier.send("READY=1") is False


def test_a_vanished_systemd_is_logged_once_and_never_raises(caplog, make):
    notifier = make(f"@connect5-nobody-{uuid.uuid4().hex}")
    for _ in range(3):
        assert notifier.send("WATCHDOG=1") is False
    assert len([r for r in caplog.records if "cannot notify" in r.getMessage()]) == 1


def test_keepalive_pings_only_when_most_of_the_interval_has_gone_by(listener, make):
    address, sock = listener
    notifier = make(address, watchdog_every=0.2)
    notifier.keepalive()  # just created: not yet due
    sock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        sock.recv(100)
    time.sleep(0.2)
    notifier.keepalive()
    assert received(sock) == ["WATCHDOG=1"]


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("300000000", None, 150.0),  # WatchdogSec=5min: ping every 150 s
        ("400000", "self", 0.2),
        ("400000", "1", None),  # meant for another process
        ("", None, None),
        ("0", None, None),
        ("soon", None, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec_when_meant_for_us(monkeypatch, usec, pid, expected):
    import os

    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is None:
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
    else:
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()) if pid == "self" else pid)
    assert watchdog_interval() == expected


# -- the run loop keeps the watchdog fed ----------------------------------------


class SlowMailbox:
    """A connector whose first backfill comes in slow batches, as a big Gmail account's does."""

    kind = "mail"

    def __init__(self, batches: int, pause: float):
        self.batches, self.pause = batches, pause

    def sync(self, cursor):
        from connectors.records import Batch

        for number in range(self.batches):
            time.sleep(self.pause)
            yield Batch(items=(), cursor=f"page-{number}")


def test_the_watchdog_is_fed_between_the_batches_of_a_long_sync(tmp_path, listener, make):
    from daemon.config import Config, Source
    from daemon.loop import Daemon, SourceState
    from daemon.paths import resolve
    from daemon.store import open_store

    address, sock = listener
    home = resolve(str(tmp_path))
    store = open_store(home.db_path)
    daemon = Daemon(home=home, config=Config(path=home.config_file), store=store,
                    notifier=make(address, watchdog_every=0.1))
    source = Source(name="big", type="maildir", options=None)
    started = time.monotonic()
    try:
        daemon.sync(SourceState(source, connector=SlowMailbox(batches=10, pause=0.05)))
    finally:
        store.close()
    took = time.monotonic() - started
    sock.settimeout(0.01)
    pings = 0
    while True:
        try:
            pings += sock.recv(100) == b"WATCHDOG=1"
        except TimeoutError:
            break
    # One sync of ~0.5 s with a 0.1 s ping interval: several pings, none from the loop itself.
    assert pings >= int(took / 0.1) - 2 >= 2
