"""Fixtures for driving the TUI with Textual's Pilot on a throw-away database.

Today is fixed (Wednesday 2026-03-04) so "fri" means 2026-03-06 and every date in a test is stable.
Tests assert what the database holds afterwards, read through a second repository.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

TODAY = date(2026, 3, 4)  # a Wednesday


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """Run `async def` tests in a fresh event loop (Pilot needs one); no plugin required."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())
    monkeypatch.delenv("PLANNER_DB", raising=False)
    monkeypatch.delenv("PLANNER_EXIT_AFTER_FIRST_FRAME", raising=False)
    return TODAY


@pytest.fixture(autouse=True)
def own_config_dir(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """The theme and keymap files (planner/preferences.py) of a test are its own, never the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "planner"


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "p.db")


@contextmanager
def repository(path: str) -> Iterator:
    from planner.store import open_repository

    repo = open_repository(path)
    try:
        yield repo
    finally:
        repo.close()


def seed(path: str, *deals) -> list[int]:
    """Add opportunities before the app starts; returns their ids in order."""
    with repository(path) as repo:
        return [repo.add(d, on=TODAY) for d in deals]


def funnel(app):
    from planner.ui.screens.funnel import FunnelScreen

    screen = app.screen
    assert isinstance(screen, FunnelScreen), f"expected the Funnel screen, got {screen!r}"
    return screen


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


def bar_rows(bar) -> list[str]:
    """The top bar's rows at its width as it draws them: the screens, help and date, then the
    latest change beside them when it fits, else wrapped on the rows under them."""
    return [line.plain for line in bar.render().lines(bar.content_size.width)]


def bar_says(app, said: str, screen=None) -> bool:
    """The latest change (`app.last_change`) holds `said`, and the top bar of `screen` (the current
    one by default) shows it whole over its rows: nothing cut with "…"."""
    if said not in app.last_change:
        return False
    rows = bar_rows((screen or app.screen).query_one(".screen-bar"))
    if any("…" in row for row in rows):
        return False
    return " ".join(said.split()) in " ".join(" ".join(rows).split())
