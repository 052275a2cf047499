"""Tests for rules.names: name normalisation and the NameIndex."""

from __future__ import annotations

import csv
import random
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.names import NameIndex, name_tokens, name_variants, normalise_name

SAMPLES = Path("/work/shared/data/linkedin")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada Lovelace", "ada lovelace"),
        ("  ADA   lovelace ", "ada lovelace"),
        ("José Álvarez", "jose alvarez"),
        ("Jose Alvarez", "jose alvarez"),
        ("Søren Kierkegaard", "soren kierkegaard"),
        ("Straße Müller", "strasse muller"),
        ("Ada Lovelace (she/her)", "ada lovelace"),
        ("Alan Turing (he/him/his)", "alan turing"),
        ("Sam Lee (they/them)", "sam lee"),
        ("Ada Lovelace she/her", "ada lovelace"),
        ("Uma (Sol) Abara", "uma abara"),
        ("Lars Okafor (Jo)", "lars okafor"),
        ("Rosa\t Dumont", "rosa dumont"),
        ("Zeno Abara  Lee", "zeno abara lee"),
        ("Ines  Gallo, LL.M.", "ines gallo"),
        ("Lars Haddad, PhD", "lars haddad"),
        ("Rosa Yilmaz, Ph.D.", "rosa yilmaz"),
        ("Tove Xulo, PhD.", "tove xulo"),
        ("Ines Ibsen, CSSGB®, ITIL V4®, PSM I, DASM®,SAFe®", "ines ibsen"),
        ("Sami Kowalski, MBA, PMP, CC", "sami kowalski"),
        ("Kiri Ueda,BIDA™", "kiri ueda"),
        ("Uma Weberlo, MD", "uma weberlo"),
        ("Grace Hopper, CPA", "grace hopper"),
        ("Grace Hopper MBA", "grace hopper"),
        ("Grace Hopper PMP", "grace hopper"),
        ("Dr. Grace Hopper", "grace hopper"),
        ("Prof. Dr. Ada Lovelace, PhD", "ada lovelace"),
        ("John Q. Public", "john public"),
        ("John Q Public Jr.", "john public"),
        ("Martin Luther King, Jr.", "martin luther king"),
        ("J. Robert Oppenheimer", "j robert oppenheimer"),
        ("Ada 🚀 Lovelace ✨", "ada lovelace"),
        ("Ada Lovelace via LinkedIn", "ada lovelace"),
        ('"Ada Lovelace" via LinkedIn', "ada lovelace"),
        ("Ada Lovelace | CEO at Analytical Engines", "ada lovelace"),
        ("Lovelace, Ada", "ada lovelace"),
        ("LOVELACE, ADA", "ada lovelace"),
        ("Madonna, MBA", "madonna"),
        ("O'Brien, Conan", "conan obrien"),
        ("Jean-Luc Picard", "jean luc picard"),
        ("Jack Ma", "jack ma"),
        ("Anh Do", "anh do"),
        ("Dr", "dr"),
        ("", ""),
        ("🚀", ""),
        ("김민준", "김민준"),
    ],
)
def test_normalise_name_gives_one_comparable_form(raw, expected):
    assert normalise_name(raw) == expected


def test_name_tokens_are_the_words_of_the_normalised_name():
    assert name_tokens("Dr. José Q. Álvarez, PhD") == ("jose", "alvarez")


def test_a_nickname_in_brackets_is_a_second_variant():
    assert name_variants("Lars (Kit) Fontaine") == ("lars fontaine", "kit fontaine")
    assert name_variants("Ada Lovelace (she/her)") == ("ada lovelace",)


def _sample_names() -> list[str]:
    rows = []
    for path in sorted(SAMPLES.glob("*.csv")):
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        rows += [row[0] + " " + row[1] for row in csv.reader(lines) if len(row) > 2]
    return rows


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared LinkedIn samples not present")
def test_every_linkedin_sample_name_loses_its_credentials_and_nicknames():
    for name in _sample_names():
        normalised = normalise_name(name)
        assert normalised == normalised.strip() and "  " not in normalised
        assert not set(normalised) & set(",.()®™\t"), name
        assert not normalised.endswith((" phd", " mba", " md", " msc")), name


@given(st.text(max_size=40))
@settings(max_examples=400)
def test_normalise_name_is_idempotent(text):
    once = normalise_name(text)
    assert normalise_name(once) == once


@given(st.text(alphabet=string.ascii_letters + " .,()'-", max_size=30))
def test_normalise_name_is_idempotent_on_name_like_text(text):
    once = normalise_name(text)
    assert normalise_name(once) == once


INDEX = NameIndex(
    [
        ("ada", "Ada Lovelace"),
        ("adam", "Adam Smith"),
        ("grace", "Grace Hopper, PhD"),
        ("sam-1", "Sam Lee"),
        ("sam-2", "Sam Lee (he/him)"),
        ("jose", "José Álvarez"),
        ("lars", "Lars (Kit) Fontaine"),
    ]
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ada Lovelace", ["ada"]),
        ("ada lovelace via LinkedIn", ["ada"]),
        ("Dr. Grace Hopper", ["grace"]),
        ("Jose Alvarez", ["jose"]),
        ("Kit Fontaine", ["lars"]),
        ("Sam Lee", ["sam-1", "sam-2"]),
        ("Ada", []),
        ("", []),
    ],
)
def test_lookup_finds_keys_whose_normalised_name_is_equal(query, expected):
    assert INDEX.lookup(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada", ["ada"]),  # a whole word beats "Adam" as a mere prefix
        ("ad", ["ada", "adam"]),
        ("lovel", ["ada"]),
        ("LOVELACE", ["ada"]),
        ("ada lov", ["ada"]),
        ("álv", ["jose"]),
        ("sam", ["sam-1", "sam-2"]),
        ("Grace Hopper", ["grace"]),
        ("hop", ["grace"]),
        ("zzz", []),
        ("ace", []),  # not the start of a word
    ],
)
def test_prefix_lookup_matches_word_starts_best_tier_first(query, expected):
    assert sorted(INDEX.prefix_lookup(query)) == sorted(expected)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("30 Minute Meeting between Ada Lovelace and Grace Hopper", [("Ada Lovelace", ["ada"]), ("Grace Hopper", ["grace"])]),
        ("Call with José Álvarez", [("Jose Alvarez", ["jose"])]),
        ("Coffee: Sam Lee", [("Sam Lee", ["sam-1", "sam-2"])]),
        ("Ada sync", []),
        ("", []),
    ],
)
def test_find_in_text_finds_full_names_in_a_title(title, expected):
    assert INDEX.find_in_text(title) == expected


def test_name_of_returns_the_indexed_name():
    assert INDEX.name_of("grace") == "Grace Hopper, PhD"
    assert INDEX.name_of("nobody") == "nobody"
    assert len(INDEX) == 7


def test_an_index_of_30000_generated_names_finds_every_one():
    generator = random.Random(5)

    def word(length: int) -> str:
        return "".join(generator.choice(string.ascii_lowercase) for _ in range(length)).title()

    pairs = [(f"key-{number}", f"{word(5)} {word(8)}") for number in range(30_000)]
    index = NameIndex(pairs)
    for key, name in pairs[::997]:
        assert key in index.lookup(name)
