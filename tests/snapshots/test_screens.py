"""Snapshot tests of every screen on demo data (SPEC §5): what a person sees, pixel for pixel.

Fixed terminal size, fixed today (PLANNER_TODAY), fixed theme, demo data from `planner.demo`.
After an intended change of the look, read the report, then `pytest tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

from datetime import date

import pytest

TODAY = date(2026, 3, 4)
THEME = "textual-dark"


@pytest.fixture
def demo_db(tmp_path, monkeypatch) -> str:
    from planner.demo import build_demo
    from planner.store import open_repository

    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())
    monkeypatch.delenv("PLANNER_DB", raising=False)
    path = str(tmp_path / "demo.db")
    repo = open_repository(path)
    try:
        build_demo(repo, TODAY)
    finally:
        repo.close()
    return path


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())
    monkeypatch.delenv("PLANNER_DB", raising=False)
    return str(tmp_path / "empty.db")


def _app(db: str):
    from planner.app import PlannerApp

    app = PlannerApp(db=db)
    app.theme = THEME
    return app


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


@pytest.mark.parametrize(
    "key, screen",
    [("1", "funnel"), ("2", "today"), ("3", "week"), ("4", "insights"), ("5", "profile")],
)
def test_screen_on_demo_data(snap_compare, demo_db, key, screen):
    async def show(pilot):
        await pilot.press(key)
        await _settle(pilot)
        assert pilot.app.current_mode == screen

    assert snap_compare(_app(demo_db), terminal_size=(120, 40), run_before=show)


def test_funnel_in_a_small_terminal(snap_compare, demo_db):
    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=_settle)


def test_empty_funnel_shows_the_banner(snap_compare, empty_db):
    async def check(pilot):
        await _settle(pilot)
        assert "Top of funnel is empty" in str(pilot.app.screen.query_one("#banner").render())

    assert snap_compare(_app(empty_db), terminal_size=(120, 40), run_before=check)


def test_deal_details_on_demo_data(snap_compare, demo_db):
    async def open_details(pilot):
        await _settle(pilot)
        await pilot.press("l", "enter")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=(120, 40), run_before=open_details)
