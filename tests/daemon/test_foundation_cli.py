"""The foundation through the CLI: import, today, the .ics block, and the people commands."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from conftest import DATA

FRIDAY = {"CONNECT5_NOW": "2026-11-27T06:00:00+00:00"}


def seed(cli, path: Path | None = None) -> None:
    cli.write_config('[me]\ntimezone = "Europe/London"\nname = "Owner"\n')
    cli("import", "linkedin", str(path or DATA / "linkedin" / "export-2024.csv"))


def test_import_reports_added_and_skipped_rows_with_lines(cli):
    cli.write_config("")
    result = cli("import", "linkedin", str(DATA / "linkedin" / "export-2024.csv"))
    assert "1351 added" in result.stdout
    assert "19 hidden members" in result.stdout
    assert "export-2024.csv:143: hidden member" in result.stdout  # skips name the real file
    again = cli.json("import", "linkedin", str(DATA / "linkedin" / "export-2024.csv"))
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 1351)


@pytest.mark.parametrize("name", ["export-2018-legacy.csv", "export-2021-resaved.csv"])
def test_older_export_shapes_import(cli, name):
    cli.write_config("")
    summary = cli.json("import", "linkedin", str(DATA / "linkedin" / name))
    assert summary["added"] > 30
    assert summary["skipped"] == [] or all(":" in line for line in summary["skipped"])


def test_export_zip_with_messages_sets_last_in_touch(cli, tmp_path):
    archive = tmp_path / "Basic_LinkedInDataExport_11-20-2026.zip"
    header = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    rows = ("Ada,Lovelace,https://www.linkedin.com/in/ada,,Engines,Analyst,01 Jan 2019\n"
            "Grace,Hopper,https://www.linkedin.com/in/grace,,Navy,Admiral,02 Feb 2020\n")
    messages = (
        '"CONVERSATION ID","CONVERSATION TITLE","FROM","SENDER PROFILE URL","TO","RECIPIENT PROFILE URLS",'
        '"DATE","SUBJECT","CONTENT","FOLDER","ATTACHMENTS"\n'
        '"c1","","Owner","https://www.linkedin.com/in/owner","Ada Lovelace","https://www.linkedin.com/in/ada",'
        '"2026-10-01 09:00:00 UTC","","secret words","INBOX",""\n'
        '"c2","","Owner","https://www.linkedin.com/in/owner","Grace Hopper","https://www.linkedin.com/in/grace",'
        '"2026-09-01 09:00:00 UTC","","more words","INBOX",""\n'
    )
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("Connections.csv", "Notes:\n\"x\"\n\n" + header + rows)
        bundle.writestr("messages.csv", messages)
    cli.write_config('[me]\nlinkedin_url = "https://www.linkedin.com/in/owner"\n')
    summary = cli.json("import", "linkedin", str(archive))
    assert summary["added"] == 2 and summary["messages_stored"] == 2
    ada = cli.json("contacts", "show", "ada")
    assert ada["last_touch_at"].startswith("2026-10-01") and ada["last_touch_kind"] == "linkedin"
    assert "secret words" not in (cli.home / "connect5.db").read_bytes().decode("latin-1")


def test_not_a_linkedin_export_is_one_line_and_exit_1(cli, tmp_path):
    bogus = tmp_path / "songs.csv"
    bogus.write_text("title,artist\nYesterday,Beatles\n")
    result = cli.process("import", "linkedin", str(bogus))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Connections.csv" in result.stderr


def test_today_picks_five_and_freezes_them(cli):
    seed(cli)
    first = cli.json("today", env=FRIDAY)
    again = cli.json("today", env=FRIDAY)
    assert len(first["picks"]) == 5
    assert [p["contact_key"] for p in first["picks"]] == [p["contact_key"] for p in again["picks"]]
    assert all(p["reason"] for p in first["picks"])
    companies = [p["company"].casefold() for p in first["picks"] if p["company"]]
    assert max(companies.count(c) for c in companies) <= 2


def test_today_for_a_past_day_without_picks_is_a_user_error(cli):
    seed(cli)
    result = cli("today", "--date", "2026-11-01", ok=False, env=FRIDAY)
    assert result.exit_code == 1 and "has gone by" in result.output


def test_block_file_carries_the_days_five_and_a_plain_block_on_other_days(cli):
    import icalendar
    import recurring_ical_events

    seed(cli)
    picks = cli.json("today", env=FRIDAY)["picks"]
    calendar = icalendar.Calendar.from_ical((cli.home / "connect5.ics").read_bytes())
    instances = recurring_ical_events.of(calendar).between(date(2026, 11, 27), date(2026, 12, 2))
    by_day = {event["DTSTART"].dt.date(): event for event in instances}
    friday = by_day[date(2026, 11, 27)]
    for pick in picks:
        assert pick["name"] in str(friday["DESCRIPTION"])
    monday = by_day[date(2026, 11, 30)]
    assert picks[0]["name"] not in str(monday.get("DESCRIPTION", ""))
    assert date(2026, 11, 28) not in by_day  # Saturday: no block
    assert str(friday["CLASS"]) == "PRIVATE"
    assert friday["DTSTART"].dt.hour == 9


def test_skip_swaps_one_pick_for_the_next_and_never_brings_it_back(cli):
    seed(cli)
    picks = cli.json("today", env=FRIDAY)["picks"]
    skipped = picks[1]["name"]
    result = cli.json("skip", skipped, env=FRIDAY)
    assert result["skipped"] == skipped and result["replacement"]
    after = [p["name"] for p in cli.json("today", env=FRIDAY)["picks"]]
    assert skipped not in after and result["replacement"] in after and len(after) == 5


def test_snooze_exclude_tag_and_done_change_the_contact(cli):
    seed(cli)
    name = cli.json("contacts", "list", "--limit", "1")[0]["name"]
    assert cli.json("snooze", name, "30d", env=FRIDAY)["snoozed_until"] == "2026-12-27"
    assert cli.json("exclude", name)["excluded"] is True
    assert cli.json("tag", name, "mentor")["tags"] == ["mentor"]
    cli("done", name, env=FRIDAY)
    shown = cli.json("contacts", "show", name)
    assert shown["state"] == "excluded" and shown["tags"] == ["mentor"]
    assert shown["last_touch_kind"] == "done"
    # The text says it as the block does, in words and the user's zone.
    assert "last in touch: today (2026-11-27, " in cli("contacts", "show", name, env=FRIDAY).output


def test_ambiguous_name_lists_the_candidates(cli):
    seed(cli)
    result = cli("contacts", "show", "ada", ok=False)
    assert result.exit_code == 1
    assert "matches" in result.output and "say more of the name" in result.output


def test_names_are_found_accent_and_case_insensitively(cli, tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                    "José,Álvarez,https://www.linkedin.com/in/jose,,Acme,CTO,01 Jan 2020\n")
    cli.write_config("")
    cli("import", "linkedin", str(path))
    assert cli.json("contacts", "show", "jose alv")["name"] == "José Álvarez"


def test_name_matching_nobody_is_exit_1(cli):
    seed(cli)
    result = cli.process("snooze", "Nobody Whatsoever")
    assert result.returncode == 1 and "no contact matches" in result.stderr and "Traceback" not in result.stderr


def test_vcard_adds_addresses_to_the_unique_contact_it_names(cli, tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                    "Ada,Lovelace,https://www.linkedin.com/in/ada,,Engines,Analyst,01 Jan 2019\n")
    cli.write_config("")
    cli("import", "linkedin", str(path))
    summary = cli.json("import", "vcard", str(DATA / "vcard" / "apple-3.0.vcf"))
    assert summary["matched"] >= 1
    emails = {row["email"] for row in cli.json("contacts", "show", "ada lovelace")["emails"]}
    assert "ada@example.com" in emails


def test_help_and_version_do_not_import_heavy_libraries():
    code = ("import sys; from daemon.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('sqlite_utils', 'icalendar', 'googleapiclient', 'msal', 'watchdog') if m in sys.modules]\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_init_writes_a_private_config_that_parses(cli):
    cli("init", "--name", "Ada", "--email", "ada@example.com")
    text = (cli.home / "config.toml").read_text()
    assert 'emails = ["ada@example.com"]' in text
    assert (cli.home / "config.toml").stat().st_mode & 0o077 == 0
    assert cli("init", ok=False).exit_code == 1


@pytest.mark.parametrize("content", [b"just some text, not a database", b"sqlite-of-another-program"])
def test_an_unusable_store_is_one_line_and_exit_1(cli, content):
    import sqlite3

    cli.write_config("")
    path = cli.home / "connect5.db"
    if content == b"sqlite-of-another-program":
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE songs (title TEXT)")
        connection.commit()
        connection.close()
    else:
        path.write_bytes(content)
    result = cli.process("today")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(path) in result.stderr
