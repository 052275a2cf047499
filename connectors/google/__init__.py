"""Google: Gmail (headers only), Google Calendar, and the daily block in Google Calendar.

Modules: ``auth`` (token file, sign-in, refresh that saves), ``pacing`` (the
per-user quota budget), ``client`` (building the API clients against configurable
endpoints, retries, batches that re-queue their failed parts), ``gmail`` and
``messages`` (the mail source), ``calendar`` (the calendar source) and ``block``
(the block writer).

Nothing here imports Google's libraries at module level: config validation
imports the connector classes to read their ``Options``, and that must stay cheap
for people who never use Google.
"""

from __future__ import annotations

from pathlib import Path

GMAIL_ENDPOINT = "https://gmail.googleapis.com/"
CALENDAR_ENDPOINT = "https://www.googleapis.com/calendar/v3/"
TOKEN_URI = "https://oauth2.googleapis.com/token"

# The narrowest scopes that work (https://developers.google.com/workspace/gmail/api/auth/scopes,
# https://developers.google.com/workspace/calendar/api/auth). gmail.metadata must never
# be mixed with a broader Gmail scope: Google would then apply the metadata limits to
# the whole token.
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
CALENDAR_EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_APP_CREATED = "https://www.googleapis.com/auth/calendar.app.created"

CALENDAR = "https://www.googleapis.com/auth/calendar"
# A scope a sign-in may satisfy with a broader one it was granted.
IMPLIED_BY = {
    CALENDAR_EVENTS_READONLY: {CALENDAR_EVENTS, CALENDAR, CALENDAR + ".readonly"},
    CALENDAR_EVENTS: {CALENDAR},
}

AUTH_COMMAND = "connect5 auth google"


def narrowest(scopes: list[str]) -> list[str]:
    """``scopes`` without duplicates and without those another one in the list implies."""
    unique = sorted(set(scopes))
    return [scope for scope in unique if not IMPLIED_BY.get(scope, set()) & set(unique)]


def token_path(tokens_dir: Path, account: str = "") -> Path:
    """Where the token file of ``account`` lives ("" is the default account)."""
    return tokens_dir / (f"google-{account}.json" if account else "google.json")


def auth_command(account: str = "") -> str:
    return f"{AUTH_COMMAND} --account {account}" if account else AUTH_COMMAND


def calendar_refusal(status: int, account: str, what: str):
    """The connector error for a Calendar API answer ``status`` that no retry mends.

    401/403 mean the grant no longer covers it: an ``AuthError`` naming the sign-in
    command; anything else is the service being unavailable for now.
    """
    from connectors.base import AuthError, SourceUnavailable

    if status in (401, 403):
        return AuthError(f"Google Calendar refused {what} ({status}): run `{auth_command(account)}`")
    return SourceUnavailable(f"Google Calendar answered {status}")
