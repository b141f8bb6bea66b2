"""The suggested split of the week (SPEC §3.2) and where its parameters come from (SPEC §3.1)."""

import math

import pytest
from engine_builders import counts
from hypothesis import given, settings as hyp_settings, strategies as st

from planner.domain.allocation import allocation, funnel_parameters
from planner.domain.models import Bucket, BucketHistory, History
from planner.domain.settings import Settings

DEFAULTS = Settings()
PARAMS = funnel_parameters(DEFAULTS, History())


def percents(split):
    return (split[Bucket.BEST_FEW].percent, split[Bucket.ABOVE].percent, split[Bucket.IN].percent)


# --- the worked examples of SPEC §3.2 --------------------------------------------------------


def test_default_funnel_needs_15_27_18_days_and_these_stocks():
    assert [PARAMS.residence_days[b].value for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)] == [15, 27, 18]
    assert PARAMS.target_stock[Bucket.ABOVE] == pytest.approx(4.1667, abs=1e-4)
    assert PARAMS.target_stock[Bucket.IN] == pytest.approx(3.75)
    assert PARAMS.target_stock[Bucket.BEST_FEW] == pytest.approx(1.5)


def test_worked_example_one_four_in_two_best_few_empty_top():
    split = allocation(counts(above=0, in_=4, best_few=2), PARAMS, DEFAULTS)
    assert split[Bucket.BEST_FEW].demanded_hours == pytest.approx(3.111, abs=1e-3)
    assert split[Bucket.ABOVE].demanded_hours == pytest.approx(6.806, abs=1e-3)
    assert split[Bucket.IN].demanded_hours == pytest.approx(6.222, abs=1e-3)
    assert split.prospects_per_week == pytest.approx(3.889, abs=1e-3)
    assert [round(split[b].hours, 3) for b in (Bucket.BEST_FEW, Bucket.ABOVE, Bucket.IN)] == [3.111, 6.806, 5.083]
    assert percents(split) == (21, 45, 34)
    assert round(split.overloaded_hours, 1) == 1.1


def test_worked_example_two_crowded_best_few_takes_all_but_the_floor():
    split = allocation(counts(above=6, in_=15, best_few=12), PARAMS, DEFAULTS)
    assert percents(split) == (85, 15, 0)
    assert round(split.overloaded_hours, 1) == 33.1
    assert split.prospects_per_week == pytest.approx(1.944, abs=1e-3)
    assert split[Bucket.BEST_FEW].hours == pytest.approx(12.75)
    assert split[Bucket.ABOVE].hours == pytest.approx(2.25)


# --- reasons -----------------------------------------------------------------------------------


def test_each_share_explains_its_arithmetic_in_one_line():
    split = allocation(counts(above=0, in_=4, best_few=2), PARAMS, DEFAULTS)
    assert split[Bucket.BEST_FEW].reason == "Best Few: 2 deals × 4.0 h over ~18 days → 3.1 h/week"
    above = split[Bucket.ABOVE].reason
    assert "3.9 new prospects/week" in above and "4.2 prospects needed (you have 0)" in above
    assert "only 5.1 h left" in split[Bucket.IN].reason
    assert all("\n" not in split[b].reason for b in Bucket if b.is_open)


def test_reasons_say_when_best_few_is_capped_and_the_floor_holds_prospecting():
    split = allocation(counts(above=6, in_=15, best_few=12), PARAMS, DEFAULTS)
    assert "capped at 12.8 h" in split[Bucket.BEST_FEW].reason
    assert "15% prospecting floor" in split[Bucket.ABOVE].reason


def test_floor_lifts_above_when_its_own_demand_is_small():
    # Plenty of prospects and cheap prospecting: Above demands less than the floor.
    light = Settings(effort_hours={Bucket.ABOVE: 0.1, Bucket.IN: 6.0, Bucket.BEST_FEW: 4.0}, prospect_hours=0.1,
                     hours_per_week=40)
    split = allocation(counts(above=5, in_=40, best_few=0), funnel_parameters(light, History()), light)
    assert split[Bucket.ABOVE].hours == pytest.approx(0.15 * 40)
    assert "raised to the 15% prospecting floor" in split[Bucket.ABOVE].reason


