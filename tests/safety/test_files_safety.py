"""Every file the planner writes goes through one writer that never follows a link, never leaves
litter, and never writes over the database (SPEC §6; issue 10 items 1 and 7).

The attacks and accidents: a symlink planted in a shared folder under the name a backup would use
for its temporary file (the old `.bk.db.<pid>.tmp`) or under the target's own name; a backup killed
before its rename; a FIFO, socket or device given where a file is expected (which used to hang the
planner); paths the system refuses (too long, a link loop, a file used as a folder) in every place
a path is typed; SQLite's `:memory:` and `file:` forms, which used to leave oddly named files.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, fingerprint, integrity, make_database, planner, start_driver

LONG = "x" * 300  # one name longer than any filesystem allows (255)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file of the user's outside the folder, which a planted link points at."""
    p = tmp_path / "precious.txt"
    p.write_text("the user's own file\n")
    return p


def test_a_link_planted_under_every_old_temporary_name_is_never_followed(home, victim):
    db = make_database(home, "Acme")
    shared = home / "shared"
    shared.mkdir(mode=0o1777)  # like /tmp: anyone may create names here
    target = shared / "bk.db"
    # The predictable names of the old writer, for the process ids the next run is likely to get.
    for pid in range(os.getpid(), os.getpid() + 3000):
        os.symlink(victim, shared / f".bk.db.{pid}.tmp")
    before = victim.read_bytes()
    run = planner(db, "backup", "-o", str(target), home=home)
    assert run.code == 0, run.err
    assert victim.read_bytes() == before
    assert integrity(target) == "ok" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not target.is_symlink()


@pytest.mark.parametrize("command", [["backup", "-o"], ["export", "-o"], ["plan", "--ics"]], ids=lambda c: c[0])
def test_a_link_at_the_target_is_refused_not_written_through(home, victim, command):
    db = make_database(home, "Acme")
    link = home / "out.file"
    os.symlink(victim, link)
    before = victim.read_bytes()
    assert_one_line_error(planner(db, *command, str(link), home=home), 2, "symbolic link")
    assert victim.read_bytes() == before and link.is_symlink()


def test_a_backup_into_a_folder_others_can_write_is_never_opened_by_name(home, monkeypatch):
    """Where others may rename entries (group- or world-writable, not sticky), the copy is made in
    memory and written through the writer's own descriptor: SQLite never opens that name."""
    from planner.store import open_repository

    db = make_database(home, *(f"Deal {i}" for i in range(30)))
    open_folder = home / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o777)
    opened: list[str] = []
    real_connect = sqlite3.connect

    def watching(target, *a, **kw):
        opened.append(str(target))
        return real_connect(target, *a, **kw)

    monkeypatch.setattr(sqlite3, "connect", watching)
    with open_repository(str(db)) as repo:
        repo.backup(str(open_folder / "copy.db"))
    assert not [t for t in opened if str(open_folder) in t]
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    copy = open_folder / "copy.db"
    assert integrity(copy) == "ok" and stat.S_IMODE(copy.stat().st_mode) == 0o600
    con = real_connect(copy)
    assert con.execute("SELECT count(*) FROM opportunity").fetchone()[0] == 30
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # a plain single file
    con.close()


def test_a_killed_backup_leaves_no_file_under_the_name_and_its_temporary_file_is_cleaned_next_time(home):
    db = make_database(home, *(f"Deal {i}" for i in range(50)))
    before = fingerprint(db)
    target = home / "monday.db"
    driver = start_driver("stall_call.py", "os.replace", "1", "--", "--db", str(db), "backup", "-o", str(target),
                          home=home)
    line = driver.wait_for(lambda l: l.startswith(("stalled", "finished")), timeout=30)
    assert line == "stalled", f"the backup should be whole before its rename: {line}"
    driver.kill()
    assert not target.exists(), "a half-made backup was left under the asked-for name"
    litter = [p for p in home.iterdir() if p.name.endswith(".planner-tmp")]
    assert len(litter) == 1 and stat.S_IMODE(litter[0].stat().st_mode) == 0o600
    assert fingerprint(db) == before
    # The next write in that folder removes what the killed run left, and makes the backup whole.
    assert planner(db, "backup", "-o", str(target), home=home).code == 0
    assert integrity(target) == "ok"
    assert not [p for p in home.iterdir() if ".planner-tmp" in p.name]


def test_a_killed_migration_backup_is_cleaned_when_the_database_is_opened_again(home):
    """The copy before an upgrade goes through the same writer (beside the database)."""
    import shutil

    db = home / "planner.db"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "planner_v1.db", db)
    driver = start_driver("stall_call.py", "os.replace", "1", "--", "--db", str(db), "list", home=home)
    assert driver.wait_for(lambda l: l.startswith(("stalled", "finished"))) == "stalled"
    driver.kill()
    assert [p for p in home.iterdir() if p.name.endswith(".planner-tmp")]
    assert planner(db, "list", home=home).code == 0
    assert not [p for p in home.iterdir() if ".planner-tmp" in p.name]
    assert len(list(home.glob("planner.db.schema1-*.bak"))) == 1


def test_a_failed_write_leaves_nothing_behind(home, monkeypatch):
    from planner.errors import PlannerError
    from planner.files import write_file

    def no_room(*a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_room)
    with pytest.raises(PlannerError, match="disk is full"):
        write_file(home / "out.csv", b"data", database=None)
    assert list(home.iterdir()) == []


