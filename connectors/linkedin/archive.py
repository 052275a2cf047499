"""Finding and opening the CSV files of a LinkedIn export: a file, a folder or the zip.

Members are read as streams through a byte cap, so a zip bomb (a tiny archive
that inflates to gigabytes) is refused from its declared size before reading,
and again as soon as more than the cap has actually been inflated.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from connectors.base import NotAnExportError

log = logging.getLogger(__name__)

MAX_MEMBER_BYTES = 200 * 1024 * 1024
CONNECTIONS = "connections.csv"
MESSAGES = "messages.csv"
_SNIFF_BYTES = 64 * 1024


class _CappedReader(io.RawIOBase):
    """A raw byte stream that refuses to yield more than ``limit`` bytes."""

    def __init__(self, stream: BinaryIO, limit: int, what: str):
        self._stream = stream
        self._limit = limit
        self._what = what
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        self._count += len(data)
        if self._count > self._limit:
            raise NotAnExportError(f"{self._what} inflates to more than {self._limit // (1024 * 1024)} MB; refusing it")
        buffer[: len(data)] = data
        return len(data)


@dataclass(frozen=True)
class Located:
    """Where the export's files are: opened lazily by ``open_members``."""

    description: str
    zip_path: Path | None = None
    connections: str | Path | None = None
    messages: str | Path | None = None


def locate(path: Path) -> Located:
    """Work out what ``path`` is: a Connections.csv, an export folder or an export zip."""
    path = Path(path).expanduser()
    if not path.exists():
        raise NotAnExportError(f"{path} does not exist; expected a LinkedIn export zip, folder or Connections.csv")
    if path.is_dir():
        return _locate_in_folder(path)
    _check_readable_file(path)
    if zipfile.is_zipfile(path):
        return _locate_in_zip(path)
    if _looks_like_zip(path):
        raise NotAnExportError(
            f"{path} is not a readable zip (damaged or incomplete download?); download the LinkedIn export again"
        )
    return Located(description=str(path), connections=path)


def _check_readable_file(path: Path) -> None:
    """Refuse what cannot be read as a file (a FIFO would block, a folder or no permission would raise)."""
    if not path.is_file():
        raise NotAnExportError(f"{path} is not a regular file; expected a LinkedIn export zip, folder or Connections.csv")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise NotAnExportError(f"cannot read {path}: {error.strerror or error}") from None


def _looks_like_zip(path: Path) -> bool:
    """A zip whose end (the central directory) is missing: a local header at the start, or a .zip name."""
    with open(path, "rb") as raw:
        start = raw.read(4)
    return start == b"PK\x03\x04" or path.suffix.lower() == ".zip"


# An unpacked export keeps its CSVs at its top; one or two levels more allow for the
# folder that holds the unpacked export (or a zip unpacked into a folder of its own).
# Deeper is someone else's tree (~/Downloads, /tmp) and not searched.
FOLDER_DEPTH = 2


def _locate_in_folder(folder: Path) -> Located:
    found: dict[str, list[Path]] = {}
    for root, folders, files in os.walk(folder):  # a folder that vanishes or cannot be listed is passed over
        depth = len(Path(root).relative_to(folder).parts)
        # A folder (or link to one) called Connections.csv is found too, to be refused in one line.
        for name in sorted([*files, *folders]):
            if name.lower() in (CONNECTIONS, MESSAGES):
                found.setdefault(name.lower(), []).append(Path(root) / name)
        folders[:] = [] if depth >= FOLDER_DEPTH else sorted(name for name in folders if name.lower() != CONNECTIONS)
    candidates = sorted(found.get(CONNECTIONS, []), key=lambda path: (len(path.parts), str(path)))
    if not candidates:
        raise NotAnExportError(f"{folder} holds no Connections.csv (looked {FOLDER_DEPTH} folders down);"
                               " expected an unpacked LinkedIn data export")
    nearest = [path for path in candidates if len(path.parts) == len(candidates[0].parts)]
    if len(nearest) > 1:
        raise NotAnExportError(f"{folder} holds {len(nearest)} exports ({_listed(nearest)}); name the one to import")
    connections = nearest[0]
    _check_readable_file(connections)
    # messages.csv from the same export: beside Connections.csv (it is never elsewhere).
    messages = next((path for path in found.get(MESSAGES, []) if path.parent == connections.parent), None)
    return Located(description=str(folder), connections=connections, messages=messages)