# --- edge cases --------------------------------------------------------------------------------


def test_light_week_is_not_overloaded_and_spare_hours_go_to_prospecting():
    split = allocation(counts(above=5, in_=1, best_few=1), PARAMS, DEFAULTS)
    assert split.overloaded_hours == 0
    spare = 15 - sum(split[b].demanded_hours for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW))
    assert split[Bucket.ABOVE].hours == pytest.approx(split[Bucket.ABOVE].demanded_hours + spare)
    assert "nothing else needs" in split[Bucket.ABOVE].reason


def test_empty_funnel_gives_the_whole_week_to_above():
    split = allocation(counts(), PARAMS, DEFAULTS)
    assert percents(split) == (0, 100, 0)


def test_half_an_hour_a_week_still_splits_into_whole_percentages():
    tiny = Settings(hours_per_week=0.5)
    split = allocation(counts(above=1, in_=3, best_few=1), funnel_parameters(tiny, History()), tiny)
    assert sum(percents(split)) == 100
    assert split[Bucket.ABOVE].percent >= 15


def test_no_hours_at_all_does_not_divide_by_zero():
    none = Settings(hours_per_week=0)
    split = allocation(counts(in_=2, best_few=1), funnel_parameters(none, History()), none)
    assert percents(split) == (0, 100, 0)
    assert split.overloaded_hours > 0


# --- where the parameters come from (SPEC §3.1) -------------------------------------------------


def stays(n, days=10.0, passed=None):
    return BucketHistory(exits=n, passed=n if passed is None else passed, stays=n, median_dwell_days=days)


def test_residence_is_measured_from_five_finished_stays_not_four():
    four = funnel_parameters(DEFAULTS, History(buckets={Bucket.IN: stays(4, 9.0)}))
    five = funnel_parameters(DEFAULTS, History(buckets={Bucket.IN: stays(5, 9.0)}))
    assert (four.residence_days[Bucket.IN].value, four.residence_days[Bucket.IN].source) == (27, "default")
    assert (five.residence_days[Bucket.IN].value, five.residence_days[Bucket.IN].source) == (9, "measured")
    assert five.residence_days[Bucket.IN].samples == 5


def test_residence_is_the_median_stay():
    history = History(buckets={Bucket.ABOVE: BucketHistory(stays=5, median_dwell_days=8.0)})
    assert funnel_parameters(DEFAULTS, history).residence_days[Bucket.ABOVE].value == 8


def test_a_median_stay_under_a_day_counts_as_a_day():
    history = History(buckets={Bucket.ABOVE: BucketHistory(stays=5, median_dwell_days=0.25)})
    assert funnel_parameters(DEFAULTS, history).residence_days[Bucket.ABOVE].value == 1


def test_pass_rate_is_measured_from_five_exits_not_four():
    four = funnel_parameters(DEFAULTS, History(buckets={Bucket.BEST_FEW: stays(4, passed=1)}))
    five = funnel_parameters(DEFAULTS, History(buckets={Bucket.BEST_FEW: stays(5, passed=2)}))
    assert (four.pass_rate[Bucket.BEST_FEW].value, four.pass_rate[Bucket.BEST_FEW].source) == (0.8, "default")
    assert (five.pass_rate[Bucket.BEST_FEW].value, five.pass_rate[Bucket.BEST_FEW].source) == (0.4, "measured")


def test_the_users_settings_beat_what_was_measured():
    history = History(buckets={Bucket.IN: stays(8, 9.0, passed=2)})
    mine = Settings(residence_days={Bucket.ABOVE: None, Bucket.IN: 20.0, Bucket.BEST_FEW: None},
                    pass_rate={Bucket.ABOVE: None, Bucket.IN: 0.9, Bucket.BEST_FEW: None})
    params = funnel_parameters(mine, history)
    assert (params.residence_days[Bucket.IN].value, params.residence_days[Bucket.IN].source) == (20, "setting")
    assert (params.pass_rate[Bucket.IN].value, params.pass_rate[Bucket.IN].source) == (0.9, "setting")


