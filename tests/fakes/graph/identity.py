"""The fake Microsoft identity platform: OpenID discovery, device code, tokens.

Enough of https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
for msal's PublicClientApplication: tenant discovery, the device authorization
endpoint, and a token endpoint that answers ``authorization_pending`` until the
test (or ``auto_approve``) lets the user "sign in", then issues tokens; refresh
tokens can be revoked to play an expired grant. The user consents, at sign-in, to
the scopes asked for then; a silent refresh asking for any other scope is refused
as Entra refuses it (``invalid_grant``, AADSTS65001, suberror ``consent_required``):
consent is per scope, and only an interactive sign-in can add one
(https://learn.microsoft.com/entra/identity-platform/consent-types-developer).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class Identity:
    """Issued codes and tokens, shared with the Graph side to check bearer tokens."""

    def __init__(self, username: str = "me@example.com", auto_approve_after: int = 1) -> None:
        self.lock = threading.Lock()
        self.username = username
        self.auto_approve_after = auto_approve_after  # pending answers before approval
        self.device_codes: dict[str, dict] = {}
        self.access_tokens: dict[str, float] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.scopes_seen: list[str] = []
        self.consented: set[str] = set()  # scopes the user agreed to at sign-in (OpenID ones aside)
        self.token_requests: list[str] = []
        # The next this-many token requests meet an outage: (status, JSON body or None for a proxy's HTML page).
        self.outages: list[tuple[int, dict | None]] = []
        self._ids = itertools.count(1)

    def configuration(self, base: str, tenant: str) -> dict:
        root = f"{base}/{tenant}"
        return {
            "issuer": f"{base}/{tenant}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "response_types_supported": ["code"],
        }

    def device_code(self, form: dict, base: str) -> dict:
        with self.lock:
            code = f"device-{next(self._ids)}"
            self.device_codes[code] = {"polls": 0, "client_id": form.get("client_id", ""),
                                       "scopes": _resource_scopes(form)}
            self.scopes_seen.append(form.get("scope", ""))
            return {
                "device_code": code, "user_code": "FAKE-CODE", "verification_uri": f"{base}/devicelogin",
                "expires_in": 900, "interval": 0,
                "message": f"To sign in, open {base}/devicelogin and enter the code FAKE-CODE.",
            }

    def token(self, form: dict, base: str, tenant: str) -> tuple[int, dict]:
        grant = form.get("grant_type", "")
        with self.lock:
            self.token_requests.append(grant)
            if self.outages:
                return self.outages.pop(0)
            if grant.endswith("device_code"):
                entry = self.device_codes.get(form.get("device_code", ""))
                if entry is None:
                    return 400, {"error": "expired_token", "error_description": "unknown device code"}
                entry["polls"] += 1
                if entry["polls"] <= self.auto_approve_after:
                    return 400, {"error": "authorization_pending", "error_description": "pending"}
                self.scopes_seen.append(form.get("scope", ""))
                self.consented |= entry["scopes"] | _resource_scopes(form)  # what the consent page showed
                # The device-code redemption names no scope; Entra answers with what was granted.
                return 200, self._issue(form, base, tenant, scope=" ".join(sorted(entry["scopes"])))
            if grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70008: the refresh token has expired or was revoked",
                                 "suberror": "bad_token"}
                missing = _resource_scopes(form) - self.consented
                if missing:
                    return 400, {"error": "invalid_grant", "suberror": "consent_required",
                                 "error_description": "AADSTS65001: The user or administrator has not consented to use "
                                 f"the application for {' '.join(sorted(missing))}. Send an interactive authorization "
                                 "request for this user and resource."}
                return 200, self._issue(form, base, tenant)
            return 400, {"error": "unsupported_grant_type"}

    def revoke(self) -> None:
        """The user (or an admin) revoked the grant: refresh and access tokens stop working."""
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.access_tokens.get(token)
            return expiry is not None and expiry > time.time()

    def _issue(self, form: dict, base: str, tenant: str, scope: str = "") -> dict:
        number = next(self._ids)
        access, refresh = f"access-{number}", f"refresh-{number}"
        self.access_tokens[access] = time.time() + 3600
        self.refresh_tokens[refresh] = self.username
        now = int(time.time())
        claims = {
            "iss": f"{base}/{tenant}/v2.0", "sub": "user-sub", "aud": form.get("client_id", ""),
            "exp": now + 3600, "iat": now, "nbf": now, "oid": "user-oid", "tid": "tenant-id",
            "preferred_username": self.username, "name": "Ada Lovelace", "ver": "2.0",
        }
        id_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.sig"
        return {
            "token_type": "Bearer", "scope": scope or form.get("scope", ""), "expires_in": 3600, "ext_expires_in": 3600,
            "access_token": access, "refresh_token": refresh, "id_token": id_token,
            "client_info": _b64({"uid": "user-oid", "utid": "tenant-id"}),
        }


OPENID_SCOPES = {"openid", "profile", "offline_access", "email"}


def _resource_scopes(form: dict) -> set[str]:
    """The scopes of a token request that need the user's consent (not OpenID Connect's own)."""
    return set(form.get("scope", "").split()) - OPENID_SCOPES
