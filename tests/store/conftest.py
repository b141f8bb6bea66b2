from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from planner.store import open_repository

MONDAY = date(2026, 11, 23)  # a Monday: "this week" is 23–29 November 2026


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "planner.db"


@pytest.fixture
def repo(db_path: Path):
    repository = open_repository(str(db_path))
    yield repository
    repository.close()
