"""Snapshots of what must be readable whole at 120×40 and at 80×24 (demo data of test_screens, or
a funnel of long titles, Chinese and Greek names and emoji): the Funnel's banner short and tall,
the latest change on the top bar after a move with the deal's warning marks, the empty top, and the
Insights screen's footer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_screens import TODAY, _app, _settle, demo_db, empty_db  # noqa: F401  (fixtures)

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


@pytest.fixture
def world_db(tmp_path, monkeypatch) -> str:
    """Long titles and accounts, Chinese, Greek, Cyrillic, emoji and markup-like text."""
    from planner.domain.models import Bucket, Opportunity
    from planner.store import open_repository

    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())
    monkeypatch.delenv("PLANNER_DB", raising=False)
    path = str(tmp_path / "world.db")
    repo = open_repository(path)
    try:
        for deal in (
            Opportunity("客户 门户网站", account="上海明德咨询有限公司", contact="王小明", value_cents=8_800_000,
                        next_action="打电话给王经理确认预算和时间表", next_action_due=TODAY + timedelta(days=1)),
            Opportunity("Website relaunch for the regional hospital network including patient portal and "
                        "accessibility audit", account="Northern Regional Health Services Cooperative Ltd",
                        value_cents=12_500_000, bucket=Bucket.IN,
                        next_action="Send the accessibility audit proposal with three options",
                        next_action_due=TODAY - timedelta(days=1)),
            Opportunity("🚀 Launch plan 🎉", account="Café Zoë", value_cents=500_000, bucket=Bucket.BEST_FEW,
                        next_action="Call 📞", next_action_due=TODAY),
            Opportunity("[bold]x[/] [red", account="Ακρόπολη Σύμβουλοι", value_cents=1_200_000, bucket=Bucket.IN),
            Opportunity("Данные аналитика", account="ООО Ромашка", value_cents=3_000_000, bucket=Bucket.BEST_FEW,
                        expected_close=TODAY + timedelta(days=180)),
        ):
            repo.add(deal, on=TODAY)
    finally:
        repo.close()
    return path


@pytest.mark.parametrize("size", SIZES)
def test_world_funnel_after_a_move(snap_compare, world_db, size):
    """The Chinese deal moved into In the Funnel: the latest change whole on the top bar, the empty
    top first in the banner, the deal's card marked for each warning the move gave (◌ no buying
    influence covered, ¤ not qualified) once the toasts have gone."""

    async def move(pilot):
        await _settle(pilot)
        await pilot.press("greater_than_sign")
        await _settle(pilot)
        # What stays once the toasts have gone (they time out; tests/ui/test_wide_text.py reads them).
        pilot.app.clear_notifications()
        await _settle(pilot)

    assert snap_compare(_app(world_db), terminal_size=size, run_before=move)


def test_funnel_banner_shows_every_flag_at_80x24(snap_compare, demo_db):  # noqa: F811
    async def expand(pilot):
        await _settle(pilot)
        await pilot.press("exclamation_mark")
        await _settle(pilot)
        assert pilot.app.screen.query_one("#banner").expanded

    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=expand)


def test_empty_funnel_at_80x24(snap_compare, empty_db):  # noqa: F811
    assert snap_compare(_app(empty_db), terminal_size=(80, 24), run_before=_settle)


def test_insights_at_80x24(snap_compare, demo_db):  # noqa: F811
    async def show(pilot):
        await pilot.press("4")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=show)
