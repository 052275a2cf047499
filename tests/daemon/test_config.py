"""Config: the example parses and documents every key; every problem is reported at once."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from connectors import base
from daemon import config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"


def test_example_config_parses():
    loaded = config.load(EXAMPLE, missing_ok=False)
    assert loaded.picking.per_day == 5
    assert loaded.block.writer == "ics"


def _documented_keys(text: str) -> set[str]:
    return set(re.findall(r"^\s*#?\s*([a-z_]+)\s*=", text, flags=re.MULTILINE))


def _public_fields(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


@pytest.mark.parametrize("cls", [config.Me, config.Picking, config.BlockSettings])
def test_example_documents_every_key_of_the_core_sections(cls):
    documented = _documented_keys(EXAMPLE.read_text())
    missing = [name for name in _public_fields(cls) if name not in documented]
    assert not missing, f"config.example.toml does not document {missing}"


@pytest.mark.parametrize("type_name", sorted(base.SOURCES))
def test_example_documents_every_option_of_each_source_type(type_name):
    documented = _documented_keys(EXAMPLE.read_text())
    options = base.source_class(type_name).Options
    missing = [name for name in _public_fields(options) if name not in documented]
    assert not missing, f"{type_name}: config.example.toml does not document {missing}"
    assert f'type = "{type_name}"' in EXAMPLE.read_text()


@pytest.mark.parametrize("writer", sorted(base.WRITERS))
def test_example_documents_every_option_of_each_block_writer(writer):
    documented = _documented_keys(EXAMPLE.read_text())
    options = base.writer_class(writer).Options
    missing = [name for name in _public_fields(options) if name not in documented]
    assert not missing, f"writer {writer}: config.example.toml does not document {missing}"


@pytest.mark.parametrize("cls", [config.Me, config.Picking, config.BlockSettings])
def test_every_core_field_carries_a_doc(cls):
    for f in dataclasses.fields(cls):
        if not f.metadata.get("internal"):
            assert f.metadata.get("doc"), f"{cls.__name__}.{f.name} has no doc"


def test_all_problems_are_reported_at_once_with_file_and_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[me]\ntimezone = "Mars/Olympus"\nemails = ["not-an-address"]\ncolour = "blue"\n'
        '[picking]\nper_day = "five"\ndays = ["mon", "funday"]\n'
        '[block]\ntime = "9am"\nwriter = "fax"\n'
        '[[sources]]\nname = "mail"\ntype = "pigeon"\n'
    )
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    problems = caught.value.problems
    text = str(caught.value)
    assert str(path) in text
    for expected in ("me.timezone", "me.emails", "me.colour: unknown key", "picking.per_day",
                     "block.time", "block.writer", "sources.mail.type"):
        assert any(expected in problem for problem in problems), (expected, problems)


def test_unknown_source_option_is_refused_with_the_source_name(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[[sources]]\nname = "mail"\ntype = "maildir"\npaths = ["~/Mail"]\n')
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert any(p.startswith("sources.mail.paths: unknown key") for p in caught.value.problems)


def test_wrong_type_in_a_list_is_reported(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[me]\nemails = ["a@example.com", 3]\n')
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert "me.emails" in caught.value.problems[0]


def test_broken_toml_names_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[me\nname = 1")
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert "not valid TOML" in caught.value.problems[0]


def test_missing_file_gives_defaults():
    loaded = config.load(Path("/nonexistent/connect5/config.toml"))
    assert loaded.picking.days == ["mon", "tue", "wed", "thu", "fri"]


def test_bad_config_is_one_line_on_stderr_and_exit_1(cli):
    cli.write_config('[picking]\nper_day = 0\n')
    result = cli.process("today")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "picking.per_day" in result.stderr


def test_a_source_without_a_type_is_called_missing(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[[sources]]\nname = "mail"\npath = "/tmp"\n')
    with pytest.raises(config.ConfigError, match=r"sources\.mail\.type: missing; say one of maildir"):
        config.load(path)


def test_an_unknown_block_key_names_every_key_the_block_knows(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[block]\ntitel = "x"\n')
    with pytest.raises(config.ConfigError) as raised:
        config.load(path)
    known = re.search(r"block\.titel: unknown key \(known: ([^)]*)\)", str(raised.value)).group(1).split(", ")
    assert {"title", "time", "minutes", "writer", "opener", "horizon_days", "path"} <= set(known)


def test_a_block_key_of_another_writer_says_which_writer_it_belongs_to(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[block]\ncalendar = "primary"\n')
    with pytest.raises(config.ConfigError, match="block.calendar: a key of writer = 'google'.*writer is 'ics'"):
        config.load(path)


def test_a_source_checks_its_own_values_at_load_time(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[[sources]]\nname = "gmail"\ntype = "gmail"\nbatch_size = 101\npoll_seconds = 0\n')
    with pytest.raises(config.ConfigError, match=r"sources\.gmail\.batch_size: Gmail takes 1 to 100") as raised:
        config.load(path)
    assert "sources.gmail.poll_seconds: must be more than 0, not 0" in raised.value.problems


@pytest.mark.parametrize(("days", "ok"), [(0, True), (36500, True), (-30, False), (1000000, False)])
def test_the_block_horizon_is_checked_at_load_time_not_when_a_date_overflows(tmp_path, days, ok):
    path = tmp_path / "config.toml"
    path.write_text(f'[block]\nhorizon_days = {days}\n')
    if ok:
        assert config.load(path).block.options.horizon_days == days
        return
    with pytest.raises(config.ConfigError) as raised:
        config.load(path)
    assert raised.value.problems == [f"block.horizon_days: must be between 0 and 36500 (a hundred years), not {days}"]


def test_control_characters_in_the_block_title_or_opener_are_refused_but_line_ends_are_text(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[block]\ntitle = "Connect\\u00075"\nopener = "Hi {first_name},\\n\\u001b[31mlong time!"\n')
    with pytest.raises(config.ConfigError) as raised:
        config.load(path)
    assert raised.value.problems == [
        "block.title: control characters (U+0007) have no place in a calendar",
        "block.opener: control characters (U+001B) have no place in a calendar",
    ]
    path.write_text('[block]\ntitle = "Connect 5"\nopener = "Hi {first_name},\\n\\tlong time!"\n')
    assert config.load(path).block.opener == "Hi {first_name},\n\tlong time!"
