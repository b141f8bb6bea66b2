"""iCalendar export of the week's time blocks (SPEC §2 "Weekly plan … export of those blocks").

`icalendar` is imported inside the function: exporting a calendar is rare, start-up is not.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from planner.domain.models import WeekPlan

_PRODID = "-//funnel-planner//week plan//EN"


def week_ics(plan: WeekPlan, *, stamp: datetime | None = None) -> bytes:
    """One VEVENT per TimeBlock, in floating local time (the blocks follow the user's day wherever
    the calendar is), with UIDs that stay the same when the same week is exported again so a
    calendar app updates the events instead of duplicating them. `stamp` (DTSTAMP, UTC) defaults
    to now; pass it for byte-identical output."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Selling week of {plan.week_start.isoformat()}")
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    for block in plan.blocks:
        start = datetime.combine(block.day, time()) + timedelta(minutes=block.start_minute)
        event = Event()
        event.add("uid", f"{block.day.isoformat()}-{block.start_minute:04d}-{block.bucket.value}@funnel-planner")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)  # naive datetime: floating time
        event.add("dtend", start + timedelta(minutes=block.minutes))
        event.add("summary", block.title)
        event.add("categories", [block.bucket.label])
        calendar.add_component(event)
    return calendar.to_ical()
