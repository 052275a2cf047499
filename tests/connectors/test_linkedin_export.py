"""Tests for the LinkedIn export as a whole: the zip or folder, its safety caps, and messages.csv."""

from __future__ import annotations

import csv
import io
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakes.unprivileged import refusal
from fakes.linkedin import (
    ALICE, BOB, CAROL, DAVE, ME, MESSAGES_HEADER, SECRET, connections_csv, conversation_sample, message_row, messages_csv,
    patch_declared_size, write_zip,
)

from connectors.base import NotAnExportError
from connectors.linkedin import Export, read_export
from connectors.linkedin.archive import _CappedReader
from connectors.records import Touch


def test_a_zip_without_connections_csv_and_a_missing_path_are_refused(tmp_path):
    archive = write_zip(tmp_path / "Basic_LinkedInDataExport_01-02-2024.zip", {"Profile.csv": "First Name\nAda\n"})
    with pytest.raises(NotAnExportError, match="holds no Connections.csv"):
        read_export(archive)
    with pytest.raises(NotAnExportError, match="does not exist"):
        read_export(tmp_path / "nowhere.zip")
    with pytest.raises(NotAnExportError, match="holds no Connections.csv"):
        read_export(tmp_path)


def test_an_export_zip_with_members_in_a_subfolder_is_read_with_its_messages(tmp_path):
    folder = "Complete_LinkedInDataExport_10-09-2024"
    archive = write_zip(
        tmp_path / f"{folder}.zip",
        {
            f"{folder}/Connections.csv": connections_csv(["Alice,Ames,https://www.linkedin.com/in/alice,,A,B,05 Mar 2024"]),
            f"{folder}/messages.csv": messages_csv(conversation_sample()),
            f"{folder}/Profile.csv": "First Name\nMe\n",
        },
    )
    export = read_export(archive)
    assert [c.key for c in export.contacts] == [ALICE]
    assert export.owner_url == ME
    assert len(export.messages) == 5


def test_an_unpacked_export_folder_is_read(tmp_path):
    (tmp_path / "Connections.csv").write_text(connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]), encoding="utf-8")
    (tmp_path / "messages.csv").write_text(messages_csv(conversation_sample()), encoding="utf-8")
    export = read_export(tmp_path)
    assert len(export.contacts) == 1 and len(export.messages) == 5


def test_a_zip_bomb_is_refused_from_its_declared_size_without_inflating_it(tmp_path):
    archive = write_zip(tmp_path / "Basic_LinkedInDataExport_01-02-2024.zip", {"Connections.csv": "x" * 10_000})
    patch_declared_size(archive, 3_000_000_000)
    started = time.perf_counter()
    with pytest.raises(NotAnExportError, match="zip bomb"):
        read_export(archive)
    assert time.perf_counter() - started < 1


def test_a_member_larger_than_the_cap_is_refused(tmp_path):
    archive = write_zip(tmp_path / "export.zip", {"Connections.csv": b"\0" * 3_000_000})
    with pytest.raises(NotAnExportError, match="zip bomb"):
        read_export(archive, max_member_bytes=1_000_000)


def test_a_member_inflating_past_its_declared_size_is_refused(tmp_path):
    text = connections_csv([f"Ada{n},Byron,,,,,05 Mar 2024" for n in range(200)])
    archive = write_zip(tmp_path / "export.zip", {"Connections.csv": text})
    patch_declared_size(archive, 100)
    with pytest.raises(NotAnExportError, match="cannot read Connections.csv"):
        read_export(archive)


def test_the_byte_cap_stops_a_stream_that_keeps_going():
    capped = io.BufferedReader(_CappedReader(io.BytesIO(b"a" * 5000), limit=4096, what="test stream"))
    with pytest.raises(NotAnExportError, match="inflates to more than"):
        capped.read()


