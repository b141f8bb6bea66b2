"""One number for the week's prospecting quota (SPEC §3.3: "shown rounded up, the same number
everywhere"): the Funnel, Today and Week screens and `planner status` show the engine's
`prospect_quota`. The funnel below asks for P = 11.000000000000002 new prospects a week, where
rounding up without the engine's care for float noise says 12."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from planner.app import PlannerApp
from planner.cli import run
from planner.core.text import quota_today_text
from planner.domain.allocation import prospect_quota
from planner.domain.models import Opportunity
from planner.domain.status import analyse

from .conftest import TODAY, repository, seed

SIZE = (120, 40)


def _funnel_with_a_noisy_quota(db: str) -> None:
    seed(db, Opportunity("Audit", next_action="Qualify"))
    assert run(["--db", db, "config", "goal_wins_per_month", "6"]) == 0
    assert run(["--db", db, "config", "cycle_days", "42"]) == 0


async def test_every_screen_and_the_cli_show_the_engines_quota(db):
    _funnel_with_a_noisy_quota(db)
    with repository(db) as repo:
        allocation = analyse(repo.snapshot(TODAY)).allocation
    assert allocation.prospects_per_week > 11 and prospect_quota(allocation) == 11

    out = io.StringIO()
    with redirect_stdout(out):
        assert run(["--db", db, "status"]) == 0
    assert "Prospecting quota: 11 new prospects this week" in out.getvalue()
    with repository(db) as repo:
        quota = analyse(repo.snapshot(TODAY)).quota
    said = quota_today_text(quota)  # today's share and the week's progress, in one wording
    assert f"\n  {said}\n" in out.getvalue()

    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert "Prospects this week 1 of 11" in str(app.screen.query_one("#funnel-status").render())
        await pilot.press("2")
        await pilot.pause()
        agenda = [str(getattr(o.prompt, "plain", o.prompt)) for o in app.screen.query_one("#today-agenda").options]
        assert any("1 of 11 new prospects this week" in line for line in agenda), agenda
        assert any(said in line for line in agenda), agenda  # the very sentence `planner status` prints
        await pilot.press("3")
        await pilot.pause()
        assert "Prospecting quota: 11 new prospects this week" in str(app.screen.query_one("#week-reasons").render())
