"""`?` and the command palette, on every screen, from the one action table (SPEC §5).

`?` lists the keys of the screen it is opened on, then the keys that work everywhere, and never
another screen's (the Funnel's `d` deletes a deal; Today's `d` marks a next action done). The
palette (ctrl+p) finds every screen and every action; an action of another screen that needs
nothing selected there goes to its screen and runs there.
"""

from __future__ import annotations

from planner.app import PlannerApp, screen_scope
from planner.domain.models import Opportunity
from planner.ui.actions import ACTIONS, SCREENS
from planner.ui.screens.modals import HelpScreen

from .conftest import TODAY, funnel, notifications, repository, seed

SIZE = (120, 40)


def bound_there(screen, key: str, action: str) -> bool:
    """Pressing `key` on `screen` reaches `action`: a binding of the screen's (or, on a screen
    that is not a dialog, the app's) binding chain."""
    chain = screen._modal_binding_chain
    return any(binding.action == action for _node, bindings in chain for binding in bindings.key_to_bindings.get(key, ()))


async def open_each_screen(pilot):
    """Yield (scope, screen) for the five screens, the deal details and the closed deals, each as
    the user opens it."""
    app = pilot.app
    for mode, (key, _title) in SCREENS.items():
        await pilot.press(key)
        await pilot.pause()
        yield mode, app.screen
    await pilot.press("1", "enter")  # the details of the selected deal
    await pilot.pause()
    yield "deal", app.screen
    await pilot.press("escape", "c")  # the closed deals, over the Funnel
    await pilot.pause()
    yield "closed", app.screen
    await pilot.press("escape")
    await pilot.pause()


async def test_help_on_each_screen_lists_its_keys_first_and_only_keys_that_work_there(db):
    seed(db, Opportunity("Website revamp", next_action="Call Dana", next_action_due=TODAY))
    app = PlannerApp(db=db)
    seen = set()
    async with app.run_test(size=SIZE) as pilot:
        async for scope, screen in open_each_screen(pilot):
            assert screen_scope(screen) == scope
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen), scope
            text = app.screen.text()
            own = [a for a in ACTIONS if a.scope == scope and a.keys]
            mine = {a.help for a in own} | {a.help for a in ACTIONS if a.scope == "app"}
            for action in own:  # every key of the screen, before anything global
                assert action.help in text, (scope, action.id)
                assert text.index(action.help) < text.index("Escape closes this help")
                for key in action.keys.split(","):
                    assert bound_there(screen, key, action.action), (scope, action.id, key)
            for action in ACTIONS:
                if action.scope == "app" and action.keys and action.help in text:
                    # listed as global: it works here, and after the screen's own keys
                    assert all(bound_there(screen, k, action.action) for k in action.keys.split(",")), (scope, action.id)
                    assert text.index(action.help) > max(text.index(a.help) for a in own)
                elif action.scope not in (scope, "app") and action.help not in mine:
                    assert action.help not in text, f"{action.id} listed on {scope}"
            seen.add(scope)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
    assert seen == {*SCREENS, "deal", "closed"}


async def test_d_means_done_on_today_and_delete_on_the_funnel_and_help_says_so(db):
    seed(db, Opportunity("Website revamp", next_action="Call Dana", next_action_due=TODAY))
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "question_mark")
        await pilot.pause()
        today = app.screen.text()
        assert "Mark the selected next action done" in today and "Delete the selected deal" not in today
        await pilot.press("escape", "1", "question_mark")
        await pilot.pause()
        funnel_help = app.screen.text()
        assert "Delete the selected deal" in funnel_help and "Mark the selected next action done" not in funnel_help
        # The flag marks are explained where deals carry them (the Funnel), not on Today, which has none.
        assert "Flag marks beside a deal" in funnel_help and "Flag marks beside a deal" not in today


def palette_titles(app) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


async def search(app, query: str) -> list[str]:
    """What the palette shows for `query`, as the user types it (Textual's matcher over the titles)."""
    from textual.system_commands import SystemCommandsProvider

    provider = SystemCommandsProvider(app.screen)
    return [str(hit.text) async for hit in provider.search(query)]


async def test_the_palette_finds_every_screen_by_name_and_by_go_to(db):
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        for key, title in SCREENS.values():
            await pilot.press(key)
            await pilot.pause()
            for other_key, other in SCREENS.values():
                for query in (other.lower(), f"go to {other.lower()}"):
                    hits = await search(app, query)
                    assert any(h.startswith(f"Go to {other}") for h in hits), (title, query, hits)
        # Choosing one goes there.
        [go] = [c for c in app.get_system_commands(app.screen) if c.title.startswith("Go to Week")]
        await go.callback()
        await pilot.pause()
        assert app.current_mode == "week"


