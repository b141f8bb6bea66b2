"""SPEC §6 at the store level: WAL, foreign keys, owner-only files, two writers, and a clear
DatabaseProblem (with the file left as it was) for every kind of bad database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from planner.domain.models import Activity, ActivityKind, Bucket, Influence, Opportunity, Role
from planner.errors import DatabaseProblem
from planner.store import open_repository
from planner.store.connection import Database

from .conftest import MONDAY


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file in the folder but SQLite's empty companions, with its bytes."""
    return {
        p.name: p.read_bytes()
        for p in folder.iterdir()
        if p.is_file() and not (p.name.endswith(("-wal", "-shm")) and p.stat().st_size == 0)
    }


def checkpointed(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def a_database(path: Path, *titles: str) -> Path:
    with open_repository(str(path)) as repo:
        for title in titles or ("Acme: website revamp",):
            repo.add(Opportunity(title=title), on=MONDAY)
    checkpointed(path)
    return path


def one_line_problem(info, path: Path, *words: str) -> str:
    message = str(info.value)
    assert "\n" not in message and str(path) in message, message
    for word in words:
        assert word in message, message
    return message


# --- what a good database looks like --------------------------------------------------------------


def test_wal_and_foreign_keys_are_on(repo, db_path):
    assert repo._db.pragma("journal_mode") == "wal"
    assert repo._db.pragma("foreign_keys") == 1
    assert repo._db.pragma("busy_timeout") >= 5000
    # Another program opening the file sees WAL too: it is a property of the file.
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_deleting_a_deal_cascades_to_its_history(repo):
    opp_id = repo.add(Opportunity(title="x", influences=(Influence("Eve", Role.COACH),)), on=MONDAY)
    repo.move(opp_id, Bucket.IN, on=MONDAY)
    repo.log(Activity(ActivityKind.CALL, 10, MONDAY, opportunity_id=opp_id))
    repo.log(Activity(ActivityKind.RESEARCH, 10, MONDAY))
    repo.delete(opp_id)
    con = repo._db.conn
    counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("influence", "move", "activity")]
    assert counts == [0, 0, 1]  # the prospecting hour on no deal stays


def test_files_are_owner_only_and_created_folders_0700(tmp_path):
    db = tmp_path / "new" / "deeper" / "planner.db"
    old_umask = os.umask(0o000)  # even with a permissive umask
    try:
        with open_repository(str(db)) as repo:
            repo.add(Opportunity(title="x"), on=MONDAY)
            for companion in ("planner.db-wal", "planner.db-shm"):
                assert (db.parent / companion).stat().st_mode & 0o777 == 0o600, companion
            repo.backup(str(tmp_path / "copy.db"))
    finally:
        os.umask(old_umask)
    assert db.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "copy.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "new" / "deeper").stat().st_mode & 0o777 == 0o700


def test_an_existing_world_readable_database_is_made_owner_only(tmp_path):
    db = a_database(tmp_path / "p.db")
    os.chmod(db, 0o644)
    with open_repository(str(db)):
        pass
    assert db.stat().st_mode & 0o777 == 0o600


def test_create_false_does_not_create(tmp_path):
    with pytest.raises(DatabaseProblem, match="no database"):
        open_repository(str(tmp_path / "missing.db"), create=False)
    assert list(tmp_path.iterdir()) == []


# --- two running planners ---------------------------------------------------------------------------

