"""The Week screen (SPEC §2 "Weekly plan", §5): hours, the split with its reasons, logged against
planned, time blocks, the user's own split, and the iCalendar export.

The `fixed_today` and `db` fixtures come from tests/ui/conftest.py (today is Wed 2026-03-04, so the
week starts on Mon 2026-03-02).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from textual.widgets import DataTable

from planner.domain.models import Activity, ActivityKind, Bucket, Influence, Opportunity, Role
from .conftest import repository

TODAY = date(2026, 3, 4)
MONDAY = date(2026, 3, 2)


def seed(path: str, best_few: int = 2, in_funnel: int = 4) -> list[int]:
    economic = (Influence("Lee", Role.ECONOMIC, covered=True),)
    with repository(path) as repo:
        ids = [repo.add(Opportunity(f"Close {i}", bucket=Bucket.BEST_FEW, influences=economic), on=TODAY - timedelta(days=20))
               for i in range(best_few)]
        ids += [repo.add(Opportunity(f"Cover {i}", bucket=Bucket.IN, influences=economic), on=TODAY - timedelta(days=20))
                for i in range(in_funnel)]
        repo.log(Activity(ActivityKind.CALL, 90, TODAY, opportunity_id=ids[0]))
        repo.log(Activity(ActivityKind.RESEARCH, 30, MONDAY))
        return ids


def screen(app):
    from planner.ui.screens.week import WeekScreen

    assert isinstance(app.screen, WeekScreen), f"expected the Week screen, got {app.screen!r}"
    return app.screen


def text_of(app, selector: str) -> str:
    """What a widget shows, line by line, as the user reads it."""
    widget = app.screen.query_one(selector)
    strips = widget.render_lines(widget.region.reset_offset)
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def split_rows(app) -> dict[str, list[str]]:
    table = screen(app).query_one("#week-split", DataTable)
    # Columns: bucket, asked, suggested, your split, planned, logged.
    return {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}


async def fill(pilot, **values: str) -> None:
    for name, value in values.items():
        pilot.app.screen.query_one(f"#field-{name}").value = value
    await pilot.press("enter")
    await pilot.pause()


async def open_week(pilot) -> None:
    await pilot.press("3")
    await pilot.pause()


async def test_week_shows_hours_split_reasons_logged_time_and_blocks(db):
    from planner.app import PlannerApp

    seed(db)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        status = app.core.status()
        assert "Week of Mon 02 Mar 2026" in text_of(app, "#week-header")
        assert "15 h of selling time" in text_of(app, "#week-header")
        rows = split_rows(app)
        assert list(rows) == ["best_few", "above", "in"]  # the method's priority order
        for bucket in (Bucket.BEST_FEW, Bucket.ABOVE, Bucket.IN):
            assert rows[bucket.value][2] == f"{status.allocation[bucket].percent} %"
        assert sum(status.allocation[b].percent for b in (Bucket.BEST_FEW, Bucket.ABOVE, Bucket.IN)) == 100
        reasons = " ".join(text_of(app, "#week-reasons").split())  # long reasons wrap
        for bucket in (Bucket.BEST_FEW, Bucket.ABOVE, Bucket.IN):
            assert status.allocation[bucket].reason in reasons
        quota = status.allocation.prospect_quota
        assert f"Prospecting quota: {quota} new prospects this week" in reasons  # the engine's one quota
        assert rows["best_few"][5] == "1.5 h" and rows["above"][5] == "0.5 h"  # logged this week
        bars = text_of(app, "#week-bars")
        assert "1.5 h logged of" in bars and "0.5 h logged of" in bars
        blocks = text_of(app, "#week-blocks")
        for day in ("Mon 02 Mar", "Tue 03 Mar", "Wed 04 Mar", "Thu 05 Mar", "Fri 06 Mar"):
            assert day in blocks
        assert "09:00–" in blocks and "Best Few" in blocks
        # Each block names the deals to work on: the Best Few deals to close, the In deals to cover.
        assert "Close 0" in blocks and "Close 1" in blocks and "Cover 0" in blocks
        assert "your day 09:00–18:00, lunch 12:00–13:00" in text_of(app, "#week-blocks-title")


async def test_each_buckets_demand_is_shown_beside_its_share(db):
    from planner.app import PlannerApp

    seed(db)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        allocation = app.core.status().allocation
        rows = split_rows(app)
        for bucket in (Bucket.BEST_FEW, Bucket.ABOVE, Bucket.IN):
            assert rows[bucket.value][1] == f"{allocation[bucket].demanded_hours:.1f} h", bucket
        assert rows["in"][1] != rows["best_few"][1]
        # The normal week is said even when this week has no hours of its own.
        assert "15 h of selling time (normal week)" in text_of(app, "#week-header")


async def test_under_your_own_split_the_overload_says_what_your_split_gives(db):
    from planner.app import PlannerApp

    seed(db)  # 2 Best Few, 4 In: the funnel asks more than 15 h
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        assert "so the suggestion gives every bucket" in " ".join(text_of(app, "#week-overload").split())
        await pilot.press("e")
        await fill(pilot, best_few="10", above="80", **{"in": "10"})
        status = app.core.status()
        own = status.own_split
        assert own is not None and Bucket.IN in own.underserved
        said = " ".join(text_of(app, "#week-overload").split())
        assert "so the suggestion gives every bucket" not in said  # the split in use is the user's
        assert (f"your split gives Best Few {own[Bucket.BEST_FEW].hours:.1f} h of "
                f"{own[Bucket.BEST_FEW].demanded_hours:.1f} h") in said
        assert f"In {own[Bucket.IN].hours:.1f} h of {own[Bucket.IN].demanded_hours:.1f} h" in said
        # The bucket it starves is named with its hours (split_underserves).
        assert "Your split gives In the Funnel 1.5 h a week (10 %), under half of the" in said
        reasons = " ".join(text_of(app, "#week-reasons").split())
        assert own[Bucket.IN].reason in reasons
        await pilot.press("r")  # back to the suggestion: the overload speaks of it again
        await pilot.pause()
        assert "so the suggestion gives every bucket" in " ".join(text_of(app, "#week-overload").split())


async def test_the_prospecting_floor_is_said_when_it_holds(db):
    from planner.app import PlannerApp

    seed(db, best_few=12, in_funnel=15)  # SPEC §3.3's second example: Above gets the floor
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        allocation = app.core.status().allocation
        assert allocation.floor_binds
        reasons = " ".join(text_of(app, "#week-reasons").split())
        assert "The prospecting floor holds: Above the Funnel keeps 15 % of the week (2.2 h)" in reasons
        said = " ".join(text_of(app, "#week-overload").split())
        assert "the suggestion keeps the prospecting floor" in said
        assert "every bucket gets" not in said and "so the suggestion gives every bucket" not in said


async def test_overload_is_said_and_absent_when_the_week_suffices(db):
    from planner.app import PlannerApp

    seed(db, best_few=12, in_funnel=15)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        overload = screen(app).query_one("#week-overload")
        assert app.core.status().allocation.overloaded_hours > 0
        assert overload.has_class("overloaded") and overload.display
        assert f"{app.core.status().allocation.overloaded_hours:.1f} h" in text_of(app, "#week-overload")
        # More hours than the funnel asks for: the message goes away.
        await pilot.press("H")
        await fill(pilot, value="100")
        assert not overload.has_class("overloaded")
    with repository(db) as repo:
        assert repo.settings().hours_per_week == 15  # this week only: the normal week stays
        assert repo.snapshot(TODAY).week_hours == 100


async def test_hours_are_validated_and_bad_input_changes_nothing(db):
    from planner.app import PlannerApp

    seed(db)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        await pilot.press("H")
        await fill(pilot, value="lots")
        assert "hours_per_week must be a number" in text_of(app, "#error")
        await fill(pilot, value="0")
        assert "between" in text_of(app, "#error")
        await pilot.press("escape")
        await pilot.pause()
        with repository(db) as repo:
            assert repo.settings().hours_per_week == 15
            assert repo.snapshot(TODAY).week_hours is None
        await pilot.press("H", *"20", "enter")
        await pilot.pause()
        # Both are shown: this week's hours and the normal week's.
        assert "20 h of selling time this week (normal week 15 h)" in text_of(app, "#week-header")
        rows = split_rows(app)
        assert sum(float(rows[b][4].removesuffix(" h")) for b in rows) == 20
        await pilot.press("u")  # the week's hours are undone like any other change
        await pilot.pause()
        assert "15 h of selling time" in text_of(app, "#week-header")
        assert "this week" not in text_of(app, "#week-header")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "20 h of selling time this week" in text_of(app, "#week-header")
    with repository(db) as repo:
        assert repo.settings().hours_per_week == 15
        assert repo.snapshot(TODAY).week_hours == 20
        # Next week is a normal week again.
        assert repo.snapshot(TODAY + timedelta(days=7)).week_hours is None


async def test_normal_goes_back_to_the_normal_week(db):
    from planner.app import PlannerApp

    seed(db)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        await pilot.press("H")
        await fill(pilot, value="9")
        assert "9 h of selling time this week (normal week 15 h)" in text_of(app, "#week-header")
        await pilot.press("H")
        assert app.screen.query_one("#field-value").value == "9"
        await fill(pilot, value="normal")
        assert "15 h of selling time" in text_of(app, "#week-header")
    with repository(db) as repo:
        assert repo.snapshot(TODAY).week_hours is None


async def test_own_split_saved_refused_when_not_100_and_reset_to_the_suggestion(db):
    from planner.app import PlannerApp
    from planner.ui.screens.today_forms import FormModal

    seed(db)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        suggested = {b: app.core.status().allocation[b].percent for b in (Bucket.BEST_FEW, Bucket.ABOVE, Bucket.IN)}
        await pilot.press("e")
        await fill(pilot, best_few="20", above="50", **{"in": "40"})
        assert isinstance(app.screen, FormModal)
        assert "add up to 100, not 110" in text_of(app, "#error")
        await fill(pilot, best_few="20", above="fifty", **{"in": "30"})
        assert "whole percentage" in text_of(app, "#error")
        with repository(db) as repo:
            assert repo.settings().user_split is None
        await fill(pilot, best_few="20", above="50", **{"in": "30"})
        assert not isinstance(app.screen, FormModal)
        rows = split_rows(app)
        assert [rows[b][3] for b in ("best_few", "above", "in")] == ["20 %", "50 %", "30 %"]
        assert rows["above"][4] == "7.5 h"  # 50 % of 15 h
        assert "your split" in text_of(app, "#week-header")
        with repository(db) as repo:
            assert repo.settings().user_split == {Bucket.BEST_FEW: 20, Bucket.ABOVE: 50, Bucket.IN: 30}
        await pilot.press("r")
        await pilot.pause()
        rows = split_rows(app)
        assert [rows[b.value][3] for b in suggested] == [f"{v} %" for v in suggested.values()]
    with repository(db) as repo:
        assert repo.settings().user_split is None


async def test_ics_export_writes_the_same_calendar_as_the_cli(db, tmp_path, monkeypatch):
    import icalendar

    from planner.app import PlannerApp
    from planner.cli import run

    seed(db)
    monkeypatch.setenv("HOME", str(tmp_path))
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        plan = screen(app).plan
        from_today = [b for b in plan.blocks if b.day >= TODAY]
        assert 0 < len(from_today) < len(plan.blocks)
        await pilot.press("i")
        await pilot.pause()
        field = app.screen.query_one("#field-value")
        assert field.value == "~/planner-week-2026-03-02.ics"
        assert app.screen.query_one("#field-past").value == "no"
        await fill(pilot, value=str(tmp_path))  # a folder: refused
        assert "folder" in text_of(app, "#error")
        await fill(pilot, value="~/planner-week-2026-03-02.ics", past="maybe")
        assert "answer yes or no" in text_of(app, "#error")
        await fill(pilot, value="~/planner-week-2026-03-02.ics", past="no")
        # Monday and Tuesday are past: left out, and said so.
        written = tmp_path / "planner-week-2026-03-02.ics"
        events = icalendar.Calendar.from_ical(written.read_bytes()).walk("VEVENT")
        assert len(events) == len(from_today)
        assert min(e.decoded("dtstart") for e in events).date() == TODAY
        assert "Best Few: close — Close 0" in {str(e["summary"]) for e in events}  # the deal to close, by name
        await pilot.press("i")
        await pilot.pause()
        await fill(pilot, value="~/every-day.ics", past="yes")
        every = icalendar.Calendar.from_ical((tmp_path / "every-day.ics").read_bytes()).walk("VEVENT")
        assert len(every) == len(plan.blocks)
        assert min(e.decoded("dtstart") for e in every).date() == MONDAY

    assert run(["--db", db, "plan", "--ics", str(tmp_path / "cli.ics")]) == 0
    assert run(["--db", db, "plan", "--include-past", "--ics", str(tmp_path / "cli-every.ics")]) == 0

    def without_stamp(data: bytes) -> list[bytes]:
        return [line for line in data.splitlines() if not line.startswith((b"DTSTAMP", b"SEQUENCE"))]

    assert without_stamp(written.read_bytes()) == without_stamp((tmp_path / "cli.ics").read_bytes())
    assert without_stamp((tmp_path / "every-day.ics").read_bytes()) == without_stamp(
        (tmp_path / "cli-every.ics").read_bytes())


async def test_ics_export_onto_the_database_is_refused_and_the_database_is_unchanged(db, tmp_path):
    """The Week screen's `i` pointed at the database itself (or its -wal/-shm) writes nothing."""
    import os

    from planner.app import PlannerApp

    seed(db)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        await pilot.pause()
        before = open(db, "rb").read()
        for target in (db, db + "-wal", db + "-shm", os.path.relpath(db)):
            await pilot.press("i")
            await pilot.pause()
            await fill(pilot, value=target)
            assert "that is the database itself" in text_of(app, "#error"), target
            await pilot.press("escape")
            await pilot.pause()
        assert open(db, "rb").read() == before
        assert app.core.snapshot().open_deals  # still a working database
    with repository(db) as repo:
        assert open(db, "rb").read()[:16] == b"SQLite format 3\x00"
        assert len(repo.list()) == 6


