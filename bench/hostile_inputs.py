"""Run the whole hostile corpus and the big generated inputs; print what each kind gave.

    .venv/bin/python bench/hostile_inputs.py

For each kind: inputs tried, items imported, bad items reported (with where),
exceptions that escaped (must be 0) and the slowest input. Big inputs are made
in a temporary folder and removed.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hostile.helpers import CORPUS, mail_corpus, stage_maildir  # noqa: E402

from connectors.base import NotAnExportError, SourceContext  # noqa: E402
from connectors.ics.reader import IcsSource  # noqa: E402
from connectors.linkedin import read_export  # noqa: E402
from connectors.maildir import MaildirSource  # noqa: E402
from connectors.vcard import read_vcards  # noqa: E402


class Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        self.count += 1


def timed(function):
    started = time.monotonic()
    try:
        return function(), None, time.monotonic() - started
    except Exception as error:  # the figure that must stay 0
        return None, error, time.monotonic() - started


def mail(folder: Path) -> tuple[int, int]:
    stage_maildir(folder / "Maildir", mail_corpus())
    source = MaildirSource(MaildirSource.Options(path=[str(folder / "Maildir")], backfill_months=0),
                           SourceContext(name="mail"))
    return sum(len(batch.items) for batch in source.sync(None)), len(mail_corpus())


def calendars(folder: Path) -> tuple[int, int]:
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    total = files = 0
    for corpus in sorted(CORPUS.glob("ics-*")):
        copy = shutil.copytree(corpus, folder / corpus.name)
        files += len(list(copy.glob("*.ics")))
        source = IcsSource(IcsSource.Options(path=[str(copy)]), SourceContext(name="cal", now=lambda: now))
        total += sum(len(batch.items) for batch in source.sync(None))
    return total, files


def vcards(folder: Path) -> tuple[int, int]:
    result = read_vcards(CORPUS / "vcard-vobject")
    return len(result.contacts), len(result.contacts) + len(result.skipped)


def big_mail(folder: Path) -> tuple[int, int]:
    root = folder / "big"
    sources = [folder / "header.eml", folder / "crowd.eml", folder / "nested.eml"]
    sources[0].write_bytes(b"From: a@x.org\nSubject: " + b"x" * (50 << 20) + b"\n\n")
    crowd = ", ".join(f"P {n} <p{n}@example.com>" for n in range(200_000))
    sources[1].write_bytes(f"From: a@x.org\nTo: {crowd}\n\n".encode())
    nested = b"".join(f"--b{n}\nContent-Type: multipart/mixed; boundary=b{n + 1}\n\n".encode() for n in range(100_000))
    sources[2].write_bytes(b"From: a@x.org\nSubject: nested\nContent-Type: multipart/mixed; boundary=b0\n\n" + nested)
    stage_maildir(root, sources)
    source = MaildirSource(MaildirSource.Options(path=[str(root)], backfill_months=0), SourceContext(name="big"))
    return sum(len(batch.items) for batch in source.sync(None)), len(sources)


def zip_bomb(folder: Path) -> tuple[int, int]:
    import zipfile

    bomb = folder / "Basic_LinkedInDataExport.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("Connections.csv", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(b"\0" * (1 << 20))
    try:
        read_export(bomb)
    except NotAnExportError as error:
        logging.getLogger("bench").warning("refused: %s", error)
        return 0, 1
    return 1, 1


def main() -> None:
    warnings.simplefilter("ignore")
    logging.getLogger().setLevel(logging.WARNING)
    counter = Counter()
    logging.getLogger().addHandler(counter)
    print(f"{'kind':<22}{'inputs':>8}{'imported':>10}{'bad':>6}{'escaped':>9}{'seconds':>9}")
    with tempfile.TemporaryDirectory() as temporary:
        for name, run in [("mail corpus", mail), ("calendar corpus", calendars), ("vcard corpus", vcards),
                          ("50MB/200k/nested mail", big_mail), ("zip bomb", zip_bomb)]:
            counter.count = 0
            folder = Path(temporary) / name.replace(" ", "-").replace("/", "-")
            folder.mkdir()
            result, error, seconds = timed(lambda: run(folder))
            imported, tried = result or (0, 0)
            print(f"{name:<22}{tried:>8}{imported:>10}{counter.count:>6}{int(error is not None):>9}{seconds:>9.2f}")
            if error is not None:
                print(f"  escaped: {type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
