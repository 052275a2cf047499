"""Outlook mail as a source: per-folder Graph delta queries, headers only.

Each configured folder (Inbox and Sent Items by default) is tracked with
``/me/mailFolders/{id}/messages/delta`` (https://learn.microsoft.com/graph/delta-query-messages):
the first round is bounded by ``receivedDateTime ge`` the backfill start, every
page's link is the folder's state, and a round ends with a deltaLink that the
next poll resumes from. ``$select`` names only header fields, so no body is ever
requested (the app holds ``Mail.ReadBasic``, which could not read one anyway).

The cursor is JSON: ``{"version": 1, "folders": {name: {"phase", "link"}}}``.
A batch is one page of one folder with the cursor after it. Pages of all
folders in a round are fetched together in one ``$batch`` (so an idle poll is
one round trip for all folders) and yielded in configured folder order.
A folder whose token expired (410) starts its bounded backfill again alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from connectors.base import CursorExpired, SourceContext
from connectors.outlook import AccountOptions
from connectors.records import Address, Batch, MailItem

log = logging.getLogger(__name__)

# What the rules need and nothing more: never body, bodyPreview, uniqueBody.
SELECT = (
    "from", "sender", "toRecipients", "ccRecipients", "subject", "sentDateTime",
    "receivedDateTime", "internetMessageId", "conversationId", "isDraft",
)
WELL_KNOWN = {"inbox", "sentitems", "archive", "drafts", "deleteditems", "junkemail", "outbox"}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # sent_at of a removed message, which Graph does not say


def months_before(moment: datetime, months: int) -> datetime:
    return moment - timedelta(days=round(months * 30.44))


def graph_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def address(value: dict | None) -> Address | None:
    mailbox = (value or {}).get("emailAddress") or {}
    email = (mailbox.get("address") or "").strip()
    return Address(email=email, name=(mailbox.get("name") or "").strip()) if email else None


class OutlookMailSource:
    """Headers of the messages in chosen Outlook folders, kept current with delta queries."""

    kind = "mail"

    @dataclass(frozen=True)
    class Options(AccountOptions):
        folders: list[str] = field(default_factory=lambda: ["inbox", "sentitems"], metadata={
            "doc": "Folders to watch: well-known names (inbox, sentitems, archive) or display names of top-level folders"})
        backfill_months: int = field(default=12, metadata={"doc": "How far back the first sync reads, in months"})
        page_size: int = field(default=100, metadata={"doc": "Messages per delta page (Prefer: odata.maxpagesize)"})

    def __init__(self, options: Options, context: SourceContext):
        self.options = options
        self.context = context
        self._client = None
        self._own = {a.lower() for a in context.own_addresses}

    @property
    def client(self):
        if self._client is None:
            from connectors.outlook.graph import client_for

            self._client = client_for(self.options, self.context.tokens_dir, ("Mail.ReadBasic",),
                                      self.context.keepalive)
        return self._client

    # -- the contract -------------------------------------------------------------------------

    def sync(self, cursor: str | None) -> Iterator[Batch[MailItem]]:
        state = self._load(cursor)
        first = cursor is None
        for name in self.options.folders:
            if name not in state:
                state[name] = self._start_state(name)
        state = {name: state[name] for name in self.options.folders if state[name] is not None}
        active = list(state)
        done = 0
        while active:
            answers = self._fetch(state, active)
            yielded = False
            for name, answer in zip(list(active), answers):
                items, finished = self._apply(name, answer, state)
                if finished:
                    active.remove(name)
                if items or first:
                    done += len(items)
                    yield Batch(tuple(items), self._dump(state), full_resync=first, progress=(done, None))
                    first, yielded = False, True
            if not yielded:
                yield Batch((), self._dump(state), progress=(done, None))

    # -- one round ---------------------------------------------------------------------------

    def _fetch(self, state: dict, active: list[str]) -> list:
        from connectors.outlook.graph import Request

        headers = {"Prefer": f'odata.maxpagesize={self.options.page_size}, IdType="ImmutableId"'}
        requests = [Request("GET", state[name]["link"], headers) for name in active]
        return self.client.batch(requests)

    def _apply(self, name: str, answer, state: dict) -> tuple[list[MailItem], bool]:
        """Fold one page into ``state``; (items, whether the folder's round is over)."""
        from connectors.outlook.graph import GraphError, SyncStateGone

        if isinstance(answer, SyncStateGone):
            log.info("the delta token of folder %s expired; reading it again from the backfill start", name)
            state[name] = self._start_state(name)
            if state[name] is None:
                raise CursorExpired(f"folder {name} is gone")
            return [], False
        if isinstance(answer, GraphError):
            raise answer
        items = [item for raw in answer.get("value", []) if (item := self._item(raw, name)) is not None]
        if "@odata.nextLink" in answer:
            state[name] = {"phase": state[name]["phase"], "link": answer["@odata.nextLink"]}
            return items, False
        if "@odata.deltaLink" not in answer:
            raise CursorExpired(f"Graph gave folder {name} neither a next nor a delta link")
        state[name] = {"phase": "delta", "link": answer["@odata.deltaLink"]}
        return items, True

    def _item(self, raw: dict, folder: str) -> MailItem | None:
        try:
            if "@removed" in raw:
                return MailItem(source=self.context.name, external_id=raw["id"], sent_at=EPOCH, sender=None, deleted=True)
            if raw.get("isDraft"):
                return None
            sender = address(raw.get("from")) or address(raw.get("sender"))
            when = raw.get("sentDateTime") or raw.get("receivedDateTime")
            # Sent Items holds what this mailbox sent, from whichever alias: outgoing always,
            # as Gmail's SENT label is (``[me] emails`` may not list every alias).
            mine = folder.lower() == "sentitems" or (sender is not None and sender.email.lower() in self._own)
            return MailItem(
                source=self.context.name,
                external_id=raw["id"],
                sent_at=graph_datetime(when) if when else EPOCH,
                sender=sender,
                to=tuple(a for a in map(address, raw.get("toRecipients") or []) if a),
                cc=tuple(a for a in map(address, raw.get("ccRecipients") or []) if a),
                subject=raw.get("subject") or "",
                message_id=raw.get("internetMessageId") or "",
                thread_id=raw.get("conversationId") or "",
                direction="out" if mine else "in",
            )
        except (KeyError, TypeError, ValueError) as error:
            log.warning("skipping a message Graph described oddly (%s)", type(error).__name__)
            return None

    # -- folder state -------------------------------------------------------------------------

    def _start_state(self, name: str) -> dict | None:
        folder_id = self._folder_id(name)
        if folder_id is None:
            log.warning("Outlook folder %r not found; skipping it", name)
            return None
        since = months_before(self.context.now().astimezone(timezone.utc), self.options.backfill_months)
        stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        link = (
            f"{self.client.base_url}/me/mailFolders/{quote(folder_id, safe='')}/messages/delta"
            f"?$select={','.join(SELECT)}&$filter={quote(f'receivedDateTime ge {stamp}', safe='')}"
        )
        return {"phase": "backfill", "link": link}

    def _folder_id(self, name: str) -> str | None:
        if name.lower() in WELL_KNOWN:
            return name.lower()
        escaped = name.replace("'", "''")
        answer = self.client.get(f"/me/mailFolders?$filter={quote(f'displayName eq {chr(39)}{escaped}{chr(39)}', safe='')}"
                                 "&$select=id,displayName")
        found = answer.get("value") or []
        return found[0]["id"] if found else None

    def _load(self, cursor: str | None) -> dict:
        if cursor is None:
            return {}
        try:
            data = json.loads(cursor)
            folders = data["folders"]
            if data.get("version") != 1 or not all("link" in v for v in folders.values()):
                raise ValueError("unknown cursor shape")
            return dict(folders)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CursorExpired("the Outlook mail cursor is unreadable") from None

    @staticmethod
    def _dump(state: dict) -> str:
        return json.dumps({"version": 1, "folders": state}, sort_keys=True)
