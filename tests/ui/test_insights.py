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

        goal = " ".join(text_of(app, "#insights-goal").split())
        f = status.forecast
        assert f"against a goal of {f.goal_wins:.1f}" in goal
        assert f"Coverage in deals: {f.coverage_deals:.1f}×" in goal and "the rule of thumb asks 3×" in goal
        assert f"your own win rate from Above (24%) asks {f.required_coverage:.1f}×" in goal
        assert f"commit {money(f.commit_cents)}" in goal and f"best case {money(f.best_case_cents)}" in goal

        sentence = " ".join(text_of(app, "#insights-dry").split())
        projection = status.projection
        assert projection.first_dry_week is not None
        assert f"{projection.first_dry_week:%a %d %b %Y}" in sentence
        chart = text_of(app, "#insights-projection")
        assert "weekly goal" in chart and "from your deals now" in chart and "new prospects a week" in chart
        assert_marks_match_the_projection(chart, projection)


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


def money(cents: int) -> str:
    from planner.ui.screens.insights import money as shown

    return shown(cents)


def assert_marks_match_the_projection(chart: str, projection: Projection) -> None:
    """The headline names the first dry week: ▲ marks it under the chart (once, plus the legend),
    △ every other week below half the goal (plus the legend)."""
    assert chart.count("▲") == (projection.first_dry_week is not None) + 1
    others = sum(1 for w in projection.weeks if w.dry and w.start != projection.first_dry_week)
    assert chart.count("△") == others + 1


def _projection(wins: list[float], goal: float = 0.5, first_dry: int | None = None,
                with_quota: list[float] | None = None, quota: int = 0) -> Projection:
    start = date(2026, 3, 2)
    extra = with_quota or wins
    weeks = tuple(WeekForecast(start + timedelta(weeks=i), w, goal, max(w, extra[i]), judged=i > 0)
                  for i, w in enumerate(wins))
    first = weeks[first_dry].start if first_dry is not None else None
    return Projection(weeks=weeks, first_dry_week=first, prospect_by=None, quota=quota)


def chart_rows(projection: Projection, width: int = 60) -> tuple[list[str], list[str]]:
    """The chart's rows: the columns (down to the zero line), then the marks, dates and legend."""
    from planner.ui.widgets.chart import projection_lines

    lines = projection_lines(projection, width=width).plain.splitlines()
    zero = next(i for i, line in enumerate(lines) if "┼" in line)
    return lines[: zero + 1], lines[zero + 1:]


def test_projection_chart_marks_dry_weeks_and_draws_the_goal_and_zero_lines():
    projection = _projection([1.0, 0.1, 0.6, 0.0, 0.9], first_dry=1)
    columns, below = chart_rows(projection)
    marks = below[0]  # the row under the columns
    assert marks.count("▲") == 1 and marks.count("△") == 1  # week 2 is the first dry week, week 4 dry too
    assert marks.index("▲") < marks.index("△")
    goal_rows = [line for line in columns if line.startswith(" 0.50 ┤")]
    assert len(goal_rows) == 1 and goal_rows[0].count("─") >= 4  # the goal line, with its value
    assert columns[-1].startswith(" 0.00 ┼") and set(columns[-1][7:]) == {"─"}  # the zero line, whole
    assert "02 Mar" in below[1]


def test_the_goal_line_keeps_a_row_of_its_own_at_any_goal():
    # A goal far under one week's expected wins, and one far over all of them.
    for wins, goal in (([6.0, 0.1, 0.05, 4.0, 0.2], 0.2), ([0.01, 0.02, 0.0, 0.01, 0.03], 5.0)):
        columns, _ = chart_rows(_projection(wins, goal=goal))
        labelled = [i for i, line in enumerate(columns) if line[:6].strip() == f"{goal:.2f}"]
        assert len(labelled) == 1
        row = labelled[0]
        assert 0 < row < len(columns) - 1  # neither the top label's row nor the zero line
        assert "─" in columns[row][7:]
    tall, _ = chart_rows(_projection([6.0, 0.1, 0.05, 4.0, 0.2], goal=0.2))
    assert "↑" in tall[0]  # a week far above the scale is cut and says so


