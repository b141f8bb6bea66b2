"""The funnel's parameters and the suggested split of the selling week (SPEC §3.1–§3.3).

Reference model v2: what each bucket's deals ask for (Little's law), every bucket given its demand
when the week holds it (the rest goes to prospecting), the shortfall shared in proportion to
demand when it does not, and the prospecting floor under Above in both cases. Priority (the order
of a day's work, SPEC §1) is not allocation (how the week is split): no bucket that holds deals is
starved because another comes first. See docs/method.md for the arithmetic with examples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

from planner.domain.cycle import normal_cycle
from planner.domain.models import (
    OPEN_BUCKETS,
    Allocation,
    Bucket,
    FunnelParameters,
    History,
    OwnSplit,
    Parameter,
    ProspectQuota,
    Share,
)
from planner.domain.settings import DEFAULT_PASS_RATE, DEFAULT_RESIDENCE_SHARE, Settings

#: Finished stays in a bucket before their median replaces the default residence (SPEC §3.1).
MIN_STAYS = 5
#: Deals with an outcome in a bucket before the measured pass rate replaces the default (SPEC §3.1).
MIN_OUTCOMES = 5
# A measured pass rate of 0 would ask for infinitely many prospects; the settings' own lower
# bound keeps the model finite while still saying "you need a great many".
_MIN_PASS_RATE = 0.01
# Stays shorter than a day still take a day of the funnel's time (and R divides).
_MIN_RESIDENCE_DAYS = 1.0
# Float noise: 4.0000000001 prospects are still 4, 2.9999999 hours given are the 3 asked.
_EPS = 1e-9
#: The working days of a week, Monday to Friday (today's share of the quota).
WORKDAYS = 5

_LABEL = {Bucket.ABOVE: "Above", Bucket.IN: "In", Bucket.BEST_FEW: "Best Few"}


def funnel_parameters(settings: Settings, history: History) -> FunnelParameters:
    """SPEC §3.1–§3.2: resolve C, R_s and p_s (setting > measured > default, each with its source),
    then the flows λ_s needed to meet the goal and the stocks N*_s = λ_s · R_s (Little's law)."""
    cycle = normal_cycle(history.cycle_samples, history.median_cycle_days, settings.cycle_days,
                         history.measurable_wins)
    residence: dict[Bucket, Parameter] = {}
    pass_rate: dict[Bucket, Parameter] = {}
    for bucket in OPEN_BUCKETS:
        past = history.bucket(bucket)
        user_days = settings.residence_days.get(bucket)
        if user_days is not None:
            residence[bucket] = Parameter(max(_MIN_RESIDENCE_DAYS, float(user_days)), "setting")
        elif past.stays >= MIN_STAYS and past.median_dwell_days is not None:
            measured = max(_MIN_RESIDENCE_DAYS, float(past.median_dwell_days))
            residence[bucket] = Parameter(measured, "measured", past.stays)
        else:
            residence[bucket] = Parameter(
                max(_MIN_RESIDENCE_DAYS, DEFAULT_RESIDENCE_SHARE[bucket] * cycle.days), "default")

        user_rate = settings.pass_rate.get(bucket)
        if user_rate is not None:
            pass_rate[bucket] = Parameter(_clamp_rate(user_rate), "setting")
        elif past.outcomes >= MIN_OUTCOMES:
            pass_rate[bucket] = Parameter(_clamp_rate(past.passed / past.outcomes), "measured", past.outcomes)
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
    """P of SPEC §3.3: new prospects needed per week, the flow plus refilling a thin top over one stay."""
    r_above = params.residence_days[Bucket.ABOVE].value
    shortfall = max(0.0, params.target_stock[Bucket.ABOVE] - n_above)
    return 7 * (params.flow_per_day[Bucket.ABOVE] + shortfall / r_above)


def round_up(value: float) -> int:
    """P rounded up to whole prospects, once, for every screen and the CLI (SPEC §3.3)."""
    return max(0, math.ceil(value - _EPS))


def prospect_quota(split: Allocation) -> int:
    """The week's prospecting quota: P rounded up (SPEC §3.3). The one number everyone shows."""
    return split.prospect_quota


def working_days_left(today: date) -> int:
    """Monday to Friday from today on, today included; a Saturday or Sunday counts as one day
    (whoever prospects on a weekend has that day)."""
    return max(1, WORKDAYS - today.weekday())


def prospecting_quota(split: Allocation, today: date, done_week: int = 0, done_today: int = 0) -> ProspectQuota:
    """SPEC §3.3: the week's quota (P rounded up) and today's share of it: what is left of the
    week's quota when today began, over the working days left (today included), rounded up.
    `done_week` counts every prospect that entered Above the Funnel this week, today's among them."""
    week = split.prospect_quota
    days = working_days_left(today)
    before_today = max(0, done_week - done_today)
    left = max(0, week - before_today)
    return ProspectQuota(
        week=week,
        per_week=split.prospects_per_week,
        done_week=done_week,
        today=round_up(left / days),
        done_today=done_today,
        working_days_left=days,
    )


def bucket_demand(counts: Mapping[Bucket, int], params: FunnelParameters, settings: Settings) -> dict[Bucket, float]:
    """D_s of SPEC §3.3: the weekly hours the deals in each bucket ask for, Above with the
    prospects it needs and the new ones to find."""
    effort = settings.effort_hours
    n = {b: max(0, int(counts.get(b, 0))) for b in OPEN_BUCKETS}
    r = {b: params.residence_days[b].value for b in OPEN_BUCKETS}
    worked_above = max(n[Bucket.ABOVE], params.target_stock[Bucket.ABOVE])
    prospects = prospects_per_week(n[Bucket.ABOVE], params)
    return {
        Bucket.ABOVE: 7 * effort[Bucket.ABOVE] * worked_above / r[Bucket.ABOVE] + prospects * settings.prospect_hours,
        Bucket.IN: n[Bucket.IN] * 7 * effort[Bucket.IN] / r[Bucket.IN],
        Bucket.BEST_FEW: n[Bucket.BEST_FEW] * 7 * effort[Bucket.BEST_FEW] / r[Bucket.BEST_FEW],
    }


def allocation(counts: Mapping[Bucket, int], params: FunnelParameters, settings: Settings) -> Allocation:
    """SPEC §3.3, reference model v2.

    - The funnel fits the week (D ≤ H): In and Best Few get their demand, Above its demand plus
      the hours left over (prospecting builds the next cycle).
    - The funnel is overloaded (D > H): the shortfall is shared in proportion to demand, Above
      H·D_above/D, In and Best Few H·D_s/D.
    - The floor, in both cases: when Above would get less than floor·H it gets floor·H, and In and
      Best Few share the rest of the week in proportion to their demand (neither asking: Above
      gets the whole week).

    Percentages are the hours over H by largest remainder, summing to 100; a bucket given hours is
    never shown as 0 % (a percent is taken from the largest share instead). Each share carries a
    one-line reason: what the bucket asked, what it got, and why.
    """
    hours_per_week = max(0.0, float(settings.hours_per_week))
    floor_share = min(1.0, max(0.0, float(settings.prospecting_floor)))
    floor_hours = floor_share * hours_per_week
    n = {b: max(0, int(counts.get(b, 0))) for b in OPEN_BUCKETS}
    demand = bucket_demand(n, params, settings)
    total = sum(demand.values())
    deals_demand = demand[Bucket.IN] + demand[Bucket.BEST_FEW]
    overloaded = total > hours_per_week + _EPS

    if not overloaded:
        hours = {Bucket.IN: demand[Bucket.IN], Bucket.BEST_FEW: demand[Bucket.BEST_FEW]}
        hours[Bucket.ABOVE] = hours_per_week - deals_demand  # its demand plus what is left over
    else:
        hours = {b: hours_per_week * demand[b] / total for b in OPEN_BUCKETS}
    floor_binds = hours[Bucket.ABOVE] < floor_hours - _EPS
    if floor_binds or deals_demand <= 0:
        rest = hours_per_week - floor_hours if floor_binds else hours_per_week - hours[Bucket.ABOVE]
        if deals_demand > 0:
            hours[Bucket.IN] = rest * demand[Bucket.IN] / deals_demand
            hours[Bucket.BEST_FEW] = rest * demand[Bucket.BEST_FEW] / deals_demand
            hours[Bucket.ABOVE] = floor_hours
        else:  # neither In nor Best Few asks for anything: the whole week is prospecting
            hours = {Bucket.ABOVE: hours_per_week, Bucket.IN: 0.0, Bucket.BEST_FEW: 0.0}
            floor_binds = False

    percent = split_percentages(hours, hours_per_week)
    prospects = prospects_per_week(n[Bucket.ABOVE], params)
    shortfall = max(0.0, total - hours_per_week)
    context = _Context(hours_per_week, floor_share, floor_hours, floor_binds, overloaded, shortfall)
    reasons = {
        Bucket.ABOVE: _above_reason(n[Bucket.ABOVE], params, settings, prospects, demand[Bucket.ABOVE],
                                    hours[Bucket.ABOVE], context),
        Bucket.IN: _deal_reason(Bucket.IN, n[Bucket.IN], params, settings, demand[Bucket.IN], hours[Bucket.IN],
                                context),
        Bucket.BEST_FEW: _deal_reason(Bucket.BEST_FEW, n[Bucket.BEST_FEW], params, settings,
                                      demand[Bucket.BEST_FEW], hours[Bucket.BEST_FEW], context),
    }
    shares = {
        b: Share(percent=percent[b], hours=hours[b], reason=reasons[b], demanded_hours=demand[b])
        for b in OPEN_BUCKETS
    }
    return Allocation(
        shares=shares,
        overloaded_hours=shortfall,
        prospects_per_week=prospects,
        hours_per_week=hours_per_week,
        prospect_quota=round_up(prospects),
        floor_binds=floor_binds,
    )


def split_percentages(hours: Mapping[Bucket, float], hours_per_week: float) -> dict[Bucket, int]:
    """Hours over H as whole percentages summing to 100 (largest remainder, ties to the bucket
    nearer the top). A bucket given any hours keeps at least 1 %, taken from the largest share:
    a 0 % on screen would read as starved, and the week's time blocks are laid out from it."""
    if hours_per_week <= 0:  # no selling time at all: the whole (empty) week nominally belongs to prospecting
        return {Bucket.ABOVE: 100, Bucket.IN: 0, Bucket.BEST_FEW: 0}
    values = [max(0.0, hours[b]) / hours_per_week * 100 for b in OPEN_BUCKETS]
    percents = largest_remainder(values, 100)
    for i, value in enumerate(values):
        if percents[i] == 0 and value > 1e-6:
            donor = max(range(len(percents)), key=lambda j: (percents[j], -j))
            if percents[donor] > 1:
                percents[donor] -= 1
                percents[i] = 1
    return dict(zip(OPEN_BUCKETS, percents, strict=True))


def largest_remainder(values: Sequence[float], total: int) -> list[int]:
    """Round non-negative `values` to integers summing to `total` (when the values sum to it):
    floor each, then hand the missing units to the largest remainders, earlier entries first on ties."""
    floors = [math.floor(v + _EPS) for v in values]
    missing = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    for i in order[: max(0, missing)]:
        floors[i] += 1
    return floors


def own_split(split: Mapping[Bucket, int], suggestion: Allocation) -> OwnSplit:
    """SPEC §3.3 "The user's own split": the hours it gives each bucket beside what the bucket's
    deals ask (the suggestion's demand), and the buckets it gives less than half of that
    (`split_underserves`). Each reason says what the split does, not why the suggestion differs."""
    hours_per_week = suggestion.hours_per_week
    shares: dict[Bucket, Share] = {}
    underserved: list[Bucket] = []
    for bucket in OPEN_BUCKETS:
        percent = int(split[bucket])
        hours = percent * hours_per_week / 100
        asked = suggestion[bucket].demanded_hours
        suggested = suggestion[bucket]
        line = (f"{_LABEL[bucket]}: your {percent} % = {hours:.1f} h of the {asked:.1f} h/week "
                f"{'the top of the funnel asks' if bucket is Bucket.ABOVE else 'its deals ask'}")
        if asked > 0 and hours < asked / 2 - _EPS:
            underserved.append(bucket)
            line += f" — under half of it (the suggestion gives {suggested.hours:.1f} h)"
        elif asked > 0 and hours < asked - _EPS:
            line += f" — {hours / asked:.0%} of it"
        elif asked > 0:
            line += " — all of it"
            if hours > asked + 0.05:
                line += f", and {hours - asked:.1f} h more"
        elif hours > 0:
            line += f" — nothing asks for these {hours:.1f} h"
        shares[bucket] = Share(percent=percent, hours=hours, reason=line, demanded_hours=asked)
    return OwnSplit(shares=shares, underserved=tuple(underserved), hours_per_week=hours_per_week)


# --- reasons ---------------------------------------------------------------------------------------


class _Context:
    __slots__ = ("hours_per_week", "floor_share", "floor_hours", "floor_binds", "overloaded", "shortfall")

    def __init__(self, hours_per_week: float, floor_share: float, floor_hours: float, floor_binds: bool,
                 overloaded: bool, shortfall: float) -> None:
        self.hours_per_week = hours_per_week
        self.floor_share = floor_share
        self.floor_hours = floor_hours
        self.floor_binds = floor_binds
        self.overloaded = overloaded
        self.shortfall = shortfall


def _plural(count: float, word: str) -> str:
    return f"{count:g} {word}" if count == 1 else f"{count:g} {word}s"


def _asked_given(demanded: float, given: float) -> str:
    return f"{demanded:.1f} h/week asked, {given:.1f} h given"


def _deal_reason(bucket: Bucket, count: int, params: FunnelParameters, settings: Settings, demanded: float,
                 given: float, ctx: _Context) -> str:
    effort = settings.effort_hours[bucket]
    days = params.residence_days[bucket].value
    other = "Best Few" if bucket is Bucket.IN else "In"
    line = (f"{_LABEL[bucket]}: {_plural(count, 'deal')} × {effort:.1f} h over ~{days:.0f} days → "
            f"{_asked_given(demanded, given)}")
    if demanded <= 0:
        return line
    if ctx.floor_binds:
        line += f"; shares what is left after the {ctx.floor_share:.0%} prospecting floor with {other}, by demand"
    elif ctx.overloaded:
        line += f"; {given / demanded:.0%} of it (the week is {ctx.shortfall:.1f} h short)"
    return line


def _above_reason(n_above: int, params: FunnelParameters, settings: Settings, prospects: float, demanded: float,
                  given: float, ctx: _Context) -> str:
    target = params.target_stock[Bucket.ABOVE]
    effort = settings.effort_hours[Bucket.ABOVE]
    days = params.residence_days[Bucket.ABOVE].value
    if n_above >= target:
        worked = f"{_plural(n_above, 'prospect')} × {effort:.1f} h"
    else:
        worked = f"{target:.1f} prospects needed (you have {n_above}) × {effort:.1f} h"
    line = (f"Above: {worked} over ~{days:.0f} days + {prospects:.1f} new prospects/week × "
            f"{settings.prospect_hours:.1f} h → {_asked_given(demanded, given)}")
    if ctx.floor_binds:
        line += f"; raised to the {ctx.floor_share:.0%} prospecting floor"
    elif ctx.overloaded:
        line += f"; {given / demanded:.0%} of it (the week is {ctx.shortfall:.1f} h short)"
    elif given > demanded + 0.05:
        line += f"; the {given - demanded:.1f} h nothing else needs go to prospecting"
    return line
