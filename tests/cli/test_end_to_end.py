"""`python -m planner …` in a fresh interpreter, as a user or a script runs it: exit codes, one-line
errors without a traceback, the demo, and what `planner status` imports (its start-up budget)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import TODAY, subprocess_env


def test_a_morning_in_the_shell(planner, tmp_path: Path) -> None:
    added = planner("add", "Website revamp", "--account", "Acme", "--value", "12.5k", "--due", "-1d", "--next", "Call")
    assert (added.code, added.out.strip(), added.err) == (0, "1", "")
    moved = planner("move", "1", "best_few")
    assert moved.code == 0 and "warning: No Economic Buyer is recorded for this deal." in moved.err
    assert planner("log", "1", "--kind", "call", "--minutes", "30").code == 0
    status = planner("status", "--json")
    assert status.code == 0 and status.err == ""
    data = json.loads(status.out)
    assert data["today"] == TODAY
    assert data["buckets"]["best_few"] == {"label": "Best Few", "count": 1, "value": 12500}
    codes = {(f["code"], f["severity"]) for f in data["flags"]}
    assert ("empty_top", "critical") in codes and ("overdue_action", "warning") in codes


def test_errors_are_one_line_with_the_right_exit_code(planner, tmp_path: Path) -> None:
    unknown = planner("move", "42", "in")
    assert (unknown.code, unknown.err_lines) == (2, ["planner: no opportunity with id 42"])
    usage = planner("list", "--bukket", "in")
    assert usage.code == 2 and len(usage.err_lines) == 1 and "--help" in usage.err
    (tmp_path / "junk.db").write_bytes(b"\0garbage" * 512)
    broken = planner("status", "--db", str(tmp_path / "junk.db"))
    assert broken.code == 1 and len(broken.err_lines) == 1 and broken.err.startswith("planner: ")
    for result in (unknown, usage, broken):
        assert "Traceback" not in result.err + result.out


def test_demo_keep_writes_a_database_whose_cycle_is_measured(planner, tmp_path: Path) -> None:
    target = tmp_path / "demo.db"
    made = planner("demo", "--keep", str(target), db=None)
    assert made.code == 0, made.err
    assert target.exists() and (target.stat().st_mode & 0o777) == 0o600
    assert not (tmp_path / "xdg").exists()  # the user's default database was never created
    status = planner("status", "--db", str(target))
    assert status.code == 0, status.err
    assert "Normal sales cycle: " in status.out and "— median of " in status.out and " won deals" in status.out


def test_status_on_an_existing_database_stays_light(planner, tmp_path: Path) -> None:
    """`planner status` is benchmarked against `python -c "import sqlite3"`: it must not import
    Textual, the ORM, or pendulum (≈20 ms); rich is for `list` only."""
    assert planner("add", "Acme").code == 0  # the database exists (creating it may need the ORM)
    code = (
        "import json, sys\n"
        "from planner.cli import run\n"
        "code = run(['status'])\n"
        "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path, PLANNER_DB=str(tmp_path / "planner.db")),
        timeout=60,
    )
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["code"] == 0, proc.stderr
    loaded = {name.split(".")[0] for name in report["modules"]}
    assert not {"textual", "sqlmodel", "sqlalchemy", "pydantic", "pendulum", "rich"} & loaded


def test_a_latin1_terminal_shows_what_it_can_and_escapes_the_rest(planner, tmp_path: Path) -> None:
    """Human text on a legacy terminal: é is shown as é, a character it lacks as its escape (never '?',
    which would lose which one it was); `list --json` stays valid JSON with the same titles."""
    assert planner("add", "Café 上海", "--account", "Müller").code == 0
    listed = subprocess.run(
        [sys.executable, "-m", "planner", "list"],
        capture_output=True,
        env=subprocess_env(tmp_path, PLANNER_DB=str(tmp_path / "planner.db"), PYTHONIOENCODING="latin-1"),
        cwd=tmp_path,
        timeout=60,
    )
    text = listed.stdout.decode("latin-1")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr.decode("latin-1")
    assert "Café \\u4e0a\\u6d77" in text and "Müller" in text
    as_json = subprocess.run(
        [sys.executable, "-m", "planner", "list", "--json"],
        capture_output=True,
        env=subprocess_env(tmp_path, PLANNER_DB=str(tmp_path / "planner.db"), PYTHONIOENCODING="ascii"),
        cwd=tmp_path,
        timeout=60,
    )
    assert as_json.returncode == 0 and as_json.stdout.isascii()
    assert [d["title"] for d in json.loads(as_json.stdout)] == ["Café 上海"]

