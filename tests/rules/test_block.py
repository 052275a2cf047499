"""Tests for rules.block: the block's text, its HTML, "last in touch" and openers."""

from __future__ import annotations

import html.parser
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.records import BlockPerson
from rules.block import (
    PLAIN_DESCRIPTION,
    describe_last_touch,
    first_name,
    opener,
    render_block,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 17)
START = datetime(2026, 11, 17, 9, 0, tzinfo=BERLIN)

ADA = BlockPerson(
    name="Ada Lovelace",
    position="Analyst",
    company="Analytical Engines",
    profile_url="https://www.linkedin.com/in/ada",
    email="ada@example.com",
    last_touch="3 months ago (2026-08-14, e-mail)",
)


@pytest.mark.parametrize(
    ("last", "kind", "connected_on", "expected"),
    [
        (datetime(2026, 8, 14, 10, tzinfo=BERLIN), "email", None, "3 months ago (2026-08-14, e-mail)"),
        (None, "", date(2019, 5, 2), "never since connecting in 2019"),
        (None, "", None, "never"),
        (datetime(2026, 11, 16, tzinfo=BERLIN), "linkedin", None, "yesterday (2026-11-16, LinkedIn message)"),
        (datetime(2026, 11, 17, tzinfo=BERLIN), "meeting", None, "today (2026-11-17, meeting)"),
        (datetime(2026, 11, 10, tzinfo=BERLIN), "meeting", None, "7 days ago (2026-11-10, meeting)"),
        (datetime(2026, 10, 20, tzinfo=BERLIN), "email", None, "4 weeks ago (2026-10-20, e-mail)"),
        (datetime(2025, 10, 17, tzinfo=BERLIN), "email", None, "13 months ago (2025-10-17, e-mail)"),
        (datetime(2023, 1, 5, tzinfo=BERLIN), "carrier pigeon", None, "3 years ago (2023-01-05, carrier pigeon)"),
        (datetime(2026, 10, 1, tzinfo=BERLIN), "", None, "6 weeks ago (2026-10-01)"),
    ],
)
def test_last_touch_is_described_in_words_with_date_and_kind(last, kind, connected_on, expected):
    assert describe_last_touch(last, kind, connected_on, DAY) == expected


def test_first_name_skips_honorifics():
    assert first_name("Dr. Grace Hopper") == "Grace"
    assert first_name("Alan Turing") == "Alan"
    assert first_name("") == ""


def test_opener_fills_every_placeholder():
    template = "{first_name}|{name}|{company}|{position}|{last_touch}|{weekday}"
    text = opener(template, ADA, DAY)
    assert text == "Ada|Ada Lovelace|Analytical Engines|Analyst|3 months ago (2026-08-14, e-mail)|Tuesday"


def test_opener_leaves_unknown_placeholders_and_stray_braces_literally():
    assert opener("Hi {nickname} {first_name} {", ADA, DAY) == "Hi {nickname} Ada {"
    assert opener("{0} {} {{name}}", ADA, DAY) == "{0} {} {Ada Lovelace}"


def test_default_opener_mentions_the_company_only_when_known():
    assert "Analytical Engines" in opener("", ADA, DAY)
    nameless_company = BlockPerson(name="Alan Turing", last_touch="2 years ago (2024-01-01)")
    text = opener("", nameless_company, DAY)
    assert text.startswith("Hi Alan,") and " at " not in text


def test_default_opener_for_someone_never_talked_to_says_so():
    person = BlockPerson(name="Grace Hopper", company="Navy", last_touch="never since connecting in 2019")
    assert "never really talked" in opener("", person, DAY)


@given(st.text(max_size=40), st.text(max_size=20))
def test_opener_never_crashes_on_any_template(template, name):
    result = opener(template, BlockPerson(name=name), DAY)
    assert isinstance(result, str)


def test_block_lists_each_person_with_role_touch_links_and_opener():
    block = render_block(DAY, [ADA], start=START, timezone="Europe/Berlin")
    text = block.description
    assert "1. Ada Lovelace — Analyst at Analytical Engines" in text
    assert "Last in touch: 3 months ago (2026-08-14, e-mail)" in text
    assert "Profile: https://www.linkedin.com/in/ada" in text
    assert "E-mail: ada@example.com" in text
    assert "Opener: Hi Ada," in text
    assert 'href="https://www.linkedin.com/in/ada"' in block.html
    assert 'href="mailto:ada@example.com"' in block.html
    assert block.people == (ADA,) and block.timezone == "Europe/Berlin"
    assert block.series_description == PLAIN_DESCRIPTION


def test_block_keeps_an_opener_the_caller_already_chose():
    person = BlockPerson(name="Ada Lovelace", opener="Congrats on the engine!")
    block = render_block(DAY, [person], start=START, opener_template="Hi {name}")
    assert "Opener: Congrats on the engine!" in block.description


def test_block_uses_the_configured_opener_template():
    block = render_block(DAY, [ADA], start=START, opener_template="Hello {first_name} from {company}")
    assert "Opener: Hello Ada from Analytical Engines" in block.description


def test_block_takes_its_timezone_from_start_when_not_given():
    block = render_block(DAY, [], start=START, title="Five", minutes=10, weekdays=("mon",))
    assert block.timezone == "Europe/Berlin"
    assert (block.title, block.minutes, block.weekdays) == ("Five", 10, ("mon",))
    utc_block = render_block(DAY, [], start=datetime(2026, 11, 17, 8, tzinfo=timezone.utc))
    assert utc_block.timezone == "UTC"


def test_a_day_without_people_gets_the_plain_block():
    block = render_block(DAY, [], start=START, timezone="Europe/Berlin")
    assert block.description == "Five minutes for five people — open `connect5 today`"
    assert "connect5 today" in block.html and block.people == ()


def test_person_without_role_or_links_has_just_the_name():
    block = render_block(DAY, [BlockPerson(name="Alan Turing")], start=START)
    assert "1. Alan Turing\n" in block.description
    assert "Profile:" not in block.description and "E-mail:" not in block.description
    assert "href" not in block.html


class TagCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links.extend(value for name, value in attrs if name == "href")


def test_html_escapes_names_and_refuses_script_links():
    hostile = BlockPerson(
        name="<script>alert(1)</script>",
        company='"><img src=x onerror=alert(1)>',
        profile_url="javascript:alert(1)",
        email='x@y.z"><script>',
        opener="<b>hi</b>",
    )
    block = render_block(DAY, [hostile], start=START)
    collector = TagCollector()
    collector.feed(block.html)
    assert set(collector.tags) <= {"p", "ol", "li", "b", "br", "i", "a", "code"}
    assert "script" not in collector.tags and "img" not in collector.tags
    assert collector.links == []
    assert "&lt;script&gt;" in block.html


@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=30))
def test_html_never_gains_tags_from_contact_fields(name, company, url):
    person = BlockPerson(name=name, company=company, position=name, profile_url=url, email=url)
    collector = TagCollector()
    collector.feed(render_block(DAY, [person], start=START).html)
    assert set(collector.tags) <= {"p", "ol", "li", "b", "br", "i", "a", "code"}
