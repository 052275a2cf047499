"""``connect5 status`` and ``connect5 check``: what they report, and exit codes a script can use."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon import store as store_module

MONDAY_EARLY = {"CONNECT5_NOW": "2026-03-02T06:00:00+00:00"}
DATA = Path(__file__).resolve().parents[1] / "data"


def config_text(home: Path, *, extra_source: str = "") -> str:
    for part in ("cur", "new", "tmp"):
        (home / "Maildir" / part).mkdir(parents=True, exist_ok=True)
    (home / "calendar.ics").write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nEND:VCALENDAR\r\n")
    return (
        '[me]\nname = "Ada"\nemails = ["ada@example.com"]\ntimezone = "Europe/London"\n\n'
        f'[[sources]]\nname = "mail"\ntype = "maildir"\npath = ["{home / "Maildir"}"]\n\n'
        f'[[sources]]\nname = "calendar"\ntype = "ics"\npath = ["{home / "calendar.ics"}"]\n' + extra_source
    )


@pytest.fixture
def synced(cli, home):
    """A home with two local sources, synced once, and the data folder private."""
    cli.write_config(config_text(home))
    cli("sync")
    home.chmod(0o700)
    return home


def status(cli, env=None):
    result = cli("status", "--json", ok=False, env={**MONDAY_EARLY, **(env or {})})
    return result.exit_code, json.loads(result.stdout)


def with_store(home: Path, sql: str, params=()):
    store = store_module.open_store(home / "connect5.db", create=False)
    try:
        with store.atomic():
            store.execute(sql, params)
    finally:
        store.close()


# -- status ---------------------------------------------------------------------


def test_status_before_any_sync_lists_the_sources_as_not_synced_and_exits_3(cli, home):
    cli.write_config(config_text(home))
    code, report = status(cli)
    assert code == 3
    assert report["store"]["exists"] is False
    assert [(s["name"], s["last_sync_at"]) for s in report["sources"]] == [("mail", None), ("calendar", None)]
    assert "not synced yet" in cli("status", ok=False, env=MONDAY_EARLY).stdout


def test_status_shows_last_sync_per_source_and_the_next_morning_job(cli, synced):
    code, report = status(cli)
    assert code == 3  # healthy, but no daemon runs
    assert all(source["last_sync_at"] and source["cursor"] for source in report["sources"])
    assert report["next_morning_job"] == {"at": "2026-03-02T07:00+00:00", "due": False,
                                          "block_at": "2026-03-02T09:00+00:00"}
    assert report["problems"] == []


def test_a_failing_source_is_a_problem_and_exits_4(cli, synced):
    with_store(synced, "UPDATE cursors SET last_error = 'No such file', last_error_at = '2026-03-02T05:00:00+00:00'"
                       " WHERE source = 'calendar'")
    code, report = status(cli)
    assert code == 4
    assert report["problems"] == ["calendar failing since 2026-03-02T05:00:00+00:00: No such file"]
    text = cli("status", ok=False, env=MONDAY_EARLY).stdout
    assert "calendar  ics: error since Mon 2026-03-02 05:00: No such file" in text


def test_a_stopped_source_shows_what_to_run(cli, synced):
    with_store(synced, "UPDATE cursors SET stopped = 'token revoked (run `connect5 auth google`)' WHERE source = 'mail'")
    code, report = status(cli)
    assert code == 4
    assert report["problems"] == ["mail stopped: token revoked (run `connect5 auth google`)"]


def test_todays_five_show_with_their_funnel_state_and_the_block(cli, synced):
    cli("import", "linkedin", str(DATA / "linkedin" / "export-2024.csv"))
    cli("today", env=MONDAY_EARLY)
    with_store(synced, "UPDATE picks SET state = 'replied' WHERE day = '2026-03-02' AND slot = 0")
    code, report = status(cli)
    today = report["today"]
    assert today["day"] == "2026-03-02"
    assert [pick["state"] for pick in today["picks"]] == ["replied", "picked", "picked", "picked", "picked"]
    assert today["block"]["state"] == "written" and today["block"]["today"] is True
    assert report["next_morning_job"]["at"] == "2026-03-03T07:00+00:00"  # today's job has run
    assert f"1. {today['picks'][0]['name']}" in cli("status", ok=False, env=MONDAY_EARLY).stdout


def test_a_deleted_block_series_says_how_to_start_again(cli, synced):
    with_store(synced, "INSERT INTO blocks (day, writer, state, written_at) VALUES"
                       " ('2026-03-02', 'ics', 'series-deleted', '2026-03-02T06:00:00+00:00')")
    code, report = status(cli)
    assert code == 4
    assert report["today"]["block"]["hint"].endswith("run `connect5 today --restart-block`")


def test_status_with_a_broken_config_is_one_line_and_exit_1(cli, home):
    cli.write_config('[picking]\nper_day = "five"\n')
    result = cli.process("status")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"connect5: bad config: {home / 'config.toml'}: picking.per_day: must be a whole number, not a string 'five'"
    ]


def test_status_answers_at_once_while_another_process_holds_a_write_transaction(cli, synced):
    writer = sqlite3.connect(synced / "connect5.db")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE cursors SET items = items + 1")
    try:
        started = time.monotonic()
        result = cli.process("status", "--json", env=MONDAY_EARLY)
        assert time.monotonic() - started < 3
        assert result.returncode == 3, result.stderr
        assert json.loads(result.stdout)["sources"][0]["name"] == "mail"
    finally:
        writer.rollback()
        writer.close()


# -- check ----------------------------------------------------------------------


def check(cli, *args, env=None):
    result = cli("check", *args, ok=False, env={"XDG_CONFIG_HOME": str(cli.home / "xdg"), **(env or {})})
    return result.exit_code, result.stdout


def test_check_says_all_is_well_and_exits_0(cli, synced):
    code, text = check(cli)
    assert code == 0, text
    assert text.strip().endswith("all is well")


def test_check_finds_readable_tokens_and_fix_makes_them_private(cli, synced):
    tokens = synced / "tokens"
    tokens.mkdir(mode=0o755)
    tokens.chmod(0o755)
    token = tokens / "google.json"
    token.write_text("{}")
    token.chmod(0o644)
    code, text = check(cli)
    assert code == 1
    assert f"token file {token} is 0644, should be 0600" in text
    assert f"fix: chmod 600 {token}" in text
    code, text = check(cli, "--fix")
    assert code == 0, text
    assert token.stat().st_mode & 0o777 == 0o600 and tokens.stat().st_mode & 0o777 == 0o700
    assert check(cli)[0] == 0


def test_check_lists_every_config_problem_with_file_and_key(cli, synced):
    cli.write_config('[block]\ntime = "25:00"\nminutes = 0\n')
    code, text = check(cli, "--json")
    findings = json.loads(text)
    assert code == 1
    config = [f["detail"] for f in findings if f["check"] == "config"]
    assert config == [f"{synced / 'config.toml'}: block.time: '25:00' is not HH:MM",
                      f"{synced / 'config.toml'}: block.minutes: must be between 1 and 240, not 0"]


def test_check_names_a_source_whose_path_is_missing(cli, synced):
    (synced / "calendar.ics").unlink()
    code, text = check(cli)
    assert code == 1
    assert f"calendar: {synced / 'calendar.ics'} does not exist" in text


def test_check_names_a_maildir_path_that_is_a_file(cli, synced):
    import shutil

    shutil.rmtree(synced / "Maildir")
    (synced / "Maildir").write_text("an mbox, say\n")
    code, text = check(cli)
    assert code == 1
    assert f"mail: {synced / 'Maildir'} is a file, not a Maildir folder" in text
    assert f"calendar: {synced / 'calendar.ics'} exists" in text  # a calendar may be a file


def test_check_names_a_block_path_that_is_a_fifo_or_a_folder(cli, synced):
    import os

    for make in (os.mkfifo, os.mkdir):
        target = synced / f"block-{make.__name__}"
        make(target)
        cli.write_config(config_text(synced) + f'\n[block]\npath = "{target}"\n')
        code, text = check(cli)
        assert code == 1 and f"{target} is not a file, so no block can be written there" in text, text
        assert "fix: set [block] path to a file of connect5's own" in text


def test_check_refuses_a_store_of_another_program(cli, synced):
    (synced / "connect5.db").unlink()
    other = sqlite3.connect(synced / "connect5.db")
    other.execute("CREATE TABLE photos (id INTEGER)")
    other.close()
    code, text = check(cli)
    assert code == 1
    assert "SQLite file of another program" in text


def test_check_finds_a_unit_file_that_runs_another_installation(cli, synced):
    unit = synced / "xdg" / "systemd" / "user" / "connect5.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/opt/old/venv/bin/connect5 run\n")
    code, text = check(cli)
    assert code == 1
    assert "runs `/opt/old/venv/bin/connect5 run`, which does not exist" in text
    assert "fix: connect5 service install" in text
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "--home", str(synced), "service", "install", "--no-start"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/nonexistent", "XDG_CONFIG_HOME": str(synced / "xdg"), "HOME": str(synced)},
    )
    assert result.returncode == 0, result.stderr
    assert check(cli)[0] == 0


def test_status_on_a_day_without_a_block_says_so(cli, synced):
    sunday = {"CONNECT5_NOW": "2026-03-08T10:00:00+00:00"}
    result = cli("status", ok=False, env=sunday)
    assert "today (2026-03-08): not one of your block days" in result.output
    assert json.loads(cli("status", "--json", ok=False, env=sunday).output)["today"]["block_day"] is False


def test_check_says_when_mail_sources_cannot_tell_what_you_sent(cli, synced):
    cli.write_config(config_text(synced).replace('emails = ["ada@example.com"]', "emails = []"))
    result = cli("check", ok=False)
    assert result.exit_code == 1 and "[me] emails is empty, so mail read by mail cannot tell what you sent" in result.output


def test_check_calls_an_emptied_store_file_empty_and_leaves_it_alone(cli, synced):
    (synced / "connect5.db").write_bytes(b"")
    for name in ("connect5.db-wal", "connect5.db-shm"):
        (synced / name).unlink(missing_ok=True)
    result = cli("check", ok=False)
    assert result.exit_code == 1 and "an empty file (0 bytes), not a store" in result.output, result.output
    assert (synced / "connect5.db").stat().st_size == 0


def test_an_unreadable_mail_file_is_skipped_by_sync_and_shown_by_status(cli, home):
    cli.write_config(config_text(home))
    bad = home / "Maildir" / "new" / "1750000000.M1P1.host"
    bad.write_bytes(b"\nno header block at all\n")
    (home / "Maildir" / "new" / "1750000001.M2P1.host").write_bytes(
        b"From: Bob <bob@example.org>\nTo: ada@example.com\nSubject: hi\n\nbody\n")
    result = cli("sync", "--json")
    [mail] = [outcome for outcome in json.loads(result.stdout) if outcome["source"] == "mail"]
    assert (mail["items"], mail["skipped"]) == (1, 1)
    code, report = status(cli)
    [mail] = [source for source in report["sources"] if source["name"] == "mail"]
    assert mail["skipped"]["count"] == 1
    assert mail["skipped"]["latest"][0]["message"] == f"{bad}: no header block (the file starts with a blank line)"
    assert code == 3  # a skipped file is shown, not a failing source
    text = cli("status", ok=False, env=MONDAY_EARLY).stdout
    assert "skipped as unreadable:" in text and str(bad) in text
    cli("sync")  # the file is not read again, nor counted twice
    assert status(cli)[1]["sources"][0]["skipped"]["count"] == 1


def test_in_a_new_home_status_says_to_run_init_and_contacts_list_creates_no_store(cli, home):
    assert "there is no config yet" in cli("status", ok=False, env=MONDAY_EARLY).stdout
    assert "`connect5 init` writes one" in cli("status", ok=False, env=MONDAY_EARLY).stdout
    listing = cli("contacts", "list", ok=False)
    assert listing.exit_code == 1 and "connect5 import linkedin" in listing.output
    assert not (home / "connect5.db").exists()


def test_a_calendar_file_that_cannot_be_parsed_is_shown_by_status(cli, home):
    cli.write_config(config_text(home))
    (home / "calendar.ics").write_text("<html><body>Sign in to see this calendar</body></html>\n")
    os.utime(home / "calendar.ics", (time.time() - 600, time.time() - 600))  # settled, not being written
    result = cli("sync", "--json")
    [calendar] = [outcome for outcome in json.loads(result.stdout) if outcome["source"] == "calendar"]
    assert calendar["skipped"] == 1
    [source] = [source for source in status(cli)[1]["sources"] if source["name"] == "calendar"]
    assert source["skipped"]["count"] == 1
    assert source["skipped"]["latest"][0]["message"].startswith(f"{home / 'calendar.ics'}: cannot be parsed")


def test_status_lists_each_file_skipped(cli, home):
    cli.write_config(config_text(home))
    for number, content in enumerate((b"", b"just some text\nno headers here\n")):
        path = home / "Maildir" / "new" / f"175000000{number}.M{number}P1.host"
        path.write_bytes(content)
        os.utime(path, (time.time() - 600, time.time() - 600))  # settled: not being written
    cli("sync")
    text = cli("status", ok=False, env=MONDAY_EARLY).stdout
    assert "1750000000.M0P1.host: empty file" in text and "1750000001.M1P1.host: no blank line" in text


def test_a_config_deleted_while_the_daemon_runs_is_a_problem(cli, synced):
    from daemon.lock import DaemonLock

    (synced / "config.toml").unlink()
    with DaemonLock(synced / "connect5.lock", kind="run"):
        code, report = status(cli)
        text = cli("status", ok=False, env=MONDAY_EARLY).stdout
    assert code == 4 and "config.toml is gone: the running daemon goes on with the one it read" in report["problems"][0]
    assert "there is no config yet" not in text and "is gone (see below)" in text
