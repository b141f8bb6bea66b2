"""SQLModel tables: the schema of record (SPEC §6, docs/architecture.md).

A new database is created from `SQLModel.metadata` (see `migrations.create_schema`), and the
migration test checks that an upgraded database has exactly these columns. The runtime never uses
these classes to read or write: the repository speaks SQL through `sqlite3`, so importing this
module (and with it SQLModel/SQLAlchemy, ~0.4 s) only happens when a database is created or migrated.

Storage conventions: money in integer cents; days as ISO 'YYYY-MM-DD' text (declared as strings
so SQLite gives them TEXT affinity); instants as ISO UTC text ending in 'Z'; booleans as 0/1.
Ids use AUTOINCREMENT so an id is never reused: undo puts a deleted deal back under its old id.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, text
from sqlmodel import Field, SQLModel


def _fk(target: str, *, nullable: bool) -> Column:
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable)


class OpportunityTable(SQLModel, table=True):
    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_bucket", "bucket"),
        Index("ix_opportunity_next_action_due", "next_action_due"),
        # Deals whose history columns (version 3) were never derived: found without a scan.
        Index("ix_opportunity_underived", "id", sqlite_where=text("entry_bucket IS NULL")),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str
    bucket: str
    account: str = ""
    contact: str = ""
    value_cents: int = 0
    first_contact: str | None = None  # day
    expected_close: str | None = None  # day
    closed_on: str | None = None  # day
    next_action: str = ""
    next_action_due: str | None = None  # day
    source: str = ""
    notes: str = ""
    money: bool = False
    authority: bool = False
    need: bool = False
    lost_reason: str = ""
    created_on: str  # day
    # Schema version 2: denormalised so the funnel and the flags never scan the history tables.
    # Kept last so a version-1 database upgraded with ALTER TABLE ADD COLUMN has the same shape.
    entered_bucket_on: str | None = None  # day of the move into the current bucket
    last_touched_on: str | None = None  # latest of creation, moves and activities
    # Schema version 3 (SPEC §3.2), derived from the moves (migrations.DERIVE_HISTORY_SQL): where the
    # deal entered the planner, the highest open bucket it was ever in (NULL: never open), and the
    # bucket a lost deal was lost from. Its outcome in every bucket follows from these three.
    entry_bucket: str | None = None
    top_bucket: str | None = None
    lost_from: str | None = None
    # Schema version 3: the user reviewed the deal's ideal-customer criteria (SPEC §3.4 poor_fit).
    criteria_reviewed: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("0"))
    )


class InfluenceTable(SQLModel, table=True):
    __tablename__ = "influence"
    __table_args__ = (
        Index("ix_influence_opportunity_id", "opportunity_id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(sa_column=_fk("opportunity.id", nullable=False))
    name: str
    role: str
    covered: bool = False


class CriterionTable(SQLModel, table=True):
    __tablename__ = "criterion"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    kind: str
    weight: int = 1


class OpportunityCriterionTable(SQLModel, table=True):
    """Which ideal-customer criteria an opportunity meets."""

    __tablename__ = "opportunity_criterion"
    __table_args__ = (Index("ix_opportunity_criterion_criterion_id", "criterion_id"),)

    opportunity_id: int = Field(
        sa_column=Column(Integer, ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True)
    )
    criterion_id: int = Field(
        sa_column=Column(Integer, ForeignKey("criterion.id", ondelete="CASCADE"), primary_key=True)
    )


class ActivityTable(SQLModel, table=True):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_opportunity_id_day", "opportunity_id", "day"),
        Index("ix_activity_day", "day"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int | None = Field(default=None, sa_column=_fk("opportunity.id", nullable=True))
    kind: str
    minutes: int
    day: str  # the day the work was done
    note: str = ""
    bucket: str  # the bucket the time counts for (the deal's bucket when logged; Above for none)


class MoveTable(SQLModel, table=True):
    __tablename__ = "move"
    __table_args__ = (
        Index("ix_move_opportunity_id_at", "opportunity_id", "at"),
        Index("ix_move_at", "at"),
        # Stays are counted by the stay_count table; the dwell medians use ix_move_finished_stay,
        # created at open (migrations.SUMMARY_INDEXES, not a schema version).
        Index("ix_move_stays", "from_bucket", "to_bucket", "stay_days"),
        # Moves whose stay is not measured yet (written by another tool): found without a scan.
        Index("ix_move_unmeasured", "opportunity_id",
              sqlite_where=text("stay_days IS NULL AND from_bucket IS NOT NULL AND censored = 0")),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(sa_column=_fk("opportunity.id", nullable=False))
    from_bucket: str | None = None  # NULL: the deal was created in to_bucket
    to_bucket: str
    at: str  # instant, ISO UTC
    # Schema version 2: the length in days of the stay in from_bucket that this move ended (time
    # since the deal's previous move), so the funnel's history is summed without a window function.
    stay_days: float | None = None
    # Schema version 4 (SPEC §3.2): the stay this move ended is the deal's first, in the bucket it
    # was added straight into (In or Best Few), so its start and length are unknown (stay_days NULL)
    # and it is no finished stay (migrations.MEASURE_STAYS_SQL).
    censored: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=text("0")))


class SettingTable(SQLModel, table=True):
    __tablename__ = "setting"

    key: str = Field(sa_column=Column(String, primary_key=True))
    value: str


class CheckinTable(SQLModel, table=True):
    """Days the user finished the morning check-in (schema version 2)."""

    __tablename__ = "checkin"

    day: str = Field(sa_column=Column(String, primary_key=True))


def schema_ddl() -> list[str]:
    """CREATE TABLE / CREATE INDEX statements for the current schema, in dependency order."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = sqlite.dialect()
    statements: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            statements.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
    return statements
