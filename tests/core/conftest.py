"""The core's use cases driven with plain pytest: no Textual, no Pilot (docs/architecture.md).

`core` is this instance; `other` is a second instance on the same file (the CLI, a second window),
so every check of "changed elsewhere meanwhile" runs against a real second SQLite connection.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from planner.core.core import Core

TODAY = date(2026, 3, 4)  # a Wednesday: the week starts on Monday 2 March


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())
    monkeypatch.delenv("PLANNER_DB", raising=False)
    return tmp_path / "planner.db"


@pytest.fixture
def core(db: Path):
    with Core.open(str(db)) as opened:
        yield opened


@pytest.fixture
def other(core: Core, db: Path):
    """Another instance on the same database, opened after `core`."""
    with Core.open(str(db)) as opened:
        yield opened
