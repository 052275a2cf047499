"""The Microsoft Graph HTTP client: tokens, throttling, retries and ``$batch``.

Outlook's limits (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits)
are per app and mailbox: 10,000 requests per 10 minutes and 4 concurrent
requests. The client paces itself under the budget (a sliding window counted
at completion, a little later than the server counts, so it errs on the safe
side) and caps concurrency, so 429s stay rare; when they come anyway, it waits
for ``Retry-After`` (https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling).
One call retries for at most ``base.RETRY_SECONDS`` (timeouts included), then
gives up with ``SourceUnavailable``; while it waits it calls the daemon's keepalive.
Each request inside a ``$batch`` counts against the budget, and a batch holds at
most 20 (https://learn.microsoft.com/graph/json-batching).

Errors::

    ConnectorError
     ├── GraphError               an answer the caller did not expect (bug or bad config)
     │    ├── SyncStateGone       410 / syncStateNotFound / resyncRequired: start the delta over
     │    └── NotFound            404
     ├── AuthError                no token could be had silently (from ``auth``)
     └── SourceUnavailable        network down or throttled past every retry
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors import base
from connectors.base import AuthError, ConnectorError, SourceUnavailable, staying_alive

log = logging.getLogger(__name__)

BATCH_LIMIT = 20
RETRIABLE = {429, 500, 502, 503, 504, 599}  # 599: no answer at all (network)
GONE_CODES = {"syncstatenotfound", "resyncrequired", "syncstateinvalid"}


class GraphError(ConnectorError):
    """Graph answered with an error the caller did not plan for."""

    def __init__(self, status: int, code: str, message: str = ""):
        self.status, self.code = status, code
        super().__init__(f"Graph {status} {code}: {message}".strip())


class SyncStateGone(GraphError):
    """The delta or skip token expired: that collection's delta must start over."""


class NotFound(GraphError):
    """The item is gone (404)."""


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None


class Budget:
    """A sliding-window request budget shared by every caller of one mailbox."""

    def __init__(self, budget: int, window: float, clock: Callable[[], float], sleep: Callable[[float], None]):
        self.budget, self.window = budget, window
        self.clock, self.sleep = clock, sleep
        self.lock = threading.Lock()
        self.times: collections.deque[float] = collections.deque()
        self.pending = 0

    def acquire(self, count: int, sleep: Callable[[float], None] | None = None) -> None:
        """Wait until ``count`` requests fit the window; ``sleep`` is the caller's (with its keepalive)."""
        count = min(count, self.budget)
        while True:
            with self.lock:
                now = self.clock()
                while self.times and self.times[0] <= now - self.window:
                    self.times.popleft()
                if len(self.times) + self.pending + count <= self.budget:
                    self.pending += count
                    return
                index = len(self.times) + self.pending + count - self.budget - 1
                wait = self.times[min(index, len(self.times) - 1)] + self.window - now if self.times else 0.05
            (sleep or self.sleep)(max(wait, 0.001))

    def release(self, count: int) -> None:
        count = min(count, self.budget)
        with self.lock:
            self.pending -= count
            now = self.clock()
            self.times.extend([now] * count)


