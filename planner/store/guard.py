"""A database file is data, never code (SPEC §6). What the store checks before SQLite is allowed to
run anything a file holds, and before the planner writes to it.

The schema. SQLite runs what a file's schema says: triggers fire on the planner's own writes, views
and generated columns compute when read, an index expression is evaluated on every insert. A file
written by another tool or person could carry any of them (a trigger that deletes deals or copies
titles out when the user logs time; a generated column that allocates gigabytes when read). So at
open the file's schema is compared, object by object, with the planner's own: the tables, indexes
and triggers that `migrations` creates for that schema version, with their SQL (normalised: case,
quoting and spacing aside). Anything else — an unknown trigger, view, virtual table, index or
table, or a planner table whose definition differs (a generated column, a CHECK, a default) — is
refused in one line naming it, before any statement touches a table. The expected objects are not
a hand-kept list: they are built by running the planner's own DDL (`V1_SCHEMA`, then each step of
`MIGRATIONS`, then `SUMMARY_DDL_GROUPS`) in an in-memory database, so a new migration or summary
object is expected as soon as it exists. `PRAGMA trusted_schema = OFF` is set
on every connection, and the open-time probe reads the planner's tables by their known columns.

The write-ahead log. SQLite replays a `-wal` file found beside a database, whatever database it
came from: nothing in the log names its database. A log left by a crash beside a file that was then
replaced (`cp backup.db planner.db`), or copied in from another database, is replayed over the
wrong pages: deals vanish, indexes break, silently. The planner ties each log to its file with the
4-byte application id in the database header (offset 68): every connection's first write
transaction advances it by one (`stamp`), and every copy the planner writes (backup, restore)
gets a new random one. The stamp's frame in a log therefore carries the id of the file the log was
written on, plus one. At open, before SQLite sees the log, `check_wal` reads the log's frames
(header, salts, commit frames) with plain file I/O and refuses a log whose first stamped id does
not follow the file's own (`WalProblem`), or whose page size differs from the file's.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path

from planner.errors import DatabaseProblem

# --- the schema ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\[[^\]]*\]|`[^`]*`|\w+|\S""")

#: Tables SQLite itself keeps (AUTOINCREMENT counters, ANALYZE statistics), accepted only in the
#: exact shape SQLite gives them.
_SQLITE_TABLES = {
    "sqlite_sequence": "CREATE TABLE sqlite_sequence(name,seq)",
    "sqlite_stat1": "CREATE TABLE sqlite_stat1(tbl,idx,stat)",
    "sqlite_stat4": "CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)",
}


def normalise(sql: str | None) -> str | None:
    """SQL text compared as tokens: keywords and names in lower case, quotes around names dropped,
    spacing ignored; string literals kept exactly."""
    if sql is None:
        return None
    out = []
    for token in _TOKEN.findall(sql):
        if token[0] in '"[`':
            token = token[1:-1]
        if token[0] != "'":
            token = token.lower()
        out.append(token)
    return " ".join(out)


@dataclass(frozen=True)
class Expected:
    """The objects of one schema version: required ones (every planner database of the version has
    them) and optional ones (the summaries `prepare` adds when it can), each (type, name) →
    (table, normalised SQL); and the columns of each table, in order."""

    required: dict[tuple[str, str], tuple[str, str | None]]
    optional: dict[tuple[str, str], tuple[str, str | None]]
    columns: dict[str, tuple[str, ...]]


