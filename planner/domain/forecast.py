"""Weighted forecast, coverage and the Insights statistics (SPEC §2 "Insights")."""

from __future__ import annotations

import math
from collections.abc import Sequence

from planner.domain.models import (
    OPEN_BUCKETS,
    Bucket,
    BucketStats,
    CycleBin,
    Forecast,
    ForecastCategory,
    FunnelParameters,
    FunnelSnapshot,
    Insights,
    Opportunity,
    Status,
)
from planner.domain.settings import Settings

#: Forecast categories derived from the buckets, surest first (SPEC §2).
CATEGORY_NAMES = {Bucket.BEST_FEW: "commit", Bucket.IN: "best case", Bucket.ABOVE: "pipeline"}
#: The common rule of thumb: a pipeline about three times the goal.
RULE_OF_THUMB = 3


def forecast(open_deals: Sequence[Opportunity], params: FunnelParameters, settings: Settings) -> Forecast:
    """SPEC §2 Insights: the forecast categories (Best Few = commit, In = best case, Above =
    pipeline), each deal weighted by its bucket's probability of winning, against the goal over one
    normal cycle (G·C/30 wins; everything in the funnel now closes within about one cycle).

    `coverage` uses the user's own conversion rates: expected wins of the open deals / wins wanted,
    so 1.0 means the funnel as it stands meets the goal. `rule_of_thumb_coverage` is the 3× rule:
    open deals / (3 × wins wanted), counted in deals because the goal is set in wins, not money.
    """
    categories = []
    for bucket in (Bucket.BEST_FEW, Bucket.IN, Bucket.ABOVE):
        deals = [d for d in open_deals if d.bucket is bucket]
        probability = params.win_probability(bucket)
        value = sum(d.value_cents for d in deals)
        categories.append(ForecastCategory(
            name=CATEGORY_NAMES[bucket],
            bucket=bucket,
            count=len(deals),
            value_cents=value,
            win_probability=probability,
            weighted_value_cents=round(value * probability),
            expected_wins=len(deals) * probability,
        ))
    horizon = max(1, math.ceil(params.cycle.days - 1e-9))
    goal = settings.goal_wins_per_month * params.cycle.days / 30
    expected = sum(c.expected_wins for c in categories)
    open_count = sum(c.count for c in categories)
    return Forecast(
        categories=tuple(categories),
        weighted_value_cents=sum(c.weighted_value_cents for c in categories),
        expected_wins=expected,
        horizon_days=horizon,
        goal_wins=goal,
        coverage=expected / goal if goal > 0 else 0.0,
        rule_of_thumb_coverage=open_count / (RULE_OF_THUMB * goal) if goal > 0 else 0.0,
    )


def insights(snapshot: FunnelSnapshot, status: Status, distribution: Sequence[CycleBin] = ()) -> Insights:
    """SPEC §2 Insights: the normal cycle with its distribution, each bucket's conversion rate and
    median dwell time (measured or default, with the source), the forecast and the projection.

    The distribution is read by the store (`Repository.cycle_distribution`) only for this screen:
    the snapshot carries summaries, never one cycle length per won deal."""
    params = status.parameters
    buckets = {
        b: BucketStats(
            bucket=b,
            conversion=params.pass_rate[b],
            dwell_days=params.residence_days[b],
            exits=snapshot.history.bucket(b).exits,
        )
        for b in OPEN_BUCKETS
    }
    return Insights(
        cycle=status.cycle,
        distribution=tuple(distribution),
        buckets=buckets,
        forecast=status.forecast,
        projection=status.projection,
    )


def cycle_bin_edges(low: int, high: int, max_bins: int = 8) -> list[tuple[int, int]]:
    """The day ranges of the cycle distribution (SPEC §2 Insights) between the shortest (`low`) and
    the longest (`high`) won cycle: at most `max_bins` equal ranges, whole weeks once they are
    wider than a week so they read naturally."""
    span = max(1, high - low + 1)
    step = math.ceil(span / max_bins)
    if step > 7:
        step = math.ceil(step / 7) * 7
    start = low - low % step if step > 1 else low
    edges = []
    edge = start
    while edge <= high:
        edges.append((edge, edge + step - 1))
        edge += step
    return edges
