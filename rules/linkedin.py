"""LinkedIn notification e-mails: which ones mean "this person wrote to you".

LinkedIn has no messaging API, but it mails you when someone writes. ``classify``
reads one such mail (headers only) and returns a ``LinkedInNotice``: kind
"message" with the writer's name, or kind "ignored" with the reason
(invitations, digests, job alerts, profile views, network updates, sponsored
InMail ...), so callers treat neither as ordinary person-to-person mail.
``match_notice`` turns a message notice into a contact, by unique name only.

Signals, most reliable first:

1. ``X-LinkedIn-Template`` names the template of every mail; templates with
   "messag" or "inmail" in them ("email_member_message_v2",
   "email_type_messaging_digest") are messages, unless "sponsored".
   ``X-LinkedIn-Class`` "MBR-TO-MBR" and "INMAIL" are messages. Other values seen
   in real mail ("SAVEDSEARCH", "JOBS-TO-MBR", "INVITE-GUEST", "WELCOME",
   "EMAIL-DEFAULT") are not.
2. The subject, in several languages (``MESSAGE_SUBJECTS``).

The name comes from a display name "Name via LinkedIn" first, the subject
second, then a display name that is not LinkedIn's own ("LinkedIn",
"LinkedIn Messaging"). A display name "via LinkedIn" alone proves nothing:
newsletters arrive as "Author via LinkedIn" too.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from connectors.records import MailItem
from rules.matching import ReviewItem, normalise_address
from rules.names import NameIndex

logger = logging.getLogger(__name__)

MESSAGE_CLASSES = frozenset({"MBR-TO-MBR", "INMAIL"})
_NAME = r"(?P<name>.+?)"

# Subjects that mean "Name wrote to you". Verified in real LinkedIn mail (quoted
# in public mail-filter code and fixtures): "just messaged you", "sent you a
# message", "You have a new message from", German "hat Ihnen eine Nachricht
# gesendet", Portuguese "acabou de enviar uma mensagem a você". The rest are
# LinkedIn's usual phrasings translated: plausible, not seen in real mail;
# extend when a real subject turns up.
MESSAGE_SUBJECTS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # English
        rf"^{_NAME} just messaged you\b",
        rf"^{_NAME} (?:has )?sent you an? (?:new )?(?:message|InMail)\b",
        rf"^{_NAME} messaged you\b",
        rf"^(?:you have )?an? new (?:message|InMail) from {_NAME}$",
        rf"^new (?:message|InMail) from {_NAME}$",
        rf"^{_NAME} replied to your (?:message|InMail)\b",
        # German
        rf"^{_NAME} hat (?:Ihnen|dir) eine (?:neue )?Nachricht (?:gesendet|geschickt)\b",
        rf"^(?:Sie haben eine )?neue Nachricht von {_NAME}$",
        # French
        rf"^{_NAME} vous a envoy[ée] un (?:nouveau )?message\b",
        rf"^{_NAME} vient de vous envoyer un message\b",
        rf"^(?:vous avez un )?nouveau message de {_NAME}$",
        # Spanish
        rf"^{_NAME} te (?:ha enviado|envi[óo]) un (?:nuevo )?mensaje\b",
        rf"^{_NAME} (?:le )?ha enviado un (?:nuevo )?mensaje\b",
        rf"^(?:tienes un )?nuevo mensaje de {_NAME}$",
        # Portuguese
        rf"^{_NAME} acabou de (?:lhe )?enviar uma mensagem\b",
        rf"^{_NAME} (?:te )?enviou(?:-lhe)? uma (?:nova )?mensagem\b",
        rf"^(?:você tem uma )?nova mensagem de {_NAME}$",
        # Dutch
        rf"^{_NAME} heeft (?:u|je|jou) een (?:nieuw )?bericht (?:gestuurd|verzonden)\b",
        rf"^nieuw bericht van {_NAME}$",
        # Italian
        rf"^{_NAME} (?:ti|Le) ha inviato un (?:nuovo )?messaggio\b",
        rf"^nuovo messaggio da {_NAME}$",
    )
)

# Why a LinkedIn mail is not a message; the first that fits names the reason.
IGNORED_SUBJECTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        ("sponsored", r"sponsored|gesponsert|sponsoris|patrocinad"),
        ("invitation", r"wants? to connect|invit|einladung|vernetzen|convite|uitnodiging|"
                       r"accepted your|start a conversation with your new connection"),
        ("job alert", r"\bjobs?\b|job alert|hiring|your application|\bstellen|emploi|empleo|vagas?\b"),
        ("profile views", r"viewed your profile|looking at your profile|appeared in \d+ search|"
                          r"searches this week|profile views?|profil angesehen"),
        ("network update", r"shared a post|reshared|posted|congratulat|birthday|anniversary|"
                           r"commented|reacted|mentioned you|endorsed|follow|add .+ - |trending"),
        ("digest", r"digest|notifications?|what's happened|new messages"),
    )
)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|wg|fwd?|tr|rv|sv)\s*:\s*)+", re.IGNORECASE)
_VIA_LINKEDIN = re.compile(r"^\s*(?P<name>.+?)\s+via\s+linkedin\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class LinkedInNotice:
    """One LinkedIn notification: a "message" from ``name``, or "ignored" and why."""

    kind: Literal["message", "ignored"]
    name: str
    reason: str


def is_linkedin(item: MailItem) -> bool:
    """True when the sender's address is at linkedin.com or one of its subdomains."""
    if not item.sender:
        return False
    domain = normalise_address(item.sender.email).rpartition("@")[2]
    return domain == "linkedin.com" or domain.endswith(".linkedin.com")


