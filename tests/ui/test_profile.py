"""The Profile screen (SPEC §3.1 settings, §1 ideal customer, §5): every setting editable with
validation, and the ideal-customer criteria (add, edit, weight, kind, delete).

The `fixed_today` and `db` fixtures come from tests/ui/conftest.py.
"""

from __future__ import annotations


from textual.widgets import DataTable

from planner.domain.models import Bucket, Criterion, CriterionKind
from planner.domain.settings import SETTING_SPECS, Settings, with_setting
from .conftest import repository


def text_of(app, selector: str) -> str:
    widget = app.screen.query_one(selector)
    strips = widget.render_lines(widget.region.reset_offset)
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def table(app, name: str) -> DataTable:
    from planner.ui.screens.profile import ProfileScreen

    assert isinstance(app.screen, ProfileScreen), f"expected the Profile screen, got {app.screen!r}"
    return app.screen.query_one(f"#{name}-table", DataTable)


def rows(app, name: str) -> dict[str, list[str]]:
    t = table(app, name)
    return {str(key.value): [str(c) for c in t.get_row(key)] for key in t.rows}


async def select_setting(pilot, key: str) -> None:
    t = table(pilot.app, "settings")
    t.focus()
    t.move_cursor(row=t.get_row_index(key))
    await pilot.pause()


async def fill(pilot, **values: str) -> None:
    for name, value in values.items():
        pilot.app.screen.query_one(f"#field-{name}").value = value
    await pilot.press("enter")
    await pilot.pause()


async def open_profile(pilot) -> None:
    await pilot.press("5")
    await pilot.pause()


async def test_every_setting_is_listed_with_its_value_and_meaning(db):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_profile(pilot)
        shown = rows(app, "settings")
        assert list(shown) == list(SETTING_SPECS)
        # Human names, not the keys of the command line.
        assert shown["residence_days.best_few"][0] == "Typical stay in Best Few (days)"
        assert shown["pass_rate.in"][0] == "Pass rate In the Funnel"
        assert shown["hours_per_week"][0] == "Selling hours, normal week"
        assert not any("_" in row[0] for row in shown.values())
        assert shown["hours_per_week"][1] == "15"
        assert shown["effort_hours.in"][1] == "6"
        assert shown["pass_rate.above"][1] == "auto"
        assert shown["pass_rate.above"][2] == "default: 0.50"  # what the engine uses, and why
        assert shown["residence_days.in"][2] == "default: 27 days"  # 0.45 × 60
        await select_setting(pilot, "prospect_hours")
        hint = " ".join(text_of(app, "#profile-setting-help").split())
        # The highlighted setting in full: its name, the key to use with planner config, its meaning.
        assert "Hours to find one prospect · planner config prospect_hours" in hint
        assert "Hours to find and first-contact one new prospect (0.1 to 100)" in hint
        await pilot.press("e")
        await pilot.pause()
        assert "planner config prospect_hours VALUE" in text_of(app, "#hint")


async def test_the_meaning_stays_readable_in_a_small_terminal(db):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profile(pilot)
        await pilot.pause()
        settings = table(app, "settings")
        lines = text_of(app, "#settings-table").splitlines()
        header = lines[0]
        assert "Meaning" in header
        meaning_at = header.index("Meaning")
        row = next(line for line in lines if "Selling hours, normal week" in line)
        meaning = row[meaning_at:].strip()
        # More than a couple of letters of it, and an ellipsis where it is cut, not a hard cut.
        assert len(meaning) >= 15 and meaning.endswith("…") and meaning.startswith("Selling hours"), meaning
        assert settings.virtual_size.width <= settings.scrollable_content_region.width  # no sideways scrolling
        # Made wider, the names come back whole and the meaning gets the room.
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        lines = text_of(app, "#settings-table").splitlines()
        assert any("Typical stay in Above the Funnel (days)" in line for line in lines)