def test_a_broken_messages_csv_does_not_lose_the_contacts(tmp_path):
    archive = write_zip(
        tmp_path / "export.zip",
        {
            "Connections.csv": connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]),
            "messages.csv": "this,is,not\nmessages,at,all\n",
        },
    )
    export = read_export(archive)
    assert len(export.contacts) == 1 and export.messages == []
    assert export.message_skipped[0].reason.startswith("not a LinkedIn messages.csv")


def read_messages_export(tmp_path: Path, rows: list[list[str]], owner_url: str | None = None) -> Export:
    (tmp_path / "Connections.csv").write_text(connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]), encoding="utf-8")
    (tmp_path / "messages.csv").write_text(messages_csv(rows), encoding="utf-8")
    return read_export(tmp_path, owner_url=owner_url)


def test_messages_become_touches_with_direction_from_the_inferred_owner(tmp_path):
    export = read_messages_export(tmp_path, conversation_sample())
    assert export.owner_url == ME
    summary = [(t.contact_key, t.direction, t.at) for t in export.messages]
    assert summary == [
        (ALICE, "out", datetime(2023, 5, 4, 17, 21, 9, tzinfo=timezone.utc)),
        (ALICE, "in", datetime(2023, 5, 5, 8, 0, tzinfo=timezone.utc)),
        (BOB, "in", datetime(2023, 6, 1, 10, 0, tzinfo=timezone.utc)),
        (CAROL, "out", datetime(2023, 7, 1, 9, 30, tzinfo=timezone.utc)),
        (DAVE, "out", datetime(2023, 7, 1, 9, 30, tzinfo=timezone.utc)),
    ]
    assert all(t.source == "linkedin-messages" and t.kind == "linkedin" for t in export.messages)
    assert len({t.external_id for t in export.messages}) == 5
    assert [(s.line, s.reason) for s in export.message_skipped] == [
        (6, "draft, never sent"),
        (7, "unreadable date 'yesterday'"),
    ]


def test_external_ids_are_stable_across_reimports(tmp_path):
    first = read_messages_export(tmp_path, conversation_sample())
    second = read_messages_export(tmp_path, list(reversed(conversation_sample())))
    assert {t.external_id for t in first.messages} == {t.external_id for t in second.messages}


def test_the_configured_owner_decides_direction(tmp_path):
    rows = [message_row("c1", ALICE, BOB, "2023-05-04 17:21:09 UTC"), message_row("c2", BOB, ALICE, "2023-05-05 17:21:09 UTC")]
    export = read_messages_export(tmp_path, rows, owner_url="http://de.linkedin.com/in/Bob/")
    assert export.owner_url == BOB
    assert [(t.contact_key, t.direction) for t in export.messages] == [(ALICE, "in"), (ALICE, "out")]


def test_recipient_urls_separated_by_spaces_and_multiline_content_keep_line_numbers(tmp_path):
    rows = [
        message_row("c1", ME, f"{CAROL} {DAVE}", "2023-05-04 17:21:09 UTC", content=f"{SECRET}\nsecond line\nthird"),
        message_row("c1", CAROL, ME, "not a date"),
        message_row("c2", "", ME, "2023-05-06 10:00:00 UTC"),
    ]
    export = read_messages_export(tmp_path, rows, owner_url=ME)
    assert [t.contact_key for t in export.messages] == [CAROL, DAVE]
    assert [(s.line, s.reason) for s in export.message_skipped] == [
        (5, "unreadable date 'not a date'"),
        (6, "received message without a sender profile URL"),
    ]


def test_no_message_content_or_subject_is_kept_anywhere(tmp_path):
    rows = conversation_sample() + [message_row("c9", ME, "", "2023-05-04 17:21:09 UTC", subject=SECRET)]
    export = read_messages_export(tmp_path, rows)
    assert not {"content", "subject", "body"} & set(Touch.__dataclass_fields__)
    assert SECRET not in repr(export)
    assert "Hello" not in repr(export)


