"""Tests for rules.stats: the funnel, coverage, rotation pace and the year heatmap."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.stats import (
    PLAIN_CELLS,
    STEPS,
    UNICODE_CELLS,
    coverage,
    funnel,
    funnel_counts,
    heatmap,
    heatmap_start,
    in_touch_since,
    levels,
    percent,
    rotation,
)

TODAY = date(2026, 3, 18)  # a Wednesday
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_week_states() -> list[str]:
    """The habit's first week: 25 notes, 21 replies, about 6 calls, of which 4 met."""
    return ["met"] * 4 + ["call_booked"] * 2 + ["replied"] * 15 + ["reached_out"] * 4


def test_funnel_of_the_first_week_has_the_shape_the_habit_reported():
    steps = funnel(first_week_states())
    assert funnel_counts(steps) == {"picked": 25, "reached_out": 25, "replied": 21, "call_booked": 6, "met": 4}
    replied = steps[2]
    assert replied.of_previous == pytest.approx(21 / 25)
    assert replied.of_picked == pytest.approx(21 / 25)
    assert steps[3].of_previous == pytest.approx(6 / 21)
    assert steps[4].of_previous == pytest.approx(4 / 6)
    assert steps[4].of_picked == pytest.approx(4 / 25)


def test_funnel_leaves_skipped_picks_out_and_has_no_rates_for_picked():
    steps = funnel(["picked", "skipped", "picked", "replied"])
    assert funnel_counts(steps) == {"picked": 3, "reached_out": 1, "replied": 1, "call_booked": 0, "met": 0}
    assert steps[0].of_previous is None and steps[0].of_picked is None
    assert steps[0].words == "picked" and steps[3].words == "call booked"


def test_funnel_without_picks_has_undefined_rates_rather_than_a_division_by_zero():
    steps = funnel([])
    assert all(step.count == 0 for step in steps)
    assert all(step.of_previous is None and step.of_picked is None for step in steps)


@given(st.lists(st.sampled_from(STEPS + ("skipped",)), max_size=60))
def test_funnel_counts_never_grow_down_the_funnel(states):
    counts = [step.count for step in funnel(states)]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == sum(1 for state in states if state != "skipped")
    for step in funnel(states)[1:]:
        assert step.of_previous is None or 0 <= step.of_previous <= 1


def test_coverage_shares_are_of_the_network_and_capped_by_it():
    result = coverage(network=200, in_touch=50, picked=30)
    assert result.in_touch_share == pytest.approx(0.25)
    assert result.picked_share == pytest.approx(0.15)
    assert coverage(0, 0, 0).in_touch_share is None
    assert coverage(10, 12, 3).in_touch == 10
    with pytest.raises(ValueError):
        coverage(10, -1, 0)


def test_the_last_365_days_include_today():
    assert (TODAY - in_touch_since(TODAY)).days == 364


def test_rotation_pace_uses_the_last_four_weeks_of_picks():
    picks = {TODAY - timedelta(days=offset): 5 for offset in range(100) if (TODAY - timedelta(days=offset)).weekday() < 5}
    result = rotation(1000, picks, TODAY)
    assert result.window_days == 28
    assert result.pace == pytest.approx(5 * 20 / 28)
    assert result.days == 280  # 1000 contacts at 100 picks per 28 days


def test_rotation_pace_counts_from_the_first_pick_when_picking_began_recently():
    result = rotation(500, {TODAY - timedelta(days=9): 5, TODAY: 5}, TODAY)
    assert result.window_days == 10
    assert result.pace == pytest.approx(10 / 8 * 5 / 7)  # 10 picks on the 8 workdays from Monday the 9th
    assert result.days == 560


def test_rotation_without_any_pick_has_no_estimate():
    assert rotation(500, {}, TODAY).days is None
    assert rotation(500, {TODAY + timedelta(days=3): 5}, TODAY).days is None


