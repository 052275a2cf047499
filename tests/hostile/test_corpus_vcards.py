"""vCards exported from real phones (vobject's test files) through ``connect5 import vcard``.

Every card with something to use arrives, every other card is reported with
its file and the line of its BEGIN, and a binary or huge file is refused in one
line.
"""

from __future__ import annotations

import json
import re
import shutil

from hostile.helpers import CORPUS, deadline

from connectors.vcard import read_vcards

PHONE = CORPUS / "vcard-vobject"


def test_a_phones_whole_address_book_imports_cards_with_addresses_and_reports_the_rest():
    with deadline(10):
        result = read_vcards(PHONE / "radicale-1238-3.vcf")
    assert len(result.contacts) + len(result.skipped) == 354
    assert len(result.contacts) == 73
    assert all(contact.emails for contact in result.contacts)
    assert all(re.fullmatch(r"radicale-1238-3\.vcf:\d+: .+", str(skip)) for skip in result.skipped)
    lines = (PHONE / "radicale-1238-3.vcf").read_text(encoding="utf-8").splitlines()
    assert all(lines[skip.line - 1].upper().startswith("BEGIN:VCARD") for skip in result.skipped)


def test_quoted_printable_names_from_android_are_decoded():
    (contact,) = read_vcards(PHONE / "radicale-1238-2.vcf").contacts
    assert contact.name == "蔡媛"
    assert contact.emails == ("caiyuan@zhztech.com",)


def test_connect5_import_vcard_of_the_corpus_folder(cli, tmp_path):
    folder = shutil.copytree(PHONE, tmp_path / "cards")
    (folder / "photo.vcf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2048))  # a picture saved as .vcf
    result = cli.process("import", "vcard", str(folder / "radicale-1238-3.vcf"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert len(summary["skipped"]) == 281
    refused = cli.process("import", "vcard", str(folder / "photo.vcf"))
    assert refused.returncode == 1
    assert refused.stderr.strip().count("\n") == 0 and "binary" in refused.stderr
    assert "Traceback" not in refused.stderr + result.stderr


def test_one_binary_file_in_a_folder_of_vcards_costs_only_itself(tmp_path):
    folder = shutil.copytree(PHONE, tmp_path / "cards")
    alone = read_vcards(folder)
    (folder / "photo.vcf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2048))
    (folder / "notes.vcf").write_text("just some notes, not a card\n")
    mixed = read_vcards(folder)
    assert [contact.key for contact in mixed.contacts] == [contact.key for contact in alone.contacts]
    assert {skip.file for skip in mixed.skipped} - {skip.file for skip in alone.skipped} == {"photo.vcf", "notes.vcf"}
