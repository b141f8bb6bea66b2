"""The whole picture for one day (SPEC §3, §4 `planner status`): composes the method engine."""

from __future__ import annotations

from planner.domain.allocation import allocation, funnel_parameters
from planner.domain.flags import flags
from planner.domain.forecast import forecast
from planner.domain.models import OPEN_BUCKETS, FunnelSnapshot, Status
from planner.domain.projection import projection


def analyse(snapshot: FunnelSnapshot) -> Status:
    """SPEC §3: the normal cycle, the funnel's parameters, the suggested allocation, the
    roller-coaster projection, the flags and the forecast, with count and value per open bucket."""
    settings = snapshot.settings_this_week  # this week's hours when set for this week only
    deals = tuple(d for d in snapshot.open_deals if d.bucket.is_open)
    counts = dict.fromkeys(OPEN_BUCKETS, 0)
    values = dict.fromkeys(OPEN_BUCKETS, 0)
    for deal in deals:  # one pass: thousands of open deals on every change
        counts[deal.bucket] += 1
        values[deal.bucket] += deal.value_cents
    params = funnel_parameters(settings, snapshot.history)
    split = allocation(counts, params, settings)
    outlook = projection(snapshot.today, deals, params, settings)
    return Status(
        today=snapshot.today,
        cycle=params.cycle,
        counts=counts,
        values_cents=values,
        parameters=params,
        allocation=split,
        flags=flags(snapshot, params, split, outlook),
        projection=outlook,
        forecast=forecast(deals, params, settings),
    )
