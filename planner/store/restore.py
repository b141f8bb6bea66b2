"""`planner restore FILE` at the store level (SPEC §4, §6): put a backup in place of the database.

The backup is checked first (a regular file, an SQLite planner database of a schema this planner
knows, nothing planted in its schema, `PRAGMA integrity_check` and `foreign_key_check` clean), and
nothing is changed when it fails. Then:
1. the current database is copied aside, next to it (`<name>.before-restore-<UTC time>.bak`,
   owner-only): through SQLite when it opens, so the copy holds what its write-ahead log held too;
   byte for byte when it does not (damaged, or holding a foreign log or planted SQL — the reasons
   one restores);
2. the restore is refused while another program has the database open (its log and shared memory
   are in use), so nobody writes into the file being replaced;
3. the backup is copied, page by page through SQLite's backup API, into a new temporary file beside
   the database (`planner.files.replacing`), with an anchor of its own;
4. the old file's `-wal`, `-shm` and `-journal` are removed — a log left there would be replayed
   over the restored file (the reason `cp backup.db planner.db` loses data) — and the copy is
   renamed over the database in one step;
5. the restored file is opened as usual (write-ahead logging switched on, upgraded if it is older).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from planner.errors import BadInput, DatabaseProblem, PlannerError


@dataclass(frozen=True)
class Restored:
    """What `restore_database` did: the database it replaced, the copy of it kept aside (None when
    there was no database yet), the number of deals now in it and the schema version of the backup."""

    database: Path
    kept: Path | None
    deals: int
    version: int


def kept_name(path: Path, now: datetime | None = None) -> Path:
    """`planner.db` → `planner.db.before-restore-20261123T110501Z.bak`, next to the database."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.before-restore-{stamp}.bak")
    n = 1
    while os.path.lexists(candidate):  # anything there, a dangling link planted in a shared folder too
        n += 1
        candidate = path.with_name(f"{path.name}.before-restore-{stamp}-{n}.bak")
    return candidate


def check_backup(source: Path) -> int:
    """Open `source` read-only and check it is a whole planner database; return its schema
    version. DatabaseProblem (nothing changed anywhere) when it is not."""
    import sqlite3

    from planner.store.connection import Database, newer_schema, problem
    from planner.store.migrations import SCHEMA_VERSION

    try:
        db = Database.open(source, create=False, read_only=True)
    except DatabaseProblem as error:
        if "is not a planner database" in str(error):
            raise DatabaseProblem(f"{source} is not a planner backup (it is not an SQLite file); nothing was changed") from None
        raise DatabaseProblem(f"cannot restore from {source}: {error}") from None
    try:
        version = int(db.pragma("user_version") or 0)
        if version > SCHEMA_VERSION:
            raise newer_schema(source, version, SCHEMA_VERSION)
        if version == 0:
            raise DatabaseProblem(f"{source} is not a planner backup (it holds no planner database); nothing was changed")
        with db.lock:
            try:
                integrity = [row[0] for row in db.conn.execute("PRAGMA integrity_check(20)")]
                orphans = db.conn.execute("PRAGMA foreign_key_check").fetchmany(1)
            except sqlite3.Error as exc:
                raise problem(exc, source) from None
        if integrity != ["ok"]:
            raise DatabaseProblem(
                f"backup {source} is damaged ({integrity[0]}); nothing was changed — choose another backup"
            )
        if orphans:
            raise DatabaseProblem(
                f"backup {source} has history that points at missing deals (table {orphans[0][0]}); nothing was "
                f"changed — choose another backup"
            )
        return version
    finally:
        db.close()


