"""The normal sales cycle C (SPEC §1): measured from three won deals, else the user's setting.

The store hands the engine the count of measurable won deals and their median (History); which
deals count and how the median of an even count is taken are tested against real databases in
tests/store/test_repository.py."""

import pytest

from planner.domain.cycle import median_of_middle, middle_offset, normal_cycle


def test_two_won_deals_are_not_enough_the_setting_holds():
    cycle = normal_cycle(2, 40.0, 60)
    assert (cycle.days, cycle.source, cycle.samples) == (60, "setting", 2)
    assert cycle.description == "your setting"


def test_three_won_deals_give_their_median():
    cycle = normal_cycle(3, 45.0, 60)
    assert (cycle.days, cycle.source, cycle.samples) == (45, "measured", 3)
    assert cycle.description == "median of 3 won deals"


def test_same_day_wins_still_give_a_usable_cycle_of_one_day():
    assert normal_cycle(3, 0.0, 60).days == 1


def test_no_won_deals_and_a_zero_setting_still_give_one_day():
    assert (normal_cycle(0, None, 0).days, normal_cycle(0, None, 0).samples) == (1, 0)


@pytest.mark.parametrize("values", [[7], [3, 9], [30, 90, 45], [10, 20, 40, 100], [1.5, 2.25, 2.5, 8.0, 9.0, 11.0]])
def test_the_middle_of_an_ordered_sample_gives_the_median_of_all_of_it(values):
    ordered = sorted(values)
    offset, count = middle_offset(len(ordered))
    mid = len(ordered) // 2
    expected = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    assert median_of_middle(ordered[offset:offset + count]) == expected


def test_the_middle_is_one_or_two_values():
    with pytest.raises(ValueError):
        median_of_middle([])