def test_a_stray_nul_byte_skips_only_its_row(tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_bytes(
        b"First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        b"Ada,Lovelace,https://www.linkedin.com/in/ada,,X,Y,01 Jan 2020\n"
        b"Ba\x00d,Row,https://www.linkedin.com/in/bad,,X,Y,01 Jan 2020\n"
        b"Grace,Hopper,https://www.linkedin.com/in/grace,,X,Y,01 Jan 2020\n"
    )
    export = read_export(path)
    assert [contact.name for contact in export.contacts] == ["Ada Lovelace", "Grace Hopper"]
    assert [(item.line, item.reason) for item in export.skipped] == [(3, "damaged row: it holds a NUL byte")]


def test_messages_dated_more_than_a_day_ahead_are_skipped_with_their_line(tmp_path):
    rows = [
        message_row("c1", ME, ALICE, "2026-11-27 05:00:00 UTC"),  # line 2: today
        message_row("c1", ALICE, ME, "2026-11-28 04:00:00 UTC"),  # line 3: tomorrow, a zone away
        message_row("c2", BOB, ME, "2030-06-01 10:00:00 UTC"),  # line 4: a wrong clock
    ]
    (tmp_path / "Connections.csv").write_text(connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]), encoding="utf-8")
    (tmp_path / "messages.csv").write_text(messages_csv(rows), encoding="utf-8")
    export = read_export(tmp_path, owner_url=ME, now=datetime(2026, 11, 27, 6, tzinfo=timezone.utc))
    assert [(t.contact_key, t.direction) for t in export.messages] == [(ALICE, "out"), (ALICE, "in")]
    assert [str(s) for s in export.message_skipped] == [
        "messages.csv:4: dated in the future (2030-06-01 10:00:00 UTC)"
    ]


def test_a_truncated_zip_is_called_a_damaged_download_not_a_bad_csv(tmp_path):
    rows = [f"Ada{n},Byron,https://www.linkedin.com/in/ada{n},,Engines,Analyst,05 Mar 2024" for n in range(2000)]
    archive = write_zip(tmp_path / "export.zip", {"Basic/Connections.csv": connections_csv(rows), "Basic/x.csv": os.urandom(40_000)})
    for name in ("trunc.zip", "download"):  # known by its first bytes even without the .zip name
        path = tmp_path / name
        path.write_bytes(archive.read_bytes()[:30_000])
        with pytest.raises(NotAnExportError, match=r"not a readable zip \(damaged or incomplete download"):
            read_export(path)


@pytest.mark.parametrize("kind", ["folder", "fifo", "dangling link"])
def test_a_connections_csv_that_cannot_be_read_as_a_file_is_one_line(tmp_path, kind):
    export = tmp_path / "export"
    export.mkdir()
    target = export / "Connections.csv"
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)  # opening it would wait for a writer forever
    else:
        target.symlink_to(tmp_path / "gone.csv")
    for path in (export, target) if kind == "fifo" else (export,):
        with pytest.raises(NotAnExportError, match="Connections.csv is not a regular file") as raised:
            read_export(path)
        assert "\n" not in str(raised.value)


def test_a_connections_csv_without_read_permission_is_one_line(tmp_path):
    (tmp_path / "Connections.csv").write_text(connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]), encoding="utf-8")
    (tmp_path / "Connections.csv").chmod(0)
    refused = refusal("from connectors.linkedin import read_export", f"read_export({str(tmp_path)!r})")
    assert re.fullmatch(r"cannot read .*Connections\.csv: Permission denied\n", refused)


def test_a_messages_csv_that_is_a_folder_costs_only_the_messages(tmp_path):
    (tmp_path / "Connections.csv").write_text(connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]), encoding="utf-8")
    (tmp_path / "messages.csv").mkdir()
    export = read_export(tmp_path)
    assert len(export.contacts) == 1
    assert [str(skip) for skip in export.message_skipped] == [
        f"messages.csv:1: {tmp_path / 'messages.csv'} is not a regular file; expected a LinkedIn CSV"
    ]


