"""Running sources safely: one source's failure is recorded and never stops the others."""

from __future__ import annotations

import logging
from typing import Any

from connectors import base
from daemon import clock
from daemon.config import Config, Source
from daemon.paths import Home
from daemon.store import Store
from daemon.store_problems import access_problem, is_busy
from daemon.sync import sync_source

log = logging.getLogger(__name__)

STORE_BUSY = "the store stayed busy (another connect5 command was writing to it); trying again shortly"

AUTH_COMMANDS = {
    "gmail": "connect5 auth google", "google-calendar": "connect5 auth google",
    "outlook-mail": "connect5 auth outlook", "outlook-calendar": "connect5 auth outlook",
}


def select_sources(config: Config, wanted: str | None) -> list[Source]:
    """All sources, or those whose name (or type, or family like "outlook") is ``wanted``."""
    if not wanted:
        return list(config.sources)
    exact = [s for s in config.sources if s.name == wanted]
    if exact:
        return exact
    return [s for s in config.sources if s.type == wanted or s.type.split("-")[0] == wanted]


def sync_one(store: Store, config: Config, home: Home, source: Source, connector=None, progress=None,
             repeat_of: str = "") -> dict[str, Any]:
    """Sync ``source``, turning its errors into a recorded state and a one-line summary.

    An error equal to ``repeat_of`` (the one already recorded) is logged at
    debug only and recorded nowhere: the outcome says ``repeated``.
    """
    error = stopped = ""
    report = None
    try:
        report = sync_source(store, config, home, source, connector=connector, progress=progress)
    except base.AuthError as failure:
        stopped = f"{failure} (run `{AUTH_COMMANDS.get(source.type, 'connect5 auth')}`)"
        if "connect5 auth" in str(failure):
            stopped = str(failure)
        error = stopped
    except base.ConnectorError as failure:
        error = str(failure) or type(failure).__name__
    except OSError as failure:
        error = f"{failure.strerror or failure}: {getattr(failure, 'filename', '') or ''}".strip(": ")
    except Exception as failure:  # a bug in one connector must not stop the others or the daemon
        if is_busy(failure):
            # Another connect5 command held the store past the wait: nobody's bug, and
            # what was synced before is committed; the next sync goes on from there.
            log.warning("%s: %s", source.name, STORE_BUSY)
            return {"source": source.name, "error": STORE_BUSY, "stopped": False, "busy": True,
                    "line": f"{source.name}: {STORE_BUSY}"}
        problem = access_problem(failure, store.path)
        if problem:  # a full disk, a read-only store: the machine's doing, said plainly, no traceback
            error = problem
        else:
            log.exception("%s: unexpected error (a bug; the traceback follows)", source.name)
            error = f"unexpected {type(failure).__name__}: {failure}"
    if error and error == repeat_of and not stopped:
        log.debug("%s: still %s", source.name, error)
        return {"source": source.name, "error": error, "stopped": False, "line": f"{source.name}: {error}",
                "repeated": True}
    if error:
        log.warning("%s: %s", source.name, error)
        try:
            with store.atomic():
                store.source_state(source.name, error=error, stopped=stopped or None)
                store.log_event("error" if stopped else "warning", error, source=source.name)
        except Exception as failure:  # busy past the wait, full, read-only: the log line above says it all the same
            if not (is_busy(failure) or access_problem(failure, store.path)):
                raise
        return {"source": source.name, "error": error, "stopped": bool(stopped), "line": f"{source.name}: {error}"}
    from rules.stats import counted

    line = (
        f"{source.name}: {counted(report.items, 'item')}, {counted(report.interactions, 'interaction')}"
        f" ({report.noise} noise, {report.duplicates} duplicates, {report.unknown} unknown)"
    )
    if report.cancelled:
        line += f", {report.cancelled} cancelled"
    if report.learned:
        line += f", {report.learned} addresses learned"
    if report.review:
        line += f", {report.review} to review"
    if report.skipped:
        line += f", {report.skipped} unreadable skipped (see `connect5 status`)"
    if report.resynced:
        line += ", resynced"
    return {
        "source": source.name, "error": "", "stopped": False, "line": line, "items": report.items,
        "interactions": report.interactions, "noise": report.noise, "duplicates": report.duplicates,
        "unknown": report.unknown, "cancelled": report.cancelled, "learned": report.learned, "review": report.review,
        "skipped": report.skipped, "retry_in": report.retry_in, "resynced": report.resynced, "changed_picks": report.changed_picks,
        "synced_at": clock.now().isoformat(timespec="seconds"),
    }
