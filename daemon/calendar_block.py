"""The day's block: rendered from the day's picks, written where ``[block] writer`` says, kept in place.

The second half of the morning job (``daemon.morning`` chooses the picks). A block
is written again only when what it shows changed (``digest``) or the block is no
longer where it was written (a deleted or replaced .ics file, a new path); a
failed write is remembered for ``connect5 status`` until a later one succeeds.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon import clock
from daemon.config import Config
from daemon.morning import picks_of
from daemon.paths import Home
from daemon.store import Store, parse_day, utc_now

log = logging.getLogger(__name__)


def block_inputs(store: Store, config: Config, day: date, today: date, *, as_picked: bool = False) -> tuple:
    """Everything the day's block is rendered from, as plain values (its digest decides rewrites).

    ``as_picked``: each person's last touch as it was when the day was picked, for a
    day gone by written again (``_write_past_days``), not as it is now.
    """
    people = []
    for row in picks_of(store, day):
        emails = store.emails_of(row["contact_key"])
        last_at, last_kind = row["last_touch_at"], row["last_touch_kind"]
        if as_picked:
            last_at, last_kind = store.last_touch_by(row["contact_key"], row["picked_at"])
        people.append((row["name"], row["position"], row["company"], row["profile_url"],
                       emails[0]["email"] if emails else "", last_at, last_kind or "",
                       row["connected_on"], row["reason"]))
    settings = (config.block.title, config.block.time, config.block.minutes, config.block.opener,
                tuple(config.picking.days), clock.zone_name(config.me.timezone))
    return (day.isoformat(), today.isoformat(), settings, tuple(people))


def render(inputs: tuple):
    """The day's ``Block`` from ``block_inputs``."""
    from connectors.records import BlockPerson
    from rules import block as block_rules

    day_text, today_text, (title, at, minutes, opener, days, zone), people = inputs
    day, today = date.fromisoformat(day_text), date.fromisoformat(today_text)
    persons = []
    for name, position, company, profile_url, email, last_text, kind, connected, reason in people:
        last = datetime.fromisoformat(last_text).astimezone(ZoneInfo(zone)) if last_text else None
        persons.append(BlockPerson(
            name=name, position=position, company=company, profile_url=profile_url, email=email,
            last_touch=block_rules.describe_last_touch(last, kind, parse_day(connected), today), reason=reason,
        ))
    return block_rules.render_block(
        day, persons, title=title, start=clock.at_local(day, at, zone), minutes=minutes,
        weekdays=days, timezone=zone, opener_template=opener,
    )


def block_for(store: Store, config: Config, day: date, today: date):
    return render(block_inputs(store, config, day, today))


def warm_up(config: Config) -> None:
    """Load what writing a block needs now, not when the first block of a day is due.

    That first block is often asked for by a waiting ``connect5 today`` (see daemon.control).
    """
    from connectors import base

    base.writer_class(config.block.writer)
    import rules.block  # noqa: F401


def make_writer(config: Config, home: Home, keepalive=None):
    """The configured block writer; ``keepalive`` (the daemon's) is called while it waits to retry."""
    from connectors import base

    cls = base.writer_class(config.block.writer)
    options = config.block.options or cls.Options()
    context = base.SourceContext(
        name=f"block:{config.block.writer}",
        own_addresses=config.own_addresses,
        data_dir=home.data_dir,
        tokens_dir=home.tokens_dir,
        timezone=clock.zone_name(config.me.timezone),
        now=clock.now,
        **({"keepalive": keepalive} if keepalive else {}),
    )
    return cls(options, context)


def digest(inputs: tuple) -> str:
    """A fingerprint of a block's inputs and of this version (a new version may render differently)."""
    import zlib

    from daemon import __version__

    text = repr((__version__, inputs)).encode()
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"


BLOCK_ERROR = "block_error"  # meta: the failing block write (JSON: writer, since, at, error) until one succeeds


