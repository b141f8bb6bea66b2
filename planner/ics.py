"""iCalendar export of the week's time blocks (SPEC §2 "Weekly plan … export of those blocks").

What makes the file worth importing or subscribing to:
- each event names the deals to work on (summary) and their next actions (description);
- times are in the user's time zone: `DTSTART;TZID=Europe/Berlin` with its VTIMEZONE, from
  pendulum's local time zone, so Google, Apple and Outlook place them right across a change of
  summer time; a zone without a name (a fixed offset) is written in UTC (`…Z`) instead;
- UIDs are stable per (week, day, bucket, n-th block of that bucket that day), and SEQUENCE rises
  with each export, so importing a changed plan again updates the events instead of duplicating them;
- days already past are left out unless asked (`include_past`): re-importing then leaves what
  happened on them alone.

`icalendar` and `pendulum` are imported inside the function: exporting a calendar is rare, start-up is not.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from planner.domain.models import TimeBlock, WeekPlan

_PRODID = "-//funnel-planner//week plan//EN"
_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def block_uid(plan: WeekPlan, block: TimeBlock, n: int) -> str:
    """The event's UID: the same (week, weekday, bucket, n) gives the same UID on every export."""
    return f"{plan.week_start:%Y-%m-%d}.{block.day.weekday()}.{block.bucket.value}.{n}@funnel-planner"


def exported_blocks(plan: WeekPlan, *, today: date | None = None,
                    include_past: bool = False) -> list[tuple[str, TimeBlock]]:
    """(uid, block) for the blocks that go into the file, in time order: from `today` on unless
    `include_past`. UIDs are counted over the whole week, so leaving days out changes none."""
    seen: Counter = Counter()
    out: list[tuple[str, TimeBlock]] = []
    for block in sorted(plan.blocks, key=lambda b: (b.day, b.start_minute)):
        key = (block.day, block.bucket)
        uid = block_uid(plan, block, seen[key])
        seen[key] += 1
        if include_past or today is None or block.day >= today:
            out.append((uid, block))
    return out


def local_zone() -> tzinfo:
    """The user's time zone as pendulum sees it (TZ, /etc/localtime…)."""
    import pendulum

    return pendulum.local_timezone()


def week_ics(plan: WeekPlan, *, today: date | None = None, include_past: bool = False,
             stamp: datetime | None = None, zone: tzinfo | None = None) -> bytes:
    """One VEVENT per TimeBlock from `today` on (every day of the week with `include_past`), in
    the user's time zone (`zone`, default pendulum's local one). `stamp` (DTSTAMP, UTC) defaults to
    now; pass it for byte-identical output."""
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    zone = zone if zone is not None else local_zone()
    named = getattr(zone, "key", None) or getattr(zone, "name", None)
    try:
        tz: tzinfo | None = ZoneInfo(named) if named else None
    except (ValueError, KeyError, OSError):  # not an IANA name ("+01:00"): write UTC
        tz = None

    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Selling week of {plan.week_start.isoformat()}")
    if tz is not None:
        calendar.add("x-wr-timezone", str(named))
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    # Rises with every export (minutes since 2020): calendars take a re-import as an update.
    sequence = max(0, int((stamp - _SEQUENCE_EPOCH).total_seconds() // 60))
    for uid, block in exported_blocks(plan, today=today, include_past=include_past):
        local = datetime.combine(block.day, time()) + timedelta(minutes=block.start_minute)
        if tz is not None:
            start = local.replace(tzinfo=tz)
            end = (local + timedelta(minutes=block.minutes)).replace(tzinfo=tz)
        else:
            start = local.replace(tzinfo=zone).astimezone(UTC)
            end = start + timedelta(minutes=block.minutes)
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", block.title)
        description = block.detail
        share = f"{block.bucket.label}: {plan.split[block.bucket]} % of {plan.hours:g} h this week."
        event.add("description", f"{description}\n{share}" if description else share)
        event.add("categories", [block.bucket.label])
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    if tz is not None:
        calendar.add_missing_timezones()
    return calendar.to_ical()
