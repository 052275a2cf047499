"""Tests for the LinkedIn Connections.csv reader: every shape of the file seen in the wild.

The export zip, its safety caps and messages.csv are in test_linkedin_export.py.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fakes.linkedin import HEADER_2024, PREAMBLE, SAMPLES, connections_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import NotAnExportError
from connectors.linkedin import derived_key, human_name, normalise_profile_url, read_export
from connectors.linkedin.fields import clean_whitespace




def test_current_export_gives_1351_contacts_and_counts_19_hidden_members():
    export = read_export(SAMPLES / "export-2024.csv")
    # 1,374 physical lines: 4 of preamble and header, 1,370 rows (the last one has no
    # newline, so `wc -l` says 1,373), 19 of them hidden members.
    assert export.format == "2024"
    assert export.hidden_count == 19
    assert len(export.contacts) == 1351
    assert len(export.skipped) == 19
    assert {skip.reason for skip in export.skipped} == {"hidden member: only a date"}
    assert [skip.line for skip in export.skipped][:3] == [143, 238, 668]
    assert all(contact.key.startswith("https://www.linkedin.com/in/") for contact in export.contacts)
    assert export.contacts[0].connected_on == date(2024, 10, 9)
    assert export.contacts[-1].name == "Xiu Zellerlo"


def test_names_lose_pronouns_credentials_tabs_and_emoji_but_first_and_last_keep_linkedins_text():
    by_url = {contact.profile_url: contact for contact in read_export(SAMPLES / "export-2024.csv").contacts}
    tabbed = by_url["https://www.linkedin.com/in/rosa-865b2639"]
    assert (tabbed.first_name, tabbed.name) == ("Rosa", "Rosa Dumont")
    credentials = by_url["https://www.linkedin.com/in/ines-45db008a"]
    assert credentials.last_name == "Ibsen, CSSGB®, ITIL V4®, PSM I, DASM®,SAFe®"
    assert credentials.name == "Ines Ibsen"
    spaced = next(contact for contact in by_url.values() if contact.first_name == "Kiri" and contact.last_name == "Zeller")
    assert spaced.name == "Kiri Zeller"
    emoji_position = by_url["https://www.linkedin.com/in/gala-129042f4"]
    assert emoji_position.position.startswith("Chief Revenue Officer (CRO) ")  # company/position as given


def test_legacy_2018_export_has_no_urls_and_is_keyed_by_email():
    export = read_export(SAMPLES / "export-2018-legacy.csv")
    assert export.format == "2018-legacy"
    assert len(export.contacts) == 41 and not export.skipped
    first = export.contacts[0]
    assert first.key == "email:ada.f9e0ff@example.com"
    assert first.connected_on == date(2018, 1, 8)
    assert first.profile_url == ""
    urn_row = next(contact for contact in export.contacts if contact.first_name == "Nils" and contact.last_name == "Brandt")
    assert urn_row.emails == ()  # "urn:li:member:…" is not an e-mail address
    assert urn_row.key == "name:nils brandt:2018-08-18"


def test_resaved_2021_export_without_header_is_recognised_by_its_columns_and_wrapped_rows_recovered():
    export = read_export(SAMPLES / "export-2021-resaved.csv")
    assert export.format == "headerless"
    assert len(export.contacts) == 191 and not export.skipped
    by_name = {contact.name: contact for contact in export.contacts}
    assert by_name["Laura Herbst"].position == "Digital Products & Technology, Working Student"
    assert by_name["Laura Herbst"].company == "Interhyp Gruppe"
    assert by_name["Galina Trunina"].company == "Café Roma, Maximilienstr. 33"
    assert by_name["Serena Caporossi"].last_name == "Caporossi, MBA"
    assert by_name["Ada Abara"].connected_on == date(2021, 6, 11)


# ---- fields -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.linkedin.com/in/jane-doe", "https://www.linkedin.com/in/jane-doe"),
        ("http://www.linkedin.com/in/Jane-Doe/", "https://www.linkedin.com/in/jane-doe"),
        ("https://de.linkedin.com/in/jane-doe?trk=abc#x", "https://www.linkedin.com/in/jane-doe"),
        ("linkedin.com/in/jane-doe/details/experience/", "https://www.linkedin.com/in/jane-doe"),
        (" https://WWW.LinkedIn.com/in/J%C3%BCrgen ", "https://www.linkedin.com/in/j%C3%BCrgen"),
        ("https://www.linkedin.com/in/jürgen", "https://www.linkedin.com/in/j%C3%BCrgen"),
    ],
)
def test_profile_urls_are_normalised_to_one_form(url, expected):
    assert normalise_profile_url(url) == expected


@pytest.mark.parametrize("url", ["", "https://example.com/in/jane", "https://www.linkedin.com/company/acme", "mailto:x@y.z"])
def test_urls_that_are_not_profiles_are_refused(url):
    with pytest.raises(ValueError):
        normalise_profile_url(url)


def test_derived_key_prefers_the_email_then_the_name_and_connection_date():
    assert derived_key("Ada", "Byron", " Ada@Example.COM ", date(2020, 1, 2)) == "email:ada@example.com"
    assert derived_key("Zoë (she/her)", "Müller, PhD", "", date(2020, 1, 2)) == "name:zoe muller:2020-01-02"


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Maria (she/her)", "Lopez, CPA", "Maria Lopez"),
        ("Maria", "Lopez she/her", "Maria Lopez"),
        ("Gala 🌍🚀", "Haddad ✨", "Gala Haddad"),
        ("  Kiri\t", "\u00a0Zeller\u200b ", "Kiri Zeller"),
        ("Sam", "Lee MBA", "Sam Lee"),
        ("Anne-Marie", "O'Neil", "Anne-Marie O'Neil"),
        ("🚀", "", "🚀"),
    ],
)
def test_human_name_keeps_only_the_persons_name(first, last, expected):
    assert human_name(first, last) == expected


slugs = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="-_"), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    slug=slugs,
    host=st.sampled_from(["www.linkedin.com", "linkedin.com", "de.linkedin.com", "WWW.LINKEDIN.COM"]),
    scheme=st.sampled_from(["https://", "http://", ""]),
    tail=st.sampled_from(["", "/", "?trk=people", "/details/skills/", "#about"]),
)
def test_profile_url_normalisation_is_idempotent_and_ignores_host_scheme_and_tail(slug, host, scheme, tail):
    url = normalise_profile_url(f"{scheme}{host}/in/{slug}{tail}")
    assert url == normalise_profile_url(url) == normalise_profile_url(f"https://www.linkedin.com/in/{slug}")
    assert url.startswith("https://www.linkedin.com/in/") and not url.endswith("/")


@settings(max_examples=200, deadline=None)
@given(first=st.text(max_size=25), last=st.text(max_size=25))
def test_human_name_is_single_spaced_and_empty_only_when_the_input_is(first, last):
    name = human_name(first, last)
    assert name == name.strip() and "  " not in name and "\t" not in name and "\n" not in name
    assert bool(name) == bool(clean_whitespace(f"{first} {last}"))


# ---- generated shapes ---------------------------------------------------------------------


def test_bom_crlf_and_iso_dates_are_read(tmp_path):
    text = connections_csv(["Ada,Byron,https://www.linkedin.com/in/ada,,Engines,Analyst,2024-03-05"])
    path = tmp_path / "Connections.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    export = read_export(path)
    assert [(c.name, c.connected_on) for c in export.contacts] == [("Ada Byron", date(2024, 3, 5))]


def test_header_without_preamble_and_with_a_bom_is_found(tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_text("\ufeff" + connections_csv(["Ada,Byron,,,,,05 Mar 2024"], preamble=""), encoding="utf-8")
    export = read_export(path)
    assert export.format == "2024" and export.contacts[0].key == "name:ada byron:2024-03-05"


def test_malformed_rows_are_skipped_with_their_physical_line_and_the_rest_imports(tmp_path):
    rows = [
        "Ada,Byron,https://www.linkedin.com/in/ada,,Engines,Analyst,05 Mar 2024",  # line 5
        'Ben,Ng,https://www.linkedin.com/in/ben,,"Acme\nTwo Lines",CTO,06 Mar 2024',  # lines 6-7
        "Cleo,Hart,https://www.linkedin.com/in/cleo,,Acme,CTO,xx",  # line 8
        "Dev,Rao,https://www.linkedin.com/in/dev,,Acme,extra,column,CTO,07 Mar 2024",  # line 9
        ",,,,,,08 Mar 2024",  # line 10
        "",  # line 11, blank: ignored
        "Esme,Ito,https://www.linkedin.com/in/esme,,Acme,CEO,",  # line 12
        "Ada,Byron,https://www.linkedin.com/in/ADA/,,Engines,Analyst,05 Mar 2024",  # line 13
        "Farid,Ali,https://www.linkedin.com/in/farid,,Acme,CEO,09 Mar 2024",  # line 14
    ]
    path = tmp_path / "Connections.csv"
    path.write_text(connections_csv(rows), encoding="utf-8")
    export = read_export(path)
    assert [c.first_name for c in export.contacts] == ["Ada", "Ben", "Farid"]
    assert export.contacts[1].company == "Acme\nTwo Lines"
    assert [(s.line, s.reason) for s in export.skipped] == [
        (8, "unreadable date 'xx'"),
        (9, "expected 7 columns, found 9"),
        (10, "hidden member: only a date"),
        (12, "no connection date"),
        (13, "duplicate of line 5 (same person)"),
    ]
    assert export.hidden_count == 1
    assert str(export.skipped[0]) == "Connections.csv:8: unreadable date 'xx'"


def test_a_stray_quote_loses_only_its_own_line_and_the_skip_names_the_real_file(tmp_path):
    # What `sed '10s/^\([A-Za-z]*\),/\1,"/'` does to the sample: an opening quote that
    # the reader pairs with the next quote in the file, six lines further down.
    lines = (SAMPLES / "export-2024.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[9].startswith("Farid,Abara,")
    lines[9] = lines[9].replace("Farid,", 'Farid,"', 1)
    path = tmp_path / "export-2024.csv"
    path.write_text("".join(lines), encoding="utf-8")
    export = read_export(path)
    assert len(export.contacts) == 1351 - 1
    assert "https://www.linkedin.com/in/farid-7d9e44c5" not in {contact.key for contact in export.contacts}
    broken = [str(skip) for skip in export.skipped if skip.reason != "hidden member: only a date"]
    assert broken == [
        "export-2024.csv:10: a quote opened on this line runs on to line 16; "
        "this line skipped, lines 11–16 read as rows of their own"
    ]
    assert str(export.skipped[-1]).startswith("export-2024.csv:")


def test_a_quote_never_closed_loses_one_line_not_the_rest_of_the_file(tmp_path):
    rows = [
        "Ada,Byron,https://www.linkedin.com/in/ada,,Engines,Analyst,05 Mar 2024",  # line 5
        'Ben,"Ng,https://www.linkedin.com/in/ben,,Acme,CTO,06 Mar 2024',  # line 6
        "Cleo,Hart,https://www.linkedin.com/in/cleo,,Acme,CTO,07 Mar 2024",  # line 7
        'Dev,Rao,https://www.linkedin.com/in/dev,,"Acme,CTO,08 Mar 2024',  # line 8
        "Esme,Ito,https://www.linkedin.com/in/esme,,Acme,CEO,09 Mar 2024",  # line 9
    ]
    path = tmp_path / "Connections.csv"
    path.write_text(connections_csv(rows), encoding="utf-8")
    export = read_export(path)
    assert [contact.first_name for contact in export.contacts] == ["Ada", "Cleo", "Esme"]
    assert [(skip.line, skip.reason.split(";")[0]) for skip in export.skipped] == [
        (6, "a quote opened on this line runs on to line 8"),
        (8, "a quote opened on this line runs on to line 9"),
    ]


def test_a_semicolon_separated_resave_is_read(tmp_path):
    text = connections_csv(
        ["Ada;Byron;https://www.linkedin.com/in/ada;;Engines, Ltd.;Analyst;05 Mar 2024",
         'Ben;Ng;https://www.linkedin.com/in/ben;;"Acme; Sons";CTO;06 Mar 2024'],
        header=HEADER_2024.replace(",", ";"),
    )
    path = tmp_path / "Connections.csv"
    path.write_text(text, encoding="utf-8")
    export = read_export(path)
    assert export.format == "2024" and not export.skipped
    assert [(c.name, c.company) for c in export.contacts] == [("Ada Byron", "Engines, Ltd."), ("Ben Ng", "Acme; Sons")]


def test_a_european_resave_with_day_first_dotted_dates_is_read(tmp_path):
    text = connections_csv(["Ada;Byron;https://www.linkedin.com/in/ada;;Engines;Analyst;05.03.2024",
                            "Ben;Ng;https://www.linkedin.com/in/ben;;Acme;CTO;1.12.2019 14:05",
                            "Cy;Li;https://www.linkedin.com/in/cy;;Acme;CFO;28.02.24"],
                           header=HEADER_2024.replace(",", ";"))
    path = tmp_path / "Connections.csv"
    path.write_text(text, encoding="utf-8")
    export = read_export(path)
    assert not export.skipped
    assert [contact.connected_on for contact in export.contacts] == [date(2024, 3, 5), date(2019, 12, 1),
                                                                      date(2024, 2, 28)]


def test_headerless_file_with_a_url_column_uses_seven_columns(tmp_path):
    path = tmp_path / "Connections.csv"
    rows = [
        "Ada,Byron,https://uk.linkedin.com/in/ada,ada@example.com,Engines,Analyst,05 Mar 2024",
        '"Ben,Ng,https://www.linkedin.com/in/ben,,Acme, ""CTO, Europe"",06 Mar 2024"',
        "Cleo,Hart,,,,,Sometime",
    ]
    path.write_text("\n".join(rows), encoding="utf-8")
    export = read_export(path)
    assert export.format == "headerless"
    assert [(c.key, c.position) for c in export.contacts] == [
        ("https://www.linkedin.com/in/ada", "Analyst"),
        ("https://www.linkedin.com/in/ben", "CTO, Europe"),
    ]
    assert [(s.line, s.reason) for s in export.skipped] == [(3, "unreadable date 'Sometime'")]


def test_a_windows_1252_file_is_decoded(tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_bytes(connections_csv(["Jürgen,Müller,,,Café GmbH,Geschäftsführer,05 Mar 2024"]).encode("cp1252"))
    contact = read_export(path).contacts[0]
    assert (contact.name, contact.company) == ("Jürgen Müller", "Café GmbH")


@settings(max_examples=40, deadline=None)
@given(
    company=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30),
    position=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30),
)
def test_any_company_and_position_text_survives_csv_quoting(tmp_path_factory, company, position):
    out = io.StringIO()
    out.write(PREAMBLE + HEADER_2024)
    csv.writer(out, lineterminator="\n").writerow(["Ada", "Byron", "https://www.linkedin.com/in/ada", "", company, position, "05 Mar 2024"])
    path = tmp_path_factory.mktemp("shape") / "Connections.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    contact = read_export(path).contacts[0]
    assert (contact.company, contact.position) == (company.strip(), position.strip())


# ---- not an export ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("Connections.csv", b"", "is empty"),
        ("data.csv", b"id,amount,currency\n1,2.50,EUR\n2,3.10,EUR\n", "not a LinkedIn Connections.csv"),
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "binary file"),
    ],
)
def test_files_that_are_not_exports_are_refused_with_one_line(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(NotAnExportError, match=expected) as raised:
        read_export(path)
    assert "\n" not in str(raised.value)
