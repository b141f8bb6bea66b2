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
        return full_disk(path)
    if primary in (_CANTOPEN, _PERM) or "unable to open" in text:
        return DatabaseProblem(
            f"cannot open database {path}: check that its folder exists and that you may read and write "
            f"both the file and the folder"
        )
    if primary == _IOERR:
        if disk_is_full(path):
            return full_disk(path)
        return DatabaseProblem(f"input/output error on database {path} ({_one_line(exc)}); check the disk, then try again")
    return DatabaseProblem(f"database {path}: {_one_line(exc)}")


def full_disk(path: Path) -> DatabaseProblem:
    return DatabaseProblem(f"the disk holding {path} is full, so nothing was changed; free some space and try again")


def full_disk_read_only(path: Path) -> DatabaseProblem:
    return DatabaseProblem(
        f"the disk holding {path} is full, so nothing can be saved: free some space and try again; meanwhile your "
        f"data can be read, exported (`planner export -o FILE`) and backed up (`planner backup -o FILE`) to another disk"
    )


def disk_is_full(path: Path) -> bool:
    """Whether the filesystem holding `path` has (next to) no room left: SQLite reports a full disk
    as a mere I/O error when it cannot grow the -shm file it maps."""
    try:
        st = os.statvfs(path.parent)
    except (OSError, ValueError):
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


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
    from planner.files import os_error_text

    try:
        _make_dirs(path.parent)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseProblem(
            f"cannot create database {path}: {os_error_text(exc)}; choose another place with --db or PLANNER_DB"
        ) from None


def _not_a_file(path: Path, mode: int) -> DatabaseProblem:
    if stat.S_ISDIR(mode):
        return DatabaseProblem(f"{path} is a folder, not a database file; give a file path with --db")
    from planner.files import kind_of

    return DatabaseProblem(
        f"{path} is {kind_of(mode)}, not a database file, so it was not opened; give the path of a regular file with --db"
    )


def file_status(path: Path) -> os.stat_result | None:
    """`os.stat(path)`, None when nothing is there; a path the system refuses (too long, a link
    loop, a file used as a folder) is a one-line DatabaseProblem."""
    from planner.files import os_error_text

    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DatabaseProblem(f"cannot open database {path}: {os_error_text(exc)}") from None


#: Database files this process has open through SQLite, by (device, inode) → how many connections.
#: Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's too;
#: SQLite defers its own closes while another of its connections has the file open, and so do we:
#: a descriptor the planner opened itself on such a file is kept until the last one closes.
_OPEN_FILES: dict[tuple[int, int], int] = {}
_DEFERRED_CLOSE: dict[tuple[int, int], list[int]] = {}
_FILES_LOCK = threading.Lock()


