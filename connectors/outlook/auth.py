"""Sign-in with msal: the device-code flow, the browser flow and silent tokens.

Interactive sign-in happens only in ``connect5 auth outlook``; the daemon asks
for tokens silently and, when the grant is gone, raises ``AuthError`` naming that
command. The token cache is msal's ``SerializableTokenCache`` kept in
``tokens/outlook.json`` (0600 in a 0700 folder) — msal-extensions' encrypted
stores need a keyring that headless Linux machines lack.

Scopes are qualified with the Graph resource (``https://graph.microsoft.us/Mail.ReadBasic``)
so national clouds and the test fake get tokens for the right audience;
msal adds ``openid profile offline_access`` itself.
https://learn.microsoft.com/entra/msal/python/ and
https://learn.microsoft.com/graph/deployments#app-registration-and-token-service-root-endpoints
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.base import AuthError, SourceUnavailable, unreachable
from connectors.outlook import GLOBAL_AUTHORITY, SIGN_IN_COMMAND, AccountOptions
from connectors.files import read_json, write_json, write_private

log = logging.getLogger(__name__)

CACHE_FILE = "outlook.json"
APP_FILE = "outlook-app.json"
MAIL_SCOPES = ("Mail.ReadBasic",)
CALENDAR_READ_SCOPES = ("Calendars.Read",)
CALENDAR_WRITE_SCOPES = ("Calendars.ReadWrite",)
# A scope a sign-in satisfies with a broader one it was granted: Entra refuses a silent
# request for a scope the user never consented to (AADSTS65001), even one a granted
# scope covers (https://learn.microsoft.com/graph/permissions-reference#calendarsreadwrite).
IMPLIED_BY = {"Calendars.Read": ("Calendars.ReadWrite",)}
# Token errors that only the user can clear (RFC 6749 5.2, OpenID Connect Core 3.1.2.6):
# anything else from the token endpoint is an outage and is retried.
SIGN_IN_AGAIN = frozenset({
    "invalid_grant", "interaction_required", "login_required", "consent_required", "invalid_client",
    "unauthorized_client", "invalid_scope", "access_denied", "account_selection_required",
})


def http_session(ca_bundle: str = ""):
    """A requests session; with ``ca_bundle`` it trusts that CA and ignores the environment.

    ``trust_env=False`` matters: a ``REQUESTS_CA_BUNDLE`` in the environment
    otherwise overrides the session's ``verify`` (psf/requests#3829).
    """
    import requests

    session = requests.Session()
    if ca_bundle:
        session.verify = ca_bundle
        session.trust_env = False
    return session


def qualified(graph_url: str, names: Iterable[str]) -> list[str]:
    parts = urlsplit(graph_url)
    resource = f"{parts.scheme}://{parts.netloc}"
    return [f"{resource}/{name}" for name in names]


def usable(wanted: Iterable[str], granted: Iterable[str]) -> tuple[str, ...]:
    """``wanted`` with each scope the sign-in lacks replaced by a granted one that implies it.

    With nothing recorded (a sign-in from before scopes were recorded) ``wanted`` is asked as is.
    """
    granted = set(granted)
    chosen = []
    for scope in wanted:
        broader = [other for other in IMPLIED_BY.get(scope, ()) if other in granted]
        chosen.append(broader[0] if scope not in granted and broader else scope)
    return tuple(dict.fromkeys(chosen))


def _requests_errors() -> type[Exception]:
    import requests

    return requests.RequestException


@dataclass(frozen=True)
class Account:
    """Everything needed to talk to one mailbox: resolved from Options and the sign-in record."""

    client_id: str
    authority_url: str
    graph_url: str
    ca_bundle: str
    username: str
    tokens_dir: Path
    granted: tuple[str, ...] = ()  # the scopes `connect5 auth outlook` signed in with, unqualified

    @property
    def cache_path(self) -> Path:
        return self.tokens_dir / CACHE_FILE


def resolve(options: AccountOptions, tokens_dir: Path) -> Account:
    """Fill what the config leaves empty from what ``connect5 auth outlook`` recorded."""
    recorded = read_json(tokens_dir / APP_FILE)
    client_id = options.client_id or recorded.get("client_id", "")
    if not client_id:
        raise AuthError(
            f"Outlook is not signed in: run `{SIGN_IN_COMMAND} --client-id YOUR-APP-ID` "
            "(docs/outlook.md shows how to register the app)"
        )
    tenant = options.tenant or recorded.get("tenant") or "common"
    authority = (options.authority or GLOBAL_AUTHORITY).rstrip("/")
    return Account(
        client_id=client_id,
        authority_url=f"{authority}/{tenant}",
        graph_url=options.graph_url.rstrip("/"),
        ca_bundle=options.ca_bundle,
        username=options.account or recorded.get("username", ""),
        tokens_dir=tokens_dir,
        granted=tuple(recorded.get("scopes") or ()) or _granted_in_cache(tokens_dir / CACHE_FILE),
    )


def _granted_in_cache(path: Path) -> tuple[str, ...]:
    """The scopes msal's cache holds tokens for, unqualified: for a sign-in from before they were recorded."""
    try:
        entries = read_json(path).get("AccessToken", {})
    except (OSError, ValueError, AttributeError):
        return ()
    names = {scope.rsplit("/", 1)[-1] for entry in entries.values() if isinstance(entry, dict)
             for scope in str(entry.get("target", "")).split()}
    return tuple(sorted(names))


