"""The big hostile inputs, generated at test time: a 50 MB header line, a To: of
200,000 recipients, a deeply nested multipart, zip bombs offered as a LinkedIn export.

Each must cost next to nothing, be reported in one line, and leave the good
items next to it untouched.
"""

from __future__ import annotations

import logging
import time
import zipfile
from pathlib import Path

import pytest
from hostile.helpers import deadline, stage_maildir

from connectors import headers
from connectors.base import NotAnExportError, SourceContext
from connectors.google.messages import mail_item
from connectors.linkedin import read_export
from connectors.maildir import MaildirSource
from connectors.records import MailItem
from rules.noise import noise_reason

GOOD = b"From: Ada <ada@example.com>\nTo: bob@example.com\nSubject: hello\nDate: Mon, 5 Jan 2026 09:00:00 +0000\n\nhi\n"
RECIPIENTS = 200_000


def _write(path: Path, *chunks: bytes) -> Path:
    with path.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return path


def _sync(root: Path) -> list[MailItem]:
    source = MaildirSource(MaildirSource.Options(path=[str(root)], backfill_months=0), SourceContext(name="mail"))
    return [item for batch in source.sync(None) for item in batch.items]


def _staged(tmp_path: Path, hostile: Path) -> tuple[dict[str, Path], Path]:
    good = _write(tmp_path / "good.eml", GOOD)
    return stage_maildir(tmp_path / "Maildir", [good, hostile]), tmp_path / "Maildir"


def _recipients(count: int) -> str:
    return ", ".join(f"Person {number} <p{number}@example.com>" for number in range(count))


def test_a_50_mb_single_line_header_is_skipped_quickly_and_named(tmp_path, caplog):
    line = b"Subject: " + b"x" * (50 * 1024 * 1024)
    hostile = _write(tmp_path / "huge.eml", b"From: a@example.com\n", line, b"\n\nbody\n")
    placed, root = _staged(tmp_path, hostile)
    caplog.set_level(logging.WARNING, logger="connectors")
    with deadline(3):
        items = _sync(root)
    assert [item.subject for item in items] == ["hello"]
    (warning,) = [record.getMessage() for record in caplog.records]
    assert str(list(placed.values())[1]) in warning and "longer than 256 KB" in warning


def test_a_to_of_200000_recipients_in_a_maildir_costs_nothing(tmp_path, caplog):
    to = f"To: {_recipients(RECIPIENTS)}\n".encode()
    hostile = _write(tmp_path / "crowd.eml", b"From: list@example.com\nSubject: all of you\n", to, b"\nhi\n")
    placed, root = _staged(tmp_path, hostile)
    caplog.set_level(logging.WARNING, logger="connectors")
    with deadline(3):
        items = _sync(root)
    assert [item.subject for item in items] == ["hello"]
    assert str(list(placed.values())[1]) in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    "value",
    [
        _recipients(RECIPIENTS),
        "All: " + ", ".join(f"p{number}@example.com" for number in range(RECIPIENTS)) + ";",
        ", ".join(f'"Last, First {number}" <p{number}@example.com> (comment)' for number in range(RECIPIENTS)),
    ],
    ids=["plain", "group", "comments"],
)
def test_a_to_of_200000_recipients_from_gmail_is_quick_and_bulk(value):
    """Gmail hands headers over without the Maildir size cap: the parser bounds itself."""
    message = {"id": "m1", "threadId": "t1", "internalDate": "1767603600000",
               "payload": {"headers": [{"name": "From", "value": "boss@example.com"},
                                       {"name": "To", "value": value},
                                       {"name": "Subject", "value": "=?utf-8?q?hi?= " * 50_000}]}}
    with deadline(2):
        item = mail_item("gmail", message, frozenset({"me@example.com"}))
        reason = noise_reason(item)
    assert len(item.to) > 20
    assert reason.startswith("bulk:")


def test_a_deeply_nested_multipart_costs_nothing_since_only_headers_are_read(tmp_path):
    depth = 100_000
    opening = b"".join(f"--b{n}\nContent-Type: multipart/mixed; boundary=b{n + 1}\n\n".encode() for n in range(depth))
    closing = b"".join(f"--b{n}--\n".encode() for n in reversed(range(depth)))
    top = b"From: Ada <ada@example.com>\nSubject: nested\nContent-Type: multipart/mixed; boundary=b0\n\n"
    hostile = _write(tmp_path / "nested.eml", top, opening, closing)
    assert hostile.stat().st_size > 5_000_000
    _, root = _staged(tmp_path, hostile)
    started = time.monotonic()
    items = _sync(root)
    assert sorted(item.subject for item in items) == ["hello", "nested"]
    assert time.monotonic() - started < 1


def test_header_parser_bounds_for_any_shape_of_huge_value():
    with deadline(5):
        assert headers.parse_date("Mon, " + "1" * 5_000_000) is None
        assert headers.first_message_id("<" * 5_000_000) == ""
        headers.parse_header_block(b"To: a\n" + b" b,\n" * 1_000_000 + b"\n", ["to"])
        headers.parse_header_block(b"X: y\n" * 1_000_000 + b"\n")


def _bomb(path: Path, inflated_mb: int) -> Path:
    """A real zip bomb: Connections.csv inflating to ``inflated_mb`` MB of zeros, kilobytes packed."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("Connections.csv", "w", force_zip64=True) as member:
            member.write(b"First Name,Last Name,URL,Email Address,Company,Position,Connected On\n")
            chunk = b"\0" * (1024 * 1024)
            for _ in range(inflated_mb):
                member.write(chunk)
    return path


def test_a_zip_bomb_offered_as_a_linkedin_export_is_refused_quickly_in_one_line(cli, tmp_path):
    bomb = _bomb(tmp_path / "Basic_LinkedInDataExport_01-01-2026.zip", 300)
    assert bomb.stat().st_size < 1024 * 1024
    started = time.monotonic()
    result = cli.process("import", "linkedin", str(bomb))
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "zip bomb" in result.stderr
    assert "Traceback" not in result.stderr
    assert cli.process("contacts", "list", "--json").stdout.strip() in ("", "[]")


def test_a_zip_bomb_that_lies_about_its_size_is_stopped_while_inflating(tmp_path):
    """The declared size says 1 KB; the stream cap and the CRC check still refuse it."""
    bomb = _bomb(tmp_path / "liar.zip", 8)
    data = bytearray(bomb.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    # zip64: the real sizes live in the extra field; point both at 1 KB.
    extra_at = central + 46 + int.from_bytes(data[central + 28 : central + 30], "little")
    data[extra_at + 4 : extra_at + 12] = (1024).to_bytes(8, "little")
    bomb.write_bytes(bytes(data))
    with deadline(5), pytest.raises(NotAnExportError) as refused:
        read_export(bomb, max_member_bytes=4 * 1024 * 1024)
    assert "liar.zip" in str(refused.value)