async def test_small_terminal_scrolls_to_the_blocks(db):
    from planner.app import PlannerApp

    seed(db)
    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_week(pilot)
        body = screen(app).query_one("#week-body")
        assert body.max_scroll_y > 0  # the page scrolls rather than cutting the blocks off
        await pilot.press("j", "k", "enter")  # enter on a bucket opens the split form too
        await pilot.pause()
        from planner.ui.screens.today_forms import FormModal

        assert isinstance(app.screen, FormModal)
        await pilot.press("escape")
        await pilot.pause()
        assert "Fri 06 Mar" in text_of(app, "#week-blocks")


async def test_the_hours_a_bucket_is_given_read_the_same_on_every_screen(db, capsys):
    """One number for a bucket's hours (SPEC §3.3): the demo's Best Few is given 3.83 h (26 % of
    15 h, which is 3.9 h): the Funnel, the Week's planned column and reasons, `planner plan` and
    `status --json` all say the engine's 3.8 h. Under the user's own split, its hours likewise."""
    import json

    from planner.app import PlannerApp
    from planner.cli import run
    from planner.demo import build_demo

    with repository(db) as repo:
        build_demo(repo, TODAY)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        allocation = app.core.status().allocation
        given = {b: f"{allocation[b].hours:.1f} h" for b in (Bucket.BEST_FEW, Bucket.ABOVE, Bucket.IN)}
        assert given[Bucket.BEST_FEW] == "3.8 h" and allocation[Bucket.BEST_FEW].percent * 15 / 100 == 3.9
        for bucket, hours in given.items():
            summary = str(app.screen.query_one(f"#col-{bucket.value} .bucket-summary").render())
            assert f"{allocation[bucket].percent} % of your week · {hours}" in summary
        await open_week(pilot)
        rows = split_rows(app)
        reasons = " ".join(text_of(app, "#week-reasons").split())
        for bucket, hours in given.items():
            assert rows[bucket.value][4] == hours, bucket
            assert f"{hours} given" in reasons

        await pilot.press("e")  # the user's own split: 30/40/30 of 15 h
        await pilot.pause()
        await fill(pilot, above="30", **{"in": "40"}, best_few="30")
        rows = split_rows(app)
        reasons = " ".join(text_of(app, "#week-reasons").split())
        for bucket, percent, hours in ((Bucket.ABOVE, 30, "4.5 h"), (Bucket.IN, 40, "6.0 h"),
                                       (Bucket.BEST_FEW, 30, "4.5 h")):
            assert rows[bucket.value][4] == hours
            assert f"your {percent} % = {hours}" in reasons
        # The Funnel keeps the suggestion's share, said to be the suggestion's: the Week plans with yours.
        await pilot.press("1")
        await pilot.pause()
        for bucket, hours in given.items():
            summary = str(app.screen.query_one(f"#col-{bucket.value} .bucket-summary").render())
            assert f"suggested {allocation[bucket].percent} % · {hours}" in summary

    capsys.readouterr()
    assert run(["--db", db, "plan", "--split", "suggested"]) == 0  # back to the suggestion
    plan = capsys.readouterr().out
    assert run(["--db", db, "plan", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert run(["--db", db, "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    for bucket, hours in given.items():
        [row] = [line for line in plan.splitlines() if line.startswith(f"  {bucket.label} ")]
        asked, planned, logged = re.findall(r"\d+\.\d h", row)
        assert planned == hours, row
        assert f"{hours} given" in plan
        assert record["split"][bucket.value]["planned_hours"] == status["allocation"][bucket.value]["hours"]
        assert f"{status['allocation'][bucket.value]['hours']:.1f} h" == hours
