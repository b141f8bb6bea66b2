"""The suggested split of the week (SPEC §3.3, reference model v2) and where its parameters come from
(SPEC §3.1, §3.2)."""

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


# --- the worked examples of SPEC §3.3 (reference model v2) --------------------------------------


def test_default_funnel_needs_15_27_18_days_and_these_stocks():
    assert [PARAMS.residence_days[b].value for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)] == [15, 27, 18]
    assert PARAMS.target_stock[Bucket.ABOVE] == pytest.approx(4.1667, abs=1e-4)
    assert PARAMS.target_stock[Bucket.IN] == pytest.approx(3.75)
    assert PARAMS.target_stock[Bucket.BEST_FEW] == pytest.approx(1.5)


def hours(split):
    return [round(split[b].hours, 3) for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)]


def test_worked_example_one_overloaded_week_shares_the_shortfall_in_proportion_to_demand():
    split = allocation(counts(above=0, in_=4, best_few=2), PARAMS, DEFAULTS)
    assert split[Bucket.BEST_FEW].demanded_hours == pytest.approx(3.111, abs=1e-3)
    assert split[Bucket.ABOVE].demanded_hours == pytest.approx(6.806, abs=1e-3)
    assert split[Bucket.IN].demanded_hours == pytest.approx(6.222, abs=1e-3)
    assert split.demanded_hours == pytest.approx(16.139, abs=1e-3)
    assert split.prospects_per_week == pytest.approx(3.889, abs=1e-3)
    assert split.prospect_quota == 4
    assert round(split.overloaded_hours, 3) == 1.139
    assert hours(split) == [6.325, 5.783, 2.892]
    assert (split[Bucket.ABOVE].percent, split[Bucket.IN].percent, split[Bucket.BEST_FEW].percent) == (42, 39, 19)
    assert not split.floor_binds


def test_worked_example_two_the_floor_holds_and_in_and_best_few_share_the_rest():
    split = allocation(counts(above=6, in_=15, best_few=12), PARAMS, DEFAULTS)
    assert [round(split[b].demanded_hours, 3) for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)] == [
        6.144, 23.333, 18.667]
    assert split.prospects_per_week == pytest.approx(1.944, abs=1e-3)
    assert round(split.overloaded_hours, 3) == 33.144
    assert hours(split) == [2.25, 7.083, 5.667]
    assert (split[Bucket.ABOVE].percent, split[Bucket.IN].percent, split[Bucket.BEST_FEW].percent) == (15, 47, 38)
    assert split.floor_binds


def test_three_very_different_funnels_get_three_different_splits():
    # The three consultants all got 15/0/85 from v1.
    splits = {tuple(allocation(counts(*n), PARAMS, DEFAULTS)[b].percent for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW))
              for n in ((6, 15, 12), (20, 3, 9), (6, 18, 10))}
    assert len(splits) == 3
    assert all(share[1] > 0 for share in splits)


# --- reasons -----------------------------------------------------------------------------------


def test_each_share_says_what_it_asked_and_what_it_got_in_one_line():
    split = allocation(counts(above=0, in_=4, best_few=2), PARAMS, DEFAULTS)
    assert split[Bucket.BEST_FEW].reason.startswith(
        "Best Few: 2 deals × 4.0 h over ~18 days → 3.1 h/week asked, 2.9 h given")
    assert split[Bucket.IN].reason.startswith("In: 4 deals × 6.0 h over ~27 days → 6.2 h/week asked, 5.8 h given")
    above = split[Bucket.ABOVE].reason
    assert above.startswith("Above: 4.2 prospects needed (you have 0) × 1.5 h over ~15 days + 3.9 new "
                            "prospects/week × 1.0 h → 6.8 h/week asked, 6.3 h given")
    assert "the week is 1.1 h short" in above
    assert all("\n" not in split[b].reason for b in Bucket if b.is_open)


def test_reasons_say_when_the_floor_holds_prospecting():
    split = allocation(counts(above=6, in_=15, best_few=12), PARAMS, DEFAULTS)
    assert "raised to the 15% prospecting floor" in split[Bucket.ABOVE].reason
    assert "after the 15% prospecting floor" in split[Bucket.BEST_FEW].reason
    assert split[Bucket.BEST_FEW].reason.startswith("Best Few: 12 deals × 4.0 h over ~18 days → 18.7 h/week asked, "
                                                    "5.7 h given")


def test_floor_lifts_above_when_in_and_best_few_ask_for_nearly_the_whole_week():
    # The funnel fits the week, but In and Best Few together leave Above less than the floor.
    light = Settings(effort_hours={Bucket.ABOVE: 0.1, Bucket.IN: 6.0, Bucket.BEST_FEW: 4.0}, prospect_hours=0.1,
                     hours_per_week=40)
    params = funnel_parameters(light, History())
    split = allocation(counts(above=5, in_=24, best_few=0), params, light)
    assert split.overloaded_hours == 0
    assert split[Bucket.ABOVE].hours == pytest.approx(0.15 * 40)
    assert split[Bucket.IN].hours == pytest.approx(40 - 6)
    assert "raised to the 15% prospecting floor" in split[Bucket.ABOVE].reason


# --- edge cases --------------------------------------------------------------------------------


def test_light_week_gives_every_bucket_its_demand_and_spare_hours_to_prospecting():
    split = allocation(counts(above=5, in_=1, best_few=1), PARAMS, DEFAULTS)
    assert split.overloaded_hours == 0
    for b in (Bucket.IN, Bucket.BEST_FEW):
        assert split[b].hours == pytest.approx(split[b].demanded_hours)
    spare = 15 - split.demanded_hours
    assert split[Bucket.ABOVE].hours == pytest.approx(split[Bucket.ABOVE].demanded_hours + spare)
    assert "nothing else needs go to prospecting" in split[Bucket.ABOVE].reason


