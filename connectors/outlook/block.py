"""The daily block in Outlook: one recurring series, one occurrence patched per day.

The series is created once — weekly over the block's days, ``minutes`` long at
the block's time and zone, private, in the "Connect 5" category, carrying a
single-value extended property that marks it as ours
(https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-post-singlevalueextendedproperties)
and a ``transactionId`` so a retried create returns the first event instead of
a second one (https://learn.microsoft.com/graph/api/resources/event, transactionId).
Its id is kept in ``outlook-block.json`` in the data folder; if that file is
lost, the series is found again by its property.

Each day the day's occurrence is found with ``/events/{id}/instances`` and its
subject and HTML body are patched. The user's edits win: a moved occurrence
keeps its time ("moved"), a deleted one is not recreated ("user-deleted"), and
a deleted series raises ``BlockSeriesDeleted`` until its mark is removed.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

from connectors.base import BlockSeriesDeleted, SourceContext
from connectors.outlook import BLOCK_PROPERTY_ID, BLOCK_PROPERTY_VALUE, CATEGORY, AccountOptions
from connectors.outlook.calendar import event_time
from connectors.files import read_json, write_json
from connectors.records import Block, BlockRef

log = logging.getLogger(__name__)

STATE_FILE = "outlook-block.json"
DAYS = {"mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday", "fri": "friday",
        "sat": "saturday", "sun": "sunday"}
TRANSACTION_NAMESPACE = uuid.UUID("0c5e6b8e-3f0d-4b8a-9d0e-c0aa5c0de005")


class OutlookBlockWriter:
    """Writes the day's five into the day's occurrence of connect5's Outlook series."""

    @dataclass(frozen=True)
    class Options(AccountOptions):
        pass

    def __init__(self, options: Options, context: SourceContext):
        self.options = options
        self.context = context
        self.state_path = context.data_dir / STATE_FILE
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from connectors.outlook.graph import client_for

            self._client = client_for(self.options, self.context.tokens_dir, ("Calendars.ReadWrite",),
                                      self.context.keepalive)
        return self._client

    def write(self, day: date, block: Block) -> BlockRef:
        series_id = self._series(block)
        instance = self._instance(series_id, day, block)
        if instance is None:
            log.info("the block of %s was deleted in Outlook; not recreating it", day)
            return BlockRef(writer="outlook", remote_id="", state="user-deleted")
        patched = self.client.send(self._patch(instance["id"], block))
        moved = _moved(instance)
        return BlockRef(writer="outlook", remote_id=instance["id"], etag=patched.get("@odata.etag", ""),
                        state="moved" if moved else "written")

    def restart(self, day: date, block: Block) -> BlockRef:
        """Start a new series after the user deleted ours (forget the old one's id), then write ``day``."""
        self.state_path.unlink(missing_ok=True)
        return self.write(day, block)

    # -- the series ------------------------------------------------------------------------------

    def _series(self, block: Block) -> str:
        from connectors.outlook.graph import NotFound

        state = read_json(self.state_path)
        shape = _shape(block)
        if state.get("series_id"):
            try:
                self.client.get(f"/me/events/{quote(state['series_id'], safe='')}?$select=id")
            except NotFound:
                raise BlockSeriesDeleted(
                    "the Connect 5 series was deleted in Outlook, so no block is written; "
                    "`connect5 today --restart-block` starts a new series"
                ) from None
            if state.get("shape") != shape:
                self._reshape(state["series_id"], block)
                write_json(self.state_path, {**state, "shape": shape})
            return state["series_id"]
        series_id = self._find() or self._create(block)
        write_json(self.state_path, {"series_id": series_id, "shape": shape})
        return series_id

    def _find(self) -> str | None:
        """Our series, by its extended property: recovers a crash before the mark was saved."""
        wanted = quote(f"singleValueExtendedProperties/Any(ep: ep/id eq '{BLOCK_PROPERTY_ID}' "
                       f"and ep/value eq '{BLOCK_PROPERTY_VALUE}')", safe="")
        found = self.client.get(f"/me/events?$filter={wanted}&$select=id,type").get("value") or []
        masters = [event["id"] for event in found if event.get("type", "seriesMaster") == "seriesMaster"]
        return masters[0] if masters else None

    def _create(self, block: Block) -> str:
        from connectors.outlook.graph import Request

        body = {
            **self._when(block),
            "subject": block.title,
            "body": {"contentType": "HTML", "content": _series_html(block)},
            "sensitivity": "private",
            "showAs": "busy",
            "categories": [CATEGORY],
            "isReminderOn": True,
            "reminderMinutesBeforeStart": 0,
            "singleValueExtendedProperties": [{"id": BLOCK_PROPERTY_ID, "value": BLOCK_PROPERTY_VALUE}],
            # same inputs, same id: a create retried after a lost answer is deduplicated by Graph
            "transactionId": str(uuid.uuid5(TRANSACTION_NAMESPACE, f"{self.options.account}|{_shape(block)}|{block.day}")),
        }
        created = self.client.send(Request("POST", "/me/events", {}, body))
        log.info("created the Connect 5 series in Outlook")
        return created["id"]

    def _reshape(self, series_id: str, block: Block) -> None:
        """The block's time, length, days or zone changed in the config: move the series."""
        from connectors.outlook.graph import Request

        log.info("the block's time or days changed; updating the Outlook series")
        self.client.send(Request("PATCH", f"/me/events/{quote(series_id, safe='')}", {}, self._when(block)))

    def _when(self, block: Block) -> dict:
        zone = block.timezone or "UTC"
        start = block.start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        end = start + timedelta(minutes=block.minutes)
        return {
            "start": {"dateTime": start.isoformat(timespec="seconds"), "timeZone": zone},
            "end": {"dateTime": end.isoformat(timespec="seconds"), "timeZone": zone},
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": [DAYS[d] for d in block.weekdays],
                            "firstDayOfWeek": "monday"},
                "range": {"type": "noEnd", "startDate": start.date().isoformat(), "recurrenceTimeZone": zone},
            },
        }

    # -- the day's occurrence -------------------------------------------------------------------

    def _instance(self, series_id: str, day: date, block: Block) -> dict | None:
        zone = ZoneInfo(block.timezone or "UTC")
        start = datetime.combine(day - timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
        end = start + timedelta(days=3)
        stamps = [moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in (start, end)]
        answer = self.client.get(
            f"/me/events/{quote(series_id, safe='')}/instances?startDateTime={stamps[0]}&endDateTime={stamps[1]}"
            "&$select=id,start,end,originalStart,type,isCancelled"
        )
        for instance in answer.get("value") or []:
            original = instance.get("originalStart")
            began = _utc(original) if original else event_time(instance.get("start"))
            if began.astimezone(zone).date() == day and not instance.get("isCancelled"):
                return instance
        return None

    def _patch(self, instance_id: str, block: Block):
        from connectors.outlook.graph import Request

        body = {"subject": block.title, "body": {"contentType": "HTML", "content": block.html}}
        return Request("PATCH", f"/me/events/{quote(instance_id, safe='')}", {}, body)


def _shape(block: Block) -> str:
    local = block.start.astimezone(ZoneInfo(block.timezone or "UTC"))
    return f"{local:%H:%M}|{block.minutes}|{','.join(block.weekdays)}|{block.timezone}"


def _series_html(block: Block) -> str:
    text = block.series_description or block.description
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


def _utc(text: str) -> datetime:
    # Graph writes up to seven fraction digits, more than fromisoformat takes
    value = datetime.fromisoformat(re.sub(r"\.\d+", "", text).replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _moved(instance: dict) -> bool:
    original = instance.get("originalStart")
    return bool(original) and _utc(original) != event_time(instance.get("start"))
