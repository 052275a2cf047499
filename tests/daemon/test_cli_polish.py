"""The CLI as scripts and terminals see it: JSON types, a reader that leaves early, columns, XDG paths."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

FRIDAY = {"CONNECT5_NOW": "2026-11-27T06:00:00+00:00"}

NETWORK = """First Name,Last Name,URL,Email Address,Company,Position,Connected On
Zoë,Øster,https://www.linkedin.com/in/zoe-oster,,Nordlys,Engineer,01 Mar 2019
Grace,Hopper,https://www.linkedin.com/in/grace-hopper,,United States Navy Computer Programming Division,Admiral,05 Mar 2019
山田,太郎,https://www.linkedin.com/in/yamada-taro,,株式会社ソフトウェア開発研究所東京本社,Engineer,06 Mar 2019
Ana 🚀,Silva,https://www.linkedin.com/in/ana-silva,,Foguete 🚀 Lda,Founder,07 Mar 2019
José,Núñez,https://www.linkedin.com/in/jose-nunez,,Acme,Buyer,08 Mar 2019
Maximiliane Alexandra Friederike,von Hohenzollern-Sigmaringen,https://www.linkedin.com/in/max-hohenzollern,,Bahn,Planner,09 Mar 2019
Alan,Turing,https://www.linkedin.com/in/alan-turing,,Bletchley,Analyst,10 Mar 2019
"""


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: wide and fullwidth characters two, combining marks none."""
    return sum(0 if unicodedata.combining(character) else
               2 if unicodedata.east_asian_width(character) in ("W", "F") else 1 for character in text)


@pytest.fixture
def people(cli):
    # "José Núñez" spelled with combining accents, as some exports write it.
    cli.import_network(NETWORK.replace("José,Núñez", unicodedata.normalize("NFD", "José,Núñez")))
    return cli


# -- 1. JSON booleans ------------------------------------------------------------


def test_every_flag_in_contacts_json_is_a_json_boolean(people):
    people("exclude", "Grace", "Hopper", env=FRIDAY)
    picks = people.json("today", "--no-block", env=FRIDAY)["picks"]
    people("skip", picks[0]["contact_key"], env=FRIDAY)

    listed = {row["name"]: row for row in people.json("contacts", "list", env=FRIDAY)}
    assert listed["Grace Hopper"]["excluded"] is True
    assert listed["Alan Turing"]["excluded"] is False
    shown = people.json("contacts", "show", "grace", env=FRIDAY)
    assert shown["excluded"] is True
    skipped = people.json("contacts", "show", picks[0]["contact_key"], env=FRIDAY)
    assert [pick["skipped"] for pick in skipped["picks"]] == [True]
    assert people.json("exclude", "--undo", "grace", env=FRIDAY)["excluded"] is False