async def test_setting_saved_bad_value_refused_and_auto_resets(db):
    from planner.app import PlannerApp
    from planner.ui.screens.today_forms import FormModal

    with repository(db) as repo:
        repo.save_settings(with_setting(Settings(), "pass_rate.in", 0.7))
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_profile(pilot)
        await select_setting(pilot, "goal_wins_per_month")
        await pilot.press("e")
        await fill(pilot, value="[bold]x[/] [red")
        assert isinstance(app.screen, FormModal)
        assert "goal_wins_per_month must be a number, not '[bold]x[/] [red'" in text_of(app, "#error")
        await fill(pilot, value="-3")
        assert "between" in text_of(app, "#error")
        await pilot.press("escape")
        await pilot.pause()
        with repository(db) as repo:
            assert repo.settings().goal_wins_per_month == 2
        await pilot.press("enter")  # enter edits too
        await fill(pilot, value="3")
        assert rows(app, "settings")["goal_wins_per_month"][1] == "3"

        await select_setting(pilot, "pass_rate.in")
        assert rows(app, "settings")["pass_rate.in"][1] == "0.7"
        await pilot.press("e")
        await fill(pilot, value="auto")
        assert rows(app, "settings")["pass_rate.in"][1] == "auto"
        # Settings change the plan at once: the status was recomputed.
        assert app.core.status().parameters.pass_rate[Bucket.IN].value == 0.6
    with repository(db) as repo:
        settings = repo.settings()
    assert settings.goal_wins_per_month == 3
    assert settings.pass_rate[Bucket.IN] is None


async def test_criteria_add_edit_weight_kind_and_delete(db):
    from planner.app import PlannerApp

    with repository(db) as repo:
        repo.save_criterion(Criterion("50–500 employees", CriterionKind.DEMOGRAPHIC, 2))
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_profile(pilot)
        await pilot.press("a")
        await fill(pilot, name="Values quality 质量 🎯 [b]", kind="p", weight="3")
        await pilot.press("a")
        await fill(pilot, name="Budget", kind="d", weight="4")  # refused: weight is 1–3
        assert "weight must be 1, 2 or 3" in text_of(app, "#error")
        await fill(pilot, name="", kind="d", weight="1")
        assert "empty" in text_of(app, "#error")
        await pilot.press("escape")
        await pilot.pause()
        with repository(db) as repo:
            criteria = {c.name: c for c in repo.criteria()}
        assert set(criteria) == {"50–500 employees", "Values quality 质量 🎯 [b]"}
        added = criteria["Values quality 质量 🎯 [b]"]
        assert (added.kind, added.weight) == (CriterionKind.PSYCHOGRAPHIC, 3)
        assert rows(app, "criteria")[str(added.id)][0] == "Values quality 质量 🎯 [b]"

        first = criteria["50–500 employees"]
        ct = table(app, "criteria")
        ct.focus()
        ct.move_cursor(row=ct.get_row_index(str(first.id)))
        await pilot.pause()
        await pilot.press("e")
        await fill(pilot, name="20–500 employees")
        await pilot.press("plus", "plus", "minus", "minus", "minus")  # 2 → 3 (capped) → 1
        await pilot.press("s")
        await pilot.pause()
        with repository(db) as repo:
            edited = next(c for c in repo.criteria() if c.id == first.id)
        assert (edited.name, edited.weight, edited.kind) == ("20–500 employees", 1, CriterionKind.PSYCHOGRAPHIC)

        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")  # "Keep it" is first: nothing deleted
        await pilot.pause()
        with repository(db) as repo:
            assert len(repo.criteria()) == 2
        await pilot.press("d", "j", "enter")
        await pilot.pause()
        assert str(first.id) not in rows(app, "criteria")
    with repository(db) as repo:
        assert [c.name for c in repo.criteria()] == ["Values quality 质量 🎯 [b]"]


async def test_criterion_keys_do_nothing_on_the_settings_table_and_small_terminal(db):
    from planner.app import PlannerApp

    with repository(db) as repo:
        repo.save_criterion(Criterion("Region", CriterionKind.DEMOGRAPHIC, 2))
    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profile(pilot)
        assert app.screen.focused is table(app, "settings")
        await pilot.press("plus", "s", "d")
        await pilot.pause()
        with repository(db) as repo:
            assert [(c.name, c.weight, c.kind) for c in repo.criteria()] == [("Region", 2, CriterionKind.DEMOGRAPHIC)]
        await pilot.press("tab")
        await pilot.pause()
        assert app.screen.focused is table(app, "criteria")


async def test_the_selling_day_is_set_here_and_the_week_is_laid_out_in_it(db):
    from planner.app import PlannerApp
    from planner.ui.screens.today_forms import FormModal

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_profile(pilot)
        shown = rows(app, "settings")
        assert [shown[k][0:2] for k in ("day_end_hour", "lunch_hour", "lunch_minutes")] == [
            ["Selling day ends (hour)", "18"], ["Lunch starts (hour)", "12"], ["Lunch break (minutes)", "60"]]
        await select_setting(pilot, "day_end_hour")
        await pilot.press("e")
        await fill(pilot, value="25")  # refused: an hour of the day, 1 to 24
        assert isinstance(app.screen, FormModal)
        assert "day_end_hour must be between 1 and 24" in text_of(app, "#error")
        await fill(pilot, value="16")
        await select_setting(pilot, "lunch_hour")
        await pilot.press("e")
        await fill(pilot, value="11")
        await select_setting(pilot, "lunch_minutes")
        await pilot.press("e")
        await fill(pilot, value="45")
        assert [rows(app, "settings")[k][1] for k in ("day_end_hour", "lunch_hour", "lunch_minutes")] == [
            "16", "11", "45"]
        await pilot.press("3")  # the Week is laid out in that day at once
        await pilot.pause()
        assert "your day 09:00–16:00, lunch 11:00–11:45" in text_of(app, "#week-blocks-title")
        blocks = app.core.week_plan().blocks
        assert all(b.start_minute + b.minutes <= 11 * 60 or b.start_minute >= 11 * 60 + 45 for b in blocks)
        assert all(b.start_minute + b.minutes <= 16 * 60 for b in blocks)
        await pilot.press("u")  # undone like any other change
        await pilot.pause()
        assert "lunch 11:00–12:00" in text_of(app, "#week-blocks-title")
    with repository(db) as repo:
        settings = repo.settings()
    assert (settings.day_end_hour, settings.lunch_hour, settings.lunch_minutes) == (16, 11, 60)


async def test_this_weeks_own_hours_show_beside_the_normal_week(db):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_profile(pilot)
        assert rows(app, "settings")["hours_per_week"][1:3] == ["15", ""]
        await pilot.press("3", "H")
        await fill(pilot, value="22")
        await pilot.press("5")
        await pilot.pause()
        # The normal week stays 15 h; what the engine plans this week with is beside it.
        assert rows(app, "settings")["hours_per_week"][1:3] == ["15", "this week: 22 h"]
    with repository(db) as repo:
        assert repo.settings().hours_per_week == 15


async def test_a_new_criterion_is_selected_so_the_next_keys_act_on_it(db):
    """`a` pressed on the settings table: the new criterion gets the cursor and the focus, so the
    next +, s and d change it and not the first row."""
    from planner.app import PlannerApp

    with repository(db) as repo:
        repo.save_criterion(Criterion("Region", CriterionKind.DEMOGRAPHIC, 2))
        repo.save_criterion(Criterion("Sector", CriterionKind.DEMOGRAPHIC, 2))
    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profile(pilot)
        assert app.screen.focused is table(app, "settings")
        await pilot.press("a")
        await fill(pilot, name="Values quality", kind="d", weight="1")
        assert app.screen.focused is table(app, "criteria")
        await pilot.press("plus", "plus", "s")
        await pilot.pause()
        with repository(db) as repo:
            by_name = {c.name: (c.kind, c.weight) for c in repo.criteria()}
        assert by_name == {
            "Region": (CriterionKind.DEMOGRAPHIC, 2),
            "Sector": (CriterionKind.DEMOGRAPHIC, 2),
            "Values quality": (CriterionKind.PSYCHOGRAPHIC, 3),
        }
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("j", "enter")  # "Delete it"
        await pilot.pause()
    with repository(db) as repo:
        assert [c.name for c in repo.criteria()] == ["Region", "Sector"]
