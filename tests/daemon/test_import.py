"""`connect5 import linkedin|vcard` end to end: real files, a real store, output as users see it."""

from __future__ import annotations

from pathlib import Path

from conftest import DATA

HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
FRIDAY = {"CONNECT5_NOW": "2026-11-27T06:00:00+00:00"}


def connections(cli, tmp_path: Path, *rows: str, config: str = "") -> None:
    path = tmp_path / "Connections.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    cli.write_config(config)
    cli("import", "linkedin", str(path))


def cards(tmp_path: Path, *bodies: str) -> Path:
    path = tmp_path / "cards.vcf"
    path.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\n{body}END:VCARD\r\n" for body in bodies), encoding="utf-8")
    return path


def emails_of(cli, name: str) -> set[str]:
    return {row["email"] for row in cli.json("contacts", "show", name)["emails"]}


def test_your_own_card_is_skipped_and_said_so(cli, tmp_path):
    connections(cli, tmp_path, "Grace,Hopper,https://www.linkedin.com/in/grace,,Navy,Admiral,02 Feb 2020",
                config='[me]\nname = "Ada Lovelace"\nemails = ["ADA@example.com", "a.da+cards@gmail.com"]\n')
    result = cli("import", "vcard", str(DATA / "vcard" / "apple-3.0.vcf"))
    assert "1 your own card" in result.stdout
    assert "skipped card 'Ada Lovelace': your own card" in result.stdout
    gmail = cards(tmp_path, "FN:Ada Elsewhere\r\nEMAIL:Ada@googlemail.com\r\n")
    assert cli.json("import", "vcard", str(gmail))["own_cards"] == ["Ada Elsewhere"]
    listed = {contact["name"] for contact in cli.json("contacts", "list")}
    assert not {"Ada Lovelace", "Ada Elsewhere"} & listed


def test_a_card_matches_the_contact_of_its_linkedin_profile_before_any_name(cli, tmp_path):
    connections(
        cli, tmp_path,
        "Ada,King,https://www.linkedin.com/in/ada-lovelace,,Engines,Analyst,01 Jan 2019",
        "Grace,Hopper,https://www.linkedin.com/in/grace,,Navy,Admiral,02 Feb 2020",
        "Grace,Hopper,https://www.linkedin.com/in/grace-2,,Yale,Student,03 Mar 2021",
    )
    path = cards(
        tmp_path,
        "FN:Ada Lovelace\r\nEMAIL:ada@example.com\r\nURL:https\\://uk.linkedin.com/in/Ada-Lovelace/\r\n",
        "FN:Grace Hopper\r\nEMAIL:grace@navy.example\r\nURL:https://www.linkedin.com/in/GRACE?trk=card\r\n",
        "FN:Nobody Known\r\nURL:https://www.linkedin.com/in/nobody-known\r\n",
    )
    summary = cli.json("import", "vcard", str(path))
    assert (summary["matched"], summary["added"], summary["ambiguous"]) == (2, 0, [])
    assert summary["nothing_to_add"] == ["Nobody Known"]
    assert "1 with nothing to add" in summary["line"]
    assert emails_of(cli, "ada king") == {"ada@example.com"}
    grace = cli.json("contacts", "show", "https://www.linkedin.com/in/grace")
    assert {row["email"] for row in grace["emails"]} == {"grace@navy.example"}


def test_a_middle_name_does_not_hide_a_unique_given_and_family_name(cli, tmp_path):
    connections(cli, tmp_path, "Grace,Hopper,https://www.linkedin.com/in/grace,,Navy,Admiral,02 Feb 2020")
    summary = cli.json("import", "vcard", str(DATA / "vcard" / "apple-3.0.vcf"))  # N:Hopper;Grace;Brewster Murray;…
    assert summary["matched"] == 1 and summary["added"] == 1  # Grace matched, Ada is new
    assert emails_of(cli, "grace hopper") == {"grace@navy.example"}


