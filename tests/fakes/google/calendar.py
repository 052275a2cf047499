"""Fake Google Calendars: events, recurring series and their instances, sync tokens.

Copies https://developers.google.com/workspace/calendar/api/v3/reference/events and
https://developers.google.com/workspace/calendar/api/guides/sync: ``singleEvents``
expands series into instances (``<series>_<UTC start>``), ``nextSyncToken`` comes
only on the last page, a sync token cannot be combined with timeMin/timeMax/q/
orderBy/updatedMin, a stale one is answered 410, incremental results always carry
deleted events (status "cancelled"), a deleted event stays readable as cancelled,
and inserting an id that exists (even deleted) is answered 409. A page token is
good for one use and is answered 400 once expired (``expire_page_tokens``; Google
may expire page tokens when it likes, https://google.aip.dev/158). The organiser
and the attendee that are the calendar read carry ``self: true``, which Google
sets and clients cannot.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil import rrule

from .server import ApiError

EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
HORIZON = timedelta(days=400)
NOT_WITH_SYNC_TOKEN = ("timeMin", "timeMax", "q", "orderBy", "updatedMin", "iCalUID",
                       "privateExtendedProperty", "sharedExtendedProperty")


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str = "UTC"
    description: str = ""
    primary: bool = False
    app_created: bool = False
    events: dict[str, dict] = field(default_factory=dict)
    overrides: dict[str, dict[str, dict]] = field(default_factory=dict)
    generation: int = 0


def parse_time(value: dict) -> datetime:
    """An event time (``dateTime`` or all-day ``date``) as an aware datetime."""
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"])
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(value.get("timeZone", "UTC")))
        return moment
    return datetime.fromisoformat(value["date"]).replace(tzinfo=timezone.utc)


def _query_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "badRequest", f"Bad time: {text}") from None


@dataclass
class Calendars:
    owner: str = "me@example.com"
    now: object = None  # callable returning an aware datetime
    calendars: dict[str, Calendar] = field(default_factory=dict)
    sequence: itertools.count = field(default_factory=lambda: itertools.count(1))
    pages: dict[str, tuple[list[dict], str | None, str]] = field(default_factory=dict)
    latest: int = 0

    def __post_init__(self) -> None:
        self.now = self.now or (lambda: datetime.now(timezone.utc))
        self.calendars.setdefault(self.owner, Calendar(self.owner, self.owner, primary=True))

    def calendar(self, identifier: str) -> Calendar:
        identifier = self.owner if identifier == "primary" else identifier
        if identifier not in self.calendars:
            raise ApiError(404, "notFound", "Not Found")
        return self.calendars[identifier]

    def _stamp(self, event: dict) -> dict:
        event["_seq"] = self.latest = next(self.sequence)
        event["updated"] = self.now().isoformat().replace("+00:00", "Z")
        event["etag"] = f'"{event["_seq"]}"'
        return event

    # --- helpers for tests: what the user does in the Google Calendar app ------

    def put(self, calendar_id: str, event: dict) -> dict:
        """Create or replace ``event`` (as another client or a booking tool would)."""
        calendar = self.calendar(calendar_id)
        event = copy.deepcopy(event)
        event.setdefault("id", secrets.token_hex(10))
        event.setdefault("status", "confirmed")
        event.setdefault("created", self.now().isoformat().replace("+00:00", "Z"))
        event.setdefault("organizer", {"email": calendar.id, "self": True})
        calendar.events[event["id"]] = self._stamp(event)
        return event

    def invalidate_sync_tokens(self, calendar_id: str) -> None:
        self.calendar(calendar_id).generation += 1

    def expire_page_tokens(self) -> None:
        """Forget every page token issued so far, as Google does some time after issuing them."""
        self.pages.clear()

    # --- expansion of series into instances ----------------------------------

    def _instances(self, calendar: Calendar, master: dict, low: datetime, high: datetime) -> list[dict]:
        start, end = parse_time(master["start"]), parse_time(master["end"])
        zone = master["start"].get("timeZone", calendar.time_zone)
        local_start = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        rule = rrule.rrulestr("\n".join(master["recurrence"]), dtstart=local_start, forceset=True)
        overrides = calendar.overrides.get(master["id"], {})
        found = []
        for local in rule.between(low.astimezone(ZoneInfo(zone)).replace(tzinfo=None),
                                  high.astimezone(ZoneInfo(zone)).replace(tzinfo=None), inc=True):
            found.append(self._instance(master, local.replace(tzinfo=ZoneInfo(zone)), end - start, zone,
                                        overrides))
        return found

    @staticmethod
    def _instance(master: dict, original: datetime, length: timedelta, zone: str, overrides: dict) -> dict:
        identifier = f"{master['id']}_{original.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"
        instance = {key: copy.deepcopy(value) for key, value in master.items() if key != "recurrence"}
        when = {"dateTime": original.isoformat(), "timeZone": zone}
        instance.update(id=identifier, recurringEventId=master["id"], originalStartTime=when,
                        start=dict(when), end={"dateTime": (original + length).isoformat(), "timeZone": zone})
        override = overrides.get(identifier)
        if override:
            instance.update(copy.deepcopy(override))
            instance["_seq"] = max(master["_seq"], override["_seq"])
            instance["etag"] = f'"{instance["_seq"]}"'
        if master.get("status") == "cancelled":
            instance["status"] = "cancelled"
        return instance

    def _expanded(self, calendar: Calendar, low: datetime, high: datetime, single: bool) -> list[dict]:
        items = []
        for event in calendar.events.values():
            if single and event.get("recurrence"):
                items.extend(self._instances(calendar, event, low, high))
                continue
            if "start" in event and not event.get("recurrence") and parse_time(event["end"]) < low:
                continue
            items.append(event)
        return sorted(items, key=lambda item: (item["_seq"], item["id"]))

    def _find(self, calendar: Calendar, identifier: str) -> dict | None:
        if identifier in calendar.events:
            return calendar.events[identifier]
        master_id, _, stamp = identifier.rpartition("_")
        master = calendar.events.get(master_id)
        if master is None or not master.get("recurrence"):
            return None
        moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        for instance in self._instances(calendar, master, moment, moment):
            if instance["id"] == identifier:
                return instance
        return None

    # --- the API -----------------------------------------------------------

    def list_events(self, calendar_id: str, query: dict) -> dict:
        calendar = self.calendar(calendar_id)
        size = max(1, min(2500, int(query.get("maxResults", ["250"])[0])))
        if query.get("pageToken"):
            return self._next_page(query["pageToken"][0], size)
        single = query.get("singleEvents", ["false"])[0] == "true"
        if query.get("syncToken"):
            if any(query.get(name) for name in NOT_WITH_SYNC_TOKEN):
                raise ApiError(400, "invalid", "Sync token cannot be combined with time or query filters.")
            low, since = self._read_sync_token(calendar, query["syncToken"][0], single)
            items = [item for item in self._expanded(calendar, low, self.now() + HORIZON, single)
                     if item["_seq"] > since]
        else:
            low = _query_time(query["timeMin"][0]) if query.get("timeMin") else datetime(1970, 1, 1, tzinfo=timezone.utc)
            high = _query_time(query["timeMax"][0]) if query.get("timeMax") else self.now() + HORIZON
            items = [item for item in self._expanded(calendar, low, high, single) if _within(item, low, high)]
            if query.get("showDeleted", ["false"])[0] != "true":
                items = [item for item in items if item.get("status") != "cancelled"]
            for wanted in query.get("privateExtendedProperty", []):
                name, _, value = wanted.partition("=")
                items = [item for item in items
                         if item.get("extendedProperties", {}).get("private", {}).get(name) == value]
        token = _encode({"calendar": calendar.id, "generation": calendar.generation, "low": low.isoformat(),
                         "seq": self._last_seq(), "single": single})
        first = secrets.token_hex(8)
        self.pages[first] = (items, token, calendar.id)
        return self._next_page(first, size)

    def _last_seq(self) -> int:
        return self.latest

    def _read_sync_token(self, calendar: Calendar, token: str, single: bool) -> tuple[datetime, int]:
        state = _decode(token)
        if (not state or state.get("calendar") != calendar.id or state.get("generation") != calendar.generation
                or state.get("single") != single):
            raise ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
        return datetime.fromisoformat(state["low"]), int(state["seq"])

    def _next_page(self, key: str, size: int) -> dict:
        if key not in self.pages:
            raise ApiError(400, "invalid", "Invalid page token value.")
        items, sync_token, calendar_id = self.pages.pop(key)
        answer: dict = {"kind": "calendar#events", "items": [_clean(item, calendar_id) for item in items[:size]]}
        if len(items) > size:
            following = secrets.token_hex(8)
            self.pages[following] = (items[size:], sync_token, calendar_id)
            answer["nextPageToken"] = following
        else:
            answer["nextSyncToken"] = sync_token
        return answer

    def get_event(self, calendar_id: str, event_id: str) -> dict:
        calendar = self.calendar(calendar_id)
        event = self._find(calendar, event_id)
        if event is None:
            raise ApiError(404, "notFound", "Not Found")
        return _clean(event, calendar.id)

    def insert_event(self, calendar_id: str, body: dict) -> dict:
        calendar = self.calendar(calendar_id)
        identifier = body.get("id") or secrets.token_hex(13)
        if not EVENT_ID.fullmatch(identifier):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        if identifier in calendar.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        event = {**copy.deepcopy(body), "id": identifier, "status": body.get("status", "confirmed"),
                 "created": self.now().isoformat().replace("+00:00", "Z"), "iCalUID": f"{identifier}@google.com",
                 "organizer": {"email": calendar.id, "self": True}, "creator": {"email": self.owner, "self": True}}
        calendar.events[identifier] = self._stamp(event)
        return _clean(event, calendar.id)

    def patch_event(self, calendar_id: str, event_id: str, body: dict) -> dict:
        calendar = self.calendar(calendar_id)
        if event_id in calendar.events:
            calendar.events[event_id].update(copy.deepcopy(body))
            return _clean(self._stamp(calendar.events[event_id]), calendar.id)
        if self._find(calendar, event_id) is None:
            raise ApiError(404, "notFound", "Not Found")
        master_id = event_id.rpartition("_")[0]
        override = calendar.overrides.setdefault(master_id, {}).setdefault(event_id, {})
        override.update(copy.deepcopy(body))
        self._stamp(override)
        return _clean(self._find(calendar, event_id), calendar.id)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        event = self._find(self.calendar(calendar_id), event_id)
        if event is None:
            raise ApiError(404, "notFound", "Not Found")
        if event.get("status") == "cancelled":
            raise ApiError(410, "deleted", "Resource has been deleted")
        self.patch_event(calendar_id, event_id, {"status": "cancelled"})

    def instances(self, calendar_id: str, event_id: str, query: dict) -> dict:
        calendar = self.calendar(calendar_id)
        master = calendar.events.get(event_id)
        if master is None:
            raise ApiError(404, "notFound", "Not Found")
        if query.get("originalStart"):
            low = high = _query_time(query["originalStart"][0])
        else:
            low = _query_time(query["timeMin"][0]) if query.get("timeMin") else parse_time(master["start"])
            high = _query_time(query["timeMax"][0]) if query.get("timeMax") else self.now() + HORIZON
        items = self._instances(calendar, master, low, high) if master.get("recurrence") else []
        if query.get("showDeleted", ["false"])[0] != "true":
            items = [item for item in items if item.get("status") != "cancelled"]
        return {"kind": "calendar#events", "items": [_clean(item, calendar.id) for item in items]}

    def calendar_list(self, app_created_only: bool) -> dict:
        return {"kind": "calendar#calendarList", "items": [
            {"id": c.id, "summary": c.summary, "description": c.description, "timeZone": c.time_zone,
             "primary": c.primary, "accessRole": "owner"}
            for c in self.calendars.values() if c.app_created or not app_created_only]}

    def insert_calendar(self, body: dict) -> dict:
        identifier = secrets.token_hex(12) + "@group.calendar.google.com"
        calendar = Calendar(identifier, body.get("summary", ""), body.get("timeZone", "UTC"),
                            body.get("description", ""), app_created=True)
        self.calendars[identifier] = calendar
        return {"id": identifier, "summary": calendar.summary, "description": calendar.description,
                "timeZone": calendar.time_zone}

    def is_app_created(self, calendar_id: str) -> bool:
        return self.calendar(calendar_id).app_created


def _within(item: dict, low: datetime, high: datetime) -> bool:
    if "start" not in item:
        return True
    return parse_time(item["end"]) >= low and parse_time(item["start"]) < high


def _clean(event: dict, calendar_id: str) -> dict:
    """``event`` as Google shows it on ``calendar_id``: no private keys, ``self`` set by Google alone."""
    shown = {key: value for key, value in event.items() if not key.startswith("_")}
    if "organizer" in shown:
        shown["organizer"] = _seen_from(calendar_id, shown["organizer"])
    if "attendees" in shown:
        shown["attendees"] = [_seen_from(calendar_id, person) for person in shown["attendees"]]
    return shown


def _seen_from(calendar_id: str, person: dict) -> dict:
    """An organiser or attendee entry, with ``self: true`` when it is the calendar read (read-only for clients)."""
    entry = {key: value for key, value in person.items() if key != "self"}
    if entry.get("email", "").lower() == calendar_id.lower():
        entry["self"] = True
    return entry


def _encode(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode(token: str) -> dict | None:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        return None
