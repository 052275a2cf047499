"""What an import hands back: the records it read and the rows it had to skip."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.records import Contact, Touch


@dataclass(frozen=True)
class Skipped:
    """One input item that was not imported: where it is (1-based physical line) and why."""

    line: int
    reason: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file else f"line {self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Export:
    """A LinkedIn data export, read.

    ``format`` is the shape of Connections.csv: "2024" (header with a URL column),
    "2018-legacy" (header without URL) or "headerless" (a re-saved file).
    ``skipped`` includes the ``hidden_count`` rows of members who hide everything but
    the date. ``owner_url`` is the normalised profile URL of the export's owner, as
    given or as guessed from messages.csv (None without messages).
    """

    contacts: list[Contact]
    skipped: list[Skipped]
    hidden_count: int
    format: str
    messages: list[Touch] = field(default_factory=list)
    message_skipped: list[Skipped] = field(default_factory=list)
    owner_url: str | None = None
