"""The morning job's shortlist gives exactly the picks a scan of everyone gives."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from connectors.records import Contact
from daemon import calendar_block, morning
from daemon import config as config_module
from daemon.store import open_store


def populated(tmp_path, seed: int, count: int):
    randomness = random.Random(seed)
    store = open_store(tmp_path / f"s{seed}.db")
    companies = [f"Co {n}" for n in range(max(2, count // 6))] + [""]
    people = [
        Contact(key=f"k{n:04d}", name=f"P {n}", company=randomness.choice(companies), source="linkedin",
                connected_on=None if randomness.random() < 0.1 else date(2008, 1, 1) + timedelta(days=randomness.randrange(6000)))
        for n in range(count)
    ]
    store.import_contacts(people, source="linkedin", snapshot=True)
    with store.atomic():
        for person in people:
            roll = randomness.random()
            values = {}
            if roll < 0.3:
                values["last_touch_at"] = (datetime(2026, 11, 26, tzinfo=UTC) - timedelta(days=randomness.randrange(800))).isoformat()
            if randomness.random() < 0.1:
                values["excluded"] = 1
            if randomness.random() < 0.1:
                values["snoozed_until"] = (date(2026, 11, 20) + timedelta(days=randomness.randrange(20))).isoformat()
            if randomness.random() < 0.1:
                values["tags"] = json.dumps(["mentor"])
            if randomness.random() < 0.4:
                values["picked_rotation"] = 1
                values["last_picked_on"] = (date(2026, 11, 26) - timedelta(days=randomness.randrange(300))).isoformat()
            if values:
                assignments = ", ".join(f"{key} = ?" for key in values)
                store.execute(f"UPDATE contacts SET {assignments} WHERE key = ?", [*values.values(), person.key])
    return store


@pytest.mark.parametrize("seed", range(12))
def test_shortlist_and_full_scan_choose_the_same(tmp_path, seed):
    count = [3, 8, 40, 300][seed % 4]
    store = populated(tmp_path, seed, count)
    config = config_module.parse({"picking": {"cadence": {"mentor": 30}, "max_per_company": 1 + seed % 2}}, tmp_path / "c.toml")
    for offset in range(3):
        day = date(2026, 11, 27) + timedelta(days=offset)
        fast = morning.choose(store, config, day)
        full = morning.choose(store, config, day, shortlist=False)
        assert fast == full


def test_running_the_morning_job_twice_changes_nothing(tmp_path):
    store = populated(tmp_path, 1, 200)
    config = config_module.parse({}, tmp_path / "c.toml")
    day = date(2026, 11, 27)
    first = morning.ensure_picks(store, config, day, day)
    snapshot = store.query("SELECT * FROM contacts ORDER BY key")
    again = morning.ensure_picks(store, config, day, day)
    assert first == again and len(first) == 5
    assert store.query("SELECT * FROM contacts ORDER BY key") == snapshot


class DeletedSeriesWriter:
    """A block writer whose series the user deleted until ``restart`` makes a new one."""

    def __init__(self):
        self.deleted, self.writes, self.restarts = True, 0, 0

    def write(self, day, block):
        from connectors.base import BlockSeriesDeleted
        from connectors.records import BlockRef

        self.writes += 1
        if self.deleted:
            raise BlockSeriesDeleted("the series was deleted")
        return BlockRef(writer="ics", remote_id=f"new/{day}")

    def restart(self, day, block):
        self.restarts += 1
        self.deleted = False
        return self.write(day, block)


def test_a_deleted_series_stops_block_writing_until_restarted(tmp_path):
    from daemon import paths

    store = populated(tmp_path, 2, 50)
    config = config_module.parse({"me": {"timezone": "UTC"}}, tmp_path / "c.toml")
    home = paths.resolve(str(tmp_path))
    day = date(2026, 11, 27)
    morning.ensure_picks(store, config, day, day)
    writer = DeletedSeriesWriter()
    reference = calendar_block.write_block(store, config, home, day, day, writer=writer)
    assert reference.state == "series-deleted" and store.meta("block_stopped") == "ics"
    assert calendar_block.write_block(store, config, home, day + timedelta(days=3), day, writer=writer) is None
    assert writer.writes == 1
    restarted = calendar_block.write_block(store, config, home, day, day, writer=writer, restart=True)
    assert restarted.state == "written" and writer.restarts == 1
    assert store.meta("block_stopped") is None
    assert store.query("SELECT state FROM blocks WHERE day = ?", [day.isoformat()]) == [{"state": "written"}]


def test_the_block_writer_gets_the_daemons_keepalive(tmp_path):
    from daemon.paths import Home

    (tmp_path / "config.toml").write_text('[block]\nwriter = "google"\n')
    config = config_module.load(tmp_path / "config.toml")
    calls = []
    writer = calendar_block.make_writer(config, Home(config_file=tmp_path / "config.toml", data_dir=tmp_path),
                                 keepalive=lambda: calls.append(1))
    writer.context.keepalive()
    assert calls == [1]


def _network(tmp_path, companies: list[str], touched: int = 0):
    """A store of one contact per entry of ``companies``; the first ``touched`` were in touch last week."""
    store = open_store(tmp_path / "c5.db")
    store.import_contacts([Contact(key=f"k{n}", name=f"Person {n}", company=company, source="linkedin")
                           for n, company in enumerate(companies)], source="linkedin", snapshot=True)
    if touched:
        from connectors.records import Touch

        with store.atomic():
            store.record_touches([Touch("mail", f"m{n}", contact_key=f"k{n}", at=datetime(2026, 11, 20, tzinfo=UTC),
                                        kind="email", direction="out") for n in range(touched)])
    return store


def test_a_short_day_says_the_company_cap_held_people_back(tmp_path):
    store = _network(tmp_path, ["Acme"] * 6 + ["Other"])
    config = config_module.parse({}, tmp_path / "c.toml")
    day = date(2026, 11, 27)
    picks = morning.ensure_picks(store, config, day, day)
    assert len(picks) == 3  # two from Acme, the one from Other
    assert morning.shortfall(store, config, day, picks) == (
        "2 more are due but held back by max_per_company = 2 (picking.max_per_company in the config)"
    )


def test_a_short_day_says_nobody_else_is_due(tmp_path):
    store = _network(tmp_path, ["A", "B", "C", "D", "E", "F"], touched=3)
    config = config_module.parse({}, tmp_path / "c.toml")
    day = date(2026, 11, 27)
    picks = morning.ensure_picks(store, config, day, day)
    assert len(picks) == 3
    assert morning.shortfall(store, config, day, picks).startswith("nobody else is due")
    (tmp_path / "full").mkdir()
    full = _network(tmp_path / "full", [f"C{n}" for n in range(9)])
    assert morning.shortfall(full, config, day, morning.ensure_picks(full, config, day, day)) == ""


def test_a_day_chosen_before_per_day_was_raised_says_so_not_the_company_cap(tmp_path):
    store = _network(tmp_path, [f"Company {n}" for n in range(9)])
    day = date(2026, 11, 27)
    picks = morning.ensure_picks(store, config_module.parse({"picking": {"per_day": 3}}, tmp_path / "c.toml"), day, day)
    raised = config_module.parse({}, tmp_path / "c.toml")
    assert len(morning.ensure_picks(store, raised, day, day)) == 3  # frozen once chosen
    assert morning.shortfall(store, raised, day, picks) == (
        "the day was chosen when fewer than 5 were wanted or due, and a day's picks stay as chosen")


def test_today_shows_how_many_of_the_five_and_why_the_day_is_short(cli):
    rows = "".join(f"P{n},Person,https://www.linkedin.com/in/p{n},,Acme,Engineer,01 Jan 2020\n" for n in range(6))
    cli.import_network("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + rows
                       + "Q,Other,https://www.linkedin.com/in/q,,Initech,Engineer,01 Jan 2020\n")
    env = {"CONNECT5_NOW": "2026-11-27T08:00:00+00:00"}
    text = cli("today", "--no-block", env=env).stdout
    assert text.startswith("2026-11-27 · 3 of your 5\n")
    assert "only 3: 2 more are due but held back by max_per_company = 2" in text
    assert cli.json("today", "--no-block", env=env)["short"].startswith("2 more are due")


def test_skipping_someone_frees_their_company_place_for_the_next_in_line(tmp_path):
    store = _network(tmp_path, ["Co", "Co", "Co", "A", "B", "C"])
    config = config_module.parse({}, tmp_path / "c.toml")
    day = date(2026, 11, 27)
    picks = morning.ensure_picks(store, config, day, day)
    first_at_co = next(row["contact_key"] for row in picks if row["company"] == "Co")
    replacement = morning.skip(store, config, day, first_at_co)
    assert replacement is not None and replacement["company"] == "Co"
    assert [row["company"] for row in morning.picks_of(store, day)].count("Co") == 2


def test_looking_at_a_day_to_come_previews_it_and_fixes_nothing(cli):
    rows = "".join(f"P{n},Person,https://www.linkedin.com/in/p{n},,Co{n},Engineer,01 Jan 20{10 + n}\n" for n in range(12))
    cli.import_network("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + rows)
    friday = {"CONNECT5_NOW": "2026-11-27T08:00:00+00:00"}
    cli("today", "--no-block", env=friday)
    ahead = cli.json("today", "--date", "2026-11-30", env=friday)
    assert ahead["preview"] is True and len(ahead["picks"]) == 5 and ahead["block"] == "block written on the day"
    assert "a preview of your five" in cli("today", "--date", "2026-11-30", env=friday).stdout
    cli("exclude", ahead["picks"][0]["profile_url"], env=friday)  # decided on Friday: Monday must know
    monday = cli.json("today", "--no-block", env={"CONNECT5_NOW": "2026-11-30T08:00:00+00:00"})
    assert monday["preview"] is False and len(monday["picks"]) == 5
    assert ahead["picks"][0]["name"] not in {pick["name"] for pick in monday["picks"]}
    assert [p["name"] for p in monday["picks"]][:4] == [p["name"] for p in ahead["picks"]][1:]


def test_a_day_whose_picks_were_all_skipped_says_so(cli):
    rows = "".join(f"P{n},Person,https://www.linkedin.com/in/p{n},,Co{n},Engineer,01 Jan 2020\n" for n in range(2))
    cli.import_network("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + rows)
    env = {"CONNECT5_NOW": "2026-11-27T08:00:00+00:00"}
    for pick in cli.json("today", "--no-block", env=env)["picks"]:
        cli("skip", pick["profile_url"], env=env)
    assert "you skipped all 2 of the day's picks" in cli("today", "--no-block", env=env).stdout
    assert cli.json("today", "--no-block", env=env)["short"].startswith("you skipped all 2")
    assert "all 2 picks skipped" in cli("status", ok=False, env=env).stdout


def test_previews_of_the_days_ahead_leave_out_whom_the_days_before_would_pick(cli):
    rows = "".join(f"P{n},Person,https://www.linkedin.com/in/p{n},,Co{n},Engineer,01 Jan 20{10 + n}\n" for n in range(12))
    cli.import_network("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + rows)
    thursday = {"CONNECT5_NOW": "2026-11-26T08:00:00+00:00"}  # today not picked yet
    friday = {p["name"] for p in cli.json("today", "--date", "2026-11-27", env=thursday)["picks"]}
    monday = {p["name"] for p in cli.json("today", "--date", "2026-11-30", env=thursday)["picks"]}
    today = {p["name"] for p in cli.json("today", "--no-block", env=thursday)["picks"]}
    assert len(today) == len(friday) == 5 and len(monday) == 2  # 12 people: 5, 5 and the last 2
    assert not today & friday and not friday & monday and not today & monday
