"""The one writer for every file the planner writes for the user (SPEC §6): exports, calendars,
backups. A whole file or nothing, never over the database or the files SQLite keeps beside it.

Everything that writes a file outside the database goes through `write_file` (the iCal export of
the Week screen and of `planner plan --ics`, `planner export -o`, backups); nothing else opens a
file for writing.
"""

from __future__ import annotations

import os
from pathlib import Path

from planner.errors import BadInput, PlannerError


def refuse_database_target(target: str | Path, database: Path | None) -> None:
    """BadInput when `target` is the database or one of its own files: an export or calendar
    written there would replace the user's data (SPEC §6)."""
    if database is None:
        return
    from planner.store.connection import is_database_file

    if is_database_file(Path(target), database):
        raise BadInput(f"cannot write {target}: that is the database itself or one of its own files; choose another name")


def write_file(target: str | Path, data: bytes, *, database: Path | None) -> Path:
    """Write `data` to `target` (`~` expanded) as a whole file or nothing: a temporary file beside
    it, then renamed over it. Never over `database` or its -wal/-shm/-journal files. Returns the
    path written; BadInput for a target the user must change, PlannerError for anything else."""
    import tempfile

    shown = str(target)
    path = Path(target).expanduser()
    if path.is_dir():
        raise BadInput(f"{shown} is a directory; give a file name")
    refuse_database_target(path, database)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    except FileNotFoundError:
        raise BadInput(f"cannot write {shown}: the folder {path.parent} does not exist") from None
    except OSError as error:
        raise PlannerError(f"cannot write {shown}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise PlannerError(f"cannot write {shown}: {error.strerror or error}") from None
    return path
