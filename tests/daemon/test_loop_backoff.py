"""A failing source backs off, and its watcher's wake-ups do not undo that.

The watcher of a Maildir that does not exist yet watches the nearest existing
parent and wakes the daemon for every folder made beside it. Each wake-up used
to be a sync and a warning (two a second were seen); now, while the source
backs off, wake-ups are probes at most once per gap, a probe failing the same
way is silent, and the probe that finds the Maildir created syncs it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

import pytest

from daemon.config import load
from daemon.loop import Daemon
from daemon.paths import resolve
from daemon.store import open_store


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.lines.append(record.getMessage())


@pytest.fixture
def collected():
    # Handlers on the loggers themselves: an earlier in-process `connect5 run` may stop propagation.
    collect, loggers = Collect(), [logging.getLogger("daemon.loop"), logging.getLogger("daemon.runner")]
    for logger in loggers:
        logger.addHandler(collect)
    yield collect.lines
    for logger in loggers:
        logger.removeHandler(collect)


@pytest.fixture
def daemon(tmp_path):
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    (tmp_path / "mail").mkdir()
    (tmp_path / "config.toml").write_text(
        f'[[sources]]\nname = "mail"\ntype = "maildir"\npath = ["{tmp_path / "mail" / "Maildir"}"]\n'
    )
    home = resolve(str(tmp_path))
    store = open_store(home.db_path)
    daemon = Daemon(home=home, config=load(home.config_file), store=store, wake_probe_gap=1.0)
    daemon.install_signals()
    yield daemon
    store.close()
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_folders_made_beside_a_missing_maildir_neither_sync_nor_warn_until_it_appears(daemon, tmp_path, collected):
    parent = tmp_path / "mail"
    syncs = []
    original = daemon.sync
    daemon.sync = lambda state, **options: syncs.append(time.monotonic()) or original(state, **options)

    def meanwhile() -> None:
        time.sleep(0.5)  # the first sync has failed: the source backs off
        for number in range(12):  # 3 s of mkdirs beside the missing root, 4 a second
            (parent / f"folder-{number}").mkdir()
            time.sleep(0.25)
        for part in ("cur", "new", "tmp"):
            (parent / "Maildir" / part).mkdir(parents=True)
        time.sleep(2.5)  # within one probe gap and a debounce, not the 10-minute backoff
        signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)

    threading.Thread(target=meanwhile, daemon=True).start()
    daemon.run()
    warnings = [line for line in collected if "does not exist" in line]
    assert len(warnings) == 1, collected
    assert len(syncs) <= 6, syncs  # the first, then at most one probe per second of mkdirs, then the cure
    row = daemon.store.db.execute("SELECT last_sync_at, last_error FROM cursors WHERE source = 'mail'").fetchone()
    assert row[0] is not None and row[1] is None  # the probe after the Maildir appeared synced it
    events = daemon.store.db.execute("SELECT count(*) FROM events WHERE source = 'mail'").fetchone()[0]
    assert events == 1


def test_a_mail_file_maybe_still_being_written_is_looked_at_again_once_settled(daemon, tmp_path):
    # No blank line and younger than a minute: perhaps a tool still writing it in new/
    # (not every one uses tmp/). No watcher event will say when it is done, so the next
    # sync comes when it has settled, not at the 5-minute poll.
    maildir = tmp_path / "mail" / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    (maildir / "new" / "1750000000.M1P1.host").write_bytes(b"From: Bob <bob@example.org>\nSubject: half")
    daemon.start_sources()
    try:
        [state] = daemon.sources.values()
        before = time.monotonic()
        daemon.sync(state)
        assert 55 < state.due - before < 65
        assert state.error == ""
    finally:
        daemon.stop_sources()
        daemon._close_wakeup()  # what run() does on its way out