class GraphClient:
    """Sends Graph requests for one mailbox; see the module docstring for the rules it keeps."""

    def __init__(self, base_url: str, token: Callable[[bool], str], session: Any, *, budget: int = 10_000,
                 window: float = 600.0, concurrency: int = 4, max_attempts: int = 8, timeout: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 keepalive: Callable[[], None] = lambda: None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = session
        self.keepalive = keepalive
        sleep = staying_alive(sleep, keepalive)
        self.budget = Budget(budget, window, clock, sleep)
        self.slots = threading.BoundedSemaphore(concurrency)
        self.max_attempts, self.timeout, self.sleep, self.clock = max_attempts, timeout, sleep, clock
        self.counts = collections.Counter()  # "http", "graph", "throttled": for benchmarks and tests

    def absolute(self, url: str) -> str:
        return url if url.startswith("https://") or url.startswith("http://") else f"{self.base_url}/{url.lstrip('/')}"

    def relative(self, url: str) -> str | None:
        """``url`` relative to the base, as ``$batch`` wants it; None when it points elsewhere."""
        if url.startswith(self.base_url + "/"):
            return url[len(self.base_url):]
        return None if "://" in url else "/" + url.lstrip("/")

    # -- single requests ---------------------------------------------------------------------

    def get(self, url: str, headers: dict[str, str] | None = None) -> dict:
        return self.send(Request("GET", url, headers or {}))

    def send(self, request: Request) -> dict:
        """The JSON body of a successful answer (``{}`` when empty); raises the errors above."""
        refreshed = False
        deadline = self.clock() + base.RETRY_SECONDS
        for attempt in range(1, self.max_attempts + 1):
            status, body, headers = self._exchange(request, refreshed)
            if status == 401 and not refreshed:
                refreshed = True
                continue
            if status in RETRIABLE and attempt < self.max_attempts:
                self._wait(headers.get("retry-after"), attempt, status, deadline)
                continue
            return _result(status, body)
        raise AssertionError("unreachable")  # pragma: no cover

    def _exchange(self, request: Request, force_refresh: bool) -> tuple[int, dict, dict]:
        import requests

        headers = {**request.headers, "Authorization": f"Bearer {self.token(force_refresh)}"}
        self.budget.acquire(1, self.sleep)
        try:
            with self.slots:
                self.counts["http"] += 1
                self.counts["graph"] += 1
                response = self.session.request(request.method, self.absolute(request.url), headers=headers,
                                                json=request.body, timeout=self.timeout)
        except requests.RequestException as error:
            log.warning("Graph unreachable: %s", type(error).__name__)
            return 599, {}, {}
        finally:
            self.budget.release(1)
        return response.status_code, _json(response), {k.lower(): v for k, v in response.headers.items()}

    def _wait(self, retry_after: str | None, attempt: int, status: int, deadline: float) -> None:
        """Wait before retrying; ``SourceUnavailable`` when that would retry past ``deadline``."""
        self.counts["throttled" if status == 429 else "retried"] += 1
        try:
            delay = float(retry_after) if retry_after is not None else min(2.0 ** attempt, 60.0)
        except ValueError:
            delay = min(2.0 ** attempt, 60.0)
        if self.clock() + delay > deadline:
            what = "did not answer" if status == 599 else f"kept answering {status}"
            raise SourceUnavailable(f"Graph {what} for {base.RETRY_SECONDS:.0f} s; will try again later")
        log.info("Graph answered %s; waiting %.1f s", status, delay)
        self.sleep(delay)

    # -- $batch ---------------------------------------------------------------------------------

    def batch(self, requests: list[Request]) -> list[dict | GraphError]:
        """Answers in order: a body, or the error for that request. One round trip per 20."""
        results: list[dict | GraphError | None] = [None] * len(requests)
        single = [i for i, r in enumerate(requests) if self.relative(r.url) is None]
        for index in single:
            results[index] = self._safely(requests[index])
        batchable = [i for i in range(len(requests)) if i not in single]
        for start in range(0, len(batchable), BATCH_LIMIT):
            chunk = batchable[start : start + BATCH_LIMIT]
            if len(chunk) == 1:
                results[chunk[0]] = self._safely(requests[chunk[0]])
                continue
            for index, result in zip(chunk, self._batch_chunk([requests[i] for i in chunk])):
                results[index] = result
        return results  # type: ignore[return-value]

    def _safely(self, request: Request) -> dict | GraphError:
        try:
            return self.send(request)
        except GraphError as error:
            return error

    def _batch_chunk(self, requests: list[Request]) -> list[dict | GraphError]:
        results: list[dict | GraphError | None] = [None] * len(requests)
        waiting = list(range(len(requests)))
        refresh = refreshed = False
        deadline = self.clock() + base.RETRY_SECONDS
        for attempt in range(1, self.max_attempts + 1):
            answers = self._post_batch([requests[i] for i in waiting], refresh)
            retry, delays, refresh = [], [], False
            for index, (status, body, headers) in zip(waiting, answers):
                if status == 401 and not refreshed:
                    # The token expired between the batch and its part: once more with a fresh one.
                    retry.append(index)
                    refresh = True
                    continue
                if status in RETRIABLE and attempt < self.max_attempts:
                    retry.append(index)
                    delays.append(headers.get("retry-after"))
                    continue
                try:
                    results[index] = _result(status, body)
                except GraphError as error:
                    results[index] = error
            if not retry:
                return results  # type: ignore[return-value]
            waiting = retry
            if refresh:
                refreshed = True
                continue
            numeric = [float(d) for d in delays if d is not None and d.replace(".", "", 1).isdigit()]
            self._wait(str(max(numeric)) if numeric else None, attempt, 429, deadline)
        return results  # type: ignore[return-value]

    def _post_batch(self, requests: list[Request], refresh: bool = False) -> list[tuple[int, dict, dict]]:
        payload = {"requests": [
            {"id": str(n), "method": r.method, "url": self.relative(r.url), "headers": r.headers,
             **({"body": r.body} if r.body is not None else {})}
            for n, r in enumerate(requests)
        ]}
        body = self._send_batch(payload, len(requests), refresh)
        by_id = {item.get("id"): item for item in body.get("responses", [])}
        answers = []
        for n in range(len(requests)):
            item = by_id.get(str(n), {"status": 599, "body": {}, "headers": {}})
            headers = {k.lower(): v for k, v in (item.get("headers") or {}).items()}
            answers.append((int(item.get("status", 599)), item.get("body") or {}, headers))
        return answers

    def _send_batch(self, payload: dict, count: int, refresh: bool = False) -> dict:
        import requests

        refreshed = force = refresh
        deadline = self.clock() + base.RETRY_SECONDS
        for attempt in range(1, self.max_attempts + 1):
            headers = {"Authorization": f"Bearer {self.token(force)}"}
            force = False
            self.budget.acquire(count, self.sleep)
            try:
                with self.slots:
                    self.counts["http"] += 1
                    self.counts["graph"] += count
                    response = self.session.post(f"{self.base_url}/$batch", json=payload, headers=headers,
                                                 timeout=self.timeout)
                status, body = response.status_code, _json(response)
                retry_after = response.headers.get("Retry-After")
            except requests.RequestException as error:
                log.warning("Graph unreachable: %s", type(error).__name__)
                status, body, retry_after = 599, {}, None
            finally:
                self.budget.release(count)
            if status == 401 and not refreshed:
                refreshed = force = True
                continue
            if status in RETRIABLE and attempt < self.max_attempts:
                self._wait(retry_after, attempt, status, deadline)
                continue
            return _result(status, body)
        raise AssertionError("unreachable")  # pragma: no cover


def _json(response: Any) -> dict:
    try:
        value = response.json() if response.content else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _result(status: int, body: dict) -> dict:
    if status < 400:
        return body
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = str(error.get("code", "")) or str(status)
    message = str(error.get("message", ""))[:200]
    if status == 410 or code.lower() in GONE_CODES:
        raise SyncStateGone(status, code, message)
    if status == 404:
        raise NotFound(status, code, message)
    if status == 401:
        raise AuthError("Outlook refused the token: run `connect5 auth outlook`")
    if status in RETRIABLE:
        raise SourceUnavailable(f"Graph is unavailable ({status} {code}); will retry later")
    raise GraphError(status, code, message)


_LIMITS: dict[tuple, tuple[Budget, threading.BoundedSemaphore]] = {}
_LIMITS_LOCK = threading.Lock()


def client_for(options: Any, tokens_dir: Any, scopes: tuple[str, ...],
               keepalive: Callable[[], None] = lambda: None) -> GraphClient:
    """A client for the mailbox ``options`` name, sharing its budget with the others in this process.

    ``keepalive`` (the context's) is called while the client waits to retry or for the budget.
    """
    from connectors.outlook import auth

    account = auth.resolve(options, tokens_dir)
    sign_in = auth.SignIn.shared(account)
    wanted = auth.qualified(account.graph_url, auth.usable(scopes, account.granted))
    client = GraphClient(
        account.graph_url, lambda force: sign_in.token(wanted, force), auth.http_session(account.ca_bundle),
        budget=options.request_budget, window=options.budget_window_seconds, concurrency=options.max_concurrency,
        timeout=options.timeout_seconds, keepalive=keepalive,
    )
    key = (str(account.cache_path), account.graph_url, account.username)
    with _LIMITS_LOCK:
        if key not in _LIMITS:
            _LIMITS[key] = (client.budget, client.slots)
        client.budget, client.slots = _LIMITS[key]
    return client
