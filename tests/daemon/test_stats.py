"""``connect5 stats`` over a real store: funnel, coverage, rotation and the heatmap."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from connectors.records import Contact
from daemon.cli import main
from daemon.commands.stats import collect, style_for
from daemon.store import open_store

TODAY = date(2026, 3, 18)
STATES = ["met"] * 4 + ["call_booked"] * 2 + ["replied"] * 15 + ["reached_out"] * 4


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECT5_NOW", "2026-03-18T17:00:00+00:00")
    monkeypatch.delenv("CONNECT5_HOME", raising=False)
    (tmp_path / "config.toml").write_text('[me]\nname = "Ada"\nemails = ["ada@example.com"]\ntimezone = "UTC"\n')
    store = open_store(tmp_path / "connect5.db")
    contacts = [Contact(key=f"https://www.linkedin.com/in/p{number}", name=f"Person {number}", source="linkedin")
                for number in range(100)]
    store.import_contacts(contacts, source="linkedin", snapshot=True)
    with store.atomic():
        # 25 picks over the first week of March, 5 a workday, plus one skipped.
        for index, state in enumerate(STATES):
            day = date(2026, 3, 2) + timedelta(days=index // 5)
            store.execute(
                "INSERT INTO picks (day, slot, contact_key, state, picked_at) VALUES (?, ?, ?, ?, ?)",
                [day.isoformat(), index % 5, contacts[index].key, state, "2026-03-02T07:00:00+00:00"],
            )
        store.execute(
            "INSERT INTO picks (day, slot, contact_key, state, skipped, picked_at) VALUES (?, ?, ?, ?, 1, ?)",
            ["2026-03-02", 9, contacts[99].key, "skipped", "2026-03-02T07:00:00+00:00"],
        )
        for index in range(30):  # 30 contacts in touch, one of them twice on one day
            at = datetime(2026, 3, 1, 10, tzinfo=UTC) - timedelta(days=index * 10)
            store.add_interaction(source="mail", external_id=f"m{index}", kind="email", direction="in",
                                  at=at, contact_keys=[contacts[index].key])
        store.add_interaction(source="mail", external_id="again", kind="email", direction="out",
                              at=datetime(2026, 3, 1, 11, tzinfo=UTC), contact_keys=[contacts[0].key])
        store.add_interaction(source="cal", external_id="gone", kind="meeting", direction="both",
                              at=datetime(2026, 3, 5, 11, tzinfo=UTC), contact_keys=[contacts[50].key],
                              status="cancelled")
    store.close()
    return tmp_path


def run(home, *arguments: str):
    result = CliRunner().invoke(main, ["--home", str(home), "stats", *arguments])
    return result


def test_json_funnel_is_cumulative_and_skipped_picks_are_left_out(home):
    result = run(home, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["funnel"] == {"picked": 25, "reached_out": 25, "replied": 21, "call_booked": 6, "met": 4}
    assert data["rates"]["replied"]["of_previous"] == pytest.approx(0.84)
    assert data["rates"]["met"]["of_picked"] == pytest.approx(0.16)


def test_coverage_counts_contacts_in_touch_within_365_days_and_ignores_cancelled_meetings(home):
    data = json.loads(run(home, "--json").output)
    # interactions every 10 days back from 2026-03-01: days 0..360 are within the year (37 of
    # them would be, but only 30 exist); the cancelled meeting does not count.
    assert data["coverage"]["network"] == 100
    assert data["coverage"]["in_touch_365_days"] == 30
    assert data["coverage"]["in_touch_share"] == pytest.approx(0.30)
    assert data["coverage"]["picked_at_least_once"] == 25


def test_rotation_is_estimated_from_the_pace_since_picking_began(home):
    data = json.loads(run(home, "--json").output)
    # 25 picks from Monday 2026-03-02 to yesterday (today has none yet): 16 days, 12 of them
    # workdays, so 25 / 12 a workday, 25 / 12 * 5 / 7 a calendar day.
    assert data["rotation"]["window_days"] == 16
    assert data["rotation"]["days"] == 68  # ceil(100 / (25 / 12 * 5 / 7))


def test_since_limits_the_funnel_to_later_picks(home):
    data = json.loads(run(home, "--since", "2026-03-05", "--json").output)
    assert data["since"] == "2026-03-05"
    assert data["funnel"]["picked"] == 10
    assert run(home, "--since", "March").exit_code == 2


def test_activity_counts_interactions_per_local_day(home):
    data = json.loads(run(home, "--json").output)
    assert data["activity"]["2026-03-01"] == 2
    assert "2026-03-05" not in data["activity"]  # cancelled
    assert sum(data["activity"].values()) == 31


def test_text_report_shows_the_funnel_rates_coverage_and_a_plain_heatmap_in_a_pipe(home):
    result = run(home)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Funnel, all picks"
    assert lines[3].split()[:4] == ["replied", "21", "84%", "of"]
    assert "16% of picked" in lines[5]
    assert "in touch in the last 365 days   30  30%" in result.output
    assert "full rotation in 68 days at the current pace" in result.output
    grid = lines[lines.index("Activity, the last 12 months") + 1:]
    assert grid[1].startswith("Mon ") and grid[7].startswith("Sun ")
    assert "\x1b[" not in result.output
    assert "less . - + * # more" in result.output
    assert "31 interactions on 30 days in the last year" in result.output


def test_stats_without_a_store_is_a_one_line_user_error(tmp_path):
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "empty"), "stats"])
    assert result.exit_code == 1
    assert "no store at" in result.output


def test_collect_on_an_empty_store_has_no_rates_and_no_rotation(tmp_path):
    store = open_store(tmp_path / "connect5.db")
    data = collect(store, TODAY, "UTC")
    assert data["funnel"]["picked"] == 0
    assert data["rates"]["replied"]["of_picked"] is None
    assert data["rotation"]["days"] is None and data["activity"] == {}


class _Stream:
    def __init__(self, tty: bool):
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "no_color", "term", "style"),
    [(False, "", "xterm", "plain"), (True, "", "xterm-256color", "color"), (True, "1", "xterm", "unicode"),
     (True, "", "dumb", "plain")],
)
def test_heatmap_style_follows_the_terminal_and_no_color(monkeypatch, tty, no_color, term, style):
    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setenv("TERM", term)
    assert style_for(_Stream(tty)) == style


def test_a_pace_window_without_picks_is_not_called_nobody_picked_yet(home, monkeypatch):
    # Picks stopped on 2026-03-06; two months later the 28-day window holds none.
    monkeypatch.setenv("CONNECT5_NOW", "2026-05-18T17:00:00+00:00")
    text = run(home).output
    assert "nobody picked yet" not in text
    assert "no picks in the last 28 days" in text


def test_picks_frozen_for_days_to_come_are_not_counted_yet(home):
    store = open_store(home / "connect5.db")
    with store.atomic():
        store.execute("INSERT INTO picks (day, slot, contact_key, state, picked_at) VALUES (?, 0, ?, 'picked', ?)",
                      ["2026-03-25", "https://www.linkedin.com/in/p90", "2026-03-18T07:00:00+00:00"])
    store.close()
    data = json.loads(run(home, "--json").output)
    assert data["funnel"]["picked"] == 25
    assert data["coverage"]["picked_at_least_once"] == 25


def test_a_rotation_reaches_only_those_who_can_be_picked(home):
    store = open_store(home / "connect5.db")
    with store.atomic():
        store.execute("UPDATE contacts SET excluded = 1 WHERE key IN (SELECT key FROM contacts ORDER BY key LIMIT 50)")
    store.close()
    data = json.loads(run(home, "--json").output)
    assert data["coverage"]["network"] == 100 and data["coverage"]["excluded"] == 50
    assert data["rotation"]["days"] == 34  # ceil(50 / (25 / 12 * 5 / 7))
    assert "Network: 100 contacts (50 excluded)" in run(home).output


def test_a_network_nobody_can_be_picked_from_gives_no_rotation(home):
    store = open_store(home / "connect5.db")
    with store.atomic():
        store.execute("UPDATE contacts SET excluded = 1")
    store.close()
    assert json.loads(run(home, "--json").output)["rotation"]["days"] is None
    assert "full rotation: nobody can be picked" in run(home).output
