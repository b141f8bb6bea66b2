"""The funnel's parameters and the suggested split of the selling week (SPEC §3.1, §3.2)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from planner.domain.cycle import normal_cycle
from planner.domain.models import (
    OPEN_BUCKETS,
    Allocation,
    Bucket,
    FunnelParameters,
    History,
    Parameter,
    Share,
)
from planner.domain.settings import DEFAULT_PASS_RATE, DEFAULT_RESIDENCE_SHARE, Settings

#: Finished stays in a bucket before their median replaces the default residence (SPEC §3.1).
MIN_STAYS = 5
#: Exits from a bucket before the measured pass rate replaces the default (SPEC §3.1).
MIN_EXITS = 5
# A measured pass rate of 0 would ask for infinitely many prospects; the settings' own lower
# bound keeps the model finite while still saying "you need a great many".
_MIN_PASS_RATE = 0.01
# Stays shorter than a day still take a day of the funnel's time (and R divides).
_MIN_RESIDENCE_DAYS = 1.0


def funnel_parameters(settings: Settings, history: History) -> FunnelParameters:
    """SPEC §3.1–§3.2: resolve C, R_s and p_s (setting > measured > default, each with its source),
    then the flows λ_s needed to meet the goal and the stocks N*_s = λ_s · R_s (Little's law)."""
    cycle = normal_cycle(history.won_deals, history.median_cycle_days, settings.cycle_days)
    residence: dict[Bucket, Parameter] = {}
    pass_rate: dict[Bucket, Parameter] = {}
    for bucket in OPEN_BUCKETS:
        stays = history.bucket(bucket)
        user_days = settings.residence_days.get(bucket)
        if user_days is not None:
            residence[bucket] = Parameter(max(_MIN_RESIDENCE_DAYS, float(user_days)), "setting")
        elif stays.stays >= MIN_STAYS and stays.median_dwell_days is not None:
            measured = max(_MIN_RESIDENCE_DAYS, float(stays.median_dwell_days))
            residence[bucket] = Parameter(measured, "measured", stays.stays)
        else:
            residence[bucket] = Parameter(DEFAULT_RESIDENCE_SHARE[bucket] * cycle.days, "default")

        user_rate = settings.pass_rate.get(bucket)
        if user_rate is not None:
            pass_rate[bucket] = Parameter(_clamp_rate(user_rate), "setting")
        elif stays.exits >= MIN_EXITS:
            pass_rate[bucket] = Parameter(_clamp_rate(stays.passed / stays.exits), "measured", stays.exits)
        else:
            pass_rate[bucket] = Parameter(DEFAULT_PASS_RATE[bucket], "default")

    # Flow needed into each bucket per day, from the bottom of the funnel up.
    flow: dict[Bucket, float] = {}
    needed = settings.goal_wins_per_month / 30
    for bucket in reversed(OPEN_BUCKETS):
        needed /= pass_rate[bucket].value
        flow[bucket] = needed
    stock = {b: flow[b] * residence[b].value for b in OPEN_BUCKETS}
    return FunnelParameters(
        cycle=cycle,
        residence_days=residence,
        pass_rate=pass_rate,
        flow_per_day={b: flow[b] for b in OPEN_BUCKETS},
        target_stock=stock,
    )


def _clamp_rate(rate: float) -> float:
    return min(1.0, max(_MIN_PASS_RATE, float(rate)))


def prospects_per_week(n_above: int, params: FunnelParameters) -> float:
    """P of SPEC §3.2: new prospects needed per week, the flow plus refilling a thin top."""
    r_above = params.residence_days[Bucket.ABOVE].value
    shortfall = max(0.0, params.target_stock[Bucket.ABOVE] - n_above)
    return 7 * (params.flow_per_day[Bucket.ABOVE] + shortfall / r_above)


def prospect_quota(split: Allocation) -> int:
    """The week's prospecting quota: P rounded up to whole prospects (SPEC §3.2)."""
    return math.ceil(split.prospects_per_week - 1e-9)  # 4.0000000001 from float noise is still 4


def allocation(counts: Mapping[Bucket, int], params: FunnelParameters, settings: Settings) -> Allocation:
    """SPEC §3.2, reference model v1: weekly hours demanded per bucket, the week filled in priority
    order (Best Few, Above with its floor, In, leftovers to Above), percentages by largest remainder,
    a one-line reason with the arithmetic for each bucket, and the overload beyond H."""
    hours_per_week = max(0.0, float(settings.hours_per_week))
    floor_hours = settings.prospecting_floor * hours_per_week
    effort = settings.effort_hours
    n = {b: max(0, int(counts.get(b, 0))) for b in OPEN_BUCKETS}
    r = {b: params.residence_days[b].value for b in OPEN_BUCKETS}
    target_above = params.target_stock[Bucket.ABOVE]

    prospects = prospects_per_week(n[Bucket.ABOVE], params)
    worked_above = max(n[Bucket.ABOVE], target_above)
    demand = {
        Bucket.BEST_FEW: n[Bucket.BEST_FEW] * 7 * effort[Bucket.BEST_FEW] / r[Bucket.BEST_FEW],
        Bucket.IN: n[Bucket.IN] * 7 * effort[Bucket.IN] / r[Bucket.IN],
        Bucket.ABOVE: 7 * effort[Bucket.ABOVE] * worked_above / r[Bucket.ABOVE] + prospects * settings.prospect_hours,
    }

    best_few = min(demand[Bucket.BEST_FEW], hours_per_week - floor_hours)
    left = hours_per_week - best_few
    above = max(floor_hours, min(demand[Bucket.ABOVE], left))
    left -= above
    in_funnel = min(demand[Bucket.IN], left)
    leftover = max(0.0, left - in_funnel)
    hours = {Bucket.BEST_FEW: best_few, Bucket.ABOVE: above + leftover, Bucket.IN: in_funnel}

    if hours_per_week > 0:
        percents = largest_remainder([hours[b] / hours_per_week * 100 for b in OPEN_BUCKETS], 100)
        percent = dict(zip(OPEN_BUCKETS, percents, strict=True))
    else:  # no selling time at all: the whole (empty) week nominally belongs to prospecting
        percent = {Bucket.ABOVE: 100, Bucket.IN: 0, Bucket.BEST_FEW: 0}

    reasons = {
        Bucket.BEST_FEW: _deal_reason("Best Few", n[Bucket.BEST_FEW], effort[Bucket.BEST_FEW], r[Bucket.BEST_FEW],
                                      demand[Bucket.BEST_FEW], best_few,
                                      f"capped at {best_few:.1f} h to keep the prospecting floor"),
        Bucket.IN: _deal_reason("In", n[Bucket.IN], effort[Bucket.IN], r[Bucket.IN], demand[Bucket.IN], in_funnel,
                                f"only {in_funnel:.1f} h left after Best Few and Above"),
        Bucket.ABOVE: _above_reason(n[Bucket.ABOVE], target_above, effort[Bucket.ABOVE], r[Bucket.ABOVE],
                                    prospects, settings, demand[Bucket.ABOVE], above, leftover, floor_hours),
    }
    shares = {
        b: Share(percent=percent[b], hours=hours[b], reason=reasons[b], demanded_hours=demand[b])
        for b in OPEN_BUCKETS
    }
    return Allocation(
        shares=shares,
        overloaded_hours=max(0.0, sum(demand.values()) - hours_per_week),
        prospects_per_week=prospects,
        hours_per_week=hours_per_week,
    )


def largest_remainder(values: Sequence[float], total: int) -> list[int]:
    """Round non-negative `values` to integers summing to `total` (when the values sum to it):
    floor each, then hand the missing units to the largest remainders, earlier entries first on ties."""
    floors = [math.floor(v + 1e-9) for v in values]
    missing = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    for i in order[: max(0, missing)]:
        floors[i] += 1
    return floors


def _plural(count: float, word: str) -> str:
    return f"{count:g} {word}" if count == 1 else f"{count:g} {word}s"


def _deal_reason(label: str, count: int, effort: float, days: float, demanded: float, given: float,
                 short_note: str) -> str:
    line = f"{label}: {_plural(count, 'deal')} × {effort:.1f} h over ~{days:.0f} days → {demanded:.1f} h/week"
    if given < demanded - 1e-9:
        line += f"; {short_note}"
    return line


def _above_reason(n_above: int, target: float, effort: float, days: float, prospects: float,
                  settings: Settings, demanded: float, given: float, leftover: float, floor_hours: float) -> str:
    if n_above >= target:
        worked = f"{_plural(n_above, 'prospect')} × {effort:.1f} h"
    else:
        worked = f"{target:.1f} prospects needed (you have {n_above}) × {effort:.1f} h"
    line = (f"Above: {worked} over ~{days:.0f} days + {prospects:.1f} new prospects/week × "
            f"{settings.prospect_hours:.1f} h → {demanded:.1f} h/week")
    if given > demanded + 1e-9:
        line += f"; raised to the {settings.prospecting_floor:.0%} prospecting floor ({floor_hours:.1f} h)"
    elif given < demanded - 1e-9 and abs(given - floor_hours) < 1e-9:
        line += f"; held at the {settings.prospecting_floor:.0%} prospecting floor ({floor_hours:.1f} h) after Best Few"
    elif given < demanded - 1e-9:
        line += f"; only {given:.1f} h left after Best Few"
    if leftover > 1e-9:
        line += f"; plus {leftover:.1f} h nothing else needs"
    return line