def test_the_second_series_is_drawn_above_the_deals_now():
    projection = _projection([0.0, 0.6, 0.0, 0.0, 0.0], goal=0.5, first_dry=2,
                             with_quota=[0.0, 0.6, 0.0, 0.9, 0.9], quota=4)
    columns, below = chart_rows(projection)
    assert any("░" in line for line in columns)
    legend = "\n".join(below)
    assert "if you find 4 new prospects a week" in legend


def test_projection_chart_fits_any_width_by_merging_weeks():
    from planner.ui.widgets.chart import projection_lines

    projection = _projection([0.2 * (i % 5) for i in range(120)])
    for width in (40, 78, 80, 120):
        content = projection_lines(projection, width=width)
        assert all(len(line) <= width for line in content.plain.splitlines())
    assert "each column" in projection_lines(projection, width=40).plain


def test_cycle_histogram_counts_every_won_deal():
    from planner.ui.widgets.chart import cycle_histogram

    samples = [12, 30, 31, 45, 46, 47, 90, 200]
    lines = cycle_histogram(samples).plain.splitlines()
    assert len(lines) <= 8
    counts = [int(line.split()[-1]) for line in lines if line.split()[-1].isdigit()]
    assert sum(counts) == len(samples)
    assert cycle_histogram([]).plain.startswith("No won deals")


