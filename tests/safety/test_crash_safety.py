"""Crash safety (SPEC §6 "one transaction per user action"; issue item 1).

A planner process killed with SIGKILL — no cleanup, no close — must leave a database that passes
PRAGMA integrity_check, holds every action it reported as done, and has an interrupted import
either wholly in or wholly out. Each test kills a real process at a controlled moment, then
reopens the file the way the next run of the planner would.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from planner.domain.models import Bucket
from planner.store import open_repository

from .conftest import Driver, integrity, planner_env, run_cli, start_driver, write_big_csv

# 3000 deals with 1 KB of notes: more than SQLite's page cache holds, so the import's own pages
# are already in the WAL (uncommitted) when it is killed.
IMPORT_ROWS = 3000


def titles(db: Path) -> list[str]:
    with open_repository(str(db)) as repo:
        return sorted(o.title for o in repo.list())


def test_kill_inside_the_import_transaction_leaves_none_of_it(home):
    db = home / "planner.db"
    assert run_cli("--db", str(db), "add", "Deal before the import", home=home).code == 0
    csv = write_big_csv(home / "big.csv", IMPORT_ROWS)

    driver = start_driver("stall.py", "INSERT", "2000", "--", "--db", str(db), "import", str(csv), home=home)
    line = driver.wait_for(lambda l: l.startswith(("stalled", "finished")), timeout=60)
    assert line == "stalled True", f"the import should be inside one open transaction at its 2000th insert: {line}"
    driver.kill()

    assert integrity(db) == "ok"
    assert titles(db) == ["Deal before the import"]
    # The next run works normally: the same file imports fine and takes new edits.
    assert run_cli("--db", str(db), "import", str(csv), home=home).code == 0
    assert len(titles(db)) == IMPORT_ROWS + 1


def test_kill_while_the_import_is_writing_leaves_all_or_nothing(home):
    """The real `planner import`, killed as soon as it has written into the WAL: whichever moment
    that is, the file holds either none of the spreadsheet or all of it."""
    db = home / "planner.db"
    assert run_cli("--db", str(db), "add", "Deal before the import", home=home).code == 0
    wal = Path(f"{db}-wal")
    baseline = wal.stat().st_size if wal.exists() else 0
    csv = write_big_csv(home / "big.csv", IMPORT_ROWS)

    proc = Driver([sys.executable, "-m", "planner", "--db", str(db), "import", str(csv)], planner_env(home), home)
    deadline = time.monotonic() + 60
    # Wait until the import has put at least 1 MB of pages into the WAL, then kill it mid-flight.
    while time.monotonic() < deadline and proc.proc.poll() is None:
        if wal.exists() and wal.stat().st_size > baseline + 1_000_000:
            break
        time.sleep(0.002)
    proc.kill()

    assert integrity(db) == "ok"
    count = len(titles(db))
    assert count in (1, IMPORT_ROWS + 1), f"a partial import survived the crash: {count - 1} of {IMPORT_ROWS} rows"


def test_kill_during_a_burst_of_edits_keeps_every_committed_action(home):
    db = home / "planner.db"
    driver = start_driver("edit_burst.py", str(db), "burst", "5000", home=home)
    done: list[str] = []

    def hundred_fifty_done(line: str) -> bool:
        if line.startswith("done "):
            done.append(line)
        assert not line.startswith("error"), line
        return len(done) >= 150

    driver.wait_for(hundred_fifty_done, timeout=60)
    driver.kill()  # mid-burst: the next action is likely half-way through its transaction

    assert integrity(db) == "ok"
    repo = open_repository(str(db))
    try:
        by_title = {o.title: o for o in repo.list()}
        for line in done:
            _, kind, opp_id, title = line.split(" ", 3)
            assert title in by_title, f"committed {kind} of {title} was lost"
            opp = by_title[title]
            assert opp.id == int(opp_id)
            if kind == "move":
                assert opp.bucket is Bucket.IN, f"committed move of {title} was lost"
            if kind == "log":
                assert any(a.note == title for a in repo.activities(opp.id)), f"committed log on {title} was lost"
        # Whatever the killed action was doing is either whole or absent: no deal is half-moved.
        for opp in by_title.values():
            moves = repo.moves(opp.id)
            assert moves and moves[-1].to_bucket is opp.bucket
    finally:
        repo.close()
    # The planner goes on working on the same file.
    assert run_cli("--db", str(db), "add", "After the crash", home=home).code == 0
