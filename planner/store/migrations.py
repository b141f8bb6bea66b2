"""Schema versions (SPEC §6): PRAGMA user_version says which schema a database has.

- version 1: the first released schema (`V1_SCHEMA`, frozen here as it shipped): opportunities,
  influences, criteria, activities, moves, settings.
- version 2: adds the `checkin` table, the denormalised `opportunity.entered_bucket_on` /
  `last_touched_on` and `move.stay_days`, back-filled from the move and activity history.
- version 3 (method engine v2, SPEC §3.2): `opportunity.entry_bucket`, `top_bucket` and
  `lost_from`, derived from each deal's moves, from which pass rates count one outcome per deal
  per bucket and the cycle knows whose first contact is unknown; `opportunity.criteria_reviewed`,
  set where criteria were ticked; first contacts that version 2 filled in with the creation day
  for deals added straight into In or Best Few are cleared (they were never known). The step is
  `_migrate_2_to_3`, self-contained: renumber its key in MIGRATIONS if another version lands first.
- version 4 (SPEC §3.2 residence): `move.censored` marks the stay a deal had in the bucket it was
  added straight into (In or Best Few): its start is unknown, so its length is unknown (NULL) and it
  is no finished stay. The step, `_migrate_3_to_4`, measures every stay again; `ix_move_unmeasured`
  leaves censored stays out, so they are not taken for stays another tool left unmeasured.

A new database is created from the SQLModel tables (`tables.py`, the schema of record). An older
one is first copied to an owner-only backup next to it (its name says the old version and when),
then upgraded in one transaction that keeps every row. A database newer than this program is
refused untouched. Only creation and migration import SQLModel; opening an up-to-date database
does not.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from planner.errors import DatabaseProblem
from planner.store.connection import Database, owner_only

SCHEMA_VERSION = 4

#: The version-1 schema exactly as it shipped. Frozen history: never edit, only add migrations.
V1_SCHEMA: tuple[str, ...] = (
    """CREATE TABLE criterion (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	name VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	weight INTEGER NOT NULL
)""",
    """CREATE TABLE opportunity (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	title VARCHAR NOT NULL, 
	bucket VARCHAR NOT NULL, 
	account VARCHAR NOT NULL, 
	contact VARCHAR NOT NULL, 
	value_cents INTEGER NOT NULL, 
	first_contact VARCHAR, 
	expected_close VARCHAR, 
	closed_on VARCHAR, 
	next_action VARCHAR NOT NULL, 
	next_action_due VARCHAR, 
	source VARCHAR NOT NULL, 
	notes VARCHAR NOT NULL, 
	money BOOLEAN NOT NULL, 
	authority BOOLEAN NOT NULL, 
	need BOOLEAN NOT NULL, 
	lost_reason VARCHAR NOT NULL, 
	created_on VARCHAR NOT NULL
)""",
    "CREATE INDEX ix_opportunity_bucket ON opportunity (bucket)",
    "CREATE INDEX ix_opportunity_next_action_due ON opportunity (next_action_due)",
    """CREATE TABLE setting (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
)""",
    """CREATE TABLE activity (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	opportunity_id INTEGER, 
	kind VARCHAR NOT NULL, 
	minutes INTEGER NOT NULL, 
	day VARCHAR NOT NULL, 
	note VARCHAR NOT NULL, 
	bucket VARCHAR NOT NULL, 
	FOREIGN KEY(opportunity_id) REFERENCES opportunity (id) ON DELETE CASCADE
)""",
    "CREATE INDEX ix_activity_day ON activity (day)",
    "CREATE INDEX ix_activity_opportunity_id_day ON activity (opportunity_id, day)",
    """CREATE TABLE influence (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	opportunity_id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	role VARCHAR NOT NULL, 
	covered BOOLEAN NOT NULL, 
	FOREIGN KEY(opportunity_id) REFERENCES opportunity (id) ON DELETE CASCADE
)""",
    "CREATE INDEX ix_influence_opportunity_id ON influence (opportunity_id)",
    """CREATE TABLE move (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	opportunity_id INTEGER NOT NULL, 
	from_bucket VARCHAR, 
	to_bucket VARCHAR NOT NULL, 
	at VARCHAR NOT NULL, 
	FOREIGN KEY(opportunity_id) REFERENCES opportunity (id) ON DELETE CASCADE
)""",
    "CREATE INDEX ix_move_at ON move (at)",
    "CREATE INDEX ix_move_opportunity_id_at ON move (opportunity_id, at)",
    """CREATE TABLE opportunity_criterion (
	opportunity_id INTEGER NOT NULL, 
	criterion_id INTEGER NOT NULL, 
	PRIMARY KEY (opportunity_id, criterion_id), 
	FOREIGN KEY(opportunity_id) REFERENCES opportunity (id) ON DELETE CASCADE, 
	FOREIGN KEY(criterion_id) REFERENCES criterion (id) ON DELETE CASCADE
)""",
    "CREATE INDEX ix_opportunity_criterion_criterion_id ON opportunity_criterion (criterion_id)",
)

#: Recompute the two denormalised columns from history. Also used at run time whenever history
#: shrinks (undo, deleting an activity), so the stored values always equal what history says:
#: entered = the day of the latest move into the current bucket (else creation);
#: touched = the latest of creation, any move, any activity.
DENORMALISE_SQL = """
UPDATE opportunity SET
  entered_bucket_on = COALESCE(
    (SELECT substr(m.at, 1, 10) FROM move m
      WHERE m.opportunity_id = opportunity.id AND m.to_bucket = opportunity.bucket
      ORDER BY m.at DESC, m.id DESC LIMIT 1),
    created_on),
  last_touched_on = MAX(
    created_on,
    COALESCE((SELECT MAX(substr(m.at, 1, 10)) FROM move m WHERE m.opportunity_id = opportunity.id), ''),
    COALESCE((SELECT MAX(a.day) FROM activity a WHERE a.opportunity_id = opportunity.id), ''))
