"""Outlook calendar as a source: ``calendarView/delta`` over a moving window.

The window runs from ``backfill_months`` back to ``months_ahead`` ahead
(https://learn.microsoft.com/graph/delta-query-events). Its delta lists
instances — single events, occurrences and exceptions — never series masters,
does not accept ``$select`` (so it carries bodies, which are dropped here
unread), and in practice returns unmodified occurrences as a skeleton (id,
seriesMasterId, type, start, end; microsoftgraph/microsoft-graph-docs#22197).
The title, organizer, attendees and the mark of our own block come from each
series master, fetched with ``$select`` (no body) in ``$batch``es of 20.

The cursor is JSON: ``{"version": 1, "window": [start, end], "phase", "link"}``.
When the ideal window has moved more than ``WINDOW_SLACK`` from the cursor's,
the old delta is drained and a new window's round starts (items are upserts, so
nothing is forgotten). An expired token raises ``CursorExpired``: removals in
the gap cannot be known otherwise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from connectors.base import CursorExpired, SourceContext
from connectors.outlook import BLOCK_PROPERTY_ID, BLOCK_PROPERTY_VALUE, AccountOptions
from connectors.outlook.mail import EPOCH, graph_datetime, months_before
from connectors.records import Attendee, Batch, CalendarItem

log = logging.getLogger(__name__)

WINDOW_SLACK = timedelta(days=7)
MASTER_SELECT = (
    "subject,organizer,attendees,responseStatus,categories,isCancelled,isAllDay,createdDateTime,"
    "lastModifiedDateTime,type"
)
RESPONSES = {
    "accepted": "accepted", "declined": "declined", "tentativelyAccepted": "tentative",
    "organizer": "organizer", "none": "needsAction", "notResponded": "needsAction",
}


def event_time(value: dict | None) -> datetime:
    """A Graph dateTimeTimeZone in UTC (we never send Prefer: outlook.timezone, so it is UTC)."""
    if not value or not value.get("dateTime"):
        return EPOCH
    text = value["dateTime"].rstrip("Z").split(".")[0]
    zone = value.get("timeZone") or "UTC"
    moment = datetime.fromisoformat(text)
    if zone.upper() == "UTC":
        return moment.replace(tzinfo=timezone.utc)
    from zoneinfo import ZoneInfo

    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def day_time(value: dict | None, zone: str) -> datetime:
    """An all-day event's start or end: midnight of its date in the user's zone, in UTC.

    All-day events float: Graph gives their dates as midnight labelled "UTC"
    whatever the user's zone (https://learn.microsoft.com/graph/api/resources/event,
    isAllDay), so taken as an instant they would begin hours early or late.
    The Google source places all-day dates the same way.
    """
    if not value or not value.get("dateTime"):
        return EPOCH
    from zoneinfo import ZoneInfo

    day = datetime.fromisoformat(value["dateTime"].rstrip("Z").split(".")[0]).date()
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone or "UTC")).astimezone(timezone.utc)


def attendee(value: dict | None, status: str | None = None) -> Attendee | None:
    mailbox = (value or {}).get("emailAddress") or {}
    email = (mailbox.get("address") or "").strip()
    if not email:
        return None
    response = status or ((value or {}).get("status") or {}).get("response", "")
    return Attendee(email=email, name=(mailbox.get("name") or "").strip(), status=RESPONSES.get(response, "unknown"))


class OutlookCalendarSource:
    """Events of the primary Outlook calendar around today, with attendees and their answers."""

    kind = "calendar"

    @dataclass(frozen=True)
    class Options(AccountOptions):
        backfill_months: int = field(default=12, metadata={"doc": "How far back the window reaches, in months"})
        months_ahead: int = field(default=3, metadata={"doc": "How far ahead the window reaches, in months"})
        page_size: int = field(default=50, metadata={"doc": "Events per delta page (Prefer: odata.maxpagesize)"})

    def __init__(self, options: Options, context: SourceContext):
        self.options = options
        self.context = context
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from connectors.outlook.graph import client_for

            self._client = client_for(self.options, self.context.tokens_dir, ("Calendars.Read",),
                                      self.context.keepalive)
        return self._client

    def sync(self, cursor: str | None) -> Iterator[Batch[CalendarItem]]:
        state = self._load(cursor) if cursor else self._new_state()
        first = cursor is None
        ideal = self._ideal_window()
        moved = state["phase"] == "delta" and self._far(state["window"], ideal)
        masters: dict[str, dict | None] = {}
        while True:
            items, finished = self._page(state, masters)
            if finished and moved:
                log.info("calendar window moved; reading the new window")
                state, moved = self._new_state(), False
                finished = False
            yield Batch(tuple(items), json.dumps(state, sort_keys=True), full_resync=first)
            first = False
            if finished:
                return

    # -- pages --------------------------------------------------------------------------------

    def _page(self, state: dict, masters: dict) -> tuple[list[CalendarItem], bool]:
        from connectors.outlook.graph import SyncStateGone

        try:
            answer = self.client.get(state["link"], {"Prefer": f"odata.maxpagesize={self.options.page_size}"})
        except SyncStateGone:
            raise CursorExpired("the Outlook calendar delta token expired") from None
        raw_items = answer.get("value", [])
        self._fetch_masters({r["seriesMasterId"] for r in raw_items if r.get("seriesMasterId")} - set(masters), masters)
        items = [item for raw in raw_items if (item := self._item(raw, masters)) is not None]
        if "@odata.nextLink" in answer:
            state["link"] = answer["@odata.nextLink"]
            return items, False
        if "@odata.deltaLink" not in answer:
            raise CursorExpired("Graph gave the calendar neither a next nor a delta link")
        state.update(phase="delta", link=answer["@odata.deltaLink"])
        return items, True

    def _fetch_masters(self, wanted: set[str], masters: dict) -> None:
        from connectors.outlook.graph import GraphError, NotFound, Request

        expand = quote(f"singleValueExtendedProperties($filter=id eq '{BLOCK_PROPERTY_ID}')", safe="(),=$")
        order = sorted(wanted)
        requests = [Request("GET", f"/me/events/{quote(i, safe='')}?$select={MASTER_SELECT}&$expand={expand}") for i in order]
        for series_id, answer in zip(order, self.client.batch(requests)):
            if isinstance(answer, NotFound):
                masters[series_id] = None
            elif isinstance(answer, GraphError):
                raise answer
            else:
                masters[series_id] = answer

    def _item(self, raw: dict, masters: dict) -> CalendarItem | None:
        name = self.context.name
        try:
            if "@removed" in raw:
                return CalendarItem(source=name, external_id=raw["id"], start=EPOCH, end=EPOCH, status="cancelled")
            series_id = raw.get("seriesMasterId") or ""
            master = masters.get(series_id) if series_id else None
            if series_id and master is None:
                return None  # the series vanished between two calls; its removal follows
            details = {**(master or {}), **{k: v for k, v in raw.items() if k not in ("type",)}}
            if raw.get("type") == "occurrence":
                details = {**(master or {}), "id": raw["id"], "start": raw["start"], "end": raw["end"]}
            return self._build(raw["id"], series_id, details, master or raw)
        except (KeyError, TypeError, ValueError) as error:
            log.warning("skipping an event Graph described oddly (%s)", type(error).__name__)
            return None

    def _build(self, event_id: str, series_id: str, details: dict, owner: dict) -> CalendarItem:
        organizer = attendee(details.get("organizer"), "organizer")
        attendees = self._with_own_answer(
            [a for a in map(attendee, details.get("attendees") or []) if a],
            ((details.get("responseStatus") or {}).get("response") or ""),
        )
        created, updated = details.get("createdDateTime"), details.get("lastModifiedDateTime")
        if details.get("isAllDay"):
            start, end = (day_time(details.get(key), self.context.timezone) for key in ("start", "end"))
        else:
            start, end = event_time(details.get("start")), event_time(details.get("end"))
        return CalendarItem(
            source=self.context.name,
            external_id=event_id,
            start=start,
            end=end,
            title=details.get("subject") or "",
            series_id=series_id,
            organizer=organizer,
            attendees=attendees,
            status="cancelled" if details.get("isCancelled") else "confirmed",
            created=graph_datetime(created) if created else None,
            updated=graph_datetime(updated) if updated else None,
            ours=_is_ours(owner),
        )

    def _with_own_answer(self, attendees: list[Attendee], response: str) -> tuple[Attendee, ...]:
        """The attendees, ours carrying the event's ``responseStatus``: the mailbox's own answer.

        Graph keeps attendees' answers on the organiser's copy; on ours, our own
        answer is the event's ``responseStatus``
        (https://learn.microsoft.com/graph/api/resources/event). Rules need a
        decline to tell it from a booked call; when our address is not among the
        attendees (invited through a list), a declined one is added for it.
        """
        status = RESPONSES.get(response)
        if status is None or status == "organizer":
            return tuple(attendees)
        own = {address.lower() for address in self.context.own_addresses}
        found = False
        for index, person in enumerate(attendees):
            if person.email.lower() in own:
                attendees[index] = Attendee(person.email, person.name, status)
                found = True
        if not found and status == "declined" and own:
            attendees.append(Attendee(min(own), "", status))
        return tuple(attendees)

    # -- the window -----------------------------------------------------------------------------

    def _ideal_window(self) -> tuple[datetime, datetime]:
        now = self.context.now().astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        start = months_before(now, self.options.backfill_months)
        end = now + timedelta(days=round(self.options.months_ahead * 30.44))
        return start, end

    def _far(self, window: list[str], ideal: tuple[datetime, datetime]) -> bool:
        start, end = graph_datetime(window[0]), graph_datetime(window[1])
        return ideal[0] - start > WINDOW_SLACK or ideal[1] - end > WINDOW_SLACK

    def _new_state(self) -> dict:
        start, end = self._ideal_window()
        stamps = [moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in (start, end)]
        link = f"{self.client.base_url}/me/calendarView/delta?startDateTime={stamps[0]}&endDateTime={stamps[1]}"
        return {"version": 1, "window": stamps, "phase": "initial", "link": link}

    def _load(self, cursor: str) -> dict:
        try:
            state = json.loads(cursor)
            if state.get("version") != 1 or not isinstance(state.get("link"), str) or len(state["window"]) != 2:
                raise ValueError("unknown cursor shape")
            return state
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CursorExpired("the Outlook calendar cursor is unreadable") from None


def _is_ours(event: dict) -> bool:
    return any(
        p.get("id", "").lower() == BLOCK_PROPERTY_ID.lower() and p.get("value") == BLOCK_PROPERTY_VALUE
        for p in event.get("singleValueExtendedProperties") or []
    )
