"""The roller-coaster projection (SPEC §3.5)."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from engine_builders import MONDAY, TODAY, day, deal, healthy_deals, week

from planner.domain.allocation import funnel_parameters
from planner.domain.models import Bucket, History
from planner.domain.projection import deal_weight, expected_close, projection
from planner.domain.settings import Settings

DEFAULTS = Settings()
PARAMS = funnel_parameters(DEFAULTS, History())


def project(deals, settings=DEFAULTS, quota=0):
    return projection(TODAY, tuple(deals), funnel_parameters(settings, History()), settings, quota=quota)


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


def test_a_close_date_already_past_is_redated_as_if_it_had_none_at_half_weight():
    # In Best Few for 3 days: ~15 more days, so it lands in the week of 7 December, at half of 0.8.
    result = project([deal(1, Bucket.BEST_FEW, expected_close=day(-10))])
    assert wins_by_week(result) == {week(2): 0.4}
    assert (result.slipped, result.stale, result.half_weight) == (1, 0, 1)


def test_a_stale_deal_counts_at_half_weight():
    result = project([deal(1, Bucket.IN, expected_close=day(8), last_touched_on=day(-40))])  # In stays ~27 days
    assert wins_by_week(result) == {week(1): 0.24}
    assert (result.slipped, result.stale) == (0, 1)


def test_without_a_close_date_the_deal_closes_after_the_rest_of_its_stays():
    # In since 10 days: 27 − 10 = 17 more days In, then ~18 days in Best Few.
    opp = deal(1, Bucket.IN, entered_bucket_on=day(-10))
    assert expected_close(opp, TODAY, PARAMS) == day(35)
    # Overstayed its bucket: only the later stays remain.
    assert expected_close(deal(2, Bucket.IN, entered_bucket_on=day(-50)), TODAY, PARAMS) == day(18)


def test_a_prospect_added_today_lands_about_one_cycle_out():
    assert expected_close(deal(1, Bucket.ABOVE, entered_bucket_on=TODAY), TODAY, PARAMS) == day(60)


def test_a_well_kept_funnel_has_no_dry_week():
    result = project(healthy_deals())
    assert (result.first_dry_week, result.prospect_by, result.too_late) == (None, None, False)


def test_every_week_of_the_horizon_is_judged_so_one_quiet_week_is_a_dry_week():
    deals = [d for d in healthy_deals() if d.id != 2]  # week 2 now expects nothing
    result = project(deals)
    assert result.first_dry_week == week(2)


def test_this_week_is_shown_not_judged():
    result = project(healthy_deals())  # nothing closes this week
    assert result.weeks[0].expected_wins == 0 and not result.weeks[0].judged and not result.weeks[0].dry
    assert result.first_dry_week is None


def test_a_dip_inside_one_cycle_is_too_late_for_new_prospects_and_names_the_in_deals_to_pull_forward():
    deals = [deal(1, Bucket.BEST_FEW, expected_close=day(5)), deal(2, Bucket.BEST_FEW, expected_close=day(6)),
             deal(3, Bucket.IN, expected_close=day(40)), deal(4, Bucket.IN, expected_close=day(20)),
             deal(5, Bucket.IN, expected_close=day(9))]
    result = project(deals)
    # Week 1 holds 1.6 + 0.48 expected wins; week 2 nothing, and it starts 12 days from today.
    assert result.first_dry_week == week(2)
    assert (result.prospect_by, result.too_late) == (None, True)
    assert result.pull_forward == (4, 3)  # expected after the dry week, soonest first; #5 closes before it


def test_a_dip_beyond_one_cycle_gives_the_day_prospecting_must_start():
    deals = [d for d in healthy_deals() if d.id not in (17, 18, 19, 20)]  # weeks 10–13 empty out
    result = project(deals)
    assert result.first_dry_week == week(10)  # 1 February 2027
    assert result.prospect_by == week(10) - timedelta(days=60) and result.prospect_by >= TODAY
    assert not result.too_late and result.pull_forward == ()


def test_after_a_dip_too_near_for_prospects_the_next_dip_they_can_reach_gets_its_date():
    # Week 2 empties out (too late for new prospects), and so do weeks 10–13 (a cycle away).
    deals = [d for d in healthy_deals() if d.id not in (2, 17, 18, 19, 20)]
    result = project(deals, quota=4)
    assert (result.first_dry_week, result.too_late, result.dry_run) == (week(2), True, 1)
    assert result.next_dry_week == week(10)
    assert result.next_prospect_by == week(10) - timedelta(days=60) >= TODAY
    assert not result.week(week(10)).dry_with_quota  # 4 a week fill it
    assert result.too_late_weeks == 1
    # An empty funnel: one long dip, too near for new prospects only until a cycle from today.
    empty = project([])
    assert (empty.first_dry_week, empty.next_dry_week) == (week(1), week(9))
    assert (empty.dry_run, empty.too_late_weeks) == (len(empty.weeks) - 1, 8)
    # A later dip still inside one cycle is no better: nothing new prospects can reach.
    near = [d for d in healthy_deals() if d.id not in (2, 12)]  # weeks 2 and 6 (4 January)
    assert project(near).too_late and project(near).next_dry_week is None
    # A dip that lasts: the dry weeks right after the first one are counted with it.
    longer = [d for d in healthy_deals() if d.id not in (2, 10)]  # weeks 2 and 3
    assert (project(longer).first_dry_week, project(longer).dry_run) == (week(2), 2)


def test_a_dip_a_cycle_away_has_its_own_prospect_by_and_no_next_dip():
    result = project([d for d in healthy_deals() if d.id not in (17, 18, 19, 20)])
    assert result.prospect_by is not None and result.next_dry_week is None and result.dry_run == 4


def test_the_second_series_keeps_prospecting_at_the_quota_from_today():
    deals = [d for d in healthy_deals() if d.id not in (17, 18, 19, 20)]
    result = project(deals, quota=4)
    # 4 prospects a week, each closing ~60 days after it is found with Above's 24 %: 0.96 a week
    # more from the week of today + 60 days on.
    for w in result.weeks:
        if w.start >= week(9) + timedelta(days=7):
            assert w.with_quota == pytest.approx(w.expected_wins + 4 * 0.24)
        if w.start < week(8):
            assert w.with_quota == w.expected_wins
    assert result.first_dry_week == week(10) and result.first_dry_week_with_quota is None
    assert result.quota == 4 and result.lead_days == 60


def test_a_short_cycle_is_judged_over_the_weeks_it_has():
    short = Settings(cycle_days=14)
    assert project([], short).first_dry_week == week(1)
    three = [deal(1, Bucket.BEST_FEW, expected_close=day(6)), deal(2, Bucket.BEST_FEW, expected_close=day(12)),
             deal(3, Bucket.BEST_FEW, expected_close=day(19)), deal(4, Bucket.BEST_FEW, expected_close=day(24))]
    assert project(three, short).first_dry_week is None


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
    """The projection puts every open deal in the week `expected_close` names, at the weight
    `deal_weight` gives it, whatever its dates and however long the typical stays (the two are
    written separately for speed)."""
    from planner.domain.models import BucketHistory

    history = History(buckets={Bucket.IN: BucketHistory(passed=5, failed=4, stays=9, median_dwell_days=dwell)})
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
                expected[index] += params.win_probability(opp.bucket) * deal_weight(opp, TODAY, params)
    assert [w.expected_wins for w in result.weeks] == pytest.approx(expected)
