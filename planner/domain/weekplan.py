"""The week's plan (SPEC §2 "Weekly plan"): the split, planned against logged hours, time blocks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from planner.domain.allocation import largest_remainder, own_split
from planner.domain.models import OPEN_BUCKETS, PRIORITY, Allocation, Bucket, Opportunity, TimeBlock, WeekPlan
from planner.domain.projection import monday_of
from planner.domain.status import valid_split
from planner.domain.settings import Settings
from planner.domain.text import shown_line

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


def week_plan(today: date, settings: Settings, allocation: Allocation, week_minutes: Mapping[Bucket, int],
              deals: Iterable[Opportunity] = ()) -> WeekPlan:
    """SPEC §2 "Weekly plan": the user's split when set (else the suggestion of SPEC §3.3), the hours
    it plans out of H, the hours logged so far, and time blocks Monday to Friday.

    Blocks start at the day-start hour, Best Few first each day, then Above, then In (the priority
    order). Each bucket's time is rounded to quarter hours with the week's total kept (H rounded to
    a quarter hour), spread evenly over the days, and split so no run of work passes three hours
    without a 15-minute break. No block runs through the lunch break; a day with more work than fits
    before the day end starts earlier (and, when even that is not enough, runs on towards midnight).
    Each block names the open deals of its bucket to work on then (`deals`), soonest next action first.
    """
    hours = max(0.0, float(settings.hours_per_week))
    suggested = {b: allocation[b].percent for b in OPEN_BUCKETS}
    custom = valid_split(settings.user_split)
    split = custom if custom is not None else suggested
    # The hours each bucket is given, exactly as the engine gives them (the suggestion's, or what
    # the own split gives), never again from the rounded percentage: "33 %" of 15 h reads 5.0 h
    # where the engine gives 4.93 h, and the reasons, the Funnel and the CLI say 4.9 h.
    shares = own_split(custom, allocation) if custom is not None else allocation
    planned = {b: shares[b].hours for b in OPEN_BUCKETS}
    week_start = monday_of(today)
    blocks = _blocks(week_start, planned, hours, _Day.of(settings))
    return WeekPlan(
        week_start=week_start,
        hours=hours,
        suggested=suggested,
        split=split,
        is_custom=custom is not None,
        planned_hours=planned,
        logged_hours={b: week_minutes.get(b, 0) / 60 for b in OPEN_BUCKETS},
        blocks=_with_deals(blocks, tuple(deals), allocation.prospect_quota),
    )


@dataclass(frozen=True, slots=True)
class _Day:
    """The selling day in minutes after midnight: start, end, and the lunch break [lunch, lunch_end)."""

    start: int
    end: int
    lunch: int
    lunch_end: int

    @classmethod
    def of(cls, settings: Settings) -> _Day:
        start = settings.day_start_hour * 60
        end = settings.day_end_hour * 60
        if end <= start:  # a day end before the start says nothing usable: the day may run to midnight
            end = 24 * 60
        lunch = settings.lunch_hour * 60
        return cls(start, end, lunch, lunch + max(0, settings.lunch_minutes))

    @property
    def has_lunch(self) -> bool:
        return self.lunch_end > self.lunch


def _blocks(week_start: date, planned: Mapping[Bucket, float], hours: float, day: _Day) -> tuple[TimeBlock, ...]:
    total_slots = math.floor(hours * 60 / SLOT_MINUTES + 0.5)
    given = sum(planned[b] for b in PRIORITY)
    per_bucket = largest_remainder(
        [planned[b] / given * total_slots if given > 0 else 0.0 for b in PRIORITY], total_slots)
    days: list[dict[Bucket, int]] = [{} for _ in range(WORKDAYS)]
    for bucket, slots in zip(PRIORITY, per_bucket, strict=True):
        for index, amount in enumerate(_spread(slots, [sum(d.values()) for d in days])):
            if amount:
                days[index][bucket] = amount

    blocks: list[TimeBlock] = []
    for index, day_slots in enumerate(days):
        on = week_start + timedelta(days=index)
        work = [(b, day_slots[b] * SLOT_MINUTES) for b in PRIORITY if b in day_slots]
        blocks.extend(TimeBlock(on, start, minutes, bucket, BLOCK_TITLES[bucket])
                      for start, minutes, bucket in _place(work, day))
    return tuple(blocks)


def _place(work: list[tuple[Bucket, int]], day: _Day) -> list[tuple[int, int, Bucket]]:
    """The day's blocks at their times: from the day start, around the lunch break, starting
    earlier when the work would end after the day end (never before midnight), and without the
    lunch break when even a day from midnight is too short for it (SPEC's H goes up to 100 h)."""
    if not work:
        return []
    start = day.start
    laid = _lay_out(work, start, day)
    for _ in range(6):  # moving the start can add or remove the lunch break: settle in a few steps
        over = laid[-1][0] + laid[-1][1] - day.end
        if over <= 0 or start == 0:
            break
        start = max(0, start - math.ceil(over / SLOT_MINUTES) * SLOT_MINUTES)
        laid = _lay_out(work, start, day)
    if laid[-1][0] + laid[-1][1] > 24 * 60:  # no lunch break on a day this long
        laid = _lay_out(work, 0, replace(day, lunch_end=day.lunch))
    return laid


def _lay_out(work: list[tuple[Bucket, int]], start: int, day: _Day) -> list[tuple[int, int, Bucket]]:
    """(start, minutes, bucket) blocks in the given order from `start`. A block that would stretch
    the run of work past MAX_RUN_MINUTES gets a break before it; a block longer than that on its own
    is cut into near-equal quarter-hour pieces first, so breaks fall between blocks, not into crumbs.
    A block reaching into the lunch break is cut there and goes on after it (lunch is a break too)."""
    out: list[tuple[int, int, Bucket]] = []
    cursor, run = start, 0
    for bucket, minutes in work:
        slots = minutes // SLOT_MINUTES
        parts = math.ceil(minutes / MAX_RUN_MINUTES)
        for i in range(parts):
            piece = (slots // parts + (1 if i < slots % parts else 0)) * SLOT_MINUTES
            if run and run + piece > MAX_RUN_MINUTES:
                cursor += BREAK_MINUTES
                run = 0
            while piece:
                if day.has_lunch and day.lunch <= cursor < day.lunch_end:
                    cursor, run = day.lunch_end, 0
                before_lunch = day.lunch - cursor if day.has_lunch and cursor < day.lunch else piece
                part = min(piece, before_lunch)
                out.append((cursor, part, bucket))
                cursor += part
                run += part
                piece -= part
    return out


def _with_deals(blocks: tuple[TimeBlock, ...], deals: tuple[Opportunity, ...], quota: int) -> tuple[TimeBlock, ...]:
    """Each block with the deals to work on in it: a bucket's open deals, soonest next action first
    (overdue ones lead, deals with none come last), shared out over the bucket's blocks of the week
    in time order; a bucket with fewer deals than blocks goes round them again. The title names the
    first deal ("Best Few: close — Acme +1"); the detail lists each with its next action."""
    out: list[TimeBlock] = []
    by_bucket: dict[Bucket, list[Opportunity]] = {b: [] for b in OPEN_BUCKETS}
    for deal in deals:
        if deal.bucket in by_bucket:
            by_bucket[deal.bucket].append(deal)
    for group in by_bucket.values():
        group.sort(key=lambda d: (d.next_action_due is None, d.next_action_due or date.min, d.id or 0))
    ordered = sorted(blocks, key=lambda b: (b.day, b.start_minute))
    seen: dict[Bucket, int] = {b: 0 for b in OPEN_BUCKETS}
    count = {b: sum(1 for x in blocks if x.bucket is b) for b in OPEN_BUCKETS}
    for block in ordered:
        index = seen[block.bucket]
        seen[block.bucket] += 1
        group = by_bucket[block.bucket]
        mine = _share(group, index, count[block.bucket])
        title = BLOCK_TITLES[block.bucket]
        if mine:
            title += f" — {shown_line(mine[0].title)}" + (f" +{len(mine) - 1}" if len(mine) > 1 else "")
        lines = [_deal_line(d) for d in mine]
        if block.bucket is Bucket.ABOVE:
            if quota:
                lines.append(f"Find and first-contact new prospects: {quota} this week.")
            if not mine:
                lines.append("Nothing above the funnel yet: this is the time to fill it.")
        out.append(replace(block, title=title, detail="\n".join(lines)))
    return tuple(out)


def _share(group: list[Opportunity], index: int, blocks: int) -> list[Opportunity]:
    """The deals of block `index` out of `blocks`: near-equal runs in order, or one each going round."""
    if not group:
        return []
    if len(group) <= blocks:
        return [group[index % len(group)]]
    size, extra = divmod(len(group), blocks)
    first = index * size + min(index, extra)
    return group[first:first + size + (1 if index < extra else 0)]


def _deal_line(deal: Opportunity) -> str:
    name = shown_line(deal.title) + (f" ({shown_line(deal.account)})" if deal.account else "")
    if deal.next_action:
        due = f", due {deal.next_action_due:%a %d %b}" if deal.next_action_due else ""
        return f"{name}: next {shown_line(deal.next_action)}{due}"
    return f"{name}: no next action set"


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
