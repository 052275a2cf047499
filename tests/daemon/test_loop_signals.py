"""Signals reach the run loop at once, whichever thread the kernel hands them to.

The daemon has other threads (watchdog's observers, debounce timers); a signal
delivered to one of them must still wake the main thread, which may be asleep
in the loop's wait for up to ``MAX_SLEEP`` (30 s). ``pthread_kill`` aims a
signal at one chosen thread, as the kernel may.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

import pytest

from daemon.config import Config
from daemon.loop import MAX_SLEEP, Daemon
from daemon.paths import resolve
from daemon.store import open_store


@pytest.fixture
def daemon(tmp_path):
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    home = resolve(str(tmp_path))
    store = open_store(home.db_path)
    daemon = Daemon(home=home, config=Config(path=home.config_file), store=store)
    daemon.install_signals()
    yield daemon
    store.close()
    for number, handler in saved.items():
        signal.signal(number, handler)


def bystander() -> threading.Thread:
    """A thread that only sleeps: the one the signals are aimed at."""
    thread = threading.Thread(target=threading.Event().wait, args=(10,), daemon=True)
    thread.start()
    return thread


def aim_later(thread: threading.Thread, number: int, delay: float) -> None:
    threading.Timer(delay, signal.pthread_kill, (thread.ident, number)).start()


def test_sigterm_on_another_thread_stops_the_loop_at_once(daemon):
    aim_later(bystander(), signal.SIGTERM, 0.3)
    started = time.monotonic()
    daemon.run()
    took = time.monotonic() - started
    assert daemon.stop_requested
    assert took < 3 < MAX_SLEEP  # not after the loop's longest sleep


def test_sighup_on_another_thread_reloads_at_once(daemon):
    reloads = []
    daemon.reload = lambda: reloads.append(time.monotonic())
    target = bystander()
    started = time.monotonic()
    aim_later(target, signal.SIGHUP, 0.3)
    aim_later(target, signal.SIGTERM, 2.0)
    daemon.run()
    assert len(reloads) == 1 and reloads[0] - started < 1.5


def test_a_watcher_thread_wakes_the_loop_to_sync_its_source(daemon):
    synced = []
    daemon.sources = {}
    daemon.cycle = lambda **_: None
    original_take = daemon._take_events

    def take():
        events = original_take()
        synced.extend(payload for kind, payload in events if kind == "wake")
        if synced:
            daemon.stop_requested = True
        return events

    daemon._take_events = take
    threading.Timer(0.3, daemon.post, ("wake", "mail")).start()
    started = time.monotonic()
    daemon.run()
    assert synced == ["mail"] and time.monotonic() - started < 3


class SlowMailbox:
    """A connector whose backfill comes in slow batches; it counts what it was asked for."""

    kind = "mail"

    def __init__(self, batches: int, pause: float):
        self.batches, self.pause, self.yielded = batches, pause, 0

    def sync(self, cursor):
        from connectors.records import Batch

        for number in range(self.batches):
            time.sleep(self.pause)
            self.yielded += 1
            yield Batch(items=(), cursor=f"page-{number}")


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_stop_during_a_long_sync_ends_it_between_batches_keeping_what_was_committed(daemon):

    from daemon.config import Source
    from daemon.loop import SourceState

    slow = SlowMailbox(batches=100, pause=0.05)
    source = Source(name="big", type="maildir", options=None)
    daemon.start_sources = lambda: daemon.sources.update(big=SourceState(source, connector=slow))
    aim_later(bystander(), signal.SIGTERM, 0.5)
    started = time.monotonic()
    # Handlers on the loggers themselves: an earlier in-process `connect5 run` may stop propagation.
    collect, loggers = Collect(), [logging.getLogger("daemon.loop"), logging.getLogger("daemon.runner")]
    for logger in loggers:
        logger.addHandler(collect)
        logger.setLevel(logging.INFO)
    try:
        daemon.run()
    finally:
        for logger in loggers:
            logger.removeHandler(collect)
    text = "\n".join(collect.lines)
    assert time.monotonic() - started < 3 and slow.yielded < 100
    assert "stopped during a sync of big" in text
    assert "unexpected" not in text  # a stop is not a connector's bug
    assert daemon.store.cursor("big") == f"page-{slow.yielded - 1}"
