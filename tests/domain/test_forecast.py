"""The forecast over one cycle, coverage and the Insights statistics (SPEC §2 Insights, §3.6)."""

import pytest
from engine_builders import TODAY, day, deal, snapshot

from planner.domain.allocation import funnel_parameters
from planner.domain.forecast import cycle_bin_edges, forecast, insights
from planner.domain.models import Bucket, BucketHistory, CycleBin, History
from planner.domain.settings import Settings
from planner.domain.status import analyse

DEFAULTS = Settings()
PARAMS = funnel_parameters(DEFAULTS, History())

DEALS = (
    deal(1, Bucket.BEST_FEW, value_cents=1_000_000, expected_close=day(10)),
    deal(2, Bucket.IN, value_cents=500_000, expected_close=day(30)),
    deal(3, Bucket.IN, value_cents=300_000),  # no date: ~24 more days In, then ~18 in Best Few
    deal(4, Bucket.ABOVE, value_cents=200_000),  # no date: ~57 days from today
)
BEYOND = deal(5, Bucket.IN, value_cents=900_000, expected_close=day(75))  # after the 60-day horizon


def run(deals=DEALS, params=PARAMS, settings=DEFAULTS):
    return forecast(TODAY, deals, params, settings)


def test_buckets_become_commit_best_case_and_pipeline():
    result = run()
    assert [(c.name, c.bucket, c.count, c.value_cents) for c in result.categories] == [
        ("commit", Bucket.BEST_FEW, 1, 1_000_000),
        ("best case", Bucket.IN, 2, 800_000),
        ("pipeline", Bucket.ABOVE, 1, 200_000),
    ]


def test_each_deal_is_weighted_by_its_buckets_chance_of_winning():
    result = run()
    commit, best_case, pipeline = result.categories
    assert (commit.win_probability, best_case.win_probability, pipeline.win_probability) == pytest.approx(
        (0.8, 0.48, 0.24))
    assert (commit.weighted_value_cents, best_case.weighted_value_cents, pipeline.weighted_value_cents) == (
        800_000, 384_000, 48_000)
    assert result.weighted_value_cents == 1_232_000
    assert result.expected_wins == pytest.approx(0.8 + 0.96 + 0.24)


def test_commit_and_best_case_are_the_range_around_the_weighted_value():
    result = run()
    assert result.commit_cents == 1_000_000  # Best Few at full value
    assert result.best_case_cents == 1_800_000  # Best Few + In at full value
    assert result.pipeline_cents == 2_000_000


def test_deals_expected_after_the_horizon_are_shown_apart_not_counted():
    result = run(DEALS + (BEYOND,))
    assert (result.beyond_count, result.beyond_value_cents) == (1, 900_000)
    assert result.categories[1].count == 2 and result.best_case_cents == 1_800_000
    assert result.expected_wins == pytest.approx(run().expected_wins)


def test_goal_over_one_normal_cycle_in_wins_and_with_a_value_goal_in_money():
    result = run()
    assert (result.horizon_days, result.goal_wins) == (60, pytest.approx(4))
    assert (result.goal_value_cents, result.coverage) == (None, None)  # no money goal set
    assert result.coverage_deals == pytest.approx(4 / 4)  # 4 deals inside the horizon / 4 wins wanted
    assert result.rule_of_thumb == 3
    assert result.required_coverage == pytest.approx(1 / 0.24)  # 1 ÷ the win rate from Above

    money = Settings(goal_value_per_month=10_000)
    result = run(settings=money)
    assert result.goal_value_cents == 2_000_000  # 10,000 a month over two months
    assert result.coverage == pytest.approx(20_000 / 20_000)


def test_slipped_and_stale_deals_count_at_half_weight():
    slipped = (deal(1, Bucket.BEST_FEW, value_cents=1_000_000, expected_close=day(-4)),)
    result = run(slipped)
    assert result.categories[0].expected_wins == pytest.approx(0.4)
    assert result.categories[0].weighted_value_cents == 400_000 and result.half_weight == 1
    assert result.commit_cents == 1_000_000  # the commit total is still the deal's full value


def test_better_conversion_lowers_the_coverage_the_users_rates_require():
    history = History(buckets={Bucket.ABOVE: BucketHistory(passed=9, failed=1)})
    params = funnel_parameters(DEFAULTS, history)
    assert run(params=params).required_coverage < run().required_coverage
    assert run(params=params).expected_wins > run().expected_wins


def test_insights_show_each_bucket_with_where_its_numbers_come_from():
    history = History(
        cycle_samples=4,
        median_cycle_days=47.0,
        buckets={Bucket.IN: BucketHistory(passed=3, failed=3, stays=6, median_dwell_days=17.0)},
    )
    snap = snapshot(DEALS, history=history)
    distribution = (CycleBin(28, 41, 1), CycleBin(42, 55, 2), CycleBin(56, 69, 0), CycleBin(70, 83, 1))
    result = insights(snap, analyse(snap), distribution)
    assert result.cycle.description == "median of 4 won deals" and result.cycle.days == 47
    assert result.distribution == distribution
    in_stats = result.buckets[Bucket.IN]
    assert (in_stats.conversion.value, in_stats.conversion.source, in_stats.outcomes) == (0.5, "measured", 6)
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
