"""The fake's OAuth side: an /authorize that consents at once, and a token endpoint.

Behaves like https://developers.google.com/identity/protocols/oauth2/native-app:
the authorization-code grant (with PKCE) gives an access and a refresh token, the
refresh-token grant gives a new access token, and a revoked or unknown refresh
token is answered ``400 {"error": "invalid_grant"}``.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlencode

CLIENT_ID = "fake-client.apps.googleusercontent.com"
CLIENT_SECRET = "fake-secret"


@dataclass
class Grant:
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass
class OAuth:
    clock: Callable[[], float] = time.monotonic
    lifetime: float = 3600.0
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[tuple[str, ...], float]] = field(default_factory=dict)
    codes: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    refreshes: int = 0
    # The next this-many token requests meet an outage (503 with Google's JSON error), as in an incident.
    outages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def grant(self, scopes: tuple[str, ...]) -> str:
        """A refresh token for ``scopes``, as if the user had consented."""
        token = "1//refresh-" + secrets.token_hex(8)
        self.refresh_tokens[token] = Grant(tuple(scopes))
        return token

    def revoke_all(self) -> None:
        for grant in self.refresh_tokens.values():
            grant.revoked = True
        self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def scopes_of(self, access_token: str) -> tuple[str, ...] | None:
        entry = self.access_tokens.get(access_token)
        if entry is None or entry[1] <= self.clock():
            return None
        return entry[0]

    def authorize(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        """Consent at once: redirect to ``redirect_uri`` with a code, as a browser would see."""
        redirect = query["redirect_uri"][0]
        scopes = tuple(query.get("scope", [""])[0].split())
        code = "4/code-" + secrets.token_hex(6)
        self.codes[code] = (scopes, redirect)
        answer = {"code": code, "scope": " ".join(scopes)}
        if "state" in query:
            answer["state"] = query["state"][0]
        return 302, {"Location": f"{redirect}?{urlencode(answer)}"}, b""

    def token(self, form: dict[str, list[str]], authorization: str = "") -> tuple[int, dict]:
        value = {key: values[0] for key, values in form.items()}
        if authorization.startswith("Basic "):
            # RFC 6749 2.3.1: client credentials may come as HTTP Basic (requests-oauthlib does so).
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
            value.update(client_id=unquote_plus(client_id), client_secret=unquote_plus(client_secret))
        if value.get("client_id") != CLIENT_ID or value.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
        with self.lock:
            if self.outages > 0:
                self.outages -= 1
                return 503, {"error": "internal_failure", "error_description": "Backend Error"}
            if value.get("grant_type") == "authorization_code":
                return self._exchange(value)
            if value.get("grant_type") == "refresh_token":
                return self._refresh(value)
        return 400, {"error": "unsupported_grant_type"}

    def _exchange(self, value: dict[str, str]) -> tuple[int, dict]:
        entry = self.codes.pop(value.get("code", ""), None)
        if entry is None or entry[1] != value.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
        scopes = entry[0]
        refresh = self.grant(scopes)
        return 200, {**self._access(scopes), "refresh_token": refresh}

    def _refresh(self, value: dict[str, str]) -> tuple[int, dict]:
        grant = self.refresh_tokens.get(value.get("refresh_token", ""))
        if grant is None or grant.revoked:
            return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        self.refreshes += 1
        return 200, self._access(grant.scopes)

    def _access(self, scopes: tuple[str, ...]) -> dict:
        token = "ya29.fake-" + secrets.token_hex(8)
        self.access_tokens[token] = (scopes, self.clock() + self.lifetime)
        return {
            "access_token": token,
            "expires_in": int(self.lifetime),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }
