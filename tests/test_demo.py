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
    assert 10 <= counts[Bucket.ABOVE] <= 12
    assert 10 <= counts[Bucket.IN] <= 12
    assert 6 <= counts[Bucket.BEST_FEW] <= 8
    deals = demo.open_deals()
    assert all(o.account and o.contact and o.value_cents > 0 and o.source for o in deals)
    dues = [o.next_action_due for o in deals]
    assert sum(1 for d in dues if d is not None and d < TODAY) >= 3  # some overdue
    assert sum(1 for d in dues if d == TODAY) >= 2  # some due today
    assert 1 <= sum(1 for o in deals if not o.next_action) <= 2  # one or two missing


def test_history_measures_the_cycle_dwell_times_and_conversion(demo) -> None:
    closed = [o for o in demo.list() if not o.is_open]
    assert len(closed) >= 40
    won = [o for o in closed if o.bucket is Bucket.WON]
    assert all(o.first_contact and o.closed_on for o in won)
    assert min(o.closed_on for o in closed) >= TODAY - timedelta(days=400)
    assert TODAY - timedelta(days=60) <= max(o.closed_on for o in closed) < TODAY
    snapshot = demo.snapshot(TODAY)
    status = analyse(snapshot)
    assert status.cycle.source == "measured" and status.cycle.samples == len(won)
    assert 45 <= status.cycle.days <= 75
    assert status.cycle.days == median((o.closed_on - o.first_contact).days for o in won)
    for stats in insights(snapshot, status).buckets.values():
        assert stats.conversion.source == "measured" and 0.3 < stats.conversion.value < 0.95
        assert stats.dwell_days.source == "measured"


def test_most_flags_have_something_to_say(demo) -> None:
    status = analyse(demo.snapshot(TODAY))
    codes = {f.code for f in status.flags}
    assert {
        "best_few_too_far",
        "best_few_inflated",
        "uncovered_influences",
        "stale",
        "overdue_action",
        "no_next_action",
        "poor_fit",
        "overloaded",
    } <= codes
    assert "empty_top" not in codes
    assert all(status.allocation[b].percent > 0 for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW))


def test_influences_and_ideal_customer_criteria(demo) -> None:
    criteria = demo.criteria()
    assert 4 <= len(criteria) <= 6 and {c.kind.value for c in criteria} == {"demographic", "psychographic"}
    assert all(1 <= c.weight <= 3 for c in criteria)
    best_few = demo.list(Bucket.BEST_FEW)
    assert sum(1 for o in best_few if not any(i.role is Role.ECONOMIC for i in o.influences)) == 1
    assert any(i.covered is False for o in demo.list(Bucket.IN) for i in o.influences)
    fits = [fit_score(criteria, o.criteria_met) for o in demo.list(Bucket.ABOVE)]
    assert sum(1 for f in fits if f is not None and f < 50) == 1


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
