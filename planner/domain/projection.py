"""The roller-coaster projection (SPEC §3.5): expected wins per week from the deals in the funnel
now, and the same weeks if the user keeps prospecting at the quota from today."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from planner.domain.models import OPEN_BUCKETS, Bucket, FunnelParameters, Opportunity, Projection, WeekForecast
from planner.domain.settings import Settings

#: Slipped and stale deals count at this weight (SPEC §3.5).
HALF_WEIGHT = 0.5


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def slipped(deal: Opportunity, today: date) -> bool:
    """SPEC §3.4 `close_date_passed`: an open deal whose expected close date is before today."""
    return deal.expected_close is not None and deal.expected_close < today


def idle_days(deal: Opportunity, today: date) -> int | None:
    """Days since the deal was last touched (an activity, a move, its creation); None if unknown."""
    touched = deal.last_touched_on or deal.entered_bucket_on or deal.created_on
    return None if touched is None else (today - touched).days


def is_stale(deal: Opportunity, today: date, residence_days: float) -> bool:
    """SPEC §3.4 `stale`: no activity and no move for longer than its bucket's typical stay."""
    idle = idle_days(deal, today)
    return idle is not None and idle > residence_days


def deal_weight(deal: Opportunity, today: date, params: FunnelParameters) -> float:
    """How much a deal counts in the projection and the forecast: half when its close date has
    passed (it slipped) or it is stale, else in full (SPEC §3.5)."""
    if slipped(deal, today) or is_stale(deal, today, params.residence_days[deal.bucket].value):
        return HALF_WEIGHT
    return 1.0


def expected_close(deal: Opportunity, today: date, params: FunnelParameters) -> date:
    """When a deal is expected to close: its expected close date when it is still ahead, else (no
    date, or one that has passed) today + what is left of its stay in its bucket + the typical
    stays of the buckets after it."""
    return date.fromordinal(_close_day(deal, today, today.toordinal(), *_stays(params)))


def _stays(params: FunnelParameters) -> tuple[dict, dict]:
    """Per open bucket: its typical stay, and the sum of the typical stays of the buckets after it."""
    stay = {b: params.residence_days[b].value for b in OPEN_BUCKETS}
    later = {b: sum(stay[a] for a in OPEN_BUCKETS[i + 1:]) for i, b in enumerate(OPEN_BUCKETS)}
    return stay, later


def _close_day(deal: Opportunity, today: date, day: int, stay: dict, later: dict) -> int:
    """`expected_close` as a day number (`day` is today's), with `_stays` worked out once for all
    the deals of a projection."""
    if deal.expected_close is not None and deal.expected_close.toordinal() >= day:
        return deal.expected_close.toordinal()
    entered = deal.entered_bucket_on or deal.created_on or today
    remaining = max(0.0, stay[deal.bucket] - max(0, day - entered.toordinal())) + later[deal.bucket]
    return day + math.floor(remaining + 0.5)


#: (deal, its expected close as a day number, its close date passed, stale): `placements`.
Placement = tuple[Opportunity, int, bool, bool]


def placements(today: date, open_deals: Sequence[Opportunity], params: FunnelParameters) -> list[Placement]:
    """Every open deal with the day it is expected to close (`expected_close`), whether its close
    date passed (it slipped) and whether it is stale (and not slipped): what the projection and the
    forecast both weigh, worked out once per deal (`analyse` hands the same list to both)."""
    day = today.toordinal()
    stay, later = _stays(params)
    out: list[Placement] = []
    for deal in open_deals:
        bucket = deal.bucket
        if bucket not in stay:  # closed
            continue
        close = deal.expected_close
        if close is not None and close.toordinal() >= day:
            out_day, late = close.toordinal(), False
        else:
            late = close is not None
            entered = deal.entered_bucket_on or deal.created_on or today
            remaining = max(0.0, stay[bucket] - max(0, day - entered.toordinal())) + later[bucket]
            out_day = day + math.floor(remaining + 0.5)
        touched = deal.last_touched_on or deal.entered_bucket_on or deal.created_on
        stale = not late and touched is not None and day - touched.toordinal() > stay[bucket]
        out.append((deal, out_day, late, stale))
    return out


def lead_days(params: FunnelParameters) -> int:
    """About how long a new prospect takes to close: the normal cycle C in whole days (SPEC §3.5)."""
    return max(1, math.ceil(params.cycle.days - 1e-9))


