"""The run loop: one thread owns the store; timers and watchers only wake it.

Watchers put their wake-ups in a queue and poke ``Wakeup`` (daemon.wakeup);
SIGHUP (reload) and SIGTERM/SIGINT (stop) set a flag and, through
``signal.set_wakeup_fd``, poke it too. The loop sleeps on ``Wakeup`` for at most ``MAX_SLEEP`` seconds and then
re-reads the wall clock, because a monotonic sleep does not count time spent
suspended: after a laptop wakes, the morning job and the polls catch up within
that bound.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from connectors import base
from daemon import calendar_block, clock, control, control_server, logs, morning, stamps
from daemon.config import Config, ConfigError, load
from daemon.notify import Notifier
from daemon.paths import Home
from daemon.runner import STORE_BUSY, sync_one
from daemon.source_state import BUSY_RETRY, WAKE_PROBE_GAP, SourceState
from daemon.store import Store
from daemon.store_problems import is_busy
from daemon.sync import make_source
from daemon.wakeup import Wakeup

log = logging.getLogger(__name__)

MAX_SLEEP = 30.0
MORNING_RETRY = 300.0  # seconds before a failed block write is tried again


class Interrupted(BaseException):
    """Raised between batches when a stop was asked for: what was committed stays.

    A BaseException, as KeyboardInterrupt is: a stop is not an error, and the
    runner's net for a connector's unexpected errors must not catch it.
    """


class StoreReplaced(Exception):
    """The store file was moved or replaced under the running daemon; the message says so."""


@dataclass
class Daemon:
    home: Home
    config: Config
    store: Store
    notifier: Notifier = field(default_factory=Notifier)
    events: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)  # from watcher threads
    sources: dict[str, SourceState] = field(default_factory=dict)
    running: bool = True
    stop_requested: bool = False
    reload_requested: bool = False
    wakeup: Wakeup | None = None  # made by install_signals or run
    morning_retry_at: float = 0.0
    last_morning: str = ""
    config_mtime: tuple = ()
    config_watcher: object | None = None
    config_problem: str = ""  # why the config file was refused, until a reload succeeds
    control: control_server.ControlServer | None = None  # where commands ask (daemon.control)
    wake_probe_gap: float = WAKE_PROBE_GAP
    store_identity: tuple = ()  # the store file this daemon has open: (device, inode), from run

    # -- setup ------------------------------------------------------------

    def start_sources(self) -> None:
        for source in self.config.sources:
            state = SourceState(source)
            try:
                state.connector = make_source(source, self.config, self.home,
                                              keepalive=lambda name=source.name: self.keepalive(name))
            except base.ConnectorError as error:
                state.stopped = str(error)
                log.error("%s: %s", source.name, error)
                self.sources[source.name] = state
                continue
            watch = getattr(state.connector, "watch", None)
            if watch is not None:
                try:
                    state.watcher = watch(lambda name=source.name: self.post("wake", name))
                except (OSError, base.ConnectorError) as error:
                    log.warning("%s: cannot watch (%s); polling instead", source.name, error)
            self.sources[source.name] = state

    def stop_sources(self) -> None:
        for state in self.sources.values():
            if state.watcher is not None:
                try:
                    state.watcher.stop()
                except Exception:  # a watcher failing to stop must not block shutdown
                    log.exception("%s: watcher did not stop cleanly", state.source.name)
        self.sources.clear()

    # -- one cycle --------------------------------------------------------

    def sync(self, state: SourceState, *, probe: bool = False) -> None:
        """Sync one source; a ``probe`` (a wake-up during its backoff) that fails the same way changes nothing."""
        if state.stopped or state.connector is None:
            return
        outcome = sync_one(
            self.store, self.config, self.home, state.source, connector=state.connector,
            progress=self._between_batches, repeat_of=state.error if probe else "",
        )
        stopped_before = state.stopped
        state.synced(outcome, time.monotonic())
        if state.stopped != stopped_before:
            log.error("%s stopped: %s", state.source.name, state.stopped)
        elif outcome.get("interactions"):
            log.info("%s", outcome["line"])

    def wake(self, state: SourceState) -> None:
        """A watcher saw a change: sync now, unless the source backs off (``SourceState.woken``)."""
        if state.woken(time.monotonic(), self.wake_probe_gap):
            self.sync(state)

    def _between_batches(self, report, batch) -> None:
        # A first backfill can take longer than WatchdogSec: keep systemd's watchdog fed.
        self.keepalive(report.source)

    def keepalive(self, source: str) -> None:
        """Between batches, and while a connector waits to retry: feed the watchdog, honour a stop."""
        self.notifier.keepalive()
        if self.stop_requested:
            raise Interrupted(source)

    def morning_due(self, now: datetime) -> bool:
        if time.monotonic() < self.morning_retry_at:
            return False
        return self._morning_due(now)

    def _morning_due(self, now: datetime) -> bool:
        zone = clock.zone_name(self.config.me.timezone)
        today = clock.local_day(now, zone)
        if not clock.is_block_day(today, self.config.picking.days):
            return False
        if today.isoformat() == self.last_morning:
            return self._block_gone(today)  # done today, unless its block file went away since
        if today < clock.last_run_day(self.store.meta("morning_day"), today):
            return False  # we flew west over the date line: that day has gone by
        earliest = min(self.config.picking.at, self.config.block.time)
        return now >= clock.at_local(today, earliest, zone)

    def _block_gone(self, today) -> bool:
        """Whether today's .ics block is no longer in its file (deleted, replaced, a new path)."""
        problem = calendar_block.block_gone(self.store, self.config, self.home, today)
        if problem:
            log.warning("%s: writing today's block again", problem)
        return bool(problem)

    def run_morning(self, now: datetime) -> None:
        try:
            self._run_morning(now)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            log.warning("morning job waits: %s; trying again in %d s", STORE_BUSY, BUSY_RETRY)
            self.morning_retry_at = time.monotonic() + BUSY_RETRY

    def _run_morning(self, now: datetime) -> None:
        zone = clock.zone_name(self.config.me.timezone)
        today = clock.local_day(now, zone)
        chosen_before = bool(morning.picks_of(self.store, today, include_skipped=True))
        picks = morning.ensure_picks(self.store, self.config, today, today)
        try:
            calendar_block.write_block(self.store, self.config, self.home, today, today,
                                keepalive=lambda: self.keepalive("block"))
        except (base.ConnectorError, OSError) as error:
            # The picks stand; the block is tried again a few minutes later, not left out.
            log.error("block for %s not written (trying again in %d s): %s", today, MORNING_RETRY, error)
            with self.store.atomic():
                self.store.log_event("error", f"block not written: {error}", source="block")
            self.morning_retry_at = time.monotonic() + MORNING_RETRY
            return
        self.last_morning = today.isoformat()
        with self.store.atomic():  # remembered across restarts, for morning_due
            last = clock.last_run_day(self.store.meta("morning_day"), today)
            self.store.set_meta("morning_day", max(today, last).isoformat())
        if chosen_before:  # a restart, or the block written again: nothing chosen now
            log.debug("morning job for %s: its %d picks were chosen before", today, len(picks))
        else:
            log.info("morning job for %s: %d picks", today, len(picks))

    def cycle(self, *, force_sync: bool = False) -> None:
        """Sync what is due (everything with ``force_sync``), then the morning job if due."""
        now = time.monotonic()
        for state in list(self.sources.values()):
            if force_sync or now >= state.due:
                self.sync(state)
            elif state.probe_at and now >= state.probe_at:
                self.sync(state, probe=True)
        wall = clock.now()
        if self.morning_due(wall):
            self.run_morning(wall)
        # Meetings that began since the last cycle: "call booked" becomes "met" with no sync.
        morning.look_at_started(self.store, self.config, wall)

    # -- the loop ---------------------------------------------------------

    def reload(self) -> None:
        self.notifier.reloading()
        try:
            fresh = load(self.config.path)
        except ConfigError as error:
            self.remember_config_mtime()
            log.error("config not reloaded, keeping the running one: %s", error)
            more = len(error.problems) - 1
            self.config_problem = error.problems[0] + (f" (and {more} more)" if more else "")
            self.notifier.ready(self.status_line())
            return
        self.stop_sources()
        self.config = fresh
        self.config_problem = ""
        self.last_morning = ""
        self.start_sources()
        self.remember_config_mtime()
        log.info("config reloaded from %s", fresh.path)
        self.notifier.ready(self.status_line())

    def remember_config_mtime(self) -> None:
        self.config_mtime = stamps.stamp(self.config.path)

    def config_changed(self) -> bool:
        stamp = stamps.stamp(self.config.path)
        return bool(stamp) and stamp != self.config_mtime

    def status_line(self) -> str:
        """One line for ``systemctl status``: each source's last sync or trouble, then the next block.

        A refused config leads every line until a reload succeeds: systemd shows
        only the latest STATUS, and the next sync must not hide the problem.
        """
        zone = clock.zone_name(self.config.me.timezone)
        synced = {row[0]: row[1] for row in self.store.db.execute("SELECT source, last_sync_at FROM cursors")}
        parts = [f"config error (old config in use): {self.config_problem}"] if self.config_problem else []
        parts += [state.summary(synced.get(name), zone) for name, state in self.sources.items()]
        block = clock.next_block(clock.now(), zone, self.config.block.time, self.config.picking.days)
        parts.append(f"next block {block:%a %Y-%m-%d %H:%M}")
        return "; ".join(parts)

    def next_timeout(self, watchdog: float | None) -> float:
        now = time.monotonic()
        dues = [min(state.due, state.probe_at or state.due)
                for state in self.sources.values() if not state.stopped and state.connector]
        timeout = min([MAX_SLEEP, *(max(0.0, due - now) for due in dues)])
        if watchdog:
            timeout = min(timeout, watchdog)
        return max(timeout, 0.05)

    def post(self, kind: str, payload: object = None) -> None:
        """From any thread: queue an event and wake the loop."""
        self.events.put((kind, payload))
        if self.wakeup is not None:
            self.wakeup.poke()

    def run(self, *, once: bool = False) -> None:
        if not once and self.wakeup is None:
            self.wakeup = Wakeup()
        self.remember_config_mtime()
        self.store_identity = stamps.identity(self.home.db_path)
        self.start_sources()
        try:
            if not once:
                # Ready once the store is open and the schedule known, not after the first
                # sync: a long backfill must not run into systemd's start timeout.
                self.notifier.ready(self.status_line())
                self.config_watcher = stamps.watch_config(self.config.path, self.post, MAX_SLEEP)
                self.control = control_server.start(self.home.control_path, self.post)
            self.cycle(force_sync=True)
            if once:
                return
            self.notifier.status(self.status_line())  # what the first sync found, not 30 s later
            calendar_block.warm_up(self.config)
            self._loop()
        except Interrupted as where:
            log.info("stopped during a sync of %s; what was synced is kept", where)
        finally:
            self.notifier.stopping()
            if self.control is not None:
                self.control.stop()
                self.control = None
            self.stop_sources()
            if self.config_watcher is not None:
                self.config_watcher.stop()
            self._close_wakeup()

    def _close_wakeup(self) -> None:
        if self.wakeup is None:
            return
        try:
            if signal.set_wakeup_fd(-1) not in (-1, self.wakeup.writer.fileno()):
                log.debug("the signal wake-up fd belonged to someone else")
        except ValueError:  # not the main thread: it was never set from here
            pass
        self.wakeup.close()
        self.wakeup = None

    def _loop(self) -> None:
        watchdog = self.notifier.watchdog_every
        while self.running and not self.stop_requested:
            arrived = self.wakeup.wait(self.next_timeout(watchdog))
            # The handlers set these too; reading the numbers here does not wait for them to run.
            if arrived & {signal.SIGTERM, signal.SIGINT}:
                self.stop_requested = True
            if signal.SIGHUP in arrived:
                self.reload_requested = True
            if self.stop_requested:
                break
            if self.store_replaced():
                raise StoreReplaced(f"the store {self.home.db_path} was moved or replaced while connect5 ran;"
                                    " stopped, to start again on the store there now (the service does,"
                                    " after its RestartSec); replace the store only with connect5 stopped")
            events = self._take_events()
            for question in (payload for kind, payload in events if kind == "ask"):
                self.answer(question)  # before any sync: someone is waiting
            events = [(kind, payload) for kind, payload in events if kind != "ask"]
            kinds = {kind for kind, _ in events}
            if self.reload_requested or ((not events or "config" in kinds) and self.config_changed()):
                self.reload_requested = False
                self.reload()
            else:
                # A burst of watcher wake-ups is one sync per source.
                for name in dict.fromkeys(payload for kind, payload in events if kind == "wake"):
                    state = self.sources.get(name)
                    if state is not None:
                        self.wake(state)
            self.cycle()
            self.notifier.keepalive()
            self.notifier.status(self.status_line())

    def answer(self, question: control_server.Question) -> None:
        """Answer a command's question (daemon.control); an empty answer declines, and it works on its own."""
        try:
            if not question.abandoned and self._answerable(question):
                from daemon import today_report

                with logs.captured() as warnings:  # the block file moved aside: the asker reads it
                    answer = today_report.answer(self.config, self.store, self.home, question.fields)
                if answer is not None:
                    status, out, err = answer
                    said = "".join(f"{line}\n" for line in warnings)
                    question.answer = control.format_answer(status, out, said + err)
        except Exception:  # the command works on its own, where a bug shows its traceback
            log.exception("answering %s failed", question.command)
        finally:
            question.answered.set()

    def store_replaced(self) -> bool:
        """The file at the store's path is not the one this daemon has open: moved aside, deleted, another moved in.

        A copy written into the same file keeps its inode and is not seen (docs/RELIABILITY.md, "Replacing the store").
        """
        return bool(self.store_identity) and stamps.identity(self.home.db_path) != self.store_identity

    def _answerable(self, question: control_server.Question) -> bool:
        if self.store_replaced():
            return False  # the command opens the store that is there now; the loop stops for it
        if self.config_changed():
            self.reload()  # answer with the config as it is now
        # A config file deleted or made unreadable: the command says what is wrong with it.
        readable = bool(stamps.stamp(self.config.path)) and os.access(self.config.path, os.R_OK)
        return (question.command == "today" and len(question.fields) == 3 and readable and not self.config_problem
                and Path(question.config_file) == self.config.path
                and control.same_environment(question.environment))

    def _take_events(self) -> list[tuple[str, object]]:
        events = []
        while True:
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                return events

    def request_stop(self, *_: object) -> None:
        self.stop_requested = True

    def request_reload(self, *_: object) -> None:
        self.reload_requested = True

    def install_signals(self) -> None:
        """SIGTERM/SIGINT stop, SIGHUP reloads; call from the main thread before ``run``."""
        if self.wakeup is None:
            self.wakeup = Wakeup()
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGHUP, self.request_reload)
        signal.set_wakeup_fd(self.wakeup.writer.fileno(), warn_on_full_buffer=False)
