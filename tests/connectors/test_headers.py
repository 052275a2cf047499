"""Tests for connectors.headers: header blocks, addresses, RFC 2047 words, dates."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import getaddresses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import headers
from connectors.records import Address

UTC = timezone.utc


@pytest.mark.parametrize(
    ("data", "end"),
    [
        (b"From: a@b\nTo: c@d\n\nbody", 18),
        (b"From: a@b\r\nTo: c@d\r\n\r\nbody", 20),
        (b"\nbody only", 0),
        (b"\r\nbody only", 0),
        (b"From: a@b\nTo: c@d\n", -1),
        (b"", -1),
    ],
)
def test_header_end_finds_the_blank_line_with_lf_or_crlf(data, end):
    assert headers.header_end(data) == end


def test_header_block_is_unfolded_and_stops_at_the_blank_line():
    data = b"From: a@b\nSubject: one\n two\n\tthree\nTo: x@y\nTo: z@w\n\nSubject: in the body\n"
    fields = headers.parse_header_block(data)
    assert fields == {"from": ["a@b"], "subject": ["one two\tthree"], "to": ["x@y", "z@w"]}


def test_header_names_are_matched_without_regard_to_case():
    fields = headers.parse_header_block(b"MESSAGE-ID: <a@b>\nmessage-id: <c@d>\n\n", ["message-id"])
    assert fields == {"message-id": ["<a@b>", "<c@d>"]}


def test_raw_utf8_and_latin1_header_bytes_both_decode():
    data = "Subject: Grüße\n".encode() + "From: Jérôme <j@x>\n".encode("latin-1") + b"\n"
    fields = headers.parse_header_block(data)
    assert fields["subject"] == ["Grüße"]
    assert fields["from"] == ["Jérôme <j@x>"]


def test_prefixes_select_every_header_that_starts_with_them():
    data = b"X-LinkedIn-Class: INVITE\nX-LinkedIn-Id: 7\nX-Other: no\nFrom: a@b\n\n"
    fields = headers.parse_header_block(data, ["from"], ["x-linkedin-"])
    assert fields == {"from": ["a@b"], "x-linkedin-class": ["INVITE"], "x-linkedin-id": ["7"]}


def test_lines_that_are_not_fields_are_ignored():
    data = b"From mbox-line Tue Jul  1 2025\nFrom: a@b\nnot a header\n  orphan continuation\nTo: c@d\n\n"
    assert headers.parse_header_block(data) == {"from": ["a@b"], "to": ["c@d"]}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Ada Lovelace <Ada@Example.com>"], [("ada@example.com", "Ada Lovelace")]),
        (['"Doe, John" <j@x.org>, bob@y.org'], [("j@x.org", "Doe, John"), ("bob@y.org", "")]),
        (["undisclosed-recipients:;"], []),
        (["Team: a@x.org, b@y.org;"], [("a@x.org", ""), ("b@y.org", "")]),
        (["Team: a@x.org;, c@z.org"], [("a@x.org", ""), ("c@z.org", "")]),
        (["a@x.org (Ann Other)"], [("a@x.org", "Ann Other")]),
        (["=?utf-8?q?Ren=C3=A9e?= <r@x.org>"], [("r@x.org", "Renée")]),
        (['"=?iso-8859-1?q?J=E9r=F4me?=" <j@x.fr>'], [("j@x.fr", "Jérôme")]),
        (["a@x.org", "b@y.org, c@z.org"], [("a@x.org", ""), ("b@y.org", ""), ("c@z.org", "")]),
        ([""], []),
    ],
)
def test_addresses_read_every_common_and_odd_shape(values, expected):
    assert headers.addresses(values) == tuple(Address(email, name) for email, name in expected)


@pytest.mark.parametrize(
    "value",
    [
        "Ada <ada@example.com>",
        '"Ada L." <ada@example.com>, bob@example.org',
        "ada@example.com, Bob Smith <bob@example.org>",
        "  spaced  <s@x.org> ,  t@y.org ",
    ],
)
def test_fast_address_path_agrees_with_the_standard_library(value):
    expected = tuple(Address(email.lower(), name) for name, email in getaddresses([value]) if email)
    assert headers.addresses([value]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 1 Jul 2025 10:52:37 +0200", datetime(2025, 7, 1, 8, 52, 37, tzinfo=UTC)),
        ("1 Jul 2025 10:52 -0500", datetime(2025, 7, 1, 15, 52, tzinfo=UTC)),
        ("Tue, 01 Jul 2025 10:52:37 +0000 (UTC)", datetime(2025, 7, 1, 10, 52, 37, tzinfo=UTC)),
        ("Tue, 01 Jul 2025 10:52:37 GMT", datetime(2025, 7, 1, 10, 52, 37, tzinfo=UTC)),
        ("Tue, 01 Jul 2025 10:52:37 -0000", datetime(2025, 7, 1, 10, 52, 37, tzinfo=UTC)),
        ("Tue, 01 Jul 2025 10:52:37", datetime(2025, 7, 1, 10, 52, 37, tzinfo=UTC)),
        ("Tue, 01 Jul 25 10:52:37 EST", datetime(2025, 7, 1, 15, 52, 37, tzinfo=UTC)),
        ("Tue, 31 Feb 2025 10:52:37 +0000", None),
        ("the day after tomorrow", None),
        ("", None),
    ],
)
def test_dates_become_aware_utc_or_none(text, expected):
    assert headers.parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("=?UTF-8?B?w5xiZXIgZGFzIFRyZWZmZW4g8J+Yig==?=", "Über das Treffen 😊"),
        ("=?iso-8859-1?q?Caf=E9?= =?iso-8859-1?q?_cr=E8me?=", "Café crème"),
        ("=?Shift_JIS?B?k/qWe4zq?=", "日本語"),
        ("=?x-no-such-charset?Q?Caf=E9?=", "Café"),
        ("Re: =?utf-8?q?caf=C3=A9?= again", "Re: café again"),
        ("=?utf-8?q?bad=FF?=", "bad\N{REPLACEMENT CHARACTER}"),
        ("=?utf-8?b?!!!not base64?=", "=?utf-8?b?!!!not base64?="),
    ],
)
def test_encoded_words_decode_in_any_charset(text, expected):
    assert headers.decode(text) == expected


def test_message_ids_lose_their_angle_brackets():
    assert headers.message_ids("<a@b> <c@d>\n <e@f>") == ["a@b", "c@d", "e@f"]
    assert headers.first_message_id("  bare@id ") == "bare@id"
    assert headers.first_message_id("") == ""


header_lines = st.lists(
    st.one_of(
        st.binary(max_size=80),
        st.builds(
            lambda name, value: name + b":" + value,
            st.sampled_from([b"From", b"to", b"CC", b"Subject", b"X-LinkedIn-Class", b"Date", b"bad name"]),
            st.binary(max_size=60),
        ),
        st.sampled_from([b"", b" folded", b"\tfolded", b"\r", b"=?utf-8?q?x?="]),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(header_lines, st.sampled_from([b"\n", b"\r\n"]))
def test_random_header_blocks_never_raise_and_both_paths_agree(lines, newline):
    data = newline.join(lines)
    everything = headers.parse_header_block(data)
    wanted = ["from", "to", "cc", "subject", "date"]
    some = headers.parse_header_block(data, wanted, ["x-linkedin-"])
    expected = {name: values for name, values in everything.items() if name in wanted or name.startswith("x-linkedin-")}
    assert some == expected
    for values in some.values():
        headers.addresses(values)
        for value in values:
            headers.decode(value)
            headers.parse_date(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_random_text_never_raises_from_the_value_readers(text):
    headers.addresses([text])
    headers.decode(text)
    headers.parse_date(text)
    headers.message_ids(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="<> @a.\n\t", max_size=40))
def test_first_message_id_is_the_first_of_message_ids(text):
    assert headers.first_message_id(text) == (headers.message_ids(text) or [""])[0]
