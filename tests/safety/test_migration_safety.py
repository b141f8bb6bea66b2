"""Schema migrations (SPEC §6 "schema migrations that keep every row, a backup before any
migration"; issue item 3). The store's own test checks the upgraded shape with the v1 fixture;
these check what a user relies on around it: the backup exists, is complete and private before
the schema is touched, a migration killed half-way leaves the old database whole, and a database
from a newer planner is refused untouched.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from planner.store.connection import Database
from planner.store.migrations import SCHEMA_VERSION, create_schema

from .conftest import assert_one_line_error, checkpoint, fingerprint, integrity, planner, start_driver

DEALS = [
    ("Acme: website revamp", "in", 1_250_000),
    ("Globex: audit", "best_few", 400_000),
    ("客户：上海贸易公司 🚀", "above", 0),
    ("[bold]Initech[/] =1+1", "won", 99),
]


def make_v1_database(path: Path) -> Path:
    """A database as version 1 of the planner left it: deals, their moves and logged time."""
    db = Database.open(path)
    create_schema(db, version=1)
    with db.write() as conn:
        for i, (title, bucket, cents) in enumerate(DEALS, start=1):
            conn.execute(
                "INSERT INTO opportunity (title, bucket, account, contact, value_cents, first_contact, expected_close,"
                " closed_on, next_action, next_action_due, source, notes, money, authority, need, lost_reason, created_on)"
                " VALUES (?, ?, '', '', ?, '2026-01-05', NULL, ?, 'call', '2026-03-04', 'referral', 'notes', 1, 0, 1, '',"
                " '2026-01-05')",
                (title, bucket, cents, "2026-02-20" if bucket == "won" else None),
            )
            conn.execute("INSERT INTO move (opportunity_id, from_bucket, to_bucket, at) VALUES (?, NULL, 'above', '2026-01-05T09:00:00Z')", (i,))
            if bucket != "above":
                conn.execute("INSERT INTO move (opportunity_id, from_bucket, to_bucket, at) VALUES (?, 'above', ?, '2026-02-01T09:00:00Z')", (i, bucket))
            conn.execute("INSERT INTO activity (opportunity_id, kind, minutes, day, note, bucket) VALUES (?, 'call', 30, '2026-02-02', 'x', ?)", (i, bucket))
        conn.execute("INSERT INTO setting (key, value) VALUES ('hours_per_week', '22')")
    db.close()
    checkpoint(path)
    return path


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every version-1 table, ordered, read with plain sqlite3."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            table: con.execute(f"SELECT {cols} FROM {table} ORDER BY 1, 2").fetchall()
            for table, cols in {
                "opportunity": "id, title, bucket, value_cents, first_contact, closed_on, next_action, notes",
                "move": "id, opportunity_id, from_bucket, to_bucket, at",
                "activity": "id, opportunity_id, kind, minutes, day",
                "setting": "key, value",
            }.items()
        }
    finally:
        con.close()


def user_version(path: Path) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak"))


def test_upgrading_writes_a_complete_private_backup_first_and_keeps_every_row(home):
    db = make_v1_database(home / "planner.db")
    original = table_rows(db)
    run = planner(db, "list", "--json", home=home, umask=0o000)  # the most permissive umask there is
    assert run.code == 0, run.err
    for title, _, _ in DEALS:
        assert title in run.out

    [backup] = backups(home)
    assert "schema1" in backup.name
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert user_version(backup) == 1 and integrity(backup) == "ok"
    assert table_rows(backup) == original, "the backup is not the database as it was"
    assert user_version(db) == SCHEMA_VERSION
    assert table_rows(db) == original, "the upgrade lost or changed rows"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_links_planted_under_the_coming_backup_names_neither_stop_the_upgrade_nor_are_followed(home):
    """The pre-migration backup's name is predictable (the UTC second): in a shared folder someone
    can plant links under the next minute's names, dangling or pointing at a file of theirs. The
    upgrade used to stop there ("cannot write …: it is a symbolic link") on a name the user never
    chose; now any name already taken is skipped, and no link is written through."""
    from datetime import UTC, datetime, timedelta

    db = make_v1_database(home / "planner.db")
    theirs = home / "theirs.db"
    theirs.write_bytes(b"")
    now = datetime.now(UTC)
    for second in range(120):
        stamp = (now + timedelta(seconds=second)).strftime("%Y%m%dT%H%M%SZ")
        os.symlink(theirs, home / f"planner.db.schema1-{stamp}.bak")
        os.symlink(home / "nowhere", home / f"planner.db.schema1-{stamp}-2.bak")
    run = planner(db, "list", home=home)
    assert run.code == 0, run.err
    assert user_version(db) == SCHEMA_VERSION
    [backup] = [p for p in backups(home) if not p.is_symlink()]
    assert user_version(backup) == 1 and integrity(backup) == "ok"
    assert theirs.read_bytes() == b"" and not (home / "nowhere").exists()


def test_a_migration_killed_half_way_leaves_the_old_database_whole_and_backed_up(home):
    db = make_v1_database(home / "planner.db")
    original = table_rows(db)
    before = fingerprint(db)
    driver = start_driver("stall.py", "ALTER", "1", "--", "--db", str(db), "list", home=home)
    line = driver.wait_for(lambda l: l.startswith(("stalled", "finished")), timeout=30)
    assert line == "stalled True", f"the upgrade should run inside one transaction: {line}"
    [backup] = backups(home)  # written before the first schema change
    driver.kill()

    assert integrity(db) == "ok"
    assert user_version(db) == 1 and table_rows(db) == original
    checkpoint(db)
    assert fingerprint(db) == before
    assert user_version(backup) == 1 and table_rows(backup) == original

    # The next run upgrades it normally.
    assert planner(db, "list", home=home).code == 0
    assert user_version(db) == SCHEMA_VERSION and table_rows(db) == original


def test_a_database_from_a_newer_planner_is_refused_untouched_with_no_backup(home):
    db = make_v1_database(home / "planner.db")
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    checkpoint(db)
    before = fingerprint(db)
    (home / "deals.csv").write_text("title\nNew deal\n", encoding="utf-8")
    for command in (["list"], ["add", "New deal"], ["backup", "-o", str(home / "copy.db")], ["import", str(home / "deals.csv")]):
        run = planner(db, *command, home=home)
        assert_one_line_error(run, 1, "newer")
    assert fingerprint(db) == before
    assert backups(home) == [] and not (home / "copy.db").exists()
