"""Ideal-customer fit (SPEC §1): the weighted share of criteria met, unknown counts as unmet."""

from planner.domain.fit import fit_score
from planner.domain.models import Criterion, CriterionKind

CRITERIA = (
    Criterion("Sector: healthcare", weight=3, id=1),
    Criterion("Budget over 20k", weight=2, id=2),
    Criterion("Open to innovation", CriterionKind.PSYCHOGRAPHIC, weight=1, id=3),
)


def test_no_criteria_means_no_fit_to_speak_of():
    assert fit_score((), {1, 2}) is None


def test_fit_weighs_each_criterion():
    assert fit_score(CRITERIA, {1, 2, 3}) == 100
    assert fit_score(CRITERIA, {1}) == 50
    assert fit_score(CRITERIA, {2, 3}) == 50
    assert fit_score(CRITERIA, {3}) == 17
    assert fit_score(CRITERIA, set()) == 0


def test_criteria_met_that_no_longer_exist_do_not_count():
    assert fit_score(CRITERIA, {3, 99}) == 17


def test_half_rounds_up():
    eight = tuple(Criterion(f"c{i}", id=i) for i in range(8))
    assert fit_score(eight, {0}) == 13  # 12.5 %
