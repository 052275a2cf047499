"""The contract every connector implements, its errors, and the registry of types.

Words used throughout:

cursor
    An opaque string owned by the connector that says where the last pull ended
    (a Gmail historyId, a Graph deltaLink, a Google syncToken, a Maildir scan
    mark). The daemon stores it and hands it back; only the connector reads it.
    ``None`` means "never synced": the connector does its bounded backfill.
item
    One record the connector produced (``MailItem``, ``CalendarItem``,
    ``Contact``), see ``connectors.records``.
batch
    Items plus the cursor that follows them. The daemon commits a batch's items
    and its cursor in one transaction, so a crash between batches loses nothing
    and, on restart, repeats nothing.

Connectors never touch the store. They raise ``CursorExpired`` (the only way to
ask for a full resync), ``AuthError`` (the user must run a command; the daemon
never opens a browser) or ``SourceUnavailable`` (try again later). Retries,
rate limits and token refresh happen inside the connector, bounded: one call
spends at most ``RETRY_SECONDS`` retrying, then gives up with
``SourceUnavailable`` and the daemon's backoff takes over. While it waits it
calls the context's ``keepalive`` (see ``staying_alive``), which lets the daemon
feed systemd's watchdog and stop at once when asked to.

Exception tree::

    ConnectorError
     ├── CursorExpired
     ├── AuthError
     ├── SourceUnavailable
     ├── BlockSeriesDeleted
     └── NotAnExportError
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # the records are only named in signatures; importing them costs start-up time
    from connectors.records import Batch, Block, BlockRef, CalendarItem, Contact, MailItem


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""


class CursorExpired(ConnectorError):
    """The stored cursor is no longer valid: do a full (bounded) resync."""


class AuthError(ConnectorError):
    """Credentials are missing, expired or revoked. The message names the command to run."""


class SourceUnavailable(ConnectorError):
    """The source cannot be read right now (missing path, network down). Retried later."""


def unreachable(address: str, error: BaseException) -> str:
    """One line for a service that cannot be reached: its host, the innermost reason, what to do.

    requests wraps the socket's error three deep (ConnectionError → MaxRetryError
    → NewConnectionError → gaierror); only the innermost says what happened.
    """
    from urllib.parse import urlsplit

    host = urlsplit(address).netloc or address
    return f"cannot reach {host}: {_innermost_reason(error)}; check the network"


def _innermost_reason(error: BaseException) -> str:
    seen: set[int] = set()
    current: BaseException | None = error
    last = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        last = current
        inner = (current.__cause__, getattr(current, "reason", None), *current.args[:1], current.__context__)
        current = next((candidate for candidate in inner if isinstance(candidate, BaseException)), None)
    text = (str(last).splitlines() or [type(last).__name__])[0]
    return text[:200]


class BlockSeriesDeleted(ConnectorError):
    """The user deleted our recurring block: writing stops until they say otherwise."""


class NotAnExportError(ConnectorError):
    """A file offered for import is not what the importer expects."""


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class SourceContext:
    """What the daemon tells a connector about the world it runs in.

    ``keepalive`` is called while a connector waits to retry: the daemon pings
    systemd's watchdog there and raises its own stop signal (a ``BaseException``,
    which connectors let through) when a stop was asked for.
    """

    name: str
    own_addresses: frozenset[str] = frozenset()
    data_dir: Path = Path(".")
    tokens_dir: Path = Path("tokens")
    timezone: str = "UTC"
    now: Callable[[], datetime] = field(default=datetime.now)
    keepalive: Callable[[], None] = field(default=_nothing)


# How long one connector call (a request with its retries) may keep retrying before
# it gives up with SourceUnavailable: well under systemd's WatchdogSec, and short
# enough that a stop or the daemon's own backoff is never far away. Read at call time.
RETRY_SECONDS = 150.0
KEEPALIVE_STEP = 5.0  # the longest sleep between two keepalive calls


def staying_alive(sleep: Callable[[float], None] = time.sleep,
                  keepalive: Callable[[], None] = _nothing) -> Callable[[float], None]:
    """``sleep`` cut into steps of at most ``KEEPALIVE_STEP`` seconds, with ``keepalive`` around each."""

    def wait(seconds: float) -> None:
        keepalive()
        while seconds > 0:
            step = min(seconds, KEEPALIVE_STEP)
            sleep(step)
            seconds -= step
            keepalive()

    return wait


@runtime_checkable
class ContactSource(Protocol):
    def contacts(self) -> Iterator[Contact]: ...


@runtime_checkable
class MailSource(Protocol):
    def sync(self, cursor: str | None) -> Iterator[Batch[MailItem]]: ...


@runtime_checkable
class CalendarSource(Protocol):
    def sync(self, cursor: str | None) -> Iterator[Batch[CalendarItem]]: ...


@runtime_checkable
class BlockWriter(Protocol):
    def write(self, day: date, block: Block) -> BlockRef:
        """Put ``block`` on ``day``; idempotent, never a second event for one day."""
        ...


class Watcher(Protocol):
    """Returned by ``watch()``: something the daemon can stop."""

    def stop(self) -> None: ...


# config ``type`` -> "module:Class"; imported only when a source of that type is
# configured, so the Google and Microsoft libraries cost nothing to ICS users.
SOURCES: dict[str, str] = {
    "maildir": "connectors.maildir:MaildirSource",
    "ics": "connectors.ics:IcsSource",
    "gmail": "connectors.google.gmail:GmailSource",
    "google-calendar": "connectors.google.calendar:GoogleCalendarSource",
    "outlook-mail": "connectors.outlook.mail:OutlookMailSource",
    "outlook-calendar": "connectors.outlook.calendar:OutlookCalendarSource",
}

WRITERS: dict[str, str] = {
    "ics": "connectors.ics:IcsBlockWriter",
    "google": "connectors.google.block:GoogleBlockWriter",
    "outlook": "connectors.outlook.block:OutlookBlockWriter",
}


def load(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def source_class(type_name: str) -> Any:
    return load(SOURCES[type_name])


def writer_class(type_name: str) -> Any:
    return load(WRITERS[type_name])


# How a connector class is shaped (the registry relies on it):
#
#   class MaildirSource:
#       kind = "mail"                       # "mail" | "calendar"
#
#       @dataclass(frozen=True)
#       class Options:                      # the [[sources]] table's keys, minus name/type
#           path: list[str] = field(default_factory=list, metadata={"doc": "Maildir folders"})
#
#       def __init__(self, options: Options, context: SourceContext): ...
#       def sync(self, cursor: str | None) -> Iterator[Batch[MailItem]]: ...
#       def watch(self, wake: Callable[[], None]) -> Watcher | None: ...   # optional
#
# Writers look the same with ``write(day, block) -> BlockRef`` instead of ``sync``;
# their Options are the [block] table's keys beyond the common ones (title, time,
# minutes, writer, opener, ...). daemon.config validates a table against Options:
# unknown keys and wrong types are reported with file and key. Field metadata
# "doc" is what config.example.toml must document.