def _close_unless_in_use(fd: int) -> None:
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return
    key = (st.st_dev, st.st_ino)
    with _FILES_LOCK:
        if _OPEN_FILES.get(key):
            _DEFERRED_CLOSE.setdefault(key, []).append(fd)
            return
    os.close(fd)


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def read_header(path: Path) -> bytes:
    """The first 100 bytes (the SQLite header), read without SQLite so nothing can be written.
    Anything but a regular file (a folder, FIFO, socket, device) is refused before it is read:
    opened non-blocking and checked, so a FIFO never hangs the planner."""
    from planner.files import os_error_text

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except IsADirectoryError:
        raise _not_a_file(path, stat.S_IFDIR) from None
    except OSError as exc:
        raise DatabaseProblem(f"cannot read database {path}: {os_error_text(exc)}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_a_file(path, mode)
        return os.pread(fd, 100, 0)
    except OSError as exc:
        raise DatabaseProblem(f"cannot read database {path}: {os_error_text(exc)}") from None
    finally:
        _close_unless_in_use(fd)


def header_user_version(header: bytes) -> int:
    return int.from_bytes(header[60:64], "big")


def header_anchor(header: bytes) -> int:
    """The application id at offset 68 of the header: the planner's tie between a file and its
    write-ahead log (`guard`)."""
    from planner.store.guard import ANCHOR_OFFSET

    return int.from_bytes(header[ANCHOR_OFFSET : ANCHOR_OFFSET + 4], "big", signed=True) if len(header) >= 100 else 0


class Database:
    """One SQLite connection shared by a repository, safe to use from a Textual thread worker
    (a lock serialises calls; `check_same_thread=False` lets any thread use the connection)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        read_only: bool,
        timeout: float,
        full: bool = False,
        disk_anchor: int = 0,
    ) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only
        self.timeout = timeout
        #: Opened read-only because the disk is full: reads work, writes say why they cannot.
        self.full = full
        self.lock = threading.RLock()
        self._writing = False  # a write transaction is open (`write`): a nested write or read joins it
        self._stamped = False  # whether this connection has advanced the file's anchor (guard.stamp)
        #: The anchor in the main file's header as read before connecting. Never read the file
        #: again while the connection is open: closing any descriptor of it drops the POSIX locks
        #: SQLite holds on it, and another process could then take itself for the last one open.
        self.disk_anchor = disk_anchor
        self._file = _file_key(path)
        if self._file is not None:
            with _FILES_LOCK:
                _OPEN_FILES[self._file] = _OPEN_FILES.get(self._file, 0) + 1

    @property
    def notice(self) -> str | None:
        """A one-line note for the user about how the file was opened (None when as usual)."""
        return str(full_disk_read_only(self.path)) if self.full else None

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(
        cls, path: Path, *, create: bool = True, timeout: float = BUSY_TIMEOUT, read_only: bool = False
    ) -> Database:
        """Open `path`, creating an empty owner-only file when it is missing and `create` is true
        (`read_only`: never write, as for a backup being restored).

        Refuses (DatabaseProblem, file untouched): a folder, FIFO, socket or device, as the file or as
        its -wal, -shm or -journal (or a link there, `guard.check_companions`); a file that is
        not SQLite; a write-ahead log that belongs to another file (`guard.check_wal`); a schema
        holding anything the planner did not put there (`guard.check_schema`); a file whose first
        page or a table's first page cannot be read. On a full disk (SQLite cannot even map its
        -shm file) the file is opened read-only so the user can still read and save their data.
        Schema versions are `migrations.prepare`'s job.
        """
        from planner.store import guard

        path = Path(path)
        status = file_status(path)
        if status is None:
            if not create or read_only:
                raise DatabaseProblem(f"no database at {path}; run a command that creates it, or check --db / PLANNER_DB")
            create_file(path)
        elif not stat.S_ISREG(status.st_mode):
            raise _not_a_file(path, status.st_mode)
        header = read_header(path)
        if header and (len(header) < 100 or not header.startswith(SQLITE_MAGIC)):
            raise not_a_database(path)
        guard.check_companions(path)
        guard.check_wal(path, header)

        writable = not read_only and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)
        if not writable and not header:
            raise not_a_database(path) if read_only else readonly_problem(path)
        full = False
        try:
            conn = cls._connect(path, read_only=not writable, timeout=timeout)
            try:
                cls._check(conn, path)
            except BaseException:
                conn.close()
                raise
        except sqlite3.Error as exc:
            primary = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
            if not writable or primary not in (_IOERR, _FULL):
                raise problem(exc, path, timeout=timeout) from None
            # A full (or failing) disk: SQLite cannot create or grow the -shm it maps to read a
            # WAL database. Read-only still works, so the user can list, export and back up.
            writable, full = False, disk_is_full(path)
            try:
                conn = cls._connect(path, read_only=True, timeout=timeout)
                try:
                    cls._check(conn, path)
                except BaseException:
                    conn.close()
                    raise
            except sqlite3.Error:
                raise problem(exc, path, timeout=timeout) from None
        return cls(conn, path, read_only=not writable, timeout=timeout, full=full, disk_anchor=header_anchor(header))

    @staticmethod
    def _check(conn: sqlite3.Connection, path: Path) -> None:
        """Reading the schema reads page 1, and one row of each planner table its root page: a
        damaged file fails here, at once and before any write, not later in the middle of a
        screen. (A full integrity check would cost time proportional to the file.) The schema is
        compared with the planner's own before any table is read."""
        from planner.store import guard
        from planner.store.migrations import SCHEMA_VERSION

        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if 1 <= version <= SCHEMA_VERSION:
            guard.check_schema(conn, path, version)
            guard.probe_tables(conn, version)
        conn.execute("PRAGMA foreign_keys = ON")

    @staticmethod
    def _connect(path: Path, *, read_only: bool, timeout: float) -> sqlite3.Connection:
        def connect(target: str, uri: bool) -> sqlite3.Connection:
            conn = sqlite3.connect(
                target, timeout=timeout, isolation_level=None, check_same_thread=False, uri=uri
            )
            try:
                # What a file's schema holds never calls functions with side effects (SPEC §6).
                conn.execute("PRAGMA trusted_schema = OFF")
                conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            except BaseException:
                conn.close()
                raise
            return conn

        if not read_only:
            return connect(str(path), False)
        # Read-only. When the whole database is in the main file (no pending write-ahead log),
        # open it immutable: SQLite then creates no -shm file beside it, so the folder is left
        # exactly as it was. Otherwise read through the log (mode=ro), falling back to immutable
        # only when there is nothing in the log it would hide.
        base = "file:" + quote(str(path.absolute()), safe="/")
        wal = path.with_name(path.name + "-wal")
        pending = wal.exists() and wal.stat().st_size > 0
        last: sqlite3.Error | None = None
        for suffix in ("?mode=ro", "?mode=ro&immutable=1")[0 if pending else 1 :]:
            try:
                conn = connect(base + suffix, True)
                try:
                    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                except BaseException:
                    conn.close()
                    raise
                return conn
            except sqlite3.Error as exc:
                last = exc
                if pending and _has_frames(path):
                    break  # immutable would show the file without its latest changes
        assert last is not None
        raise last

    # -- use -------------------------------------------------------------------------------------
    def refuse_write(self) -> DatabaseProblem:
        return full_disk_read_only(self.path) if self.full else readonly_problem(self.path)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: `BEGIN IMMEDIATE` takes the write lock up front (waiting up to the busy
        timeout) so a read-then-write never races another process; commit on success, roll back on
        any error. The connection's first write also advances the file's anchor (`guard.stamp`),
        in the same transaction. Inside a write of this connection (the same thread holds the
        lock) it joins that transaction: several changes commit together or not at all."""
        if self.read_only:
            raise self.refuse_write()
        with self.lock:
            conn = self.conn
            if self._writing:
                yield conn  # the outer write commits, or rolls back on an error raised here
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise problem(exc, self.path, timeout=self.timeout) from None
            self._writing = True
            try:
                if not self._stamped:
                    from planner.store.guard import stamp

                    stamp(conn)
                yield conn
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise problem(exc, self.path, timeout=self.timeout) from exc
                raise
            finally:
                self._writing = False
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise problem(exc, self.path, timeout=self.timeout) from exc
            self._stamped = True

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several queries see one consistent state even while another
        process writes (WAL readers never block and are never blocked). Inside a write of this
        connection it reads that transaction, with its changes so far."""
        with self.lock:
            conn = self.conn
            if self._writing:
                yield conn
                return
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

    def checkpoint(self) -> bool:
        """Copy the whole write-ahead log into the main file and empty it; False when another
        connection's reads or writes kept part of it (nothing is lost then: the log stays)."""
        if self.read_only:
            return False
        with self.lock:
            try:
                busy, log, done = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error:
                return False
            return not busy and (log == -1 or log == done)

    def backup_to(self, target: Path) -> Path:
        """A consistent copy of the database at `target`, through the one writer (`planner.files`:
        a new owner-only temporary file in the target's folder, never through a link, renamed over
        the target when whole). The copy is a plain single file (no -wal/-shm companions) with an
        anchor of its own, so a log left beside the live file is never taken for its log.
        BadInput for a target the user must change; DatabaseProblem when it cannot be written."""
        from planner import files
        from planner.errors import PlannerError

        target = files.expand(target)
        try:
            _make_dirs(target.parent)
        except OSError as exc:
            raise DatabaseProblem(f"cannot write backup {target}: {files.os_error_text(exc)}") from None
        try:
            with files.replacing(target, database=self.path, what="backup") as temp:
                self.copy_into(temp)
        except (BadInput, DatabaseProblem):
            raise
        except PlannerError as error:
            raise DatabaseProblem(str(error)) from None
        return target

    def copy_into(self, temp) -> None:
        """Write a consistent copy of the database into `temp` (a `planner.files.TempFile`). Where
        nobody else can rename entries in its folder, SQLite's backup API writes it by name, page
        by page; elsewhere the database is copied in memory and written through our own file
        descriptor, so no other program ever opens that name."""
        from planner.store.guard import ANCHOR_OFFSET, new_anchor

        with self.lock:
            try:
                if temp.by_name_is_safe:
                    dest = sqlite3.connect(str(temp.path), isolation_level=None)
                    try:
                        dest.execute("PRAGMA journal_mode = OFF")  # no journal beside the copy
                        self.conn.backup(dest)
                    finally:
                        dest.close()
                else:
                    temp.write(self.conn.serialize())
            except sqlite3.Error as exc:
                raise problem(exc, temp.target, timeout=self.timeout) from None
        # A plain single file: the header's read/write versions say rollback journal (1), not WAL
        # (2), exactly as `PRAGMA journal_mode = DELETE` leaves them; and an anchor of its own.
        temp.pwrite(b"\x01\x01", 18)
        temp.pwrite(new_anchor().to_bytes(4, "big", signed=True), ANCHOR_OFFSET)

    def close(self) -> None:
        with self.lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass
            key, self._file = self._file, None
        if key is not None:
            with _FILES_LOCK:
                left = _OPEN_FILES.get(key, 1) - 1
                if left > 0:
                    _OPEN_FILES[key] = left
                    return
                _OPEN_FILES.pop(key, None)
                deferred = _DEFERRED_CLOSE.pop(key, [])
            for fd in deferred:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _has_frames(path: Path) -> bool:
    from planner.store.guard import NotALog, read_wal

    try:
        return read_wal(path.with_name(path.name + "-wal")) is not None
    except (NotALog, OSError):
        return True


#: What SQLite may keep beside a database file: its write-ahead log, shared memory and rollback journal.
DATABASE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def is_database_file(target: Path, database: Path) -> bool:
    """Whether writing `target` would write over `database` or one of its companions (see
    `planner.files.is_database_file`, the one definition)."""
    from planner.files import is_database_file as check

    return check(target, database)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