def test_a_folder_is_searched_two_levels_down_and_no_further(tmp_path):
    row = ["Alice,Ames,,,A,B,05 Mar 2024"]
    export = tmp_path / "Downloads" / "Basic_LinkedInDataExport_11-20-2026"
    export.mkdir(parents=True)
    (export / "Connections.csv").write_text(connections_csv(row), encoding="utf-8")
    (export / "messages.csv").write_text(messages_csv(conversation_sample()), encoding="utf-8")
    found = read_export(tmp_path)  # the folder holding Downloads: two levels down
    assert len(found.contacts) == 1 and len(found.messages) == 5
    deep = tmp_path / "deep" / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "Connections.csv").write_text(connections_csv(row), encoding="utf-8")
    with pytest.raises(NotAnExportError, match="holds no Connections.csv"):
        read_export(tmp_path / "deep")


def test_two_exports_side_by_side_are_named_not_guessed(tmp_path):
    for name in ("export-2024", "export-2026"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Connections.csv").write_text(connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]),
                                                          encoding="utf-8")
    with pytest.raises(NotAnExportError, match="holds 2 exports .*export-2024.*export-2026.*name the one"):
        read_export(tmp_path)


def test_a_zip_holding_two_exports_is_refused_naming_them(tmp_path):
    rows = connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"])
    path = write_zip(tmp_path / "two.zip", {"one/Connections.csv": rows, "two/Connections.csv": rows})
    with pytest.raises(NotAnExportError, match=r"holds 2 exports \(one/Connections.csv, two/Connections.csv\)"):
        read_export(path)


def test_many_exports_in_a_folder_are_counted_beyond_the_four_named(tmp_path):
    for number in range(6):
        (tmp_path / f"export-{number}").mkdir()
        (tmp_path / f"export-{number}" / "Connections.csv").write_text(
            connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]), encoding="utf-8")
    with pytest.raises(NotAnExportError, match="holds 6 exports .* and 2 more"):
        read_export(tmp_path)


def test_a_semicolon_separated_resave_of_messages_csv_is_read(tmp_path):
    rows = [
        message_row("c1", ME, ALICE, "2023-05-04 17:21:09 UTC"),
        message_row("c1", ALICE, ME, "2023-05-05 09:00:00 UTC", content="Yes; see you"),
    ]
    buffer = io.StringIO()
    buffer.write(MESSAGES_HEADER.replace(",", ";") + "\r\n")
    csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(rows)
    (tmp_path / "Connections.csv").write_text(connections_csv(["Alice,Ames,,,A,B,05 Mar 2024"]), encoding="utf-8")
    (tmp_path / "messages.csv").write_text(buffer.getvalue(), encoding="utf-8")
    export = read_export(tmp_path, owner_url=ME)
    assert not export.message_skipped
    assert [(t.contact_key, t.direction) for t in export.messages] == [(ALICE, "out"), (ALICE, "in")]


def test_a_connection_dated_more_than_a_day_ahead_is_skipped_with_its_line(tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_text(connections_csv([
        "Ada,Byron,https://www.linkedin.com/in/ada,,Engines,Analyst,28 Nov 2026",  # line 5: tomorrow, a zone away
        "Ben,Ng,https://www.linkedin.com/in/ben,,Acme,CTO,01 Jun 2031",  # line 6: a wrong clock
    ]), encoding="utf-8")
    export = read_export(path, now=datetime(2026, 11, 27, 6, tzinfo=timezone.utc))
    assert [contact.name for contact in export.contacts] == ["Ada Byron"]
    assert [str(skip) for skip in export.skipped] == ["Connections.csv:6: connected in the future (2031-06-01)"]
    assert [contact.name for contact in read_export(path).contacts] == ["Ada Byron", "Ben Ng"]  # no clock, no check
