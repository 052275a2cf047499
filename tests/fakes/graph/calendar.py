"""The fake calendar: events, weekly series and Graph's calendarView delta.

Behaves as https://learn.microsoft.com/graph/api/event-delta documents and as
the service is observed to: ``calendarView/delta`` lists instances (single
events, occurrences, exceptions) overlapping the window, never series masters;
it accepts no ``$select`` (so it would return bodies); an unmodified occurrence
comes back skeletal (id, seriesMasterId, type, start, end — see
microsoftgraph/microsoft-graph-docs#22197); removed instances come back as
``@removed``. Series expand weekly in their own zone. ``transactionId`` makes a
retried POST return the event created the first time.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import threading
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .mail import GoneError

DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def parse_graph_time(value: dict | str) -> datetime:
    """A dateTimeTimeZone (or an ISO string with offset) as an aware datetime."""
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    text = value["dateTime"].rstrip("Z")
    if "." in text:
        text = text.split(".")[0]
    zone = value.get("timeZone") or "UTC"
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone) if zone != "UTC" else timezone.utc)


def graph_time(value: datetime) -> dict:
    utc = value.astimezone(timezone.utc)
    return {"dateTime": utc.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


class NotFoundError(Exception):
    """No such event (404 ErrorItemNotFound)."""


class Calendar:
    """The primary calendar of the fake mailbox."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.events: dict[str, dict] = {}
        self.generation = 0
        self.rounds: dict[str, dict] = {}
        self.deltas: dict[str, dict] = {}
        self._ids = itertools.count(1)

    # -- what tests (and POST) do -------------------------------------------------------

    def create(self, body: dict) -> tuple[dict, bool]:
        """Store an event from a POST body; (event, created). Honors transactionId."""
        with self.lock:
            transaction = body.get("transactionId")
            if transaction:
                for event in self.events.values():
                    if event.get("transactionId") == transaction:
                        return self.render_master(event), False
            event_id = f"AAMkEVT{next(self._ids):06d}"
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            event = {
                "id": event_id, "subject": "", "categories": [], "sensitivity": "normal",
                "attendees": [], "isCancelled": False, "showAs": "busy",
                "organizer": {"emailAddress": {"address": "me@example.com", "name": "Me"}},
                "body": {"contentType": "text", "content": ""},
                "createdDateTime": now, "lastModifiedDateTime": now,
                **copy.deepcopy(body),
                "_overrides": {}, "_cancelled": set(),
            }
            event["type"] = "seriesMaster" if event.get("recurrence") else "singleInstance"
            self.events[event_id] = event
            return self.render_master(event), True

    def add_event(self, subject: str, start: datetime, minutes: int = 30, attendees=(), **fields) -> str:
        body = {
            "subject": subject, "start": graph_time(start), "end": graph_time(start + timedelta(minutes=minutes)),
            "attendees": [_attendee(*a) for a in attendees],
            "body": {"contentType": "html", "content": "<p>private agenda</p>"}, **fields,
        }
        return self.create(body)[0]["id"]

    def add_series(self, subject: str, start: datetime, days=("monday",), minutes: int = 30, attendees=(), **fields) -> str:
        zone = getattr(start.tzinfo, "key", "UTC")
        local = start.replace(tzinfo=None).isoformat()
        end = (start + timedelta(minutes=minutes)).replace(tzinfo=None).isoformat()
        body = {
            "subject": subject, "start": {"dateTime": local, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}, "attendees": [_attendee(*a) for a in attendees],
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": list(days)},
                "range": {"type": "noEnd", "startDate": start.date().isoformat(), "recurrenceTimeZone": zone},
            }, **fields,
        }
        return self.create(body)[0]["id"]

    def patch(self, event_id: str, changes: dict) -> dict:
        with self.lock:
            master, day = self._locate(event_id)
            stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            if day is None:
                master.update(copy.deepcopy(changes))
                master["lastModifiedDateTime"] = stamp
                return self.render_master(master)
            master["_overrides"].setdefault(day, {}).update(copy.deepcopy(changes))
            master["_overrides"][day]["lastModifiedDateTime"] = stamp
            return self.render_instance(master, date.fromisoformat(day))

    def delete(self, event_id: str) -> None:
        with self.lock:
            master, day = self._locate(event_id)
            if day is None:
                del self.events[master["id"]]
            else:
                master["_cancelled"].add(day)

    def move_occurrence(self, series_id: str, day: date, new_start: datetime) -> None:
        """The user drags one occurrence to another time."""
        master = self.events[series_id]
        length = parse_graph_time(master["end"]) - parse_graph_time(master["start"])
        self.patch(instance_id(series_id, day), {"start": graph_time(new_start), "end": graph_time(new_start + length)})

    def expire_tokens(self) -> None:
        with self.lock:
            self.generation += 1

    # -- reading ------------------------------------------------------------------------

    def get(self, event_id: str) -> dict:
        with self.lock:
            master, day = self._locate(event_id)
            return self.render_master(master) if day is None else self.render_instance(master, date.fromisoformat(day))

    def with_property(self, property_id: str, value: str) -> list[dict]:
        with self.lock:
            return [
                self.render_master(e) for e in self.events.values()
                if any(p.get("id", "").lower() == property_id.lower() and p.get("value") == value
                       for p in e.get("singleValueExtendedProperties", []))
            ]

    def instances(self, series_id: str, start: datetime, end: datetime) -> list[dict]:
        with self.lock:
            if series_id not in self.events:
                raise NotFoundError(series_id)
            master = self.events[series_id]
            return [self.render_instance(master, day) for day in self._days(master, start, end)
                    if _overlaps(self.render_instance(master, day), start, end)]

    def view(self, start: datetime, end: datetime) -> dict[str, dict]:
        """Every instance overlapping [start, end): id -> full rendering."""
        with self.lock:
            result = {}
            for event in self.events.values():
                if event["type"] == "singleInstance":
                    rendered = self.render_master(event)
                    if _overlaps(rendered, start, end):
                        result[event["id"]] = rendered
                    continue
                for day in self._days(event, start - timedelta(days=2), end + timedelta(days=2)):
                    rendered = self.render_instance(event, day)
                    if _overlaps(rendered, start, end):
                        result[rendered["id"]] = rendered
            return result

    def render_master(self, event: dict) -> dict:
        rendered = {k: copy.deepcopy(v) for k, v in event.items() if not k.startswith("_")}
        if event.get("recurrence"):
            rendered["cancelledOccurrences"] = sorted(event["_cancelled"])
        for key in ("start", "end"):
            rendered[key] = _rendered_time(event, event[key])
        return rendered

    def render_instance(self, master: dict, day: date) -> dict:
        rendered = self.render_master(master)
        rendered.pop("recurrence", None)
        rendered.pop("cancelledOccurrences", None)
        length = parse_graph_time(master["end"]) - parse_graph_time(master["start"])
        original = self._original_start(master, day)
        rendered.update({
            "id": instance_id(master["id"], day), "seriesMasterId": master["id"], "type": "occurrence",
            "originalStart": original.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start": _rendered_time(master, original), "end": _rendered_time(master, original + length),
        })
        overrides = master["_overrides"].get(day.isoformat())
        if overrides:
            rendered.update(copy.deepcopy(overrides))
            rendered["type"] = "exception"
            for key in ("start", "end"):
                rendered[key] = _rendered_time(rendered, rendered[key])
        return rendered

    # -- calendarView/delta ----------------------------------------------------------------

    def start_round(self, start: datetime, end: datetime) -> dict:
        with self.lock:
            view = self.view(start, end)
            return {"window": (start, end), "items": [_skeleton(v) for v in view.values()],
                    "snapshot": {k: _fingerprint(v) for k, v in view.items()}, "offset": 0,
                    "generation": self.generation}

    def resume_delta(self, token: str) -> dict:
        with self.lock:
            saved = self.deltas.get(token)
            if saved is None or saved["generation"] != self.generation:
                raise GoneError(token)
            start, end = saved["window"]
            view = self.view(start, end)
            snapshot = {k: _fingerprint(v) for k, v in view.items()}
            items = [{"id": k, "@removed": {"reason": "deleted"}} for k in saved["snapshot"] if k not in view]
            items += [_skeleton(v) for k, v in view.items() if saved["snapshot"].get(k) != snapshot[k]]
            return {"window": (start, end), "items": items, "snapshot": snapshot, "offset": 0,
                    "generation": self.generation}

    def resume_round(self, token: str) -> dict:
        with self.lock:
            round_ = self.rounds.get(token)
            if round_ is None or round_["generation"] != self.generation:
                raise GoneError(token)
            return round_

    def page(self, round_: dict, size: int) -> tuple[list[dict], str | None, str | None]:
        with self.lock:
            offset = round_["offset"]
            items = round_["items"][offset : offset + size]
            if offset + size < len(round_["items"]):
                token = f"cskip{next(self._ids)}"
                self.rounds[token] = {**round_, "offset": offset + size}
                return items, token, None
            token = f"cdelta{next(self._ids)}"
            self.deltas[token] = {"window": round_["window"], "snapshot": round_["snapshot"],
                                  "generation": round_["generation"]}
            return items, None, token

    # -- helpers ------------------------------------------------------------------------

    def _locate(self, event_id: str) -> tuple[dict, str | None]:
        if event_id in self.events:
            return self.events[event_id], None
        series, _, stamp = event_id.rpartition("_OCC")
        if series in self.events and stamp:
            day = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))
            master = self.events[series]
            if day.isoformat() not in master["_cancelled"] and day in self._days(master, *_day_bounds(day, master)):
                return master, day.isoformat()
        raise NotFoundError(event_id)

    def _original_start(self, master: dict, day: date) -> datetime:
        first = parse_graph_time(master["start"])
        return datetime.combine(day, first.timetz().replace(tzinfo=None), tzinfo=first.tzinfo)

    def _days(self, master: dict, start: datetime, end: datetime) -> list[date]:
        pattern, range_ = master["recurrence"]["pattern"], master["recurrence"]["range"]
        wanted = {DAY_NAMES.index(d.lower()) for d in pattern["daysOfWeek"]}
        first = date.fromisoformat(range_["startDate"])
        last = date.fromisoformat(range_["endDate"]) if range_.get("type") == "endDate" else None
        day, days = max(first, (start - timedelta(days=1)).date()), []
        while day <= (end + timedelta(days=1)).date():
            if day.weekday() in wanted and (last is None or day <= last) and day.isoformat() not in master["_cancelled"]:
                days.append(day)
            day += timedelta(days=1)
        return days


