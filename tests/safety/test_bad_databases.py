"""Bad databases (SPEC §6 "a clear message (and no damage) for a corrupt, locked, read-only or
newer-schema database"; issue item 4).

Each kind of bad file is given to the real CLI (a subprocess) and to the TUI (Pilot): the CLI
answers with exit code 1 and one line on stderr, never a traceback; the TUI shows its problem
screen; and the file's bytes are exactly what they were before.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from .conftest import (
    Driver,
    ReadOnly,
    assert_one_line_error,
    checkpoint,
    fingerprint,
    make_database,
    planner,
    planner_env,
    planner_with,
    write_big_csv,
)


def _damage_schema_page(db: Path) -> None:
    """Garbage over page 1 after the file header: the table of tables cannot be read."""
    data = bytearray(db.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    data[100:page_size] = b"\xa5" * (page_size - 100)
    db.write_bytes(bytes(data))


def _damage_deals_page(db: Path) -> None:
    """Garbage over the root page of the deals table: the file opens, reading deals fails."""
    con = sqlite3.connect(db)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'opportunity'").fetchone()[0]
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = bytearray(db.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = b"\xff" * page_size
    db.write_bytes(bytes(data))


MANY_DEALS = tuple(f"Deal {i:03d} " + "x" * 180 for i in range(200))


def _damage_a_deep_deals_page(db: Path) -> None:
    """Garbage over a leaf page of the deals table (not its root): the file opens and its first
    rows read fine; reading all deals fails part-way."""
    con = sqlite3.connect(db)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'opportunity'").fetchone()[0]
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = bytearray(db.read_bytes())
    page = data.find(b"Deal 150 ") // page_size  # 0-based index of the page holding that deal
    assert page >= 0 and page + 1 != root
    data[page * page_size : (page + 1) * page_size] = b"\xff" * page_size
    db.write_bytes(bytes(data))


def _text_file(db: Path) -> None:
    db.write_text("These are my meeting notes, not a database.\n" * 20, encoding="utf-8")


def _short_file(db: Path) -> None:
    db.write_bytes(b"hello")


def _other_program(db: Path) -> None:
    db.unlink()
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    con.execute("INSERT INTO photos (path) VALUES ('holiday.jpg')")
    con.commit()
    con.close()


def _newer_schema(db: Path) -> None:
    from planner.store.migrations import SCHEMA_VERSION

    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    checkpoint(db)


BAD_FILES = {
    "damaged table of tables": (_damage_schema_page, "damaged"),
    "damaged deals table": (_damage_deals_page, "damaged"),
    "damaged page deep in the deals": (_damage_a_deep_deals_page, "damaged"),
    "text file": (_text_file, "not a planner database"),
    "five-byte file": (_short_file, "not a planner database"),
    "another program's database": (_other_program, "another program"),
    "newer schema": (_newer_schema, "newer version"),
}


@pytest.fixture
def bad_db(request, home) -> tuple[Path, str]:
    spoil, words = BAD_FILES[request.param]
    titles = MANY_DEALS if spoil is _damage_a_deep_deals_page else ("Acme: website revamp", "Globex: audit")
    db = make_database(home, *titles)
    spoil(db)
    return db, words


def _folder_state(db: Path) -> dict[str, str]:
    """Every file next to the database but SQLite's own empty companions, with its hash."""
    return {
        p.name: fingerprint(p)
        for p in db.parent.iterdir()
        if p.is_file() and not (p.name.endswith(("-wal", "-shm")) and p.stat().st_size == 0)
    }


COMMANDS = {"list": ["list"], "add": ["add", "New deal", "--value", "100"], "status": ["status", "--json"]}
# Damage deep inside a table is found when that page is read. A new deal is written at the end
# of the table without reading the damaged page, so `add` may succeed there (SQLite writes only
# whole, valid pages): that pair is left out rather than demanding a full check on every start.
CASES = [(bad, name) for bad in BAD_FILES for name in COMMANDS if (bad, name) != ("damaged page deep in the deals", "add")]


@pytest.mark.parametrize(("bad_db", "command"), [pytest.param(b, COMMANDS[c], id=f"{c}-{b}") for b, c in CASES],
                         indirect=["bad_db"])
def test_cli_refuses_a_bad_database_in_one_line_and_leaves_it_as_it_was(bad_db, command, home):
    db, words = bad_db
    before = _folder_state(db)
    run = planner(db, *command, home=home)
    line = assert_one_line_error(run, 1, words)
    assert str(db) in line, f"the message should name the file: {line}"
    assert _folder_state(db) == before, "the bad database (or the folder around it) was changed"


@pytest.mark.parametrize("bad_db", ["damaged table of tables", "damaged deals table", "damaged page deep in the deals",
                                    "text file", "newer schema",
                                    "another program's database"], indirect=True)
def test_tui_shows_the_problem_screen_for_a_bad_database(bad_db, home):
    from planner.app import PlannerApp
    from planner.ui.screens.problem import ProblemScreen

    db, words = bad_db
    before = _folder_state(db)

    async def scenario() -> str:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ProblemScreen), f"showing {type(app.screen).__name__}, not the problem screen"
            shown = str(app.screen.query_one("#problem-message").render())
            await pilot.press("q")
        return shown

    shown = asyncio.run(scenario())
    assert words.lower() in shown.lower() and "Traceback" not in shown
    assert _folder_state(db) == before


