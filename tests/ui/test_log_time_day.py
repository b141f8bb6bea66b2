"""One log-time form everywhere (Funnel `t`, the deal's details `t`, Today `l`), with the day the
time was spent: Friday's calls logged on Monday with `fri` land on Friday (SPEC §2 "Log activities").

Today is Monday 2026-03-09 here, so `fri` is 2026-03-06 and `tomorrow` is refused.
"""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import Checkbox, Select

from planner.app import PlannerApp
from planner.domain.models import ActivityKind, Bucket, Opportunity
from planner.ui.screens.modals import LogTimeModal

from .conftest import repository

MONDAY = date(2026, 3, 9)
FRIDAY = date(2026, 3, 6)
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def on_monday(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setenv("PLANNER_TODAY", MONDAY.isoformat())
    return MONDAY


def seed_one(db: str, bucket: Bucket = Bucket.BEST_FEW) -> int:
    with repository(db) as repo:
        return repo.add(Opportunity("Website revamp", bucket=bucket, next_action="Call CFO", next_action_due=MONDAY),
                        on=date(2026, 2, 2))


def fill(app, **values: str) -> None:
    for name, value in values.items():
        app.screen.query_one(f"#{name}").value = value


def text_of(widget) -> str:
    strips = widget.render_lines(widget.region.reset_offset)
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


async def test_fridays_calls_logged_on_monday_from_today_land_on_friday(db):
    deal_id = seed_one(db)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        today = pilot.app.screen
        options = today.query_one("#today-agenda")
        options.highlighted = options.get_option_index(f"close-{deal_id}")
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LogTimeModal)  # the Funnel's form, not another one
        assert pilot.app.focused.id == "minutes"
        pilot.app.screen.query_one("#kind", Select).value = ActivityKind.MEETING
        await pilot.press(*"1h30")
        fill(pilot.app, note="demo", day="fri")
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is today
    with repository(db) as repo:
        [activity] = repo.activities(deal_id)
    assert (activity.on, activity.minutes, activity.kind, activity.note) == (FRIDAY, 90, ActivityKind.MEETING, "demo")
    assert activity.bucket is Bucket.BEST_FEW


async def test_prospecting_time_from_today_goes_on_yesterday(db):
    seed_one(db)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        options = pilot.app.screen.query_one("#today-agenda")
        options.highlighted = options.get_option_index("prospect-0")
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LogTimeModal)
        assert not pilot.app.screen.query(Checkbox)  # no deal: no "prospecting instead"
        await pilot.press(*"45")
        fill(pilot.app, day="yesterday")
        await pilot.press("enter")
        await pilot.pause()
    with repository(db) as repo:
        [activity] = repo.activities()
    assert (activity.opportunity_id, activity.on, activity.kind, activity.bucket) == (
        None, date(2026, 3, 8), ActivityKind.RESEARCH, Bucket.ABOVE)


async def test_funnel_t_takes_a_weekday_and_a_date(db):
    deal_id = seed_one(db, Bucket.ABOVE)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("t", *"30")
        fill(pilot.app, day="FRI")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("t", *"15")
        fill(pilot.app, day="2026-03-02")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("t", *"10")  # an empty day is today
        await pilot.press("enter")
        await pilot.pause()
    with repository(db) as repo:
        days = sorted((a.on, a.minutes) for a in repo.activities(deal_id))
    assert days == [(date(2026, 3, 2), 15), (FRIDAY, 30), (MONDAY, 10)]


@pytest.mark.parametrize("day", ["someday", "tomorrow", "+2d", "2026-02-30"])
async def test_a_bad_day_is_one_line_in_the_dialog_and_nothing_is_logged(db, day):
    deal_id = seed_one(db)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("t", *"30")
        fill(pilot.app, day=day)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LogTimeModal)  # stays open with what was typed
        error = str(pilot.app.screen.query_one(".dialog-error").render())
        assert error.startswith("day ") and "\n" not in error
        assert pilot.app.screen.query_one("#minutes").value == "30"
    with repository(db) as repo:
        assert repo.activities(deal_id) == [] and repo.activities() == []


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_prospecting_choice_reads_whole(db, size):
    seed_one(db, Bucket.ABOVE)
    async with PlannerApp(db=db).run_test(size=size) as pilot:
        await pilot.press("t")
        await pilot.pause()
        choice = pilot.app.screen.query_one("#prospecting", Checkbox)
        box = pilot.app.screen.query_one(".dialog-box")
        # The whole label is inside the box (a checkbox does not wrap: the box would cut it).
        assert text_of(choice).endswith("(counts above the funnel)")
        assert box.content_region.contains_region(choice.region)
