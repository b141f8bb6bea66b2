"""Forecast categories, weighted forecast, coverage and the Insights statistics (SPEC §2 Insights)."""

import pytest
from engine_builders import deal, snapshot

from planner.domain.allocation import funnel_parameters
from planner.domain.forecast import cycle_bin_edges, forecast, insights
from planner.domain.models import Bucket, BucketHistory, CycleBin, History
from planner.domain.settings import Settings
from planner.domain.status import analyse

DEFAULTS = Settings()
PARAMS = funnel_parameters(DEFAULTS, History())

DEALS = (
    deal(1, Bucket.BEST_FEW, value_cents=1_000_000),
    deal(2, Bucket.IN, value_cents=500_000),
    deal(3, Bucket.IN, value_cents=300_000),
    deal(4, Bucket.ABOVE, value_cents=200_000),
)


def test_buckets_become_commit_best_case_and_pipeline():
    result = forecast(DEALS, PARAMS, DEFAULTS)
    assert [(c.name, c.bucket, c.count, c.value_cents) for c in result.categories] == [
        ("commit", Bucket.BEST_FEW, 1, 1_000_000),
        ("best case", Bucket.IN, 2, 800_000),
        ("pipeline", Bucket.ABOVE, 1, 200_000),
    ]


def test_each_deal_is_weighted_by_its_buckets_chance_of_winning():
    result = forecast(DEALS, PARAMS, DEFAULTS)
    commit, best_case, pipeline = result.categories
    assert (commit.win_probability, best_case.win_probability, pipeline.win_probability) == pytest.approx(
        (0.8, 0.48, 0.24))
    assert (commit.weighted_value_cents, best_case.weighted_value_cents, pipeline.weighted_value_cents) == (
        800_000, 384_000, 48_000)
    assert result.weighted_value_cents == 1_232_000
    assert result.expected_wins == pytest.approx(0.8 + 0.96 + 0.24)


def test_goal_and_coverage_over_one_normal_cycle():
    result = forecast(DEALS, PARAMS, DEFAULTS)
    assert (result.horizon_days, result.goal_wins) == (60, pytest.approx(4))
    assert result.coverage == pytest.approx(2.0 / 4)  # expected wins / wins wanted
    assert result.rule_of_thumb_coverage == pytest.approx(4 / 12)  # 4 open deals / (3 × 4 wins)


def test_better_conversion_raises_coverage_for_the_same_deals():
    history = History(buckets={Bucket.ABOVE: BucketHistory(exits=10, passed=9)})
    params = funnel_parameters(DEFAULTS, history)
    assert forecast(DEALS, params, DEFAULTS).coverage > forecast(DEALS, PARAMS, DEFAULTS).coverage


def test_insights_show_each_bucket_with_where_its_numbers_come_from():
    history = History(
        won_deals=4,
        median_cycle_days=47.0,
        buckets={Bucket.IN: BucketHistory(exits=6, passed=3, stays=6, median_dwell_days=17.0)},
    )
    snap = snapshot(DEALS, history=history)
    distribution = (CycleBin(28, 41, 1), CycleBin(42, 55, 2), CycleBin(56, 69, 0), CycleBin(70, 83, 1))
    result = insights(snap, analyse(snap), distribution)
    assert result.cycle.description == "median of 4 won deals" and result.cycle.days == 47
    assert result.distribution == distribution
    in_stats = result.buckets[Bucket.IN]
    assert (in_stats.conversion.value, in_stats.conversion.source, in_stats.exits) == (0.5, "measured", 6)
    assert (in_stats.dwell_days.value, in_stats.dwell_days.source) == (17, "measured")
    assert result.buckets[Bucket.ABOVE].conversion.source == "default"
    assert result.forecast.horizon_days == 47


@pytest.mark.parametrize(("low", "high", "edges"), [
    (40, 40, [(40, 40)]),
    (30, 37, [(30, 30), (31, 31), (32, 32), (33, 33), (34, 34), (35, 35), (36, 36), (37, 37)]),
    (10, 20, [(10, 11), (12, 13), (14, 15), (16, 17), (18, 19), (20, 21)]),
    (5, 244, [(0, 34), (35, 69), (70, 104), (105, 139), (140, 174), (175, 209), (210, 244)]),
])
def test_cycle_distribution_ranges_cover_every_length_in_at_most_eight_readable_steps(low, high, edges):
    assert cycle_bin_edges(low, high) == edges
    assert len(edges) <= 8 and edges[0][0] <= low and edges[-1][1] >= high
