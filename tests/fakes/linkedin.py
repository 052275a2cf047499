"""LinkedIn export files for tests: Connections.csv and messages.csv text, zips, a zip that lies."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from pathlib import Path

SAMPLES = Path(__file__).parent.parent / "data" / "linkedin"
PREAMBLE = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are missing."\n'
    "\n"
)
HEADER_2024 = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
MESSAGES_HEADER = (
    '"CONVERSATION ID","CONVERSATION TITLE","FROM","SENDER PROFILE URL","TO",'
    '"RECIPIENT PROFILE URLS","DATE","SUBJECT","CONTENT","FOLDER","ATTACHMENTS"'
)
ME = "https://www.linkedin.com/in/me-owner"
ALICE = "https://www.linkedin.com/in/alice"
BOB = "https://www.linkedin.com/in/bob"
CAROL = "https://www.linkedin.com/in/carol"
DAVE = "https://www.linkedin.com/in/dave"
SECRET = "SECRET-BODY-do-not-keep"


# ---- generators ---------------------------------------------------------------------


def connections_csv(rows: list[str], preamble: str = PREAMBLE, header: str = HEADER_2024) -> str:
    return preamble + header + "".join(row + "\n" for row in rows)


def message_row(conversation, sender, recipients, when, folder="INBOX", content=SECRET, subject="Hello") -> list[str]:
    return [conversation, "", "Someone", sender, "Other", recipients, when, subject, content, folder, ""]


def messages_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    out.write(MESSAGES_HEADER + "\r\n")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def write_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return path


def conversation_sample() -> list[list[str]]:
    return [
        message_row("c1", ME, ALICE, "2023-05-04 17:21:09 UTC"),
        message_row("c1", ALICE, ME, "2023-05-05 08:00:00 UTC"),
        message_row("c2", BOB, ME, "2023-06-01 10:00:00 UTC"),
        message_row("c3", ME, f"{CAROL},{DAVE}", "2023-07-01 09:30:00 UTC"),
        message_row("c4", ME, ALICE, "2023-08-01 09:30:00 UTC", folder="DRAFT"),
        message_row("c5", ME, BOB, "yesterday"),
    ]


def patch_declared_size(path: Path, size: int) -> None:
    """Make the central directory claim ``size`` uncompressed bytes for every member."""
    data = bytearray(path.read_bytes())
    offset = data.find(b"PK\x01\x02")
    while offset >= 0:
        data[offset + 24 : offset + 28] = struct.pack("<I", size)
        offset = data.find(b"PK\x01\x02", offset + 4)
    path.write_bytes(bytes(data))
