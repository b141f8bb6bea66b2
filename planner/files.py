"""The one writer for every file the planner writes for the user (SPEC §6): exports, calendars,
backups (`planner backup`, the copy before a migration, the copy kept by `planner restore`) and the
restored database itself. A whole file or nothing, never through a link, never over the database
or the files SQLite keeps beside it.

How a file is written (`replacing`, and `write_file` on top of it):
- the target is checked first: an existing folder, symbolic link, FIFO, socket or device is
  refused, and so are the database and its -wal/-shm/-journal (their names after `~`, `..` and
  links are resolved);
- the data goes to a new temporary file in the target's folder, created with O_CREAT|O_EXCL|
  O_NOFOLLOW and mode 0600 (`tempfile.mkstemp`): a link planted under any name cannot be opened
  instead, and nobody else can read the copy while it is written;
- the file is flushed to the disk (fsync), renamed over the target in one step (a rename replaces
  a link planted at the target; it never writes through it), and the folder is flushed too, so
  after a crash either the old file or the whole new one is there;
- on any failure the temporary file is removed; one left by a killed run (its process is gone) is
  removed the next time the planner writes in that folder or opens a database there.

Nothing else in the planner opens a file for writing.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from planner.errors import BadInput, PlannerError

#: Every temporary file the writer makes ends so; `clean_stale_temporaries` recognises them by it.
TEMP_SUFFIX = ".planner-tmp"
#: `.<target name>.<pid>@<host>.<random>.planner-tmp`, plus the companions SQLite may give a
#: database written under that name (a backup killed while SQLite had it open).
_TEMP_NAME = re.compile(r"^\..*\.(\d+)@([0-9a-f]{4})\.[^.]+" + re.escape(TEMP_SUFFIX) + r"(?:-journal|-wal|-shm)?$")
#: A temporary file from another machine (a shared network folder) is removed only when this old.
_FOREIGN_STALE_SECONDS = 24 * 3600


# --- what a path is ---------------------------------------------------------------------------------


def os_error_text(error: OSError) -> str:
    """An OSError as a person reads it, without the path (the caller names the file)."""
    known = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "your disk quota is used up",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the disk is mounted read-only",
        errno.ENAMETOOLONG: "the name is too long",
        errno.ELOOP: "too many levels of symbolic links",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EISDIR: "it is a folder",
        errno.ENOENT: "no such file or folder",
        errno.EIO: "input/output error (check the disk)",
    }
    return known.get(error.errno, error.strerror or str(error))


def expand(raw: str | Path) -> Path:
    """`~` expanded; a home folder that cannot be found is a BadInput, not a traceback."""
    try:
        return Path(raw).expanduser()
    except RuntimeError:
        raise BadInput(f"cannot expand {str(raw)!r}: your home folder is unknown; give a full path") from None


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def check_readable_file(raw: str | Path, *, what: str = "file") -> Path:
    """The path of an existing regular file to read (a CSV to import, a backup to restore), or a
    one-line BadInput: missing, a folder, a FIFO, socket or device (which would block or never
    end), or a path the system refuses (too long, a link loop…). Links to a regular file are fine."""
    if not str(raw):
        raise BadInput(f"no {what} given (the name is empty); give the path of a regular file")
    path = expand(raw)
    shown = str(raw)
    try:
        st = os.stat(path)
    except OSError as error:
        if error.errno == errno.ENOENT:
            raise BadInput(f"no such {what}: {shown}") from None
        raise BadInput(f"cannot read {shown}: {os_error_text(error)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadInput(f"{shown} is {kind_of(st.st_mode)}, not a {what}; give the path of a regular file")
    return path


def is_database_file(target: str | Path, database: str | Path) -> bool:
    """Whether writing `target` would write over `database` itself or one of the files SQLite keeps
    beside it (SPEC §6: nothing may replace the user's data). `~`, `..` and links are resolved;
    a path that cannot be resolved (a link loop) is compared as written."""
    base = os.path.realpath(expand(database))
    target_path = os.path.realpath(expand(target))
    return target_path in {base + suffix for suffix in ("", "-wal", "-shm", "-journal")}


def refuse_database_target(target: str | Path, database: Path | None) -> None:
    """BadInput when `target` is the database or one of its own files: an export or calendar
    written there would replace the user's data (SPEC §6)."""
    if database is not None and is_database_file(target, database):
        raise BadInput(f"cannot write {target}: that is the database itself or one of its own files; choose another name")


def check_target(
    raw: str | Path, *, database: Path | None, shown: str | None = None, replace_link: bool = False
) -> Path:
    """The path to write for `raw` (`~` expanded), or a one-line BadInput: an existing folder,
    link, FIFO, socket or device; a missing folder; the database or its companions; a path the
    system refuses (too long, a link loop, a file used as a folder). With `replace_link`, a link at
    the name is accepted: the rename then replaces the link itself (for files the planner keeps
    under its own names, such as the serve token), still never writing through it."""
    shown = str(raw) if shown is None else shown
    if not str(raw):
        raise BadInput("the file name is empty; give a file name")
    path = expand(raw)
    if not path.name or path.name in (".", ".."):
        raise BadInput(f"cannot write {shown}: give a file name, not a folder")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as error:
        raise BadInput(f"cannot write {shown}: {os_error_text(error)}") from None
    if st is not None and not stat.S_ISREG(st.st_mode) and not (replace_link and stat.S_ISLNK(st.st_mode)):
        if stat.S_ISLNK(st.st_mode):
            raise BadInput(
                f"cannot write {shown}: it is a symbolic link, and the planner never writes through a link; "
                f"give the real path ({os.path.realpath(path)}) or another name"
            )
        if stat.S_ISDIR(st.st_mode):
            raise BadInput(f"{shown} is a folder; give a file name")
        raise BadInput(f"cannot write {shown}: it is {kind_of(st.st_mode)}, not a regular file; give a file name")
    folder = path.parent
    try:
        folder_st = os.stat(folder)
    except FileNotFoundError:
        raise BadInput(f"cannot write {shown}: the folder {folder} does not exist") from None
    except OSError as error:
        raise BadInput(f"cannot write {shown}: {os_error_text(error)}") from None
    if not stat.S_ISDIR(folder_st.st_mode):
        raise BadInput(f"cannot write {shown}: {folder} is not a folder")
    refuse_database_target(path, database)
    return path


# --- the temporary file -------------------------------------------------------------------------


def _host_tag() -> str:
    import hashlib
    import socket

    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    return hashlib.sha1(host.encode("utf-8", "replace")).hexdigest()[:4]


def folder_is_private(folder: Path) -> bool:
    """Whether nobody but us (and root) can remove or rename entries in `folder`: it is ours or
    root's, and not writable by group or others unless sticky (like /tmp). Then a file we create
    there keeps its name until we rename it, so another program (SQLite) may open it by name."""
    try:
        st = os.stat(folder)
    except OSError:
        return False
    if st.st_uid not in (os.geteuid(), 0):
        return False
    shared = st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return not shared or bool(st.st_mode & stat.S_ISVTX)


class TempFile:
    """The temporary file `replacing` yields: write to it with `write`; `path` may be handed to
    another program (SQLite) only when `by_name_is_safe` (see `folder_is_private`)."""

    def __init__(self, fd: int, path: Path, by_name_is_safe: bool, target: Path) -> None:
        self.fd = fd
        self.path = path
        self.target = target  # the name it will have
        self.by_name_is_safe = by_name_is_safe
        st = os.fstat(fd)
        self.identity = (st.st_dev, st.st_ino)

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def pwrite(self, data: bytes, offset: int) -> None:
        if os.pwrite(self.fd, data, offset) != len(data):
            raise OSError(errno.EIO, "short write")

    def still_ours(self) -> bool:
        """The name still refers to the file we created (nobody swapped it for a link or another file)."""
        try:
            st = os.lstat(self.path)
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == self.identity


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some systems cannot open a folder; the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def replacing(
    target: str | Path,
    *,
    database: Path | None,
    what: str = "file",
    shown: str | None = None,
    replace_link: bool = False,
) -> Iterator[TempFile]:
    """Write a new `target` through a temporary file (see the module docstring): the body writes
    the whole content to the yielded `TempFile`; when it returns, the file is flushed and renamed
    over `target`. On any exception nothing is left behind and `target` is as it was.

    `database`: the live database, which (with its companions) is never a target; pass None only
    to replace the database itself on purpose (`planner restore`). Raises BadInput for a target the
    user must change and PlannerError when the system refuses (full disk, permissions…)."""
    import tempfile

    shown = str(target) if shown is None else shown
    path = check_target(target, database=database, shown=shown, replace_link=replace_link)
    folder = path.parent
    clean_stale_temporaries(folder)
    try:
        fd, name = tempfile.mkstemp(
            dir=folder, prefix=f".{path.name[:80]}.{os.getpid()}@{_host_tag()}.", suffix=TEMP_SUFFIX
        )
    except OSError as error:
        raise PlannerError(f"cannot write {what} {shown}: {os_error_text(error)}") from None
    temp = TempFile(fd, Path(name), folder_is_private(folder), path)
    closed = False
    try:
        yield temp
        os.fsync(fd)
        os.close(fd)
        closed = True
        if not temp.still_ours():
            raise PlannerError(
                f"cannot write {what} {shown}: its temporary file was replaced by someone else in {folder}; "
                f"nothing was written — choose a folder only you can write to"
            )
        os.replace(temp.path, path)
        _fsync_folder(folder)
    except OSError as error:
        _discard(temp, closed)
        raise PlannerError(f"cannot write {what} {shown}: {os_error_text(error)}") from None
    except BaseException:
        _discard(temp, closed)
        raise


def _discard(temp: TempFile, closed: bool) -> None:
    if not closed:
        try:
            os.close(temp.fd)
        except OSError:
            pass
    if temp.still_ours():
        _unlink(temp.path)
    for suffix in ("-journal", "-wal", "-shm"):
        _unlink(Path(f"{temp.path}{suffix}"))


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists (another user's): not ours to judge
    return False


def clean_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files a killed planner left in `folder` (and their SQLite companions):
    only our own regular files, named by this writer, whose process on this machine is gone (or,
    from another machine, older than a day). Returns what was removed; never raises."""
    import time

    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    here = _host_tag()
    me = os.geteuid()
    now = time.time()
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_uid != me:
            continue
        pid, host = int(match.group(1)), match.group(2)
        if host == here:
            stale = pid != os.getpid() and _process_is_gone(pid)
        else:
            stale = now - st.st_mtime > _FOREIGN_STALE_SECONDS
        if stale:
            _unlink(Path(entry.path))
            removed.append(Path(entry.path))
    return removed


# --- whole files --------------------------------------------------------------------------------


def write_file(target: str | Path, data: bytes, *, database: Path | None, replace_link: bool = False) -> Path:
    """Write `data` to `target` (`~` expanded) as a whole file or nothing, never through a link and
    never over `database` or its -wal/-shm/-journal files (see `replacing`; `replace_link` there).
    Returns the path written; BadInput for a target the user must change, PlannerError otherwise."""
    with replacing(target, database=database, replace_link=replace_link) as temp:
        temp.write(data)
    return temp.target