async def test_the_palette_holds_the_actions_of_every_screen_and_the_app(db):
    seed(db, Opportunity("Website revamp", next_action="Call Dana", next_action_due=TODAY))
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        titles = palette_titles(app)  # on the Funnel, a deal selected
        for wanted in ("Add  (a)", "Delete  (d)", "Undo  (u)", "Redo  (ctrl+r U)", "Export deals as CSV",
                       "Export everything as JSON", "Back up the database", "Week: iCal export  (3, then i)",
                       "Today: Finish check-in  (2, then f)", "Today: Add prospect  (2, then p)",
                       "Profile: Add criterion  (5, then a)", "Week: Hours  (3, then H)", "Theme"):
            assert any(t.startswith(wanted) for t in titles), wanted
        # What acts on the selected item of another screen is offered on that screen only.
        assert not any(t.startswith(("Today: Done", "Profile: Delete criterion", "Today: Reschedule")) for t in titles)
        for query in ("undo", "redo", "export", "backup", "ical", "theme"):
            assert await search(app, query), query
        await pilot.press("2")
        await pilot.pause()
        titles = palette_titles(app)
        assert any(t.startswith("Done  (d)") for t in titles)  # Today's own, on Today
        assert not any(t.startswith("Delete  (d)") for t in titles)  # the Funnel's needs its selected deal
        assert any(t.startswith("Funnel: Add  (1, then a)") for t in titles)


async def test_an_action_of_another_screen_goes_there_and_runs(db):
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        funnel(app)
        [finish] = [c for c in app.get_system_commands(app.screen) if c.title.startswith("Today: Finish check-in")]
        await finish.callback()
        for _ in range(3):
            await pilot.pause()
        assert app.current_mode == "today"
        with repository(db) as repo:
            assert repo.checkin_streak(TODAY) == 1  # run there: today's check-in is recorded
        assert any("Check-in done" in n for n in notifications(app))
        # Reset split with the suggested split in use: it goes to Week and says there is nothing to reset.
        [reset] = [c for c in app.get_system_commands(app.screen) if c.title.startswith("Week: Reset split")]
        await reset.callback()
        for _ in range(3):
            await pilot.pause()
        assert app.current_mode == "week"
        assert any("Reset split: nothing to do" in n for n in notifications(app))


async def test_export_and_backup_from_the_palette_write_where_the_dialog_says(db, tmp_path):
    seed(db, Opportunity("Website revamp"), Opportunity("Audit"))
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        from planner.ui.screens.today_forms import FormModal

        for title, name in (("Export deals as CSV", "deals.csv"), ("Export everything as JSON", "all.json"),
                            ("Back up the database", "copy.db")):
            [command] = [c for c in app.get_system_commands(app.screen) if c.title.startswith(title)]
            await command.callback()
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, FormModal)
            field = dialog.query_one("Input")
            assert field.value  # a sensible default is offered
            field.value = str(tmp_path)  # a folder: refused in one line, the dialog stays, nothing written
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is dialog
            error = str(dialog.query_one("#error").render())
            assert "folder" in error and "\n" not in error
            field.value = str(tmp_path / name)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is not dialog
            assert (tmp_path / name).is_file()
        csv = (tmp_path / "deals.csv").read_text(encoding="utf-8")
        assert "Website revamp" in csv and "Audit" in csv
        assert '"Website revamp"' in (tmp_path / "all.json").read_text(encoding="utf-8")
        with repository(str(tmp_path / "copy.db")) as copy:
            assert {d.title for d in copy.list()} == {"Website revamp", "Audit"}
        # A backup never replaces a file.
        [backup] = [c for c in app.get_system_commands(app.screen) if c.title.startswith("Back up")]
        await backup.callback()
        await pilot.pause()
        app.screen.query_one("Input").value = str(tmp_path / "copy.db")
        await pilot.press("enter")
        await pilot.pause()
        assert "already exists" in str(app.screen.query_one("#error").render())


def test_every_key_of_every_screen_is_a_row_of_the_action_table():
    """Help, footer and palette describe the same keys: a screen binds nothing the table lacks."""
    import importlib

    from planner.ui.actions import by_id

    table = by_id()
    for module, cls, scope in (("funnel", "FunnelScreen", "funnel"), ("today", "TodayScreen", "today"),
                               ("week", "WeekScreen", "week"), ("insights", "InsightsScreen", "insights"),
                               ("profile", "ProfileScreen", "profile"), ("deal", "DealDetailsScreen", "deal")):
        screen = getattr(importlib.import_module(f"planner.ui.screens.{module}"), cls)
        for binding in screen.BINDINGS:
            row = table.get(binding.id or "")
            assert row is not None and row.scope == scope, f"{cls}: {binding.key} → {binding.action} is not in the table"
            assert (row.keys, row.action) == (binding.key, binding.action)
