"""The demo year (planner.demo): believable, relative to today, deterministic, and giving every
insight and most flags real numbers."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from statistics import median

import pytest

from planner.demo import build_demo
from planner.domain.fit import fit_score
from planner.domain.forecast import insights
from planner.domain.models import Bucket, Role
from planner.domain.status import analyse
from planner.store import open_repository

TODAY = date(2026, 11, 25)  # a Wednesday: this week already has days behind it


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    repo = open_repository(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    build_demo(repo, TODAY)
    yield repo
    repo.close()


def test_the_open_funnel_has_the_shape_of_a_busy_consultants(demo) -> None:
    counts = Counter(o.bucket for o in demo.open_deals())
    assert (counts[Bucket.ABOVE], counts[Bucket.IN], counts[Bucket.BEST_FEW]) == (7, 5, 3)
    deals = demo.open_deals()
    assert all(o.account and o.contact and o.value_cents > 0 and o.source for o in deals)
    dues = [o.next_action_due for o in deals]
    assert sum(1 for d in dues if d is not None and d < TODAY) >= 3  # some overdue
    assert sum(1 for d in dues if d == TODAY) >= 2  # some due today
    assert 1 <= sum(1 for o in deals if not o.next_action) <= 2  # one or two missing


def test_history_measures_the_cycle_dwell_times_and_conversion(demo) -> None:
    closed = [o for o in demo.list() if not o.is_open]
    assert len(closed) >= 55
    won = [o for o in closed if o.bucket is Bucket.WON]
    assert len(won) == 19 and all(o.closed_on for o in won)
    assert min(o.closed_on for o in closed) >= TODAY - timedelta(days=400)
    assert TODAY - timedelta(days=60) <= max(o.closed_on for o in closed) < TODAY
    snapshot = demo.snapshot(TODAY)
    status = analyse(snapshot)
    measured = [o for o in won if o.first_contact]
    # One win came in straight to Best Few with no first-contact date: it is not measured.
    assert status.cycle.source == "measured" and status.cycle.samples == len(measured) == 18
    assert 45 <= status.cycle.days <= 75
    assert status.cycle.days == median((o.closed_on - o.first_contact).days for o in measured)
    for stats in insights(snapshot, status).buckets.values():
        assert stats.conversion.source == "measured" and 0.3 < stats.conversion.value < 0.95
        assert stats.dwell_days.source == "measured"
    # Four referrals went from Above straight to Best Few and were won: they passed In the Funnel.
    referrals = [o for o in won if o.source == "referral" and
                 [m.to_bucket for m in demo.moves(o.id)] == [Bucket.ABOVE, Bucket.BEST_FEW, Bucket.WON]]
    assert len(referrals) >= 4


def test_no_bucket_is_starved_in_the_slightly_overloaded_week(demo) -> None:
    status = analyse(demo.snapshot(TODAY))
    allocation = status.allocation
    assert 0 < allocation.overloaded_hours < 5  # a little more than the 15 h the week holds
    for bucket in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW):
        share = allocation[bucket]
        assert share.percent >= 20
        assert share.hours / share.demanded_hours == pytest.approx(15 / allocation.demanded_hours)  # shared by demand
    assert status.quota.week == allocation.prospect_quota >= 1
    assert status.quota.done_today == 1  # a prospect found today


def test_the_dip_is_honestly_described(demo) -> None:
    status = analyse(demo.snapshot(TODAY))
    projection = status.projection
    # Nothing is expected to close in the second and third weeks from now: too soon for new
    # prospects (about one cycle to close), so the In-the-Funnel deals are named to pull forward.
    assert projection.first_dry_week is not None and 7 <= (projection.first_dry_week - TODAY).days <= 21
    assert projection.too_late and projection.prospect_by is None
    in_ids = {o.id for o in demo.list(Bucket.IN)}
    assert projection.pull_forward and set(projection.pull_forward) <= in_ids
    # Prospecting at the quota cannot reach that dip either, and the chart's second series says so.
    assert projection.first_dry_week_with_quota == projection.first_dry_week
    later = [w for w in projection.weeks if w.start > TODAY + timedelta(days=status.cycle.days + 7)]
    assert later and all(w.with_quota > w.expected_wins for w in later)
    assert (projection.slipped, projection.stale) == (1, 1)
    # The roller coaster's next dip, a cycle away, is still in reach: prospecting at the quota from
    # this week on fills it, and the advice gives the day to start by.
    assert projection.next_dry_week is not None and projection.next_prospect_by is not None
    assert TODAY <= projection.next_prospect_by <= TODAY + timedelta(days=14)
    assert not projection.week(projection.next_dry_week).dry_with_quota
    [dry] = [f for f in status.flags if f.code == "dry_spell"]
    assert "too soon for new prospects" in dry.message and "pull In the Funnel deals forward" in dry.message
    assert f"prospect by {projection.next_prospect_by.isoformat()}" in dry.message


def test_the_forecast_counts_one_cycle_in_wins_and_money(demo) -> None:
    forecast = analyse(demo.snapshot(TODAY)).forecast
    assert forecast.goal_value_cents is not None and forecast.coverage is not None
    assert forecast.commit_cents <= forecast.best_case_cents <= forecast.pipeline_cents
    assert forecast.beyond_count >= 1  # a far-off prospect is shown apart
    assert forecast.coverage > 1


def test_most_flags_have_something_to_say(demo) -> None:
    status = analyse(demo.snapshot(TODAY))
    codes = {f.code for f in status.flags}
    assert {
        "best_few_too_far",
        "close_date_passed",
        "best_few_inflated",
        "uncovered_influences",
        "unqualified",
        "stale",
        "overdue_action",
        "no_next_action",
        "poor_fit",
        "overloaded",
        "dry_spell",
    } <= codes
    assert "empty_top" not in codes and "split_underserves" not in codes and "cycle_suspect" not in codes
    assert all(status.allocation[b].percent > 0 for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW))


def test_influences_and_ideal_customer_criteria(demo) -> None:
    criteria = demo.criteria()
    assert 4 <= len(criteria) <= 6 and {c.kind.value for c in criteria} == {"demographic", "psychographic"}
    assert all(1 <= c.weight <= 3 for c in criteria)
    best_few = demo.list(Bucket.BEST_FEW)
    assert sum(1 for o in best_few if not any(i.role is Role.ECONOMIC for i in o.influences)) == 1
    assert any(i.covered is False for o in demo.list(Bucket.IN) for i in o.influences)
    above = demo.list(Bucket.ABOVE)
    fits = [fit_score(criteria, o.criteria_met) for o in above if o.criteria_reviewed]
    assert sum(1 for f in fits if f is not None and f < 50) == 1
    assert sum(1 for o in above if not o.criteria_reviewed) == 1  # the prospect found today: not assessed


def test_time_was_logged_this_week_including_prospecting_on_no_deal(demo) -> None:
    monday = TODAY - timedelta(days=TODAY.weekday())
    week = demo.minutes_by_bucket(monday, TODAY + timedelta(days=1))
    assert all(week[b] > 0 for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW))
    activities = demo.activities(limit=10_000)
    assert any(a.opportunity_id is None and a.on >= monday for a in activities)
    assert max(a.on for a in activities) <= TODAY  # nothing logged in the future
    assert len({a.on for a in activities if a.on >= TODAY - timedelta(weeks=8)}) > 20


def test_the_same_today_and_seed_give_the_same_demo(demo, tmp_path: Path) -> None:
    again = open_repository(str(tmp_path / "again.db"))
    try:
        build_demo(again, TODAY)
        assert list(again.export_rows()) == list(demo.export_rows())
        strip = lambda acts: [(a.kind, a.minutes, a.on, a.opportunity_id, a.bucket) for a in acts]  # noqa: E731
        assert strip(again.activities(limit=10_000)) == strip(demo.activities(limit=10_000))
    finally:
        again.close()


@pytest.mark.parametrize("offset", range(1, 8))
def test_the_story_holds_whatever_the_day_of_the_week(offset: int, tmp_path: Path) -> None:
    """The demo is made relative to today: on each day of a week, every bucket gets its share of a
    slightly overloaded week, the near dip is too soon for new prospects, and the next one is
    still in reach of the quota."""
    today = TODAY + timedelta(days=offset)
    repo = open_repository(str(tmp_path / "demo.db"))
    try:
        build_demo(repo, today)
        status = analyse(repo.snapshot(today))
    finally:
        repo.close()
    allocation = status.allocation
    assert 0 < allocation.overloaded_hours < 5
    assert all(allocation[b].percent >= 20 for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW))
    p = status.projection
    assert p.too_late and p.first_dry_week is not None and (p.first_dry_week - today).days <= 21
    assert p.next_dry_week is not None and not p.week(p.next_dry_week).dry_with_quota
    assert 45 <= status.cycle.days <= 75