def _rendered_time(event: dict, value: dict | datetime) -> dict:
    """A start or end as Graph answers without ``Prefer: outlook.timezone``: in UTC.

    An all-day event is floating: Graph gives its dates as midnight labelled "UTC",
    whatever zone it was made in (https://learn.microsoft.com/graph/api/resources/event,
    isAllDay; start and end "must be set to midnight").
    """
    moment = value if isinstance(value, datetime) else parse_graph_time(value)
    if event.get("isAllDay"):
        return {"dateTime": moment.strftime("%Y-%m-%dT00:00:00.0000000"), "timeZone": "UTC"}
    return graph_time(moment)


def instance_id(series_id: str, day: date) -> str:
    return f"{series_id}_OCC{day.strftime('%Y%m%d')}"


def _day_bounds(day: date, master: dict) -> tuple[datetime, datetime]:
    zone = parse_graph_time(master["start"]).tzinfo
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


def _attendee(email: str, response: str = "none", name: str = "") -> dict:
    return {
        "type": "required",
        "status": {"response": response, "time": "0001-01-01T00:00:00Z"},
        "emailAddress": {"address": email, "name": name or email.split("@")[0]},
    }


def _overlaps(event: dict, start: datetime, end: datetime) -> bool:
    return parse_graph_time(event["start"]) < end and parse_graph_time(event["end"]) > start


def _fingerprint(event: dict) -> str:
    return hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()


def _skeleton(event: dict) -> dict:
    if event.get("type") == "occurrence":
        return {key: event[key] for key in ("id", "seriesMasterId", "type", "start", "end")}
    return event
