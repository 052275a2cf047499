"""Real Maildir folders for tests: deliver messages the way an MDA does, and read them back."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.base import SourceContext
from connectors.maildir import MaildirSource

SAMPLES = Path(__file__).parent.parent / "data" / "mail"
OWN = frozenset({"ada@example.com", "ada@work.example"})
_counter = iter(range(10**9))


def make_folder(path: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def deliver(folder: Path, content: bytes, *, subdir: str = "new", flags: str = "", mtime: float | None = None) -> Path:
    """Deliver like an MDA: write into tmp/, then rename into new/ (or cur/)."""
    unique = f"{1_750_000_000 + next(_counter)}.M{next(_counter)}P42Q1.testhost"
    temporary = folder / "tmp" / unique
    temporary.write_bytes(content)
    if mtime is not None:
        os.utime(temporary, (mtime, mtime))
    final = folder / subdir / (unique + (f":2,{flags}" if subdir == "cur" else ""))
    os.rename(temporary, final)
    return final


def message(number: int, *, sender: str = "bob@example.org", extra: str = "") -> bytes:
    return (
        f"From: Bob <{sender}>\nTo: ada@example.com\nSubject: Message {number}\n"
        f"Date: Tue, 01 Jul 2025 10:00:{number % 60:02d} +0000\nMessage-ID: <m{number}@example.org>\n"
        f"{extra}\nThe body, which is never read.\n"
    ).encode()


def make_source(*paths: Path | str, **options) -> MaildirSource:
    context = SourceContext(name="mail", own_addresses=OWN)
    return MaildirSource(MaildirSource.Options(path=[str(path) for path in paths], **options), context)


def pull(source: MaildirSource, cursor: str | None = None):
    """Every item of one sync and the last cursor."""
    items = []
    for batch in source.sync(cursor):
        items.extend(batch.items)
        cursor = batch.cursor
    return items, cursor


def subjects(items) -> list[str]:
    return sorted(item.subject for item in items)