def test_a_middle_name_matching_two_people_is_reported_not_guessed(cli, tmp_path):
    connections(
        cli, tmp_path,
        "Grace,Hopper,https://www.linkedin.com/in/grace,,Navy,Admiral,02 Feb 2020",
        "Grace,Hopper,https://www.linkedin.com/in/grace-2,,Yale,Student,03 Mar 2021",
    )
    summary = cli.json("import", "vcard", str(DATA / "vcard" / "apple-3.0.vcf"))
    assert summary["ambiguous"] == ["Grace Brewster Murray Hopper"]
    assert not emails_of(cli, "https://www.linkedin.com/in/grace")


def test_the_ambiguity_note_lists_each_candidate_distinctly(cli, tmp_path):
    connections(
        cli, tmp_path,
        "Ann,Lee,https://www.linkedin.com/in/ann-lee,,Acme,CTO,01 Jan 2019",
        "Ann,Lee,https://www.linkedin.com/in/ann-lee-2,,Beta,CEO,01 Jan 2020",
    )
    result = cli("import", "vcard", str(cards(tmp_path, "FN:Ann Lee\r\nEMAIL:ann@example.com\r\n")))
    assert (
        "ambiguous: card 'Ann Lee' could be Ann Lee (Acme, https://www.linkedin.com/in/ann-lee), "
        "Ann Lee (Beta, https://www.linkedin.com/in/ann-lee-2); not merged"
    ) in result.stdout


