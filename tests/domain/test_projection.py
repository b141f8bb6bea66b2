"""The roller-coaster projection (SPEC §3.4)."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from engine_builders import MONDAY, TODAY, day, deal, healthy_deals, week

from planner.domain.allocation import funnel_parameters
from planner.domain.models import Bucket, History
from planner.domain.projection import expected_close, projection
from planner.domain.settings import Settings

DEFAULTS = Settings()
PARAMS = funnel_parameters(DEFAULTS, History())


def project(deals, settings=DEFAULTS):
    return projection(TODAY, tuple(deals), funnel_parameters(settings, History()), settings)


def wins_by_week(result):
    return {w.start: round(w.expected_wins, 4) for w in result.weeks if w.expected_wins}


def test_weeks_run_from_this_monday_through_one_and_a_half_cycles():
    result = project([])
    assert result.weeks[0].start == MONDAY
    assert all(b.start - a.start == timedelta(weeks=1) for a, b in zip(result.weeks, result.weeks[1:]))
    last = TODAY + timedelta(days=90)
    assert result.weeks[-1].start <= last < result.weeks[-1].start + timedelta(weeks=1)
    assert result.weeks[0].goal == pytest.approx(2 * 7 / 30)


def test_each_deal_adds_its_chance_of_winning_in_the_week_it_should_close():
    result = project([deal(1, Bucket.BEST_FEW, expected_close=day(8)),
                      deal(2, Bucket.IN, expected_close=day(9)),
                      deal(3, Bucket.ABOVE, expected_close=day(40))])
    assert wins_by_week(result) == {week(1): 0.8 + 0.48, week(6): 0.24}


def test_a_close_date_already_past_counts_in_this_week():
    assert wins_by_week(project([deal(1, Bucket.BEST_FEW, expected_close=day(-10))])) == {MONDAY: 0.8}


def test_without_a_close_date_the_deal_closes_after_the_rest_of_its_stays():
    # In since 10 days: 27 − 10 = 17 more days In, then ~18 days in Best Few.
    opp = deal(1, Bucket.IN, entered_bucket_on=day(-10))
    assert expected_close(opp, TODAY, PARAMS) == day(35)
    # Overstayed its bucket: only the later stays remain.
    assert expected_close(deal(2, Bucket.IN, entered_bucket_on=day(-50)), TODAY, PARAMS) == day(18)


def test_a_prospect_added_today_lands_about_one_cycle_out():
    assert expected_close(deal(1, Bucket.ABOVE, entered_bucket_on=TODAY), TODAY, PARAMS) == day(60)


def test_a_well_kept_funnel_has_no_dry_spell():
    result = project(healthy_deals())
    assert (result.first_dry_week, result.prospect_by) == (None, None)


def test_a_funnel_that_runs_out_names_its_first_dry_week_and_says_prospect_now():
    result = project([deal(1, Bucket.BEST_FEW, expected_close=day(5)), deal(2, Bucket.BEST_FEW, expected_close=day(6))])
    # Week 1 holds 1.6 expected wins; from week 2 on nothing is expected.
    assert result.first_dry_week == week(2)
    assert result.prospect_by == TODAY  # within one cycle, new prospects cannot arrive in time


def test_one_quiet_week_between_good_ones_is_not_a_dry_spell():
    deals = [d for d in healthy_deals() if d.id != 2]  # week 2 now expects nothing
    result = project(deals)
    assert [w for w in result.weeks if w.start == week(2)][0].dry
    assert result.first_dry_week is None


def test_this_week_being_dry_is_not_news():
    deals = healthy_deals()  # nothing closes this week
    result = project(deals)
    assert result.weeks[0].dry and result.first_dry_week is None


def test_weeks_beyond_one_cycle_are_left_to_this_weeks_prospecting():
    # The healthy funnel has nothing after week 8 (today + 60 days) and that is not flagged.
    result = project(healthy_deals())
    assert all(w.dry for w in result.weeks if w.start > week(8))
    assert result.first_dry_week is None


def test_a_dip_further_out_names_that_week():
    deals = [d for d in healthy_deals() if d.id not in (13, 14, 15)]  # weeks 7 and 8 empty out
    result = project(deals)
    # Weeks 5–8 hold 0.48 expected wins, under half the month's goal (0.93); week 7 is the first empty one.
    assert result.first_dry_week == week(7)


def test_a_short_cycle_is_judged_over_the_weeks_it_has():
    short = Settings(cycle_days=14)
    assert project([], short).first_dry_week == week(1)
    assert project([deal(1, Bucket.BEST_FEW, expected_close=day(6))], short).first_dry_week is None


def test_closed_deals_do_not_count():
    assert wins_by_week(project([deal(1, Bucket.WON, expected_close=day(3))])) == {}


@given(
    deals=st.lists(
        st.tuples(
            st.sampled_from([Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW, Bucket.WON]),
            st.one_of(st.none(), st.integers(-60, 200)),  # expected close, days from today
            st.one_of(st.none(), st.integers(-400, 5)),  # entered the bucket, days from today
        ),
        max_size=30,
    ),
    dwell=st.floats(min_value=0.5, max_value=120),
)
def test_each_deal_lands_in_the_week_of_its_expected_close(deals, dwell):
    """The projection puts every open deal in the week `expected_close` names, whatever its dates
    and however long the typical stays (the two are written separately for speed)."""
    from planner.domain.models import BucketHistory

    history = History(buckets={Bucket.IN: BucketHistory(exits=9, passed=5, stays=9, median_dwell_days=dwell)})
    params = funnel_parameters(DEFAULTS, history)
    opps = [deal(i, b, expected_close=day(c) if c is not None else None,
                 entered_bucket_on=day(e) if e is not None else None, created_on=day(-500))
            for i, (b, c, e) in enumerate(deals)]
    result = projection(TODAY, tuple(opps), params, DEFAULTS)
    expected = [0.0] * len(result.weeks)
    for opp in opps:
        if opp.bucket.is_open:
            index = (expected_close(opp, TODAY, params) - MONDAY).days // 7
            if 0 <= index < len(expected):
                expected[index] += params.win_probability(opp.bucket)
    assert [w.expected_wins for w in result.weeks] == pytest.approx(expected)
