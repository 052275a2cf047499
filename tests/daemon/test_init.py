"""``connect5 init``: what it writes loads, and what it cannot write is one line with nothing half-done."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

from daemon.cli import main


def init(home: Path, *arguments: str):
    return CliRunner().invoke(main, ["--home", str(home), "init", *arguments])


def test_a_name_with_emoji_quotes_and_accents_is_written_as_typed(tmp_path):
    result = init(tmp_path / "home", "--name", 'Zoë "Z" Øster 🚀', "--email", "zoe@example.com")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "home" / "config.toml").read_text(encoding="utf-8")
    assert 'name = "Zoë \\"Z\\" Øster 🚀"' in text  # readable, not \\u escapes
    assert tomllib.loads(text)["me"]["name"] == 'Zoë "Z" Øster 🚀'


def test_a_bad_address_is_one_line_and_nothing_is_written(tmp_path):
    result = init(tmp_path / "home", "--email", "not an email")
    assert result.exit_code == 1
    assert "not written: me.emails: 'not an email' is not an e-mail address" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "home" / "config.toml").exists()


def test_a_folder_where_the_config_goes_is_one_line(tmp_path):
    (tmp_path / "home" / "config.toml").mkdir(parents=True)
    for extra in ((), ("--force",)):
        result = init(tmp_path / "home", *extra)
        assert result.exit_code == 1 and "config.toml is a folder" in result.output, result.output


def test_a_file_where_the_home_folder_goes_is_one_line(tmp_path):
    (tmp_path / "home").write_text("")
    result = init(tmp_path / "home")
    assert result.exit_code == 1 and "cannot write" in result.output and "Traceback" not in result.output