def test_each_skip_is_shown_once_with_its_real_file_and_quiet_shows_only_the_summary(cli):
    cli.write_config("")
    sample = str(DATA / "linkedin" / "export-2024.csv")
    loud = cli.process("import", "linkedin", sample)
    assert loud.returncode == 0, loud.stderr
    assert loud.stderr == ""
    assert (loud.stdout + loud.stderr).count("export-2024.csv:143: hidden member") == 1
    assert "Connections.csv:" not in loud.stdout
    quiet = cli.process("import", "linkedin", sample, "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert len(quiet.stdout.splitlines()) == 1
    vcards = cli.process("import", "vcard", str(DATA / "vcard" / "apple-3.0.vcf"), "--quiet")
    assert vcards.stderr == "" and len(vcards.stdout.splitlines()) == 1


def test_messages_dated_in_the_future_are_skipped_not_made_last_in_touch(cli, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Connections.csv").write_text(
        HEADER + "Ada,Lovelace,https://www.linkedin.com/in/ada,,Engines,Analyst,01 Jan 2019\n", encoding="utf-8"
    )
    (folder / "messages.csv").write_text(
        "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,SUBJECT,CONTENT,FOLDER\n"
        "c1,,Owner,https://www.linkedin.com/in/owner,Ada,https://www.linkedin.com/in/ada,2026-10-01 09:00:00 UTC,,hi,INBOX\n"
        "c1,,Owner,https://www.linkedin.com/in/owner,Ada,https://www.linkedin.com/in/ada,2030-06-01 09:00:00 UTC,,hi,INBOX\n",
        encoding="utf-8",
    )
    cli.write_config('[me]\nlinkedin_url = "https://www.linkedin.com/in/owner"\n')
    summary = cli.json("import", "linkedin", str(folder), env=FRIDAY)
    assert summary["messages_stored"] == 1
    assert summary["skipped"] == ["messages.csv:3: dated in the future (2030-06-01 09:00:00 UTC)"]
    assert cli.json("contacts", "show", "ada", env=FRIDAY)["last_touch_at"].startswith("2026-10-01")


def test_only_known_adds_addresses_to_the_network_and_no_one_to_it(cli, tmp_path):
    connections(cli, tmp_path, "Grace,Hopper,https://www.linkedin.com/in/grace,,Navy,Admiral,02 Feb 2020")
    path = cards(tmp_path, "FN:Grace Hopper\r\nEMAIL:grace@navy.example\r\n",
                 "FN:Plumber Bob\r\nEMAIL:bob@pipes.example\r\n")
    result = cli.json("import", "vcard", "--only-known", str(path))
    assert (result["matched"], result["added"], result["nothing_to_add"]) == (1, 0, ["Plumber Bob"])
    assert emails_of(cli, "grace") == {"grace@navy.example"}
    assert {contact["name"] for contact in cli.json("contacts", "list")} == {"Grace Hopper"}
    assert cli.json("import", "vcard", str(path))["added"] == 1  # without it, Bob joins the network


def test_deciding_a_card_name_review_teaches_the_cards_addresses(cli, tmp_path):
    connections(cli, tmp_path, "Ann,Lee,https://www.linkedin.com/in/ann-lee-1,,Acme,Buyer,02 Feb 2020",
                "Ann,Lee,https://www.linkedin.com/in/ann-lee-2,,Beta,Seller,03 Feb 2020")
    path = cards(tmp_path, "FN:Ann Lee\r\nEMAIL:ann@lee.example\r\nEMAIL:ann.work@beta.example\r\n")
    assert cli.json("import", "vcard", str(path))["ambiguous"] == ["Ann Lee"]
    (review,) = cli.json("review")
    assigned = cli("review", "assign", str(review["id"]), "https://www.linkedin.com/in/ann-lee-2")
    assert "ann.work@beta.example, ann@lee.example" in assigned.stdout
    assert emails_of(cli, "https://www.linkedin.com/in/ann-lee-2") == {"ann@lee.example", "ann.work@beta.example"}
    again = cli.json("import", "vcard", str(path))  # now matched by its addresses: no question asked again
    assert again["ambiguous"] == [] and again["matched"] == 1
    assert cli.json("review") == []


def test_an_export_with_nobody_in_it_is_refused_and_the_network_kept(cli, tmp_path):
    header = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    cli.import_network(header + "Ada,Byron,https://www.linkedin.com/in/ada,,Engines,Analyst,05 Mar 2020\n")
    empty = tmp_path / "cut.csv"
    empty.write_text(header)
    result = cli("import", "linkedin", str(empty), ok=False)
    assert result.exit_code == 1
    assert "holds no contacts" in result.output and "nobody marked gone (1 in your network)" in result.output
    assert [row["name"] for row in cli.json("contacts", "list")] == ["Ada Byron"]
    assert cli.json("contacts", "list")[0]["state"] == "active"


def test_an_export_with_nobody_in_it_is_refused_in_a_new_home_too(cli, tmp_path):
    cli.write_config('[me]\ntimezone = "UTC"\n')
    empty = tmp_path / "cut.csv"
    empty.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n")
    result = cli("import", "linkedin", str(empty), ok=False)
    assert result.exit_code == 1 and "holds no contacts" in result.output and "marked gone" not in result.output


def test_a_reimport_says_who_came_back(cli, tmp_path):
    header = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    ada = "Ada,Byron,https://www.linkedin.com/in/ada,,Engines,Analyst,05 Mar 2020\n"
    ben = "Ben,Ng,https://www.linkedin.com/in/ben,,Acme,CTO,06 Mar 2020\n"
    cli.import_network(header + ada + ben)
    (tmp_path / "one.csv").write_text(header + ada)
    cli("import", "linkedin", str(tmp_path / "one.csv"))
    (tmp_path / "both.csv").write_text(header + ada + ben)
    assert "1 back in the export" in cli("import", "linkedin", str(tmp_path / "both.csv")).stdout


def _mail_home(cli, tmp_path):
    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    (maildir / "cur" / "1750000000.M1P1.host:2,S").write_text(
        "From: Ada Byron <ada@engines.example>\nTo: me@example.com\nSubject: hello\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <a1@engines.example>\n\nbody\n")
    cli.write_config(f'[me]\ntimezone = "UTC"\nemails = ["me@example.com"]\n\n[[sources]]\nname = "mail"\n'
                     f'type = "maildir"\npath = ["{maildir}"]\n')


def test_mail_read_before_the_network_was_imported_is_matched_after_it(cli, tmp_path):
    _mail_home(cli, tmp_path)
    env = {"CONNECT5_NOW": "2026-11-27T08:00:00+00:00"}
    [first] = cli.json("sync", env=env)
    assert (first["items"], first["interactions"]) == (1, 0)  # nobody known yet
    export = tmp_path / "Connections.csv"
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                      "Ada,Byron,https://www.linkedin.com/in/ada,ada@engines.example,Engines,Analyst,05 Mar 2020\n")
    imported = cli("import", "linkedin", str(export), env=env).stdout
    assert "mail: read again from the start at the next sync" in imported
    [again] = cli.json("sync", env=env)
    assert again["interactions"] == 1
    assert cli.json("contacts", "show", "Ada", env=env)["last_touch_at"].startswith("2026-11-23")


