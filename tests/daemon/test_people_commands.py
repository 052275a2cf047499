"""The people commands as a user types them: names unquoted, dates that make no sense, frozen picks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FRIDAY = {"CONNECT5_NOW": "2026-11-27T06:00:00+00:00"}
SUNDAY = {"CONNECT5_NOW": "2026-11-29T06:00:00+00:00"}

NETWORK = """First Name,Last Name,URL,Email Address,Company,Position,Connected On
Zoë,Øster,https://www.linkedin.com/in/zoe-oster,,Nordlys,Engineer,01 Mar 2019
Jürgen,Groß,https://www.linkedin.com/in/juergen-gross,,Bahn,Planner,02 Mar 2019
Ann,Lee,https://www.linkedin.com/in/ann-lee-acme,,Acme,Buyer,03 Mar 2019
Ann,Lee,https://www.linkedin.com/in/ann-lee-globex,,Globex,Seller,04 Mar 2019
Grace,Hopper,https://www.linkedin.com/in/grace-hopper,,Navy,Admiral,05 Mar 2019
Alan,Turing,https://www.linkedin.com/in/alan-turing,,Bletchley,Analyst,06 Mar 2019
Ada,King,https://www.linkedin.com/in/ada-king,,Analytical,Countess,07 Mar 2019
"""


@pytest.fixture
def people(cli):
    cli.import_network(NETWORK)
    return cli


def show(cli, name: str, env=FRIDAY) -> dict:
    return json.loads(cli("contacts", "show", name, "--json", env=env).stdout)


def test_every_people_command_takes_a_name_without_quotes(people):
    people("snooze", "Jürgen", "Groß", "8w", env=FRIDAY)
    assert show(people, "jurgen gross")["snoozed_until"] == "2027-01-22"
    people("snooze", "Zoë", "Øster", env=FRIDAY)  # no duration: the default 30 days
    assert show(people, "zoe")["snoozed_until"] == "2026-12-27"
    people("exclude", "Grace", "Hopper", env=FRIDAY)
    assert show(people, "grace")["excluded"] == 1
    people("done", "Alan", "Turing", env=FRIDAY)
    assert show(people, "alan")["last_touch_kind"] == "done"


def test_tag_takes_the_longest_run_of_words_that_names_one_person(people):
    result = people("tag", "Zoë", "Øster", "Mentor", "  investor ", env=FRIDAY)
    assert "tags investor, mentor" in result.stdout
    assert show(people, "zoe")["tags"] == ["investor", "mentor"]
    people("tag", "grace", "mentor", env=FRIDAY)  # a unique prefix, then the tag
    assert show(people, "grace")["tags"] == ["mentor"]
    refused = people("tag", "grace", "   ", ok=False, env=FRIDAY)
    assert refused.exit_code == 2 and "a tag cannot be empty" in refused.output


def test_tags_meet_their_cadence_whatever_their_case(people):
    from daemon import config as config_module
    from daemon import morning
    from daemon.store import open_store

    people.write_config('[me]\ntimezone = "Europe/London"\n[picking]\ncadence = { Mentor = 60 }\n')
    people("tag", "Ada King", "MENTOR", env=FRIDAY)
    store = open_store(people.home / "connect5.db")
    try:
        # A tag stored in capitals by an older version still meets its cadence.
        store.set_contact("https://www.linkedin.com/in/grace-hopper", tags='["Mentor"]')
        settings = morning.settings_of(config_module.load(people.home / "config.toml"))
        tags = {candidate.key: candidate.tags for candidate in morning.load_candidates(store)}
    finally:
        store.close()
    assert settings.cadence == {"mentor": 60}
    assert tags["https://www.linkedin.com/in/ada-king"] == ("mentor",)
    assert tags["https://www.linkedin.com/in/grace-hopper"] == ("mentor",)


def test_snooze_refuses_a_past_day_and_an_absurd_length_in_one_line(people):
    past = people("snooze", "grace", "2020-01-01", ok=False, env=FRIDAY)
    assert past.exit_code == 2 and "not after today" in past.output
    huge = people("snooze", "grace", "9999999d", ok=False, env=FRIDAY)
    assert huge.exit_code == 2 and "more than 100 years" in huge.output
    assert "Traceback" not in past.output + huge.output


def test_a_snooze_that_has_ended_no_longer_shows(people):
    people("snooze", "grace", "2026-12-01", env=FRIDAY)
    assert show(people, "grace")["state"] == "snoozed until 2026-12-01"
    later = {"CONNECT5_NOW": "2026-12-02T06:00:00+00:00"}
    assert show(people, "grace", env=later)["state"] == "active"
    listed = json.loads(people("contacts", "list", "--json", env=later).stdout)
    assert {row["name"]: row["state"] for row in listed}["Grace Hopper"] == "active"


def test_done_refuses_a_day_still_to_come_in_one_line(people):
    result = people("done", "grace", "--date", "2027-05-01", ok=False, env=FRIDAY)
    assert result.exit_code == 2 and "still to come" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert show(people, "grace")["interactions"] == []


def test_done_for_today_counts_at_once_and_a_day_gone_by_at_its_midday(people):
    # 06:00 in London: the midday `done --date` used to give today was still to come, so
    # last in touch stayed "never" until then.
    people("done", "grace", "--date", "2026-11-27", env=FRIDAY)
    grace = show(people, "grace")
    assert grace["last_touch_kind"] == "done" and grace["last_touch_at"].startswith("2026-11-27T06:00")
    people("done", "alan", "--date", "2026-11-20", env=FRIDAY)
    assert show(people, "alan")["last_touch_at"].startswith("2026-11-20T12:00")


def test_skip_refuses_a_pick_already_reached_out_to(people):
    picks = json.loads(people("today", "--json", "--no-block", env=FRIDAY).stdout)["picks"]
    first = picks[0]["contact_key"]
    people("done", first, env=FRIDAY)
    result = people("skip", picks[0]["name"].split()[0], ok=False, env=FRIDAY)
    if "is not exactly one of" in result.output:  # two picks share the first name: use the whole name
        result = people("skip", picks[0]["name"], ok=False, env=FRIDAY)
    assert result.exit_code == 1 and "already at \"reached out\"" in result.output
    after = json.loads(people("today", "--json", "--no-block", env=FRIDAY).stdout)["picks"]
    assert [pick["contact_key"] for pick in after] == [pick["contact_key"] for pick in picks]


def test_two_people_of_one_name_are_told_apart_by_profile_url(people):
    result = people("contacts", "show", "ann lee", ok=False, env=FRIDAY)
    assert result.exit_code == 1
    assert "Acme, https://www.linkedin.com/in/ann-lee-acme" in result.output
    assert "Globex, https://www.linkedin.com/in/ann-lee-globex" in result.output
    assert "profile URL" in result.output
    # The URL as a browser shows it, with a trailing slash, names one of them.
    assert show(people, "https://www.linkedin.com/in/ann-lee-globex/")["company"] == "Globex"


def test_excluding_one_of_todays_five_says_they_stay_until_skipped(people):
    picks = json.loads(people("today", "--json", "--no-block", env=FRIDAY).stdout)["picks"]
    key = picks[0]["contact_key"]
    result = people("exclude", key, env=FRIDAY)
    assert "still one of today's five" in result.stdout and "connect5 skip" in result.stdout
    others = people("exclude", "--undo", key, env=FRIDAY)
    assert "still one of" not in others.stdout
    people("done", key, env=FRIDAY)  # reached out: `skip` would refuse, so it is not suggested
    assert "connect5 skip" not in people("exclude", key, env=FRIDAY).stdout


def test_today_on_a_day_without_a_block_picks_nobody_and_says_when_the_next_is(people):
    result = people("today", env=SUNDAY)
    assert "Sun 2026-11-29 is not one of your block days" in result.stdout
    assert "the next is Mon 2026-11-30" in result.stdout
    assert not (people.home / "connect5.ics").exists()
    data = json.loads(people("today", "--json", "--date", "2026-11-28", env=FRIDAY).stdout)
    assert data["block_day"] is False and data["next_block_day"] == "2026-11-30" and data["picks"] == []
    weekday = json.loads(people("today", "--json", "--no-block", env=FRIDAY).stdout)
    assert weekday["block_day"] is True and len(weekday["picks"]) == 5


def test_a_config_file_named_on_the_command_line_must_exist(people, tmp_path: Path):
    result = people("--config", str(tmp_path / "typo.toml"), "today", ok=False, env=FRIDAY)
    assert result.exit_code == 1 and "typo.toml does not exist" in result.output


def test_contacts_list_refuses_a_negative_limit(people):
    result = people("contacts", "list", "--limit", "-1", ok=False, env=FRIDAY)
    assert result.exit_code == 2


def test_import_lists_its_subcommands(cli):
    result = cli("import", "--help")
    assert "linkedin" in result.stdout and "vcard" in result.stdout


def test_tag_with_only_a_whole_name_asks_for_the_tag_instead_of_shortening_the_name(people):
    result = people("tag", "Zoë", "Øster", ok=False, env=FRIDAY)
    assert result.exit_code == 2 and "whole name of Zoë Øster; say a tag" in result.output
    part = people("tag", "Jürgen", "Gro", ok=False, env=FRIDAY)  # "Gro" could still be his name's start
    assert part.exit_code == 2 and "could all be the name of Jürgen Groß; quote the name" in part.output
    assert show(people, "zoe")["tags"] == [] and show(people, "jurgen")["tags"] == []


def test_snooze_calls_a_bad_duration_a_bad_duration(people):
    for words in (["grace", "30"], ["grace", "hopper", "1y"]):
        result = people("snooze", *words, ok=False, env=FRIDAY)
        assert result.exit_code == 2 and "say 30d, 8w, 3m or YYYY-MM-DD" in result.output, words
    people("snooze", "grace", "hopper", "30", "d", env=FRIDAY)
    assert show(people, "grace")["snoozed_until"] == "2026-12-27"
    people("snooze", "alan", "2", "weeks", env=FRIDAY)
    assert show(people, "alan")["snoozed_until"] == "2026-12-11"
    far = people("snooze", "grace", "9999-12-31", ok=False, env=FRIDAY)
    assert far.exit_code == 2 and "more than 100 years" in far.output


def test_a_profile_url_finds_its_contact_in_any_spelling(people):
    for url in ("http://uk.linkedin.com/in/Ann-Lee-Globex/", "linkedin.com/in/ann-lee-globex?trk=x"):
        assert show(people, url)["company"] == "Globex", url


def test_skip_refuses_a_day_gone_by(people):
    people("today", "--no-block", env=FRIDAY)
    monday = {"CONNECT5_NOW": "2026-11-30T06:00:00+00:00"}
    result = people("skip", "--date", "2026-11-27", "grace", ok=False, env=monday)
    assert result.exit_code == 1 and "has gone by" in result.output


def test_today_with_everyone_unpickable_says_so_rather_than_asking_for_an_import(people):
    listed = json.loads(people("contacts", "list", "--json", env=FRIDAY).stdout)
    for row in listed:
        people("exclude", row["key"], env=FRIDAY)
    result = people("today", env=FRIDAY)
    assert "nobody can be picked today: all 7 contacts are in cooldown" in result.stdout
    assert "import your network" not in result.stdout


def test_contacts_show_marks_a_cancelled_or_declined_meeting(people):
    from datetime import UTC, datetime

    from daemon.store import open_store

    store = open_store(people.home / "connect5.db")
    with store.atomic():
        store.add_interaction(source="cal", external_id="declined", kind="meeting", direction="both",
                              at=datetime(2026, 11, 20, 11, tzinfo=UTC), status="cancelled",
                              contact_keys=["https://www.linkedin.com/in/grace-hopper"])
    store.close()
    text = people("contacts", "show", "grace", env=FRIDAY).stdout
    assert "2026-11-20 11:00 meeting both (cal, cancelled)" in text


def test_a_second_card_of_a_decided_name_with_other_addresses_is_asked_again(cli, tmp_path):
    export = tmp_path / "Connections.csv"
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                      "Sam,Smith,https://www.linkedin.com/in/sam-1,,Alpha,A,01 Mar 2019\n"
                      "Sam,Smith,https://www.linkedin.com/in/sam-2,,Beta,B,02 Mar 2019\n", encoding="utf-8")
    cli.write_config("")
    cli("import", "linkedin", str(export))
    home_card = tmp_path / "home.vcf"
    home_card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sam Smith\r\nEMAIL:sam.home@example.net\r\nEND:VCARD\r\n")
    cli("import", "vcard", str(home_card))
    (first,) = cli.json("review")
    cli("review", "assign", str(first["id"]), "https://www.linkedin.com/in/sam-2")
    work_card = tmp_path / "work.vcf"
    work_card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sam Smith\r\nEMAIL:sam.work@example.org\r\nEND:VCARD\r\n")
    assert cli.json("import", "vcard", str(work_card))["ambiguous"] == ["Sam Smith"]
    (second,) = cli.json("review")
    assert second["id"] != first["id"] and "sam.work@example.org" in second["value"]


NAMESAKES = """First Name,Last Name,URL,Email Address,Company,Position,Connected On
Jürgen,Groß,https://www.linkedin.com/in/jg1,,Siemens,Eng,01 Feb 2020
Jurgen,Gross,https://www.linkedin.com/in/jg2,,Bosch,Eng,02 Feb 2020
Anna,Schmidt,https://www.linkedin.com/in/as1,,SAP,PM,03 Feb 2020
Anna,Schmidt,https://www.linkedin.com/in/as2,,BASF,PM,04 Feb 2020
"""


@pytest.fixture
def namesakes(cli):
    cli.import_network(NAMESAKES)
    return cli


def test_among_namesakes_the_one_written_as_typed_is_meant(namesakes):
    assert namesakes.json("done", "Jürgen", "Groß", env=FRIDAY)["contact"] == "Jürgen Groß"
    assert show(namesakes, "https://www.linkedin.com/in/jg1")["last_touch_kind"] == "done"
    assert show(namesakes, "https://www.linkedin.com/in/jg2")["last_touch_kind"] is None
    assert namesakes.json("tag", "jurgen", "gross", "mentor", env=FRIDAY)["contact"] == "Jurgen Gross"
    # Part of the name, written as typed, is enough too.
    assert namesakes.json("contacts", "show", "Groß", env=FRIDAY)["name"] == "Jürgen Groß"
    assert namesakes.json("contacts", "show", "jürgen", env=FRIDAY)["name"] == "Jürgen Groß"
    # Written as neither: the accents are what is left to say.
    result = namesakes("snooze", "Jurgen", "Groß", ok=False, env=FRIDAY)
    assert result.exit_code == 1 and "accents and all, or the profile URL" in result.output
    assert "Siemens, https://www.linkedin.com/in/jg1" in result.output


def test_every_command_says_the_profile_url_tells_namesakes_apart(namesakes):
    picks = namesakes.json("today", "--no-block", env=FRIDAY)["picks"]
    assert len(picks) == 4  # all of them
    for command in (["done"], ["exclude"], ["snooze"], ["tag", "Anna Schmidt", "mentor"], ["skip"]):
        result = namesakes(*command, *([] if len(command) > 1 else ["Anna", "Schmidt"]), ok=False, env=FRIDAY)
        assert result.exit_code == 1 and "say which by profile URL" in result.output, command
        assert "BASF, https://www.linkedin.com/in/as2" in result.output, command
    assert namesakes.json("skip", "Jürgen", "Groß", env=FRIDAY)["skipped"] == "Jürgen Groß"
    assert namesakes.json("skip", "https://www.linkedin.com/in/as2/", env=FRIDAY)["skipped"] == "Anna Schmidt"


@pytest.mark.parametrize("label", ["phd", "jr", "she/her", "🚀", "MBA"])
def test_a_tag_that_names_leave_out_is_a_tag_after_a_name(people, label):
    assert people.json("tag", "Grace", "Hopper", label, env=FRIDAY)["tags"] == [label.lower()]
    assert people.json("tag", "Alan Turing", label, env=FRIDAY)["tags"] == [label.lower()]  # quoted: all tags


def test_a_quoted_name_is_all_of_the_name(people):
    assert people.json("tag", "Grace Hopper", "grace", "hopper", env=FRIDAY)["tags"] == ["grace", "hopper"]
    result = people("tag", "Ann Lee", "mentor", ok=False, env=FRIDAY)  # two of them: no shorter guess either
    assert result.exit_code == 1 and "say which by profile URL" in result.output


def test_a_credential_a_contact_is_written_with_is_part_of_their_name(people, tmp_path):
    card = tmp_path / "kim.vcf"  # a vCard keeps the name as written; the LinkedIn import cleans it
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Kim Park PhD\r\nEMAIL:kim@example.org\r\nEND:VCARD\r\n")
    people("import", "vcard", str(card))
    assert people.json("tag", "Kim", "Park", "PhD", "mentor", env=FRIDAY)["tags"] == ["mentor"]
    result = people("tag", "Kim", "Park", "PhD", ok=False, env=FRIDAY)
    assert result.exit_code == 2 and "whole name of Kim Park PhD" in result.output
    assert 'quote the name: connect5 tag "Kim Park" PhD' in result.output
    assert people.json("tag", "Kim Park", "PhD", env=FRIDAY)["tags"] == ["mentor", "phd"]


def test_snooze_undo_ends_a_snooze_and_says_so_as_exclude_undo_does(people):
    people("snooze", "grace", "8w", env=FRIDAY)
    ended = people.json("snooze", "Grace", "Hopper", "--undo", env=FRIDAY)
    assert ended == {"contact": "Grace Hopper", "snoozed_until": None}
    assert set(ended) - {"snoozed_until"} == set(people.json("exclude", "grace", "--undo")) - {"excluded"}
    assert show(people, "grace")["state"] == "active"
    assert "not snoozed; nothing to undo" in people("snooze", "grace", "--undo", env=FRIDAY).stdout
    assert "not excluded; nothing to undo" in people("exclude", "grace", "--undo", env=FRIDAY).stdout
    people("exclude", "grace", env=FRIDAY)
    assert "Grace Hopper: included again" in people("exclude", "grace", "--undo", env=FRIDAY).stdout
    with_duration = people("snooze", "grace", "8w", "--undo", ok=False, env=FRIDAY)
    assert with_duration.exit_code == 2 and "without a duration" in with_duration.output
    assert "--undo" in people("snooze", "--help").stdout


def test_done_and_snooze_take_the_namesake_among_the_days_five_as_skip_does(cli):
    # Two Ann Lees; one a day, and the Acme one is the day's once those before her are out of the way.
    cli.import_network(NETWORK)
    cli.write_config('[me]\ntimezone = "Europe/London"\nname = "Owner"\n[picking]\nper_day = 1\n')
    (pick,) = cli.json("today", "--no-block", env=FRIDAY)["picks"]
    assert pick["name"] == "Zoë Øster"  # connected first of all
    ambiguous = cli("done", "Ann", "Lee", ok=False, env=FRIDAY)
    assert ambiguous.exit_code == 1 and "say which by profile URL" in ambiguous.output  # no Ann Lee picked today
    assert cli.json("exclude", "Zoë", "Øster", env=FRIDAY)
    monday = {"CONNECT5_NOW": "2026-11-30T06:00:00+00:00"}
    (pick,) = cli.json("today", "--no-block", env=monday)["picks"]
    assert pick["name"] == "Jürgen Groß"
    assert cli.json("skip", "Jürgen", env=monday)["replacement"] == "Ann Lee"
    assert cli.json("done", "ann", "lee", env=monday)["contact"] == "Ann Lee"
    assert show(cli, "https://www.linkedin.com/in/ann-lee-acme", env=monday)["last_touch_kind"] == "done"
    assert show(cli, "https://www.linkedin.com/in/ann-lee-globex", env=monday)["last_touch_kind"] is None
    assert cli.json("snooze", "Ann", "Lee", "8w", env=monday)["contact"] == "Ann Lee"
    assert show(cli, "https://www.linkedin.com/in/ann-lee-acme", env=monday)["snoozed_until"] == "2027-01-25"
    assert cli("exclude", "Ann", "Lee", ok=False, env=monday).exit_code == 1  # not a command of the day's list