def classify(item: MailItem) -> LinkedInNotice | None:
    """The notice a LinkedIn mail carries, or None when the mail is not from LinkedIn."""
    if item.sender is None or not is_linkedin(item):
        return None
    subject = _REPLY_PREFIX.sub("", unicodedata.normalize("NFC", item.subject)).strip()
    template = item.header("x-linkedin-template").strip().lower()
    linkedin_class = item.header("x-linkedin-class").strip().upper()
    if "sponsored" in template or "SPONSORED" in linkedin_class:
        return LinkedInNotice("ignored", "", f"sponsored LinkedIn mail ({template or linkedin_class})")
    subject_name = _name_from_subject(subject)
    if linkedin_class in MESSAGE_CLASSES:
        why = f"X-LinkedIn-Class {linkedin_class}"
    elif "messag" in template or "inmail" in template:
        why = f"X-LinkedIn-Template {template}"
    elif subject_name:
        why = f"subject {subject!r}"
    else:
        return LinkedInNotice("ignored", "", _ignored_reason(subject, template, linkedin_class))
    name = _name_from_display(item.sender.name, via_only=True) or subject_name
    name = name or _name_from_display(item.sender.name, via_only=False)
    if not name:
        return LinkedInNotice("message", "", f"LinkedIn message ({why}), but no name in it")
    return LinkedInNotice("message", name, f"LinkedIn message from {name} ({why})")


def _name_from_display(display: str, via_only: bool) -> str:
    match = _VIA_LINKEDIN.match(display or "")
    if match:
        return match.group("name").strip().strip("\"'")
    if via_only or not display or "linkedin" in display.lower():
        return ""
    return display.strip().strip("\"'")


def _name_from_subject(subject: str) -> str:
    for pattern in MESSAGE_SUBJECTS:
        match = pattern.match(subject)
        if match:
            return match.group("name").strip().strip("\"'“”«»").rstrip(".,:;!").strip()
    return ""


def _ignored_reason(subject: str, template: str, linkedin_class: str) -> str:
    for reason, pattern in IGNORED_SUBJECTS:
        if pattern.search(subject) or pattern.search(template.replace("_", " ")):
            return f"LinkedIn {reason}, not a message"
    detail = template or linkedin_class or subject[:40]
    return f"LinkedIn notification, not a message ({detail})"


def match_notice(notice: LinkedInNotice, names: NameIndex) -> tuple[str | None, ReviewItem | None]:
    """The contact a message notice is from: by unique name, else a review item or nothing."""
    if notice.kind != "message" or not notice.name:
        return None, None
    keys = names.lookup(notice.name)
    if len(keys) == 1:
        return keys[0], None
    if keys:
        reason = f"LinkedIn message from {notice.name!r}, the name of {len(keys)} contacts: not guessed"
        return None, ReviewItem("name", notice.name, tuple(keys), reason)
    return None, None
