"""CSV records with their physical lines, so one stray quote loses one line, not the file.

An unbalanced ``"`` makes a CSV reader run the field on across line breaks until
the next quote, swallowing the rows in between into one record. ``CsvRecords``
remembers the physical lines behind each record; once the caller knows how many
columns a row has (``width``), a record of the wrong width that spans several
lines is skipped for its first line only and the lines after it are read again
as rows of their own. A record of the right width keeps its line breaks: a
quoted field may legitimately hold them (a message body, a two-line position).
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Iterator
from typing import TextIO

from connectors.base import NotAnExportError
from connectors.linkedin.report import Skipped

_MAX_ERRORS = 100


class _Lines:
    """The stream's lines, lines pushed back first; remembers the ones it gave out (``taken``).

    Lines only ever go back to be read again next, so they always come out in file
    order and a count is enough to number them.
    """

    def __init__(self, stream: TextIO):
        self._readline = stream.readline
        self._again: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = self._again.popleft() if self._again else self._readline()
        if not text:
            raise StopIteration
        self.taken.append(text)
        return text

    def push_back(self, lines: list[str]) -> None:
        self._again.extendleft(reversed(lines))


class CsvRecords:
    """Iterates ``(first physical line, fields)``; unreadable records land in ``skipped``.

    Iterating again goes on where the last iteration stopped. Set ``fits`` (a test
    of a row's shape) once the header is known to turn on the recovery of rows
    swallowed by an unbalanced quote.
    """

    def __init__(self, stream: TextIO, skipped: list[Skipped], file: str):
        self.skipped = skipped
        self.file = file
        self.fits: Callable[[list[str]], bool] | None = None
        self.last_lines: list[str] = []  # the physical lines of the record yielded last
        self._lines = _Lines(stream)
        self._reader = csv.reader(self._lines)
        self._next_line = 1  # the number of the line the reader takes next
        self._errors = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            self._lines.taken = []
            first = self._next_line
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as error:  # e.g. a field over the size limit; the reader can go on
                self._unreadable(first, error)
                continue
            lines = self._lines.taken
            self._next_line += len(lines)
            if len(lines) > 1 and self.fits is not None and not self.fits(row):
                self._swallowed(first, lines)
                continue
            self.last_lines = lines
            yield first, row

    def read_again(self, lines: list[str], delimiter: str | None = None) -> None:
        """Read ``lines`` (the last ones read) again next, with another delimiter when one is given."""
        self._push_back(lines)
        if delimiter is not None:
            self._reader = csv.reader(self._lines, delimiter=delimiter)

    def _push_back(self, lines: list[str]) -> None:
        self._lines.push_back(lines)
        self._next_line -= len(lines)

    def _swallowed(self, first: int, lines: list[str]) -> None:
        last = first + len(lines) - 1
        reason = (
            f"a quote opened on this line runs on to line {last}; "
            f"this line skipped, lines {first + 1}–{last} read as rows of their own"
        )
        self.skipped.append(Skipped(first, reason, self.file))
        self._push_back(lines[1:])

    def _unreadable(self, first: int, error: csv.Error) -> None:
        lines = self._lines.taken
        self._next_line += len(lines)
        self._errors += 1
        self.skipped.append(Skipped(first, f"unreadable CSV: {error}", self.file))
        if self._errors > _MAX_ERRORS and self._errors > first // 2:
            raise NotAnExportError(f"{self.file} is mostly unreadable as CSV ({error})") from error
        if len(lines) > 1:  # a quote ran on until the field grew too large: read what it took again
            self._push_back(lines[1:])
