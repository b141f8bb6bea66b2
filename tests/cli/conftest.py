"""Running the command line in tests: in-process through `planner.cli.run` (fast, most tests) and
end to end in a fresh interpreter (`python -m planner`, a few tests), always on a tmp database with
a fixed today."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from planner.cli import run

TODAY = "2026-11-23"  # a Monday


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's database for this test, chosen through PLANNER_DB; today fixed."""
    path = tmp_path / "planner.db"
    monkeypatch.setenv("PLANNER_DB", str(path))
    monkeypatch.setenv("PLANNER_TODAY", TODAY)
    monkeypatch.setenv("COLUMNS", "160")
    return path


@pytest.fixture
def cli(db: Path, capsys: pytest.CaptureFixture[str]):
    """`cli("add", "Acme")` → Result, run in this process."""

    def call(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return call


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update(
        PLANNER_TODAY=TODAY,
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "xdg"),
        PYTHONIOENCODING="utf-8",
        COLUMNS="160",
    )
    env.update(extra)
    return env


@pytest.fixture
def planner(tmp_path: Path):
    """`planner("status", "--json")` → Result, run as `python -m planner` in a fresh interpreter,
    with PLANNER_DB pointing at a tmp database unless `db=None` is given."""

    def call(*args: str, db: Path | None = tmp_path / "planner.db", **env: str) -> Result:
        extra = {"PLANNER_DB": str(db)} if db is not None else {}
        proc = subprocess.run(
            [sys.executable, "-m", "planner", *args],
            capture_output=True,
            env=subprocess_env(tmp_path, **extra, **env),
            cwd=tmp_path,
            timeout=60,
        )
        return Result(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))

    return call
