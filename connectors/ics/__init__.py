"""Calendars as .ics files: ``IcsSource`` reads meetings, ``IcsBlockWriter`` writes the block.

Both are loaded on first use, so ``connect5 today`` (the writer) never pays for
the reader's icalendar and watchdog imports.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IcsBlockWriter", "IcsSource"]


def __getattr__(name: str) -> Any:
    if name == "IcsSource":
        from connectors.ics.reader import IcsSource

        return IcsSource
    if name == "IcsBlockWriter":
        from connectors.ics.writer import IcsBlockWriter

        return IcsBlockWriter
    raise AttributeError(f"module 'connectors.ics' has no attribute {name!r}")
