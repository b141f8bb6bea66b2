"""The TUI on a database that refuses a change (SPEC §5 "never shows a traceback", §6; issue item 4).

Real conditions, not mocks: another process holds the write lock past the busy timeout, or the
file is read-only. Adding a deal through the add dialog shows the store's one-line explanation
in the dialog, which stays open with what was typed; the app keeps running, nothing can be undone
because nothing changed, and the file is byte for byte as it was.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


from .conftest import Driver, ReadOnly, checkpoint, fingerprint, make_database, planner_env

SIZE = (120, 40)


def _error_notifications(app) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def _try_to_add(db: Path, title: str) -> tuple[list[str], list[str], bool]:
    """Open the TUI, add a deal with the add dialog; return the errors shown (in the dialog, or as
    notifications), the titles the funnel shows afterwards, and whether undo is offered."""
    from textual.widgets import Input, Static

    from planner.app import PlannerApp
    from planner.ui.screens.funnel import FunnelScreen
    from planner.ui.screens.modals import AddDealModal

    app = PlannerApp(db=str(db))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FunnelScreen), f"showing {type(app.screen).__name__}"
        await pilot.press("a")
        await pilot.press(*title, "enter")
        await pilot.pause()
        errors = _error_notifications(app)
        if isinstance(app.screen, AddDealModal):  # still open: the refusal is in it, the title kept
            assert app.screen.query_one("#title", Input).value == title
            errors.append(str(app.screen.query_one(".dialog-error", Static).render()))
        shown = [deal.title for deal in app.core.deals()]
        can_undo = app.core.can_undo
        await pilot.press("escape", "q")
    return errors, shown, can_undo


_HOLD_LOCK = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
con.close()
"""


def test_adding_while_another_program_holds_the_lock_shows_why_and_changes_nothing(home, monkeypatch):
    from planner.store.connection import Database

    # The store's knob: wait 0.3 s for the other program instead of the default seconds.
    monkeypatch.setitem(Database.open.__func__.__kwdefaults__, "timeout", 0.3)
    db = make_database(home, "Acme: website revamp")
    before = fingerprint(db)
    holder = Driver([sys.executable, "-c", _HOLD_LOCK, str(db)], planner_env(home), home)
    try:
        holder.wait_for(lambda line: line == "locked", timeout=20)
        errors, shown, can_undo = asyncio.run(_try_to_add(db, "Globex audit"))
    finally:
        holder.send("\n")
        holder.finish(timeout=20)
    assert any("locked" in e for e in errors), errors
    assert shown == ["Acme: website revamp"] and not can_undo
    checkpoint(db)
    assert fingerprint(db) == before


def test_adding_to_a_read_only_database_shows_why_and_changes_nothing(home):
    folder = home / "data"
    folder.mkdir()
    db = make_database(folder, "Acme: website revamp")
    before = fingerprint(db)
    with ReadOnly(db):
        errors, shown, can_undo = asyncio.run(_try_to_add(db, "Globex audit"))
    assert any("read-only" in e for e in errors), errors
    assert shown == ["Acme: website revamp"] and not can_undo
    assert fingerprint(db) == before
