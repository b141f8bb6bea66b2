"""Flags (SPEC §3.4): each fires when its condition holds and stays quiet when it does not."""

from dataclasses import replace

import pytest
from engine_builders import TODAY, day, deal, healthy_deals, snapshot, swap, week

from planner.domain.flags import FLAG_CODES, move_warnings
from planner.domain.models import Bucket, Criterion, Influence, Role, Severity
from planner.domain.settings import Settings
from planner.domain.status import analyse


def flags_of(deals=None, **fields):
    return analyse(snapshot(deals, **fields)).flags


def codes(found, opportunity_id=None):
    return [f.code for f in found if opportunity_id is None or f.opportunity_id == opportunity_id]


def only(found, code):
    (flag,) = [f for f in found if f.code == code]
    return flag


def test_a_well_kept_funnel_raises_no_flag():
    assert flags_of() == ()


# --- the top of the funnel -------------------------------------------------------------------


def test_empty_top_is_critical_and_says_how_many_prospects_to_add():
    found = flags_of([d for d in healthy_deals() if d.bucket is not Bucket.ABOVE])
    flag = found[0]
    assert (flag.code, flag.severity) == ("empty_top", Severity.CRITICAL)
    assert flag.message == "Top of funnel is empty: add prospects — you need about 4 new ones a week"
    assert "thin_top" not in codes(found)


def test_thin_top_warns_below_the_stock_the_goal_needs():
    deals = [d for d in healthy_deals() if not 12 <= d.id <= 20]  # 2 of ~4.2 needed
    flag = only(flags_of(deals), "thin_top")
    assert flag.severity is Severity.WARNING
    # P = 7 · (λ_above + (4.17 − 2) / 15) = 2.96 new prospects a week.
    assert flag.message == ("Top of funnel is thin: 2 above the funnel where your goal needs about 4.2"
                            " — add about 3 new prospects this week")


def test_five_prospects_are_not_thin():
    deals = [d for d in healthy_deals() if not 15 <= d.id <= 20]
    assert "thin_top" not in codes(flags_of(deals))


# --- Best Few --------------------------------------------------------------------------------


def test_best_few_deal_without_a_close_date_is_flagged():
    found = flags_of(swap(healthy_deals(), 1, expected_close=None))
    flag = only(found, "best_few_no_close")
    assert (flag.opportunity_id, flag.severity) == (1, Severity.WARNING)
    assert "no expected close date" in flag.message and "2026-12-25" in flag.message
    assert "best_few_no_close" not in codes(flags_of(swap(healthy_deals(), 2, expected_close=None)))  # In: fine


def test_an_open_deal_whose_close_date_passed_has_slipped():
    found = flags_of(swap(swap(healthy_deals(), 1, expected_close=day(-2)), 2, expected_close=day(-1)))
    assert codes(found, 1) == ["close_date_passed"] and codes(found, 2) == ["close_date_passed"]
    best_few = [f for f in found if f.code == "close_date_passed" and f.opportunity_id == 1][0]
    assert "2026-11-23" in best_few.message and "move it back to In the Funnel" in best_few.message
    assert "half weight" in best_few.message
    assert "close_date_passed" not in codes(flags_of(swap(healthy_deals(), 1, expected_close=TODAY)))


def test_best_few_deal_closing_after_half_the_cycle_is_too_far():
    late = flags_of(swap(healthy_deals(), 1, expected_close=day(31)))
    assert codes(late, 1) == ["best_few_too_far"]
    assert "2026-12-25" in only(late, "best_few_too_far").message  # today + 30 days
    assert "best_few_too_far" not in codes(flags_of(swap(healthy_deals(), 1, expected_close=day(30))))


