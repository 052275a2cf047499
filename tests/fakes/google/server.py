"""The HTTP side of the fake: a threaded server on 127.0.0.1, routing, batches, errors.

Error bodies have Google's JSON shape (``{"error": {"code", "message", "errors":
[{"domain", "reason", "message"}], "status"}}``, see
https://cloud.google.com/apis/design/errors) so the client library's ``HttpError``
and our connectors read them as they would read Google's.
Batches follow https://developers.google.com/workspace/gmail/api/guides/batch:
multipart/mixed of application/http parts, at most 100 parts, each part
charged and answered on its own.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BATCH_PARTS = 100
# Reasons Google files under the "usageLimits" domain (Gmail's and Calendar's error guides,
# https://developers.google.com/workspace/gmail/api/guides/handle-errors,
# https://developers.google.com/workspace/calendar/api/guides/errors).
USAGE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded",
                       "limitExceeded", "dailyLimitExceededUnreg", "concurrentLimitExceeded"}

STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 409: "ALREADY_EXISTS", 410: "GONE", 429: "RESOURCE_EXHAUSTED"}
REASONS = {200: "OK", 204: "No Content", 302: "Found", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 409: "Conflict", 410: "Gone", 429: "Too Many Requests",
           500: "Internal Server Error"}


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] | None = None

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


class ApiError(Exception):
    """Raised by a handler to answer with Google's error shape."""

    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None,
                 domain: str = "global"):
        super().__init__(message)
        self.response = Response(status, {"error": {
            "code": status, "message": message,
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "status": STATUS_NAMES.get(status, "UNKNOWN")}}, headers)


@dataclass(frozen=True)
class Fault:
    """A fault the fake injects instead of answering normally (see ``FakeGoogle.injector``).

    ``kind``:
      "status"  answer ``status`` (with ``reason`` and ``headers``) without running the call;
      "reset"   close the connection with a TCP reset before running the request;
      "timeout" run the request, then stall ``stall`` seconds and close without answering:
                the client times out on a request whose effect did happen;
      "expire"  forget every access token first, so the request meets a 401 (token expired mid-sync).
    """

    kind: str
    status: int = 0
    reason: str = "backendError"
    headers: tuple[tuple[str, str], ...] = ()
    stall: float = 1.0

    def error(self) -> ApiError:
        domain = "usageLimits" if self.reason in USAGE_LIMIT_REASONS else "global"
        return ApiError(self.status, self.reason, f"Injected {self.status} {self.reason}", dict(self.headers),
                        domain=domain)


@dataclass
class Call:
    """One API call the fake answered (batch parts count one each)."""

    api: str
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    units: int
    in_batch: bool


def parse_batch(content_type: str, body: bytes) -> list[tuple[str, str, str, bytes]]:
    """The parts of a multipart/mixed batch as (content id, method, path+query, body)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ApiError(400, "badRequest", "Missing boundary in multipart body.")
    delimiter = b"--" + match.group(1).encode()
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.replace(b"\r\n", b"\n").strip(b"\n")
        mime_headers, _, request = chunk.partition(b"\n\n")
        content_id = ""
        for line in mime_headers.decode().split("\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-id":
                content_id = value.strip().strip("<>")
        head, _, part_body = request.partition(b"\n\n")
        method, target, *_ = head.decode().split("\n")[0].split(" ")
        parts.append((content_id, method, target, part_body))
    return parts


def batch_response(answers: list[tuple[str, Response]]) -> tuple[str, bytes]:
    boundary = "batch_" + secrets.token_hex(8)
    chunks = []
    for content_id, answer in answers:
        payload = answer.payload().decode()
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-{content_id}>\r\n\r\n"
            f"HTTP/1.1 {answer.status} {REASONS.get(answer.status, 'Status')}\r\n"
            f"Content-Type: application/json; charset=UTF-8\r\n"
            + "".join(f"{key}: {value}\r\n" for key, value in (answer.headers or {}).items())
            + f"\r\n{payload}\r\n"
        )
    chunks.append(f"--{boundary}--\r\n")
    return f"multipart/mixed; boundary={boundary}", "".join(chunks).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one response = headers + body; avoid the 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read fake.calls
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        fault = self.server.fake.http_fault(self.command, split.path)
        if fault is not None and fault.kind == "reset":
            return self._drop()
        content_type, answer = self.server.fake.handle(self.command, split.path, query, dict(self.headers), body)
        if fault is not None and fault.kind == "timeout":
            time.sleep(fault.stall)
            return self._drop()
        payload = answer if isinstance(answer, bytes) else b""
        if isinstance(answer, Response):
            payload = answer.payload()
            content_type = content_type or "application/json; charset=UTF-8"
        status = answer.status if isinstance(answer, Response) else 200
        self.send_response(status)
        for key, value in ((answer.headers or {}) if isinstance(answer, Response) else {}).items():
            self.send_header(key, value)
        if payload:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        """Close with a TCP reset (SO_LINGER 0): the client reads no answer at all."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: Any


def serve(fake: Any) -> tuple[_Server, threading.Thread]:
    """Start ``fake`` on a free port of 127.0.0.1 in a background thread."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread
