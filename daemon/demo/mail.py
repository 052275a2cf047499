"""The demo's Maildir: mail written the way a delivery agent or a mail client writes it.

Every message is written into ``tmp/`` and renamed into ``new/`` (inbox) or
``cur/`` (sent), so the Maildir source sees only complete files. Headers carry
everything connect5 reads; bodies are one filler line (connect5 never reads them).
"""

from __future__ import annotations

import os
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

from daemon.demo.network import Person

ME_NAME = "Ada Lovelace"
ME_EMAIL = "ada@example.com"
LINKEDIN_MESSAGES = "messages-noreply@linkedin.com"


class Maildir:
    """A Maildir++ root (the inbox) with a ``.Sent`` folder."""

    def __init__(self, root: Path, seed: int):
        self.root = root
        self.seed = seed
        self.count = 0
        for folder in (root, root / ".Sent"):
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)

    def deliver(self, when: datetime, headers: list[tuple[str, str]], *, sent: bool = False) -> str:
        """Write one message; returns its Message-ID."""
        self.count += 1
        message_id = f"<{self.count}.{self.seed}.{int(when.timestamp())}@demo.example>"
        lines = [f"{name}: {value}" for name, value in headers]
        lines += [f"Date: {format_datetime(when)}", f"Message-ID: {message_id}", "MIME-Version: 1.0",
                  "Content-Type: text/plain; charset=utf-8"]
        data = ("\n".join(lines) + "\n\n(demo message)\n").encode("utf-8")
        folder = self.root / ".Sent" if sent else self.root
        unique = f"{int(when.timestamp())}.M{self.count}P{self.seed}.demo"
        temporary = folder / "tmp" / unique
        temporary.write_bytes(data)
        final = folder / "cur" / f"{unique}:2,S" if sent else folder / "new" / unique
        os.rename(temporary, final)
        return message_id


def me() -> str:
    return f"{ME_NAME} <{ME_EMAIL}>"


def outbound(person: Person, subject: str) -> list[tuple[str, str]]:
    return [("From", me()), ("To", f"{person.name} <{person.email}>"), ("Subject", subject)]


def reply(person: Person, subject: str, in_reply_to: str = "") -> list[tuple[str, str]]:
    headers = [("From", f"{person.name} <{person.email}>"), ("To", me()), ("Subject", f"Re: {subject}")]
    if in_reply_to:
        headers += [("In-Reply-To", in_reply_to), ("References", in_reply_to)]
    return headers


def linkedin_message(person: Person) -> list[tuple[str, str]]:
    """LinkedIn's "X just messaged you" notification (what ``rules.linkedin`` recognises)."""
    return [
        ("From", f'"{person.name} via LinkedIn" <{LINKEDIN_MESSAGES}>'),
        ("To", me()),
        ("Subject", f"{person.first} just messaged you"),
        ("X-LinkedIn-Class", "MBR-TO-MBR"),
        ("X-LinkedIn-Template", "email_member_message_v2"),
        ("List-Unsubscribe", "<https://www.linkedin.com/e/unsubscribe>"),
    ]


def linkedin_invitation(name: str) -> list[tuple[str, str]]:
    return [
        ("From", f'"{name} via LinkedIn" <invitations@linkedin.com>'),
        ("To", me()),
        ("Subject", f"{name} wants to connect"),
        ("X-LinkedIn-Class", "INVITE-GUEST"),
    ]


def newsletter(number: int) -> list[tuple[str, str]]:
    return [
        ("From", "The Weekly Engine <news@engine-weekly.example>"),
        ("To", me()),
        ("Subject", f"Issue {number}: what happened this week"),
        ("List-Id", "Engine Weekly <weekly.engine-weekly.example>"),
        ("List-Unsubscribe", "<mailto:leave@engine-weekly.example>"),
        ("Precedence", "list"),
    ]


def auto_reply(person: Person) -> list[tuple[str, str]]:
    """An out-of-office answer: from a contact, but not from the person."""
    return [
        ("From", f"{person.name} <{person.email}>"),
        ("To", me()),
        ("Subject", "Automatic reply: away until Monday"),
        ("Auto-Submitted", "auto-replied"),
    ]