def test_heatmap_has_seven_day_rows_of_53_weeks_starting_on_a_monday():
    lines = heatmap({TODAY: 3}, TODAY)
    rows = lines[1:8]
    assert [row[:3] for row in rows[::2]] == ["Mon", "Wed", "Fri", "Sun"]
    assert heatmap_start(TODAY).weekday() == 0
    assert heatmap_start(TODAY) == date(2025, 3, 17)  # 52 weeks before Monday 2026-03-16
    monday_row = rows[0][4:]
    assert len(monday_row) == 53
    # Its first Monday (2025-03-17) is more than 365 days ago: blank, as in coverage's year.
    assert monday_row[0] == " " and set(monday_row[1:]) == {PLAIN_CELLS[0]}
    # Wednesday's last column is today, the busiest (and only) day: level 4.
    assert rows[2][4:][-1] == PLAIN_CELLS[4]
    # Thursday to Sunday of this week are still to come: blank, trimmed.
    assert len(rows[3][4:]) == 52


def test_heatmap_month_labels_sit_above_the_week_each_month_begins():
    labels = heatmap({}, TODAY)[0]
    start = heatmap_start(TODAY)
    column = labels.index("Jan") - 4
    assert (start + timedelta(weeks=column)).month == 1
    assert (start + timedelta(weeks=column - 1)).month == 12
    # March has two weeks left in the first columns: too few for a label, April gets it.
    assert labels.startswith(" " * 7 + "Apr")  # column 3: Monday 2025-04-07
    assert all(name in labels for name in ("May", "Jun", "Sep", "Dec", "Feb", "Mar"))


def test_heatmap_leaves_out_days_older_than_the_grid_and_says_so_in_the_summary():
    counts = {TODAY - timedelta(days=400): 50, TODAY - timedelta(days=1): 2, TODAY: 1}
    summary = heatmap(counts, TODAY)[-1]
    assert "3 interactions on 2 days" in summary
    assert f"busiest {TODAY - timedelta(days=1)} (2)" in summary
    assert heatmap({}, TODAY, what="picks acted on")[-1].strip() == "no picks acted on in the last year"


def test_heatmap_styles_differ_only_in_the_cells():
    counts = {TODAY - timedelta(days=offset): offset % 5 for offset in range(300)}
    plain = heatmap(counts, TODAY, "plain")
    shaded = heatmap(counts, TODAY, "unicode")
    coloured = heatmap(counts, TODAY, "color")
    assert all(ord(character) < 128 for line in plain for character in line)
    assert any(cell in shaded[3] for cell in UNICODE_CELLS[1:])
    assert "\x1b[38;5;" in coloured[3]
    assert [len(ANSI.sub("", line)) for line in coloured] == [len(line) for line in shaded]
    assert plain[-2].strip() == "less . - + * # more"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({1: 0, 2: 1, 3: 2, 4: 3, 5: 4}, {1: 0, 2: 1, 3: 2, 4: 3, 5: 4}),
        ({1: 1, 2: 100}, {1: 1, 2: 4}),
        ({1: 0}, {1: 0}),
    ],
)
def test_levels_are_quarters_of_the_busiest_day(counts, expected):
    as_days = {date(2026, 1, day): count for day, count in counts.items()}
    assert levels(as_days) == {date(2026, 1, day): level for day, level in expected.items()}


@pytest.mark.parametrize(("share", "text"), [(None, "–"), (0.84, "84%"), (0.0625, "6.2%"), (0, "0%"), (1, "100%")])
def test_percent_reads_like_a_person_would_write_it(share, text):
    assert percent(share) == text


def test_the_summary_says_day_and_interaction_in_the_singular_for_one():
    assert heatmap({TODAY: 1}, TODAY)[-1].strip().startswith("1 interaction on 1 day in the last year")
    assert "2 interactions on 1 day" in heatmap({TODAY: 2}, TODAY)[-1]


def test_the_rotation_pace_does_not_swing_with_the_day_of_the_week():
    # Five a workday since Monday 2026-06-01: the estimate is the same on Friday, Saturday,
    # Sunday and Monday morning (before Monday's picks), 30,000 / (5 * 5 / 7) = 8,400 days.
    picks = {date(2026, 6, 1) + timedelta(days=offset): 5 for offset in range(5)}
    for day in range(5, 9):
        assert rotation(30_000, picks, date(2026, 6, 1) + timedelta(days=day - 1)).days == 8400


def test_the_rotation_of_nobody_who_can_be_picked_has_no_estimate():
    assert rotation(0, {TODAY: 5}, TODAY).days is None


def test_heatmap_counts_only_the_year_coverage_counts():
    counts = {in_touch_since(TODAY) - timedelta(days=1): 7, in_touch_since(TODAY): 1}
    assert "1 interaction on 1 day" in heatmap(counts, TODAY)[-1]