def record_sign_in(tokens_dir: Path, client_id: str, tenant: str, username: str,
                   scopes: Iterable[str] = ()) -> None:
    """Remember the app, tenant, account and (unqualified) scopes of a sign-in, for the sources."""
    write_json(tokens_dir / APP_FILE, {"client_id": client_id, "tenant": tenant, "username": username,
                                       "scopes": sorted(scopes)})


class SignIn:
    """One msal PublicClientApplication with its cache file, shared per account in a process."""

    _shared: dict[tuple, SignIn] = {}
    _shared_lock = threading.Lock()

    def __init__(self, account: Account, session: Any = None) -> None:
        import msal

        self.account = account
        self.lock = threading.Lock()
        self.cache = msal.SerializableTokenCache()
        self._seen = None
        self._reload()
        try:
            self.app = msal.PublicClientApplication(
                account.client_id,
                authority=account.authority_url,
                token_cache=self.cache,
                http_client=session or http_session(account.ca_bundle),
                # Instance discovery asks login.microsoftonline.com whether the host is
                # known; the authority is the user's own config (national cloud, test
                # fake), and msal still does OpenID tenant discovery against it, here.
                instance_discovery=False,
            )
        except OSError as error:  # that discovery found no network: requests' errors are OSErrors
            raise SourceUnavailable(unreachable(account.authority_url, error)) from None

    @classmethod
    def shared(cls, account: Account) -> SignIn:
        key = (account.cache_path, account.client_id, account.authority_url, account.username)
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(account)
            return cls._shared[key]

    def token(self, scopes: list[str], force_refresh: bool = False) -> str:
        """An access token from the cache or a silent refresh; ``AuthError`` when none can be had."""
        with self.lock:
            self._reload()
            accounts = self.app.get_accounts(username=self.account.username or None)
            if not accounts:
                raise AuthError(f"Outlook is not signed in{self._who()}: run `{SIGN_IN_COMMAND}`")
            from msal.exceptions import MsalServiceError

            if force_refresh:
                # Graph refused a token msal still holds as valid. msal keeps one access token
                # per set of scopes, and looks up the first that covers a request, so a refused
                # one with broader scopes (the sign-in's) would be handed out again after this
                # refresh, one refusal per request. Every cached access token goes; the
                # refresh token stays and fetches them again.
                for entry in list(self.cache.search(self.cache.CredentialType.ACCESS_TOKEN)):
                    self.cache.remove_at(entry)
            try:
                result = self.app.acquire_token_silent_with_error(
                    scopes, account=accounts[0], force_refresh=force_refresh
                )
            except MsalServiceError as error:  # msal raises for any 5xx answer
                raise SourceUnavailable(f"Microsoft's token endpoint failed: {error}") from None
            except ValueError as error:  # msal's reading of a token answer that is not JSON (a proxy's error page)
                raise SourceUnavailable(f"Microsoft's token endpoint answered with no token: {error}") from None
            except OSError as error:  # requests' connection errors and timeouts are OSErrors
                raise SourceUnavailable(unreachable(self.account.authority_url, error)) from None
            finally:
                self._save()
        if result and "access_token" in result:
            return result["access_token"]
        reason = (result or {}).get("error", "")
        log.info("silent Outlook token refresh failed: %s", reason or "no refresh token")
        if reason and reason not in SIGN_IN_AGAIN:
            # An outage ("temporarily_unavailable", "server_error", a 5xx): the grant is fine,
            # so the source is retried with backoff instead of stopped until the user signs in.
            detail = (result or {}).get("error_description", "").splitlines()
            raise SourceUnavailable(f"Microsoft's token endpoint failed ({reason}{': ' + detail[0] if detail else ''})")
        raise AuthError(f"Outlook sign-in expired or was revoked{self._who()}: run `{SIGN_IN_COMMAND}`")

    def device_flow(self, scopes: list[str], show: Callable[[str], None]) -> str:
        """Sign in with a code typed at microsoft.com/devicelogin; returns the user name."""
        try:
            flow = self.app.initiate_device_flow(scopes=scopes)
            if "user_code" not in flow:
                raise AuthError(f"device sign-in could not start: {flow.get('error_description') or flow.get('error')}")
            show(flow["message"])
            result = self.app.acquire_token_by_device_flow(flow)
        except _requests_errors() as error:
            raise SourceUnavailable(unreachable(self.account.authority_url, error)) from None
        return self._finish(result)

    def browser_flow(self, scopes: list[str]) -> str:
        """Sign in in a browser, answered on http://localhost (the app's redirect URI)."""
        try:
            result = self.app.acquire_token_interactive(scopes, prompt="select_account")
        except _requests_errors() as error:  # not OSError: the redirect listener's own errors are not the network
            raise SourceUnavailable(unreachable(self.account.authority_url, error)) from None
        return self._finish(result)

    def _finish(self, result: dict) -> str:
        if "access_token" not in result:
            raise AuthError(f"sign-in failed: {result.get('error_description') or result.get('error')}")
        with self.lock:
            self._save()
        claims = result.get("id_token_claims") or {}
        return claims.get("preferred_username", "")

    def _reload(self) -> None:
        """Read the cache file again when someone else (`connect5 auth outlook`) rewrote it."""
        path = self.account.cache_path
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return
        if stamp == self._seen:
            return
        try:
            self.cache.deserialize(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("the Outlook token cache %s is unreadable; sign in again", path)
        self._seen = stamp

    def _save(self) -> None:
        if self.cache.has_state_changed:
            write_private(self.account.cache_path, self.cache.serialize())
            self.cache.has_state_changed = False
            self._seen = self.account.cache_path.stat().st_mtime_ns

    def _who(self) -> str:
        return f" as {self.account.username}" if self.account.username else ""