# -- 2. A reader that stops early --------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_reader_that_stops_early_ends_the_command_quietly_with_status_0(cli, as_json):
    # Far more than a pipe holds (64 KiB), so connect5 is still writing when the reader leaves.
    rows = "".join(f"Person{number},Surname{number},https://www.linkedin.com/in/p{number},,Company {number},Role,"
                   "01 Mar 2019\n" for number in range(3000))
    cli.import_network(NETWORK.splitlines(keepends=True)[0] + rows)
    command = [sys.executable, "-m", "daemon", "--home", str(cli.home), "contacts", "list"]
    with subprocess.Popen(command + (["--json"] if as_json else []), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        process.stdout.readline()  # what `| head -1` does: one line, then the pipe is closed
        process.stdout.close()
        error = process.stderr.read()
        status = process.wait(timeout=60)
    assert error == b""
    assert status == 0


# -- 3. Columns that fit the terminal -------------------------------------------------


def test_contacts_list_fits_the_terminal_width_and_lines_up_wide_characters(people):
    lines = people("contacts", "list", env={**FRIDAY, "COLUMNS": "60"}).stdout.splitlines()[:-1]
    assert len(lines) == 7
    assert all(display_width(line) <= 60 for line in lines), lines
    # "last:" starts in the same terminal column on every line, whatever the names are written in.
    starts = {display_width(line[:line.index(" last: ")]) for line in lines}
    assert len(starts) == 1, lines
    assert any("山田 太郎" in line for line in lines)
    assert any("株式会社" in line and "…" in line for line in lines)  # too wide: cut, and said so
    assert any("Maximiliane" in line and "…" in line for line in lines)


def test_contacts_list_cuts_state_and_tags_at_the_edge_of_a_narrow_terminal(people):
    people("tag", "Alan", "mentor", "investor", "friend-from-university", env=FRIDAY)
    lines = people("contacts", "list", env={**FRIDAY, "COLUMNS": "50"}).stdout.splitlines()
    assert all(display_width(line) <= 50 for line in lines), lines
    assert any(line.startswith("Alan Turing") and line.endswith("…") for line in lines), lines


def test_contacts_list_for_a_script_cuts_nothing(people):
    # CliRunner's stdout is no terminal; without COLUMNS nothing is cut.
    text = people("contacts", "list", env={**FRIDAY, "COLUMNS": None}).stdout
    assert "Maximiliane Alexandra Friederike von Hohenzollern-Sigmaringen" in text
    assert "株式会社ソフトウェア開発研究所東京本社" in text
    assert "…" not in text
    lines = text.splitlines()[:-1]
    assert len({display_width(line[:line.index(" last: ")]) for line in lines}) == 1, lines


# -- 4. XDG paths -----------------------------------------------------------------------


@pytest.fixture
def user(tmp_path, monkeypatch) -> Path:
    """A HOME of its own, and a working folder where a relative XDG path would land."""
    user = tmp_path / "user"
    user.mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.delenv("CONNECT5_HOME", raising=False)
    return user


def test_relative_xdg_paths_are_ignored_as_the_spec_says(user, monkeypatch):
    from daemon import paths

    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(variable, "relative/" + variable.lower())
    home = paths.resolve()
    assert home.config_file == user / ".config" / "connect5" / "config.toml"
    assert home.data_dir == user / ".local" / "share" / "connect5"


def test_absolute_xdg_paths_are_used(user, tmp_path, monkeypatch):
    from daemon import paths

    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    home = paths.resolve()
    assert home.config_file == tmp_path / "xdg_config_home" / "connect5" / "config.toml"
    assert home.data_dir == tmp_path / "xdg_data_home" / "connect5"


def test_init_with_a_relative_xdg_config_home_writes_the_default_config(user, tmp_path):
    from daemon.cli import main

    result = CliRunner().invoke(main, ["init"], env={"XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data"},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (user / ".config" / "connect5" / "config.toml").is_file()
    assert list((tmp_path / "work").iterdir()) == []


def test_contacts_list_and_show_give_local_days_and_times(cli):
    cli.import_network("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                       "Ada,Byron,https://www.linkedin.com/in/ada,,Engines,Analyst,05 Mar 2020\n")
    cli.write_config('[me]\ntimezone = "America/New_York"\nname = "Owner"\n')
    from datetime import datetime, timezone

    from daemon.store import open_store

    store = open_store(cli.home / "connect5.db")
    with store.atomic():  # 23:30 in New York on the 5th is 04:30 UTC on the 6th
        store.add_interaction(source="mail", external_id="late", kind="email", direction="in",
                              at=datetime(2026, 3, 6, 4, 30, tzinfo=timezone.utc),
                              contact_keys=["https://www.linkedin.com/in/ada"])
        store.refresh_last_touch(["https://www.linkedin.com/in/ada"])
    store.close()
    env = {"CONNECT5_NOW": "2026-03-10T12:00:00+00:00", "COLUMNS": "120"}
    assert "last: 2026-03-05" in cli("contacts", "list", env=env).stdout
    assert "interaction:   2026-03-05 23:30 email in" in cli("contacts", "show", "Ada", "Byron", env=env).stdout


def test_sync_in_a_new_home_says_to_run_init(cli):
    result = cli("sync", ok=False)
    assert result.exit_code == 1 and "`connect5 init` writes one" in result.output


def test_skip_on_a_day_to_come_says_its_five_are_chosen_on_the_day(cli):
    cli.import_network("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                       "Ada,Byron,https://www.linkedin.com/in/ada,,Engines,Analyst,05 Mar 2020\n")
    result = cli("skip", "Ada", "--date", "2026-11-30", ok=False, env={"CONNECT5_NOW": "2026-11-27T08:00:00+00:00"})
    assert result.exit_code == 1 and "2026-11-30 is still to come: its five are chosen on the day" in result.output
