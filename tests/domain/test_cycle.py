"""The normal sales cycle C (SPEC §1): measured from three won deals, else the user's setting."""

from planner.domain.cycle import normal_cycle


def test_two_won_deals_are_not_enough_the_setting_holds():
    cycle = normal_cycle([30, 50], 60)
    assert (cycle.days, cycle.source, cycle.samples) == (60, "setting", 2)
    assert cycle.description == "your setting"


def test_three_won_deals_give_their_median():
    cycle = normal_cycle([30, 90, 45], 60)
    assert (cycle.days, cycle.source, cycle.samples) == (45, "measured", 3)
    assert cycle.description == "median of 3 won deals"


def test_even_count_takes_the_middle_of_the_two_middle_deals():
    assert normal_cycle([10, 20, 40, 100], 60).days == 30


def test_a_deal_closed_before_its_first_contact_is_not_counted():
    cycle = normal_cycle([30, 40, -5], 60)
    assert cycle.source == "setting"
    assert cycle.samples == 2


def test_same_day_wins_still_give_a_usable_cycle_of_one_day():
    assert normal_cycle([0, 0, 0], 60).days == 1