def _locate_in_zip(path: Path) -> Located:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(
                (info.filename for info in archive.infolist() if not info.is_dir()),
                key=lambda name: (name.count("/"), name),
            )
    except (zipfile.BadZipFile, OSError) as error:
        raise NotAnExportError(f"{path} is not a readable zip ({error}); expected a LinkedIn data export") from error
    connections = [name for name in names if name.rsplit("/", 1)[-1].lower() == CONNECTIONS]
    if not connections:
        raise NotAnExportError(f"{path} holds no Connections.csv; expected a LinkedIn data export zip")
    nearest = [name for name in connections if name.count("/") == connections[0].count("/")]
    if len(nearest) > 1:
        raise NotAnExportError(f"{path} holds {len(nearest)} exports ({_listed(nearest)}); unpack it and name the one to import")
    folder = nearest[0].rpartition("/")[0]
    # messages.csv from the same export: beside Connections.csv.
    messages = next((name for name in names if name.lower() == (f"{folder}/{MESSAGES}" if folder else MESSAGES).lower()),
                    None)
    return Located(description=str(path), zip_path=path, connections=nearest[0], messages=messages)


def _listed(items: list, shown: int = 4) -> str:
    text = ", ".join(str(item) for item in items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")


@contextlib.contextmanager
def open_member(located: Located, member: str | Path, limit: int = MAX_MEMBER_BYTES) -> Iterator[TextIO]:
    """Open one CSV of the export as text, streaming, through the byte cap."""
    if located.zip_path is None:
        path = Path(member)
        what = str(path)
        if not path.is_file():  # opening a FIFO would wait forever
            raise NotAnExportError(f"{what} is not a regular file; expected a LinkedIn CSV")
        try:
            raw = open(path, "rb")  # closed below; an OSError here is the user's to fix, not a bug
        except OSError as error:
            raise NotAnExportError(f"cannot read {what}: {error.strerror or error}") from None
        with raw:
            if os.fstat(raw.fileno()).st_size > limit:
                raise NotAnExportError(f"{what} is larger than {limit // (1024 * 1024)} MB; not a LinkedIn export file")
            yield _text(raw, limit, what)
        return
    what = f"{member} in {located.zip_path}"
    try:
        with zipfile.ZipFile(located.zip_path) as archive:
            info = archive.getinfo(str(member))
            if info.file_size > limit:
                raise NotAnExportError(
                    f"{what} declares {info.file_size} bytes (over {limit // (1024 * 1024)} MB); refusing a likely zip bomb"
                )
            try:
                raw = archive.open(info)
            except (NotImplementedError, RuntimeError) as error:  # unknown compression, encrypted member
                raise NotAnExportError(f"cannot read {what}: {error}") from error
            with raw:
                yield _text(raw, limit, what)
    except zipfile.BadZipFile as error:  # also raised mid-stream on a CRC mismatch
        raise NotAnExportError(f"cannot read {what}: {error}") from error


def _text(raw: BinaryIO, limit: int, what: str) -> TextIO:
    buffered = io.BufferedReader(_CappedReader(raw, limit, what), buffer_size=_SNIFF_BYTES)
    sample = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    if not sample:
        raise NotAnExportError(f"{what} is empty; expected a LinkedIn CSV")
    encoding = _sniff_encoding(sample, what)
    return io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline="")


def _sniff_encoding(sample: bytes, what: str) -> str:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # spreadsheet "Unicode text" saves
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # A stray NUL is one damaged row (the reader skips it); many of them is a binary file.
    if sample.count(b"\x00") > max(1, len(sample) // 100):
        raise NotAnExportError(f"{what} is a binary file; expected a LinkedIn CSV")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        log.info("%s is not UTF-8; reading it as Windows-1252", what)
        return "cp1252"
    return "utf-8-sig"