# --- read-only ------------------------------------------------------------------------------


def test_read_only_database_file_refuses_changes_and_stays_as_it_was(home):
    folder = home / "data"
    folder.mkdir()
    db = make_database(folder, "Acme: website revamp")
    before = fingerprint(db)
    with ReadOnly(db):
        run = planner(db, "add", "New deal", home=home)
        assert_one_line_error(run, 1, "read-only")
        listed = planner(db, "list", home=home)
        # Reading a read-only database is fine; if it is refused, it is refused in one line.
        if listed.code == 0:
            assert "Acme: website revamp" in listed.out
        else:
            assert_one_line_error(listed, 1, "read-only")
    assert fingerprint(db) == before


def test_read_only_folder_refuses_changes_and_leaves_the_database_as_it_was(home):
    folder = home / "data"
    folder.mkdir()
    db = make_database(folder, "Acme: website revamp")
    before = _folder_state(db)
    with ReadOnly(folder):
        run = planner(db, "add", "New deal", home=home)
        line = assert_one_line_error(run, 1)
        assert "read-only" in line or "cannot open" in line, line
        listed = planner(db, "list", home=home)
        if listed.code == 0:
            assert "Acme: website revamp" in listed.out
        else:
            assert_one_line_error(listed, 1)
    assert _folder_state(db) == before


def test_tui_on_a_read_only_folder_shows_a_clear_message_not_a_traceback(home):
    from planner.app import PlannerApp
    from planner.ui.screens.problem import ProblemScreen

    folder = home / "data"
    folder.mkdir()
    db = make_database(folder, "Acme: website revamp")
    before = _folder_state(db)

    async def scenario() -> None:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            if isinstance(app.screen, ProblemScreen):
                shown = str(app.screen.query_one("#problem-message").render())
                assert "read-only" in shown or "cannot open" in shown, shown
            await pilot.press("q")

    with ReadOnly(folder):
        asyncio.run(scenario())
    assert _folder_state(db) == before


# --- locked ---------------------------------------------------------------------------------

_HOLD_LOCK = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
con.close()
print("released", flush=True)
"""


def test_a_database_locked_past_the_busy_timeout_gives_one_line_and_no_change(home):
    db = make_database(home, "Acme: website revamp")
    before = fingerprint(db)
    holder = Driver([sys.executable, "-c", _HOLD_LOCK, str(db)], planner_env(home), home)
    try:
        holder.wait_for(lambda line: line == "locked", timeout=20)
        started = time.monotonic()
        run = planner_with("busy-timeout", "0.3", db, "add", "New deal", home=home)
        assert_one_line_error(run, 1, "locked")
        assert time.monotonic() - started < 15
        # Readers are not blocked by a writer (WAL): the other instance can still show the funnel.
        listed = planner_with("busy-timeout", "0.3", db, "list", home=home)
        assert listed.code == 0 and "Acme: website revamp" in listed.out, listed.err
    finally:
        holder.send("\n")
        holder.finish(timeout=20)
    checkpoint(db)
    assert fingerprint(db) == before


# Another program that keeps the whole file to itself (exclusive locking mode): not even a reader
# gets in, so the planner cannot open it at all.
_HOLD_FILE = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA locking_mode = EXCLUSIVE")
con.execute("BEGIN EXCLUSIVE")
con.execute("CREATE TABLE scratch (x)")  # a write takes the exclusive lock for good
con.execute("ROLLBACK")
print("locked", flush=True)
sys.stdin.readline()
con.close()
"""


def test_a_database_another_program_keeps_to_itself_gives_one_line_and_the_problem_screen(home, monkeypatch):
    from planner.app import PlannerApp
    from planner.store.connection import Database
    from planner.ui.screens.problem import ProblemScreen

    db = make_database(home, "Acme: website revamp")
    before = fingerprint(db)
    monkeypatch.setitem(Database.open.__func__.__kwdefaults__, "timeout", 0.3)
    holder = Driver([sys.executable, "-c", _HOLD_FILE, str(db)], planner_env(home), home)
    try:
        holder.wait_for(lambda line: line == "locked", timeout=20)
        run = planner_with("busy-timeout", "0.3", db, "list", home=home)
        assert_one_line_error(run, 1, "locked")

        async def scenario() -> str:
            app = PlannerApp(db=str(db))
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                assert isinstance(app.screen, ProblemScreen), f"showing {type(app.screen).__name__}"
                shown = str(app.screen.query_one("#problem-message").render())
                await pilot.press("q")
            return shown

        assert "locked" in asyncio.run(scenario())
    finally:
        holder.send("\n")
        holder.finish(timeout=20)
    checkpoint(db)
    assert fingerprint(db) == before


# --- full disk ------------------------------------------------------------------------------


def test_a_full_disk_during_an_import_gives_one_line_and_no_change(home):
    db = make_database(home, "Acme: website revamp")
    before = fingerprint(db)
    csv = write_big_csv(home / "deals.csv", 300, notes_len=500)
    run = planner_with("disk-pages", "2", db, "import", str(csv), home=home)
    assert_one_line_error(run, 1, "full")
    checkpoint(db)
    assert fingerprint(db) == before
    # With room again, the same import goes through whole.
    assert planner(db, "import", str(csv), home=home).code == 0