def test_best_few_inflated_beyond_twice_what_the_goal_supports():
    # N*_best_few = 1.5 with the defaults: three deals are plausible, four are not.
    three = healthy_deals() + (deal(4, Bucket.BEST_FEW, expected_close=day(10)),
                               deal(5, Bucket.BEST_FEW, expected_close=day(12)))
    four = three + (deal(6, Bucket.BEST_FEW, expected_close=day(14)),)
    assert "best_few_inflated" not in codes(flags_of(three))
    flag = only(flags_of(four), "best_few_inflated")
    assert flag.severity is Severity.WARNING and flag.opportunity_id is None
    assert flag.message == ("4 deals in Best Few where your goal and history support about 1.5: move the ones "
                            "that are not nearly sure back to In the Funnel")  # every one meets Best Few's conditions


def test_best_few_inflated_names_the_deals_that_miss_a_best_few_condition_first():
    deals = healthy_deals() + (
        deal(4, Bucket.BEST_FEW, expected_close=day(10)),
        deal(5, Bucket.BEST_FEW, expected_close=day(45), title="Far"),  # beyond half the cycle
        deal(6, Bucket.BEST_FEW, expected_close=day(14), authority=False, title="Unsure", account="Acme"),
        deal(7, Bucket.BEST_FEW, expected_close=day(-2), title="Slipped"),
        deal(8, Bucket.BEST_FEW, expected_close=None, title="Undated"))
    flag = only(flags_of(deals), "best_few_inflated")
    assert flag.message.endswith("back to In the Funnel, first those that miss a Best Few condition — Far, "
                                 "Unsure (Acme), Slipped and 1 more")


# --- the deals themselves ----------------------------------------------------------------------


def test_uncovered_influence_in_the_funnel_is_information_in_best_few_a_warning():
    uncovered = (Influence("Dana", Role.ECONOMIC, covered=True), Influence("Lee", Role.TECHNICAL))
    found = flags_of(swap(swap(healthy_deals(), 2, influences=uncovered), 1, influences=uncovered))
    in_flag = [f for f in found if f.code == "uncovered_influences" and f.opportunity_id == 2][0]
    bf_flag = [f for f in found if f.code == "uncovered_influences" and f.opportunity_id == 1][0]
    assert in_flag.severity is Severity.INFO and bf_flag.severity is Severity.WARNING
    assert "uncovered Technical Buyer (Lee)" in in_flag.message


def test_missing_economic_buyer_counts_as_uncovered():
    found = flags_of(swap(healthy_deals(), 2, influences=(Influence("Lee", Role.TECHNICAL, covered=True),)))
    assert "no Economic Buyer" in only(found, "uncovered_influences").message


def test_above_the_funnel_needs_no_influences_yet():
    assert flags_of(swap(healthy_deals(), 10, influences=())) == ()


@pytest.mark.parametrize("bucket_id", [2, 1])  # In the Funnel, Best Few
def test_a_deal_in_the_funnel_without_money_authority_and_need_is_unqualified(bucket_id):
    found = flags_of(swap(healthy_deals(), bucket_id, authority=False, need=False))
    flag = only(found, "unqualified")
    assert (flag.opportunity_id, flag.severity) == (bucket_id, Severity.WARNING)
    assert flag.message.startswith(f"Deal {bucket_id}: Authority and Need not confirmed")


def test_above_the_funnel_is_not_qualified_yet_and_that_is_fine():
    assert flags_of(swap(healthy_deals(), 10, money=False, authority=False, need=False)) == ()


def test_stale_after_longer_than_the_buckets_typical_stay():
    # In the Funnel stays ~27 days by default.
    assert codes(flags_of(swap(healthy_deals(), 2, last_touched_on=day(-28))), 2) == ["stale"]
    assert flags_of(swap(healthy_deals(), 2, last_touched_on=day(-27))) == ()


def test_stale_falls_back_to_when_the_deal_entered_its_bucket():
    deals = swap(healthy_deals(), 10, last_touched_on=None, entered_bucket_on=day(-16))  # Above: ~15 days
    flag = only(flags_of(deals), "stale")
    assert flag.opportunity_id == 10 and "16 days" in flag.message