_WRITER = """
import sys
from datetime import date
from planner.domain.models import Activity, ActivityKind, Bucket, Opportunity
from planner.store import open_repository
repo = open_repository(sys.argv[1])
for n in range(int(sys.argv[3])):
    i = repo.add(Opportunity(title=f"{sys.argv[2]} {n}"), on=date(2026, 11, 23))
    repo.move(i, Bucket.IN, on=date(2026, 11, 23))
    repo.log(Activity(ActivityKind.CALL, 1, date(2026, 11, 23), opportunity_id=i))
    repo.snapshot(date(2026, 11, 23))
repo.close()
print("done")
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    db = a_database(tmp_path / "shared.db", "seed")
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(db), name, "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("left", "right")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    with open_repository(str(db)) as repo:
        titles = [o.title for o in repo.list()]
        assert len(titles) == 121 and len(set(titles)) == 121
        assert sum(1 for o in repo.list(Bucket.IN)) == 120
        assert repo.minutes_by_bucket(MONDAY, date(2026, 11, 30))[Bucket.IN] == 120
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_a_writer_waits_for_another_writer_instead_of_failing(repo, db_path):
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO setting (key, value) VALUES ('hours_per_week', '30')")
    timer = threading.Timer(0.4, lambda: other.execute("COMMIT"))
    timer.start()
    started = time.monotonic()
    opp_id = repo.add(Opportunity(title="waited"), on=MONDAY)
    assert time.monotonic() - started >= 0.3
    timer.join()
    other.close()
    assert repo.get(opp_id).title == "waited" and repo.settings().hours_per_week == 30


def test_locked_for_too_long_is_a_clear_problem_and_changes_nothing(db_path):
    a_database(db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        db = Database.open(db_path, timeout=0.2)
        from planner.store.migrations import prepare
        from planner.store.repository import Repository

        prepare(db)
        repo = Repository(db)
        with pytest.raises(DatabaseProblem) as info:
            repo.add(Opportunity(title="blocked"), on=MONDAY)
        one_line_problem(info, db_path, "locked", "nothing was changed")
        assert [o.title for o in repo.list()] == ["Acme: website revamp"]  # readers are not blocked (WAL)
        repo.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_full_disk_is_a_clear_problem_and_changes_nothing(repo):
    repo.add(Opportunity(title="before"), on=MONDAY)
    pages = repo._db.pragma("page_count")
    repo._db.pragma(f"max_page_count = {pages}")
    big = [Opportunity(title=f"big {n}", notes="x" * 2000) for n in range(200)]
    with pytest.raises(DatabaseProblem) as info:
        repo.import_opportunities(big, on=MONDAY)
    one_line_problem(info, repo.path, "full", "nothing was changed")
    assert [o.title for o in repo.list()] == ["before"]


# --- bad files are refused and left as they were ------------------------------------------------------


def _damage_first_page(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)
    db.write_bytes(bytes(data))


def _damage_deals_table(db: Path) -> None:
    con = sqlite3.connect(db)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'opportunity'").fetchone()[0]
    con.close()
    data = bytearray(db.read_bytes())
    data[(root - 1) * 4096 : root * 4096] = b"\xff" * 4096
    db.write_bytes(bytes(data))


def _text(db: Path) -> None:
    db.write_text("meeting notes, not a database\n" * 30)


def _other_program(db: Path) -> None:
    db.unlink()
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    con.commit()
    con.close()


BAD = {
    "damaged first page": (_damage_first_page, "damaged"),
    "damaged deals table": (_damage_deals_table, "damaged"),
    "text file": (_text, "not a planner database"),
    "tiny file": (lambda db: db.write_bytes(b"hi"), "not a planner database"),
    "another program's database": (_other_program, "another program"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_a_bad_file_is_refused_in_one_line_and_left_untouched(tmp_path, kind):
    spoil, words = BAD[kind]
    db = a_database(tmp_path / "planner.db", "Acme", "Globex")
    spoil(db)
    before = folder_state(tmp_path)
    with pytest.raises(DatabaseProblem) as info:
        repo = open_repository(str(db))
        # A damaged table may only show when it is read or written.
        try:
            repo.list()
            repo.add(Opportunity(title="new"), on=MONDAY)
        finally:
            repo.close()
    one_line_problem(info, db, words)
    assert folder_state(tmp_path) == before


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(DatabaseProblem, match="folder"):
        open_repository(str(tmp_path))


# --- read-only ----------------------------------------------------------------------------------------


class ReadOnly:
    """Read-only for this process: chmod, or the immutable attribute when running as root (root
    ignores permission bits)."""

    def __init__(self, path: Path):
        self.path, self.mode, self.root = path, path.stat().st_mode, os.geteuid() == 0

    def __enter__(self):
        if self.root:
            if subprocess.run(["chattr", "+i", str(self.path)], capture_output=True).returncode:
                pytest.skip("running as root and cannot make the file immutable")
        else:
            os.chmod(self.path, self.mode & ~0o222)
        return self

    def __exit__(self, *exc):
        if self.root:
            subprocess.run(["chattr", "-i", str(self.path)], capture_output=True)
        else:
            os.chmod(self.path, self.mode)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_database_reads_but_refuses_writes_and_stays_as_it_was(tmp_path, what):
    folder = tmp_path / "data"
    folder.mkdir()
    db = a_database(folder / "planner.db", "Acme")
    before = folder_state(folder)
    with ReadOnly(db if what == "file" else folder):
        with open_repository(str(db)) as repo:
            assert repo.read_only
            assert [o.title for o in repo.list()] == ["Acme"]
            assert len(repo.snapshot(MONDAY).open_deals) == 1
            with pytest.raises(DatabaseProblem) as info:
                repo.add(Opportunity(title="new"), on=MONDAY)
            one_line_problem(info, db, "read-only", "nothing was changed")
            with pytest.raises(DatabaseProblem, match="read-only"):
                repo.record_checkin(MONDAY)
    assert folder_state(folder) == before


def test_a_read_only_old_database_is_not_migrated(tmp_path):
    import shutil

    db = tmp_path / "planner.db"
    shutil.copyfile(Path(__file__).parent.parent / "fixtures" / "planner_v1.db", db)
    before = folder_state(tmp_path)
    with ReadOnly(db), pytest.raises(DatabaseProblem, match="needs upgrading"):
        open_repository(str(db))
    assert folder_state(tmp_path) == before


# --- import hygiene -------------------------------------------------------------------------------------


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         check=True, capture_output=True, text=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_store_and_opening_an_existing_database_never_imports_the_orm(tmp_path):
    db = a_database(tmp_path / "p.db")
    assert not {"sqlmodel", "sqlalchemy", "textual"} & _modules_after("import planner.store")
    loaded = _modules_after(
        f"from datetime import date\nfrom planner.store import open_repository\n"
        f"r = open_repository({str(db)!r})\nr.snapshot(date(2026, 11, 23)); r.list(); r.close()"
    )
    assert not {"sqlmodel", "sqlalchemy", "textual"} & loaded
    # Creating a database is the one time SQLModel is needed (the tables are the schema of record).
    assert "sqlmodel" in _modules_after(f"from planner.store import open_repository\nopen_repository({str(tmp_path / 'n.db')!r})")
