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

# Refusals that are a quota spent, not a grant missing: Google answers them 403 (or 429)
# in the "usageLimits" domain (https://developers.google.com/workspace/gmail/api/guides/handle-errors,
# https://developers.google.com/workspace/calendar/api/guides/errors). The per-minute ones
# are waited out inside a call; the others (a daily quota, Calendar's usage limits) end the
# call with ``SourceUnavailable`` and the source is tried again later.
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
USAGE_LIMIT_REASONS = RATE_REASONS | {
    "dailyLimitExceeded", "dailyLimitExceededUnreg", "quotaExceeded", "limitExceeded", "concurrentLimitExceeded",
    "variableTermLimitExceeded", "variableTermExpiredDailyExceeded",
}


def narrowest(scopes: list[str]) -> list[str]:
    """``scopes`` without duplicates and without those another one in the list implies."""
    unique = sorted(set(scopes))
    return [scope for scope in unique if not IMPLIED_BY.get(scope, set()) & set(unique)]


def token_path(tokens_dir: Path, account: str = "") -> Path:
    """Where the token file of ``account`` lives ("" is the default account)."""
    return tokens_dir / (f"google-{account}.json" if account else "google.json")


def auth_command(account: str = "") -> str:
    return f"{AUTH_COMMAND} --account {account}" if account else AUTH_COMMAND


def error_reason(content: bytes | str) -> tuple[str, str]:
    """(reason, domain) of the first error in a Google error body, "" where it says none."""
    import json

    try:
        first = json.loads(content)["error"]["errors"][0]
        return str(first.get("reason", "")), str(first.get("domain", ""))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return "", ""


def page_token_refused(status: int, page_token: str | None) -> bool:
    """Whether an answer ``status`` to a list request sent with ``page_token`` refuses that token.

    Google may expire page tokens some time after issuing them, without saying
    when (https://google.aip.dev/158), and answers one it no longer knows 400
    INVALID_ARGUMENT (Gmail "Invalid pageToken", Calendar reason "invalid"). The
    same request without the token tells a refused token from any other bad request.
    """
    return status == 400 and bool(page_token)


def usage_limited(status: int, content: bytes | str) -> bool:
    """Whether a refusal is a quota spent (retry later) rather than a permission missing."""
    if status == 429:
        return True
    reason, domain = error_reason(content)
    return status == 403 and (reason in USAGE_LIMIT_REASONS or domain == "usageLimits")


def refusal(service: str, status: int, content: bytes | str, account: str, what: str = "access"):
    """The connector error for an answer ``status`` that no retry inside the call mends.

    401, and a 403 that is not a usage limit, mean the grant no longer covers it: an
    ``AuthError`` naming the sign-in command. A usage limit, and anything else, is
    the service being unavailable for now.
    """
    from connectors.base import AuthError, SourceUnavailable

    if usage_limited(status, content):
        reason = error_reason(content)[0] or "quota"
        return SourceUnavailable(f"{service} refused {what} for a usage limit ({status} {reason}); will try again later")
    if status in (401, 403):
        return AuthError(f"{service} refused {what} ({status}): run `{auth_command(account)}`")
    return SourceUnavailable(f"{service} answered {status}")


def calendar_refusal(status: int, account: str, what: str, content: bytes | str = b""):
    """``refusal`` for the Calendar API."""
    return refusal("Google Calendar", status, content, account, what)
