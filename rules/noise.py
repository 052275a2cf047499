"""What is noise: mail that is not one person writing to another, from headers only.

Decided in this order: a reason the connector already set (``MailItem.noise``,
for what only it can know), LinkedIn notifications (``rules.linkedin`` reads
those first), no-reply senders, mailing lists and bulk mail, more than
``MAX_RECIPIENTS`` recipients, auto-replies. Auto-replies are recognised by
RFC 3834's ``Auto-Submitted`` (anything but "no"), ``X-Autoreply`` and
``X-Autorespond``; a subject starting "Out of office" / "Automatic reply" and
the like is a weaker hint, used only when ``Auto-Submitted`` is absent: a
sender that says ``Auto-Submitted: no`` is taken at its word, so a person who
writes "Out of office drinks on Friday?" through a client that sets the header
still counts. Lists follow RFC 2369/2919 (List-Id, List-Unsubscribe) and the
de-facto Precedence header.
"""

from __future__ import annotations

import functools
import re

from connectors.records import MailItem
from rules.addresses import normalise_address

MAX_RECIPIENTS = 20
NO_REPLY_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "postmaster", "notifications", "notification", "notify", "bounce",
     "bounces", "alerts", "newsletter", "news"}
)
# Separators removed before looking for these inside a local part, so
# "no-reply", "no_reply", "messaging-digest-noreply" and "do.not.reply" match.
NO_REPLY_FRAGMENTS = ("noreply", "donotreply", "mailerdaemon")
_SEPARATORS = str.maketrans("", "", "-_.+")
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoresponse|"
    r"abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absence du bureau|"
    r"respuesta autom[áa]tica|fuera de la oficina|resposta autom[áa]tica|"
    r"risposta automatica|automatisch antwoord|afwezig)\b",
    re.IGNORECASE,
)



def noise_reason(item: MailItem) -> str:
    """Why a message is not person-to-person, as "kind: detail"; "" when it is.

    Kinds: the connector's own (``item.noise``), "linkedin", "no-reply", "list",
    "bulk", "auto-reply". Callers wanting only the kind take the text before ":".
    """
    if item.noise:
        return item.noise if ":" in item.noise else f"{item.noise}: marked by the {item.source} connector"
    sender = normalise_address(item.sender.email) if item.sender else ""
    local, _, domain = sender.rpartition("@")
    if domain == "linkedin.com" or domain.endswith(".linkedin.com"):
        return f"linkedin: notification from {sender}"
    if _is_no_reply(local):
        return f"no-reply: sender {sender} does not take replies"
    return _list_reason(item) or _crowd_reason(item) or _auto_reply_reason(item)


@functools.lru_cache(maxsize=16384)
def _is_no_reply(local: str) -> bool:
    if local in NO_REPLY_LOCAL_PARTS or local.startswith("bounce"):
        return True
    squeezed = local.translate(_SEPARATORS)
    return any(fragment in squeezed for fragment in NO_REPLY_FRAGMENTS)


def _list_reason(item: MailItem) -> str:
    if not item.headers:
        return ""  # most mail: none of the headers below
    if item.header("list-id"):
        return f"list: mailing list {item.header('list-id')}"
    if item.header("list-unsubscribe"):
        return "list: has a List-Unsubscribe header"
    precedence = item.header("precedence").strip().lower()
    if precedence in {"bulk", "junk"}:
        return f"bulk: Precedence: {precedence}"
    if precedence == "list":
        return "list: Precedence: list"
    return ""


def _crowd_reason(item: MailItem) -> str:
    if len(item.to) + len(item.cc) <= MAX_RECIPIENTS:
        return ""  # no more distinct addresses than entries: nothing to count
    count = len({normalise_address(address.email) for address in item.recipients})
    if count > MAX_RECIPIENTS:
        return f"bulk: {count} recipients (more than {MAX_RECIPIENTS})"
    return ""


def _auto_reply_reason(item: MailItem) -> str:
    submitted = ""
    if item.headers:  # most mail has none of these: only the subject is left to read
        submitted = item.header("auto-submitted").strip().lower()
        if submitted and submitted != "no":
            return f"auto-reply: Auto-Submitted: {submitted}"
        for name in ("x-autoreply", "x-autorespond"):
            if item.header(name):
                return f"auto-reply: has an {name} header"
    if not submitted and AUTO_REPLY_SUBJECT.match(item.subject):
        return f"auto-reply: subject {item.subject[:40]!r} reads like an automatic reply"
    return ""
