"""The Insights screen (SPEC §2 "Insights", §3.4, §5) and its text charts.

The `fixed_today` and `db` fixtures come from tests/ui/conftest.py (today is Wed 2026-03-04).
"""

from __future__ import annotations

from datetime import date, timedelta

from planner.domain.models import Bucket, Influence, Opportunity, Projection, Role, WeekForecast
from .conftest import repository

TODAY = date(2026, 3, 4)


def seed_history(path: str) -> None:
    """Three won deals (cycles 30, 40 and 50 days, so C = 40 measured) and an open funnel."""
    economic = (Influence("Lee", Role.ECONOMIC, covered=True),)
    with repository(path) as repo:
        for days, closed in ((30, 60), (40, 50), (50, 40)):
            first = TODAY - timedelta(days=closed + days)
            deal = repo.add(Opportunity(f"Won {days}", bucket=Bucket.BEST_FEW, first_contact=first,
                                        influences=economic), on=first)
            repo.move(deal, Bucket.WON, on=TODAY - timedelta(days=closed))
        repo.add(Opportunity("Commit deal 中文", bucket=Bucket.BEST_FEW, value_cents=1_200_000,
                             expected_close=TODAY + timedelta(days=10), influences=economic), on=TODAY)
        repo.add(Opportunity("[bold]x[/] [red", bucket=Bucket.IN, value_cents=500_000, influences=economic), on=TODAY)
        repo.add(Opportunity("Prospect 🎉", bucket=Bucket.ABOVE, value_cents=300_000), on=TODAY)


def text_of(app, selector: str) -> str:
    widget = app.screen.query_one(selector)
    strips = widget.render_lines(widget.region.reset_offset)
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


async def open_insights(pilot) -> None:
    await pilot.press("4")
    await pilot.pause()


async def test_insights_show_cycle_conversion_forecast_and_projection(db):
    from planner.app import PlannerApp

    seed_history(db)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_insights(pilot)
        status = app.core.status()
        assert status.cycle.source == "measured" and status.cycle.days == 40
        assert "40 days — median of 3 won deals" in text_of(app, "#insights-cycle")
        histogram = text_of(app, "#insights-histogram")
        assert sum(int(line.split()[-1]) for line in histogram.splitlines() if line.split()[-1].isdigit()) == 3

        buckets = text_of(app, "#insights-buckets")
        assert "Best Few" in buckets and "In the Funnel" in buckets and "Above the Funnel" in buckets
        assert "default" in buckets  # too little history: each rate says where it comes from
        for bucket in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW):
            assert f"{status.parameters.pass_rate[bucket].value:.0%}" in buckets

        forecast = text_of(app, "#insights-forecast")
        lines = {line.split()[0]: line for line in forecast.splitlines() if line.strip()}
        assert "12,000" in lines["commit"] and "5,000" in lines["best"] and "3,000" in lines["pipeline"]
        commit = status.forecast.categories[0]
        assert commit.name == "commit" and f"{commit.win_probability:.0%}" in lines["commit"]
        assert f"{status.forecast.expected_wins:.1f}" in lines["total"]

        goal = text_of(app, "#insights-goal")
        assert f"against a goal of {status.forecast.goal_wins:.1f}" in goal
        assert f"{status.forecast.coverage:.1f}×" in goal and "3× rule of thumb" in goal

        sentence = text_of(app, "#insights-dry")
        projection = status.projection
        if projection.first_dry_week is not None:
            assert f"{projection.first_dry_week:%a %d %b %Y}" in sentence
        else:
            assert "No dry stretch" in sentence
        chart = text_of(app, "#insights-projection")
        assert "goal" in chart and "expected wins per week" in chart
        assert chart.count("▲") == (projection.first_dry_week is not None) + 1  # +1: the legend
        assert chart.count("△") == sum(1 for w in projection.weeks if w.dry and w.start != projection.first_dry_week) + 1


async def test_empty_history_says_where_numbers_come_from_and_names_the_dry_week(db):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_insights(pilot)
        assert "60 days — your setting" in text_of(app, "#insights-cycle")
        assert "No won deals" in text_of(app, "#insights-histogram")
        projection = app.core.status().projection
        assert projection.first_dry_week is not None  # an empty funnel runs dry
        sentence = text_of(app, "#insights-dry")
        assert "First dry week" in sentence and f"{projection.first_dry_week:%d %b %Y}" in sentence
        for line in text_of(app, "#insights-projection").splitlines():
            assert len(line) <= 80
        await pilot.press("j", "j", "k")  # scrolls; no traceback


async def test_insights_follow_changes_made_while_shown(db):
    from planner.app import PlannerApp
    from planner.ui.screens.insights import InsightsScreen

    seed_history(db)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_insights(pilot)
        screen = app.screen
        assert isinstance(screen, InsightsScreen)
        before = screen.data.forecast.categories[0].count
        app.apply(lambda: app.core.add(Opportunity("Another", bucket=Bucket.BEST_FEW)))
        await pilot.pause()
        assert screen.data.forecast.categories[0].count == before + 1
        commit = next(line for line in text_of(app, "#insights-forecast").splitlines() if line.strip().startswith("commit"))
        assert f" {before + 1} " in commit


def _projection(wins: list[float], goal: float = 0.5, first_dry: int | None = None) -> Projection:
    start = date(2026, 3, 2)
    weeks = tuple(WeekForecast(start + timedelta(weeks=i), w, goal) for i, w in enumerate(wins))
    first = weeks[first_dry].start if first_dry is not None else None
    return Projection(weeks=weeks, first_dry_week=first, prospect_by=None)


def test_projection_chart_marks_dry_weeks_and_draws_the_goal_line():
    from planner.ui.widgets.chart import projection_lines

    projection = _projection([1.0, 0.1, 0.6, 0.0, 0.9], first_dry=3)
    lines = projection_lines(projection, width=60).plain.splitlines()
    marks = lines[-3]  # the row under the columns
    assert marks.count("△") == 1 and marks.count("▲") == 1  # week 2 is below half the goal, week 4 opens the dry stretch
    assert marks.index("△") < marks.index("▲")
    assert any("─" in line for line in lines[:-3])  # the goal line
    assert "02 Mar" in lines[-2]
    tallest = max(range(5), key=lambda i: projection.weeks[i].expected_wins)
    assert tallest == 0


def test_projection_chart_fits_any_width_by_merging_weeks():
    from planner.ui.widgets.chart import projection_lines

    projection = _projection([0.2 * (i % 5) for i in range(120)])
    for width in (40, 80, 120):
        content = projection_lines(projection, width=width)
        assert all(len(line) <= width for line in content.plain.splitlines()[:-1])
    assert "each column" in projection_lines(projection, width=40).plain


def test_cycle_histogram_counts_every_won_deal():
    from planner.ui.widgets.chart import cycle_histogram

    samples = [12, 30, 31, 45, 46, 47, 90, 200]
    lines = cycle_histogram(samples).plain.splitlines()
    assert len(lines) <= 8
    counts = [int(line.split()[-1]) for line in lines if line.split()[-1].isdigit()]
    assert sum(counts) == len(samples)
    assert cycle_histogram([]).plain.startswith("No won deals")