def _in_use_by_another_program(path: Path) -> bool:
    """Whether another process holds SQLite's locks on the database (its shared-memory file's
    "dead man switch" byte, held by every connection in WAL mode, or the file's shared-lock
    range): POSIX locks, tested without taking them for long. Call with our own connections closed."""
    import fcntl
    import struct

    def locked(file: Path, start: int, length: int) -> bool:
        try:
            fd = os.open(file, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return False
        try:
            probe = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
            answer = fcntl.fcntl(fd, fcntl.F_GETLK, probe)
            return struct.unpack("hhqqi", answer)[0] != fcntl.F_UNLCK
        except OSError:
            return False
        finally:
            os.close(fd)

    shm = path.with_name(path.name + "-shm")
    # sqlite3 os_unix.c: WAL_DMS lock at byte 128 of the -shm; SHARED_FIRST = PENDING_BYTE + 2.
    return locked(shm, 128, 1) or locked(path, 0x40000002, 510)


def _open_in_this_process(path: Path) -> bool:
    from planner.store.connection import _FILES_LOCK, _OPEN_FILES, _file_key

    key = _file_key(path)
    with _FILES_LOCK:
        return key is not None and bool(_OPEN_FILES.get(key))


def _keep_current(path: Path) -> Path:
    """Copy the current database aside (see the module docstring); return the copy's path."""
    from planner import files
    from planner.store.connection import Database

    kept = kept_name(path)
    try:
        db = Database.open(path, create=False, read_only=True)
    except DatabaseProblem:
        db = None
    if db is not None:
        try:
            return db.backup_to(kept)
        finally:
            db.close()
    # The file cannot be opened as a planner database: keep its bytes exactly, and its log too
    # (named so that SQLite never takes it for the copy's own log).
    with files.replacing(kept, database=path, what="copy of the current database") as temp:
        _copy_bytes(path, temp)
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and not wal.is_symlink():
        with files.replacing(kept.with_name(kept.name + ".wal"), database=path, what="copy of its log") as temp:
            _copy_bytes(wal, temp)
    return kept


def _copy_bytes(source: Path, temp) -> None:
    with open(source, "rb") as f:
        while chunk := f.read(1 << 20):
            temp.write(chunk)


def restore_database(source: str | Path, database: Path) -> Restored:
    """Replace `database` by the backup `source` (see the module docstring). BadInput for a source
    the user must change; DatabaseProblem (and nothing changed) for a backup that is not a whole
    planner database or a database in use; PlannerError when a file cannot be written."""
    from planner import files
    from planner.store import open_repository
    from planner.store.connection import Database, _make_dirs, file_status

    source = files.check_readable_file(source, what="backup")
    database = files.expand(database)
    if files.is_database_file(source, database):
        raise BadInput(f"{source} is the database itself (or one of its own files); give the path of a backup")
    version = check_backup(source)

    status = file_status(database)
    kept = None
    if status is not None:
        files.check_target(database, database=None)  # a regular file, not a link or a folder
        if _open_in_this_process(database):
            raise DatabaseProblem(
                f"database {database} is open in this program; close it before restoring (nothing was changed)"
            )
        if _in_use_by_another_program(database):
            raise DatabaseProblem(
                f"database {database} is open in another planner or program; close it and run `planner restore` "
                f"again (nothing was changed)"
            )
        kept = _keep_current(database)
    else:
        try:
            _make_dirs(database.parent)
        except OSError as exc:
            raise BadInput(f"cannot restore into {database}: {files.os_error_text(exc)}") from None

    backup = Database.open(source, create=False, read_only=True)
    try:
        with files.replacing(database, database=None, what="restored database") as temp:
            backup.copy_into(temp)
            if status is not None and _in_use_by_another_program(database):
                raise DatabaseProblem(
                    f"database {database} was opened by another program during the restore; nothing was changed "
                    f"(a copy of it is in {kept}) — close it and try again"
                )
            # The old file's companions go before the new file arrives: a log replayed over the
            # restored pages is the data loss this command exists to prevent.
            for suffix in ("-wal", "-shm", "-journal"):
                try:
                    os.unlink(database.with_name(database.name + suffix))
                except FileNotFoundError:
                    pass
                except OSError as error:
                    if error.errno != errno.ENOENT:
                        raise
    except (BadInput, DatabaseProblem):
        raise
    except PlannerError as error:
        raise DatabaseProblem(f"{error} (the database was not replaced)") from None
    finally:
        backup.close()

    with open_repository(str(database), create=False) as repo:
        deals = repo.count() if hasattr(repo, "count") else len(list(repo.export_rows()))
    return Restored(database, kept, deals, version)
