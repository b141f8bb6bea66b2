"""Shared helpers for the data-safety tests (SPEC §6): run the real CLI in a subprocess with a
bounded timeout, fingerprint a database file, and read it back without the planner's own code."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TODAY = "2026-03-02"  # a Monday: weekday names and the week's bounds stay predictable
CLI_TIMEOUT = 30  # seconds; a hung CLI fails the test instead of hanging the suite
DRIVERS = Path(__file__).parent / "drivers"


def planner_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user whose data lives under `home` (never the real user data dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update(
        PLANNER_TODAY=TODAY,
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHONIOENCODING="utf-8",
        NO_COLOR="1",
        COLUMNS="120",
    )
    env.update(extra)
    return env


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def run_cli(
    *args: str,
    home: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    umask: int | None = None,
    timeout: float = CLI_TIMEOUT,
) -> Run:
    """`planner ARGS` as a user runs it: a fresh interpreter, bytes in and out decoded as UTF-8."""
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    proc = subprocess.run(
        [sys.executable, "-m", "planner", *args],
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        env=env or planner_env(home),
        cwd=home,
        timeout=timeout,
        preexec_fn=preexec,
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def assert_one_line_error(run: Run, code: int, *words: str) -> str:
    """The CLI refused with `code`, one line on stderr, no traceback; the line names `words`."""
    assert run.code == code, f"exit {run.code}, expected {code}\nstdout: {run.out}\nstderr: {run.err}"
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
    assert len(run.err_lines) == 1, f"expected one line on stderr, got:\n{run.err}"
    line = run.err_lines[0]
    for word in words:
        assert word.lower() in line.lower(), f"{word!r} not in {line!r}"
    return line


def fingerprint(path: Path) -> str:
    """sha256 of the file's bytes: "changes nothing" means this is the same before and after."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sidecars(path: Path) -> list[Path]:
    return [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")) if p.exists()]


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so the main file alone is the whole database: then its
    bytes are a faithful fingerprint of the data."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def integrity(path: Path) -> str:
    """PRAGMA integrity_check through plain sqlite3 (what a user would run), "ok" when sound."""
    con = sqlite3.connect(path, timeout=5)
    try:
        return "; ".join(row[0] for row in con.execute("PRAGMA integrity_check"))
    finally:
        con.close()


def copy_database(path: Path, dest_dir: Path) -> Path:
    """Copy the database with its WAL so it can be read without touching the original."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / path.name
    shutil.copy2(path, dest)
    wal = Path(f"{path}-wal")
    if wal.exists():
        shutil.copy2(wal, Path(f"{dest}-wal"))
    return dest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A user's home for one test; the database lives in it."""
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In-process code sees the same day and never the real user's data directory."""
    monkeypatch.setenv("PLANNER_TODAY", TODAY)
    monkeypatch.delenv("PLANNER_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


class Driver:
    """A planner process the test can watch line by line and kill at a chosen moment."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, umask: int | None = None):
        import queue
        import threading

        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            text=True,
            encoding="utf-8",
            errors="replace",
            preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._err: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._queue.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self._err.append), daemon=True).start()

    @staticmethod
    def _pump(stream, put) -> None:
        for line in stream:
            put(line.rstrip("\n"))
        put(None)

    def wait_for(self, predicate, timeout: float = 30) -> str:
        """Collect stdout lines until one satisfies `predicate`; fail (and kill) on timeout or exit."""
        import queue
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(left, 0.001))
            except queue.Empty:
                self.kill()
                pytest.fail(f"no expected line within {timeout}s; got {self.lines[-5:]}, stderr {self.stderr}")
            if line is None:
                self.proc.wait(timeout=10)
                pytest.fail(f"process ended (exit {self.proc.returncode}) first; stdout {self.lines[-5:]}, stderr {self.stderr}")
            self.lines.append(line)
            if predicate(line):
                return line

    def send(self, text: str) -> None:
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def kill(self) -> None:
        """SIGKILL: no atexit, no finally, no close; what is on disk is all that is left."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def finish(self, timeout: float = 60) -> int:
        """Wait for a normal end, reading every remaining line."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                pytest.fail(f"process did not finish within {timeout}s; stderr {self.stderr}")
            import queue

            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
        return self.proc.wait(timeout=10)

    @property
    def stderr(self) -> str:
        return "\n".join(self._err[:-1] if self._err and self._err[-1] is None else self._err)


def start_driver(name: str, *args: str, home: Path, umask: int | None = None) -> Driver:
    return Driver([sys.executable, str(DRIVERS / name), *args], planner_env(home), home, umask)


CSV_HEADER = "id,title,account,contact,value,bucket,first_contact,expected_close,closed_on,next_action,next_action_due,source,notes"


def write_big_csv(path: Path, rows: int, notes_len: int = 1000) -> Path:
    """A spreadsheet of `rows` new deals with long notes, big enough that the import's pages
    spill out of SQLite's cache before the import commits."""
    buckets = ("above", "in", "best_few")
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(CSV_HEADER + "\r\n")
        for i in range(rows):
            f.write(
                f",Imported deal {i:05d},Account {i % 97},Contact {i % 13},{1000 + i},{buckets[i % 3]},"
                f"2026-01-{1 + i % 28:02d},,,,,,{'x' * notes_len}\r\n"
            )
    return path


def db_args(db: Path) -> list[str]:
    """The global option choosing the database (SPEC §4: --db beats PLANNER_DB)."""
    return ["--db", str(db)]


def planner(db: Path, *args: str, home: Path, **kw) -> Run:
    return run_cli(*db_args(db), *args, home=home, **kw)


def planner_with(knob: str, value: str, db: Path, *args: str, home: Path) -> Run:
    """The CLI with an SQLite limit tightened (drivers/cli_with.py)."""
    proc = subprocess.run(
        [sys.executable, str(DRIVERS / "cli_with.py"), knob, value, "--", *db_args(db), *args],
        capture_output=True,
        env=planner_env(home),
        cwd=home,
        timeout=CLI_TIMEOUT,
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


_TEMPLATES: dict[tuple[str, ...], bytes] = {}


def make_database(home: Path, *titles: str, name: str = "planner.db") -> Path:
    """A planner database holding these deals, WAL folded in so the file alone is the database.
    Made once per set of titles through the repository, then copied (creation is not what these
    tests are about, and copying keeps the suite fast)."""
    from datetime import date

    from planner.domain.models import Opportunity
    from planner.store import open_repository

    titles = titles or ("Existing deal",)
    db = home / name
    if titles not in _TEMPLATES:
        repo = open_repository(str(db))
        try:
            for title in titles:
                repo.add(Opportunity(title=title, value_cents=100_000), on=date(2026, 3, 2))
        finally:
            repo.close()
        checkpoint(db)
        _TEMPLATES[titles] = db.read_bytes()
    else:
        fd = os.open(db, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_TEMPLATES[titles])
    return db


class ReadOnly:
    """Make a file or folder read-only for the planner. Root ignores permission bits, so as root
    the immutable attribute is used (even root cannot write through it); otherwise chmod."""

    def __init__(self, path: Path):
        self.path = path
        self.root = os.geteuid() == 0
        self.mode = path.stat().st_mode

    def __enter__(self) -> "ReadOnly":
        if self.root:
            done = subprocess.run(["chattr", "+i", str(self.path)], capture_output=True)
            if done.returncode != 0:
                pytest.skip(f"running as root and cannot make {self.path} immutable: {done.stderr!r}")
        else:
            os.chmod(self.path, self.mode & ~0o222)
        return self

    def __exit__(self, *exc) -> None:
        if self.root:
            subprocess.run(["chattr", "-i", str(self.path)], capture_output=True)
        else:
            os.chmod(self.path, self.mode)