def test_sync_again_reads_a_source_from_the_start(cli, tmp_path):
    _mail_home(cli, tmp_path)
    env = {"CONNECT5_NOW": "2026-11-27T08:00:00+00:00"}
    cli.json("sync", env=env)
    assert cli.json("sync", env=env)[0]["items"] == 0  # nothing new
    assert cli.json("sync", "--again", "mail", env=env)[0]["items"] == 1


def test_a_source_read_again_counts_only_new_interactions(cli, tmp_path):
    _mail_home(cli, tmp_path)
    cli.import_network("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                       "Ada,Byron,https://www.linkedin.com/in/ada,ada@engines.example,Engines,Analyst,05 Mar 2020\n")
    _mail_home(cli, tmp_path / "again")  # the config again (import_network wrote its own)
    cli.write_config((cli.home / "config.toml").read_text().replace(str(tmp_path / "again"), str(tmp_path)))
    env = {"CONNECT5_NOW": "2026-11-27T08:00:00+00:00"}
    assert cli.json("sync", env=env)[0]["interactions"] == 1
    again = cli.json("sync", "--again", env=env)[0]
    assert (again["items"], again["interactions"]) == (1, 0)


def _person(n: int, connected: str) -> str:
    return f"P{n},Person,https://www.linkedin.com/in/p{n},,Company {n},Engineer,{connected}"


def test_an_older_export_is_refused_before_it_marks_anyone_gone_unless_told_what_is_meant(cli, tmp_path):
    # Four who connected in 2020, three in 2024; then an export from 2021 turns up.
    old = [_person(n, "05 Mar 2020") for n in range(4)]
    connections(cli, tmp_path, *old, *(_person(n, "05 Mar 2024") for n in range(4, 7)))
    older = tmp_path / "2021.csv"
    older.write_text(HEADER + "".join(row + "\n" for row in old), encoding="utf-8")
    result = cli("import", "linkedin", str(older), ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        f"connect5: {older}: nothing imported: it looks older than the network you imported (3 people connected"
        " after its newest connection, 2020-03-05, and it lacks 3 of your 7); import a newer export, or"
        " --mark-gone takes it as your whole network all the same")
    assert all(row["state"] == "active" for row in cli.json("contacts", "list"))
    assert cli.json("import", "linkedin", "--add-only", str(older))["vanished"] == 0
    assert cli.json("import", "linkedin", "--mark-gone", str(older))["vanished"] == 3
    assert [row["state"] for row in cli.json("contacts", "list")].count("active") == 4


def test_an_export_lacking_more_than_half_the_network_is_refused_but_half_is_taken(cli, tmp_path):
    rows = [_person(n, "05 Mar 2020") for n in range(6)]
    connections(cli, tmp_path, *rows)
    few = tmp_path / "few.csv"
    few.write_text(HEADER + rows[0] + "\n" + rows[1] + "\n", encoding="utf-8")
    refused = cli("import", "linkedin", str(few), ok=False)
    assert refused.exit_code == 1 and "it lacks 4 of the 6 people in your network. A file of a few" in refused.stderr
    half = tmp_path / "half.csv"
    half.write_text(HEADER + "".join(row + "\n" for row in rows[:3]), encoding="utf-8")
    assert "3 no longer in the export (kept, marked)" in cli("import", "linkedin", str(half)).stdout
    both = cli("import", "linkedin", "--add-only", "--mark-gone", str(half), ok=False)
    assert both.exit_code == 2 and "--add-only and --mark-gone ask for opposite things" in both.output
