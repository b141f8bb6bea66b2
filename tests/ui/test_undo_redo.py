"""`u` and `ctrl+r` on every screen (SPEC §2, §5): every change a screen makes is undone exactly —
the database is row for row what it was before — and redone exactly, and the top bar says what was
undone or redone. One app session per screen, one change after another."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta

from textual.widgets import DataTable

from planner.app import PlannerApp
from planner.domain.models import Bucket, Criterion, Influence, Opportunity, Role

from .conftest import TODAY, bar_says, repository, seed

SIZE = (120, 40)
TABLES = ("opportunity", "influence", "opportunity_criterion", "criterion", "activity", "move", "setting", "checkin")


def rows(db: str) -> dict[str, list[tuple]]:
    """Every row of every table the user's data lives in, and of the counts kept from it."""
    with sqlite3.connect(db) as conn:
        tables = TABLES + tuple(n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('stay_count', 'outcome_count')"))
        # A count that went back to zero keeps its row (the triggers only add and subtract).
        return {t: sorted(conn.execute(f"SELECT * FROM {t}" + (" WHERE n != 0" if t.endswith("_count") else ""))
                          .fetchall(), key=repr) for t in tables}


def top_bar(app) -> str:
    return str(app.screen.query_one(".screen-bar").render())


async def undone_and_redone(pilot, db: str, change: Callable[[], Awaitable[None]], says: str) -> None:
    """Make `change`, then check that u takes back exactly it and ctrl+r makes it again."""
    app = pilot.app
    before = rows(db)
    await change()
    await pilot.pause()
    after = rows(db)
    assert after != before, f"{says}: nothing was written"
    assert bar_says(app, says) and top_bar(app).endswith(" · u undoes"), top_bar(app)
    await pilot.press("u")
    await pilot.pause()
    assert rows(db) == before, f"undoing {says} did not put every row back"
    assert bar_says(app, f"Undone: {says}") and top_bar(app).endswith(" · ctrl+r redoes"), top_bar(app)
    await pilot.press("ctrl+r")
    await pilot.pause()
    assert rows(db) == after, f"redoing {says} did not make exactly the same rows"
    assert bar_says(app, f"Redone: {says}"), top_bar(app)


async def fill(pilot, **values: str) -> None:
    for name, value in values.items():
        found = pilot.app.screen.query(f"#field-{name}")  # a form of today_forms
        (found.first() if found else pilot.app.screen.query_one(f"#{name}")).value = value  # or a dialog
    await pilot.press("enter")
    await pilot.pause()


async def test_every_change_on_the_funnel_is_undone_and_redone(db):
    seed(db, Opportunity("Audit", account="Initech", influences=(Influence("Lee", Role.ECONOMIC, covered=True),)),
         Opportunity("Website revamp", bucket=Bucket.IN))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:

        async def add():
            await pilot.press("a", *"Data platform", "enter")

        async def move_on():
            pilot.app.screen.select_deal(3)  # the deal just added (Audit is 1, Website revamp 2)
            await pilot.press("greater_than_sign")

        async def log_time():
            await pilot.press("t", *"45", "enter")

        async def next_action():
            await pilot.press("n", *"Send the proposal", "tab", *"fri", "enter")

        async def edit():
            await pilot.press("e")
            await pilot.pause()
            pilot.app.screen.query_one("#contact").value = "Dana Lee"
            await pilot.press("ctrl+s")

        async def won():
            await pilot.press("w")
            await pilot.pause()
            await pilot.press("enter")

        async def lost():
            pilot.app.screen.select_deal(2)
            await pilot.press("x", *"went with a cheaper offer", "enter")

        async def delete():
            pilot.app.screen.select_deal(1)
            await pilot.press("d")

        await undone_and_redone(pilot, db, add, "Added “Data platform” to Above the Funnel")
        await undone_and_redone(pilot, db, move_on, "Moved “Data platform” to In the Funnel")
        await undone_and_redone(pilot, db, log_time, "Logged 45 min call on “Data platform”")
        await undone_and_redone(pilot, db, next_action, "Next action for “Data platform”: Send the proposal")
        await undone_and_redone(pilot, db, edit, "Saved “Data platform”")
        await undone_and_redone(pilot, db, won, "Marked “Data platform” won")
        await undone_and_redone(pilot, db, lost, "Marked “Website revamp” lost: went with a cheaper offer")
        await undone_and_redone(pilot, db, delete, "Deleted “Audit”")


async def test_every_change_on_today_is_undone_and_redone(db):
    economic = Influence("Lee", Role.ECONOMIC, covered=True)
    earlier = TODAY - timedelta(days=30)
    with repository(db) as repo:
        close = repo.add(Opportunity("Contract", bucket=Bucket.BEST_FEW, next_action="Send contract",
                                     next_action_due=TODAY, influences=(economic,)), on=earlier)
        cover = repo.add(Opportunity("Rollout", bucket=Bucket.IN, next_action="Demo", next_action_due=TODAY + timedelta(9),
                                     influences=(economic, Influence("Bo", Role.TECHNICAL))), on=earlier)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        options = pilot.app.screen.query_one("#today-agenda")

        def select(option_id: str) -> None:
            options.highlighted = options.get_option_index(option_id)

        async def done():
            select(f"close-{close}")
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("escape")  # no next action yet

        async def reschedule():
            select(f"close-{close}")
            await pilot.press("r", *"fri", "enter")

        async def log():
            select(f"close-{close}")
            await pilot.press("l")
            await pilot.pause()
            pilot.app.screen.query_one("#minutes").value = "1h30"  # the one log-time form
            await pilot.press("enter")
            await pilot.pause()

        async def prospect():
            select("prospect-0")
            await pilot.press("p")
            await fill(pilot, title="Brand audit")

        async def cover_it():
            select(f"cover-{cover}")
            await pilot.press("d", "enter")

        async def finish():
            await pilot.press("f")

        await undone_and_redone(pilot, db, reschedule, "Rescheduled “Contract” to Fri 06 Mar")
        await undone_and_redone(pilot, db, done, "Done: Send contract (“Contract”)")
        await undone_and_redone(pilot, db, log, "Logged 90 min call on “Contract”")
        await undone_and_redone(pilot, db, prospect, "Added “Brand audit” to Above the Funnel")
        await undone_and_redone(pilot, db, cover_it, "Covered Bo (Technical Buyer) on “Rollout”")
        await undone_and_redone(pilot, db, finish, "Check-in done · 1-day streak")


async def test_every_change_on_the_week_is_undone_and_redone(db):
    seed(db, Opportunity("Audit", bucket=Bucket.BEST_FEW))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()

        async def hours():
            await pilot.press("H")
            await fill(pilot, value="22")

        async def split():
            await pilot.press("e")
            await fill(pilot, best_few="30", above="40", **{"in": "30"})

        async def reset():
            await pilot.press("r")

        await undone_and_redone(pilot, db, hours, "Selling hours this week: 22 h (the normal week stays 15 h)")
        await undone_and_redone(pilot, db, split, "Your split: Above 40 %, In 30 %, Best Few 30 %")
        await undone_and_redone(pilot, db, reset, "Back to the suggested split")


async def test_every_change_on_the_profile_is_undone_and_redone(db):
    with repository(db) as repo:
        criterion = repo.save_criterion(Criterion("50–500 employees", weight=2))
        repo.add(Opportunity("Audit", criteria_met=frozenset({criterion})), on=TODAY)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await pilot.pause()
        screen = pilot.app.screen

        async def setting():
            table = screen.query_one("#settings-table", DataTable)
            table.focus()
            table.move_cursor(row=table.get_row_index("cycle_days"))
            await pilot.press("e")
            await fill(pilot, value="90")

        async def add():
            screen.query_one("#criteria-table", DataTable).focus()
            await pilot.press("a")
            await fill(pilot, name="Values quality", kind="p", weight="3")

        def criteria_row(row: int) -> None:
            table = screen.query_one("#criteria-table", DataTable)
            table.focus()
            table.move_cursor(row=row)

        async def weight():
            criteria_row(0)
            await pilot.press("plus")

        async def kind():
            criteria_row(0)
            await pilot.press("s")

        async def delete():
            criteria_row(0)
            await pilot.press("d")
            await pilot.pause()
            pilot.app.screen.query_one("OptionList").highlighted = 1
            await pilot.press("enter")

        await undone_and_redone(pilot, db, setting, "Normal sales cycle (days) set to 90")  # as the Profile names it
        await undone_and_redone(pilot, db, add, "Added criterion Values quality")
        await undone_and_redone(pilot, db, weight, "50–500 employees: weight 3")
        await undone_and_redone(pilot, db, kind, "50–500 employees: psychographic")
        # Deleting takes the criterion from the deal that met it; undo gives it back.
        await undone_and_redone(pilot, db, delete, "Deleted criterion 50–500 employees")


async def test_undo_on_one_screen_takes_back_what_another_screen_did(db):
    """The undo history is the app's, not a screen's: `u` on Profile takes back a reschedule made on
    Today, and says so."""
    with repository(db) as repo:
        deal = repo.add(Opportunity("Contract", bucket=Bucket.BEST_FEW, next_action="Send",
                                    next_action_due=TODAY), on=TODAY - timedelta(days=3))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("3", "H")
        await fill(pilot, value="20")
        await pilot.press("2")
        await pilot.pause()
        options = pilot.app.screen.query_one("#today-agenda")
        options.highlighted = options.get_option_index(f"close-{deal}")
        await pilot.press("r", *"fri", "enter")
        await pilot.pause()
        await pilot.press("5", "u")
        await pilot.pause()
        assert bar_says(pilot.app, "Undone: Rescheduled “Contract” to Fri 06 Mar"), top_bar(pilot.app)
        with repository(db) as repo:
            assert repo.get(deal).next_action_due == TODAY
            assert repo.snapshot(TODAY).week_hours == 20  # the change before it is still there
        await pilot.press("u")
        await pilot.pause()
        assert bar_says(pilot.app, "Undone: Selling hours this week: 20 h"), top_bar(pilot.app)
        with repository(db) as repo:
            assert repo.snapshot(TODAY).week_hours is None


async def test_a_change_made_from_the_deal_details_is_undone_and_redone_there(db):
    """The deal details are a dialog (the app's keys stop there), yet changes are made from them
    (b, e, n, t): `u` and `ctrl+r` work in them too, and the details show the deal as it is after."""
    from planner.ui.screens.deal import DealDetailsScreen

    seed(db, Opportunity("Audit", bucket=Bucket.IN))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("l", "enter")  # the details of the deal In the Funnel
        await pilot.pause()
        details = pilot.app.screen
        assert isinstance(details, DealDetailsScreen)
        body = lambda: str(details.query_one("#details-body").render())  # noqa: E731
        before = rows(db)
        await pilot.press("n", *"Call Dana", "tab", *"fri", "enter")
        await pilot.pause()
        after = rows(db)
        assert pilot.app.screen is details and "Call Dana" in body()

        await pilot.press("u")
        await pilot.pause()
        assert pilot.app.screen is details  # still open, showing the deal as it is now
        assert rows(db) == before and "Call Dana" not in body()
        assert bar_says(pilot.app, "Undone: Next action for “Audit”: Call Dana", pilot.app.screen_stack[-2])
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert rows(db) == after and "Call Dana" in body()
        assert bar_says(pilot.app, "Redone: Next action for “Audit”: Call Dana", pilot.app.screen_stack[-2])


async def test_a_currency_an_amount_made_the_databases_is_undone_with_the_change(db):
    """Adding a deal whose value names a currency, in a database that keeps none, makes it the
    database's: one `u` takes back the deal and the currency, one ctrl+r makes both again."""
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:

        async def add():
            await pilot.press("a", *"Relaunch")
            await pilot.pause()
            await fill(pilot, value="18 500 €")

        await undone_and_redone(pilot, db, add, "Added “Relaunch” to Above the Funnel; currency set to EUR")
    with repository(db) as repo:
        assert ([d.title for d in repo.list()], repo.settings().currency) == (["Relaunch"], "EUR")
