"""SPEC §6: schema migrations keep every row, a backup is made first, a newer schema is refused."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from planner.domain.models import Bucket, Opportunity
from planner.errors import DatabaseProblem
from planner.store import open_repository
from planner.store.migrations import SCHEMA_VERSION

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
V1 = FIXTURES / "planner_v1.db"
V2 = FIXTURES / "planner_v2.db"
V3 = FIXTURES / "planner_v3.db"
TABLES = ["activity", "criterion", "influence", "move", "opportunity", "opportunity_criterion", "setting"]


def rows(path: Path, table: str, columns: str = "*") -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        con.close()


def shape(path: Path) -> dict[str, object]:
    """Columns (name, type, not null, default, primary key) of every table, and every index."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        out: dict[str, object] = {
            t: [tuple(c[1:]) for c in con.execute(f"PRAGMA table_info({t})")] for t in sorted(tables)
        }
        out["foreign keys"] = {
            t: sorted(tuple(fk[2:]) for fk in con.execute(f"PRAGMA foreign_key_list({t})")) for t in sorted(tables)
        }
        out["indexes"] = sorted(
            con.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")
        )
        return out
    finally:
        con.close()


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    target = tmp_path / "planner.db"
    shutil.copyfile(V1, target)
    return target


def test_the_fixture_is_a_version_1_database_with_rows_in_every_table():
    con = sqlite3.connect(f"file:{V1}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1
        for table in TABLES:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
    finally:
        con.close()


def test_upgrading_a_version_1_database_keeps_every_row_and_backs_it_up_first(v1_copy: Path):
    before = {t: rows(v1_copy, t) for t in TABLES}
    original_bytes = v1_copy.read_bytes()

    with open_repository(str(v1_copy)) as repo:
        deals = {o.id: o for o in repo.export_rows()}
        assert repo.settings().hours_per_week == 20 and repo.settings().cycle_days == 45

    # Every old row is still there, unchanged (opportunity rows gained two columns at the end in
    # version 2 and four in version 3, moves one in version 2 and one in version 4).
    gained = {"opportunity": 6, "move": 2}
    for table in TABLES:
        after = rows(v1_copy, table)
        if table in gained:
            after = [r[: -gained[table]] for r in after]
        assert after == before[table], table

    # Each move out of a bucket carries the length of the stay it ended (creation moves none).
    stays = {r[0]: r[1] for r in rows(v1_copy, "move", "id, stay_days")}
    assert stays == {
        1: None, 2: pytest.approx(10 + 1 / 24), 3: pytest.approx(24 - 2 / 24),  # Acme: 1 Sep 9h → 11 Sep 10h → 5 Oct 8h
        4: None, 5: 11.0,
        6: None, 7: 18.0, 8: 30.0, 9: 26.0,
        10: None, 11: 29.0,
        12: None,
    }

    # The back-fill: entered = day of the move into the current bucket (else creation);
    # touched = latest of creation, moves and activities.
    assert {i: (o.entered_bucket_on, o.last_touched_on) for i, o in deals.items()} == {
        1: (date(2026, 10, 5), date(2026, 10, 20)),  # moved to Best Few 5 Oct, call on 20 Oct
        2: (date(2026, 10, 12), date(2026, 10, 12)),  # moved to In, nothing since
        3: (date(2026, 8, 15), date(2026, 8, 20)),  # won 15 Aug, thank-you email 20 Aug
        4: (date(2026, 7, 30), date(2026, 7, 30)),  # lost
        5: (date(2026, 11, 2), date(2026, 11, 3)),  # created, researched the next day
        6: (date(2026, 5, 5), date(2026, 5, 5)),  # no history at all: its creation day
    }
    assert deals[3].bucket is Bucket.WON and deals[1].criteria_met == {1, 2}
    assert [i.name for i in deals[1].influences] == ["Ana Ruiz", "Tom (IT)"]

    # A backup of the version-1 file, owner-only, byte for byte what was there.
    backups = list(v1_copy.parent.glob("planner.db.schema1-*.bak"))
    assert len(backups) == 1
    assert backups[0].stat().st_mode & 0o777 == 0o600
    backup = sqlite3.connect(backups[0])
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    backup.close()
    assert {t: rows(backups[0], t) for t in TABLES} == before
    assert len(original_bytes) > 0

    # Now at the current version, in WAL mode, and opening again migrates nothing more.
    con = sqlite3.connect(v1_copy)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    with open_repository(str(v1_copy)):
        pass
    assert len(list(v1_copy.parent.glob("*.bak"))) == 1


def test_an_upgraded_database_has_exactly_the_shape_of_a_new_one(v1_copy: Path, v2_copy: Path, v3_copy: Path,
                                                                 tmp_path: Path):
    for old in (v1_copy, v2_copy, v3_copy):
        with open_repository(str(old)):
            pass
    fresh = tmp_path / "fresh.db"
    with open_repository(str(fresh)):
        pass
    assert shape(v1_copy) == shape(fresh)
    assert shape(v2_copy) == shape(fresh)
    assert shape(v3_copy) == shape(fresh)


@pytest.fixture
def v2_copy(tmp_path: Path) -> Path:
    target = tmp_path / "v2" / "planner.db"
    target.parent.mkdir()
    shutil.copyfile(V2, target)
    return target


def test_the_v2_fixture_is_what_version_2_wrote():
    con = sqlite3.connect(f"file:{V2}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 2
        # Version 2 gave deals added straight into In or Best Few the day they were added as first contact.
        quick = con.execute("SELECT first_contact, created_on FROM opportunity WHERE title LIKE 'Quick %'").fetchall()
        assert quick == [("2026-02-02", "2026-02-02")] * 3
    finally:
        con.close()


def test_a_version_2_database_is_upgraded_with_its_history_measured_again(v2_copy: Path):
    """The referrals that skipped In pass it, the move back is no failure, the first contacts
    version 2 made up are cleared, and the cycle and pass rates are recomputed from the history
    that is there (version 2 said: Above converts 2 in 9, cycle median of 10 won deals, 14 new
    prospects a week, In the Funnel 0 % of the week)."""
    before = {t: rows(v2_copy, t) for t in TABLES}
    with open_repository(str(v2_copy)) as repo:
        deals = {o.id: o for o in repo.export_rows()}
        history = repo.history()
        from planner.domain.status import analyse

        status = analyse(repo.snapshot(date(2026, 3, 4)))

    backups = list(v2_copy.parent.glob("planner.db.schema2-*.bak"))
    assert len(backups) == 1 and backups[0].stat().st_mode & 0o777 == 0o600
    assert {t: rows(backups[0], t) for t in TABLES} == before

    # Every row is kept; opportunity rows gained the four columns of version 3 at the end, moves
    # the one of version 4 (the Quick wins' first stays In are censored: no length).
    for table in TABLES:
        after = rows(v2_copy, table)
        if table == "move":
            quick = {r[0] for r in after if r[1] in (11, 12, 13) and r[2] is not None}
            assert {r[0] for r in after if r[-1]} == quick and len(quick) == 3
            assert [r[:-1] for r in after] == [(*r[:-1], None) if r[0] in quick else r for r in before[table]]
            continue
        if table == "opportunity":
            after = [r[:-4] for r in after]
            # ... and only the first contacts version 2 made up are gone (Quick 1–3, Open best few).
            made_up = {11, 12, 13, 16}
            assert [r for r in after if r[0] not in made_up] == [r for r in before[table] if r[0] not in made_up]
            assert all(deals[i].first_contact is None for i in made_up)
            assert deals[15].first_contact == date(2026, 2, 1)  # given with --first-contact: kept
            continue
        assert after == before[table], table

    # The cycle: the six referrals (24 days) and Zigzag (55); the Quick wins are not measured.
    assert (history.cycle_samples, history.median_cycle_days) == (7, 24)
    above, in_, best = (history.bucket(b) for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW))
    assert (above.passed, above.failed) == (8, 2)  # the referrals skipped to Best Few: passed
    assert (in_.passed, in_.failed) == (10, 1)  # they skipped In too; the Quick wins skipped Best Few
    assert (best.passed, best.failed) == (10, 0)  # the deal lost after moving back fails In, not Best Few
    assert status.parameters.pass_rate[Bucket.ABOVE].value == pytest.approx(0.8)
    assert all(status.allocation[b].percent > 0 for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW))
    assert status.allocation.prospect_quota == 1

    assert [i for i, o in deals.items() if o.criteria_reviewed] == [14]  # the one whose criteria were ticked
    con = sqlite3.connect(v2_copy)
    try:
        derived = dict(((r[0], r[1:]) for r in con.execute(
            "SELECT id, entry_bucket, top_bucket, lost_from FROM opportunity WHERE id IN (1, 10, 11, 16)")))
    finally:
        con.close()
    assert derived == {1: ("above", "above", None), 10: ("above", "above", "in"), 11: ("in", "in", None),
                       16: ("best_few", "best_few", None)}


