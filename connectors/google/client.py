"""Talking to Google: API clients built against configurable endpoints, retries, batches.

Clients are built from the discovery documents shipped with
google-api-python-client (no network fetch) with ``client_options.api_endpoint``,
so an endpoint in the config (a proxy, an emulator, the tests' fake) is all it
takes to point connect5 elsewhere. ``new_batch_http_request()`` ignores that
endpoint, so batches are built with an explicit ``batch_uri``.

Retries are ours, not the library's: its ``num_retries`` sleeps without a budget
and, inside batches, it retries only 401. Here 429 and 403 rateLimitExceeded /
userRateLimitExceeded go to the pacer (Retry-After honoured), 5xx and network
errors back off exponentially, and failed parts of a batch are re-queued
(https://developers.google.com/workspace/gmail/api/guides/handle-errors).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from connectors.base import SourceUnavailable
from connectors.google.pacing import Pacer

log = logging.getLogger(__name__)

ATTEMPTS = 8
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


def status_of(error: Any) -> int:
    return int(getattr(getattr(error, "resp", None), "status", 0) or 0)


def reason_of(error: Any) -> str:
    try:
        body = json.loads(error.content)
        return body["error"]["errors"][0]["reason"]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""


def retry_after(error: Any) -> float | None:
    value = getattr(error, "resp", {}).get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def kind_of(error: Any) -> str:
    """"rate" (slow down), "retry" (transient), or "final" (the caller decides)."""
    status = status_of(error)
    if status == 429 or (status == 403 and reason_of(error) in RATE_REASONS):
        return "rate"
    if status >= 500:
        return "retry"
    return "final"


class GoogleApi:
    """One API client (``gmail`` v1 or ``calendar`` v3) with pacing and bounded retries."""

    def __init__(self, name: str, version: str, endpoint: str, credentials: Any, *, pacer: Pacer | None = None,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 60.0):
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        self.http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        self.service = build(name, version, http=self.http, static_discovery=True, cache_discovery=False,
                             client_options={"api_endpoint": endpoint})
        self.pacer = pacer
        self.sleep = sleep
        self.round_trips = 0

    def close(self) -> None:
        """Close kept-alive connections (between polls nothing should stay open)."""
        for connection in self.http.http.connections.values():
            connection.close()
        self.http.http.connections.clear()

    def execute(self, request: Any, units: int = 0) -> Any:
        """Run one request; rate limits and transient errors are retried, others raised as HttpError."""
        from googleapiclient.errors import HttpError

        for attempt in range(ATTEMPTS):
            if self.pacer and units:
                self.pacer.take(units)
            self.round_trips += 1
            try:
                answer = request.execute(num_retries=0)
            except HttpError as error:
                if kind_of(error) == "final" or attempt == ATTEMPTS - 1:
                    raise
                self._back_off(error, attempt)
                continue
            except _network_errors() as error:
                if attempt == ATTEMPTS - 1:
                    raise SourceUnavailable(f"cannot reach Google: {error}") from None
                self._wait(attempt)
                continue
            if self.pacer:
                self.pacer.succeeded()
            return answer
        raise AssertionError("unreachable")

    def batch(self, batch_uri: str, factories: Iterable[tuple[str, Callable[[], Any]]], *, units: int,
              size: int = 50) -> dict[str, Any]:
        """Run many requests in batches of ``size``; returns key -> answer (None for a 404).

        Parts refused for quota or by a transient error are sent again in a later
        batch; a part failing for good (other 4xx) is logged and left out.
        """
        pending = dict(factories)
        answers: dict[str, Any] = {}
        failures = 0
        while pending:
            chunk = list(pending.items())[:size]
            refused, retry = self._run_batch(batch_uri, chunk, units, answers, pending)
            if refused or retry:
                failures += 1
                if failures >= ATTEMPTS:
                    raise SourceUnavailable(f"Google kept failing {len(pending)} requests; will try again later")
                if refused and self.pacer:
                    self.pacer.refused(max(refused), failures)
                else:
                    self._wait(failures)
            else:
                failures = 0
                if self.pacer:
                    self.pacer.succeeded()
        return answers

    def _run_batch(self, batch_uri: str, chunk: list[tuple[str, Callable[[], Any]]], units: int,
                   answers: dict[str, Any], pending: dict[str, Any]) -> tuple[list[float], bool]:
        from googleapiclient.errors import HttpError

        refused: list[float] = []
        retry = False

        def collect(key: str, answer: Any, error: Exception | None) -> None:
            nonlocal retry
            if error is None:
                answers[key] = answer
                pending.pop(key)
                return
            kind = kind_of(error)
            if kind == "rate":
                refused.append(retry_after(error) or 0.0)
            elif kind == "retry":
                retry = True
            else:
                if status_of(error) != 404:
                    log.warning("Google refused one request for good (%s): skipped", status_of(error))
                answers[key] = None
                pending.pop(key)

        if self.pacer and units:
            self.pacer.take(units * len(chunk))
        batch = _batch_class()(callback=collect, batch_uri=batch_uri)
        for key, factory in chunk:
            batch.add(factory(), request_id=key)
        self.round_trips += 1
        try:
            batch.execute()
        except HttpError as error:
            if kind_of(error) == "final":
                raise
            return ([retry_after(error) or 0.0] if kind_of(error) == "rate" else []), True
        except _network_errors():
            return [], True
        return refused, retry

    def _back_off(self, error: Any, attempt: int) -> None:
        if kind_of(error) == "rate" and self.pacer:
            self.pacer.refused(retry_after(error), attempt)
        else:
            delay = retry_after(error)
            self.sleep(delay) if delay else self._wait(attempt)

    def _wait(self, attempt: int) -> None:
        self.sleep(min(60.0, 0.5 * 2.0 ** attempt))


def _network_errors() -> tuple[type[BaseException], ...]:
    import httplib2
    from google.auth import exceptions

    return (httplib2.HttpLib2Error, socket.timeout, ConnectionError, exceptions.TransportError)


_BATCH_CLASS: Any = None


def _batch_class() -> Any:
    """``BatchHttpRequest`` writing body-less parts without the email package.

    The library serialises every part through ``email.generator`` with header
    folding, which is most of a 50-part batch's CPU time; a GET part is a request
    line and a few headers, written here the way the library writes them.
    """
    global _BATCH_CLASS
    if _BATCH_CLASS is not None:
        return _BATCH_CLASS
    from urllib.parse import urlsplit

    from googleapiclient import _auth
    from googleapiclient.http import BatchHttpRequest

    class FastBatchHttpRequest(BatchHttpRequest):
        def _serialize_request(self, request: Any) -> str:
            if request.body is not None:
                return super()._serialize_request(request)
            parsed = urlsplit(request.uri)
            target = parsed.path + ("?" + parsed.query if parsed.query else "")
            headers = dict(request.headers)
            if request.http is not None:
                credentials = _auth.get_credentials_from_http(request.http)
                if credentials is not None:
                    _auth.apply_credentials(credentials, headers)
            content_type = headers.pop("content-type", "application/json")
            lines = [f"{request.method} {target} HTTP/1.1", f"Content-Type: {content_type}", "MIME-Version: 1.0"]
            lines += [f"{key}: {value}" for key, value in headers.items()]
            lines.append(f"Host: {parsed.netloc}")
            return "\n".join(lines) + "\n\n"

    _BATCH_CLASS = FastBatchHttpRequest
    return FastBatchHttpRequest
