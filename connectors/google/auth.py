"""The Google token file: reading it, refreshing and saving it, and the one-time sign-in.

The file (``tokens/google.json``, or ``google-<account>.json``) is an
authorized-user JSON: client id and secret of the user's own "Desktop app" OAuth
client, the refresh token, the scopes granted and the last access token. It is
written atomically with mode 0600 in a 0700 folder, by ``connect5 auth google``
and again after every refresh, because google-auth refreshes in memory only.

The token URI always comes from configuration: google-auth's
``Credentials.from_authorized_user_info`` ignores the file's ``token_uri`` and
always uses Google's, which would defeat proxies, emulators and the tests' fake.

A revoked or expired grant (``invalid_grant``) becomes ``AuthError`` naming the
command to run; the daemon never opens a browser.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from connectors.base import AuthError, SourceUnavailable, unreachable
from connectors.files import write_private
from connectors import google
from connectors.google import auth_command

log = logging.getLogger(__name__)


def read_token_file(path: Path, account: str = "") -> dict[str, Any]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuthError(f"not signed in to Google: run `{auth_command(account)}`") from None
    except (OSError, ValueError) as error:
        raise AuthError(f"unreadable Google token file {path} ({error}): run `{auth_command(account)}`") from None
    if not isinstance(info, dict) or not info.get("refresh_token"):
        raise AuthError(f"the Google token file {path} has no refresh token: run `{auth_command(account)}`")
    return info


def credentials(path: Path, token_uri: str, needed: list[str], account: str = "") -> Any:
    """Credentials from the token file that save themselves after each refresh.

    ``needed`` are the scopes the caller requires; missing ones mean the user signed
    in before this source was configured, so they must sign in again.
    """
    info = read_token_file(path, account)
    granted = set(info.get("scopes") or [])
    missing = [scope for scope in needed
               if scope not in granted and not google.IMPLIED_BY.get(scope, set()) & granted]
    if missing:
        names = ", ".join(scope.rsplit("/", 1)[-1] for scope in missing)
        raise AuthError(f"the Google sign-in lacks {names}: run `{auth_command(account)}` again")
    return _saving_class()(
        token=info.get("token"),
        refresh_token=info["refresh_token"],
        token_uri=token_uri,
        client_id=info.get("client_id"),
        client_secret=info.get("client_secret"),
        scopes=sorted(granted),
        expiry=_expiry(info.get("expiry")),
        on_refresh=lambda fresh: save(path, fresh, info),
        account=account,
    )


def _expiry(text: str | None) -> datetime | None:
    # google-auth compares expiry with a naive UTC now.
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def save(path: Path, fresh: Any, previous: dict[str, Any] | None = None) -> None:
    """Write ``fresh`` credentials to ``path``, keeping keys we add (e.g. the account's address)."""
    info = dict(previous or {})
    info.update({
        "type": "authorized_user",
        "client_id": fresh.client_id,
        "client_secret": fresh.client_secret,
        "refresh_token": fresh.refresh_token or info.get("refresh_token"),
        "token": fresh.token,
        "expiry": fresh.expiry.replace(tzinfo=timezone.utc).isoformat() if fresh.expiry else None,
        "scopes": sorted(fresh.granted_scopes or fresh.scopes or info.get("scopes") or []),
    })
    write_private(path, json.dumps(info, indent=2))
    log.debug("saved the refreshed Google token to %s", path)


_SAVING_CLASS: Any = None


def _saving_class() -> Any:
    """``google.oauth2.credentials.Credentials`` that saves after refresh and maps errors."""
    global _SAVING_CLASS
    if _SAVING_CLASS is not None:
        return _SAVING_CLASS
    from google.auth import exceptions
    from google.oauth2.credentials import Credentials

    class SavingCredentials(Credentials):
        def __init__(self, *args: Any, on_refresh: Callable[[Any], None], account: str, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self._on_refresh = on_refresh
            self._account = account

        def refresh(self, request: Any) -> None:
            try:
                super().refresh(request)
            except exceptions.RefreshError as error:
                if "invalid_grant" in str(error) or "invalid_client" in str(error):
                    raise AuthError(
                        f"Google refused the saved sign-in (expired or revoked): run `{auth_command(self._account)}`"
                    ) from None
                raise SourceUnavailable(f"Google token refresh failed: {error}") from None
            except exceptions.TransportError as error:
                raise SourceUnavailable(unreachable(self.token_uri, error)) from None
            self._on_refresh(self)

    _SAVING_CLASS = SavingCredentials
    return SavingCredentials
