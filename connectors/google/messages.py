"""Gmail metadata → ``MailItem``: which headers to ask for, which messages to skip.

Only ``format=metadata`` with the headers below is ever requested: no body, no
snippet is read (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/get).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from connectors import headers as header_tools
from connectors.records import MailItem

REQUESTED_HEADERS = [
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "List-Id",
    "List-Unsubscribe", "Precedence", "Auto-Submitted", "X-Autoreply", "X-Autorespond", "X-LinkedIn-Class",
    "X-LinkedIn-Template",
]
# Kept on the item for rules (noise, LinkedIn notifications), lower-case.
KEPT_HEADERS = ("list-id", "list-unsubscribe", "precedence", "auto-submitted", "x-autoreply", "x-autorespond",
                "x-linkedin-class", "x-linkedin-template")

# Chats, spam, trash, drafts and the bulk categories are not people writing to people.
SKIPPED_LABELS = frozenset({"CHAT", "SPAM", "TRASH", "DRAFT", "CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL",
                            "CATEGORY_FORUMS", "CATEGORY_UPDATES"})
# Your own mail is kept even if Gmail filed it under a category.
ALWAYS_SKIPPED = frozenset({"CHAT", "SPAM", "TRASH", "DRAFT"})


def wanted(labels: set[str] | list[str]) -> bool:
    labels = set(labels)
    if "SENT" in labels:
        return not labels & ALWAYS_SKIPPED
    return not labels & SKIPPED_LABELS


def received_at(message: dict[str, Any]) -> datetime:
    """Gmail's internalDate (ms since the epoch): when Gmail got or sent it, not a forgeable header."""
    return datetime.fromtimestamp(int(message.get("internalDate", 0)) / 1000, tz=timezone.utc)


def mail_item(source: str, message: dict[str, Any], own_addresses: frozenset[str]) -> MailItem:
    fields: dict[str, list[str]] = {}
    for header in message.get("payload", {}).get("headers", []):
        fields.setdefault(header.get("name", "").lower(), []).append(header.get("value", ""))
    senders = header_tools.addresses(fields.get("from", []))
    sender = senders[0] if senders else None
    labels = set(message.get("labelIds", []))
    outbound = "SENT" in labels or (sender is not None and sender.email in own_addresses)
    return MailItem(
        source=source,
        external_id=message["id"],
        sent_at=received_at(message),
        sender=sender,
        to=header_tools.addresses(fields.get("to", [])),
        cc=header_tools.addresses(fields.get("cc", [])),
        subject=header_tools.decode(fields.get("subject", [""])[0]),
        message_id=header_tools.first_message_id(fields.get("message-id", [""])[0]),
        thread_id=message.get("threadId", ""),
        in_reply_to=header_tools.first_message_id(fields.get("in-reply-to", [""])[0]),
        direction="out" if outbound else "in",
        headers=tuple((name, fields[name][0]) for name in KEPT_HEADERS if name in fields),
    )
