"""Two running instances on one database (SPEC §6 "two running instances on one database without
corruption or lost writes"; issue item 2).

Two processes write to the same file at full speed, each in a loop of a few hundred actions (each
action its own transaction, some of them reading before they write). Both must finish without a
"database is locked" error reaching the user, and every action each reported done must be there.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from planner.domain.models import Bucket, Opportunity
from planner.store import open_repository

from .conftest import integrity, planner, start_driver

PER_INSTANCE = 200  # deals each; with the moves and time logged, about 400 transactions each


def test_two_instances_writing_at_once_lose_nothing_and_see_no_lock_errors(home):
    db = home / "planner.db"
    with open_repository(str(db)) as repo:
        repo.add(Opportunity(title="Deal before both"), on=date(2026, 3, 2))
    drivers = [start_driver("edit_burst.py", str(db), tag, str(PER_INSTANCE), "--wait", home=home) for tag in ("left", "right")]
    for driver in drivers:
        driver.wait_for(lambda line: line == "ready", timeout=30)
    for driver in drivers:
        driver.send("go\n")  # both start writing at the same moment
    codes = [driver.finish(timeout=60) for driver in drivers]

    for driver, code in zip(drivers, codes):
        errors = [line for line in driver.lines if line.startswith("error")]
        assert code == 0 and not errors, f"exit {code}: {errors or driver.stderr}"
        assert "locked" not in driver.stderr.lower() and "Traceback" not in driver.stderr

    assert integrity(db) == "ok"
    with open_repository(str(db)) as repo:
        deals = {o.title: o for o in repo.list()}
        assert len(deals) == 1 + 2 * PER_INSTANCE
        for driver in drivers:
            done = [line.split(" ", 3) for line in driver.lines if line.startswith("done ")]
            assert len([d for d in done if d[1] == "add"]) == PER_INSTANCE
            for _, kind, opp_id, title in done:
                opp = deals[title]
                assert opp.id == int(opp_id)
                if kind == "move":
                    assert opp.bucket is Bucket.IN
                    assert [m.to_bucket for m in repo.moves(opp.id)][-1] is Bucket.IN
                if kind == "log":
                    assert [a.note for a in repo.activities(opp.id)] == [title]
    # Ids were handed out once each across both instances.
    assert len({o.id for o in deals.values()}) == len(deals)


def test_two_cli_instances_adding_at_once_keep_every_deal(home):
    """The same through the CLI a user runs: two shells adding deals in a loop."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from .conftest import db_args, planner_env

    db = home / "planner.db"
    assert planner(db, "add", "Deal before both", home=home).code == 0
    per_shell = 12

    def shell(tag: str) -> list[tuple[int, str]]:
        results = []
        for i in range(per_shell):
            proc = subprocess.run(
                [sys.executable, "-m", "planner", *db_args(db), "add", f"{tag} {i}"],
                capture_output=True, text=True, env=planner_env(home), cwd=home, timeout=30,
            )
            results.append((proc.returncode, proc.stderr))
        return results

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(shell, ["left", "right"]))
    for results in outcomes:
        for code, err in results:
            assert code == 0 and not err.strip(), err
    with open_repository(str(db)) as repo:
        titles = {o.title for o in repo.list()}
    assert titles == {"Deal before both"} | {f"{tag} {i}" for tag in ("left", "right") for i in range(per_shell)}


def test_an_edit_in_the_tui_keeps_what_another_instance_changed_meanwhile(home):
    """The TUI's edit form is open on a deal while the CLI (another instance) marks that deal
    lost with a reason. Saving the form must not silently undo the other instance's write: it is
    refused with what changed, the form keeps what was typed, and saving again applies the typed
    change to the deal as it is now, keeping the other instance's."""
    import asyncio

    from textual.widgets import Input, Static

    from planner.app import PlannerApp
    from planner.ui.screens.deal import EditDealScreen

    from .conftest import make_database

    db = make_database(home, "Acme: website revamp")

    async def scenario() -> tuple[str, str]:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("e")
            await pilot.pause()
            other = planner(db, "move", "1", "lost", "--reason", "went with a competitor", home=home)
            assert other.code == 0, other.err
            app.screen.query_one("#contact", Input).value = "Dana Lee"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, EditDealScreen), "the refused form was closed"
            refusal = str(app.screen.query_one(".dialog-error", Static).render())
            with open_repository(str(db)) as repo:
                assert repo.get(1).contact == "", "the stale edit was written"
            typed = app.screen.query_one("#contact", Input).value
            await pilot.press("ctrl+s")  # again: onto the deal as it is now
            await pilot.pause()
            assert not isinstance(app.screen, EditDealScreen)
            await pilot.press("q")
        return refusal, typed

    refusal, typed = asyncio.run(scenario())
    assert "changed in another window or from the command line" in refusal and "bucket" in refusal
    assert typed == "Dana Lee"
    with open_repository(str(db)) as repo:
        deal = repo.get(1)
    assert deal.bucket is Bucket.LOST
    assert deal.lost_reason == "went with a competitor", "the other instance's lost reason was overwritten"
    assert deal.closed_on == date(2026, 3, 2), "the other instance's close date was overwritten"
    assert deal.contact == "Dana Lee"