"""


#: How version 2 measured `move.stay_days` (frozen history: the upgrade from version 1 runs it,
#: before `move.censored` exists; the upgrade to version 4 then measures every stay again).
MEASURE_STAYS_V2_SQL = """
UPDATE move SET stay_days = measured.days
FROM (
  SELECT m.id AS id,
         CASE WHEN m.from_bucket IS NULL THEN NULL ELSE MAX(0.0, julianday(m.at) - COALESCE(
           julianday(LAG(m.at) OVER (PARTITION BY m.opportunity_id ORDER BY m.at, m.id)),
           julianday(o.created_on))) END AS days
  FROM move m JOIN opportunity o ON o.id = m.opportunity_id
) AS measured
WHERE move.id = measured.id
"""

#: Measure `move.stay_days`: the days since the deal's previous move (its creation day when no
#: earlier move is kept), never negative; NULL for a creation move. A deal's first stay in In or
#: Best Few (the bucket it was added straight into: no earlier move but its creation) began before
#: the planner knew of it, on a day nobody recorded: it is *censored* (`censored` = 1), its length
#: unknown (NULL), and no finished stay is counted from it (SPEC §3.2) — unless the deal's first
#: contact is the day it was added (or later): it cannot have been In before it was first
#: contacted, so that stay began the day it was added. A first stay Above began the day the deal
#: was added, so it is measured. Only rows whose values change are written (so a move rewrites
#: one row, and the stay_count triggers run once). `{where}` narrows the moves measured (one deal
#: at run time, every deal when migrating or repairing); a deal's first contact changing changes
#: whether its first stay is censored, so an edit of it measures the deal's stays again.
MEASURE_STAYS_SQL = """
UPDATE move SET stay_days = measured.days, censored = measured.censored
FROM (
  SELECT id, CASE WHEN censored = 1 THEN NULL ELSE days END AS days, censored FROM (
    SELECT m.id AS id,
           CASE WHEN m.from_bucket IS NULL THEN NULL ELSE MAX(0.0, julianday(m.at) - COALESCE(
             julianday(LAG(m.at) OVER w), julianday(o.created_on))) END AS days,
           CASE WHEN m.from_bucket IN ('in', 'best_few') AND LAG(m.from_bucket) OVER w IS NULL
             AND NOT COALESCE(o.first_contact >= o.created_on, 0) THEN 1 ELSE 0 END AS censored
    FROM move m JOIN opportunity o ON o.id = m.opportunity_id
    {where}
    WINDOW w AS (PARTITION BY m.opportunity_id ORDER BY m.at, m.id)
  )
) AS measured
WHERE move.id = measured.id AND (move.stay_days IS NOT measured.days OR move.censored IS NOT measured.censored)
"""

#: Moves whose stay has not been measured (a database written by another tool): uses the partial
#: index ix_move_unmeasured, so checking costs nothing when there are none. A censored stay is
#: measured: its length is known to be unknown.
UNMEASURED_SQL = (
    "SELECT 1 FROM move INDEXED BY ix_move_unmeasured "
    "WHERE stay_days IS NULL AND from_bucket IS NOT NULL AND censored = 0 LIMIT 1"
)
#: `ix_move_unmeasured` as version 4 makes it (tables.py writes the same for a new database).
UNMEASURED_INDEX_SQL = (
    "CREATE INDEX ix_move_unmeasured ON move (opportunity_id) "
    "WHERE stay_days IS NULL AND from_bucket IS NOT NULL AND censored = 0"
)


def measure_stays(conn: sqlite3.Connection, opportunity_id: int | None = None) -> None:
    """Recompute `move.stay_days` for one deal's moves (or all), inside the caller's transaction."""
    if opportunity_id is None:
        conn.execute(MEASURE_STAYS_SQL.format(where=""))
    else:
        conn.execute(MEASURE_STAYS_SQL.format(where="WHERE m.opportunity_id = ?"), (opportunity_id,))


#: The funnel's buckets in order, top first, as SQL (the rank of a bucket column).
def bucket_rank(column: str) -> str:
    return f"CASE {column} WHEN 'above' THEN 0 WHEN 'in' THEN 1 WHEN 'best_few' THEN 2 END"


#: Derive the history columns of version 3 from each deal's moves (SPEC §3.2):
#: entry = where it entered the planner (its creation move; else the bucket left by its first
#: kept move; else where it is); top = the highest open bucket it was ever in (NULL: never open,
#: e.g. imported as won); lost_from = the bucket a lost deal was lost from (NULL otherwise, or when
#: no move says). `{where}` narrows it to one deal at run time; empty to derive every deal.
DERIVE_HISTORY_SQL = """
UPDATE opportunity SET
  entry_bucket = COALESCE(
    (SELECT CASE WHEN m.from_bucket IS NULL THEN m.to_bucket ELSE m.from_bucket END FROM move m
      WHERE m.opportunity_id = opportunity.id ORDER BY m.at, m.id LIMIT 1),
    opportunity.bucket),
  top_bucket = (
    SELECT b FROM (
      SELECT m.to_bucket AS b FROM move m WHERE m.opportunity_id = opportunity.id
      UNION ALL SELECT m.from_bucket FROM move m WHERE m.opportunity_id = opportunity.id
      UNION ALL SELECT opportunity.bucket
    ) WHERE b IN ('above', 'in', 'best_few')
    ORDER BY """ + bucket_rank("b") + """ LIMIT 1),
  lost_from = CASE WHEN opportunity.bucket = 'lost' THEN (
    SELECT m.from_bucket FROM move m WHERE m.opportunity_id = opportunity.id AND m.to_bucket = 'lost'
    ORDER BY m.at DESC, m.id DESC LIMIT 1) END
{where}
"""


def derive_history(conn: sqlite3.Connection, opportunity_id: int | None = None) -> None:
    """Recompute entry_bucket, top_bucket and lost_from for one deal (or every deal), inside the
    caller's transaction (after undo puts a deal's moves back, when migrating, or repairing)."""
    if opportunity_id is None:
        conn.execute(DERIVE_HISTORY_SQL.format(where=""))
    else:
        conn.execute(DERIVE_HISTORY_SQL.format(where="WHERE opportunity.id = ?"), (opportunity_id,))


#: Deals whose history columns were never derived (written by another tool): found without a scan.
UNDERIVED_SQL = "SELECT 1 FROM opportunity INDEXED BY ix_opportunity_underived WHERE entry_bucket IS NULL LIMIT 1"


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    # Column types, order and index text match tables.py (checked by tests/store/test_migrations.py).
    conn.execute("ALTER TABLE opportunity ADD COLUMN entered_bucket_on VARCHAR")
    conn.execute("ALTER TABLE opportunity ADD COLUMN last_touched_on VARCHAR")
    conn.execute("ALTER TABLE move ADD COLUMN stay_days FLOAT")
    conn.execute("CREATE INDEX ix_move_stays ON move (from_bucket, to_bucket, stay_days)")
    conn.execute(
        "CREATE INDEX ix_move_unmeasured ON move (opportunity_id) WHERE stay_days IS NULL AND from_bucket IS NOT NULL"
    )
    conn.execute("CREATE TABLE checkin (\n\tday VARCHAR NOT NULL, \n\tPRIMARY KEY (day)\n)")
    conn.execute(DENORMALISE_SQL)
    conn.execute(MEASURE_STAYS_V2_SQL)


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    # Column types, order and index text match tables.py (checked by tests/store/test_migrations.py).
    conn.execute("ALTER TABLE opportunity ADD COLUMN entry_bucket VARCHAR")
    conn.execute("ALTER TABLE opportunity ADD COLUMN top_bucket VARCHAR")
    conn.execute("ALTER TABLE opportunity ADD COLUMN lost_from VARCHAR")
    conn.execute("ALTER TABLE opportunity ADD COLUMN criteria_reviewed BOOLEAN DEFAULT 0 NOT NULL")
    conn.execute("CREATE INDEX ix_opportunity_underived ON opportunity (id) WHERE entry_bucket IS NULL")
    derive_history(conn)
    # A deal whose criteria were ticked was reviewed; one with none ticked may never have been.
    conn.execute("UPDATE opportunity SET criteria_reviewed = 1 WHERE id IN "
                 "(SELECT opportunity_id FROM opportunity_criterion)")
    # Version 2 gave a deal added straight into In or Best Few today as its first contact when none
    # was given: that day is not a first contact, and it made the normal cycle collapse (three such
    # deals won a few days later measured a 4-day cycle). Exactly that default is cleared.
    conn.execute("UPDATE opportunity SET first_contact = NULL "
                 "WHERE entry_bucket IN ('in', 'best_few') AND first_contact = created_on")
    # Summaries of version 2 that version 3 measures differently (made again at open, see below).
    for name in RETIRED_SUMMARY_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def _migrate_3_to_4(conn: sqlite3.Connection) -> None:
    # Column type and index text match tables.py (checked by tests/store/test_migrations.py).
    conn.execute("ALTER TABLE move ADD COLUMN censored BOOLEAN DEFAULT 0 NOT NULL")
    conn.execute("DROP INDEX ix_move_unmeasured")
    conn.execute(UNMEASURED_INDEX_SQL)
    # Version 3 measured the first stay of a deal added straight into In or Best Few from the day it
    # was added, as if it had entered the bucket then: five quick wins in a first week gave In a
    # 3-day stay. Every stay is measured again; those become censored (no length, not counted), the
    # stay_count triggers follow row by row, and every other stay keeps its length.
    measure_stays(conn)


#: The summary indexes a version-2 file may hold, exactly as version 2 made them (frozen history:
#: a schema check accepts them on a version-2 file, which the upgrade to 3 then drops).
RETIRED_SUMMARY_INDEXES: dict[str, str] = {
    "ix_move_dwell": "CREATE INDEX IF NOT EXISTS ix_move_dwell ON move (from_bucket, stay_days)",
    "ix_opportunity_won_cycle": (
        "CREATE INDEX IF NOT EXISTS ix_opportunity_won_cycle ON opportunity "
        "(CAST(julianday(closed_on) - julianday(first_contact) AS INTEGER)) "
        "WHERE bucket = 'won' AND first_contact IS NOT NULL AND closed_on IS NOT NULL AND closed_on >= first_contact"
    ),
}


#: Indexes that let `Repository.history` read its medians from the middle of an ordered index
#: instead of fetching every past stay and won deal. They change no table and no query result, so
#: they are not a schema version: `prepare` creates any that is missing when it opens a writable
#: database (a new one, an upgraded one, or a version-2 file made before they existed). A planner
#: of the same schema version that predates them opens such a file as before (SQLite keeps every
#: index up to date on its own), whereas a version bump would make it refuse the file as newer.
#: On a read-only file that lacks them, the same queries run without them (slower, same numbers).
#: Where a won deal's cycle starts (SPEC §3.2): its first contact; for a deal first entered Above
#: without one, the day it was entered; for a deal added straight into In or Best Few without
#: one, unknown (not measured).
CYCLE_START_SQL = "COALESCE(first_contact, CASE WHEN entry_bucket = 'above' THEN created_on END)"
WON_CYCLE_DAYS_SQL = f"CAST(julianday(closed_on) - julianday({CYCLE_START_SQL}) AS INTEGER)"
WON_CYCLE_WHERE = (
    f"bucket = 'won' AND closed_on IS NOT NULL AND {CYCLE_START_SQL} IS NOT NULL "
    f"AND closed_on >= {CYCLE_START_SQL}"
)
#: A stay that finished (SPEC §3.2): it left forward (further down, or won) or was lost; a move
#: back up ends nothing. Written once so the partial index and the queries match term for term.
FINISHED_STAY_SQL = (
    "stay_days IS NOT NULL AND (to_bucket IN ('won', 'lost') OR (from_bucket = 'above' AND to_bucket IN "
    "('in', 'best_few')) OR (from_bucket = 'in' AND to_bucket = 'best_few'))"
)
SUMMARY_INDEXES: dict[str, str] = {
    # The finished stays of one bucket, in order of length: the dwell median is read at the middle.
    "ix_move_finished_stay": (
        f"CREATE INDEX IF NOT EXISTS ix_move_finished_stay ON move (from_bucket, stay_days) WHERE {FINISHED_STAY_SQL}"
    ),
    # Won deals with a measurable cycle, most recent first: the cycle is measured over the last 25.
    "ix_opportunity_won_recent": (
        f"CREATE INDEX IF NOT EXISTS ix_opportunity_won_recent ON opportunity (closed_on, id) WHERE {WON_CYCLE_WHERE}"
    ),
    # Won deals by closing day: "won this month" counts a month's range, not every won deal.
    "ix_opportunity_won_on": "CREATE INDEX IF NOT EXISTS ix_opportunity_won_on ON opportunity (closed_on) WHERE bucket = 'won'",
}


#: The number of finished stays per (bucket left, bucket entered), kept by triggers on `move`, so
#: that `Repository.history` reads its six counts from a dozen rows instead of counting index
#: entries (~10 ms on every change with 300,000 moves). Not a schema version either, for the same
#: reasons as the indexes: created and filled from `move` in one transaction at open, after which
#: the triggers, stored in the file, keep it right whoever writes (also a planner that predates
#: it, or the sqlite3 shell). A file without it is counted from `move` as before.
STAY_COUNT = "stay_count"
_COUNTED = "stay_days IS NOT NULL AND from_bucket IS NOT NULL"
_ADD = (
    "INSERT INTO stay_count (from_bucket, to_bucket, n) SELECT NEW.from_bucket, NEW.to_bucket, 1 "
    "WHERE NEW.stay_days IS NOT NULL AND NEW.from_bucket IS NOT NULL "
    "ON CONFLICT (from_bucket, to_bucket) DO UPDATE SET n = n + 1;"
)
_REMOVE = (
    "UPDATE stay_count SET n = n - 1 WHERE OLD.stay_days IS NOT NULL AND OLD.from_bucket IS NOT NULL "
    "AND from_bucket = OLD.from_bucket AND to_bucket = OLD.to_bucket;"
)
STAY_COUNT_DDL = (
    "CREATE TABLE stay_count (\n\tfrom_bucket VARCHAR NOT NULL, \n\tto_bucket VARCHAR NOT NULL, "
    "\n\tn INTEGER NOT NULL, \n\tPRIMARY KEY (from_bucket, to_bucket)\n) WITHOUT ROWID",
    f"INSERT INTO stay_count (from_bucket, to_bucket, n) SELECT from_bucket, to_bucket, count(*) FROM move "
    f"WHERE {_COUNTED} GROUP BY from_bucket, to_bucket",
    # WHEN: a deal's creation move (no bucket left, every imported row has one) costs no statement.
    f"CREATE TRIGGER stay_count_insert AFTER INSERT ON move "
    f"WHEN NEW.stay_days IS NOT NULL AND NEW.from_bucket IS NOT NULL BEGIN {_ADD} END",
    f"CREATE TRIGGER stay_count_delete AFTER DELETE ON move "
    f"WHEN OLD.stay_days IS NOT NULL AND OLD.from_bucket IS NOT NULL BEGIN {_REMOVE} END",
    f"CREATE TRIGGER stay_count_update AFTER UPDATE OF from_bucket, to_bucket, stay_days ON move "
    f"BEGIN {_REMOVE} {_ADD} END",
)
_STAY_COUNT_OBJECTS = {STAY_COUNT, "stay_count_insert", "stay_count_delete", "stay_count_update"}

#: The number of closed deals per (top bucket, won or lost, bucket lost from), kept by triggers on
#: `opportunity`: each deal's outcome in every bucket it went through follows from those three
#: (SPEC §3.2: one outcome per deal per bucket, skips pass, moves back count nothing, open deals
#: pending), so the pass rates are read from a dozen rows. Not a schema version, like stay_count.
OUTCOME_COUNT = "outcome_count"
_OUTCOME_KEY = "{row}.top_bucket, {row}.bucket, COALESCE({row}.lost_from, '')"
_OUTCOME_WHEN = "{row}.bucket IN ('won', 'lost') AND {row}.top_bucket IS NOT NULL"
_OUTCOME_ADD = (
    f"INSERT INTO outcome_count (top_bucket, bucket, lost_from, n) SELECT {_OUTCOME_KEY.format(row='NEW')}, 1 "
    f"WHERE {_OUTCOME_WHEN.format(row='NEW')} "
    "ON CONFLICT (top_bucket, bucket, lost_from) DO UPDATE SET n = n + 1;"
)
_OUTCOME_REMOVE = (
    f"UPDATE outcome_count SET n = n - 1 WHERE {_OUTCOME_WHEN.format(row='OLD')} "
    "AND top_bucket = OLD.top_bucket AND bucket = OLD.bucket AND lost_from = COALESCE(OLD.lost_from, '');"
)
OUTCOME_COUNT_DDL = (
    "CREATE TABLE outcome_count (\n\ttop_bucket VARCHAR NOT NULL, \n\tbucket VARCHAR NOT NULL, "
    "\n\tlost_from VARCHAR NOT NULL, \n\tn INTEGER NOT NULL, \n\tPRIMARY KEY (top_bucket, bucket, lost_from)\n) "
    "WITHOUT ROWID",
    f"INSERT INTO outcome_count (top_bucket, bucket, lost_from, n) SELECT top_bucket, bucket, COALESCE(lost_from, ''), "
    f"count(*) FROM opportunity WHERE {_OUTCOME_WHEN.format(row='opportunity')} GROUP BY 1, 2, 3",
    f"CREATE TRIGGER outcome_count_insert AFTER INSERT ON opportunity WHEN {_OUTCOME_WHEN.format(row='NEW')} "
    f"BEGIN {_OUTCOME_ADD} END",
    f"CREATE TRIGGER outcome_count_delete AFTER DELETE ON opportunity WHEN {_OUTCOME_WHEN.format(row='OLD')} "
    f"BEGIN {_OUTCOME_REMOVE} END",
    # WHEN: a move between open buckets (most of them) or an edit costs no statement.
    f"CREATE TRIGGER outcome_count_update AFTER UPDATE OF bucket, top_bucket, lost_from ON opportunity "
    f"WHEN ({_OUTCOME_WHEN.format(row='OLD')}) OR ({_OUTCOME_WHEN.format(row='NEW')}) "
    f"BEGIN {_OUTCOME_REMOVE} {_OUTCOME_ADD} END",
)
_OUTCOME_COUNT_OBJECTS = {OUTCOME_COUNT, "outcome_count_insert", "outcome_count_delete", "outcome_count_update"}
#: The DDL of every summary object a planner file may hold, in groups made whole or not at all: the
#: schema check (`guard.expected`) accepts each group wherever a version's tables allow it. A new
#: summary, or one retired by an upgrade (kept as frozen history), is one more entry here.
SUMMARY_DDL_GROUPS: tuple[tuple[str, ...], ...] = (
    *((statement,) for statement in SUMMARY_INDEXES.values()),
    *((statement,) for statement in RETIRED_SUMMARY_INDEXES.values()),
    STAY_COUNT_DDL,
    OUTCOME_COUNT_DDL,
)
#: Every summary object kept in the file beside the tables (for schema checks): name → kind.
SUMMARY_OBJECTS: dict[str, str] = {
    **{name: "index" for name in SUMMARY_INDEXES},
    **{name: "table" if name in (STAY_COUNT, OUTCOME_COUNT) else "trigger"
       for name in _STAY_COUNT_OBJECTS | _OUTCOME_COUNT_OBJECTS},
}


def summary_indexes(conn: sqlite3.Connection) -> set[str]:
    """The names of the SUMMARY_INDEXES present in the database, STAY_COUNT when that table and
    all its triggers are, and OUTCOME_COUNT likewise."""
    names = tuple(SUMMARY_INDEXES) + tuple(_STAY_COUNT_OBJECTS) + tuple(_OUTCOME_COUNT_OBJECTS)
    marks = ",".join("?" * len(names))
    found = {r[0] for r in conn.execute(f"SELECT name FROM sqlite_master WHERE name IN ({marks})", names)}
    present = found & set(SUMMARY_INDEXES)
    if _STAY_COUNT_OBJECTS <= found:
        present.add(STAY_COUNT)
    if _OUTCOME_COUNT_OBJECTS <= found:
        present.add(OUTCOME_COUNT)
    return present


def ensure_summary_indexes(db: Database) -> None:
    """Create the SUMMARY_INDEXES and STAY_COUNT a writable database lacks (once per file: a
    no-op read afterwards)."""
    with db.read() as conn:
        present = summary_indexes(conn)
    missing = set(SUMMARY_INDEXES) - present
    kept = ((STAY_COUNT, _STAY_COUNT_OBJECTS, STAY_COUNT_DDL), (OUTCOME_COUNT, _OUTCOME_COUNT_OBJECTS, OUTCOME_COUNT_DDL))
    if missing or any(table not in present for table, _, _ in kept):
        with db.write() as conn:
            for name in sorted(missing):
                conn.execute(SUMMARY_INDEXES[name])
            for table, objects, ddl in kept:
                if table in present:
                    continue
                for name in sorted(objects):  # a part left by hand: made again whole
                    kind = "TABLE" if name == table else "TRIGGER"
                    conn.execute(f"DROP {kind} IF EXISTS {name}")
                for statement in ddl:
                    conn.execute(statement)


#: version → the step that upgrades a database from that version to the next.
MIGRATIONS = {1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4}


def create_schema(db: Database, version: int = SCHEMA_VERSION) -> None:
    """Create the schema of an empty database: the SQLModel tables (the current version), or an
    older schema for the upgrade tests: the frozen version-1 schema (`version=1`), or version 1
    upgraded to `version` by the migrations themselves (e.g. `version=2`, a file as version 2 left it)."""
    if version == SCHEMA_VERSION:
        from planner.store.tables import schema_ddl  # imports SQLModel: creation only

        statements = schema_ddl()
    elif 1 <= version < SCHEMA_VERSION:
        set_wal(db)
        with db.write() as conn:
            for statement in V1_SCHEMA:
                conn.execute(statement)
            for step in range(1, version):
                MIGRATIONS[step](conn)
            conn.execute(f"PRAGMA user_version = {version}")
        return
    else:
        raise ValueError(f"cannot create schema version {version}")
    set_wal(db)
    with db.write() as conn:
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")


def set_wal(db: Database) -> None:
    """WAL lets readers and one writer work at once (two planners on one file, SPEC §6)."""
    if str(db.pragma("journal_mode")).lower() != "wal":
        mode = db.pragma("journal_mode = WAL")
        if str(mode).lower() != "wal":
            raise DatabaseProblem(f"database {db.path} cannot use write-ahead logging (journal mode {mode})")


def backup_name(path: Path, version: int, now: datetime | None = None) -> Path:
    """`planner.db` → `planner.db.schema1-20261123T110501Z.bak`, next to the database."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.schema{version}-{stamp}.bak")
    n = 1
    while os.path.lexists(candidate):  # anything there, a dangling link planted in a shared folder too
        n += 1
        candidate = path.with_name(f"{path.name}.schema{version}-{stamp}-{n}.bak")
    return candidate


