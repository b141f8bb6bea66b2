"""Privacy (SPEC §6 "the database file readable by its owner only"; issue item 7).

The database, its SQLite companions (-wal, -shm), every backup (`planner backup` and the one made
before a migration) and the folders the planner creates for them are owner-only (0600 / 0700),
also when the user's umask would let everyone read new files (022) or write them (000).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from .conftest import make_database, planner, run_cli, start_driver


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


PERMISSIVE = [pytest.param(0o022, id="umask-022"), pytest.param(0o000, id="umask-000")]


@pytest.mark.parametrize("umask", PERMISSIVE)
def test_a_new_database_and_the_folders_made_for_it_are_owner_only(umask, home):
    db = home / "clients" / "2026" / "planner.db"
    run = planner(db, "add", "Acme: website revamp", home=home, umask=umask)
    assert run.code == 0, run.err
    assert mode(db) == 0o600
    assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700


@pytest.mark.parametrize("umask", PERMISSIVE)
def test_the_default_database_in_the_user_data_directory_is_owner_only(umask, home):
    run = run_cli("add", "Acme: website revamp", home=home, umask=umask)
    assert run.code == 0, run.err
    [db] = list((home / ".local" / "share").rglob("planner.db"))
    assert mode(db) == 0o600
    folder = db.parent
    while folder != home:
        assert mode(folder) == 0o700, f"{folder} is {oct(mode(folder))}"
        folder = folder.parent


@pytest.mark.parametrize("umask", PERMISSIVE)
def test_wal_and_shared_memory_files_are_owner_only_while_the_planner_runs(umask, home):
    """The -wal file holds recent changes in the clear while the planner is open."""
    db = home / "planner.db"
    driver = start_driver("edit_burst.py", str(db), "priv", "3", "--wait", "--hold", home=home, umask=umask)
    try:
        driver.wait_for(lambda line: line == "ready", timeout=30)
        driver.send("go\n")
        driver.wait_for(lambda line: line == "holding", timeout=30)  # open, with changes in the WAL
        for path in [db, Path(f"{db}-wal"), Path(f"{db}-shm")]:
            assert mode(path) == 0o600, f"{path.name} is {oct(mode(path))}"
    finally:
        driver.send("\n")
        driver.finish(timeout=30)


@pytest.mark.parametrize("umask", PERMISSIVE)
def test_planner_backup_is_owner_only(umask, home):
    db = make_database(home, "Acme: website revamp")
    (home / "backups").mkdir()
    target = home / "backups" / "monday.db"
    run = planner(db, "backup", "-o", str(target), home=home, umask=umask)
    assert run.code == 0, run.err
    assert mode(target) == 0o600
    # The default backup (beside the database) too.
    before = set(home.iterdir())
    run = planner(db, "backup", home=home, umask=umask)
    assert run.code == 0, run.err
    made = [p for p in set(home.iterdir()) - before if p.is_file()]
    assert made, "planner backup wrote no file beside the database"
    for path in made:
        assert mode(path) == 0o600, f"{path.name} is {oct(mode(path))}"


def test_an_existing_database_readable_by_others_is_made_owner_only(home):
    db = make_database(home, "Acme: website revamp")
    os.chmod(db, 0o644)
    assert planner(db, "list", home=home).code == 0
    assert mode(db) == 0o600


def test_the_backup_made_before_a_migration_is_owner_only(home):
    from .test_migration_safety import make_v1_database

    db = make_v1_database(home / "planner.db")
    os.chmod(db, 0o644)
    run = planner(db, "list", home=home, umask=0o000)
    assert run.code == 0, run.err
    [backup] = list(home.glob("*.bak"))
    assert mode(backup) == 0o600
    assert mode(db) == 0o600