@pytest.fixture
def v3_copy(tmp_path: Path) -> Path:
    target = tmp_path / "v3" / "planner.db"
    target.parent.mkdir()
    shutil.copyfile(V3, target)
    return target


#: The moves of the v3 fixture that end a deal's first stay in the bucket it was added straight
#: into, without a first contact on the day it was added (tests/fixtures/make_v3_database.py):
#: "Back and forth" leaving In, the Introduction won from Best Few, Quick 1–5 won from In, and
#: "Met before" leaving In. "Met and qualified" (move 27) was first contacted the day it was added.
CENSORED_V3 = {4, 21, 22, 23, 24, 25, 26, 28}


def test_the_v3_fixture_is_what_version_3_wrote():
    con = sqlite3.connect(f"file:{V3}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 3
        # Version 3 measured the quick wins' first stay In from the day they were added: 3 days.
        quick = con.execute("SELECT stay_days FROM move WHERE id BETWEEN 22 AND 26").fetchall()
        assert [round(days) for (days,) in quick] == [3] * 5
        assert dict(((f, t), n) for f, t, n in con.execute("SELECT * FROM stay_count"))[("in", "won")] == 5
    finally:
        con.close()


def test_a_version_3_database_is_upgraded_with_its_censored_stays_left_out(v3_copy: Path):
    """The first stay of a deal added straight into In or Best Few has no known start: version 4
    leaves it out of the residence times (version 3 read In's median stay as 5 days from five quick
    wins, so three open In deals asked 25.2 h of a 15 h week, 18.1 h overloaded)."""
    before = {t: rows(v3_copy, t) for t in TABLES}
    with open_repository(str(v3_copy)) as repo:
        history = repo.history()
        from planner.domain.status import analyse

        status = analyse(repo.snapshot(date(2026, 3, 9)))

    backups = list(v3_copy.parent.glob("planner.db.schema3-*.bak"))
    assert len(backups) == 1 and backups[0].stat().st_mode & 0o777 == 0o600
    assert {t: rows(backups[0], t) for t in TABLES} == before

    # Every row is kept; moves gained `censored` at the end, and a censored stay has no length.
    for table in TABLES:
        after = rows(v3_copy, table)
        if table == "move":
            assert {r[0] for r in after if r[-1]} == CENSORED_V3
            assert [r[:-1] for r in after] == [(*r[:-1], None) if r[0] in CENSORED_V3 else r for r in before[table]]
            continue
        assert after == before[table], table

    # The stays left are the real ones: Above 10, 14, 12 days; In 20, 24, 30 and 7 (from the day
    # "Met and qualified" was first contacted and added); Best Few 16 (won) and 12 (lost).
    stays = {b: (history.bucket(b).stays, history.bucket(b).median_dwell_days) for b in (Bucket.ABOVE, Bucket.IN,
                                                                                       Bucket.BEST_FEW)}
    assert {b: n for b, (n, _) in stays.items()} == {Bucket.ABOVE: 3, Bucket.IN: 4, Bucket.BEST_FEW: 2}
    assert [round(m) for _, m in stays.values()] == [12, 22, 14]
    con = sqlite3.connect(v3_copy)
    try:
        kept = {(f, t): n for f, t, n in con.execute("SELECT * FROM stay_count") if n}
    finally:
        con.close()
    assert kept == {("above", "in"): 3, ("in", "best_few"): 4, ("best_few", "won"): 1, ("best_few", "lost"): 1}

    # Fewer than five finished stays In: the default 0.45 × 60 = 27 days, and the week fits.
    assert status.parameters.residence_days[Bucket.IN].source == "default"
    assert status.allocation[Bucket.IN].demanded_hours == pytest.approx(3 * 7 * 6 / 27)
    assert status.allocation.overloaded_hours == 0

    # Opening again migrates and measures nothing more.
    with open_repository(str(v3_copy)):
        pass
    assert len(list(v3_copy.parent.glob("*.bak"))) == 1


def test_the_denormalised_columns_equal_what_history_says_after_use(v1_copy: Path):
    """The live updates (move, log, undo) and the migration's back-fill agree."""
    from planner.domain.models import Activity, ActivityKind
    from planner.store.migrations import DENORMALISE_SQL

    with open_repository(str(v1_copy)) as repo:
        repo.move(2, Bucket.BEST_FEW, on=date(2026, 11, 20))
        repo.log(Activity(ActivityKind.CALL, 20, date(2026, 11, 21), opportunity_id=5))
        state = repo.capture(1)
        repo.move(1, Bucket.WON, on=date(2026, 11, 22))
        repo.restore(state)
        new = repo.add(Opportunity(title="fresh"), on=date(2026, 11, 23))
        live = {o.id: (o.entered_bucket_on, o.last_touched_on) for o in repo.export_rows()}
    con = sqlite3.connect(v1_copy)
    con.execute(DENORMALISE_SQL)
    con.commit()
    con.close()
    with open_repository(str(v1_copy)) as repo:
        assert {o.id: (o.entered_bucket_on, o.last_touched_on) for o in repo.export_rows()} == live
    assert live[2] == (date(2026, 11, 20), date(2026, 11, 20)) and live[new][0] == date(2026, 11, 23)


def test_a_newer_schema_is_refused_and_left_byte_for_byte(tmp_path: Path):
    db = tmp_path / "future.db"
    with open_repository(str(db)) as repo:
        repo.add(Opportunity(title="from the future"), on=date(2026, 11, 23))
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(DatabaseProblem, match="newer version of planner") as info:
        open_repository(str(db))
    assert str(db) in str(info.value) and "\n" not in str(info.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_an_upgrade_that_cannot_back_up_changes_nothing(v1_copy: Path, monkeypatch):
    from planner.store import connection

    def no_room(self, target):
        raise DatabaseProblem(f"cannot write backup {target}: No space left on device")

    monkeypatch.setattr(connection.Database, "backup_to", no_room)
    before = v1_copy.read_bytes()
    with pytest.raises(DatabaseProblem, match="backup"):
        open_repository(str(v1_copy))
    assert v1_copy.read_bytes() == before


def test_a_failing_migration_rolls_back_whole(v1_copy: Path, monkeypatch):
    from planner.store import migrations

    def half_way(conn):
        conn.execute("ALTER TABLE opportunity ADD COLUMN entered_bucket_on VARCHAR")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setitem(migrations.MIGRATIONS, 1, half_way)
    with pytest.raises(DatabaseProblem):
        open_repository(str(v1_copy))
    con = sqlite3.connect(v1_copy)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "entered_bucket_on" not in [c[1] for c in con.execute("PRAGMA table_info(opportunity)")]
    con.close()
    monkeypatch.undo()
    with open_repository(str(v1_copy)) as repo:  # and the real upgrade still works afterwards
        assert len(repo.export_rows()) == 6
