"""Small builders for the engine tests: a believable consultant's funnel on a fixed day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from planner.domain.models import Bucket, FunnelSnapshot, History, Influence, Opportunity, Role
from planner.domain.settings import Settings

TODAY = date(2026, 11, 25)  # a Wednesday; its week starts Monday 2026-11-23
MONDAY = date(2026, 11, 23)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def week(index: int) -> date:
    """Monday of the index-th week from this one (0 = this week)."""
    return MONDAY + timedelta(weeks=index)


COVERED = (Influence("Dana", Role.ECONOMIC, covered=True), Influence("Lee", Role.TECHNICAL, covered=True))


def deal(id: int, bucket: Bucket, **fields) -> Opportunity:
    """A well-kept deal: next action due soon, touched today, every influence covered, qualified
    (Money, Authority, Need) and its ideal-customer criteria reviewed."""
    base = dict(
        title=f"Deal {id}",
        id=id,
        bucket=bucket,
        next_action="Call",
        next_action_due=day(2),
        last_touched_on=TODAY,
        entered_bucket_on=day(-3),
        created_on=day(-20),
        influences=COVERED,
        money=True,
        authority=True,
        need=True,
        criteria_reviewed=True,
    )
    base.update(fields)
    return Opportunity(**base)


def healthy_deals() -> tuple[Opportunity, ...]:
    """A funnel that meets the default goal: 11 above, 2 in, 1 best few, with closes spread over the
    whole projection (1.5·C = 90 days) so that every week after this one holds at least half the
    weekly goal, and a week that fits the 15 h (D ≈ 14.3 h)."""
    return (
        deal(1, Bucket.BEST_FEW, expected_close=week(1)),
        deal(2, Bucket.IN, expected_close=week(2)),
        deal(3, Bucket.IN, expected_close=week(4)),
        *(deal(10 + i, Bucket.ABOVE, expected_close=week(w))
          for i, w in enumerate((3, 5, 6, 7, 8, 8, 9, 10, 11, 12, 13))),
    )


def snapshot(deals=None, settings: Settings | None = None, history: History | None = None,
             **fields) -> FunnelSnapshot:
    return FunnelSnapshot(
        today=TODAY,
        settings=settings or Settings(),
        open_deals=tuple(healthy_deals() if deals is None else deals),
        history=history or History(),
        **fields,
    )


def swap(deals, id: int, **changes) -> tuple[Opportunity, ...]:
    """The same deals with one of them changed."""
    return tuple(replace(d, **changes) if d.id == id else d for d in deals)


def counts(above: int = 0, in_: int = 0, best_few: int = 0) -> dict[Bucket, int]:
    return {Bucket.ABOVE: above, Bucket.IN: in_, Bucket.BEST_FEW: best_few}
