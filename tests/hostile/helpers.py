"""Helpers for the hostile-input tests: the corpus, a Maildir built from it, timeouts.

The corpus (``tests/data/corpus/``) is real-world material none of us wrote, each
folder with its ``SOURCE.md`` and ``LICENSE``. ``CONNECT5_SLOW=1`` makes the
Hypothesis tests try many more examples.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, settings

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
SLOW = os.environ.get("CONNECT5_SLOW") == "1"

settings.register_profile(
    "hostile",
    max_examples=1000 if SLOW else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# CPython's email test messages that are not mail for our purposes, and why:
# a header-less body, a MIME part on its own, or no blank line after the headers.
BAD_MAIL = {
    "msg_18.txt": "not a mail message",
    "msg_19.txt": "not a mail message",
    "msg_35.txt": "no blank line after the headers",
    "msg_37.txt": "not a mail message",
    "msg_38.txt": "not a mail message",
    "msg_39.txt": "not a mail message",
    "msg_40.txt": "not a mail message",
}


class TookTooLongError(AssertionError):
    """A step that must be quick was not: the hang the test guards against."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (rather than hang the suite) when the block runs longer than ``seconds``."""

    def expire(signum, frame):
        raise TookTooLongError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < seconds


def stage_maildir(root: Path, messages: list[Path], age_seconds: int = 3600) -> dict[str, Path]:
    """A Maildir at ``root`` holding ``messages`` in ``cur/``, settled; unique name -> path."""
    for part in ("cur", "new", "tmp"):
        (root / part).mkdir(parents=True, exist_ok=True)
    placed = {}
    settled = time.time() - age_seconds
    for number, message in enumerate(messages):
        unique = f"{1_600_000_000 + number}.corpus{number}.host"
        target = root / "cur" / f"{unique}:2,S"
        shutil.copyfile(message, target)
        os.utime(target, (settled, settled))
        placed[unique] = target
    return placed


def mail_corpus() -> list[Path]:
    return sorted((CORPUS / "mail-cpython").glob("msg_*.txt"))


def ics_corpus() -> list[Path]:
    return sorted(CORPUS.glob("ics-*/*.ics"))

