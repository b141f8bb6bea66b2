"""A full disk still lets the user read and save their data (SPEC §6; issue 10 item 5).

With 0 bytes free SQLite cannot even create or grow the -shm file it maps to read a WAL database,
and every command used to fail with "input/output error". Now the file is opened read-only: `list`,
`status`, `export -o OTHER_DISK` and `backup -o OTHER_DISK` work, a line on stderr says the disk is
full and what to do, a change is refused in one line saying the same, and nothing is changed.

A real full filesystem: a small tmpfs mounted for the test (the machine must let the test mount
one — root in a container that allows it; skipped with the reason otherwise).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, fingerprint, integrity, make_database, planner, start_driver

TWENTY = tuple(f"Deal {i:02d}" for i in range(20))


@pytest.fixture
def small_disk(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk: Path) -> Path:
    """Take every free byte of `disk` (unbuffered writes, smaller and smaller)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    assert shutil.disk_usage(disk).free == 0
    return filler


@pytest.fixture
def full_db(small_disk: Path, home: Path) -> Path:
    source = make_database(home, *TWENTY)
    db = small_disk / "planner.db"
    shutil.copyfile(source, db)
    os.chmod(db, 0o600)
    fill(small_disk)
    return db


def test_a_full_disk_still_lets_the_user_read_export_and_back_up(full_db, home):
    before = fingerprint(full_db)
    listed = planner(full_db, "list", home=home)
    assert listed.code == 0, listed.err
    assert all(t in listed.out for t in TWENTY)
    assert "disk" in listed.err and "full" in listed.err and "backup -o" in listed.err
    assert planner(full_db, "status", home=home).code == 0

    other = home / "other-disk"
    other.mkdir()
    exported = planner(full_db, "export", "-o", str(other / "deals.csv"), home=home)
    assert exported.code == 0, exported.err
    assert all(t in (other / "deals.csv").read_text() for t in TWENTY)
    backed_up = planner(full_db, "backup", "-o", str(other / "copy.db"), home=home)
    assert backed_up.code == 0, backed_up.err
    assert integrity(other / "copy.db") == "ok"
    assert planner(other / "copy.db", "list", home=home).out.count("Deal ") == 20

    line = assert_one_line_error(planner(full_db, "add", "One more", home=home), 1, "full", "free some space")
    assert "input/output" not in line
    assert fingerprint(full_db) == before


def test_a_file_that_needs_a_write_before_use_opens_read_only_on_a_full_disk(small_disk, home):
    """A backup copied into place is in rollback-journal mode (and carries moves another tool wrote
    without their stays): opening it switches it to write-ahead logging and measures them, writes
    a full disk refuses. That used to lock the user out ("the disk is full, so nothing was
    changed") for every command, reading included; now it opens read-only like any other."""
    source = make_database(home, *TWENTY)
    backup = home / "backup.db"
    assert planner(source, "backup", "-o", str(backup), home=home).code == 0
    con = sqlite3.connect(backup)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.execute("INSERT INTO move (opportunity_id, from_bucket, to_bucket, at) VALUES (1, 'above', 'in', '2026-11-20T10:00:00Z')")
    con.commit()
    con.close()
    db = small_disk / "planner.db"
    shutil.copyfile(backup, db)
    os.chmod(db, 0o600)
    fill(small_disk)
    before = fingerprint(db)
    listed = planner(db, "list", home=home)
    assert listed.code == 0, listed.err
    assert all(t in listed.out for t in TWENTY) and "full" in listed.err
    other = home / "other-disk"
    other.mkdir()
    assert planner(db, "backup", "-o", str(other / "copy.db"), home=home).code == 0
    assert planner(other / "copy.db", "list", home=home).out.count("Deal ") == 20
    assert_one_line_error(planner(db, "add", "One more", home=home), 1, "full", "free some space")
    assert fingerprint(db) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "planner.db"]


def test_with_room_again_everything_works_as_before(full_db, home):
    assert planner(full_db, "add", "Refused", home=home).code == 1
    for filler in full_db.parent.glob("filler*"):
        filler.unlink()
    run = planner(full_db, "add", "With room again", home=home)
    assert run.code == 0, run.err
    assert planner(full_db, "list", home=home).out.count("Deal ") == 20


def test_a_full_disk_with_changes_still_in_the_log_shows_them(small_disk, home):
    """After a crash the latest changes are in the -wal: reading read-only goes through it, never
    around it (an immutable open would silently show the file without them)."""
    source = make_database(home, *TWENTY)
    db = small_disk / "planner.db"
    shutil.copyfile(source, db)
    driver = start_driver("edit_burst.py", str(db), "late", "3", "--hold", home=home)
    driver.wait_for(lambda line: line == "holding")
    driver.kill()
    fill(small_disk)
    run = planner(db, "list", home=home)
    assert run.code == 0, run.err
    assert "late-0002" in run.out
    added = planner(db, "add", "One more", home=home)  # may fit in the log's space, or be refused
    if added.code != 0:
        assert_one_line_error(added, 1, "full")
    assert integrity(db) == "ok"


def test_the_tui_opens_a_full_disk_read_only_and_says_why_a_change_is_refused(full_db):
    import asyncio

    from planner.app import PlannerApp
    from planner.ui.screens.funnel import FunnelScreen

    async def run() -> str:
        app = PlannerApp(db=str(full_db))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, FunnelScreen)
            assert len(app.core.deals()) == 20
            warnings = [n.message for n in app._notifications if n.severity == "warning"]
            assert warnings and "full" in warnings[0] and "backup -o" in warnings[0]
            await pilot.press("a", *"Refused", "enter")
            await pilot.pause()
            # The add dialog stays open with the reason on its error line (what was typed is kept).
            error = str(app.screen.query_one(".dialog-error").render())
            await pilot.press("escape", "q")
        return error

    error = asyncio.run(run())
    assert "full" in error
