"""Values another tool wrote that the planner cannot read (SPEC §6: a clear message, no damage).

The schema check (`guard`) makes sure a file holds the planner's own tables, but SQLite keeps any
value in any column: a script or the sqlite3 shell can store `soon` as an expected close date,
`nowhere` as a bucket, a blob as a title, text as an amount. Reading such a row used to end every
command, and the TUI, in a Python traceback.

Checking every row at every open would cost a full scan of each table (seconds on a large file), so
nothing is checked until something goes wrong: when a command or screen fails with an error that is
not the planner's own, `unreadable_problem(path)` scans the planner's columns with SQL and, when it
finds values of the wrong kind, turns the failure into one line naming the first few (table, row,
column, value) and what to do. When it finds none, the failure is a bug and is raised as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from planner.errors import DatabaseProblem, PlannerError

_SHOWN = 3  # values named in the message
_VALUE_CHARS = 40


def _one_of(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _checks() -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """Per table: how a row is named, and (column, SQL true when the value is unreadable, what it
    should be) for every column the planner reads into something other than text as stored."""
    from planner.domain.models import ActivityKind, Bucket, CriterionKind, Role

    buckets = tuple(b.value for b in Bucket)

    def text(c: str) -> tuple[str, str, str]:
        return c, f"typeof({c}) != 'text'", "text"

    def day(c: str) -> tuple[str, str, str]:
        return c, f"{c} IS NOT NULL AND (typeof({c}) != 'text' OR date({c}) IS NOT {c})", "a date (YYYY-MM-DD)"

    def whole(c: str) -> tuple[str, str, str]:
        return c, f"typeof({c}) != 'integer'", "a whole number"

    def among(c: str, values: tuple[str, ...], what: str, *, optional: bool = False) -> tuple[str, str, str]:
        bad = f"{c} NOT IN {_one_of(values)}"
        return c, f"{c} IS NOT NULL AND {bad}" if optional else f"{c} IS NULL OR {bad}", what

    return {
        "opportunity": ("id", [
            text("title"), text("account"), text("contact"), text("next_action"), text("source"), text("notes"),
            text("lost_reason"), among("bucket", buckets, "a bucket"), whole("value_cents"),
            day("first_contact"), day("expected_close"), day("closed_on"), day("next_action_due"),
            day("created_on"), day("entered_bucket_on"), day("last_touched_on"),
        ]),
        "influence": ("id", [text("name"), among("role", tuple(r.value for r in Role), "a buying role")]),
        "criterion": ("id", [
            text("name"), among("kind", tuple(k.value for k in CriterionKind), "a kind of criterion"), whole("weight"),
        ]),
        "activity": ("id", [
            among("kind", tuple(k.value for k in ActivityKind), "a kind of activity"), whole("minutes"),
            day("day"), text("note"), among("bucket", buckets, "a bucket"),
        ]),
        "move": ("id", [
            among("from_bucket", buckets, "a bucket", optional=True), among("to_bucket", buckets, "a bucket"),
            ("at", "typeof(at) != 'text' OR julianday(at) IS NULL", "a date and time"),
            ("stay_days", "stay_days IS NOT NULL AND typeof(stay_days) NOT IN ('integer', 'real')", "a number"),
        ]),
        "checkin": ("day", [day("day")]),
        "setting": ("key", [text("key"), text("value")]),
    }


def _shown_value(value: object) -> str:
    from planner.domain.text import shown_line

    if value is None:
        return "empty"
    if isinstance(value, bytes):
        return f"a blob of {len(value)} bytes"
    text = shown_line(str(value))
    if len(text) > _VALUE_CHARS:
        text = text[: _VALUE_CHARS - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def unreadable_values(conn: sqlite3.Connection, *, limit: int = _SHOWN + 1) -> list[str]:
    """Up to `limit` descriptions ("opportunity 71: expected_close 'soon' is not a date
    (YYYY-MM-DD)") of values in the planner's tables that it cannot read. Scans whole tables."""
    found: list[str] = []
    for table, (key, checks) in _checks().items():
        flags = ", ".join(f"({bad}) AS bad_{column}" for column, bad, _ in checks)
        columns = ", ".join(column for column, _, _ in checks)
        any_bad = " OR ".join(f"({bad})" for _, bad, _ in checks)
        rows = conn.execute(
            f"SELECT {key}, {columns}, {flags} FROM {table} WHERE {any_bad} LIMIT {limit - len(found)}"
        ).fetchall()
        for row in rows:
            name = f"{table} {_shown_value(row[0]) if key != 'id' else row[0]}"
            values, flagged = row[1 : 1 + len(checks)], row[1 + len(checks) :]
            for (column, _, should), value, bad in zip(checks, values, flagged):
                if bad and len(found) < limit:
                    found.append(f"{name}: {column} {_shown_value(value)} is not {should}")
        if len(found) >= limit:
            break
    return found


def unreadable_problem(path: str | Path) -> DatabaseProblem | None:
    """The one-line problem for a database holding values the planner cannot read, or None when
    it holds none (or cannot be opened to look: then the original failure stands)."""
    from planner.store.connection import Database

    try:
        db = Database.open(Path(path), create=False, read_only=True)
    except PlannerError:
        return None
    try:
        with db.read() as conn:
            found = unreadable_values(conn)
    except (PlannerError, sqlite3.Error):
        return None
    finally:
        db.close()
    if not found:
        return None
    more = " and more" if len(found) > _SHOWN else ""
    return DatabaseProblem(
        f"database {path} holds values the planner cannot read ({'; '.join(found[:_SHOWN])}{more}), written by "
        f"another tool — correct them with the sqlite3 shell, or put a backup back with `planner restore FILE`"
    )
