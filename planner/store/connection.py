"""The SQLite connection (SPEC §6): standard-library `sqlite3`, WAL, foreign keys, a busy timeout so
two running planners wait for each other instead of failing, one `BEGIN IMMEDIATE` transaction per
write, files readable by their owner only, and every SQLite failure turned into a one-line
`DatabaseProblem` that names the file and says what to do.

Nothing here writes to a file before it has been checked: the header is read with plain file I/O,
and a file we refuse (not a database, damaged, newer schema) is left byte for byte as it was.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from planner.errors import BadInput, DatabaseProblem

#: Seconds a writer waits for another process's transaction before giving up (SPEC §6: two
#: instances on one database). Long enough for any single user action of the other instance.
BUSY_TIMEOUT = 5.0

SQLITE_MAGIC = b"SQLite format 3\x00"

# Primary result codes (https://sqlite.org/rescode.html).
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 3, 5, 6, 8, 10, 11, 13, 14, 26


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def readonly_problem(path: Path) -> DatabaseProblem:
    return DatabaseProblem(
        f"database {path} is read-only, so nothing was changed; make the file and its folder writable "
        f"(chmod u+w) or choose another file with --db"
    )


def problem(exc: BaseException, path: Path, *, timeout: float = BUSY_TIMEOUT) -> DatabaseProblem:
    """The one-line message for an SQLite error on `path` (SPEC §6: a clear message, no damage)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = _one_line(exc).lower()
    if primary == _NOTADB or "not a database" in text:
        return not_a_database(path)
    if primary == _CORRUPT or "malformed" in text:
        return damaged(path)
    if primary == _READONLY or "readonly" in text or "read-only" in text:
        return readonly_problem(path)
    if primary in (_BUSY, _LOCKED) or "locked" in text:
        return DatabaseProblem(
            f"database {path} stayed locked by another program for more than {timeout:g} s, so nothing was "
            f"changed; try again (is another planner importing or backing up?)"
        )
    if primary == _FULL or "disk is full" in text or "database or disk is full" in text:
        return DatabaseProblem(f"the disk holding {path} is full, so nothing was changed; free some space and try again")
    if primary in (_CANTOPEN, _PERM) or "unable to open" in text:
        return DatabaseProblem(
            f"cannot open database {path}: check that its folder exists and that you may read and write "
            f"both the file and the folder"
        )
    if primary == _IOERR:
        return DatabaseProblem(f"input/output error on database {path} ({_one_line(exc)}); check the disk, then try again")
    return DatabaseProblem(f"database {path}: {_one_line(exc)}")


def not_a_database(path: Path) -> DatabaseProblem:
    return DatabaseProblem(
        f"{path} is not a planner database (it is not an SQLite file); it was left untouched — "
        f"choose another file with --db or PLANNER_DB"
    )


def damaged(path: Path) -> DatabaseProblem:
    return DatabaseProblem(
        f"database {path} is damaged and was left untouched; restore a backup (made by `planner backup` "
        f"or before an upgrade) or move the file aside to start afresh"
    )


def newer_schema(path: Path, version: int, known: int) -> DatabaseProblem:
    return DatabaseProblem(
        f"database {path} was made by a newer version of planner (schema {version}; this one knows up to "
        f"{known}); it was left untouched — upgrade planner to use it"
    )