def test_overdue_action_only_once_its_day_has_passed():
    assert codes(flags_of(swap(healthy_deals(), 3, next_action_due=day(-1))), 3) == ["overdue_action"]
    assert flags_of(swap(healthy_deals(), 3, next_action_due=TODAY)) == ()


def test_every_live_deal_needs_a_dated_next_action():
    no_action = only(flags_of(swap(healthy_deals(), 11, next_action="", next_action_due=None)), "no_next_action")
    assert no_action.opportunity_id == 11 and "schedule one" in no_action.message
    undated = only(flags_of(swap(healthy_deals(), 11, next_action_due=None)), "no_next_action")
    assert '"Call" has no date' in undated.message


CRITERIA = (Criterion("Sector", weight=2, id=1), Criterion("Budget", weight=1, id=2), Criterion("Region", id=3))


def fitting_deals():
    """The healthy funnel with every prospect meeting every criterion."""
    return tuple(replace(d, criteria_met=frozenset({1, 2, 3})) for d in healthy_deals())


def test_poor_fit_above_the_funnel_says_consider_dropping():
    deals = swap(fitting_deals(), 12, criteria_met=frozenset({2}))
    (flag,) = flags_of(deals, criteria=CRITERIA)
    assert (flag.code, flag.opportunity_id, flag.severity) == ("poor_fit", 12, Severity.INFO)
    assert flag.message == "Deal 12: fits your ideal customer 25% — consider dropping it"


def test_fit_of_half_is_not_poor():
    assert flags_of(swap(fitting_deals(), 12, criteria_met=frozenset({1})), criteria=CRITERIA) == ()


def test_without_criteria_fit_is_not_judged():
    assert flags_of(healthy_deals(), criteria=()) == ()


def test_poor_fit_is_only_judged_above_the_funnel():
    deals = swap(swap(fitting_deals(), 2, criteria_met=frozenset()), 1, criteria_met=frozenset())
    assert flags_of(deals, criteria=CRITERIA) == ()


def test_a_deal_whose_criteria_were_never_reviewed_is_not_assessed_not_a_poor_fit():
    from planner.domain.fit import fit_text

    deals = swap(fitting_deals(), 12, criteria_met=frozenset(), criteria_reviewed=False)
    assert flags_of(deals, criteria=CRITERIA) == ()
    assert fit_text(CRITERIA, frozenset(), reviewed=False) == "fit not assessed"
    assert fit_text(CRITERIA, frozenset({2}), reviewed=True) == "25 / 100"
    assert fit_text((), frozenset(), reviewed=True) == ""


# --- the funnel as a whole ---------------------------------------------------------------------


def test_overloaded_when_the_funnel_asks_more_hours_than_the_week_has():
    flag = only(flags_of(settings=Settings(hours_per_week=8)), "overloaded")
    assert flag.severity is Severity.WARNING
    assert "more than your 8 h" in flag.message


def test_a_dip_inside_one_cycle_is_too_late_for_prospects_and_names_in_deals_to_pull_forward():
    # Nothing closes in the weeks of 7 and 14 December: the In deals come later.
    deals = (deal(1, Bucket.BEST_FEW, expected_close=week(1)),
             deal(2, Bucket.IN, expected_close=week(4), title="Rollout", account="Acme"),
             deal(3, Bucket.IN, expected_close=week(3), title="Audit"),
             *(deal(10 + i, Bucket.ABOVE, expected_close=week(w)) for i, w in enumerate(range(5, 14))))
    flag = only(flags_of(deals), "dry_spell")
    assert flag.severity is Severity.WARNING
    assert "week of 2026-12-07" in flag.message and "too soon for new prospects" in flag.message
    assert flag.message.endswith("pull In the Funnel deals forward — Audit, Rollout (Acme)")


def test_a_dip_beyond_one_cycle_says_prospect_by_the_day_that_fills_it():
    deals = [d for d in healthy_deals() if d.id not in (16, 17, 18, 19, 20)]  # nothing after week 8
    flag = only(flags_of(deals), "dry_spell")
    # The week of 25 Jan 2027 is dry; a prospect found by 60 days earlier closes in time.
    assert flag.message == ("Expected wins fall below half your weekly goal in the week of 2027-01-25 and the 4 "
                            "weeks after it: prospect by 2026-11-26 to fill the first of them — new prospects take "
                            "about 60 days to close")


