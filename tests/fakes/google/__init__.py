"""A stateful fake of Google's Gmail, Calendar and OAuth endpoints on 127.0.0.1.

The real google-api-python-client and google-auth talk to it over HTTP::

    with FakeGoogle() as fake:
        fake.mailbox.add(sender="bob@example.com", to="me@example.com", subject="Hi")
        token_file = fake.token_file(tmp_path, scopes)   # as if `connect5 auth google` had run
        ... GmailSource(Options(gmail_endpoint=fake.gmail_endpoint, token_uri=fake.token_uri), ...)

It keeps a mailbox (``fake.mailbox``, see ``gmail.py``) and calendars
(``fake.calendars``, see ``calendar.py``), charges quota units per method
(``fake.quota``), checks bearer tokens and their scopes, and logs every call it
answered in ``fake.calls`` so tests can say what was (never) asked.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from . import oauth as oauth_module
from .calendar import Calendars
from .gmail import GMAIL_SCOPES, Mailbox
from .oauth import OAuth
from .quota import GMAIL_COSTS, Quota, retry_after_header
from .server import MAX_BATCH_PARTS, ApiError, Call, Fault, Response, batch_response, parse_batch, serve

__all__ = ["FakeGoogle", "Call", "Fault"]

CALENDAR = "https://www.googleapis.com/auth/calendar"
CALENDAR_READ = {CALENDAR, CALENDAR + ".readonly", CALENDAR + ".events", CALENDAR + ".events.readonly"}
CALENDAR_WRITE = {CALENDAR, CALENDAR + ".events"}
APP_CREATED = CALENDAR + ".app.created"

_EVENTS = r"/calendar/v3/calendars/([^/]+)/events"
ROUTES = [  # (HTTP method, path pattern, API method, access kind)
    ("GET", r"/gmail/v1/users/me/profile", "users.getProfile", "gmail"),
    ("GET", r"/gmail/v1/users/me/messages", "users.messages.list", "gmail"),
    ("GET", r"/gmail/v1/users/me/messages/([^/]+)", "users.messages.get", "gmail"),
    ("GET", r"/gmail/v1/users/me/history", "users.history.list", "gmail"),
    ("GET", _EVENTS, "events.list", "read"),
    ("POST", _EVENTS, "events.insert", "write"),
    ("GET", _EVENTS + r"/([^/]+)", "events.get", "read"),
    ("PATCH", _EVENTS + r"/([^/]+)", "events.patch", "write"),
    ("DELETE", _EVENTS + r"/([^/]+)", "events.delete", "write"),
    ("GET", _EVENTS + r"/([^/]+)/instances", "events.instances", "read"),
    ("GET", r"/calendar/v3/users/me/calendarList", "calendarList.list", "calendar-list"),
    ("POST", r"/calendar/v3/calendars", "calendars.insert", "calendar-create"),
]
_COMPILED_ROUTES = [(verb, re.compile(pattern), name, kind) for verb, pattern, name, kind in ROUTES]


class FakeGoogle:
    """Start with ``with FakeGoogle() as fake:`` (or ``start()``/``stop()``)."""

    def __init__(self, *, units_per_minute: float = 1_000_000, message_get_units: int = 5,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 address: str = "me@example.com"):
        self.address = address
        self.mailbox = Mailbox(address=address, now=now)
        self.calendars = Calendars(owner=address, now=now)
        self.oauth = OAuth(clock=clock)
        self.quota = Quota(units_per_minute, clock)
        self.costs = {**GMAIL_COSTS, "users.messages.get": message_get_units}
        self.rate_limit_status = 429  # or 403 (userRateLimitExceeded), which Gmail also sends
        self.faults: list[int] = []  # statuses to answer the next API calls with (503 ...)
        # Fault injection: called with ("http", "METHOD /path") once per HTTP request to the APIs
        # (not /token) and with ("api", method name) once per API call, ("part", name) per batch part;
        # returns None or a ``Fault``. ``injected`` counts what was done, by kind.
        self.injector: Callable[[str, str], Fault | None] | None = None
        self.injected: list[tuple[str, str, Fault]] = []
        self.calls: list[Call] = []
        self.round_trips = 0
        self.lock = threading.RLock()
        self.server = None

    # --- lifecycle and addresses --------------------------------------------

    def start(self) -> FakeGoogle:
        self.server, self.thread = serve(self)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/"

    @property
    def gmail_endpoint(self) -> str:
        return self.base

    @property
    def calendar_endpoint(self) -> str:
        return self.base + "calendar/v3/"

    @property
    def token_uri(self) -> str:
        return self.base + "token"

    @property
    def auth_uri(self) -> str:
        return self.base + "authorize"

    def client_secrets(self) -> dict:
        """A "Desktop app" client secrets file's content pointing at this fake."""
        return {"installed": {"client_id": oauth_module.CLIENT_ID, "client_secret": oauth_module.CLIENT_SECRET,
                              "auth_uri": self.auth_uri, "token_uri": self.token_uri,
                              "redirect_uris": ["http://localhost"]}}

    def authorized_user(self, scopes: list[str]) -> dict:
        """The token file `connect5 auth google` writes, for a grant of ``scopes``."""
        return {"type": "authorized_user", "client_id": oauth_module.CLIENT_ID,
                "client_secret": oauth_module.CLIENT_SECRET, "refresh_token": self.oauth.grant(tuple(scopes)),
                "token_uri": self.token_uri, "scopes": list(scopes)}

    def token_file(self, folder: Path, scopes: list[str], name: str = "google.json") -> Path:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / name
        path.write_text(json.dumps(self.authorized_user(scopes)))
        path.chmod(0o600)
        return path

    # --- what tests read ----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    # --- dispatch -------------------------------------------------------------------

    def http_fault(self, method: str, path: str) -> Fault | None:
        """The fault for this HTTP request, if any; "expire" is applied here, the others by the server."""
        if self.injector is None or path in ("/token", "/authorize"):
            return None
        with self.lock:
            fault = self.injector("http", f"{method} {path}")
            if fault is None:
                return None
            self.injected.append(("http", f"{method} {path}", fault))
            if fault.kind == "expire":
                self.oauth.expire_access_tokens()
                return None
            return fault

    def handle(self, method: str, path: str, query: dict, headers: dict, body: bytes) -> tuple[str, object]:
        with self.lock:
            self.round_trips += 1
            if path == "/token" and method == "POST":
                authorization = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
                status, answer = self.oauth.token(parse_qs(body.decode()), authorization)
                return "", Response(status, answer)
            if path == "/authorize":
                status, extra, _ = self.oauth.authorize(query)
                return "", Response(status, None, extra)
            try:
                scopes = self._authenticate(headers)
                if path == "/batch/gmail/v1" and method == "POST":
                    return self._batch(headers, body, scopes)
                return "", self._api(method, path, query, body, scopes, in_batch=False)
            except ApiError as error:
                return "", error.response

    def _authenticate(self, headers: dict) -> tuple[str, ...]:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scopes = self.oauth.scopes_of(value.removeprefix("Bearer ").strip())
        if scopes is None:
            raise ApiError(401, "authError", "Invalid Credentials", {"WWW-Authenticate": 'Bearer realm="fake"'})
        return scopes

    def _batch(self, headers: dict, body: bytes, scopes: tuple[str, ...]) -> tuple[str, bytes]:
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        parts = parse_batch(content_type, body)
        if len(parts) > MAX_BATCH_PARTS:
            raise ApiError(400, "badRequest", f"A batch may hold at most {MAX_BATCH_PARTS} requests.")
        answers = []
        queries: dict[str, dict] = {}  # the parts of a batch mostly share one query string: parse it once
        for content_id, method, target, part_body in parts:
            split = urlsplit(target)
            if split.query not in queries:
                queries[split.query] = parse_qs(split.query, keep_blank_values=True)
            answers.append((content_id, self._api(method, split.path, queries[split.query], part_body, scopes,
                                                  in_batch=True)))
        return batch_response(answers)

    def _api(self, method: str, path: str, query: dict, body: bytes, scopes: tuple[str, ...],
             in_batch: bool) -> Response:
        for verb, pattern, name, kind in _COMPILED_ROUTES:
            match = pattern.fullmatch(path) if verb == method else None
            if match:
                arguments = [unquote(group) for group in match.groups()]
                return self._call(name, kind, arguments, query, body, scopes, path, in_batch)
        return ApiError(404, "notFound", f"No route for {method} {path}").response

    def _call(self, name, kind, arguments, query, body, scopes, path, in_batch) -> Response:
        units = self.costs.get(name, 0)
        self._scopes = set(scopes)
        try:
            self._check_scopes(kind, arguments, scopes)
            if self.faults:
                status = self.faults.pop(0)
                raise ApiError(status, "backendError", "Backend Error")
            layer = "part" if in_batch else "api"
            fault = self.injector(layer, name) if self.injector else None
            if fault is not None:
                self.injected.append((layer, name, fault))
                raise fault.error()
            wait = self.quota.charge(name, units) if units else None
            if wait is not None:
                units = 0
                reason = "rateLimitExceeded" if self.rate_limit_status == 429 else "userRateLimitExceeded"
                raise ApiError(self.rate_limit_status, reason, "Quota exceeded for quota metric 'Queries' and "
                               "limit 'Queries per minute per user'", {"Retry-After": retry_after_header(wait)},
                               domain="usageLimits")
            answer = self._run(name, arguments, query, body)
            response = Response(204 if answer is None else 200, answer)
        except ApiError as error:
            response = error.response
        self.calls.append(Call("gmail" if kind == "gmail" else "calendar", name, path, query,
                               response.status, units if response.status < 400 else 0, in_batch))
        return response

    def _check_scopes(self, kind: str, arguments: list[str], scopes: tuple[str, ...]) -> None:
        granted = set(scopes)
        if kind == "gmail":
            # With gmail.metadata in a token Google applies its limits (no q, no
            # bodies) to every call, whatever else was granted; gmail.py enforces them.
            allowed = bool(granted & GMAIL_SCOPES)
        elif kind in ("read", "write"):
            needed = CALENDAR_READ if kind == "read" else CALENDAR_WRITE
            allowed = bool(granted & needed) or (
                APP_CREATED in granted and self.calendars.is_app_created(arguments[0]))
        elif kind == "calendar-list":
            allowed = bool(granted & {CALENDAR, CALENDAR + ".readonly", APP_CREATED})
        else:
            allowed = bool(granted & {CALENDAR, APP_CREATED})
        if not allowed:
            raise ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.")

    def _run(self, name: str, arguments: list[str], query: dict, body: bytes) -> object:
        payload = json.loads(body) if body.strip() else {}
        mailbox, calendars = self.mailbox, self.calendars
        table = {
            "users.getProfile": lambda: mailbox.get_profile(query),
            "users.messages.list": lambda: mailbox.list_messages(query),
            "users.messages.get": lambda: mailbox.get_message(arguments[0], query),
            "users.history.list": lambda: mailbox.list_history(query),
            "events.list": lambda: calendars.list_events(arguments[0], query),
            "events.insert": lambda: calendars.insert_event(arguments[0], payload),
            "events.get": lambda: calendars.get_event(*arguments),
            "events.patch": lambda: calendars.patch_event(*arguments, payload),
            "events.delete": lambda: calendars.delete_event(*arguments),
            "events.instances": lambda: calendars.instances(*arguments, query),
            "calendarList.list": lambda: calendars.calendar_list(
                not self._scopes & {CALENDAR, CALENDAR + ".readonly"}),
            "calendars.insert": lambda: calendars.insert_calendar(payload),
        }
        return table[name]()

