"""The whole picture for one day (SPEC §3, §4 `planner status`): composes the method engine."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain, groupby
from operator import attrgetter

from planner.domain.allocation import allocation, funnel_parameters, own_split, prospecting_quota
from planner.domain.flags import judge
from planner.domain.forecast import forecast
from planner.domain.models import OPEN_BUCKETS, Allocation, Bucket, FunnelSnapshot, Opportunity, OwnSplit, Status
from planner.domain.projection import placements, projection


def valid_split(split: Mapping[Bucket, int] | None) -> dict[Bucket, int] | None:
    """The user's own split when it is whole percentages summing to 100, else None (follow the suggestion)."""
    if split is None or any(b not in split for b in OPEN_BUCKETS):
        return None
    values = {b: int(split[b]) for b in OPEN_BUCKETS}
    if sum(values.values()) != 100 or min(values.values()) < 0:
        return None
    return values


def user_split(snapshot_split: Mapping[Bucket, int] | None, suggestion: Allocation) -> OwnSplit | None:
    split = valid_split(snapshot_split)
    return None if split is None else own_split(split, suggestion)


_bucket_of = attrgetter("bucket")
_value_of = attrgetter("value_cents")


def analyse(snapshot: FunnelSnapshot) -> Status:
    """SPEC §3: the normal cycle, the funnel's parameters, the suggested allocation with the week's
    prospecting quota (and today's share), the user's own split and what it does, the
    roller-coaster projection (with the quota kept as a second series), the flags and the
    forecast over one cycle, with count and value per open bucket. The week is planned with this
    week's hours when the user set them for this week only (`FunnelSnapshot.settings_this_week`)."""
    settings = snapshot.settings_this_week
    counts = dict.fromkeys(OPEN_BUCKETS, 0)
    values = dict.fromkeys(OPEN_BUCKETS, 0)
    runs: list[list[Opportunity]] = []
    # Thousands of open deals on every change: the snapshot holds them bucket by bucket, so each
    # bucket is counted and summed as a run, not deal by deal.
    for bucket, run in groupby(snapshot.open_deals, _bucket_of):
        if bucket.is_open:
            deals_in = list(run)
            runs.append(deals_in)
            counts[bucket] += len(deals_in)
            values[bucket] += sum(map(_value_of, deals_in))
    deals = tuple(chain.from_iterable(runs))
    params = funnel_parameters(settings, snapshot.history)
    split = allocation(counts, params, settings)
    quota = prospecting_quota(split, snapshot.today, snapshot.prospects_this_week, snapshot.prospects_today)
    own = user_split(settings.user_split, split)
    placed = placements(snapshot.today, deals, params)  # each deal's close day and weight, once
    outlook = projection(snapshot.today, deals, params, settings, quota=split.prospect_quota, placed=placed)
    judged = judge(snapshot, params, split, outlook, own, counts=counts)
    return Status(
        today=snapshot.today,
        cycle=params.cycle,
        counts=counts,
        values_cents=values,
        parameters=params,
        allocation=split,
        flags=judged.flags,
        projection=outlook,
        forecast=forecast(snapshot.today, deals, params, settings, placed=placed),
        quota=quota,
        own_split=own,
        deal_flags=judged.by_deal,
    )
