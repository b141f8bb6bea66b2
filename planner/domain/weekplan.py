"""The week's plan (SPEC §2 "Weekly plan"): the split, planned against logged hours, time blocks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

from planner.domain.allocation import largest_remainder
from planner.domain.models import OPEN_BUCKETS, PRIORITY, Allocation, Bucket, TimeBlock, WeekPlan
from planner.domain.projection import monday_of
from planner.domain.status import valid_split
from planner.domain.settings import Settings

SLOT_MINUTES = 15  # blocks are planned in quarter hours
MAX_RUN_MINUTES = 180  # no more than about three hours of work without a break
BREAK_MINUTES = 15
WORKDAYS = 5  # Monday to Friday
MIN_CHUNK_SLOTS = 2  # a bucket's day gets at least half an hour, so small shares are not crumbs

BLOCK_TITLES = {
    Bucket.BEST_FEW: "Best Few: close",
    Bucket.ABOVE: "Above: prospecting",
    Bucket.IN: "In: cover buying influences",
}


def week_plan(today: date, settings: Settings, allocation: Allocation, week_minutes: Mapping[Bucket, int]) -> WeekPlan:
    """SPEC §2 "Weekly plan": the user's split when set (else the suggestion of SPEC §3.3), the hours
    it plans out of H, the hours logged so far, and time blocks Monday to Friday.

    Blocks start at the day-start hour, Best Few first each day, then Above, then In (the priority
    order). Each bucket's time is rounded to quarter hours with the week's total kept (H rounded to
    a quarter hour), spread evenly over the days, and split so no run of work passes three hours
    without a 15-minute break. A day too long to fit before midnight starts earlier.
    """
    hours = max(0.0, float(settings.hours_per_week))
    suggested = {b: allocation[b].percent for b in OPEN_BUCKETS}
    custom = valid_split(settings.user_split)
    split = custom if custom is not None else suggested
    week_start = monday_of(today)
    return WeekPlan(
        week_start=week_start,
        hours=hours,
        suggested=suggested,
        split=split,
        is_custom=custom is not None,
        planned_hours={b: split[b] * hours / 100 for b in OPEN_BUCKETS},
        logged_hours={b: week_minutes.get(b, 0) / 60 for b in OPEN_BUCKETS},
        blocks=_blocks(week_start, split, hours, settings.day_start_hour),
    )


def _blocks(week_start: date, split: Mapping[Bucket, int], hours: float, day_start_hour: int) -> tuple[TimeBlock, ...]:
    total_slots = math.floor(hours * 60 / SLOT_MINUTES + 0.5)
    per_bucket = largest_remainder([split[b] * total_slots / 100 for b in PRIORITY], total_slots)
    days: list[dict[Bucket, int]] = [{} for _ in range(WORKDAYS)]
    for bucket, slots in zip(PRIORITY, per_bucket, strict=True):
        for day, amount in enumerate(_spread(slots, [sum(d.values()) for d in days])):
            if amount:
                days[day][bucket] = amount

    blocks: list[TimeBlock] = []
    for index, day_slots in enumerate(days):
        day = week_start + timedelta(days=index)
        laid_out = _lay_out([(b, day_slots[b] * SLOT_MINUTES) for b in PRIORITY if b in day_slots])
        length = laid_out[-1][0] + laid_out[-1][1] if laid_out else 0
        start = max(0, min(day_start_hour * 60, 24 * 60 - length))
        blocks.extend(TimeBlock(day, start + offset, minutes, bucket, BLOCK_TITLES[bucket])
                      for offset, minutes, bucket in laid_out)
    return tuple(blocks)


def _spread(slots: int, load: list[int]) -> list[int]:
    """Share `slots` out over the days: every day gets an even part when there is enough, the rest
    goes in half-hour chunks to the least loaded days (earliest first), one chunk per day."""
    if slots <= 0:
        return [0] * len(load)
    base = slots // len(load) if slots >= MIN_CHUNK_SLOTS * len(load) else 0
    out = [base] * len(load)
    rest = slots - base * len(load)
    if base:
        chunks = [1] * rest  # a quarter hour more on some days
    else:
        count = max(1, rest // MIN_CHUNK_SLOTS)
        chunks = [rest // count + (1 if i < rest % count else 0) for i in range(count)]
    current = [load[i] + out[i] for i in range(len(load))]
    used: set[int] = set()
    for chunk in chunks:
        day = min((i for i in range(len(load)) if i not in used), key=lambda i: (current[i], i))
        used.add(day)
        out[day] += chunk
        current[day] += chunk
    return out


def _lay_out(work: list[tuple[Bucket, int]]) -> list[tuple[int, int, Bucket]]:
    """(offset, minutes, bucket) blocks in the given order. A block that would stretch the run of
    work past MAX_RUN_MINUTES gets a break before it; a block longer than that on its own is cut
    into near-equal quarter-hour pieces first, so breaks fall between blocks, not into crumbs."""
    out: list[tuple[int, int, Bucket]] = []
    cursor = run = 0
    for bucket, minutes in work:
        slots = minutes // SLOT_MINUTES
        parts = math.ceil(minutes / MAX_RUN_MINUTES)
        for i in range(parts):
            piece = (slots // parts + (1 if i < slots % parts else 0)) * SLOT_MINUTES
            if run and run + piece > MAX_RUN_MINUTES:
                cursor += BREAK_MINUTES
                run = 0
            out.append((cursor, piece, bucket))
            cursor += piece
            run += piece
    return out
