"""A database file is data, never code (SPEC §6; issue 10 item 3).

The attack: a file with the right `user_version` carrying SQL of its own — a trigger that deletes
deals and copies titles out when the user logs time, a view, a generated column that allocates a
gigabyte when read, an index whose expression runs on every insert, a planner table redefined
with a CHECK. Each is refused at open in one line naming it, before any statement touches a table:
nothing runs, no row changes, the bytes stay the same, and the message offers `planner restore`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, checkpoint, fingerprint, make_database, planner

PLANTS = {
    # name: (SQL run with the sqlite3 shell's powers, word the refusal must name)
    "trigger on activity": (
        "CREATE TABLE loot (title TEXT);"
        "CREATE TRIGGER steal AFTER INSERT ON activity BEGIN "
        "INSERT INTO loot SELECT title FROM opportunity; DELETE FROM opportunity; END;",
        "trigger steal",
    ),
    "view": ("CREATE VIEW everything AS SELECT * FROM opportunity;", "view everything"),
    "generated column": (
        "ALTER TABLE activity ADD COLUMN bloat BLOB AS (zeroblob(1000000000)) VIRTUAL;",
        "generated column bloat",
    ),
    "expression index": ("CREATE INDEX slow ON move (length(zeroblob(100000000 + id)));", "index slow"),
    "virtual table": ("CREATE VIRTUAL TABLE notes_fts USING fts5(body);", "virtual table notes_fts"),
    "trigger on a planner table, renamed like the planner's own": (
        "DROP TRIGGER stay_count_insert;"
        "CREATE TRIGGER stay_count_insert AFTER INSERT ON move BEGIN DELETE FROM opportunity; END;",
        "trigger stay_count_insert",
    ),
}


def plant(db: Path, sql: str) -> None:
    con = sqlite3.connect(db)
    try:
        con.executescript(sql)
    finally:
        con.close()
    checkpoint(db)


def deals(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [t for (t,) in con.execute("SELECT title FROM opportunity ORDER BY id")]
    finally:
        con.close()


@pytest.mark.parametrize("kind", list(PLANTS))
def test_planted_sql_is_refused_naming_it_and_never_runs(home, kind):
    sql, named = PLANTS[kind]
    db = make_database(home, "Acme: website revamp", "Globex: audit")
    plant(db, sql)
    before = fingerprint(db)
    commands = [["log", "1", "--kind", "call", "--minutes", "30"], ["list"]]
    if kind == "trigger on activity":
        commands += [["status", "--json"], ["add", "x"]]
    for command in commands:
        run = planner(db, *command, home=home)
        line = assert_one_line_error(run, 1, named, "planner restore")
        assert "Traceback" not in run.err, line
    assert fingerprint(db) == before
    assert deals(db) == ["Acme: website revamp", "Globex: audit"]


def test_the_trigger_attack_really_works_without_the_check(home):
    """The planted trigger is a real attack: plain sqlite3 logging time fires it."""
    db = make_database(home, "Acme: website revamp")
    plant(db, PLANTS["trigger on activity"][0])
    con = sqlite3.connect(db)
    con.execute("INSERT INTO activity (opportunity_id, kind, minutes, day, note, bucket) "
                "VALUES (NULL, 'call', 5, '2026-03-02', '', 'above')")
    con.commit()
    assert con.execute("SELECT count(*) FROM opportunity").fetchone()[0] == 0
    assert con.execute("SELECT title FROM loot").fetchall() == [("Acme: website revamp",)]
    con.close()


def test_tui_shows_the_problem_screen_naming_the_planted_trigger(home):
    import asyncio

    from planner.app import PlannerApp
    from planner.ui.screens.problem import ProblemScreen

    db = make_database(home, "Acme: website revamp")
    plant(db, PLANTS["trigger on activity"][0])
    before = fingerprint(db)

    async def run() -> str:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ProblemScreen)
            text = app.problem
            await pilot.press("q")
        return text

    assert "trigger steal" in asyncio.run(run())
    assert fingerprint(db) == before


def test_every_connection_distrusts_the_schema(home):
    from planner.store import open_repository

    db = make_database(home, "Acme")
    with open_repository(str(db)) as repo:
        assert repo._db.pragma("trusted_schema") == 0


def test_the_expected_schema_is_the_planners_own_ddl(tmp_path):
    """The objects the check expects are what the planner creates: a new database (made from the
    SQLModel tables) and an upgraded version-1 database both pass, object for object."""
    import shutil

    from planner.store import guard, open_repository
    from planner.store.migrations import SCHEMA_VERSION, SUMMARY_OBJECTS

    new = tmp_path / "new.db"
    open_repository(str(new)).close()
    upgraded = tmp_path / "old.db"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "planner_v1.db", upgraded)
    open_repository(str(upgraded)).close()
    for db in (new, upgraded):
        con = sqlite3.connect(db)
        try:
            assert guard.schema_problems(con, SCHEMA_VERSION) == ([], [])
            names = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
        finally:
            con.close()
        want = guard.expected(SCHEMA_VERSION)
        assert {name for _, name in want.required} <= names
        assert set(SUMMARY_OBJECTS) <= names  # the summaries were added at open, and are expected
        assert set(SUMMARY_OBJECTS) <= {name for _, name in want.optional}


def test_a_file_as_an_older_planner_left_it_passes_before_its_upgrade():
    """The version-2 fixture, with the summary indexes version 2 made (retired by version 3), is a
    planner database of schema 2: nothing in it is refused, so it can be upgraded."""
    from planner.store import guard

    fixtures = Path(__file__).parents[1] / "fixtures"
    for name, version in (("planner_v1.db", 1), ("planner_v2.db", 2)):
        con = sqlite3.connect(f"file:{fixtures / name}?mode=ro", uri=True)
        try:
            assert con.execute("PRAGMA user_version").fetchone()[0] == version
            assert guard.schema_problems(con, version) == ([], []), name
        finally:
            con.close()


def test_a_missing_planner_table_is_refused(home):
    db = make_database(home, "Acme")
    plant(db, "DROP TABLE checkin;")
    before = fingerprint(db)
    assert_one_line_error(planner(db, "list", home=home), 1, "lacks", "table checkin")
    assert fingerprint(db) == before
