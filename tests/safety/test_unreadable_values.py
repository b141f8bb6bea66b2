"""Values another tool wrote that the planner cannot read give one line, never a traceback (SPEC §6).

The schema check keeps the planner's tables as the planner made them, but SQLite stores any value
in any column: `sqlite3` or a script can leave `soon` as an expected close date, `nowhere` as a
bucket, a blob as a title, text as an amount or a weight. Each of these used to end `list`,
`status`, `export` and the TUI in a Python traceback. Now the failure is explained in one line that
names the row, the column and the value, and says how to get out (`planner restore`, or correcting
them with the sqlite3 shell).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, fingerprint, make_database, planner

DEALS = ("Acme website", "Globex audit", "Initech rollout")

#: what is written with plain sqlite3 → the words the one line must hold
PLANTED = {
    "a date": ("UPDATE opportunity SET expected_close = 'soon' WHERE id = 2", ["opportunity 2", "expected_close", "'soon'"]),
    "a bucket": ("UPDATE opportunity SET bucket = 'nowhere' WHERE id = 1", ["opportunity 1", "bucket", "'nowhere'"]),
    "an amount": ("UPDATE opportunity SET value_cents = 'lots' WHERE id = 3", ["opportunity 3", "value_cents", "'lots'"]),
    "a blob title": ("UPDATE opportunity SET title = X'00ff' WHERE id = 1", ["opportunity 1", "title", "blob"]),
    "a role": ("INSERT INTO influence (opportunity_id, name, role, covered) VALUES (1, 'Ann', 'boss', 0)",
               ["influence", "role", "'boss'"]),
    "a weight": ("INSERT INTO criterion (id, name, kind, weight) VALUES (7, 'Big', 'demographic', 'heavy'); "
                 "INSERT INTO opportunity_criterion VALUES (1, 7); UPDATE opportunity SET criteria_reviewed = 1", ["criterion 7", "weight", "'heavy'"]),
    "a check-in day": ("INSERT INTO checkin (day) VALUES ('2026-03-01x')", ["checkin", "'2026-03-01x'"]),
    "a setting": ("INSERT OR REPLACE INTO setting (key, value) VALUES ('goal_value_per_month', X'00')",
                  ["setting", "goal_value_per_month", "blob"]),
}


def _plant(db: Path, sql: str) -> None:
    con = sqlite3.connect(db)
    try:
        con.executescript(sql)
        con.commit()
    finally:
        con.close()


@pytest.mark.parametrize("kind", list(PLANTED))
def test_the_cli_names_a_value_it_cannot_read_in_one_line(home, kind):
    sql, words = PLANTED[kind]
    db = make_database(home, *DEALS)
    _plant(db, sql)
    before = fingerprint(db)
    failed = 0
    for command in (["list"], ["status"], ["export", "--format", "json", "-o", str(home / "out.json")]):
        run = planner(db, *command, home=home)
        if run.code == 0:
            continue  # this command never reads that value
        failed += 1
        assert_one_line_error(run, 1, "cannot read", *words, "planner restore")
    assert failed, "no command read the planted value"
    assert fingerprint(db) == before


def test_the_tui_shows_the_problem_screen_naming_the_value(home):
    import asyncio

    from planner.app import PlannerApp
    from planner.ui.screens.problem import ProblemScreen

    db = make_database(home, *DEALS)
    _plant(db, PLANTED["a date"][0])

    async def run() -> str:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ProblemScreen)
            await pilot.press("q")
        return app.problem or ""

    problem = asyncio.run(run())
    assert "opportunity 2" in problem and "'soon'" in problem and "planner restore" in problem


def test_a_value_only_a_later_screen_reads_ends_the_tui_with_that_line(home):
    """An activity's day is read when the deal's details open: the app ends there with the one
    line (and the terminal restored, as on any exit), not a traceback."""
    import asyncio

    from planner.app import PlannerApp

    db = make_database(home, *DEALS)
    _plant(db, "INSERT INTO activity (opportunity_id, kind, minutes, day, note, bucket) "
               "SELECT id, 'call', 30, 'last tuesday', '', 'above' FROM opportunity")

    async def run() -> PlannerApp:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.simulate_key("enter")  # the app ends while handling it: nothing to wait for
            for _ in range(50):
                await asyncio.sleep(0.1)
                if app.return_code is not None:
                    break
        return app

    app = asyncio.run(run())
    assert app.return_code == 1
    assert "activity" in app.problem and "'last tuesday'" in app.problem and "planner restore" in app.problem


def test_a_clean_database_explains_nothing_so_a_real_bug_is_still_raised(home):
    from planner.store.values import unreadable_problem

    db = make_database(home, *DEALS)
    assert unreadable_problem(db) is None


def test_a_database_problem_no_screen_expected_ends_the_tui_with_its_line(home, monkeypatch):
    """The database going bad while the app runs (here: the Week screen's first read fails) ends
    the app with the problem's one line, never a traceback."""
    import asyncio

    from planner.app import PlannerApp
    from planner.core.core import Core
    from planner.errors import DatabaseProblem

    db = make_database(home, *DEALS)

    def gone(self):
        raise DatabaseProblem(f"database {db} stayed locked by another program for more than 5 s, so nothing was changed")

    monkeypatch.setattr(Core, "week_plan", gone)

    async def run() -> PlannerApp:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.simulate_key("3")
            for _ in range(50):
                await asyncio.sleep(0.1)
                if app.return_code is not None:
                    break
        return app

    app = asyncio.run(run())
    assert app.return_code == 1 and "stayed locked" in (app.exit_problem or "")
