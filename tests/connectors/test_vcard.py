"""Tests for the vCard importer: Android 2.1, Apple 3.0 and RFC 6350 4.0 cards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fakes.unprivileged import refusal

from connectors.base import NotAnExportError
from connectors.vcard import read_vcards

SAMPLES = Path(__file__).parent.parent / "data" / "vcard"


def write_cards(path: Path, text: str, newline: str = "\r\n") -> Path:
    path.write_bytes(text.strip("\n").replace("\n", newline).encode() + newline.encode())
    return path


def test_android_21_quoted_printable_names_and_bare_email_types_are_read():
    result = read_vcards(SAMPLES / "android-2.1.vcf")
    first, second, third = result.contacts
    assert (first.name, first.first_name, first.last_name) == ("Jürgen Müller", "Jürgen", "Müller")
    assert first.emails == ("juergen.mueller@example.com", "JM@Work.example")
    assert (first.company, first.position) == ("Müller & Söhne GmbH", "Head of Sales")
    assert second.name == "Chidi Okafor – Long Name With Soft Breaks"  # "=" soft line break joined
    assert (third.name, third.emails) == ("Ana Šimkus", ("ana.simkus@example.lt",))  # built from N, no FN
    assert all(contact.source == "vcard" and contact.key.startswith("vcard:") for contact in result.contacts)
    assert [(s.line, s.reason) for s in result.skipped] == [
        (18, "nothing to use: no e-mail address or LinkedIn profile"),
        (24, "no name (neither FN nor N)"),
    ]


def test_apple_30_folding_escapes_groups_and_linkedin_url_are_read():
    result = read_vcards(SAMPLES / "apple-3.0.vcf")
    ada, grace = result.contacts
    assert ada.key == "vcard:6B29FC40-CA47-1067-B31D-00DD010662DA"
    assert ada.emails == ("ada@example.com", "ada.lovelace@engines.example.co.uk")
    assert ada.company == "Analytical Engines, Ltd."
    assert ada.position == "Mathematician; first programmer"
    assert ada.profile_url == "https://www.linkedin.com/in/ada-lovelace"
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    assert grace.name == "Grace Brewster Murray Hopper"
    assert [(s.line, s.reason) for s in result.skipped] == [
        (21, "no name (neither FN nor N)"),
        (27, "no END:VCARD before the end of the file"),
    ]


def test_rfc_40_cards_with_uid_multiple_values_mailto_and_duplicates():
    result = read_vcards(SAMPLES / "rfc-4.0.vcf")
    simon, john, twice = result.contacts
    assert simon.key == "vcard:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert simon.emails == ("simon.perreault@viagenie.example", "SIMON@home.example")  # a repeat dropped
    assert (simon.company, simon.position) == ("Viagenie", "Research Engineer")
    assert (john.name, john.company, john.emails) == ("John Philip Paul Stevenson", "ABC, Inc.", ("john.stevenson@example.com",))
    assert twice.name == "Same Person Twice"
    assert [(s.line, s.reason) for s in result.skipped] == [(23, "duplicate of the card at line 18")]


def test_keys_without_uid_are_stable_and_differ_by_email(tmp_path):
    card = "BEGIN:VCARD\nVERSION:3.0\nFN:Ada Byron\nEMAIL:{}\nEND:VCARD\n"
    one = read_vcards(write_cards(tmp_path / "one.vcf", card.format("ada@example.com"))).contacts[0]
    again = read_vcards(write_cards(tmp_path / "again.vcf", card.format("ada@example.com"), newline="\n")).contacts[0]
    other = read_vcards(write_cards(tmp_path / "other.vcf", card.format("byron@example.com"))).contacts[0]
    assert one.key == again.key != other.key


def test_quoted_printable_soft_breaks_in_other_charsets_and_lf_files(tmp_path):
    text = (
        "BEGIN:VCARD\nVERSION:2.1\n"
        "FN;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Fran=E7oise =\nDupr=E9\n"
        "ORG;QUOTED-PRINTABLE:Soci=C3=A9t=C3=A9 G=C3=A9n=C3=A9rale;IT\n"
        "EMAIL;INTERNET:francoise@example.fr\n"
        "END:VCARD\n"
    )
    contact = read_vcards(write_cards(tmp_path / "fr.vcf", text, newline="\n")).contacts[0]
    assert (contact.name, contact.company) == ("Françoise Dupré", "Société Générale")


def test_a_folder_of_vcf_files_is_read_with_skips_naming_their_file(tmp_path):
    write_cards(tmp_path / "a.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:A One\nEMAIL:a@example.com\nEND:VCARD")
    write_cards(tmp_path / "b.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:B Two\nTEL:123\nEND:VCARD")
    (tmp_path / "notes.txt").write_text("ignored")
    result = read_vcards(tmp_path)
    assert [c.name for c in result.contacts] == ["A One"]
    assert [str(s) for s in result.skipped] == ["b.vcf:1: nothing to use: no e-mail address or LinkedIn profile"]


def test_a_card_missing_its_end_is_skipped_with_its_line_and_the_cards_after_it_are_read(tmp_path):
    path = write_cards(tmp_path / "c.vcf", """
BEGIN:VCARD
VERSION:3.0
FN:Broken Card
EMAIL:broken@example.com
BEGIN:VCARD
VERSION:3.0
FN:After Broken
EMAIL:after@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Ann Lee
EMAIL:ann@lee.example
END:VCARD
""")
    result = read_vcards(path)
    assert [c.name for c in result.contacts] == ["After Broken", "Ann Lee"]
    assert [str(s) for s in result.skipped] == ["c.vcf:1: no END:VCARD before the next card (line 5)"]


def test_a_21_agent_card_nested_in_a_card_is_no_contact_of_its_own(tmp_path):
    # vCard 2.1 §2.5.2: AGENT's value may be a whole vCard, starting on the next line.
    path = write_cards(tmp_path / "agent.vcf", """
BEGIN:VCARD
VERSION:2.1
N:Boss;Bea
EMAIL;INTERNET:bea@example.com
AGENT:
BEGIN:VCARD
VERSION:2.1
N:Friday;Fred
EMAIL;INTERNET:fred@example.com
END:VCARD
TITLE:Director
END:VCARD
BEGIN:VCARD
VERSION:2.1
N:Next;Nia
EMAIL;INTERNET:nia@example.com
END:VCARD
""")
    result = read_vcards(path)
    assert [(c.name, c.emails, c.position) for c in result.contacts] == [
        ("Bea Boss", ("bea@example.com",), "Director"), ("Nia Next", ("nia@example.com",), "")]
    assert result.skipped == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"First Name,Last Name\nAda,Byron\n", "not a vCard file"),
        (b"", "not a vCard file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ],
)
def test_files_that_are_not_vcards_are_refused(tmp_path, content, expected):
    path = tmp_path / "contacts.vcf"
    path.write_bytes(content)
    with pytest.raises(NotAnExportError, match=expected):
        read_vcards(path)


def test_a_vcard_without_read_permission_is_one_line(tmp_path):
    path = write_cards(tmp_path / "cards.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:A One\nEMAIL:a@example.com\nEND:VCARD")
    path.chmod(0)
    refused = refusal("from connectors.vcard import read_vcards", f"read_vcards({str(path)!r})")
    assert re.fullmatch(r"cannot read .*cards\.vcf: Permission denied\n", refused)
