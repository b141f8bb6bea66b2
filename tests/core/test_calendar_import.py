"""An exported week imported into a calendar again and again gives one set of events: this plan's
(SPEC §2 "export of those blocks as an iCalendar file"; a re-export updates, never doubles).

The calendar here keeps imported events as calendar clients do (RFC 5546 §2.1.4–2.1.5): by UID;
an event whose UID it holds already replaces it only with a higher SEQUENCE, or the same SEQUENCE
and a later DTSTAMP (an older file imported again changes nothing); a CANCELLED one is no longer
shown. The files are read with the icalendar library, the exports made by the core as the Week's
`i` and `planner plan --ics` make them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from planner.domain.models import Bucket, Opportunity

from .conftest import TODAY

BERLIN = ZoneInfo("Europe/Berlin")


class CalendarStore:
    """The events a calendar holds after importing files into it."""

    def __init__(self) -> None:
        self.events: dict[str, tuple[tuple[int, datetime], object]] = {}

    def import_file(self, data: bytes) -> None:
        for event in Calendar.from_ical(data).walk("VEVENT"):
            uid = str(event["UID"])
            rank = (int(event.get("SEQUENCE", 0)), event.decoded("DTSTAMP"))
            held = self.events.get(uid)
            if held is None or rank > held[0]:
                self.events[uid] = (rank, event)

    def shown(self) -> list[tuple[datetime, datetime, str]]:
        """(start, end, summary) of every event shown, in wall-clock time where the user is."""
        out = []
        for _rank, event in self.events.values():
            if str(event.get("STATUS", "CONFIRMED")).upper() == "CANCELLED":
                continue
            start, end = event.decoded("DTSTART"), event.decoded("DTEND")
            out.append((start.astimezone(BERLIN).replace(tzinfo=None), end.astimezone(BERLIN).replace(tzinfo=None),
                        str(event["SUMMARY"])))
        return sorted(out)


def planned(core, *, since=TODAY) -> list[tuple[datetime, datetime, str]]:
    """The plan's blocks from `since` on, as the calendar should show them."""
    out = []
    for block in core.week_plan().blocks:
        if block.day >= since:
            start = datetime.combine(block.day, datetime.min.time()) + timedelta(minutes=block.start_minute)
            out.append((start, start + timedelta(minutes=block.minutes), block.title))
    return sorted(out)


@pytest.fixture(autouse=True)
def in_berlin(monkeypatch):
    monkeypatch.setattr("planner.ics.local_zone", lambda: BERLIN)


@pytest.fixture
def funnel(core):
    core.add(Opportunity("Acme rollout", bucket=Bucket.BEST_FEW, next_action="Send the contract",
                         next_action_due=TODAY))
    core.add(Opportunity("Globex audit", bucket=Bucket.IN, next_action="Meet the CTO", next_action_due=TODAY))
    core.add(Opportunity("Initech 王"))
    return core


def export(core, tmp_path, name: str, **kwargs) -> bytes:
    return core.write_week_calendar(tmp_path / name, **kwargs).value.read_bytes()


def overlapping(events) -> list:
    return [(a, b) for a, b in zip(events, events[1:]) if b[0] < a[1]]


def test_the_same_week_imported_twice_is_one_set_of_events(funnel, tmp_path):
    calendar = CalendarStore()
    first = export(funnel, tmp_path, "a.ics")
    calendar.import_file(first)
    calendar.import_file(export(funnel, tmp_path, "b.ics"))
    assert calendar.shown() == planned(funnel)
    assert len(calendar.events) == len(planned(funnel))  # updated in place, not added
    calendar.import_file(first)  # an older file again: nothing goes back
    assert calendar.shown() == planned(funnel)


def test_a_changed_plan_imported_again_leaves_only_the_new_plans_events(funnel, tmp_path):
    calendar = CalendarStore()
    funnel.set_week_hours(40)  # long days: runs of work split by breaks and lunch, more blocks a day
    calendar.import_file(export(funnel, tmp_path, "long.ics"))
    long_week = planned(funnel)
    assert calendar.shown() == long_week
    funnel.set_week_hours(6)
    funnel.set_own_split({Bucket.ABOVE: 100, Bucket.IN: 0, Bucket.BEST_FEW: 0})
    calendar.import_file(export(funnel, tmp_path, "short.ics"))
    short_week = planned(funnel)
    assert len(short_week) < len(long_week)  # the plan lost blocks: their events must go
    assert calendar.shown() == short_week
    assert not overlapping(calendar.shown())
    funnel.set_own_split(None)
    funnel.set_week_hours(20)
    calendar.import_file(export(funnel, tmp_path, "again.ics"))
    assert calendar.shown() == planned(funnel)


def test_an_export_never_imported_does_not_make_the_next_one_forget_what_went(funnel, tmp_path):
    calendar = CalendarStore()
    funnel.set_week_hours(40)
    calendar.import_file(export(funnel, tmp_path, "long.ics"))
    funnel.set_week_hours(5)
    export(funnel, tmp_path, "short.ics")  # written, never imported
    funnel.set_week_hours(8)
    calendar.import_file(export(funnel, tmp_path, "later.ics"))
    assert calendar.shown() == planned(funnel)


def test_days_already_past_keep_their_events_unless_asked(funnel, tmp_path, monkeypatch):
    calendar = CalendarStore()
    funnel.set_week_hours(30)
    calendar.import_file(export(funnel, tmp_path, "whole.ics", include_past=True))
    monday = TODAY - timedelta(days=TODAY.weekday())
    past = [e for e in planned(funnel, since=monday) if e[0].date() < TODAY]
    assert past and calendar.shown() == planned(funnel, since=monday)
    funnel.set_week_hours(10)
    calendar.import_file(export(funnel, tmp_path, "rest.ics"))  # from today on: Monday and Tuesday left alone
    assert calendar.shown() == sorted(past + planned(funnel))
    calendar.import_file(export(funnel, tmp_path, "all.ics", include_past=True))  # asked: the past follows too
    assert calendar.shown() == planned(funnel, since=monday)


def test_the_cli_and_a_download_count_as_exports_too(funnel, tmp_path):
    """`planner plan --ics -` and the browser's download hand out `week_calendar()`'s bytes."""
    calendar = CalendarStore()
    funnel.set_week_hours(40)
    calendar.import_file(funnel.week_calendar())
    funnel.set_week_hours(5)
    calendar.import_file(funnel.week_calendar())
    assert calendar.shown() == planned(funnel)