def write_block(store: Store, config: Config, home: Home, day: date, today: date, writer=None,
                restart: bool = False, keepalive=None):
    """Write ``day``'s block unless the same content is already there; None when skipped.

    "Already there" is asked of the writer where it can tell: the .ics file must
    still hold the day's block as written, so a file deleted meanwhile, or a
    ``[block] path`` changed since, is written again. A failed write
    (``ConnectorError``, ``OSError``) is remembered for ``status`` (``BLOCK_ERROR``)
    and raised; the next write that succeeds, or finds the block in place, forgets it.

    When the writer says the user deleted our series, block writing stops (the
    ``block_stopped`` mark) until ``connect5 today --restart-block``.
    """
    from connectors.base import BlockSeriesDeleted, ConnectorError

    if day < today:
        return None
    name = config.block.writer
    if name == "ics":  # even when nothing is written below: a `chmod 644` since is undone (docs/SECURITY.md)
        from daemon.permissions import keep_private

        try:
            keep_private(ics_path(config, home), "block file")
        except OSError as error:  # a path that cannot be reached: the writer below says so, as a failed write
            log.debug("block file not checked for privacy: %s", error)
    if store.meta("block_stopped") == name and not restart:
        return None
    inputs = block_inputs(store, config, day, today)
    wanted = digest(inputs)
    row = store.query("SELECT digest, state, etag FROM blocks WHERE day = ? AND writer = ?", [day.isoformat(), name])
    if not restart and row and row[0]["state"] in ("user-deleted", "series-deleted"):
        return None
    try:
        if not restart and row and row[0]["digest"] == wanted:
            if _in_place(store, config, home, writer, day, row[0]["etag"] or ""):
                _forget_block_error(store)
                return None
            log.info("the block of %s is no longer where it was written: writing it again", day)
        block = render(inputs)
        writer = writer or make_writer(config, home, keepalive)
        try:
            restarting = restart and hasattr(writer, "restart")
            reference = writer.restart(day, block) if restarting else writer.write(day, block)
            if getattr(writer, "started_afresh", False):
                _write_past_days(store, config, writer, day)
        except BlockSeriesDeleted as error:
            from connectors.records import BlockRef

            reference = BlockRef(writer=name, remote_id="", state="series-deleted")
            with store.atomic():
                store.set_meta("block_stopped", name)
                store.log_event("error", f"block writing stopped: {error}", source="block")
    except (ConnectorError, OSError) as error:
        _remember_block_error(store, name, error)
        raise
    with store.atomic():
        if restart:
            store.execute("DELETE FROM meta WHERE key = 'block_stopped'")
        store.execute("DELETE FROM meta WHERE key = ?", [BLOCK_ERROR])
        store.execute(
            "INSERT OR REPLACE INTO blocks (day, writer, remote_id, etag, state, digest, written_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [day.isoformat(), name, reference.remote_id, reference.etag, reference.state, wanted, utc_now()],
        )
        if name == "ics" and writer is not None and hasattr(writer, "holds"):
            store.set_meta(FILE_SEEN, _file_seen(config, home, day, reference.etag))
    return reference


def _write_past_days(store: Store, config: Config, writer, today: date) -> None:
    """Put back the days before ``today`` that a deleted or broken .ics file lost (within its horizon).

    The file is the user's record of whom each day showed; the store still has each
    day's picks. They are rendered as they were picked (each last touch before the
    pick); a failure is only logged.
    """
    from datetime import timedelta

    from connectors.base import ConnectorError

    oldest = today - timedelta(days=getattr(writer.options, "horizon_days", 0))
    days = [parse_day(row["day"]) for row in store.query(
        "SELECT day FROM blocks WHERE writer = 'ics' AND day >= ? AND day < ? ORDER BY day",
        [oldest.isoformat(), today.isoformat()])]
    try:
        for day in days:
            writer.write(day, render(block_inputs(store, config, day, day, as_picked=True)))
    except (ConnectorError, OSError) as error:  # the day's own block is written: the rest is a bonus
        log.warning("the days before %s were not written again into the block file: %s", today, error)
        return
    if days:
        log.warning("the block file had lost the days before %s: wrote %d of them again", today, len(days))


FILE_SEEN = "block_file_seen"  # meta: the .ics block file as last known to hold the block (see _file_seen)


