"""iCalendar export of the week's time blocks (SPEC §2 "Weekly plan … export of those blocks").

What makes the file worth importing or subscribing to:
- each event names the deals to work on (summary) and their next actions (description);
- times are in the user's time zone: `DTSTART;TZID=Europe/Berlin` with its VTIMEZONE, from
  pendulum's local time zone, so Google, Apple and Outlook place them right across a change of
  summer time; a zone without a name (a fixed offset) is written in UTC (`…Z`) instead;
- UIDs are stable per (week, day, bucket, n-th block of that bucket that day), and SEQUENCE rises
  with each export, so importing a changed plan again updates the events instead of duplicating them;
- days already past are left out unless asked (`include_past`): re-importing then leaves what
  happened on them alone;
- a block an earlier export of the week had and this plan no longer has (fewer hours, another
  split) comes again as a cancellation (same UID, STATUS:CANCELLED, the higher SEQUENCE), so a
  calendar the earlier file went into drops it: importing again leaves one set of events, this
  plan's. The core remembers what it exported (`cancelled`); this module only writes the file.

`icalendar` and `pendulum` are imported inside the function: exporting a calendar is rare, start-up is not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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


def sequence_at(stamp: datetime) -> int:
    """The SEQUENCE of an export made at `stamp`: minutes since 2020, so a later export is higher."""
    return max(0, int((stamp.astimezone(UTC) - _SEQUENCE_EPOCH).total_seconds() // 60))


def week_ics(plan: WeekPlan, *, today: date | None = None, include_past: bool = False,
             stamp: datetime | None = None, zone: tzinfo | None = None, sequence: int | None = None,
             cancelled: Mapping[str, tuple[date, int, int]] | None = None) -> bytes:
    """One VEVENT per TimeBlock from `today` on (every day of the week with `include_past`), in
    the user's time zone (`zone`, default pendulum's local one). `stamp` (DTSTAMP, UTC) defaults to
    now; pass it for byte-identical output. `sequence` defaults to `sequence_at(stamp)`.
    `cancelled`: uid → (day, start minute, minutes) of events exported before that this plan no
    longer has; each is written as a cancellation of that event."""
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
    # Rises with every export: calendars take a re-import as an update.
    sequence = sequence_at(stamp) if sequence is None else sequence

    def times(day: date, start_minute: int, minutes: int) -> tuple[datetime, datetime]:
        local = datetime.combine(day, time()) + timedelta(minutes=start_minute)
        if tz is not None:
            return local.replace(tzinfo=tz), (local + timedelta(minutes=minutes)).replace(tzinfo=tz)
        start = local.replace(tzinfo=zone).astimezone(UTC)
        return start, start + timedelta(minutes=minutes)

    def event(uid: str, start: datetime, end: datetime) -> Event:
        made = Event()
        made.add("uid", uid)
        made.add("dtstamp", stamp)
        made.add("sequence", sequence)
        made.add("dtstart", start)
        made.add("dtend", end)
        return made

    for uid, block in exported_blocks(plan, today=today, include_past=include_past):
        made = event(uid, *times(block.day, block.start_minute, block.minutes))
        made.add("summary", block.title)
        description = block.detail
        share = f"{block.bucket.label}: {plan.split[block.bucket]} % of {plan.hours:g} h this week."
        made.add("description", f"{description}\n{share}" if description else share)
        made.add("categories", [block.bucket.label])
        made.add("status", "CONFIRMED")  # back, should an earlier export have cancelled it
        made.add("transp", "OPAQUE")
        calendar.add_component(made)
    for uid, (day, start_minute, minutes) in sorted((cancelled or {}).items(), key=lambda item: item[1]):
        made = event(uid, *times(day, start_minute, minutes))
        made.add("summary", "No longer in this week's plan")
        made.add("status", "CANCELLED")
        made.add("transp", "TRANSPARENT")
        calendar.add_component(made)
    if tz is not None:
        calendar.add_missing_timezones()
    return calendar.to_ical()
