"""`planner backup` (SPEC §4, §6): a consistent copy even while another instance writes, and a
backup that is reported as written is really there.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, fingerprint, integrity, make_database, planner, start_driver


def test_a_backup_taken_while_another_instance_writes_is_whole_and_consistent(home):
    db = home / "planner.db"
    driver = start_driver("edit_burst.py", str(db), "busy", "3000", home=home)
    try:
        done: list[str] = []
        driver.wait_for(lambda line: line.startswith("done ") and len(done.append(line) or done) >= 60, timeout=60)
        target = home / "copy.db"
        run = planner(db, "backup", "-o", str(target), home=home)
        assert run.code == 0, run.err
        committed_before_backup = {line.split(" ", 3)[3] for line in done}
    finally:
        driver.kill()

    assert integrity(target) == "ok"
    con = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        titles = {t for (t,) in con.execute("SELECT title FROM opportunity")}
        # Every deal in the copy has its creation move: no action is in the copy half-done.
        orphans = con.execute(
            "SELECT count(*) FROM opportunity o WHERE NOT EXISTS (SELECT 1 FROM move m WHERE m.opportunity_id = o.id)"
        ).fetchone()[0]
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    assert committed_before_backup <= titles, "the backup misses actions committed before it started"
    assert orphans == 0 and fk == []
    # The copy is a planner database the planner opens as it is.
    listed = planner(target, "list", "--json", home=home)
    assert listed.code == 0 and "busy-0000" in listed.out


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_a_backup_named_like_the_databases_own_companion_is_refused_or_kept(suffix, home):
    """SQLite owns `NAME-wal`/`-shm`/`-journal` beside the database and deletes them when it closes:
    a backup written there would be reported as done and then vanish (or stand in for a log)."""
    db = make_database(home, "Acme: website revamp")
    before = fingerprint(db)
    target = Path(f"{db}{suffix}")
    run = planner(db, "backup", "-o", str(target), home=home)
    if run.code == 0:
        assert target.exists(), f"'planner backup' said it wrote {target.name}, but the file is gone"
    else:
        assert_one_line_error(run, 2)
    assert fingerprint(db) == before
    assert planner(db, "list", home=home).code == 0


# A backup killed before its rename, and the temporary file it leaves: see
# tests/safety/test_files_safety.py::test_a_killed_backup_leaves_no_file_under_the_name_and_its_temporary_file_is_cleaned_next_time