def test_empty_funnel_gives_the_whole_week_to_above():
    split = allocation(counts(), PARAMS, DEFAULTS)
    assert percents(split) == (0, 100, 0)


def test_a_bucket_given_hours_never_shows_zero_percent():
    # One Best Few deal beside a huge In: 0.3 % of the week rounds to 0, shown as 1 %.
    split = allocation(counts(above=6, in_=300, best_few=1), PARAMS, DEFAULTS)
    assert split[Bucket.BEST_FEW].hours > 0 and split[Bucket.BEST_FEW].percent == 1
    assert sum(percents(split)) == 100


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


# --- the user's own split and the quota ---------------------------------------------------------------


def test_the_own_split_says_what_it_gives_each_bucket_beside_its_demand():
    from planner.domain.allocation import own_split

    suggestion = allocation(counts(above=0, in_=4, best_few=2), PARAMS, DEFAULTS)
    mine = own_split({Bucket.ABOVE: 70, Bucket.IN: 10, Bucket.BEST_FEW: 20}, suggestion)
    assert mine.underserved == (Bucket.IN,)
    assert mine[Bucket.IN].hours == pytest.approx(1.5)
    assert mine[Bucket.IN].demanded_hours == suggestion[Bucket.IN].demanded_hours
    assert mine[Bucket.IN].reason == ("In: your 10 % = 1.5 h of the 6.2 h/week its deals ask — under half of it "
                                      "(the suggestion gives 5.8 h)")
    assert mine[Bucket.BEST_FEW].reason == "Best Few: your 20 % = 3.0 h of the 3.1 h/week its deals ask — 96% of it"
    assert "under half" not in mine[Bucket.ABOVE].reason


def test_the_quota_is_p_rounded_up_and_today_gets_its_share_of_what_is_left():
    from datetime import date

    from planner.domain.allocation import prospecting_quota

    split = allocation(counts(above=0, in_=4, best_few=2), PARAMS, DEFAULTS)  # P = 3.889
    wednesday = date(2026, 3, 4)
    quota = prospecting_quota(split, wednesday, done_week=1, done_today=0)
    assert (quota.week, quota.working_days_left, quota.today) == (4, 3, 1)  # 3 left over Wed–Fri
    assert prospecting_quota(split, wednesday, done_week=2, done_today=1).today == 1  # 3 left when today began
    friday = prospecting_quota(split, date(2026, 3, 6), done_week=0)
    assert (friday.working_days_left, friday.today) == (1, 4)
    assert prospecting_quota(split, date(2026, 3, 7), done_week=5).today == 0  # a Saturday, quota met


# --- where the parameters come from (SPEC §3.1) -------------------------------------------------


def stays(n, days=10.0, passed=None):
    passed = n if passed is None else passed
    return BucketHistory(passed=passed, failed=n - passed, stays=n, median_dwell_days=days)


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


def test_pass_rate_is_measured_from_five_outcomes_not_four():
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
    params = funnel_parameters(DEFAULTS, History(cycle_samples=3, median_cycle_days=40.0))
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


# --- properties of SPEC §3.3 ---------------------------------------------------------------------

settings_strategy = st.builds(
    lambda h, c, g, floor, e_above, e_in, e_bf, e_p: Settings(
        hours_per_week=h, cycle_days=c, goal_wins_per_month=g, prospecting_floor=floor,
        effort_hours={Bucket.ABOVE: e_above, Bucket.IN: e_in, Bucket.BEST_FEW: e_bf}, prospect_hours=e_p),
    st.floats(0.5, 100), st.integers(1, 3650), st.floats(0.1, 50), st.floats(0, 0.9),
    st.floats(0.1, 50), st.floats(0.1, 50), st.floats(0.1, 50), st.floats(0.1, 20),
)
# Real funnels hold a handful of deals per bucket: small counts come up often, large ones too.
deal_count = st.one_of(st.integers(0, 15), st.integers(0, 200))
bucket_counts = st.builds(counts, deal_count, deal_count, deal_count)


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


@hyp_settings(max_examples=300, deadline=None)
@given(settings_strategy, bucket_counts)
def test_a_bucket_with_deals_never_gets_zero_hours(mine, n):
    split = allocation(n, funnel_parameters(mine, History()), mine)
    for bucket in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW):
        if n[bucket] > 0:
            assert split[bucket].hours > 0, bucket
            assert split[bucket].percent > 0, bucket


@hyp_settings(max_examples=300, deadline=None)
@given(settings_strategy, bucket_counts)
def test_when_the_week_holds_the_funnel_and_the_floor_does_not_bind_every_bucket_gets_its_demand(mine, n):
    split = allocation(n, funnel_parameters(mine, History()), mine)
    if split.overloaded_hours > 0 or split.floor_binds:
        return
    for bucket in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW):
        assert split[bucket].hours >= split[bucket].demanded_hours - 1e-9, bucket


@hyp_settings(max_examples=300, deadline=None)
@given(settings_strategy, bucket_counts)
def test_the_floor_binds_only_when_above_would_get_less_than_the_floor(mine, n):
    params = funnel_parameters(mine, History())
    split = allocation(n, params, mine)
    floor = mine.prospecting_floor * mine.hours_per_week
    if split.floor_binds:
        assert split[Bucket.ABOVE].hours == pytest.approx(floor)
        d_in, d_bf = split[Bucket.IN].demanded_hours, split[Bucket.BEST_FEW].demanded_hours
        if d_in > 0 and d_bf > 0:  # In and Best Few share the rest in proportion to their demand
            assert split[Bucket.IN].hours / split[Bucket.BEST_FEW].hours == pytest.approx(d_in / d_bf)


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
