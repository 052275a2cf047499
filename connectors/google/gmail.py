"""Gmail as a mail source: headers only, bounded backfill, then history.

First run (no cursor): the mailbox's historyId is recorded, then a backfill walks
``messages.list`` (500 ids a page, newest first) and fetches headers in batches
of ``batch_size``: first the SENT label (your own mail is the strongest "last in
touch" signal), then everything else, back ``backfill_months``. Each page is one
``Batch`` whose cursor says where the next page starts, so a crash costs at most
a page. The metadata scope allows no ``q``, so the date bound is applied to what
comes back: the walk stops at the first page reaching past it.

Later runs: ``history.list`` from the stored historyId (2 units a call). A 404
means that history is gone (Google keeps it about a week): a bounded catch-up
walks the mailbox back to the last synced date, not the whole mailbox
(https://developers.google.com/workspace/gmail/api/guides/sync).

A page token Google refuses (400: it expired while the cursor kept it) starts
its listing again: a backfill or catch-up pass from its first page, history from
the last record committed. Once per listing and call: a token refused again is
an error like any other, so a bad token never makes a loop.

The cursor is JSON: phase (sent / rest / catchup / incremental), page token,
historyId, the date bounds and counters; see ``Position``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from connectors import google
from connectors.base import ConnectorError, CursorExpired, SourceContext, SourceUnavailable, staying_alive
from connectors.google.messages import REQUESTED_HEADERS, mail_item, received_at, wanted
from connectors.records import Batch, MailItem

log = logging.getLogger(__name__)

LIST_UNITS, HISTORY_UNITS, PROFILE_UNITS = 5, 2, 1
PAGE_SIZE = 500
MAX_BATCH = 100
CATCH_UP_MARGIN = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Position:
    """Where a sync stands; serialised as the cursor."""

    phase: str  # "sent" | "rest" | "catchup" | "incremental"
    history: str  # the historyId incremental sync continues from
    page: str | None = None  # messages.list page token within the phase
    cutoff: str = ""  # ISO time: the walk ends at messages older than this
    since: str = ""  # ISO time of the newest message synced: the catch-up goes back to it
    sent_pages: int = 0  # SENT pages walked (to rebuild the set of ids the rest pass skips)
    done: int = 0
    total: int | None = None

    def dump(self) -> str:
        return json.dumps({"v": 1, **dataclasses.asdict(self)}, separators=(",", ":"))

    @classmethod
    def load(cls, cursor: str) -> Position:
        try:
            data = json.loads(cursor)
            data.pop("v")
            return cls(**data)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise CursorExpired("unreadable Gmail cursor") from None


def _time(text: str, default: datetime = EPOCH) -> datetime:
    return datetime.fromisoformat(text) if text else default


class GmailSource:
    """Gmail through the API with the gmail.metadata scope."""

    kind = "mail"

    @dataclass(frozen=True)
    class Options:
        account: str = field(default="", metadata={"doc": "Which Google sign-in to use: tokens/google.json, or google-<account>.json"})
        backfill_months: int = field(default=24, metadata={"doc": "How far back the first sync reads"})
        poll_seconds: int = field(default=60, metadata={"doc": "Seconds between history checks"})
        quota_units_per_minute: int = field(default=6000, metadata={"doc": "Your project's Gmail quota per user per minute"})
        message_get_units: int = field(default=20, metadata={"doc": "Quota units one messages.get costs your project (5 or 20)"})
        batch_size: int = field(default=50, metadata={"doc": "Messages per batch request (at most 100; Google advises 50)"})
        gmail_endpoint: str = field(default=google.GMAIL_ENDPOINT, metadata={"doc": "Gmail API base URL"})
        token_uri: str = field(default=google.TOKEN_URI, metadata={"doc": "OAuth token endpoint"})
        timeout_seconds: float = field(default=60.0, metadata={"doc": "Seconds to wait for an answer before trying again"})

        def problems(self) -> list[str]:
            """What config validation reports (``daemon.config`` asks every Options for this)."""
            found = []
            if not 1 <= self.batch_size <= MAX_BATCH:
                # Gmail refuses a batch of more than 100 requests
                # (https://developers.google.com/workspace/gmail/api/guides/batch): every sync would fail.
                found.append(f"batch_size: Gmail takes 1 to {MAX_BATCH} requests per batch (50 is advised), "
                             f"not {self.batch_size}")
            for key in ("poll_seconds", "quota_units_per_minute", "message_get_units", "timeout_seconds"):
                if getattr(self, key) <= 0:
                    found.append(f"{key}: must be more than 0, not {getattr(self, key)}")
            if self.backfill_months < 0:
                found.append(f"backfill_months: must not be negative, not {self.backfill_months}")
            return found

    @staticmethod
    def scopes(options: GmailSource.Options) -> list[str]:
        return [google.GMAIL_METADATA]

    def __init__(self, options: Options, context: SourceContext, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        for problem in options.problems():
            raise ConnectorError(f"[[sources]] table {context.name!r}: {problem}")
        self.options = options
        self.context = context
        self.clock = clock
        self.sleep = sleep
        self._api: Any = None
        self._sent_ids: set[str] | None = None

    @property
    def api(self) -> Any:
        if self._api is None:
            from connectors.google import auth
            from connectors.google.client import GoogleApi
            from connectors.google.pacing import Pacer

            path = google.token_path(self.context.tokens_dir, self.options.account)
            credentials = auth.credentials(path, self.options.token_uri, self.scopes(self.options), self.options.account)
            sleep = staying_alive(self.sleep, self.context.keepalive)
            pacer = Pacer(self.options.quota_units_per_minute, clock=self.clock, sleep=sleep)
            self._api = GoogleApi("gmail", "v1", self.options.gmail_endpoint, credentials, pacer=pacer, sleep=sleep,
                                  timeout=self.options.timeout_seconds, clock=self.clock)
            # Building a resource object re-reads the discovery document: do it once.
            self._messages = self._api.service.users().messages()
            self._history = self._api.service.users().history()
        return self._api

    @property
    def messages(self) -> Any:
        self.api  # builds the client and its resource objects on first use
        return self._messages

    @property
    def history(self) -> Any:
        self.api  # builds the client and its resource objects on first use
        return self._history

    @property
    def batch_uri(self) -> str:
        return urljoin(self.options.gmail_endpoint, "batch/gmail/v1")

    @cached_property
    def _target(self) -> str:
        """Path of a message inside a batch part, up to its id: the endpoint's path comes first."""
        return urlsplit(urljoin(self.options.gmail_endpoint, "gmail/v1/users/me/messages/")).path

    # messages.get in the metadata format with our headers: the query every batch part carries.
    _query = "?" + urlencode([("format", "metadata"), *(("metadataHeaders", name) for name in REQUESTED_HEADERS),
                              ("alt", "json")])

    def sync(self, cursor: str | None) -> Iterator[Batch[MailItem]]:
        from googleapiclient.errors import HttpError

        try:
            position = Position.load(cursor) if cursor else self._start()
            while position.phase in ("sent", "rest", "catchup"):
                position = yield from self._walk(position)
            yield from self._incremental(position)
        except HttpError as error:
            raise _translate(error, self.options.account) from None
        finally:
            if self._api is not None:
                self._api.close()

    # --- backfill ---------------------------------------------------------------

    def _start(self) -> Position:
        # The historyId comes first, so mail arriving during the backfill is in history.
        profile = self.api.execute(self.api.service.users().getProfile(userId="me"), PROFILE_UNITS)
        cutoff = self.context.now().astimezone(timezone.utc) - timedelta(days=round(30.44 * self.options.backfill_months))
        log.info("Gmail backfill starts: sent mail first, then the rest, back to %s", cutoff.date())
        return Position("sent", profile["historyId"], cutoff=cutoff.isoformat(), total=profile.get("messagesTotal"))

    def _walk(self, position: Position) -> Iterator[Batch[MailItem]]:
        """One pass of the backfill or catch-up, a Batch per page; returns the position after it."""
        from googleapiclient.errors import HttpError

        skip = self._known_sent(position) if position.phase == "rest" else set()
        if position.phase == "sent":
            # Only a SENT pass seen whole in this process gives the complete set.
            self._sent_ids = set() if position.page is None else None
        restarted = False
        while True:
            request = self.messages.list(userId="me", maxResults=PAGE_SIZE, pageToken=position.page,
                                         labelIds=["SENT"] if position.phase == "sent" else None)
            try:
                page = self.api.execute(request, LIST_UNITS)
            except HttpError as error:
                if restarted or not google.page_token_refused(error.resp.status, position.page):
                    raise
                position, restarted = self._pass_again(position), True
                continue
            ids = [stub["id"] for stub in page.get("messages", []) if stub["id"] not in skip]
            if position.phase == "sent" and self._sent_ids is not None:
                self._sent_ids.update(ids)
            items, newest, reached_cutoff = self._fetch(ids, _time(position.cutoff))
            token = page.get("nextPageToken")
            position = dataclasses.replace(
                position, page=token, since=max(position.since, newest.isoformat() if newest else ""),
                done=position.done + len(ids), sent_pages=position.sent_pages + (position.phase == "sent"))
            finished = reached_cutoff or not token
            if finished:
                following = "rest" if position.phase == "sent" else "incremental"
                log.info("Gmail %s pass done (%d messages so far)", position.phase, position.done)
                position = dataclasses.replace(position, phase=following, page=None)
            yield Batch(tuple(items), position.dump(), progress=(position.done, position.total))
            if finished:
                return position

    def _pass_again(self, position: Position) -> Position:
        """``position`` at the first page of its pass, after Google refused the page token it was at.

        Pages already committed are fetched again (the daemon stores an item once);
        the start of the pass is the only place a listing can be resumed from.
        """
        log.warning("Gmail refused the page token of the %s pass: that pass starts again", position.phase)
        if position.phase == "sent":
            self._sent_ids = set()  # seen whole from here on, as if the pass had begun in this process
            return dataclasses.replace(position, page=None, sent_pages=0)
        return dataclasses.replace(position, page=None)

    def _fetch(self, ids: list[str], cutoff: datetime) -> tuple[list[MailItem], datetime | None, bool]:
        """Headers of ``ids``: the items worth keeping, the newest time, whether the cutoff was passed.

        Ids come newest first, so fetching stops after the batch that reaches the cutoff.
        """
        items, newest, reached = [], None, False
        size = self.options.batch_size

        def past_cutoff(answers: dict[str, Any]) -> bool:
            return any(message is not None and received_at(message) < cutoff for message in answers.values())

        targets = [(identifier, self._target + identifier + self._query) for identifier in ids]
        batches = self.api.batches(self.batch_uri, targets, units=self.options.message_get_units, size=size,
                                   last=past_cutoff)
        for index, answers in enumerate(batches):
            for identifier in ids[index * size:(index + 1) * size]:
                message = answers.get(identifier)
                if message is None:
                    continue  # deleted since it was listed
                when = received_at(message)
                if when < cutoff:
                    reached = True
                    continue
                newest = when if newest is None else max(newest, when)
                if wanted(message.get("labelIds", [])):
                    items.append(mail_item(self.context.name, message, self.context.own_addresses))
        return items, newest, reached

    def _known_sent(self, position: Position) -> set[str]:
        """Ids the SENT pass fetched, so the rest pass does not fetch them again.

        Listing costs 5 units per 500 ids against 5-20 units per message fetched,
        so after a restart the set is rebuilt by listing the SENT pages again.
        """
        if self._sent_ids is not None:
            return self._sent_ids
        known: set[str] = set()
        token = None
        for _ in range(position.sent_pages + 1):
            page = self.api.execute(self.messages.list(userId="me", labelIds=["SENT"], maxResults=PAGE_SIZE,
                                                       pageToken=token), LIST_UNITS)
            known.update(stub["id"] for stub in page.get("messages", []))
            token = page.get("nextPageToken")
            if not token:
                break
        self._sent_ids = known
        return known

    # --- incremental ------------------------------------------------------------

    def _incremental(self, position: Position) -> Iterator[Batch[MailItem]]:
        from googleapiclient.errors import HttpError

        # A page token belongs to the listing that issued it: every page is asked with the
        # start id that began it, while the saved cursor moves page by page (a crash resumes
        # with a new listing from the last record committed).
        start, token, restarted = position.history, None, False
        while True:
            request = self.history.list(userId="me", startHistoryId=start, maxResults=PAGE_SIZE,
                                        historyTypes=["messageAdded"], pageToken=token)
            try:
                page = self.api.execute(request, HISTORY_UNITS)
            except HttpError as error:
                if error.resp.status == 404:
                    yield from self._catch_up(position)
                    return
                if restarted or not google.page_token_refused(error.resp.status, token):
                    raise
                log.warning("Gmail refused a history page token: listing again from the last record committed")
                start, token, restarted = position.history, None, True
                continue
            records = page.get("history", [])
            ids = list(dict.fromkeys(
                added["message"]["id"] for record in records for added in record.get("messagesAdded", [])
                if wanted(added["message"].get("labelIds", []))))
            items, newest, _ = self._fetch(ids, EPOCH)
            token = page.get("nextPageToken")
            history = (records[-1]["id"] if records else position.history) if token else page["historyId"]
            position = dataclasses.replace(position, history=str(history),
                                           since=max(position.since, newest.isoformat() if newest else ""))
            yield Batch(tuple(items), position.dump())
            if not token:
                return

    def _catch_up(self, position: Position) -> Iterator[Batch[MailItem]]:
        since = _time(position.since, self.context.now().astimezone(timezone.utc))
        log.warning("Gmail history %s expired: catching up on mail since %s", position.history, since.date())
        profile = self.api.execute(self.api.service.users().getProfile(userId="me"), PROFILE_UNITS)
        catch_up = Position("catchup", profile["historyId"], cutoff=(since - CATCH_UP_MARGIN).isoformat(),
                            since=position.since, total=profile.get("messagesTotal"))
        yield from self._walk(catch_up)


def _translate(error: Any, account: str) -> Exception:
    status = error.resp.status
    if status in (401, 403, 429):
        return google.refusal("Gmail", status, getattr(error, "content", b""), account)
    return SourceUnavailable(f"Gmail answered {status}: {error}")
