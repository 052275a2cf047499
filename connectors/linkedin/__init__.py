"""The LinkedIn data export importer: Connections.csv (and messages.csv) into records.

``read_export(path)`` takes a ``Connections.csv``, a folder holding the unpacked
export, or the export zip (``Basic_LinkedInDataExport_*.zip``/``Complete_*.zip``)
and returns an ``Export``: contacts keyed by their normalised profile URL (or a
derived key), the rows it skipped with line and reason, and, from messages.csv,
one ``Touch`` per message and person. It never touches the store.

Modules: ``archive`` finds and opens the files (zip-bomb guarded, streaming),
``connections`` and ``messages`` read the two CSVs, ``fields`` parses cells.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from connectors.base import NotAnExportError
from connectors.linkedin.archive import MAX_MEMBER_BYTES, locate, open_member
from connectors.linkedin.connections import read_connections
from connectors.linkedin.fields import derived_key, human_name, normalise_profile_url
from connectors.linkedin.messages import read_messages
from connectors.linkedin.report import Export, Skipped

log = logging.getLogger(__name__)

__all__ = [
    "Export",
    "MAX_MEMBER_BYTES",
    "NotAnExportError",
    "Skipped",
    "derived_key",
    "human_name",
    "normalise_profile_url",
    "read_export",
]


def read_export(
    path: Path, *, owner_url: str | None = None, now: datetime | None = None, max_member_bytes: int = MAX_MEMBER_BYTES
) -> Export:
    """Read a LinkedIn export (file, folder or zip).

    ``owner_url`` is the user's own profile URL (config ``me.linkedin_url``); it
    decides which messages are outbound. Without it the owner is guessed.
    ``now`` (aware) skips messages and connections dated more than a day after it.
    Skips name the file they are in: its own name, or the member's inside a zip.
    Raises ``NotAnExportError`` (one line, naming what was expected) when ``path``
    is not a LinkedIn export, or when a member would inflate past
    ``max_member_bytes``.
    """
    located = locate(Path(path))
    with open_member(located, located.connections, max_member_bytes) as stream:
        latest = (now + timedelta(days=1)).date() if now is not None else None  # tomorrow is a zone away
        connections = read_connections(
            stream, what=f"{located.connections}", file=_file_name(located.connections), latest=latest
        )
    touches, message_skipped, owner = [], [], None
    if located.messages is not None:
        file = _file_name(located.messages)
        try:
            with open_member(located, located.messages, max_member_bytes) as stream:
                touches, message_skipped, owner = read_messages(stream, f"{located.messages}", owner_url, file, now)
        except NotAnExportError as error:
            # Contacts are the point of the import; a bad messages.csv must not lose them.
            log.info("messages not imported: %s", error)  # reported in message_skipped
            message_skipped = [Skipped(1, str(error), file)]
    elif owner_url:
        try:
            owner = normalise_profile_url(owner_url)
        except ValueError:
            owner = None
    return Export(
        contacts=connections.contacts,
        skipped=connections.skipped,
        hidden_count=connections.hidden_count,
        format=connections.format,
        messages=touches,
        message_skipped=message_skipped,
        owner_url=owner,
    )


def _file_name(member: str | Path) -> str:
    return str(member).replace("\\", "/").rsplit("/", 1)[-1]
