"""The store: where the planner keeps its data (SPEC §4 database resolution, §6 data safety).

`open_repository(spec)` resolves the database (`--db` > `PLANNER_DB` > the user data directory),
opens it with the standard-library `sqlite3`, creates or upgrades the schema, and returns a
`Repository` that speaks in domain objects. Importing this package is cheap: SQLModel is only
imported to create or migrate a database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from planner.errors import DatabaseProblem
    from planner.store.connection import Database
    from planner.store.repository import DealState, Repository

__all__ = ["open_repository", "DealState", "Repository"]


def open_repository(spec: str | None = None, *, create: bool = True) -> Repository:
    """Resolve `spec` (a `--db` value, or None for PLANNER_DB / the default), open the database,
    create it when missing (`create`), migrate an older schema after backing it up, and return the
    repository. Raise BadInput for an unusable spec and DatabaseProblem for a file we refuse."""
    import stat

    from planner.errors import DatabaseProblem
    from planner.store.connection import SQLITE_MAGIC, Database, file_status, header_user_version, read_header
    from planner.store.location import resolve
    from planner.store.migrations import SCHEMA_VERSION, prepare, raise_newer
    from planner.store.repository import Repository

    path = resolve(spec)
    status = file_status(path)
    if status is not None and stat.S_ISREG(status.st_mode):
        # Refuse a newer schema before SQLite even opens the file: it stays byte for byte as it was.
        header = read_header(path)
        if header.startswith(SQLITE_MAGIC) and len(header) == 100 and header_user_version(header) > SCHEMA_VERSION:
            raise_newer(path, header_user_version(header))
    db = Database.open(path, create=create)
    try:
        prepare(db)
    except DatabaseProblem as problem:
        db.close()
        db = _read_only_on_a_full_disk(path, db, problem)
    except BaseException:
        db.close()
        raise
    return Repository(db)


def _read_only_on_a_full_disk(path: Path, failed: Database, problem: DatabaseProblem) -> Database:
    """The disk is full and the file needed a write before use (switching a copied backup to
    write-ahead logging, its first anchor, measuring moves another tool wrote, the summaries): open
    it read-only instead, so the user can still read, export and back up their data (SPEC §6).
    Whatever else the file is refused for is refused again by the second `prepare`. Re-raises the
    first problem when the disk is not full or the file is new and empty."""
    from planner.store.connection import Database, disk_is_full, read_header
    from planner.store.migrations import prepare

    if failed.read_only or not disk_is_full(path) or not read_header(path):
        raise problem
    db = Database.open(path, create=False, read_only=True)
    db.full = True
    try:
        prepare(db)
    except BaseException:
        db.close()
        raise
    return db


def __getattr__(name: str):  # lazy re-exports keep `import planner.store` light
    if name in ("Repository", "DealState"):
        from planner.store import repository

        return getattr(repository, name)
    raise AttributeError(name)
