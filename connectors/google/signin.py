"""The one interactive step: Google's installed-app flow on a loopback redirect.

https://developers.google.com/identity/protocols/oauth2/native-app#redirect-uri_loopback:
a one-shot HTTP server bound to 127.0.0.1 only (never all interfaces) on a free
port receives the redirect carrying the code, which is exchanged (with PKCE) at
the client's token URI. Only ``connect5 auth google`` calls this; the daemon
never opens a browser.
"""

from __future__ import annotations

import logging
import os
import wsgiref.simple_server
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
DONE_PAGE = b"<html><body><p>connect5 is signed in to Google. You can close this tab.</p></body></html>"


class SignInError(Exception):
    """The sign-in did not complete; the message says why and what to do."""


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the URL carries the code: keep it out of logs
        pass


def sign_in(client_config: dict[str, Any], scopes: list[str], show_url: Callable[[str], None],
            timeout: float = 300.0) -> Any:
    """Run the flow and return google.oauth2 credentials holding a refresh token."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    token_uri = next(iter(client_config.values())).get("token_uri", "")
    _allow_plain_http_on_loopback(token_uri)
    # Google may grant fewer scopes than asked (the user can untick boxes); we check ourselves.
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    flow = InstalledAppFlow.from_client_config(client_config, scopes=scopes)
    answers: list[str] = []

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        answers.append(wsgiref.util.request_uri(environ))
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [DONE_PAGE]

    server = wsgiref.simple_server.make_server(LOOPBACK, 0, application, handler_class=_QuietHandler)
    try:
        flow.redirect_uri = f"http://{LOOPBACK}:{server.server_port}/"
        url, _ = flow.authorization_url(access_type="offline", prompt="consent")
        show_url(url)
        server.timeout = timeout
        while not any("code=" in answer or "error=" in answer for answer in answers):
            before = len(answers)
            server.handle_request()
            if len(answers) == before:
                raise SignInError(f"no answer from the browser within {timeout:.0f} s")
    finally:
        server.server_close()
    answer = next(answer for answer in answers if "code=" in answer or "error=" in answer)
    error = parse_qs(urlsplit(answer).query).get("error")
    if error:
        raise SignInError(f"Google refused the sign-in: {error[0]}")
    # oauthlib wants the redirect as https; the loopback redirect is plain http by design.
    import requests

    try:
        flow.fetch_token(authorization_response=answer.replace("http://", "https://", 1))
    except requests.RequestException as error:
        from connectors.base import unreachable

        raise SignInError(unreachable(token_uri, error)) from None
    return flow.credentials


def _allow_plain_http_on_loopback(token_uri: str) -> None:
    host = urlsplit(token_uri).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        # An emulator or test server on this machine; Google's own endpoint is https.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
