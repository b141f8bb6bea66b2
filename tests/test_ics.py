"""iCalendar export of the week's time blocks (SPEC §2 "Weekly plan", §4 `planner plan --ics`).

The file is read back with a tiny parser written here (unfolded lines, properties with their
parameters), so what is checked is what a calendar app reads, not what a library makes of it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from planner.domain.allocation import allocation, funnel_parameters
from planner.domain.models import Bucket, FunnelSnapshot, History, Opportunity
from planner.domain.settings import Settings
from planner.domain.status import analyse
from planner.domain.weekplan import week_plan
from planner.ics import week_ics

MONDAY = date(2026, 11, 23)
WEDNESDAY = MONDAY + timedelta(days=2)
BERLIN = ZoneInfo("Europe/Berlin")
STAMP = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def parse(data: bytes) -> tuple[dict[str, list[tuple[str, str]]], list[dict[str, tuple[str, str]]]]:
    """(calendar properties, events): each property as (parameters, value), lines unfolded."""
    text = data.decode("utf-8")
    assert "\r\n" in text
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw.startswith((" ", "\t")):
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    calendar: dict[str, list[tuple[str, str]]] = {}
    events: list[dict[str, tuple[str, str]]] = []
    stack: list[str] = []
    for line in lines:
        head, value = line.split(":", 1)
        name, _, params = head.partition(";")
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value
        elif stack == ["VCALENDAR", "VEVENT"]:
            events[-1][name] = (params, value)
        else:
            calendar.setdefault(name if stack == ["VCALENDAR"] else f"{stack[-1]}.{name}", []).append((params, value))
    assert not stack
    return calendar, events


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def deals() -> list[Opportunity]:
    return [
        Opportunity("Acme rollout", id=1, bucket=Bucket.BEST_FEW, account="Acme GmbH",
                    next_action="Send the contract", next_action_due=MONDAY + timedelta(days=3)),
        Opportunity("Globex audit", id=2, bucket=Bucket.BEST_FEW, next_action="Call Dana",
                    next_action_due=MONDAY + timedelta(days=1)),
        Opportunity("Initech 王", id=3, bucket=Bucket.IN, next_action="Meet the CTO", next_action_due=WEDNESDAY),
        Opportunity("Umbrella", id=4, bucket=Bucket.ABOVE),
    ]


def plan(settings: Settings = Settings(), today: date = WEDNESDAY):
    open_deals = tuple(deals())
    status = analyse(FunnelSnapshot(today, settings, open_deals, History()))
    return week_plan(today, settings, status.allocation, {}, open_deals)


def test_events_name_the_deals_and_their_next_actions():
    _, events = parse(week_ics(plan(), today=MONDAY, stamp=STAMP, zone=BERLIN))
    summaries = [unescape(e["SUMMARY"][1]) for e in events]
    assert "Best Few: close — Globex audit" in summaries  # next action due soonest: the first Best Few block
    assert "Best Few: close — Acme rollout" in summaries
    assert any(s.startswith("In: cover buying influences — Initech 王") for s in summaries)
    assert any(s.startswith("Above: prospecting — Umbrella") for s in summaries)
    described = {unescape(e["SUMMARY"][1]): unescape(e["DESCRIPTION"][1]) for e in events}
    acme = described["Best Few: close — Acme rollout"]
    assert "Acme rollout (Acme GmbH): next Send the contract, due Thu 26 Nov" in acme
    above = next(v for k, v in described.items() if k.startswith("Above"))
    assert "new prospects" in above and "this week" in above


def test_times_are_in_the_users_zone_with_its_vtimezone():
    calendar, events = parse(week_ics(plan(), today=MONDAY, stamp=STAMP, zone=BERLIN))
    assert calendar["VTIMEZONE.TZID"] == [("", "Europe/Berlin")]
    assert calendar["X-WR-TIMEZONE"] == [("", "Europe/Berlin")]
    first = min(events, key=lambda e: e["DTSTART"][1])
    assert first["DTSTART"] == ("TZID=Europe/Berlin", "20261123T090000")  # 09:00 where the user is
    assert all(e["DTSTART"][0] == "TZID=Europe/Berlin" and e["DTEND"][0] == "TZID=Europe/Berlin" for e in events)


def test_a_zone_without_a_name_is_written_in_utc():
    _, events = parse(week_ics(plan(), today=MONDAY, stamp=STAMP, zone=timezone(timedelta(hours=-5))))
    first = min(events, key=lambda e: e["DTSTART"][1])
    assert first["DTSTART"] == ("", "20261123T140000Z")  # 09:00 at UTC−5


def test_days_already_past_are_left_out_unless_asked():
    week = plan()
    _, events = parse(week_ics(week, today=WEDNESDAY, stamp=STAMP, zone=BERLIN))
    days = {e["DTSTART"][1][:8] for e in events}
    assert days == {"20261125", "20261126", "20261127"}
    _, every = parse(week_ics(week, today=WEDNESDAY, include_past=True, stamp=STAMP, zone=BERLIN))
    assert {e["DTSTART"][1][:8] for e in every} == {f"202611{d}" for d in range(23, 28)}
    # Leaving days out changes no UID: the events of Wednesday on are the same ones.
    assert {e["UID"][1] for e in events} <= {e["UID"][1] for e in every}


def test_exporting_a_changed_plan_again_updates_the_same_events():
    before = plan()
    after = plan(Settings(hours_per_week=20, user_split={Bucket.ABOVE: 50, Bucket.IN: 20, Bucket.BEST_FEW: 30}))
    _, first = parse(week_ics(before, include_past=True, stamp=STAMP, zone=BERLIN))
    _, second = parse(week_ics(after, include_past=True, stamp=STAMP + timedelta(hours=2), zone=BERLIN))
    assert [e["DTSTART"] for e in first] != [e["DTSTART"] for e in second]  # the plan did change

    def by_slot(events):
        """(day, bucket, n-th block of that bucket that day) → UID."""
        seen: Counter = Counter()
        out = {}
        for e in events:
            slot = (e["DTSTART"][1][:8], e["CATEGORIES"][1])
            out[(*slot, seen[slot])] = e["UID"][1]
            seen[slot] += 1
        return out

    old, new = by_slot(first), by_slot(second)
    shared = old.keys() & new.keys()
    assert len(shared) >= 10
    assert all(old[k] == new[k] for k in shared)  # the same (day, bucket, n-th block): the same event
    assert len({e["UID"][1] for e in second}) == len(second)  # and no two events share one
    # A later export carries a higher SEQUENCE, so calendars take it as an update.
    assert int(second[0]["SEQUENCE"][1]) > int(first[0]["SEQUENCE"][1])


def test_same_stamp_gives_identical_bytes():
    assert week_ics(plan(), stamp=STAMP, zone=BERLIN) == week_ics(plan(), stamp=STAMP, zone=BERLIN)