def test_default_residence_follows_a_measured_cycle():
    params = funnel_parameters(DEFAULTS, History(won_deals=3, median_cycle_days=40.0))
    assert params.cycle.days == 40
    assert params.residence_days[Bucket.ABOVE].value == pytest.approx(10)


def test_a_bucket_nothing_ever_passed_still_gives_a_finite_plan():
    history = History(buckets={Bucket.ABOVE: stays(6, passed=0)})
    params = funnel_parameters(DEFAULTS, history)
    split = allocation(counts(above=3), params, DEFAULTS)
    assert math.isfinite(split.prospects_per_week) and split.prospects_per_week > 100
    assert sum(percents(split)) == 100


def test_flows_and_stocks_follow_littles_law():
    params = funnel_parameters(Settings(goal_wins_per_month=3), History())
    assert params.flow_per_day[Bucket.BEST_FEW] == pytest.approx(3 / 30 / 0.8)
    assert params.flow_per_day[Bucket.ABOVE] == pytest.approx(3 / 30 / 0.8 / 0.6 / 0.5)
    for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW):
        assert params.target_stock[b] == pytest.approx(params.flow_per_day[b] * params.residence_days[b].value)


# --- properties of SPEC §3.2 ---------------------------------------------------------------------

settings_strategy = st.builds(
    lambda h, c, g, floor, e_above, e_in, e_bf, e_p: Settings(
        hours_per_week=h, cycle_days=c, goal_wins_per_month=g, prospecting_floor=floor,
        effort_hours={Bucket.ABOVE: e_above, Bucket.IN: e_in, Bucket.BEST_FEW: e_bf}, prospect_hours=e_p),
    st.floats(0.5, 100), st.integers(1, 3650), st.floats(0.1, 50), st.floats(0, 0.9),
    st.floats(0.1, 50), st.floats(0.1, 50), st.floats(0.1, 50), st.floats(0.1, 20),
)
bucket_counts = st.builds(counts, st.integers(0, 200), st.integers(0, 200), st.integers(0, 200))


@hyp_settings(max_examples=300, deadline=None)
@given(settings_strategy, bucket_counts)
def test_shares_are_whole_percentages_summing_to_100_and_above_keeps_its_floor(mine, n):
    split = allocation(n, funnel_parameters(mine, History()), mine)
    shares = [split[b].percent for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)]
    assert all(isinstance(p, int) and p >= 0 for p in shares)
    assert sum(shares) == 100
    assert split[Bucket.ABOVE].hours >= mine.prospecting_floor * mine.hours_per_week - 1e-9
    assert sum(split[b].hours for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)) == pytest.approx(
        mine.hours_per_week)


@hyp_settings(max_examples=200, deadline=None)
@given(settings_strategy, bucket_counts, st.integers(1, 20))
def test_more_best_few_deals_never_lower_best_few_hours(mine, n, more):
    params = funnel_parameters(mine, History())
    fewer = allocation(n, params, mine)[Bucket.BEST_FEW].hours
    n_more = dict(n)
    n_more[Bucket.BEST_FEW] += more
    assert allocation(n_more, params, mine)[Bucket.BEST_FEW].hours >= fewer - 1e-9


@hyp_settings(max_examples=200, deadline=None)
@given(settings_strategy, bucket_counts, st.data())
def test_an_emptier_top_never_lowers_above_hours(mine, n, data):
    params = funnel_parameters(mine, History())
    target = params.target_stock[Bucket.ABOVE]
    if target < 1:
        return  # no n ≥ 1 with n ≤ N*_above to compare
    above = data.draw(st.integers(1, int(target)))
    fuller = {**n, Bucket.ABOVE: above}
    emptier = {**n, Bucket.ABOVE: above - 1}
    assert allocation(emptier, params, mine)[Bucket.ABOVE].hours >= allocation(fuller, params, mine)[
        Bucket.ABOVE].hours - 1e-9