def _objects(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {
        (kind, name): (table, normalise(sql))
        for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
    }


@functools.cache
def expected(version: int) -> Expected:
    """The planner's own objects for schema `version`, made by running its own DDL in memory."""
    from planner.store import migrations

    if not 1 <= version <= migrations.SCHEMA_VERSION:
        raise ValueError(f"no planner schema {version}")
    conn = sqlite3.connect(":memory:")
    try:
        for statement in migrations.V1_SCHEMA:
            conn.execute(statement)
        for step in range(1, version):
            migrations.MIGRATIONS[step](conn)
        required = _objects(conn)
        # The summaries `prepare` adds to a writable file (not a schema version), each wherever
        # this version's tables allow it: a file of an older version has them only if a planner
        # that knew them once opened it at that version.
        for group in migrations.SUMMARY_DDL_GROUPS:
            conn.execute("SAVEPOINT summary")
            try:
                for statement in group:
                    conn.execute(statement)
            except sqlite3.OperationalError:
                conn.execute("ROLLBACK TO summary")
            conn.execute("RELEASE summary")
        everything = _objects(conn)
        columns = {
            name: tuple(row[1] for row in conn.execute(f'PRAGMA table_info("{name}")'))
            for (kind, name) in everything
            if kind == "table" and not name.startswith("sqlite_")
        }
    finally:
        conn.close()
    optional = {key: value for key, value in everything.items() if key not in required}
    return Expected(required, optional, columns)


def _describe(conn: sqlite3.Connection, kind: str, name: str, sql: str | None) -> str:
    """How a refused object is named: `trigger wipe_deals`, `view v`, `generated column x in table t`."""
    if kind == "table" and sql and normalise(sql).startswith("create virtual table"):
        return f"virtual table {name}"
    if kind == "table":
        try:
            generated = [r[1] for r in conn.execute(f'PRAGMA table_xinfo("{name.replace(chr(34), chr(34) * 2)}")')
                         if r[6] in (2, 3)]
        except sqlite3.Error:
            generated = []
        if generated:
            return ", ".join(f"generated column {g} in table {name}" for g in generated)
    return f"{kind} {name}"


def schema_problems(conn: sqlite3.Connection, version: int) -> tuple[list[str], list[str]]:
    """(objects the planner did not make or made differently, planner objects that are missing)."""
    want = expected(version)
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
    foreign: list[str] = []
    seen: set[tuple[str, str]] = set()
    for kind, name, table, sql in rows:
        key = (kind, name)
        seen.add(key)
        known = want.required.get(key) or want.optional.get(key)
        if kind == "table" and name in _SQLITE_TABLES:
            if normalise(sql) == normalise(_SQLITE_TABLES[name]):
                continue
        elif known is not None and known == (table, normalise(sql)):
            continue
        changed = " (changed)" if known is not None else ""
        foreign.append(_describe(conn, kind, name, sql) + changed)
    missing = [f"{kind} {name}" for (kind, name) in want.required if (kind, name) not in seen]
    return foreign, missing


def _listed(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_schema(conn: sqlite3.Connection, path: Path, version: int) -> None:
    """Refuse (DatabaseProblem, nothing run, nothing written) a planner database of schema
    `version` whose schema holds anything the planner did not put there, or lacks its tables."""
    foreign, missing = schema_problems(conn, version)
    if foreign:
        raise DatabaseProblem(
            f"database {path} holds SQL the planner did not put there ({_listed(foreign)}); it was not run and "
            f"the file was left untouched — restore a backup with `planner restore FILE`, or remove them with "
            f"the sqlite3 shell if you added them yourself"
        )
    if missing:
        raise DatabaseProblem(
            f"database {path} lacks parts of a planner database ({_listed(missing)}); it was left untouched — "
            f"restore a backup with `planner restore FILE`"
        )


def probe_tables(conn: sqlite3.Connection, version: int) -> None:
    """Read one row of each planner table by its known columns: a damaged table's first page
    fails here, at open, rather than in the middle of a screen."""
    want = expected(version)
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, columns in want.columns.items():
        if columns and (("table", table) in want.required or table in present):
            names = ", ".join(f'"{c}"' for c in columns)
            conn.execute(f'SELECT {names} FROM "{table}" LIMIT 1').fetchone()


# --- the write-ahead log ------------------------------------------------------------------------

#: Where the header keeps the application id, used as the log's anchor (see the module docstring).
ANCHOR_OFFSET = 68
_ANCHOR_MAX = 2**31 - 1  # PRAGMA application_id is a signed 32-bit integer; stay positive
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_WAL_HEADER = 32
_FRAME_HEADER = 24


def next_anchor(current: int) -> int:
    """The anchor after a stamp: one more (wrapping within 1…2**31-1), or a random one for a file
    that never had one."""
    if current <= 0:
        return new_anchor()
    return current % _ANCHOR_MAX + 1


def new_anchor() -> int:
    """A random anchor for a new file or a copy: never equal to another file's, in practice."""
    import secrets

    return 1 + secrets.randbelow(_ANCHOR_MAX)


def anchor_step(before: int, after: int) -> int:
    """How many stamps lead from `before` to `after` (modulo the anchor range)."""
    return (after - before) % _ANCHOR_MAX


def stamp(conn: sqlite3.Connection) -> None:
    """Advance the file's anchor inside the caller's write transaction (its first one)."""
    current = conn.execute("PRAGMA application_id").fetchone()[0]
    conn.execute(f"PRAGMA application_id = {next_anchor(int(current))}")


@dataclass(frozen=True)
class WalFrames:
    page_size: int
    frames: int  # frames up to the last commit of the current generation
    anchors: tuple[int, ...]  # the anchor in each header-page frame among them, in order
    other_pages: bool  # whether any of them holds a page other than the header page


def read_wal(wal: Path, *, verify: bool = False) -> WalFrames | None:
    """The committed frames of a `-wal` file, read with plain file I/O: None when it holds none
    SQLite would replay (missing, empty, bad header). Frames of an earlier generation (other salts)
    end the log, as they do for SQLite. Frame checksums are checked only with `verify` (a Python
    loop over every page); without it a frame cut short by a crash may be counted."""
    import os
    import stat

    try:
        fd = os.open(wal, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotALog(wal)
    with os.fdopen(fd, "rb") as f:
        header = f.read(_WAL_HEADER)
        if len(header) < _WAL_HEADER:
            return None
        magic, _version, page_size, _seq, salt1, salt2, sum1, sum2 = struct.unpack(">8I", header)
        if magic not in _WAL_MAGIC or page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
            return None
        big_endian = magic & 1 == 1
        if (sum1, sum2) != _checksum(header[:24], big_endian, (0, 0)):
            return None
        sums = (sum1, sum2)
        anchors: list[int] = []
        committed_anchors: list[int] = []
        other = committed_other = False
        frames = committed = 0
        offset = _WAL_HEADER
        while True:
            f.seek(offset)
            frame = f.read(_FRAME_HEADER + page_size) if verify else f.read(_FRAME_HEADER)
            if len(frame) < (_FRAME_HEADER + page_size if verify else _FRAME_HEADER):
                break
            page, commit, fsalt1, fsalt2, fsum1, fsum2 = struct.unpack(">6I", frame[:_FRAME_HEADER])
            if (fsalt1, fsalt2) != (salt1, salt2) or page == 0:
                break
            if verify:
                sums = _checksum(frame[_FRAME_HEADER:], big_endian, _checksum(frame[:8], big_endian, sums))
                if sums != (fsum1, fsum2):
                    break
            if page == 1:
                if verify:
                    raw = frame[_FRAME_HEADER + ANCHOR_OFFSET : _FRAME_HEADER + ANCHOR_OFFSET + 4]
                else:
                    f.seek(offset + _FRAME_HEADER + ANCHOR_OFFSET)
                    raw = f.read(4)
                if len(raw) < 4:
                    break
                anchors.append(int.from_bytes(raw, "big", signed=True))
            else:
                other = True
            frames += 1
            if commit:
                committed, committed_anchors, committed_other = frames, list(anchors), other
            offset += _FRAME_HEADER + page_size
    if not committed:
        return None
    return WalFrames(page_size, committed, tuple(committed_anchors), committed_other)


class NotALog(Exception):
    """A `-wal` that is not a regular file (a FIFO, a folder, a device): never SQLite's own."""


def _checksum(data: bytes, big_endian: bool, seed: tuple[int, int]) -> tuple[int, int]:
    """SQLite's WAL checksum (https://sqlite.org/fileformat2.html#walformat), continued from `seed`."""
    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    s1, s2 = seed
    for i in range(0, len(words), 2):
        s1 = (s1 + words[i] + s2) & 0xFFFFFFFF
        s2 = (s2 + words[i + 1] + s1) & 0xFFFFFFFF
    return s1, s2


#: The files SQLite keeps beside a database: its write-ahead log, the log's index, a rollback journal.
COMPANIONS = ("-wal", "-shm", "-journal")


def check_companions(path: Path) -> None:
    """Refuse (DatabaseProblem, before SQLite opens anything) a `-wal`, `-shm` or `-journal` beside
    `path` that is anything but a regular file: SQLite opens them by name, so a FIFO there hangs it
    (the journal is opened for reading at every open), a device or folder makes it fail with a
    misleading I/O error, and a symbolic link would have it write the database's pages wherever the
    link points. They sit beside the file SQLite opens, a link to the database being resolved first."""
    import os
    import stat

    from planner.files import kind_of

    real = Path(os.path.realpath(path))
    for suffix in COMPANIONS:
        companion = real.with_name(real.name + suffix)
        try:
            mode = os.lstat(companion).st_mode
        except OSError:
            continue  # missing (the usual case); a path the system refuses fails below, in SQLite's open
        if not stat.S_ISREG(mode):
            raise DatabaseProblem(
                f"{companion} is {kind_of(mode)}, not a regular file, where SQLite keeps a file of its own beside the "
                f"database, so {path} was not opened and nothing was changed; remove it (rm {companion}) and try again"
            )


def foreign_wal(path: Path) -> DatabaseProblem:
    return DatabaseProblem(
        f"the write-ahead log {path}-wal does not belong to database {path} (the database was replaced or "
        f"copied while a log was pending, or the log came from another file), so it was not replayed and "
        f"nothing was changed — to keep the database as its main file holds it, move {path.name}-wal aside; "
        f"to go back to a backup, use `planner restore FILE`"
    )


def check_wal(path: Path, header: bytes) -> None:
    """Refuse (DatabaseProblem, before SQLite opens anything) a `-wal` beside `path` that was not
    written on this file. `header`: the file's first 100 bytes as just read (empty for an empty file).

    Accepted: no log, or one SQLite would not replay; a log whose header-page frames carry no
    anchor change (a generation written by another tool, or by a planner before anchors); a log
    whose anchors step by at most one from frame to frame, the first being the file's own or one
    more — or, once a checkpoint has copied part of the log into the file, the file's anchor being
    one of the log's. A file with no anchor yet (0, made before anchors) accepts only a log without
    anchors, or one that holds nothing but the header page (its first stamp, cut short by a crash).

    The fast reading trusts frame headers; a log it would refuse is read again with every checksum
    verified, so a frame torn by a crash (which SQLite ignores) never causes a refusal. Another
    planner may be writing (and checkpointing) at the same moment, so a refusal is confirmed by
    reading the file's header and the log again a few times first."""
    import time

    wal = Path(f"{path}-wal")
    try:
        read_wal(wal, verify=False)
    except NotALog:
        raise DatabaseProblem(
            f"{wal} is not a write-ahead log SQLite could have made (not a regular file), so {path} was not "
            f"opened and nothing was changed; remove it"
        ) from None
    except OSError as error:
        from planner.files import os_error_text

        raise DatabaseProblem(f"cannot read {wal}: {os_error_text(error)}; nothing was changed") from None
    for attempt in range(4):
        if attempt:
            time.sleep(0.02 * attempt)
            header = _header(path)
        frames = read_wal(wal)
        if frames is None or _belongs(frames, header):
            return
        frames = read_wal(wal, verify=True)
        if frames is None or _belongs(frames, header):
            return
    raise foreign_wal(path)


def _header(path: Path) -> bytes:
    from planner.store.connection import read_header  # never drops SQLite's locks (see there)

    try:
        return read_header(path)
    except DatabaseProblem:
        return b""


def _belongs(frames: WalFrames, header: bytes) -> bool:
    if len(header) >= 100:
        page_size = int.from_bytes(header[16:18], "big")
        if (65536 if page_size == 1 else page_size) != frames.page_size:
            return False
        own = int.from_bytes(header[ANCHOR_OFFSET : ANCHOR_OFFSET + 4], "big", signed=True)
    else:
        own = 0
    anchors = frames.anchors
    if not anchors or all(a == own for a in anchors):
        return True
    if own <= 0:
        return not frames.other_pages or all(a <= 0 for a in anchors)
    if anchor_step(own, anchors[0]) > 1 and own not in anchors:
        return False
    return all(anchor_step(before, after) <= 1 for before, after in zip(anchors, anchors[1:]))