def test_undo_in_the_tui_keeps_time_another_instance_logged_meanwhile(home):
    """Undo takes back this instance's own change, not the other instance's: time logged on the
    deal through the CLI after the TUI's change must still be there after `u` in the TUI."""
    import asyncio

    from planner.app import PlannerApp

    from .conftest import make_database

    db = make_database(home, "Acme: website revamp")

    async def scenario() -> None:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("n", *"Send proposal", "tab", *"fri", "enter")  # this instance's change
            await pilot.pause()
            other = planner(db, "log", "1", "--kind", "call", "--minutes", "45", "--note", "logged elsewhere", home=home)
            assert other.code == 0, other.err
            await pilot.press("u")
            await pilot.pause()
            await pilot.press("q")

    asyncio.run(scenario())
    with open_repository(str(db)) as repo:
        deal = repo.get(1)
        notes = [a.note for a in repo.activities(1)]
    assert deal.next_action == "", "undo did not take back the next action"
    assert notes == ["logged elsewhere"], "undo erased time another instance logged on the deal"


def _locked(path: Path, start: int, length: int) -> bool:
    """Whether another process holds a POSIX lock on that byte range of `path`."""
    import fcntl
    import os
    import struct

    fd = os.open(path, os.O_RDWR)
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, start, length, 0))
        return struct.unpack("hhqqi", answer)[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


@pytest.mark.parametrize("made", ["new", "existing"])
def test_an_open_planner_keeps_sqlites_lock_on_the_database_file(home, made):
    """A planner that has the database open holds SQLite's shared lock on the file (WAL mode). The
    planner must never open and close the file itself while connected: closing any descriptor of a
    file drops every POSIX lock the process holds on it, and another instance closing then takes
    itself for the last one and resets the log under the first (writes reported done, then lost)."""
    from .conftest import make_database, start_driver

    db = home / "planner.db"
    if made == "existing":
        make_database(home, "Existing deal")
    driver = start_driver("edit_burst.py", str(db), "held", "2", "--hold", home=home)
    try:
        driver.wait_for(lambda line: line == "holding")
        assert _locked(db, 0x40000002, 510), "the open planner no longer holds SQLite's lock on the file"
    finally:
        driver.send("\n")
        assert driver.finish() == 0


def test_two_repositories_in_one_process_keep_sqlites_lock(home):
    """Opening the database a second time in the same process reads its header with plain file
    I/O; that descriptor is kept until the last connection closes, so the first connection's lock
    stays (SQLite does the same for its own descriptors)."""
    import subprocess
    import sys

    from .conftest import make_database, planner_env

    db = make_database(home, "Existing deal")
    code = (
        "import sys, time\n"
        "from planner.store import open_repository\n"
        "first = open_repository(sys.argv[1])\n"
        "second = open_repository(sys.argv[1]); second.close()\n"
        "print('holding', flush=True); time.sleep(30)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True,
                            env=planner_env(home), cwd=home)
    try:
        assert proc.stdout.readline().strip() == "holding"
        assert _locked(db, 0x40000002, 510), "the second open dropped the first connection's lock"
    finally:
        proc.kill()
        proc.wait()


def test_restore_refuses_a_database_this_process_has_open(home, tmp_path):
    from planner.errors import DatabaseProblem
    from planner.store.restore import restore_database

    from .conftest import make_database

    db = make_database(home, "Existing deal")
    backup = tmp_path / "b.db"
    with open_repository(str(db)) as repo:
        repo.backup(str(backup))
        with pytest.raises(DatabaseProblem, match="open in this program"):
            restore_database(backup, db)
    assert restore_database(backup, db).deals == 1