def owner_only(path: Path) -> None:
    """Drop group/other permission bits (SPEC §6: readable by its owner only)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
    except OSError:
        pass  # not ours to change (another owner, or gone): leave it


def _make_dirs(directory: Path) -> None:
    """Create missing folders owner-only (0700); folders that exist are left as they are."""
    missing: list[Path] = []
    d = directory
    while not d.exists():
        missing.append(d)
        if d.parent == d:
            break
        d = d.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)


def create_file(path: Path) -> None:
    """Create an empty file 0600 (and its folders 0700) so the database is never world-readable,
    not even for a moment."""
    try:
        _make_dirs(path.parent)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseProblem(
            f"cannot create database {path}: {exc.strerror or exc}; choose another place with --db or PLANNER_DB"
        ) from None


def read_header(path: Path) -> bytes:
    """The first 100 bytes (the SQLite header), read without SQLite so nothing can be written."""
    try:
        with open(path, "rb") as f:
            return f.read(100)
    except IsADirectoryError:
        raise DatabaseProblem(f"{path} is a folder, not a database file; give a file path with --db") from None
    except OSError as exc:
        raise DatabaseProblem(f"cannot read database {path}: {exc.strerror or exc}") from None


def header_user_version(header: bytes) -> int:
    return int.from_bytes(header[60:64], "big")


class Database:
    """One SQLite connection shared by a repository, safe to use from a Textual thread worker
    (a lock serialises calls; `check_same_thread=False` lets any thread use the connection)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, read_only: bool, timeout: float) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only
        self.timeout = timeout
        self.lock = threading.RLock()

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, create: bool = True, timeout: float = BUSY_TIMEOUT) -> Database:
        """Open `path`, creating an empty owner-only file when it is missing and `create` is true.

        Refuses (DatabaseProblem, file untouched) a folder, a file that is not SQLite, and a
        file whose first page or a table's first page cannot be read. Schema checks are
        `migrations.prepare`'s job.
        """
        path = Path(path)
        if not path.exists():
            if not create:
                raise DatabaseProblem(f"no database at {path}; run a command that creates it, or check --db / PLANNER_DB")
            create_file(path)
        header = read_header(path)
        if header and (len(header) < 100 or not header.startswith(SQLITE_MAGIC)):
            raise not_a_database(path)

        writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)
        if not writable and not header:
            raise readonly_problem(path)
        conn = cls._connect(path, read_only=not writable, timeout=timeout)
        db = cls(conn, path, read_only=not writable, timeout=timeout)
        try:
            # Reading the schema reads page 1, and one row of each table reads its root page: a
            # damaged file fails here, at once and before any write, not later in the middle of
            # a screen. (A full integrity check would cost time proportional to the file.)
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            for (name,) in tables:
                quoted = '"' + name.replace('"', '""') + '"'
                conn.execute(f"SELECT * FROM {quoted} LIMIT 1").fetchone()  # * : the table, not an index
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            conn.close()
            raise problem(exc, path, timeout=timeout) from None
        return db

    @staticmethod
    def _connect(path: Path, *, read_only: bool, timeout: float) -> sqlite3.Connection:
        def connect(target: str, uri: bool) -> sqlite3.Connection:
            conn = sqlite3.connect(
                target, timeout=timeout, isolation_level=None, check_same_thread=False, uri=uri
            )
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            return conn

        if not read_only:
            try:
                return connect(str(path), False)
            except sqlite3.Error as exc:
                raise problem(exc, path, timeout=timeout) from None
        # A read-only file or folder. When the whole database is in the main file (no pending
        # write-ahead log), open it immutable: SQLite then creates no -shm file beside it, so the
        # folder is left exactly as it was. Otherwise read through the log (mode=ro), falling back
        # to immutable when the log's index cannot be created.
        base = "file:" + quote(str(path.absolute()), safe="/")
        wal = path.with_name(path.name + "-wal")
        pending = wal.exists() and wal.stat().st_size > 0
        last: sqlite3.Error | None = None
        for suffix in ("?mode=ro", "?mode=ro&immutable=1")[0 if pending else 1 :]:
            try:
                conn = connect(base + suffix, True)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.Error as exc:
                last = exc
        assert last is not None
        raise problem(last, path, timeout=timeout) from None

    # -- use -------------------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: `BEGIN IMMEDIATE` takes the write lock up front (waiting up to the busy
        timeout) so a read-then-write never races another process; commit on success, roll back on
        any error."""
        if self.read_only:
            raise readonly_problem(self.path)
        with self.lock:
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise problem(exc, self.path, timeout=self.timeout) from None
            try:
                yield conn
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise problem(exc, self.path, timeout=self.timeout) from exc
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise problem(exc, self.path, timeout=self.timeout) from exc

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several queries see one consistent state even while another
        process writes (WAL readers never block and are never blocked)."""
        with self.lock:
            conn = self.conn
            try:
                conn.execute("BEGIN")
            except sqlite3.Error as exc:
                raise problem(exc, self.path, timeout=self.timeout) from None
            try:
                yield conn
            except sqlite3.Error as exc:
                self._rollback()
                raise problem(exc, self.path, timeout=self.timeout) from exc
            except BaseException:
                self._rollback()
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise problem(exc, self.path, timeout=self.timeout) from exc

    def _rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the transaction is gone already (SQLite rolls back on some errors itself)

    def pragma(self, name: str) -> object:
        with self.lock:
            try:
                row = self.conn.execute(f"PRAGMA {name}").fetchone()
            except sqlite3.Error as exc:
                raise problem(exc, self.path, timeout=self.timeout) from None
            return row[0] if row else None

    def backup_to(self, target: Path) -> None:
        """A consistent copy through SQLite's backup API, written to a temporary owner-only file
        next to `target` and renamed over it, so a failed backup never leaves half a file."""
        target = Path(target)
        if is_database_file(target, self.path):
            # SQLite owns these names: a copy there would overwrite the live database, or be
            # deleted (or replayed as a log) the next time the database closes.
            raise BadInput(
                f"cannot back up onto {target}: that is the database itself or one of its own files; choose another name"
            )
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            _make_dirs(target.parent)
            fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            os.close(fd)
            os.chmod(tmp, 0o600)
        except OSError as exc:
            raise DatabaseProblem(f"cannot write backup {target}: {exc.strerror or exc}") from None
        try:
            with self.lock:
                dest = sqlite3.connect(str(tmp), isolation_level=None)
                try:
                    self.conn.backup(dest)
                    # The copy is a plain single file: no -wal/-shm companions to carry around.
                    dest.execute("PRAGMA journal_mode = DELETE")
                finally:
                    dest.close()
            os.replace(tmp, target)
            os.chmod(target, 0o600)
        except sqlite3.Error as exc:
            _unlink(tmp)
            raise problem(exc, target, timeout=self.timeout) from None
        except OSError as exc:
            _unlink(tmp)
            raise DatabaseProblem(f"cannot write backup {target}: {exc.strerror or exc}") from None

    def close(self) -> None:
        with self.lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass


#: What SQLite may keep beside a database file: its write-ahead log, shared memory and rollback journal.
DATABASE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def is_database_file(target: Path, database: Path) -> bool:
    """Whether writing `target` would write over `database` itself or one of the files SQLite keeps
    beside it (SPEC §6: nothing may replace the user's data). `~`, `..` and symlinks are resolved."""
    base = str(Path(database).expanduser().resolve())
    return Path(target).expanduser().resolve() in {Path(base + suffix) for suffix in DATABASE_FILE_SUFFIXES}


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
