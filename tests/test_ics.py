"""iCalendar export of the week's time blocks."""

from __future__ import annotations

from datetime import UTC, date, datetime

from planner.domain.models import OPEN_BUCKETS, Bucket, TimeBlock, WeekPlan
from planner.ics import week_ics

MONDAY = date(2026, 11, 23)


def plan_with(blocks: tuple[TimeBlock, ...]) -> WeekPlan:
    zero = {b: 0.0 for b in OPEN_BUCKETS}
    split = {Bucket.ABOVE: 40, Bucket.IN: 30, Bucket.BEST_FEW: 30}
    return WeekPlan(MONDAY, 15.0, split, split, False, zero, zero, blocks)


def test_one_event_per_block_in_floating_time_with_stable_uids() -> None:
    from icalendar import Calendar

    blocks = (
        TimeBlock(MONDAY, 9 * 60, 90, Bucket.BEST_FEW, "Best Few: close — Acme 王"),
        TimeBlock(date(2026, 11, 24), 10 * 60 + 30, 60, Bucket.ABOVE, "Above: prospecting"),
    )
    data = week_ics(plan_with(blocks))
    events = Calendar.from_ical(data).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Best Few: close — Acme 王", "Above: prospecting"]
    first = events[0]
    assert first.decoded("dtstart") == datetime(2026, 11, 23, 9, 0)
    assert first.decoded("dtstart").tzinfo is None  # floating: the user's local time
    assert first.decoded("dtend") == datetime(2026, 11, 23, 10, 30)
    assert b"DTSTART:20261123T090000\r\n" in data

    again = Calendar.from_ical(week_ics(plan_with(blocks))).walk("VEVENT")
    assert [str(e["uid"]) for e in again] == [str(e["uid"]) for e in events]
    assert len({str(e["uid"]) for e in events}) == 2


def test_same_stamp_gives_identical_bytes() -> None:
    blocks = (TimeBlock(MONDAY, 540, 60, Bucket.IN, "In: cover influences"),)
    stamp = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert week_ics(plan_with(blocks), stamp=stamp) == week_ics(plan_with(blocks), stamp=stamp)
