"""Snapshots of the Today screen and the deal details at 120×40 and 80×24 (issue 12): agenda
lines wrapping under their text, today's share of the quota, the details' rows and method
warnings readable whole. Same fixtures and settings as test_screens.py."""

from __future__ import annotations

import pytest

from test_screens import _app, _settle, demo_db  # noqa: F401  (demo_db is a fixture)

SIZES = [(120, 40), (80, 24)]


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_today(snap_compare, demo_db, size):  # noqa: F811
    async def show(pilot):
        await _settle(pilot)
        await pilot.press("2")
        await _settle(pilot)
        assert pilot.app.current_mode == "today"

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_details_from_today(snap_compare, demo_db, size):  # noqa: F811
    async def show(pilot):
        from planner.ui.screens.deal import DealDetailsScreen

        await _settle(pilot)
        await pilot.press("2")
        await _settle(pilot)
        await pilot.press("enter")  # the first item: a Best Few deal with its warnings
        await _settle(pilot)
        assert isinstance(pilot.app.screen, DealDetailsScreen)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=show)
