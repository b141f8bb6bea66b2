"""`planner.core.text`: the one wording of numbers both the TUI and the CLI show (plain pytest)."""

from __future__ import annotations

from planner.core.text import decimals, prospects, prospects_a_week, quota_fills, quota_progress, quota_today_text, ratio
from planner.domain.models import ProspectQuota


def quota(week: int, done_week: int, today: int, done_today: int, days: int = 3) -> ProspectQuota:
    return ProspectQuota(week=week, per_week=week - 0.4, done_week=done_week, today=today, done_today=done_today,
                         working_days_left=days)


def test_todays_share_and_the_week_as_the_today_screen_and_planner_status_say_them():
    assert quota_today_text(quota(4, 1, 1, 0)) == "0 of 1 today (3 working days left) · 1 of 4 new prospects this week"
    # Today's share found, the week not yet: said, not "2 of 1 today".
    assert quota_today_text(quota(4, 2, 1, 2, days=1)) == (
        "2 of 1 today — today's share is met (1 working day left) · 2 of 4 new prospects this week")
    # The week's quota found: said, not "3 of 2 new prospects this week" left to puzzle over.
    assert quota_today_text(quota(2, 3, 1, 3)) == "3 today · 3 of 2 new prospects this week — the week's quota is met"
    assert quota_today_text(quota(0, 0, 0, 0)) == "0 today · no new prospects needed this week"
    assert quota_today_text(quota(1, 0, 1, 0)) == "0 of 1 today (3 working days left) · 0 of 1 new prospect this week"


def test_the_funnels_few_cells_and_the_count_of_prospects():
    assert quota_progress(quota(4, 3, 1, 0)) == "3 of 4"
    assert (prospects(1), prospects(2)) == ("1 new prospect", "2 new prospects")


def test_a_figure_beside_a_threshold_never_rounds_onto_or_past_it():
    """One decimal, or as many more as it takes: 2.97 is "2.97×" beside the 3× rule, never "3.0×"."""
    inf = float("inf")
    assert ratio(3.9469, decimals(3.9469, 3.0, 3.2531)) == "3.9×"  # far from both: one decimal
    assert [ratio(v, decimals(2.9746, 3.0, 3.2531)) for v in (2.9746, 3.0, 3.2531)] == ["2.97×", "3.00×", "3.25×"]
    assert ratio(3.004, decimals(3.004, 3.0)) == "3.004×"  # above the rule is never shown on it either
    assert decimals(2.99999, 3.0) == 4 and decimals(3.0, 3.0) == 1  # equal stays equal
    assert decimals(2.97, 3.0, inf) == 2  # an unbounded threshold is said in words, not compared


def test_the_quota_kept_week_after_week_is_worded_once():
    """The Insights' chart legend and sentences and `planner status` say the kept quota alike."""
    assert (prospects_a_week(1), prospects_a_week(4)) == ("1 new prospect a week", "4 new prospects a week")
    assert quota_fills(4, True) == "4 new prospects a week fill it"
    assert quota_fills(1, True) == "1 new prospect a week fills it"
    assert quota_fills(1, False) == "1 new prospect a week is not enough to fill it"