def projection(today: date, open_deals: Sequence[Opportunity], params: FunnelParameters, settings: Settings,
               quota: int = 0, placed: Sequence[Placement] | None = None) -> Projection:
    """SPEC §3.5: expected wins per week from the Monday of this week through today + 1.5·C.

    Each open deal adds its bucket's probability of winning (the product of the pass rates from
    its bucket on) in the week it is expected to close (`expected_close`); a deal whose close date
    passed, and every stale deal, at half weight. The second series adds `quota` new prospects a
    week from today on (spread over the days), each closing about C days after it is found with
    Above's probability of winning.

    Every week after this one is judged against half the weekly goal (this week is partly over and
    shown, not judged). For the first dry week W, prospecting fills it only if it starts by W − C:
    `prospect_by` is that day when it is today or later; otherwise `too_late` is set,
    `pull_forward` names the In-the-Funnel deals expected after W, soonest first, and
    `next_dry_week` is the first later dry week that prospecting can still reach (W2 − C is today
    or later), with `next_prospect_by` = W2 − C. `dry_run` counts W and the dry weeks right after it.
    `placed` is `placements(today, open_deals, params)` when the caller has it already.
    """
    lead = lead_days(params)
    start = monday_of(today)
    end = today + timedelta(days=math.ceil(1.5 * params.cycle.days - 1e-9))
    count = (end - start).days // 7 + 1
    wins = [0.0] * count
    day, first = today.toordinal(), start.toordinal()
    chance = {b: params.win_probability(b) for b in OPEN_BUCKETS}
    closes: dict[int, int] = {}  # In-the-Funnel deal id → its close day (for pulling forward)
    late_count = stale_count = 0
    if placed is None:
        placed = placements(today, open_deals, params)
    for deal, close, late, stale in placed:
        weight = 1.0
        if late:
            late_count += 1
            weight = HALF_WEIGHT
        elif stale:
            stale_count += 1
            weight = HALF_WEIGHT
        index = (close - first) // 7
        if 0 <= index < count:
            wins[index] += chance[deal.bucket] * weight
        if deal.bucket is Bucket.IN and deal.id is not None:
            closes[deal.id] = close

    # The second series: `quota` new prospects a week from today, each day's share closing `lead` days on.
    with_quota = list(wins)
    if quota > 0:
        per_day = quota / 7 * chance[Bucket.ABOVE]
        for found in range(day, end.toordinal() + 1):
            index = (found + lead - first) // 7
            if index >= count:
                break
            with_quota[index] += per_day

    goal = settings.goal_wins_per_month * 7 / 30
    weeks = tuple(
        WeekForecast(start + timedelta(weeks=i), wins[i], goal, with_quota[i], judged=i > 0) for i in range(count)
    )
    first_index = next((i for i, w in enumerate(weeks) if w.dry), None)
    first_dry = None if first_index is None else weeks[first_index].start
    first_dry_quota = next((w.start for w in weeks if w.dry_with_quota), None)
    prospect_by = next_dry = next_by = None
    too_late = False
    dry_run = 0
    pull: tuple[int, ...] = ()
    if first_dry is not None:
        while first_index + dry_run < count and weeks[first_index + dry_run].dry:
            dry_run += 1
        by = first_dry - timedelta(days=lead)
        if by >= today:
            prospect_by = by
        else:
            too_late = True
            after = first_dry.toordinal() + 7
            pull = tuple(i for i, _ in sorted(((i, c) for i, c in closes.items() if c >= after),
                                              key=lambda item: (item[1], item[0])))
            # The roller coaster's second dip: the first later dry week new prospects can still reach.
            reach = today + timedelta(days=lead)
            next_dry = next((w.start for w in weeks[first_index + 1:] if w.dry and w.start >= reach), None)
            next_by = None if next_dry is None else next_dry - timedelta(days=lead)
    return Projection(
        weeks=weeks,
        first_dry_week=first_dry,
        prospect_by=prospect_by,
        too_late=too_late,
        pull_forward=pull,
        first_dry_week_with_quota=first_dry_quota,
        slipped=late_count,
        stale=stale_count,
        quota=quota,
        lead_days=lead,
        dry_run=dry_run,
        next_dry_week=next_dry,
        next_prospect_by=next_by,
    )
