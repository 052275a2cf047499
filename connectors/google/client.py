"""Talking to Google: API clients built against configurable endpoints, retries, batches.

Clients are built from the discovery documents shipped with
google-api-python-client (no network fetch) with ``client_options.api_endpoint``,
so an endpoint in the config (a proxy, an emulator, the tests' fake) is all it
takes to point connect5 elsewhere. Batches of GETs are written by hand
(``batches.py``) and POSTed to an explicit ``batch_uri`` through the same
authorised connection; one helper thread sends the next batch while the caller
works through the answers to the last, so our CPU time and Google's overlap.

Retries are ours, not the library's: its ``num_retries`` sleeps without a budget
and, inside batches, it retries only 401. Here 429 and 403 rateLimitExceeded /
userRateLimitExceeded go to the pacer (Retry-After honoured), 5xx and network
errors back off exponentially, and failed parts of a batch are re-queued
(https://developers.google.com/workspace/gmail/api/guides/handle-errors). One
call retries for at most ``base.RETRY_SECONDS`` (timeouts included), then gives
up with ``SourceUnavailable``; the ``sleep`` it is given calls the daemon's
keepalive (``base.staying_alive``), so a long wait neither starves systemd's
watchdog nor delays a stop.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from connectors import base, google
from connectors.base import SourceUnavailable
from connectors.google import batches
from connectors.google.pacing import Pacer

log = logging.getLogger(__name__)

ATTEMPTS = 8


def status_of(error: Any) -> int:
    return int(getattr(getattr(error, "resp", None), "status", 0) or 0)


def reason_of(content: bytes | str) -> str:
    """The first error reason in a Google error body ("userRateLimitExceeded" ...)."""
    return google.error_reason(content)[0]


def retry_after(response: Any) -> float | None:
    """Retry-After of a response (``httplib2.Response``, a batch ``Part``) in seconds, if given."""
    value = response.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def classify(status: int, content: bytes | str) -> str:
    """"rate" (slow down), "retry" (transient), or "final" (the caller decides)."""
    if status == 429 or (status == 403 and reason_of(content) in google.RATE_REASONS):
        return "rate"
    if status >= 500:
        return "retry"
    return "final"


def kind_of(error: Any) -> str:
    return classify(status_of(error), getattr(error, "content", b""))


class GoogleApi:
    """One API client (``gmail`` v1 or ``calendar`` v3) with pacing and bounded retries."""

    def __init__(self, name: str, version: str, endpoint: str, credentials: Any, *, pacer: Pacer | None = None,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        self.http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        self.service = build(name, version, http=self.http, static_discovery=True, cache_discovery=False,
                             client_options={"api_endpoint": endpoint})
        self.pacer = pacer
        self.sleep = sleep  # the caller's: wrapped with its keepalive (base.staying_alive)
        self.clock = clock
        self.round_trips = 0
        self._pool: ThreadPoolExecutor | None = None  # the helper thread sending batches

    def close(self) -> None:
        """Close kept-alive connections and the batch thread (between polls nothing should stay open)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for connection in self.http.http.connections.values():
            connection.close()
        self.http.http.connections.clear()

    def execute(self, request: Any, units: int = 0) -> Any:
        """Run one request; rate limits and transient errors are retried, others raised as HttpError."""
        from googleapiclient.errors import HttpError

        deadline = self.clock() + base.RETRY_SECONDS
        for attempt in range(ATTEMPTS):
            if self.pacer and units:
                self.pacer.take(units)
            self.round_trips += 1
            try:
                answer = request.execute(num_retries=0)
            except HttpError as error:
                if kind_of(error) == "final" or attempt == ATTEMPTS - 1:
                    raise
                self._back_off(error, attempt, deadline)
                continue
            except _network_errors() as error:
                if attempt == ATTEMPTS - 1 or self._past(deadline, _delay(attempt)):
                    raise SourceUnavailable(f"cannot reach Google: {error}") from None
                self._wait(attempt)
                continue
            if self.pacer:
                self.pacer.succeeded()
            return answer
        raise AssertionError("unreachable")

    def batches(self, batch_uri: str, targets: list[tuple[str, str]], *, units: int, size: int = 50,
                last: Callable[[dict[str, Any]], bool] = lambda answers: False) -> Iterator[dict[str, Any]]:
        """GETs in batches of ``size``, in order: yields each batch's key -> answer (None for a 404).

        ``targets`` are (key, path with query). Parts refused for quota or by a
        transient error are sent again before the batch is yielded; a part failing
        for good (other 4xx) is logged and left out. While the caller handles one
        batch the next is already on the wire, sent by a helper thread, unless
        ``last(answers)`` says this one was the last wanted (a date bound reached).
        """
        chunks = [targets[start:start + size] for start in range(0, len(targets), size)]
        flight = self._send(batch_uri, chunks[0], units) if chunks else None
        try:
            for index, chunk in enumerate(chunks):
                answers = self._complete(batch_uri, dict(chunk), units, flight)
                following = index + 1 < len(chunks) and not last(answers)
                flight = self._send(batch_uri, chunks[index + 1], units) if following else None
                yield answers
                if not following:
                    return
        finally:
            if flight is not None:
                wait([flight])  # a caller giving up early: the connection is free again when this returns

    def _send(self, batch_uri: str, chunk: list[tuple[str, str]], units: int) -> Future:
        """Spend the quota for ``chunk`` and put it on the wire in the helper thread."""
        if self.pacer and units:
            self.pacer.take(units * len(chunk))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="google-batch")
        self.round_trips += 1
        return self._pool.submit(self._post_batch, batch_uri, chunk)

    def _post_batch(self, batch_uri: str, chunk: list[tuple[str, str]]) -> dict[str, batches.Part]:
        from googleapiclient.errors import HttpError

        content_type, body = batches.body(chunk)
        response, content = self.http.request(batch_uri, method="POST", body=body,
                                              headers={"Content-Type": content_type})
        if response.status >= 300:
            raise HttpError(response, content, uri=batch_uri)
        return batches.parse(response.get("content-type", ""), content)

    def _complete(self, batch_uri: str, pending: dict[str, str], units: int, flight: Future) -> dict[str, Any]:
        """Answers for every key of ``pending``, sending failed parts again until done or out of attempts."""
        answers: dict[str, Any] = {}
        deadline = self.clock() + base.RETRY_SECONDS
        for failures in range(ATTEMPTS):
            refused, retry = self._collect(flight, answers, pending)
            if not (refused or retry):
                if self.pacer:
                    self.pacer.succeeded()
                return answers
            if failures == ATTEMPTS - 1 or self._past(deadline, max(refused) if refused else _delay(failures + 1)):
                break
            if refused and self.pacer:
                self.pacer.refused(max(refused), failures + 1)
            else:
                self._wait(failures + 1)
            flight = self._send(batch_uri, list(pending.items()), units)
        raise SourceUnavailable(f"Google kept failing {len(pending)} requests; will try again later")

    def _collect(self, flight: Future, answers: dict[str, Any],
                 pending: dict[str, str]) -> tuple[list[float], bool]:
        """Move the answered parts from ``pending`` to ``answers``; returns (Retry-Afters of refusals, retry?)."""
        from googleapiclient.errors import HttpError

        try:
            parts = flight.result()
        except HttpError as error:
            if kind_of(error) == "final":
                raise
            return ([retry_after(error.resp) or 0.0] if kind_of(error) == "rate" else []), True
        except (*_network_errors(), batches.BatchFormatError):
            return [], True
        refused: list[float] = []
        retry = expired = False
        for key in list(pending):
            part = parts.get(key)
            if part is not None and part.status < 300:
                answers[key] = part.json()
                del pending[key]
                continue
            # A part missing from the answer, or answered 401, is sent again (after a refresh for 401).
            kind = "retry" if part is None or part.status == 401 else classify(part.status, part.content)
            if kind == "rate":
                refused.append(retry_after(part) or 0.0)
            elif kind == "retry":
                retry = True
                expired = expired or (part is not None and part.status == 401)
            elif part.status == 403:
                # A grant or a quota refused: the same holds for the parts after it, and a
                # skipped part would be passed for good by the cursor. The caller translates it.
                raise HttpError(_part_response(part), part.content)
            else:
                if part.status != 404:
                    log.warning("Google refused one request for good (%s): skipped", part.status)
                answers[key] = None
                del pending[key]
        if expired:
            self._refresh()
        return refused, retry

    def _refresh(self) -> None:
        """A part answered 401 (the access token expired mid-batch): refresh before sending it again."""
        import google_auth_httplib2

        self.http.credentials.refresh(google_auth_httplib2.Request(self.http.http))

    def _back_off(self, error: Any, attempt: int, deadline: float) -> None:
        delay = retry_after(error.resp)
        if self._past(deadline, delay or _delay(attempt)):
            raise SourceUnavailable(f"Google kept answering {status_of(error)} for {base.RETRY_SECONDS:.0f} s; "
                                    "will try again later")
        if kind_of(error) == "rate" and self.pacer:
            self.pacer.refused(delay, attempt)
        else:
            self.sleep(delay) if delay else self._wait(attempt)

    def _past(self, deadline: float, delay: float) -> bool:
        """Whether waiting ``delay`` more seconds would retry past ``deadline``."""
        return self.clock() + delay > deadline

    def _wait(self, attempt: int) -> None:
        self.sleep(_delay(attempt))


def _delay(attempt: int) -> float:
    """Exponential backoff for transient errors: 0.5 s, 1 s, 2 s ... at most 60 s."""
    return min(60.0, 0.5 * 2.0 ** attempt)


def _part_response(part: batches.Part) -> Any:
    """A batch part as the ``httplib2.Response`` an ``HttpError`` carries."""
    import httplib2

    return httplib2.Response({**part.headers, "status": str(part.status)})


def _network_errors() -> tuple[type[BaseException], ...]:
    import httplib2
    from google.auth import exceptions

    return (httplib2.HttpLib2Error, socket.timeout, ConnectionError, exceptions.TransportError)