def adopt_anchor(db: Database) -> None:
    """Give a file that has no anchor on disk yet (new, or made before anchors) its first one, in a
    transaction of its own copied into the main file at once (`guard`: until the main file holds
    an anchor, a log cannot be matched to it). Before any other write of the session."""
    if db.read_only or db.disk_anchor != 0:
        return
    with db.write():
        pass  # the connection's first write transaction stamps the anchor (Database.write)
    db.checkpoint()


def migrate(db: Database, from_version: int) -> Path:
    """Back the database up, then upgrade it to SCHEMA_VERSION in one transaction. Returns the backup."""
    backup = backup_name(db.path, from_version)
    db.backup_to(backup)
    adopt_anchor(db)
    with db.write() as conn:
        version = from_version
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](conn)
            version += 1
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return backup


def _user_tables(db: Database) -> int:
    with db.read() as conn:
        return conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]


def prepare(db: Database) -> Path | None:
    """Make `db` ready for the repository: create the schema of an empty file, upgrade an old one
    (returning its backup's path), refuse a newer one or another program's database untouched."""
    version = int(db.pragma("user_version") or 0)
    if version > SCHEMA_VERSION:
        raise_newer(db.path, version)
    backup = None
    if version == 0:
        if _user_tables(db):
            raise DatabaseProblem(
                f"{db.path} is an SQLite database of another program, not a planner database; it was left "
                f"untouched — choose another file with --db or PLANNER_DB"
            )
        if db.read_only:
            raise db.refuse_write()
        set_wal(db)
        adopt_anchor(db)
        create_schema(db)
    elif version < SCHEMA_VERSION:
        if db.full:
            raise db.refuse_write()
        if db.read_only:
            raise DatabaseProblem(
                f"database {db.path} needs upgrading from schema {version} to {SCHEMA_VERSION} but is read-only; "
                f"make it writable (chmod u+w) and run planner again"
            )
        backup = migrate(db, version)
        set_wal(db)
    elif not db.read_only:
        set_wal(db)
        adopt_anchor(db)
        with db.read() as conn:
            unmeasured = conn.execute(UNMEASURED_SQL).fetchone() is not None
            underived = conn.execute(UNDERIVED_SQL).fetchone() is not None
        if unmeasured or underived:
            with db.write() as conn:
                if unmeasured:
                    measure_stays(conn)
                if underived:
                    derive_history(conn)
    if not db.read_only:
        from planner.files import clean_stale_temporaries

        ensure_summary_indexes(db)
        owner_only(db.path)
        clean_stale_temporaries(db.path.parent)  # what a killed backup or restore left beside it
        for suffix in ("-wal", "-shm"):
            companion = db.path.with_name(db.path.name + suffix)
            if companion.exists():
                owner_only(companion)
    return backup


def raise_newer(path: Path, version: int) -> None:
    from planner.store.connection import newer_schema

    raise newer_schema(path, version, SCHEMA_VERSION)
