"""`?` and the command palette come from the same tables as the keys: every screen's own keys are in them."""

from planner.app import PlannerApp
from planner.ui.screens.modals import HelpScreen


async def test_help_on_a_screen_lists_that_screens_own_keys_first(db):
    app = PlannerApp(db=db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text()
        assert "On this screen (Today)" in text
        assert text.index("Record today's check-in") < text.index("Undo the latest change")
        assert "Add a deal to the focused bucket" not in text  # a Funnel key, not Today's
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_help_on_the_funnel_lists_the_funnels_keys_as_its_own(db):
    app = PlannerApp(db=db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = app.screen.text()
        assert text.index("On this screen (Funnel)") < text.index("Add a deal to the focused bucket") < text.index("Everywhere")


async def test_palette_offers_the_active_screens_own_actions(db):
    app = PlannerApp(db=db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert any(t.startswith("Edit split") for t in titles)
        assert not any(t.startswith("Reset split") for t in titles)  # nothing to reset while the split is the suggestion
        assert not any(t.startswith("Finish check-in") for t in titles)  # a Today key, not offered on Week
