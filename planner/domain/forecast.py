"""The forecast over one normal cycle, coverage, and the Insights statistics (SPEC §2 "Insights", §3.6)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

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
from planner.domain.flags import deal_name
from planner.domain.projection import HALF_WEIGHT, Placement, placements
from planner.domain.settings import Settings

#: Forecast categories derived from the buckets, surest first (SPEC §2).
CATEGORY_NAMES = {Bucket.BEST_FEW: "commit", Bucket.IN: "best case", Bucket.ABOVE: "pipeline"}
#: The common rule of thumb: a pipeline about three times the goal.
RULE_OF_THUMB = 3.0


def horizon_days(params: FunnelParameters) -> int:
    """One normal cycle, in whole days: the forecast's horizon (SPEC §3.6)."""
    return max(1, math.ceil(params.cycle.days - 1e-9))


def forecast(today: date, open_deals: Sequence[Opportunity], params: FunnelParameters,
             settings: Settings, placed: Sequence[Placement] | None = None) -> Forecast:
    """SPEC §3.6: over the next C days, the deals expected to close inside that horizon (by
    `projection.expected_close`, the projection's own dates), each weighted by its bucket's
    probability of winning and, like the projection, at half weight when it slipped or is stale.
    Deals expected later are counted apart (`beyond_*`), not in the forecast.

    Categories come from the buckets: Best Few = commit, In = best case, Above = pipeline. The
    commit total is Best Few at full value, the best case Best Few + In; the weighted value sits
    beside them. The goal is G·C/30 wins and, with `goal_value_per_month`, that value over C/30
    months. Coverage is the open value inside the horizon over the goal's value, shown beside the
    3× rule of thumb and beside what the user's own rates ask: 1 ÷ the win rate from Above.
    """
    horizon = horizon_days(params)
    last = today.toordinal() + horizon
    # Per bucket, over the deals inside the horizon: how many, their value, their value and their
    # number each at its weight (one pass: thousands of open deals on every change).
    count = dict.fromkeys(OPEN_BUCKETS, 0)
    value = dict.fromkeys(OPEN_BUCKETS, 0)
    weighted = dict.fromkeys(OPEN_BUCKETS, 0.0)
    wins = dict.fromkeys(OPEN_BUCKETS, 0.0)
    beyond_count = beyond_value = half = 0
    if placed is None:
        placed = placements(today, open_deals, params)
    for deal, close, late, stale in placed:
        cents = deal.value_cents
        if close > last:
            beyond_count += 1
            beyond_value += cents
            continue
        bucket = deal.bucket
        count[bucket] += 1
        value[bucket] += cents
        if late or stale:
            half += 1
            weighted[bucket] += cents * HALF_WEIGHT
            wins[bucket] += HALF_WEIGHT
        else:
            weighted[bucket] += cents * 1.0
            wins[bucket] += 1.0

    categories = []
    for bucket in (Bucket.BEST_FEW, Bucket.IN, Bucket.ABOVE):
        probability = params.win_probability(bucket)
        categories.append(ForecastCategory(
            name=CATEGORY_NAMES[bucket],
            bucket=bucket,
            count=count[bucket],
            value_cents=value[bucket],
            win_probability=probability,
            weighted_value_cents=round(weighted[bucket] * probability),
            expected_wins=wins[bucket] * probability,
        ))
    by_bucket = {c.bucket: c for c in categories}
    months = params.cycle.days / 30
    goal_wins = settings.goal_wins_per_month * months
    goal_value = None
    if settings.goal_value_per_month is not None and settings.goal_value_per_month > 0:
        goal_value = round(settings.goal_value_per_month * 100 * months)
    pipeline = sum(c.value_cents for c in categories)
    win_rate = params.win_probability(Bucket.ABOVE)
    return Forecast(
        categories=tuple(categories),
        weighted_value_cents=sum(c.weighted_value_cents for c in categories),
        expected_wins=sum(c.expected_wins for c in categories),
        horizon_days=horizon,
        goal_wins=goal_wins,
        commit_cents=by_bucket[Bucket.BEST_FEW].value_cents,
        best_case_cents=by_bucket[Bucket.BEST_FEW].value_cents + by_bucket[Bucket.IN].value_cents,
        pipeline_cents=pipeline,
        beyond_count=beyond_count,
        beyond_value_cents=beyond_value,
        goal_value_cents=goal_value,
        coverage=pipeline / goal_value if goal_value else None,
        coverage_deals=sum(c.count for c in categories) / goal_wins if goal_wins > 0 else 0.0,
        rule_of_thumb=RULE_OF_THUMB,
        required_coverage=1 / win_rate if win_rate > 0 else math.inf,
        half_weight=half,
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
            passed=snapshot.history.bucket(b).passed,
            failed=snapshot.history.bucket(b).failed,
            stays=snapshot.history.bucket(b).stays,
        )
        for b in OPEN_BUCKETS
    }
    by_id = {d.id: d for d in snapshot.open_deals}
    return Insights(
        cycle=status.cycle,
        distribution=tuple(distribution),
        buckets=buckets,
        forecast=status.forecast,
        projection=status.projection,
        pull_forward_names=tuple(deal_name(by_id[i]) for i in status.projection.pull_forward if i in by_id),
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