def test_the_headline_never_contradicts_the_marks_under_the_chart():
    """Over random funnels and widths: the week the headline names is the one ▲ marks (its
    column), every other marked week is below half the goal, and "no week below half" comes
    with no mark at all."""
    from hypothesis import example, given, settings, strategies as st

    from planner.domain.forecast import insights
    from planner.domain.models import FunnelSnapshot, History
    from planner.domain.settings import Settings
    from planner.domain.status import analyse
    from planner.ui.screens.insights import projection_sentence
    from planner.ui.widgets.chart import _group, projection_lines

    deals = st.lists(st.tuples(st.sampled_from([Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW]),
                               st.one_of(st.none(), st.integers(-20, 120))), max_size=25)

    @settings(max_examples=60, deadline=None)
    # A dip a cycle away (prospect by), and a dip too near with a later one in reach (C = 20 days).
    @example(deals=[(Bucket.BEST_FEW, 6), (Bucket.BEST_FEW, 13), (Bucket.BEST_FEW, 20)], goal=0.5, cycle=20,
             width=78)
    @example(deals=[(Bucket.BEST_FEW, 13), (Bucket.BEST_FEW, 20)], goal=0.5, cycle=20, width=60)
    @given(deals=deals, goal=st.sampled_from([0.5, 2, 6]), cycle=st.sampled_from([20, 60, 150]),
           width=st.sampled_from([60, 78, 118]))
    def check(deals, goal, cycle, width):
        opps = tuple(Opportunity(f"D{i}", id=i + 1, bucket=b, created_on=TODAY, entered_bucket_on=TODAY,
                                 last_touched_on=TODAY,
                                 expected_close=None if c is None else TODAY + timedelta(days=c))
                     for i, (b, c) in enumerate(deals))
        snap = FunnelSnapshot(today=TODAY, settings=Settings(goal_wins_per_month=goal, cycle_days=cycle),
                              open_deals=opps, history=History())
        status = analyse(snap)
        data = insights(snap, status)
        p = data.projection
        sentence = projection_sentence(data, TODAY).plain
        lines = projection_lines(p, width).plain.splitlines()
        zero = next(i for i, line in enumerate(lines) if "┼" in line)
        marks = lines[zero + 1]
        columns = _group(p.weeks, max(4, width - 7) // 2, p.first_dry_week)
        col = max(2, min(6, max(4, width - 7) // len(columns)))
        if p.first_dry_week is None:
            assert sentence.startswith("No week below half") and "▲" not in marks and "△" not in marks
        else:
            assert f"{p.first_dry_week:%a %d %b %Y}" in sentence and marks.count("▲") == 1
            index = next(i for i, c in enumerate(columns) if c.mark == "first")
            assert marks.index("▲") == 7 + index * col
            assert p.first_dry_week >= columns[index].start
            assert ("Prospect by" in sentence) == (p.prospect_by is not None) != ("Too late" in sentence)
            # After a dip too near for new prospects, the next one they can reach is named with its
            # date (still ahead), and it is a week the chart marks as dry.
            if p.next_dry_week is None:
                assert "new prospects can still reach" not in sentence
            else:
                assert p.too_late and p.next_prospect_by >= TODAY
                assert f"can still reach (△) is the week of {p.next_dry_week:%a %d %b %Y}: prospect by " \
                       f"{p.next_prospect_by:%a %d %b %Y}" in sentence
                later = next(i for i, c in enumerate(columns) if c.start <= p.next_dry_week
                             and (i + 1 == len(columns) or columns[i + 1].start > p.next_dry_week))
                assert marks[7 + later * col] in "▲△"
                seen.add("next")
            seen.add("too late" if p.too_late else "prospect by")

    seen: set[str] = set()
    check()
    assert seen >= {"next", "too late", "prospect by"}  # the random funnels reached every case


def test_coverage_under_the_rules_beside_a_forecast_that_meets_the_goal_is_explained_not_a_contradiction():
    from planner.domain.forecast import insights
    from planner.domain.models import FunnelSnapshot, History
    from planner.domain.settings import Settings
    from planner.domain.status import analyse
    from planner.ui.screens.insights import goal_lines

    def lines(bucket: Bucket) -> str:
        # Goal 20,000 over the 60 days; three deals of 15,000 closing inside them: 2.25× coverage.
        deals = tuple(Opportunity(f"D{i}", id=i, bucket=bucket, value_cents=1_500_000, created_on=TODAY,
                                  entered_bucket_on=TODAY, last_touched_on=TODAY,
                                  expected_close=TODAY + timedelta(days=10 + i)) for i in range(3))
        snap = FunnelSnapshot(today=TODAY, settings=Settings(goal_value_per_month=10_000), open_deals=deals,
                              history=History())
        return " ".join(goal_lines(insights(snap, analyse(snap)), TODAY).plain.split())

    best_few = lines(Bucket.BEST_FEW)  # weighted 36,000: the goal is met
    assert "Coverage: 2.2× (45,000 open" in best_few and "the weighted forecast is 180% of it" in best_few
    assert "Below both, yet the weighted forecast meets the goal" in best_few
    above = lines(Bucket.ABOVE)  # weighted 10,800: short of the goal, nothing to explain away
    assert "Coverage: 2.2×" in above and "Below both" not in above


def test_a_coverage_below_the_rule_is_never_shown_rounded_onto_it():
    """2.97× is below the 3× rule: shown as 2.97×, never "3.0×" beside "Below both"; expected wins
    just short of the goal are never shown equal to it, nor the shortfall as 0."""
    from dataclasses import replace

    from planner.domain.forecast import insights
    from planner.domain.models import FunnelSnapshot, History
    from planner.domain.settings import Settings
    from planner.domain.status import analyse
    from planner.ui.screens.insights import goal_lines

    # Goal 20,000 over the 60 days; three Best Few deals of 19,800 closing inside them: 2.97×.
    deals = tuple(Opportunity(f"D{i}", id=i, bucket=Bucket.BEST_FEW, value_cents=1_980_000, created_on=TODAY,
                              entered_bucket_on=TODAY, last_touched_on=TODAY,
                              expected_close=TODAY + timedelta(days=10 + i)) for i in range(3))
    snap = FunnelSnapshot(today=TODAY, settings=Settings(goal_value_per_month=10_000), open_deals=deals,
                          history=History())
    data = insights(snap, analyse(snap))
    assert data.forecast.coverage == 2.97 and data.forecast.required_coverage > 3
    said = " ".join(goal_lines(data, TODAY).plain.split())
    assert "Coverage: 2.97× (59,400 open" in said and "Below both" in said and "asks 3×" in said
    assert f"asks {data.forecast.required_coverage:.2f}×" in said  # the thresholds in the same precision
    short = replace(data, forecast=replace(data.forecast, expected_wins=3.96, goal_wins=4.0))
    assert "Expected wins in the next 60 days: 3.96 against a goal of 4.00 — 0.04 short of the goal" in " ".join(
        goal_lines(short, TODAY).plain.split())