def _in_place(store: Store, config: Config, home: Home, writer, day: date, etag: str) -> bool:
    """Whether the block recorded as written for ``day`` is still there, where the writer can tell.

    The .ics writer looks at its file (``holds``), but only when the file changed
    since it was last found holding the block (path, time, size and inode as
    remembered in ``FILE_SEEN``): a repeated ``connect5 today`` costs a stat, not
    a parse. A remote calendar is not asked here: its writer finds a deleted event
    itself at the next write.
    """
    if config.block.writer == "ics" and writer is None:
        seen = _file_seen(config, home, day, etag)
        if seen and store.meta(FILE_SEEN) == seen:
            return True
        writer = make_writer(config, home)
        if writer.holds(day, etag):
            with store.atomic():
                store.set_meta(FILE_SEEN, seen)
            return True
        return False
    holds = getattr(writer, "holds", None)
    return holds(day, etag) if holds is not None else True


def _file_seen(config: Config, home: Home, day: date, etag: str | None) -> str:
    """The .ics block file as it is now, with the block it should hold; "" when it is not there."""
    path = ics_path(config, home)
    try:
        status = path.stat()
    except OSError:
        return ""
    return f"{path}|{status.st_mtime_ns}|{status.st_size}|{status.st_ino}|{day}|{etag or ''}"


def block_file_problem(config: Config, home: Home, day: date, etag: str = "") -> str:
    """Why the .ics block file does not hold ``day``'s block as written, in words ("" when it does).

    For ``status`` (and the daemon's look between mornings): "" for the other writers.
    """
    from connectors.base import ConnectorError

    if config.block.writer != "ics":
        return ""
    path = ics_path(config, home)
    try:
        if make_writer(config, home).holds(day, etag):
            return ""
    except ConnectorError as error:
        return str(error)
    if not path.exists():
        return f"the block file {path} is missing"
    return f"the block file {path} does not hold the block of {day} as written"


def block_gone(store: Store, config: Config, home: Home, day: date) -> str:
    """``block_file_problem`` for the block written for ``day``: "" when none was, or it is in place.

    Cheap enough for every daemon cycle: the file is parsed only when it changed
    since it was last found holding the block (``FILE_SEEN``, as ``write_block``
    asks), so a block file deleted after the morning job is written again
    without waiting a day, and an idle daemon does not parse it every cycle.
    """
    row = store.query("SELECT etag, state FROM blocks WHERE day = ? AND writer = ?",
                      [day.isoformat(), config.block.writer])
    if not row or row[0]["state"] in ("user-deleted", "series-deleted"):
        return ""
    from connectors.base import ConnectorError

    etag = row[0]["etag"] or ""
    try:
        if config.block.writer != "ics" or _in_place(store, config, home, None, day, etag):
            return ""
    except ConnectorError as error:  # the file cannot be read: the write says so
        return str(error)
    return block_file_problem(config, home, day, etag) or f"the block file {ics_path(config, home)} changed"


def block_error(store: Store) -> dict[str, str] | None:
    """The failing block write (writer, since, at, error), or None when the last one succeeded."""
    import json

    text = store.meta(BLOCK_ERROR)
    return json.loads(text) if text else None


def _remember_block_error(store: Store, writer: str, error: Exception) -> None:
    import json

    now = utc_now()
    with store.atomic():  # a busy store raises here: the daemon's morning job tries again, as for any busy write
        earlier = block_error(store)
        since = earlier["since"] if earlier and earlier.get("writer") == writer else now
        store.set_meta(BLOCK_ERROR, json.dumps({"writer": writer, "since": since, "at": now, "error": str(error)}))


def _forget_block_error(store: Store) -> None:
    if store.meta(BLOCK_ERROR) is not None:
        with store.atomic():
            store.execute("DELETE FROM meta WHERE key = ?", [BLOCK_ERROR])


def ics_path(config: Config, home: Home) -> Path:
    options = config.block.options
    path = getattr(options, "path", "") if options else ""
    if not path:
        return home.ics_path
    return Path(path).expanduser()
