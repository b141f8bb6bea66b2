"""The roller-coaster projection (SPEC §3.4): expected wins per week from the deals in the funnel now."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from planner.domain.models import OPEN_BUCKETS, FunnelParameters, Opportunity, Projection, WeekForecast
from planner.domain.settings import Settings

#: A dry stretch is judged over about a month, the period the goal is set in.
STRETCH_WEEKS = 4


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def expected_close(deal: Opportunity, today: date, params: FunnelParameters) -> date:
    """When a deal is expected to close: its expected close date (a past date counts as today), else
    today + what is left of its stay in its bucket + the typical stays of the buckets after it."""
    return date.fromordinal(_close_day(deal, today, today.toordinal(), *_stays(params)))


def _stays(params: FunnelParameters) -> tuple[dict, dict]:
    """Per open bucket: its typical stay, and the sum of the typical stays of the buckets after it."""
    stay = {b: params.residence_days[b].value for b in OPEN_BUCKETS}
    later = {b: sum(stay[a] for a in OPEN_BUCKETS[i + 1:]) for i, b in enumerate(OPEN_BUCKETS)}
    return stay, later


def _close_day(deal: Opportunity, today: date, day: int, stay: dict, later: dict) -> int:
    """`expected_close` as a day number (`day` is today's), with `_stays` worked out once for all
    the deals of a projection."""
    if deal.expected_close is not None:
        return max(deal.expected_close.toordinal(), day)
    entered = deal.entered_bucket_on or deal.created_on or today
    remaining = max(0.0, stay[deal.bucket] - max(0, day - entered.toordinal())) + later[deal.bucket]
    return day + math.floor(remaining + 0.5)


def projection(today: date, open_deals: Sequence[Opportunity], params: FunnelParameters,
               settings: Settings) -> Projection:
    """SPEC §3.4: expected wins per week from the Monday of this week through today + 1.5·C, each
    open deal adding its probability of winning in the week it is expected to close.

    The first dry week is the first week after this one, within one normal cycle from today, that
    opens a month-long stretch (four weeks, fewer if the cycle is shorter) whose expected wins fall
    below half the goal for that stretch. Weeks beyond today + C are not judged: only deals with a
    close date far out can land there, the rest of those weeks is filled by prospecting done from
    now on, which the weekly prospecting quota already asks for. See docs/method.md.
    """
    cycle = params.cycle.days
    start = monday_of(today)
    end = today + timedelta(days=math.ceil(1.5 * cycle))
    count = (end - start).days // 7 + 1
    wins = [0.0] * count
    day, first = today.toordinal(), start.toordinal()
    stay, later = _stays(params)
    chance = {b: params.win_probability(b) for b in OPEN_BUCKETS}
    for deal in open_deals:
        if deal.bucket in chance:  # open
            index = (_close_day(deal, today, day, stay, later) - first) // 7
            if 0 <= index < count:
                wins[index] += chance[deal.bucket]
    goal = settings.goal_wins_per_month * 7 / 30
    weeks = tuple(WeekForecast(start + timedelta(weeks=i), wins[i], goal) for i in range(count))

    first_dry = _first_dry_week(weeks, today + timedelta(days=math.ceil(cycle)))
    prospect_by = None
    if first_dry is not None:
        prospect_by = max(today, first_dry - timedelta(days=math.ceil(cycle)))
    return Projection(weeks=weeks, first_dry_week=first_dry, prospect_by=prospect_by)


def _first_dry_week(weeks: Sequence[WeekForecast], judged_until: date) -> date | None:
    judged = [w for w in weeks[1:] if w.start < judged_until]
    if not judged:
        return None
    size = min(STRETCH_WEEKS, len(judged))
    for i in range(len(judged) - size + 1):
        window = judged[i:i + size]
        if sum(w.expected_wins for w in window) < sum(w.goal for w in window) / 2:
            return next(w.start for w in window if w.dry)
    return None