def test_after_a_dip_too_near_for_prospects_the_flag_gives_the_date_for_the_next_one():
    deals = [d for d in healthy_deals() if d.id not in (2, 17, 18, 19, 20)]  # weeks 2 and 10–13 empty
    flag = only(flags_of(deals), "dry_spell")
    assert flag.message.startswith("Expected wins fall below half your weekly goal in the week of 2026-12-07, too "
                                   "soon for new prospects to fill")
    assert flag.message.endswith(". The first dry week new prospects can still reach is 2027-02-01: prospect by "
                                 "2026-12-03")


def test_own_split_that_gives_a_bucket_under_half_its_demand_is_flagged():
    mine = Settings(user_split={Bucket.ABOVE: 80, Bucket.IN: 15, Bucket.BEST_FEW: 5})
    found = flags_of(settings=mine)
    (flag,) = [f for f in found if f.code == "split_underserves"]
    # Best Few: 1 deal asks 1.6 h; 5 % of 15 h is 0.75 h.
    assert flag.message == ("Your split gives Best Few 0.8 h a week (5 %), under half of the 1.6 h its 1 deal asks: "
                            "the suggestion gives it 1.6 h")
    assert "split_underserves" not in codes(flags_of())  # no own split: nothing to judge


def test_in_an_overloaded_week_an_own_split_is_not_told_to_take_the_suggestion_that_gives_even_less():
    # Worked example 2 of SPEC §3.3: 6 / 15 / 12 deals ask 48 h of a 15 h week; the suggestion
    # gives Best Few 5.7 h and In 7.1 h. A 20/40/40 split gives each 6.0 h.
    deals = [deal(i, bucket) for i, bucket in enumerate([Bucket.ABOVE] * 6 + [Bucket.IN] * 15 +
                                                        [Bucket.BEST_FEW] * 12, start=1)]
    found = flags_of(deals, settings=Settings(user_split={Bucket.ABOVE: 20, Bucket.IN: 40, Bucket.BEST_FEW: 40}))
    by_bucket = {f.message.split(" ")[3]: f.message for f in found if f.code == "split_underserves"}
    assert by_bucket["In"].endswith("under half of the 23.3 h its 15 deals ask: the suggestion gives it 7.1 h")
    assert by_bucket["Best"].endswith(
        "under half of the 18.7 h its 12 deals ask: the overloaded week lets the suggestion give it no more (5.7 h), "
        "so fewer deals or more hours will fix it, not another split")


def test_a_measured_cycle_far_from_the_setting_is_suspect():
    from planner.domain.models import History

    short = flags_of(history=History(cycle_samples=3, median_cycle_days=4.0))
    flag = only(short, "cycle_suspect")
    assert flag.severity is Severity.INFO and "4 days" in flag.message and "under a third" in flag.message
    assert "cycle_suspect" in codes(flags_of(history=History(cycle_samples=3, median_cycle_days=181.0)))
    assert "cycle_suspect" not in codes(flags_of(history=History(cycle_samples=3, median_cycle_days=21.0)))
    assert "cycle_suspect" not in codes(flags_of(history=History(cycle_samples=2, median_cycle_days=4.0)))


# --- order -------------------------------------------------------------------------------------


def test_flags_come_critical_first_then_warnings_then_information():
    deals = [replace(d, next_action_due=day(-3)) for d in healthy_deals() if d.bucket is not Bucket.ABOVE]
    deals = swap(deals, 2, influences=())
    found = flags_of(deals, settings=Settings(hours_per_week=5))
    order = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
    assert [order[f.severity] for f in found] == sorted(order[f.severity] for f in found)
    assert found[0].code == "empty_top" and found[-1].severity is Severity.INFO
    assert set(codes(found)) <= set(FLAG_CODES)


