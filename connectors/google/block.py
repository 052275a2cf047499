"""The daily block in Google Calendar: one recurring series, the day's instance patched.

The series is created once, with an id we choose (base32hex: a-v and 0-9,
5-1024 characters, https://developers.google.com/workspace/calendar/api/v3/reference/events/insert),
so finding it again needs no local state and a retried insert cannot make a
second one: Google answers 409 and we read what is there. It is private, five
(``minutes``) minutes at the block's time in an explicit timeZone on the block's
days, and carries the private extended property ``connect5=block``.

Each day the day's instance is found with ``events.instances(originalStart=...)``
and its summary and description are patched, only when they differ, so running
the morning job again writes nothing. The user's edits win: a moved instance keeps
its time ("moved"), a deleted one is not recreated ("user-deleted"), and a deleted
series (Google keeps it readable as "cancelled") raises ``BlockSeriesDeleted``
until ``restart`` starts a new series under the next id
(``connect5block0``, ``connect5block1`` ...).

With ``calendar = "connect5"`` the series lives in connect5's own secondary
calendar, made with the narrow ``calendar.app.created`` scope; with "primary" it
goes in the main calendar and needs ``calendar.events``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors import google
from connectors.base import BlockSeriesDeleted, SourceContext, staying_alive
from connectors.google.calendar import OURS_KEY, OURS_VALUE
from connectors.records import Block, BlockRef

log = logging.getLogger(__name__)

SERIES_PREFIX = "connect5block"
GENERATIONS = 50
SHAPE_KEY = "connect5-shape"
OWN_CALENDAR_MARK = "connect5: the daily Connect 5 block"
RRULE_DAYS = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
WEEKDAYS = list(RRULE_DAYS)
DELETED = ("you deleted the connect5 block series in Google Calendar, so connect5 stopped writing it")


class GoogleBlockWriter:
    """Writes the day's five into the day's instance of connect5's Google Calendar series."""

    @dataclass(frozen=True)
    class Options:
        calendar: str = field(default="primary", metadata={"doc": "primary (your main calendar, scope calendar.events) or connect5 (its own calendar, scope calendar.app.created)"})
        account: str = field(default="", metadata={"doc": "Which Google sign-in to use: tokens/google.json, or google-<account>.json"})
        calendar_endpoint: str = field(default=google.CALENDAR_ENDPOINT, metadata={"doc": "Calendar API base URL, /calendar/v3/ included"})
        token_uri: str = field(default=google.TOKEN_URI, metadata={"doc": "OAuth token endpoint"})
        timeout_seconds: float = field(default=60.0, metadata={"doc": "Seconds to wait for an answer before trying again"})

    @staticmethod
    def scopes(options: GoogleBlockWriter.Options) -> list[str]:
        return [google.CALENDAR_APP_CREATED if options.calendar == "connect5" else google.CALENDAR_EVENTS]

    def __init__(self, options: Options, context: SourceContext):
        self.options = options
        self.context = context
        self._api: Any = None
        self._calendar_id: str | None = None

    @property
    def api(self) -> Any:
        if self._api is None:
            from connectors.google import auth
            from connectors.google.client import GoogleApi

            path = google.token_path(self.context.tokens_dir, self.options.account)
            credentials = auth.credentials(path, self.options.token_uri, self.scopes(self.options), self.options.account)
            self._api = GoogleApi("calendar", "v3", self.options.calendar_endpoint, credentials,
                                  sleep=staying_alive(keepalive=self.context.keepalive),
                                  timeout=self.options.timeout_seconds)
            self._events = self._api.service.events()
        return self._api

    @property
    def events(self) -> Any:
        self.api  # builds the client and its resource objects on first use
        return self._events

    def write(self, day: date, block: Block) -> BlockRef:
        """Put ``block`` on ``day``; idempotent. Raises ``BlockSeriesDeleted`` if the user deleted the series."""
        return self._guarded(day, block, restart=False)

    def restart(self, day: date, block: Block) -> BlockRef:
        """Start a new series after the user deleted ours, then write ``day``."""
        return self._guarded(day, block, restart=True)

    def _guarded(self, day: date, block: Block, restart: bool) -> BlockRef:
        from googleapiclient.errors import HttpError

        try:
            calendar_id = self._calendar(block)
            series = self._series(calendar_id, day, block, restart)
            return self._write_instance(calendar_id, series, day, block)
        except HttpError as error:
            raise google.calendar_refusal(error.resp.status, self.options.account, "the block", error.content) from None
        finally:
            if self._api is not None:
                self._api.close()

    # --- the calendar and the series -------------------------------------------------

    def _calendar(self, block: Block) -> str:
        if self.options.calendar != "connect5":
            return self.options.calendar
        if self._calendar_id is None:
            listing = self.api.execute(self.api.service.calendarList().list())
            for entry in listing.get("items", []):
                if entry.get("description") == OWN_CALENDAR_MARK:
                    self._calendar_id = entry["id"]
                    break
            else:
                body = {"summary": block.title, "description": OWN_CALENDAR_MARK, "timeZone": block.timezone}
                self._calendar_id = self.api.execute(self.api.service.calendars().insert(body=body))["id"]
                log.info("created the %s calendar in Google Calendar", block.title)
        return self._calendar_id

    def _series(self, calendar_id: str, day: date, block: Block, restart: bool) -> dict[str, Any]:
        """Our live series: found by id, created if never made, reconciled with the config."""
        deleted = False
        for generation in range(GENERATIONS):
            series_id = f"{SERIES_PREFIX}{generation}"
            event = self._get(calendar_id, series_id)
            if event is None:
                if deleted and not restart:
                    raise BlockSeriesDeleted(DELETED)
                return self._create(calendar_id, series_id, day, block)
            if event.get("status") != "cancelled":
                return self._reconcile(calendar_id, event, day, block)
            deleted = True
        raise BlockSeriesDeleted(DELETED)

    def _get(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        from googleapiclient.errors import HttpError

        try:
            return self.api.execute(self.events.get(calendarId=calendar_id, eventId=event_id))
        except HttpError as error:
            if error.resp.status in (404, 410):
                return None
            raise

    def _create(self, calendar_id: str, series_id: str, day: date, block: Block) -> dict[str, Any]:
        from googleapiclient.errors import HttpError

        body = {"id": series_id, "summary": block.title, "description": block.series_description,
                "visibility": "private", "reminders": {"useDefault": True},
                "extendedProperties": {"private": {OURS_KEY: OURS_VALUE, SHAPE_KEY: _shape(block)}},
                **_timing(block, _first_day(day, block))}
        try:
            created = self.api.execute(self.events.insert(calendarId=calendar_id, body=body))
            log.info("created the block series %s in Google Calendar", series_id)
            return created
        except HttpError as error:
            if error.resp.status != 409:
                raise
        # 409: it exists after all (an earlier insert whose answer we lost): read and reconcile.
        existing = self._get(calendar_id, series_id)
        if existing is None or existing.get("status") == "cancelled":
            raise BlockSeriesDeleted(DELETED)
        return self._reconcile(calendar_id, existing, day, block)

    def _reconcile(self, calendar_id: str, series: dict[str, Any], day: date, block: Block) -> dict[str, Any]:
        """Follow a changed config (time, length, days, zone); edits made in Google are left alone."""
        private = series.get("extendedProperties", {}).get("private", {})
        if private.get(SHAPE_KEY, _shape(block)) == _shape(block):
            return series
        first = datetime.fromisoformat(series["start"]["dateTime"]).date()
        body = {"extendedProperties": {"private": {**private, SHAPE_KEY: _shape(block)}}, **_timing(block, first)}
        log.info("the block's time or days changed: updating the series")
        return self.api.execute(self.events.patch(calendarId=calendar_id, eventId=series["id"], body=body))

    # --- the day's instance ----------------------------------------------------------------

    def _write_instance(self, calendar_id: str, series: dict[str, Any], day: date, block: Block) -> BlockRef:
        zone = ZoneInfo(series["start"].get("timeZone") or block.timezone)
        at = datetime.fromisoformat(series["start"]["dateTime"])
        at = at.astimezone(zone) if at.tzinfo else at.replace(tzinfo=zone)
        original = datetime.combine(day, at.time(), tzinfo=zone)
        answer = self.api.execute(self.events.instances(
            calendarId=calendar_id, eventId=series["id"], originalStart=original.isoformat(), showDeleted=True))
        instances = answer.get("items", [])
        if not instances or instances[0].get("status") == "cancelled":
            log.info("the block of %s is not in Google Calendar (deleted there?): not recreating it", day)
            remote = instances[0]["id"] if instances else ""
            return BlockRef(writer="google", remote_id=remote, state="user-deleted")
        instance = instances[0]
        moved = _moment(instance["start"]) != _moment(instance["originalStartTime"])
        if instance.get("summary") != block.title or instance.get("description") != block.html:
            instance = self.api.execute(self.events.patch(
                calendarId=calendar_id, eventId=instance["id"], body={"summary": block.title, "description": block.html}))
        return BlockRef(writer="google", remote_id=instance["id"], etag=instance.get("etag", ""),
                        state="moved" if moved else "written")


def _first_day(day: date, block: Block) -> date:
    """The first block day from ``day`` on: the series starts on a day its rule includes."""
    for offset in range(7):
        candidate = day + timedelta(days=offset)
        if WEEKDAYS[candidate.weekday()] in block.weekdays:
            return candidate
    return day


def _timing(block: Block, first: date) -> dict[str, Any]:
    local = block.start.astimezone(ZoneInfo(block.timezone))
    start = datetime.combine(first, local.time())
    end = start + timedelta(minutes=block.minutes)
    days = ",".join(RRULE_DAYS[name] for name in WEEKDAYS if name in block.weekdays)
    return {"start": {"dateTime": start.isoformat(timespec="seconds"), "timeZone": block.timezone},
            "end": {"dateTime": end.isoformat(timespec="seconds"), "timeZone": block.timezone},
            "recurrence": [f"RRULE:FREQ=WEEKLY;BYDAY={days}"]}


def _shape(block: Block) -> str:
    local = block.start.astimezone(ZoneInfo(block.timezone))
    return f"{local:%H:%M}/{block.minutes}/{','.join(block.weekdays)}/{block.timezone}"


def _moment(value: dict[str, Any]) -> datetime | None:
    if "dateTime" not in value:
        return None
    moment = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(value.get("timeZone") or "UTC"))
