"""A write-ahead log is replayed only over the file it was written on, and `planner restore` puts a
backup in place without a stale log (SPEC §4 restore, §6; issue 10 item 4).

The attacks: after a crash the `-wal` stays beside the database; a user who restores a backup the
obvious way (`cp backup.db planner.db`) would get the stale log replayed over it (deals gone, no
message), and a `-wal` copied in from another database would be replayed too. Both are refused at
open, before SQLite sees the log, with the file and the log left exactly as they were.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, fingerprint, integrity, make_database, planner, start_driver

TWENTY = tuple(f"Deal {i:02d}" for i in range(20))


def titles(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [t for (t,) in con.execute("SELECT title FROM opportunity ORDER BY id")]
    finally:
        con.close()


def crash_with_a_pending_log(db: Path, home: Path, tag: str = "later", count: int = 5) -> None:
    """Another planner adds `count` deals (each committed), then dies without closing: the log
    keeps them, the main file does not."""
    driver = start_driver("edit_burst.py", str(db), tag, str(count), "--hold", home=home)
    driver.wait_for(lambda line: line == "holding")
    driver.kill()
    assert Path(f"{db}-wal").stat().st_size > 0, "the crash should leave a log with the new deals"


def files_of(db: Path) -> dict[str, str]:
    return {p.name: fingerprint(p) for p in db.parent.iterdir() if p.is_file() and p.name.startswith(db.name)}


def test_the_planners_own_log_after_a_crash_is_replayed(home):
    db = make_database(home, *TWENTY)
    crash_with_a_pending_log(db, home)
    crash_with_a_pending_log(db, home, tag="again", count=2)  # a second session stamps on the first
    run = planner(db, "list", "--json", home=home)
    assert run.code == 0, run.err
    for title in (*TWENTY, "later-0004", "again-0001"):
        assert title in run.out


def test_a_stale_log_is_not_replayed_over_a_backup_copied_into_place(home):
    db = make_database(home, *TWENTY)
    backup = home / "backup.db"
    assert planner(db, "backup", "-o", str(backup), home=home).code == 0
    # Later: most deals deleted, new ones added — then a crash leaves that in the log.
    con = sqlite3.connect(db)
    con.execute("DELETE FROM opportunity WHERE id > 1")
    con.commit()
    con.close()
    crash_with_a_pending_log(db, home)
    shutil.copyfile(backup, db)  # "cp backup.db planner.db": same file, the old log still beside it

    # What SQLite alone does with that pair: replays the log, and the restored deals are gone.
    lab = home / "lab"
    lab.mkdir()
    shutil.copyfile(db, lab / "planner.db")
    shutil.copyfile(f"{db}-wal", lab / "planner.db-wal")
    assert len(titles(lab / "planner.db")) < 20

    before = files_of(db)
    for command in (["list"], ["add", "x"], ["status"]):
        assert_one_line_error(planner(db, *command, home=home), 1, "does not belong", "-wal aside", "planner restore")
    assert files_of(db) == before, "the database or its log was changed"
    # The way out the message names: without the log, the file is the backup, every deal there.
    os.rename(f"{db}-wal", home / "aside.wal")
    run = planner(db, "list", "--json", home=home)
    assert run.code == 0 and all(t in run.out for t in TWENTY), run.err


def test_a_log_from_another_database_is_refused(home):
    ours = make_database(home, *TWENTY)
    other_home = home / "elsewhere"
    other_home.mkdir()
    other = make_database(other_home, "Someone else's deal")
    crash_with_a_pending_log(other, home)
    shutil.copyfile(f"{other}-wal", f"{ours}-wal")
    before = files_of(ours)
    assert_one_line_error(planner(ours, "list", home=home), 1, "does not belong")
    assert files_of(ours) == before
    assert titles_without_log(ours) == list(TWENTY)


def titles_without_log(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        return [t for (t,) in con.execute("SELECT title FROM opportunity ORDER BY id")]
    finally:
        con.close()


def test_a_log_whose_last_frame_was_torn_by_a_crash_is_still_the_files_own(home):
    """SQLite ignores frames whose checksum fails (a write cut short); so does the check: the
    fast reading trusts frame headers, and a doubtful log is read again with checksums."""
    db = make_database(home, *TWENTY)
    crash_with_a_pending_log(db, home)
    wal = Path(f"{db}-wal")
    data = bytearray(wal.read_bytes())
    page_size = int.from_bytes(data[8:12], "big")
    frame = 24 + page_size
    frames = (len(data) - 32) // frame
    # Append a frame for page 1 carrying a nonsense anchor, salts right, checksum wrong: torn.
    last = data[32 + (frames - 1) * frame : 32 + frames * frame]
    torn = bytearray(last)
    torn[0:4] = (1).to_bytes(4, "big")
    torn[4:8] = (999).to_bytes(4, "big")  # a commit frame
    torn[24 + 68 : 24 + 72] = (123456).to_bytes(4, "big")
    wal.write_bytes(bytes(data) + bytes(torn))
    run = planner(db, "list", "--json", home=home)
    assert run.code == 0, run.err
    assert "later-0004" in run.out


# --- planner restore ---------------------------------------------------------------------------


def test_restore_puts_the_backup_in_place_keeps_the_current_one_and_leaves_no_stale_log(home):
    db = make_database(home, *TWENTY)
    backup = home / "backup.db"
    assert planner(db, "backup", "-o", str(backup), home=home).code == 0
    crash_with_a_pending_log(db, home)  # the current database has five more deals, in its log

    run = planner(db, "restore", str(backup), home=home)
    assert run.code == 0, run.err
    assert "restored 20 deals" in run.out
    kept = [p for p in home.iterdir() if p.name.startswith("planner.db.before-restore-")]
    assert len(kept) == 1 and kept[0].stat().st_mode & 0o777 == 0o600
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    assert titles(db) == list(TWENTY) and integrity(db) == "ok"
    assert db.stat().st_mode & 0o777 == 0o600
    # The copy kept aside holds the database as it was, log included.
    assert "later-0004" in titles(kept[0]) and len(titles(kept[0])) == 25
    # And the planner goes on with the restored file.
    assert planner(db, "add", "After the restore", home=home).code == 0
    assert planner(db, "list", home=home).out.count("Deal ") == 20


def test_restore_over_a_database_with_a_foreign_log_keeps_both_as_they_were(home):
    db = make_database(home, *TWENTY)
    backup = home / "backup.db"
    assert planner(db, "backup", "-o", str(backup), home=home).code == 0
    crash_with_a_pending_log(db, home)
    shutil.copyfile(backup, db)  # the "cp" restore, refused at open (see above)
    main, log = fingerprint(db), fingerprint(Path(f"{db}-wal"))
    run = planner(db, "restore", str(backup), home=home)
    assert run.code == 0, run.err
    [kept] = [p for p in home.iterdir() if p.name.startswith("planner.db.before-restore-") and p.suffix == ".bak"]
    assert fingerprint(kept) == main and fingerprint(Path(f"{kept}.wal")) == log
    assert titles(db) == list(TWENTY)
    assert planner(db, "list", home=home).code == 0


def test_restore_into_a_new_place(home):
    source = make_database(home, *TWENTY)
    target = home / "new" / "planner.db"
    run = planner(target, "restore", str(source), home=home)
    assert run.code == 0, run.err
    assert titles(target) == list(TWENTY)
    assert "kept" not in run.out


def _not_sqlite(home: Path) -> Path:
    p = home / "notes.txt"
    p.write_text("not a database\n" * 20)
    return p


def _damaged(home: Path) -> Path:
    (home / "d").mkdir()
    p = make_database(home / "d", *TWENTY)
    data = bytearray(p.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(2 * page, len(data), page):  # every page after the schema's
        data[offset : offset + 64] = b"\xff" * 64
    p.write_bytes(bytes(data))
    return p


def _planted(home: Path) -> Path:
    (home / "t").mkdir()
    p = make_database(home / "t", *TWENTY)
    con = sqlite3.connect(p)
    con.execute("CREATE TRIGGER wipe AFTER INSERT ON move BEGIN DELETE FROM opportunity; END")
    con.commit()
    con.close()
    return p


def _newer(home: Path) -> Path:
    (home / "n").mkdir()
    p = make_database(home / "n", *TWENTY)
    con = sqlite3.connect(p)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    return p


def _damaged_deep(home: Path) -> Path:
    """Whole where the open-time probe looks (the schema, each table's first rows), damaged in a
    page near the end of the file: only `PRAGMA integrity_check` finds it."""
    (home / "dd").mkdir()
    p = make_database(home / "dd", *TWENTY)
    con = sqlite3.connect(p)
    con.executemany(
        "INSERT INTO activity (opportunity_id, kind, minutes, day, note, bucket) VALUES (1, 'call', 30, '2026-03-01', ?, 'above')",
        [(f"note {i} " + "x" * 200,) for i in range(2000)],
    )
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(p.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    victim = (len(data) // page - 2) * page
    data[victim : victim + 8] = b"\xff" * 8  # the page's b-tree header
    p.write_bytes(bytes(data))
    return p


def _fifo(home: Path) -> Path:
    p = home / "backup.fifo"
    os.mkfifo(p)
    return p


def _other_program(home: Path) -> Path:
    p = home / "other.db"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    return p


BAD_SOURCES = {
    "missing": (lambda home: home / "nowhere.db", 2, "no such backup"),
    "not SQLite": (_not_sqlite, 1, "not a planner backup"),
    "damaged": (_damaged, 1, "damaged"),
    "damaged deep inside": (_damaged_deep, 1, "damaged"),
    "planted trigger": (_planted, 1, "trigger wipe"),
    "newer schema": (_newer, 1, "newer version"),
    "a FIFO": (_fifo, 2, "FIFO"),
    "a folder": (lambda home: home, 2, "folder"),
    "another program's database": (_other_program, 1, "not a planner backup"),
    "the database itself": (lambda home: home / "planner.db", 2, "database itself"),
    "a name too long": (lambda home: home / ("x" * 5000), 2, "too long"),
}


@pytest.mark.parametrize("kind", list(BAD_SOURCES))
def test_restore_refuses_anything_but_a_whole_planner_backup_and_changes_nothing(home, kind):
    make_source, code, words = BAD_SOURCES[kind]
    db = make_database(home, "The current deal")
    source = make_source(home)
    before = files_of(db)
    run = planner(db, "restore", str(source), home=home)
    assert_one_line_error(run, code, words)
    assert files_of(db) == before
    assert not [p for p in home.iterdir() if "before-restore" in p.name]


def test_a_fifo_planted_as_the_log_never_hangs_the_planner(home):
    db = make_database(home, *TWENTY)
    os.mkfifo(f"{db}-wal")
    before = fingerprint(db)
    for command in (["list"], ["add", "x"]):
        assert_one_line_error(planner(db, *command, home=home), 1, "not a regular file")
    assert fingerprint(db) == before
    # The way out: restore keeps the file as it is and puts the backup in place, FIFO gone.
    (home / "b").mkdir()
    backup = make_database(home / "b", "Backed up")
    run = planner(db, "restore", str(backup), home=home, timeout=20)
    assert run.code == 0, run.err
    assert not os.path.lexists(f"{db}-wal") and titles(db) == ["Backed up"]


def _plant(kind: str, where: Path, victim: Path) -> None:
    if kind == "FIFO":
        os.mkfifo(where)
    elif kind == "symbolic link":
        os.symlink(victim, where)
    else:
        where.mkdir()


@pytest.mark.parametrize("suffix", ["-journal", "-wal", "-shm"])
@pytest.mark.parametrize("kind", ["FIFO", "symbolic link", "folder"])
def test_anything_but_a_regular_file_beside_the_database_is_refused_before_sqlite_opens_it(home, suffix, kind):
    """SQLite opens its companions by name: a FIFO planted as the -journal hung every command (the
    journal is read at each open), one as the -shm gave "input/output error", a link as the -wal
    or -shm could have had the database's pages written wherever it points. Through a link to the
    database too: SQLite keeps them beside the file it resolves to."""
    db = make_database(home, *TWENTY)
    victim = home / "someone-elses.file"
    victim.write_bytes(b"")
    os.chmod(victim, 0o666)
    _plant(kind, Path(f"{db}{suffix}"), victim)
    os.symlink(db, home / "link.db")
    before = fingerprint(db)
    for target, command in ((db, ["list"]), (db, ["add", "x"]), (home / "link.db", ["log", "--kind", "call", "--minutes", "5"])):
        run = planner(target, *command, home=home, timeout=20)
        assert_one_line_error(run, 1, f"{db.name}{suffix}", "not a regular file", "nothing was changed")
    assert fingerprint(db) == before
    assert victim.read_bytes() == b""
    # The way out the message gives: remove it; then everything is there.
    if kind == "folder":
        Path(f"{db}{suffix}").rmdir()
    else:
        os.unlink(f"{db}{suffix}")
    run = planner(db, "list", home=home)
    assert run.code == 0 and all(t in run.out for t in TWENTY)


def test_restore_is_refused_while_another_planner_has_the_database_open(home):
    db = make_database(home, "The current deal")
    backup = home / "backup.db"
    assert planner(db, "backup", "-o", str(backup), home=home).code == 0
    driver = start_driver("edit_burst.py", str(db), "open", "2", "--hold", home=home)
    try:
        driver.wait_for(lambda line: line == "holding")
        assert_one_line_error(planner(db, "restore", str(backup), home=home), 1, "open in another")
    finally:
        driver.send("\n")
        assert driver.finish() == 0
    assert "open-0001" in titles(db)


def test_restore_at_the_store_level_reports_what_it_did(tmp_path):
    from planner.domain.models import Opportunity
    from planner.store import open_repository
    from datetime import date

    from planner.store.migrations import SCHEMA_VERSION
    from planner.store.restore import restore_database

    db = tmp_path / "p.db"
    with open_repository(str(db)) as repo:
        repo.add(Opportunity(title="one"), on=date(2026, 3, 2))
        repo.backup(str(tmp_path / "b.db"))
        repo.add(Opportunity(title="two"), on=date(2026, 3, 2))
    done = restore_database(tmp_path / "b.db", db)
    assert (done.database, done.deals, done.version) == (db, 1, SCHEMA_VERSION)
    assert done.kept is not None and done.kept.parent == tmp_path
    with open_repository(str(db)) as repo:
        assert [o.title for o in repo.list()] == ["one"]


def test_which_logs_belong_to_a_file():
    """The rule of `guard.check_wal` on the anchors of a log's header-page frames (A: the file's
    anchor when the log began; each planner connection's first write steps it by one)."""
    from planner.store.guard import WalFrames, _belongs

    def header(anchor: int) -> bytes:
        h = bytearray(100)
        h[16:18] = (4096).to_bytes(2, "big")
        h[68:72] = anchor.to_bytes(4, "big", signed=True)
        return bytes(h)

    def log(*anchors: int, other_pages: bool = True) -> WalFrames:
        return WalFrames(4096, len(anchors) + 3, anchors, other_pages)

    a = 1_000_000
    assert _belongs(log(a + 1, a + 1, a + 2), header(a))  # two sessions stamped, nothing copied back yet
    assert _belongs(log(a + 1, a + 2), header(a + 2))  # a checkpoint copied both stamps into the file
    assert _belongs(log(a + 1, a + 2), header(a + 1))  # … or only the first
    assert _belongs(log(a, a), header(a))  # another tool's session: the anchor never changed
    assert _belongs(log(), header(a))  # no header page in the log at all
    assert not _belongs(log(a + 1), header(424242))  # a backup copied over the file (its own anchor)
    assert not _belongs(log(a + 3), header(a))  # a copy of the file from sessions ago
    assert not _belongs(log(a + 1, a + 5), header(a))  # anchors that do not follow each other
    assert not _belongs(WalFrames(1024, 4, (a + 1,), True), header(a))  # another page size
    assert _belongs(log(77, other_pages=False), header(0))  # a file's first stamp, cut short
    assert not _belongs(log(77, 78), header(0))  # a stamped log beside a file never stamped on disk
