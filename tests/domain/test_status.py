"""analyse(): the day's whole picture, as `planner status` prints it (SPEC §4)."""

from engine_builders import TODAY, deal, healthy_deals, snapshot

from planner.domain.models import Bucket, History
from planner.domain.status import analyse


def test_counts_and_values_per_open_bucket():
    deals = (deal(1, Bucket.ABOVE, value_cents=150_00), deal(2, Bucket.ABOVE, value_cents=250_00),
             deal(3, Bucket.BEST_FEW, value_cents=9_999_99))
    status = analyse(snapshot(deals))
    assert status.counts == {Bucket.ABOVE: 2, Bucket.IN: 0, Bucket.BEST_FEW: 1}
    assert status.values_cents == {Bucket.ABOVE: 400_00, Bucket.IN: 0, Bucket.BEST_FEW: 9_999_99}


def test_a_closed_deal_handed_in_by_mistake_is_left_out():
    status = analyse(snapshot(healthy_deals() + (deal(99, Bucket.WON, value_cents=1),)))
    assert sum(status.counts.values()) == len(healthy_deals())
    assert all(f.opportunity_id != 99 for f in status.flags)


def test_status_composes_cycle_allocation_projection_flags_and_forecast():
    status = analyse(snapshot(history=History(cycle_samples=3, median_cycle_days=50.0)))
    assert status.today == TODAY
    assert status.cycle.days == 50 and status.parameters.cycle == status.cycle
    assert sum(status.allocation[b].percent for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)) == 100
    assert status.projection.weeks[0].start.weekday() == 0
    assert status.forecast.horizon_days == 50
    assert status.flags_for(1) == ()
    assert status.quota.week == status.allocation.prospect_quota
    assert status.own_split is None


def test_the_users_own_split_is_judged_beside_the_suggestion():
    from planner.domain.settings import Settings

    mine = Settings(user_split={Bucket.ABOVE: 90, Bucket.IN: 5, Bucket.BEST_FEW: 5})
    status = analyse(snapshot(settings=mine))
    assert status.own_split is not None
    assert status.own_split[Bucket.IN].percent == 5 and status.own_split[Bucket.IN].hours == 0.75
    assert status.own_split.underserved == (Bucket.IN, Bucket.BEST_FEW)
    assert [f.code for f in status.flags if f.code == "split_underserves"] == ["split_underserves"] * 2


def test_same_snapshot_same_answer():
    assert analyse(snapshot()) == analyse(snapshot())
