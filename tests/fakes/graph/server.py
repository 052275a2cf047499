"""The fake Graph's HTTPS server: routing, bearer tokens, throttling, ``$batch``.

Serves https://127.0.0.1:PORT with a throwaway certificate (trustme), because
msal accepts only https authorities. Graph lives under ``/v1.0``; the identity
endpoints under ``/{tenant}/...``. Throttling follows
https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits:
a request budget per window (10,000 per 10 minutes by default; tests and
benchmarks scale it) and at most 4 concurrent requests per mailbox, both
answered with 429 and Retry-After. ``$batch`` refuses more than 20 requests
(https://learn.microsoft.com/graph/json-batching) and counts each one.
"""

from __future__ import annotations

import ssl
import json
import math
import socket
import struct
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import trustme

from .calendar import Calendar, NotFoundError, parse_graph_time
from .identity import Identity
from .mail import BadRequestError, GoneError, Mailbox
from .wire import Fault, Recorded, Reply, Throttle, error_reply


class FakeGraph:
    """A stateful Microsoft Graph + identity platform on 127.0.0.1, over HTTPS."""

    def __init__(self, *, budget: int = 10_000, window: float = 600.0, concurrency: int = 4,
                 max_page_size: int = 200, username: str = "me@example.com") -> None:
        self.mailbox = Mailbox()
        self.calendar = Calendar()
        self.identity = Identity(username)
        self.throttle = Throttle(budget, window, concurrency)
        self.max_page_size = max_page_size
        self.requests: list[Recorded] = []
        self.http_requests = 0  # round trips to Graph (a $batch is one), sign-in excluded
        # Fault injection: called with ("http", "METHOD /path") once per HTTP request to Graph
        # (a $batch is one) and with ("api", "METHOD /path") once per Graph request, ("part", ...)
        # per request inside a $batch; returns None or a ``Fault``. ``injected`` records what was done.
        self.injector = None
        self.injected: list[tuple[str, str, Fault]] = []
        self._lock = threading.Lock()
        self._folder = tempfile.TemporaryDirectory(prefix="fake-graph-")
        self._ca, self._certificate = _authority()
        self.ca_path = Path(self._folder.name) / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_path))
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeGraph:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._certificate.configure_cert(tls)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-graph", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._folder.cleanup()

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def authority(self) -> str:
        assert self._server is not None, "start() first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.authority}/v1.0"

    # -- convenience for tests --------------------------------------------------------------

    def graph_requests(self, path_part: str = "") -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if path_part in r.path]

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.http_requests = 0

    def expire_delta_tokens(self) -> None:
        self.mailbox.expire_tokens()
        self.calendar.expire_tokens()

    # -- dispatch -----------------------------------------------------------------------------

    def handle_graph(self, method: str, target: str, headers: dict, body: dict | None, in_batch: bool = False) -> Reply:
        parts = urlsplit(target)
        path = parts.path
        path = path[len("/v1.0"):] if path.startswith("/v1.0") else path
        path = "/" + path.lstrip("/")
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        fault = self.fault("part" if in_batch else "api", f"{method} {path}")
        wait = self.throttle.admit()
        if fault is not None and fault.kind == "status":
            reply = error_reply(fault.status, fault.code, f"injected {fault.status}", **dict(fault.headers))
        elif wait > 0:
            reply = error_reply(429, "ApplicationThrottled", "budget exceeded", **{"Retry-After": str(math.ceil(wait))})
        elif not self.identity.valid(_bearer(headers)):
            reply = error_reply(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        else:
            try:
                reply = self._route(method, path, query, headers, body)
            except GoneError as error:
                reply = error_reply(410, "SyncStateNotFound", f"The sync state is not found: {error}")
            except NotFoundError:
                reply = error_reply(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            except BadRequestError as error:
                reply = error_reply(400, "ErrorInvalidUrlQueryFilter", str(error))
        with self._lock:
            self.requests.append(Recorded(method, path, query, headers.get("prefer", ""), reply.status, in_batch))
        return reply

    def fault(self, layer: str, what: str) -> Fault | None:
        """The injected fault for this request, if any; "expire" is applied here."""
        if self.injector is None:
            return None
        with self._lock:
            fault = self.injector(layer, what)
            if fault is None:
                return None
            self.injected.append((layer, what, fault))
        if fault.kind == "expire":
            self.identity.expire_access_tokens()
            return None
        return fault

    def _route(self, method: str, path: str, query: dict, headers: dict, body: dict | None) -> Reply:
        segments = path.strip("/").split("/")
        if segments[0] != "me":
            return error_reply(404, "ResourceNotFound")
        rest = segments[1:]
        if rest == ["mailFolders"] and method == "GET":
            return self._folders(query)
        if len(rest) == 4 and rest[0] == "mailFolders" and rest[2:] == ["messages", "delta"] and method == "GET":
            return self._message_delta(rest[1], query, headers)
        if rest == ["calendarView", "delta"] and method == "GET":
            return self._calendar_delta(query, headers)
        if rest == ["events"]:
            return self._events(method, query, body)
        if len(rest) >= 2 and rest[0] == "events":
            return self._event(method, rest[1], rest[2:], query, body)
        return error_reply(400, "BadRequest", f"unsupported {method} {path}")

    def _folders(self, query: dict) -> Reply:
        wanted = query.get("$filter", "")
        items = [{"id": k, "displayName": v} for k, v in self.mailbox.folders.items()]
        if wanted.startswith("displayName eq "):
            name = wanted[len("displayName eq "):].strip("'").replace("''", "'")
            items = [item for item in items if item["displayName"] == name]
        return Reply(200, {"value": items})

    def _page_size(self, headers: dict) -> int:
        for part in headers.get("prefer", "").split(","):
            key, _, value = part.strip().partition("=")
            if key == "odata.maxpagesize" and value.isdigit():
                return max(1, min(int(value), self.max_page_size))
        return 10

    def _message_delta(self, folder: str, query: dict, headers: dict) -> Reply:
        box = self.mailbox
        if "$skiptoken" in query:
            round_ = box.resume_round(query["$skiptoken"])
        elif "$deltatoken" in query:
            round_ = box.resume_delta(query["$deltatoken"])
        else:
            try:
                folder_id = box.folder_id(folder)
            except KeyError:
                return error_reply(404, "ErrorInvalidIdMalformed", "no such folder")
            select = tuple(s.strip() for s in query["$select"].split(",")) if "$select" in query else None
            round_ = box.start(folder_id, select, query.get("$filter"))
        size = self._page_size(headers)
        items, skip, delta = box.page(round_, size)
        base = f"{self.url}/me/mailFolders/{round_.folder}/messages/delta"
        reply = {"value": items}
        if skip:
            reply["@odata.nextLink"] = f"{base}?$skiptoken={skip}"
        else:
            reply["@odata.deltaLink"] = f"{base}?$deltatoken={delta}"
        return Reply(200, reply, {"Preference-Applied": f"odata.maxpagesize={size}"})

    def _calendar_delta(self, query: dict, headers: dict) -> Reply:
        calendar = self.calendar
        if "$skiptoken" in query:
            round_ = calendar.resume_round(query["$skiptoken"])
        elif "$deltatoken" in query:
            round_ = calendar.resume_delta(query["$deltatoken"])
        else:
            if "$select" in query or "$expand" in query or "$filter" in query:
                return error_reply(400, "ErrorInvalidUrlQuery", "calendarView delta does not support $select/$expand/$filter")
            start = parse_graph_time(query["startDateTime"])
            end = parse_graph_time(query["endDateTime"])
            round_ = calendar.start_round(start, end)
        size = self._page_size(headers)
        items, skip, delta = calendar.page(round_, size)
        base = f"{self.url}/me/calendarView/delta"
        reply = {"value": items}
        if skip:
            reply["@odata.nextLink"] = f"{base}?$skiptoken={skip}"
        else:
            reply["@odata.deltaLink"] = f"{base}?$deltatoken={delta}"
        return Reply(200, reply)

    def _events(self, method: str, query: dict, body: dict | None) -> Reply:
        if method == "POST":
            event, created = self.calendar.create(body or {})
            return Reply(201 if created else 200, event)
        wanted = query.get("$filter", "")
        marker = "singleValueExtendedProperties/Any(ep: ep/id eq '"
        if method == "GET" and wanted.startswith(marker):
            property_id, _, rest = wanted[len(marker):].partition("' and ep/value eq '")
            value = rest.rstrip(")").rstrip("'")
            return Reply(200, {"value": [_select(e, query) for e in self.calendar.with_property(property_id, value)]})
        return error_reply(400, "BadRequest", "unsupported events query")

    def _event(self, method: str, event_id: str, rest: list[str], query: dict, body: dict | None) -> Reply:
        calendar = self.calendar
        if rest == ["instances"] and method == "GET":
            start, end = parse_graph_time(query["startDateTime"]), parse_graph_time(query["endDateTime"])
            return Reply(200, {"value": [_select(e, query) for e in calendar.instances(event_id, start, end)]})
        if rest:
            return error_reply(400, "BadRequest")
        if method == "GET":
            event = calendar.get(event_id)
            expand = query.get("$expand", "")
            found = calendar._locate(event_id)[0]
            selected = _select(event, query)
            if expand.startswith("singleValueExtendedProperties"):
                wanted = expand.split("id eq '")[-1].rstrip("')") if "id eq '" in expand else ""
                properties = [p for p in found.get("singleValueExtendedProperties", [])
                              if not wanted or p["id"].lower() == wanted.lower()]
                if properties:
                    selected["singleValueExtendedProperties"] = properties
            return Reply(200, selected)
        if method == "PATCH":
            return Reply(200, calendar.patch(event_id, body or {}))
        if method == "DELETE":
            calendar.delete(event_id)
            return Reply(204)
        return error_reply(405, "MethodNotAllowed")

    def handle_batch(self, headers: dict, body: dict) -> Reply:
        requests = body.get("requests", [])
        if len(requests) > 20:
            return error_reply(400, "BadRequest", "The number of requests in a batch cannot exceed 20.")
        responses = []
        for request in requests:
            sub_headers = {k.lower(): v for k, v in request.get("headers", {}).items()}
            sub_headers["authorization"] = headers.get("authorization", "")
            reply = self.handle_graph(request["method"], request["url"], sub_headers, request.get("body"), in_batch=True)
            responses.append({"id": request["id"], "status": reply.status, "headers": reply.headers, "body": reply.body})
        return Reply(200, {"responses": responses})


_AUTHORITY: tuple | None = None


def _authority() -> tuple:
    """One throwaway CA and server certificate per test run: making them costs a quarter second."""
    global _AUTHORITY
    if _AUTHORITY is None:
        ca = trustme.CA()
        _AUTHORITY = (ca, ca.issue_cert("127.0.0.1", "localhost"))
    return _AUTHORITY


def _bearer(headers: dict) -> str:
    value = headers.get("authorization", "")
    return value[7:] if value.lower().startswith("bearer ") else ""


def _select(event: dict, query: dict) -> dict:
    if "$select" not in query:
        return event
    keys = ["id", *[k.strip() for k in query["$select"].split(",")]]
    return {k: event[k] for k in keys if k in event}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes; without this, Nagle plus
        # delayed ACKs add 40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:  # quiet: tests read fake.requests instead
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        fake: FakeGraph = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = urlsplit(self.path).path
        fault = fake.fault("http", f"{method} {path}") if path.startswith("/v1.0") else None
        if fault is not None and fault.kind == "reset":
            return self._drop()
        if path.startswith("/v1.0"):
            with fake._lock:
                fake.http_requests += 1
            if not fake.throttle.enter():
                reply = error_reply(429, "MailboxConcurrency", "too many concurrent requests", **{"Retry-After": "1"})
            else:
                try:
                    body = json.loads(raw) if raw else None
                    if path == "/v1.0/$batch" and method == "POST":
                        reply = fake.handle_batch(headers, body or {})
                    else:
                        reply = fake.handle_graph(method, self.path, headers, body)
                finally:
                    fake.throttle.leave()
        else:
            reply = self._identity(fake, method, path, raw)
        if fault is not None and fault.kind == "timeout":
            time.sleep(fault.stall)
            return self._drop()
        self._send(reply)

    def _drop(self) -> None:
        """Close with a TCP reset (SO_LINGER 0): the client reads no answer at all."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _identity(self, fake: FakeGraph, method: str, path: str, raw: bytes) -> Reply:
        segments = path.strip("/").split("/")
        tenant = segments[0] if segments else ""
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if segments[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return Reply(200, fake.identity.configuration(fake.authority, tenant))
        if segments[1:] == ["oauth2", "v2.0", "devicecode"] and method == "POST":
            return Reply(200, fake.identity.device_code(form, fake.authority))
        if segments[1:] == ["oauth2", "v2.0", "token"] and method == "POST":
            status, body = fake.identity.token(form, fake.authority, tenant)
            # The identity platform sends Retry-After with its 429/5xx answers; msal honours it.
            return Reply(status, body, {"Retry-After": "1"} if status == 429 or status >= 500 else {})
        return error_reply(404, "not_found")

    def _send(self, reply: Reply) -> None:
        payload = json.dumps(reply.body).encode() if reply.body is not None else b""
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


__all__ = ["Fault", "FakeGraph", "Recorded"]
