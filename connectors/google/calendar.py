"""Google Calendar as a calendar source: instances of the selected calendars, kept by sync token.

Per calendar, the first sync lists ``events.list(singleEvents=true, timeMin=...)``
page by page; the last page carries ``nextSyncToken``, and every later sync sends
only that token (it cannot be combined with timeMin/timeMax/q/orderBy/updatedMin,
https://developers.google.com/workspace/calendar/api/guides/sync). Incremental
answers include deleted events and instances as status "cancelled". A 410 means
the token is no longer valid: ``CursorExpired``, so the daemon forgets this
source's items and calls ``sync(None)``, whose first batch is a full resync.

A page token kept in the cursor may have expired by the time it is sent again
(Google answers 400). An incremental listing then starts again from its sync
token, which says exactly where it began; a full listing cannot (events deleted
since its first pages were read would never be reported), so it raises
``CursorExpired``. Either happens once per calendar and call: a token refused
again is an error like any other, never a loop.

Google sets ``self: true`` on the organiser and attendee entries that stand for
the calendar being read (https://developers.google.com/workspace/calendar/api/v3/reference/events).
A watched calendar is the user's, so those entries are the user even when their
address is not among ``[me] emails`` (a second Google address): they come out
with an own address, which is how rules know that we declined or organised it.

connect5's own block carries the private extended property ``connect5=block``
(see ``block``) and comes out with ``ours=True``, which rules ignore.

The cursor is JSON: per calendar id, its sync token and the page token of a sync
in progress.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from connectors import google
from connectors.base import CursorExpired, SourceContext, staying_alive
from connectors.records import Attendee, Batch, CalendarItem, replace

log = logging.getLogger(__name__)

OURS_KEY, OURS_VALUE = "connect5", "block"
PAGE_SIZE = 2500  # the most events.list gives in one page
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
STATUSES = {"accepted", "declined", "tentative", "needsAction"}


class GoogleCalendarSource:
    """Events of one or more Google calendars, read-only."""

    kind = "calendar"

    @dataclass(frozen=True)
    class Options:
        account: str = field(default="", metadata={"doc": "Which Google sign-in to use: tokens/google.json, or google-<account>.json"})
        calendars: list[str] = field(default_factory=lambda: ["primary"], metadata={"doc": "Calendar ids to watch; primary is your main calendar"})
        past_days: int = field(default=365, metadata={"doc": "How far back the first sync reads"})
        poll_seconds: int = field(default=60, metadata={"doc": "Seconds between checks"})
        calendar_endpoint: str = field(default=google.CALENDAR_ENDPOINT, metadata={"doc": "Calendar API base URL, /calendar/v3/ included"})
        token_uri: str = field(default=google.TOKEN_URI, metadata={"doc": "OAuth token endpoint"})
        timeout_seconds: float = field(default=60.0, metadata={"doc": "Seconds to wait for an answer before trying again"})

    @staticmethod
    def scopes(options: GoogleCalendarSource.Options) -> list[str]:
        return [google.CALENDAR_EVENTS_READONLY]

    def __init__(self, options: Options, context: SourceContext, *, sleep: Callable[[float], None] = time.sleep):
        self.options = options
        self.context = context
        self.sleep = sleep
        self._api: Any = None
        self._own_addresses = frozenset(address.strip().lower() for address in context.own_addresses) - {""}
        # The address our own entries come out with: the lowest, as the Outlook connector's.
        self._own = min(self._own_addresses, default="")

    @property
    def api(self) -> Any:
        if self._api is None:
            from connectors.google import auth
            from connectors.google.client import GoogleApi

            path = google.token_path(self.context.tokens_dir, self.options.account)
            credentials = auth.credentials(path, self.options.token_uri, self.scopes(self.options), self.options.account)
            sleep = staying_alive(self.sleep, self.context.keepalive)
            self._api = GoogleApi("calendar", "v3", self.options.calendar_endpoint, credentials, sleep=sleep,
                                  timeout=self.options.timeout_seconds)
            self._events = self._api.service.events()
        return self._api

    def sync(self, cursor: str | None) -> Iterator[Batch[CalendarItem]]:
        from googleapiclient.errors import HttpError

        state = _load(cursor)
        first = cursor is None
        try:
            for calendar_id in self.options.calendars:
                for batch in self._sync_one(calendar_id, state):
                    yield Batch(batch.items, json.dumps({"v": 1, "calendars": state}), full_resync=first)
                    first = False
        except HttpError as error:
            if error.resp.status == 410:
                log.warning("Google Calendar sync token for %s expired: full resync", calendar_id)
                raise CursorExpired(f"sync token of calendar {calendar_id} expired") from None
            raise google.calendar_refusal(error.resp.status, self.options.account, "access", error.content) from None
        finally:
            if self._api is not None:
                self._api.close()

    def _sync_one(self, calendar_id: str, state: dict[str, dict]) -> Iterator[Batch[CalendarItem]]:
        """Pages of one calendar; ``state[calendar_id]`` is updated before each is yielded."""
        from googleapiclient.errors import HttpError

        mine = state.setdefault(calendar_id, {"sync": None, "page": None})
        restarted = False
        while True:
            try:
                page = self.api.execute(self._events.list(**self._arguments(calendar_id, mine)))
            except HttpError as error:
                if restarted or not google.page_token_refused(error.resp.status, mine.get("page")):
                    raise
                self._start_again(calendar_id, mine)
                restarted = True
                continue
            items = tuple(self._item(calendar_id, event) for event in page.get("items", []))
            if page.get("nextPageToken"):
                mine["page"] = page["nextPageToken"]
            else:
                mine.update(page=None, sync=page.get("nextSyncToken"))
            yield Batch(items, None)
            if not mine["page"]:
                return

    def _arguments(self, calendar_id: str, mine: dict[str, Any]) -> dict[str, Any]:
        arguments: dict[str, Any] = {"calendarId": calendar_id, "singleEvents": True, "maxResults": PAGE_SIZE}
        if mine.get("page"):
            arguments["pageToken"] = mine["page"]
        if mine.get("sync"):
            arguments["syncToken"] = mine["sync"]
        else:
            since = self.context.now().astimezone(timezone.utc) - timedelta(days=self.options.past_days)
            arguments["timeMin"] = since.isoformat().replace("+00:00", "Z")
        return arguments

    @staticmethod
    def _start_again(calendar_id: str, mine: dict[str, Any]) -> None:
        """Google refused the page token of ``calendar_id``'s listing: begin that listing again."""
        if not mine.get("sync"):
            log.warning("Google Calendar refused the page token of the full sync of %s: full resync", calendar_id)
            raise CursorExpired(f"page token of calendar {calendar_id} refused during a full sync") from None
        log.warning("Google Calendar refused a page token of %s: reading from its sync token again", calendar_id)
        mine["page"] = None

    def _item(self, calendar_id: str, event: dict[str, Any]) -> CalendarItem:
        zone = ZoneInfo(self.context.timezone or "UTC")
        start = _when(event.get("start") or event.get("originalStartTime"), zone)
        end = _when(event.get("end"), zone) if event.get("end") else start
        external_id = event["id"] if calendar_id == "primary" else f"{calendar_id}/{event['id']}"
        private = event.get("extendedProperties", {}).get("private", {})
        organizer = event.get("organizer")
        return CalendarItem(
            source=self.context.name,
            external_id=external_id,
            start=start,
            end=end,
            title=event.get("summary", ""),
            series_id=event.get("recurringEventId", ""),
            organizer=self._ours(organizer, Attendee(organizer.get("email", "").lower(),
                                                     organizer.get("displayName", ""), "organizer"))
            if organizer else None,
            attendees=tuple(self._ours(person, _attendee(person)) for person in event.get("attendees", [])),
            status=event.get("status", "confirmed") if event.get("status") in ("tentative", "cancelled") else "confirmed",
            created=_stamp(event.get("created")),
            updated=_stamp(event.get("updated")),
            ours=private.get(OURS_KEY) == OURS_VALUE,
        )

    def _ours(self, entry: dict[str, Any], person: Attendee) -> Attendee:
        """``person``, with an own address when Google marks its ``entry`` as the calendar's own."""
        if not entry.get("self") or not self._own or person.email in self._own_addresses:
            return person
        return replace(person, email=self._own)


def _load(cursor: str | None) -> dict[str, dict]:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        return dict(data["calendars"])
    except (ValueError, KeyError, TypeError):
        raise CursorExpired("unreadable Google Calendar cursor") from None


def _when(value: dict[str, Any] | None, zone: ZoneInfo) -> datetime:
    """An event time as aware UTC; an all-day date is midnight in the user's zone."""
    if not value:
        return EPOCH
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(value.get("timeZone") or "UTC"))
        return moment.astimezone(timezone.utc)
    day = date.fromisoformat(value["date"])
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(timezone.utc)


def _stamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def _attendee(person: dict[str, Any]) -> Attendee:
    status = person.get("responseStatus", "unknown")
    if person.get("organizer"):
        status = "organizer"
    elif status not in STATUSES:
        status = "unknown"
    return Attendee(person.get("email", "").lower(), person.get("displayName", ""), status)
