"""``connect5 today`` with no daemon running, answered by the entry point without click.

``daemon.entry`` runs ``daemon.today_report.answer_here`` for the command lines
``daemon.control.read_command`` reads, and click for everything else. Each test
runs real commands in subprocesses, both ways on the same store: the entry point
(``daemon.entry.main``, what the ``connect5`` script runs) and the click group
alone (``daemon.cli.main``), and holds that a user sees the same thing.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

MONDAY_EARLY = "2026-11-23T06:00:00+00:00"  # before the 07:00 morning job: `today` chooses
CONFIG = '[me]\ntimezone = "Europe/London"\nname = "Owner"\n'
CONNECTIONS = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + "".join(
    f"Person{n},Example,https://www.linkedin.com/in/p{n},,Company {n % 4},Engineer,01 Jan 2019\n" for n in range(12)
)
# As the `connect5` script runs them (click names the program after argv[0]).
BY_ENTRY = "import sys, daemon.entry\nsys.argv[0] = 'connect5'\ndaemon.entry.main()\n"
BY_CLICK = ("import sys, daemon.cli, daemon.entry\nsys.argv[0] = 'connect5'\ndaemon.entry.tolerant_output()\n"
            "daemon.cli.main()\n")
PROBE = ("import sys, daemon.entry\nsys.argv[0] = 'connect5'\n"
         "try:\n    daemon.entry.main()\nexcept SystemExit as stop:\n    code = stop.code\n"
         "print('loaded', sorted(m for m in ('click', 'daemon.cli', 'rules.picker') if m in sys.modules),"
         " file=sys.stderr)\n"
         "sys.exit(code)\n")


def command(how: list[str], home: Path, *args: str, now: str = MONDAY_EARLY, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *how, "--home", str(home), *args], capture_output=True,
                          env={**os.environ, "CONNECT5_NOW": now, **env}, timeout=60, text=True,
                          encoding="utf-8", errors="backslashreplace")


def by_entry(home: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return command(["-c", BY_ENTRY], home, *args, **kwargs)


def by_click(home: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return command(["-c", BY_CLICK], home, *args, **kwargs)


@pytest.fixture
def network(cli) -> Path:
    cli.import_network(CONNECTIONS)  # with a config that is CONFIG
    return cli.home


def both_from(home: Path, *args: str, now: str = MONDAY_EARLY, **env: str):
    """The entry point's and click's result for ``args``, each run on the store as it is now."""
    saved = home.parent / "saved"
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(home, saved)
    entry = by_entry(home, *args, now=now, **env)
    shutil.rmtree(home)
    shutil.copytree(saved, home)
    click_run = by_click(home, *args, now=now, **env)
    return entry, click_run


def same(entry: subprocess.CompletedProcess, click_run: subprocess.CompletedProcess) -> None:
    assert (entry.returncode, entry.stdout, entry.stderr) == (click_run.returncode, click_run.stdout,
                                                              click_run.stderr)


@pytest.mark.parametrize("args", [
    ("today",),
    ("today", "--json"),
    ("today", "--no-block"),
    ("today", "--date", "2026-11-25"),  # a preview: nothing stored
    ("today", "--date=2026-11-28", "--json"),  # a Saturday: no block day
    ("today", "--date", "2026-11-20"),  # gone by with no picks: exit 1
    ("today", "--date", "someday"),  # bad usage: exit 2, click's words
    ("today", "--date", "2026-02-30"),
    ("today", "--date", "20261124"),  # ISO, but not the YYYY-MM-DD the help offers
    ("today", "--date", "2026-W48-2"),
])
def test_the_entry_point_prints_what_the_click_command_prints(network, args):
    entry, click_run = both_from(network, *args)
    same(entry, click_run)
    assert entry.stdout or entry.returncode


def test_a_repeated_today_and_a_later_day_match_too(network):
    assert by_click(network, "today").returncode == 0
    same(*both_from(network, "today"))
    same(*both_from(network, "today", "--json", now="2026-11-24T09:00:00+00:00"))
    entry = by_entry(network, "today")
    assert entry.stdout.startswith("2026-11-23 · your five") and entry.stdout.rstrip().endswith(
        f"block already up to date: {network / 'connect5.ics'}")


def test_it_answers_without_click_and_leaves_the_rest_to_click(network):
    def loaded(*args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        result = command(["-c", PROBE], network, *args)
        last = result.stderr.strip().splitlines()[-1]
        return result, ast.literal_eval(last.removeprefix("loaded "))

    result, modules = loaded("today", "--json")  # the first of the day: chosen now
    assert result.returncode == 0 and json.loads(result.stdout)["day"] == "2026-11-23"
    assert modules == ["rules.picker"]
    result, modules = loaded("today")  # frozen: shown without the picker
    assert result.returncode == 0 and result.stdout.startswith("2026-11-23 · your five")
    assert modules == []
    for args in (("today", "--restart-block"), ("today", "--date", "someday"), ("status",)):
        _, modules = loaded(*args)
        assert modules == ["click", "daemon.cli"], args


def test_config_and_store_problems_are_reported_by_click_as_always(network, tmp_path):
    missing = tmp_path / "nowhere.toml"
    same(*both_from(network, "--config", str(missing), "today"))
    assert "does not exist" in by_entry(network, "--config", str(missing), "today").stderr
    (network / "config.toml").write_text(CONFIG + "\n[picking]\nper_dya = 3\n")
    entry, click_run = both_from(network, "today")
    same(entry, click_run)
    assert entry.returncode == 1 and "per_dya" in entry.stderr
    (network / "config.toml").write_text(CONFIG)
    (network / "connect5.db").unlink()
    for suffix in ("-wal", "-shm"):
        (network / f"connect5.db{suffix}").unlink(missing_ok=True)
    (network / "connect5.db").write_bytes(b"not a database at all" * 100)
    entry, click_run = both_from(network, "today")
    same(entry, click_run)
    assert entry.returncode == 1 and "connect5:" in entry.stderr and "Traceback" not in entry.stderr


def test_verbose_logs_what_the_click_command_logs(network):
    entry, click_run = both_from(network, "-v", "today")
    assert entry.returncode == click_run.returncode == 0 and entry.stdout == click_run.stdout

    def untimed(text: str) -> list[str]:
        return [re.sub(r"^\d\d:\d\d:\d\d ", "", line) for line in text.splitlines()]

    assert untimed(entry.stderr) == untimed(click_run.stderr)
    assert any(" INFO " in line for line in entry.stderr.splitlines())  # shown only with -v
    assert "answered by the running daemon" not in entry.stderr


def test_a_day_that_is_no_day_is_refused_before_anything_is_made(tmp_path):
    home = tmp_path / "new" / "home"
    entry = by_entry(home, "today", "--date", "bogus")
    assert entry.returncode == 2 and "'bogus' is not a day written YYYY-MM-DD" in entry.stderr
    assert not (tmp_path / "new").exists()


def test_a_busy_store_is_told_in_clicks_words_after_one_wait(network, cli, monkeypatch):
    from daemon import store as store_module
    from daemon import today_report

    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    monkeypatch.setenv("CONNECT5_NOW", MONDAY_EARLY)
    holder = sqlite3.connect(str(network / "connect5.db"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, holding the store past every wait
    try:
        status, out, err = today_report.answer_here({"home": str(network)}, ["", "", ""])
        by_click_itself = cli("today", ok=False)
    finally:
        holder.rollback()
        holder.close()
    assert (status, out) == (1, "")
    assert err.strip() == by_click_itself.output.strip()
    assert "the store stayed busy" in err


@pytest.mark.parametrize("encoding, shown", [("latin-1", " ? Engineer"), ("ascii", " — Engineer")])
def test_an_output_that_cannot_show_every_name_prints_the_same_both_ways_without_a_traceback(network, encoding,
                                                                                               shown):
    for args in (("today",), ("today", "--json")):
        entry, click_run = both_from(network, *args, PYTHONIOENCODING=encoding)
        same(entry, click_run)
        assert entry.returncode == 0 and "Traceback" not in entry.stderr
        if args == ("today",):  # "—" is no Latin-1; an ASCII stream gets UTF-8, as click.echo writes it
            assert shown in entry.stdout


def test_what_the_machine_refuses_is_one_line_both_ways(network, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for args in (("today",), ("today", "--json")):
        entry, click_run = by_entry(a_file, *args), by_click(a_file, *args)
        same(entry, click_run)
        assert entry.returncode == 1 and entry.stderr == f"connect5: {a_file}: File exists\n"
    with open("/dev/full", "w") as full:
        written = [subprocess.run([sys.executable, "-c", how, "--home", str(network), "today"], stdout=full,
                                  stderr=subprocess.PIPE, text=True, env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY},
                                  timeout=60) for how in (BY_ENTRY, BY_CLICK)]
    for result in written:
        assert (result.returncode, result.stderr) == (1, "connect5: cannot write the output: No space left on device\n")


def test_a_deleted_working_folder_does_not_matter_to_an_absolute_home(network, tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    results = []
    for how in (BY_ENTRY, BY_CLICK):
        results.append(subprocess.run(
            ["bash", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "$0" -c "$1" --home "$2" today', sys.executable,
             how, str(network)], capture_output=True, text=True, env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY},
            timeout=60))
        gone.mkdir()
    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("2026-11-23 · your five")


def test_relative_paths_in_the_config_start_from_its_folder_whatever_the_working_folder(network, tmp_path):
    from daemon import config as config_module

    (network / "config.toml").write_text(CONFIG + '\n[block]\npath = "calendars/block.ics"\n'
                                          '\n[[sources]]\nname = "mail"\ntype = "maildir"\npath = ["Mail", "~/M"]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for how in (BY_ENTRY, BY_CLICK):
        result = subprocess.run([sys.executable, "-c", how, "--home", str(network), "today", "--json"],
                                capture_output=True, text=True, cwd=elsewhere,
                                env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY}, timeout=60)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["calendar"] == str(network / "calendars" / "block.ics")
    assert (network / "calendars" / "block.ics").exists() and not (elsewhere / "calendars").exists()
    config = config_module.load(network / "config.toml")
    assert config.sources[0].options.path == [str(network / "Mail"), os.path.expanduser("~/M")]


def test_days_said_some_other_iso_way_are_refused_and_lowering_per_day_leaves_the_days_five_counted(network):
    for written in ("20261124", "2026-W48-2"):
        entry = by_entry(network, "today", "--date", written)
        assert entry.returncode == 2 and f"{written!r} is not a day written YYYY-MM-DD" in entry.stderr
    assert by_entry(network, "today").stdout.startswith("2026-11-23 · your five\n")
    (network / "config.toml").write_text(CONFIG + "\n[picking]\nper_day = 3\n")
    entry, click_run = both_from(network, "today")
    same(entry, click_run)
    assert entry.stdout.startswith("2026-11-23 · your five\n") and "5. Person" in entry.stdout


def test_paths_are_tidied_and_a_deleted_working_folder_is_one_line(network, tmp_path):
    from daemon import config as config_module
    from daemon import paths

    work = tmp_path / "work"
    work.mkdir()
    relative = os.path.relpath(network, work)  # "../home"
    result = subprocess.run(["bash", "-c", f'cd "{work}" && rmdir "{work}" && exec "$0" -c "$1" --home "$2" today',
                             sys.executable, BY_ENTRY, relative], capture_output=True, text=True,
                            env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY}, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == (f"connect5: {relative}: the folder this command runs in was deleted;"
                             " give it as an absolute path\n")
    work.mkdir()
    os.chdir(work)  # pytest's own working folder comes back at the end of the test
    try:
        home = paths.resolve(relative + "/./", None)
    finally:
        os.chdir(tmp_path)
    assert home.db_path == network / "connect5.db" and ".." not in str(home.db_path)
    source = '\n[[sources]]\nname = "mail"\ntype = "maildir"\npath = '
    (network / "config.toml").write_text(CONFIG + source + '["a", ""]\n')
    with pytest.raises(config_module.ConfigError, match="sources.mail.path: an empty path names no file or folder"):
        config_module.load(network / "config.toml")
    (network / "config.toml").write_text(CONFIG + source + '["../M/./x"]\n')
    assert config_module.load(network / "config.toml").sources[0].options.path == [str(network.parent / "M" / "x")]


def test_a_closed_stdout_is_no_traceback_for_the_listing_commands(network):
    for args in (("today",), ("contacts", "list"), ("stats",)):
        result = subprocess.run(["bash", "-c", 'exec "$0" -c "$1" --home "$2" "${@:3}" >&-', sys.executable, BY_ENTRY,
                                 str(network), *args], capture_output=True, text=True,
                                env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY}, timeout=60)
        assert "Traceback" not in result.stderr, (args, result.stderr)


@pytest.mark.parametrize("args", [
    ("stats", "--since", "20261124"),
    ("stats", "--since", "2026-02-30"),
    ("demo", "--start", "2026-W48-2"),
    ("snooze", "https://www.linkedin.com/in/p1", "20261224"),
    ("today", "--date", "2026-02-30"),
])
def test_every_date_option_takes_only_a_day_written_yyyy_mm_dd(network, args):
    result = by_click(network, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{args[-1]!r}" in result.stderr and "YYYY-MM-DD" in result.stderr


@pytest.mark.parametrize("args", [("contacts", "show"), ("done",), ("snooze",), ("exclude",), ("tag",), ("skip",)])
def test_a_name_typed_in_another_encoding_is_no_traceback(network, args):
    extra = {"snooze": [b"30d"], "tag": [b"mentor"]}.get(args[0], [])
    assert by_click(network, "today").returncode == 0  # a day with picks, for skip
    result = subprocess.run([sys.executable, "-c", BY_CLICK, "--home", str(network), *args, b"P\xe9rson0", *extra],
                            capture_output=True, env={**os.environ, "CONNECT5_NOW": MONDAY_EARLY}, timeout=60)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "Traceback" not in stderr, stderr
    assert "P\ufffdrson0" in stderr and ("no contact matches" in stderr or "is not exactly one of" in stderr)


def test_a_home_that_is_a_file_is_left_as_it_is(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("mine\n")
    a_file.chmod(0o644)
    for args in (("run", "--once"), ("check", "--fix"), ("today",)):
        result = by_click(a_file, *args)
        assert result.returncode == 1 and "Traceback" not in result.stderr, (args, result.stderr)
    assert (a_file.read_text(), a_file.stat().st_mode & 0o777) == ("mine\n", 0o644)
