"""Addresses as the store keys them: ``normalise_address``.

Own module so that ``rules.matching`` and ``rules.noise`` share it without
importing each other.
"""

from __future__ import annotations

import functools

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


# Cached: a sync asks about the same few thousand addresses (yours, the people you
# write with) several times a message, and the answer never changes.
@functools.lru_cache(maxsize=16384)
def normalise_address(email: str) -> str:
    """Lower-case; for Gmail also drop dots and ``+tag`` in the local part.

    Gmail ignores dots and everything after "+" in its own addresses, and
    googlemail.com is the same mailbox as gmail.com
    (https://support.google.com/mail/answer/7436150). Other providers differ
    (Outlook keeps dots), so other domains are only lower-cased.
    """
    address = email.strip().strip("<>").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or domain not in GMAIL_DOMAINS:
        return address
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@gmail.com"