def test_the_writer_flushes_the_file_and_its_folder(home, monkeypatch):
    from planner.files import write_file

    synced: list[str] = []
    real = os.fsync

    def recording(fd):
        synced.append(stat.filemode(os.fstat(fd).st_mode)[0])
        return real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    write_file(home / "out.csv", b"data", database=None)
    assert synced == ["-", "d"]  # the file, then the folder holding the new name


# --- what is not a regular file, and paths the system refuses ----------------------------------


@pytest.fixture
def specials(tmp_path: Path):
    fifo = tmp_path / "pipe"  # not named "fifo": the message must say what it is, not only repeat its name
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    yield {
        "a FIFO": fifo,
        "a socket": sock_path,
        "a device": Path("/dev/null"),
        "a link loop": loop,
        "a name too long": tmp_path / LONG,
        "a path too long": Path("/" + "/".join(["y" * 200] * 30)),
        "a file used as a folder": a_file / "inside.db",
        "a folder": tmp_path,
        "an empty name": "",  # `--keep "$UNSET"`: opened the demo's TUI, skipped the calendar, wrote a default backup
    }
    sock.close()


def _commands(db: Path, bad: Path | str) -> dict[str, list[str]]:
    return {
        "--db list": ["--db", str(bad), "list"],
        "--db add": ["--db", str(bad), "add", "x"],
        "import FILE": ["--db", str(db), "import", str(bad)],
        "restore FILE": ["--db", str(db), "restore", str(bad)],
        "export -o": ["--db", str(db), "export", "-o", str(bad)],
        "backup -o": ["--db", str(db), "backup", "-o", str(bad)],
        "plan --ics": ["--db", str(db), "plan", "--ics", str(bad)],
        "demo --keep": ["demo", "--keep", str(bad)],
    }


def test_no_special_file_or_strange_path_hangs_or_gives_a_traceback(home, specials, capsys):
    """Every place a path is typed, with every kind of path the system refuses or that is not a
    regular file: one line, exit 1 or 2, nothing changed. In-process (a hang would trip the
    alarm); the FIFO cases that used to hang also run as real processes below."""
    import signal

    from planner.cli import run

    db = make_database(home, "Acme")
    before = fingerprint(db)

    def hung(*_):
        raise TimeoutError("the planner blocked")

    previous = signal.signal(signal.SIGALRM, hung)
    try:
        for kind, bad in specials.items():
            for where, args in _commands(db, bad).items():
                signal.alarm(10)
                code = run(args)
                signal.alarm(0)
                out, err = capsys.readouterr()
                label = f"{where} with {kind}"
                lines = [line for line in err.splitlines() if line.strip()]
                assert code in (1, 2), f"{label}: exit {code}\n{err}"
                assert len(lines) == 1 and lines[0].startswith("planner: "), f"{label}: {err}"
                assert len(lines[0]) < 600, f"{label}: a line of {len(lines[0])} characters"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert fingerprint(db) == before
    assert stat.S_ISFIFO(specials["a FIFO"].stat().st_mode)  # nothing replaced it either


@pytest.mark.parametrize("where", ["--db list", "import FILE", "restore FILE"])
def test_a_fifo_never_hangs_the_real_cli(home, specials, where):
    from .conftest import run_cli

    db = make_database(home, "Acme")
    run = run_cli(*_commands(db, specials["a FIFO"])[where], home=home, timeout=20)
    assert_one_line_error(run, run.code if run.code in (1, 2) else 2, "FIFO")


def test_tui_on_a_fifo_shows_the_problem_screen_instead_of_hanging(tmp_path):
    import asyncio

    from planner.app import PlannerApp
    from planner.ui.screens.problem import ProblemScreen

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    async def run() -> str:
        app = PlannerApp(db=str(fifo))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ProblemScreen)
            await pilot.press("q")
        return app.problem

    assert "FIFO" in asyncio.run(asyncio.wait_for(run(), 20))


def test_tui_calendar_export_to_strange_paths_says_why_in_a_notification(tmp_path, specials):
    import asyncio

    from planner.app import PlannerApp

    db = tmp_path / "p.db"

    async def run() -> list[str]:
        app = PlannerApp(db=str(db))
        errors = []
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("3")
            await pilot.pause()
            for kind in ("a FIFO", "a name too long", "a link loop", "an empty name"):
                await pilot.press("i")
                await pilot.pause()
                field = app.screen.query_one("Input")
                field.value = str(specials[kind])
                await pilot.press("enter")
                await pilot.pause()
                errors.append(str(app.screen.query_one("#error").render()) if app.screen.query("#error") else "")
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("q")
        return errors

    errors = asyncio.run(run())
    assert all(errors), errors  # each refused in the dialog, the app still running
    assert stat.S_ISFIFO(specials["a FIFO"].stat().st_mode)


@pytest.mark.parametrize("spec", [":memory:", "file:notes.db", "file:notes.db?mode=ro", "sqlite:///file:x.db"])
def test_sqlite_forms_that_keep_nothing_are_refused_and_leave_no_litter(home, spec):
    from .conftest import run_cli

    before = set(os.listdir(home))
    assert_one_line_error(run_cli("--db", spec, "list", home=home), 2)
    assert_one_line_error(run_cli("--db", spec, "add", "x", home=home), 2)
    assert set(os.listdir(home)) == before