def test_each_code_keeps_its_severity():
    from planner.domain.flags import SEVERITIES

    # Many flags at once: no top, undated and slipped Best Few deals, unqualified, stale, overdue.
    deals = swap(swap(swap(healthy_deals(), 1, expected_close=None, money=False), 2, expected_close=day(-3),
                      last_touched_on=day(-60), influences=()), 3, next_action_due=day(-2))
    deals = [d for d in deals if d.bucket is not Bucket.ABOVE]
    found = flags_of(deals, settings=Settings(hours_per_week=5,
                                              user_split={Bucket.ABOVE: 90, Bucket.IN: 5, Bucket.BEST_FEW: 5}))
    assert len(set(codes(found))) >= 9
    for flag in found:
        expected = SEVERITIES[flag.code]
        if flag.code == "uncovered_influences" and flag.opportunity_id != 1:  # In the Funnel: information
            expected = Severity.INFO
        assert flag.severity is expected, flag


# --- moves warn, never block (SPEC §2) -----------------------------------------------------------


def test_moving_in_without_a_covered_influence_warns():
    prospect = deal(20, Bucket.ABOVE, influences=(Influence("Ann", Role.USER),))
    (warning,) = move_warnings(prospect, Bucket.IN, TODAY, 60)
    assert "No buying influence is covered" in warning
    assert move_warnings(replace(prospect, influences=COVERED_ONE), Bucket.IN, TODAY, 60) == []


COVERED_ONE = (Influence("Ann", Role.USER, covered=True),)


def test_moving_in_without_money_authority_and_need_warns():
    prospect = deal(24, Bucket.ABOVE, money=True, authority=False, need=False)
    assert move_warnings(prospect, Bucket.IN, TODAY, 60) == ["Not qualified: Authority and Need not confirmed."]


def test_moving_into_best_few_without_a_close_date_or_with_one_passed_warns():
    undated = deal(25, Bucket.IN)
    assert move_warnings(undated, Bucket.BEST_FEW, TODAY, 60) == [
        "No expected close date: a Best Few deal closes within half the normal cycle (by 2026-12-25)."]
    (passed,) = move_warnings(replace(undated, expected_close=day(-3)), Bucket.BEST_FEW, TODAY, 60)
    assert "has passed" in passed


def test_moving_into_best_few_checks_influences_economic_buyer_and_close_date():
    candidate = deal(21, Bucket.IN, influences=(Influence("Lee", Role.TECHNICAL),), expected_close=day(45))
    warnings = move_warnings(candidate, Bucket.BEST_FEW, TODAY, 60)
    assert len(warnings) == 3
    assert "Technical Buyer (Lee)" in warnings[0]
    assert "Economic Buyer" in warnings[1]
    assert "2027-01-09" in warnings[2] and "2026-12-25" in warnings[2]


def test_a_ready_deal_moves_into_best_few_without_a_word():
    assert move_warnings(deal(22, Bucket.IN, expected_close=day(30)), Bucket.BEST_FEW, TODAY, 60) == []


@pytest.mark.parametrize("to", [Bucket.ABOVE, Bucket.WON, Bucket.LOST])
def test_moving_back_up_or_closing_never_warns(to):
    assert move_warnings(deal(23, Bucket.IN, influences=()), to, TODAY, 60) == []


def test_an_empty_funnel_is_told_when_prospecting_can_still_help_not_to_close_deals_it_does_not_have():
    flag = only(flags_of([]), "dry_spell")
    assert "close what you can sooner" not in flag.message
    # The dip runs on for the whole horizon: its first 8 weeks are too near for new prospects.
    assert "and the 12 weeks after it, too soon for new prospects to fill the first 8 (" in flag.message
    # Every week is dry: the first one a cycle away is the one to prospect for, starting now.
    assert flag.message.endswith("The first dry week new prospects can still reach is 2027-01-25: prospect by "
                                 "2026-11-26")
