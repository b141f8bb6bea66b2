"""Snapshots of the Week and Profile screens in a small terminal (80×24), on the demo data of
test_screens (the 120×40 ones are there). The top of each screen is what the user sees first."""

from __future__ import annotations

import pytest
from test_screens import _app, _settle, demo_db  # noqa: F401  (demo_db is a fixture)


@pytest.mark.parametrize("key, screen", [("3", "week"), ("5", "profile")])
def test_screen_in_a_small_terminal(snap_compare, demo_db, key, screen):  # noqa: F811
    async def show(pilot):
        await pilot.press(key)
        await _settle(pilot)
        assert pilot.app.current_mode == screen

    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=show)
