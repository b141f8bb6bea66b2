"""The Insights screen: what the planner has learnt from history (SPEC §2, §3.4, §5).

Normal cycle and its distribution, conversion and dwell per bucket with their sources, the
weighted forecast by category against the goal, coverage beside the 3× rule of thumb, and the
roller-coaster projection as a chart. Computed once per `refresh_data`, never per frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from planner.domain.models import OPEN_BUCKETS, Insights, Parameter
from planner.domain.parse import PLAIN_MONEY, MoneyStyle
from planner.ui.widgets.banner import ScreenBar
from planner.ui.widgets.footer import PlannerFooter
from planner.ui.widgets.chart import ProjectionChart, bins_histogram

if TYPE_CHECKING:
    from planner.app import PlannerApp


def source_label(parameter: Parameter) -> str:
    """Where a rate or a stay comes from: "measured (67)" (finished stays counted), "your setting",
    "default"."""
    if parameter.source == "measured":
        return f"measured ({parameter.samples})"
    if parameter.source == "setting":
        return "your setting"
    return "default"


def money(cents: int, style: MoneyStyle = PLAIN_MONEY) -> str:
    from planner.ui.widgets.bucket_list import money as shown

    return shown(round(cents / 100) * 100, style)  # whole units: a forecast has no cents


def cycle_line(data: Insights) -> Content:
    cycle = data.cycle
    line = Content.assemble((f"{cycle.days:.0f} days", "bold"), f" — {cycle.description}")
    if cycle.source != "measured":
        n = cycle.samples
        line = line + Content.styled(
            f" (measured once 3 won deals have a first-contact date; {n} so far)", "$text-muted"
        )
    return line


def buckets_table(data: Insights) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, header_style="bold")
    table.add_column("Bucket", no_wrap=True)
    table.add_column("Moves on", justify="right", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("Median stay", justify="right", no_wrap=True)
    table.add_column("source", no_wrap=True)
    for bucket in OPEN_BUCKETS:
        stats = data.buckets[bucket]
        table.add_row(
            Text(bucket.label),
            Text(f"{stats.conversion.value:.0%}"),
            Text(source_label(stats.conversion), style="dim"),
            Text(f"{stats.dwell_days.value:.0f} days"),
            Text(source_label(stats.dwell_days), style="dim"),
        )
    return table


BUCKETS_NOTE = (
    "Moves on: the share of finished stays that went on to the next bucket (from Best Few: won). "
    "Measured once a bucket has 5 finished stays; the count is in brackets."
)


def forecast_table(data: Insights, style: MoneyStyle = PLAIN_MONEY) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, header_style="bold", show_footer=True)
    f = data.forecast
    table.add_column("Category", footer=Text("total", style="bold"))
    table.add_column("Bucket")
    table.add_column("Deals", justify="right", footer=Text(str(sum(c.count for c in f.categories))))
    table.add_column("Value", justify="right", footer=Text(money(sum(c.value_cents for c in f.categories), style)))
    table.add_column("Win chance", justify="right")
    table.add_column("Weighted", justify="right", footer=Text(money(f.weighted_value_cents, style), style="bold"))
    table.add_column("Exp. wins", justify="right", footer=Text(f"{f.expected_wins:.1f}", style="bold"))
    for c in f.categories:
        table.add_row(
            Text(c.name, style="bold"),
            Text(c.bucket.label),
            Text(str(c.count)),
            Text(money(c.value_cents, style)),
            Text(f"{c.win_probability:.0%}"),
            Text(money(c.weighted_value_cents, style)),
            Text(f"{c.expected_wins:.1f}"),
        )
    return table


def goal_lines(data: Insights) -> Content:
    f = data.forecast
    ahead = f.expected_wins - f.goal_wins
    verdict = (
        (f"{ahead:.1f} ahead of the goal", "$text-success")
        if ahead >= 0
        else (f"{-ahead:.1f} short of the goal", "$text-error")
    )
    first = Content.assemble(
        "Expected wins in the next ",
        f"{f.horizon_days} days: ",
        (f"{f.expected_wins:.1f}", "bold"),
        f" against a goal of {f.goal_wins:.1f} — ",
        verdict,
    )
    coverage_style = "$text-success" if f.coverage >= 1 else "$text-error"
    second = Content.assemble(
        "Coverage from your own conversion rates: ",
        (f"{f.coverage:.1f}×", f"bold {coverage_style}"),
        " (the funnel as it stands yields this share of the wins wanted; 1.0× meets the goal)",
    )
    open_count = sum(c.count for c in f.categories)
    thumb_style = "$text-success" if f.rule_of_thumb_coverage >= 1 else "$text-warning"
    third = Content.assemble(
        "3× rule of thumb: ",
        (f"{f.rule_of_thumb_coverage:.1f}×", f"bold {thumb_style}"),
        f" ({open_count} open deals against the {3 * f.goal_wins:.1f} it asks for, 3 × {f.goal_wins:.1f} wins wanted)",
    )
    return Content("\n").join([first, second, third])


def projection_sentence(data: Insights, today) -> Content:
    p = data.projection
    if p.first_dry_week is None:
        return Content.styled(
            "No dry stretch ahead: every month of the coming cycle is expected to bring at least half the goal.",
            "$text-success",
        )
    weeks_away = max(0, (p.first_dry_week - today).days // 7)
    parts: list[str | tuple[str, str]] = [
        ("First dry week: ", "bold"),
        (f"the week of {p.first_dry_week:%a %d %b %Y}", "bold $text-error"),
        f" (in {weeks_away} weeks). ",
    ]
    if p.prospect_by is not None:
        if p.prospect_by < today:
            parts.append(("Too late for new prospects to fill it: prospect now for the weeks after.", "$text-warning"))
        else:
            parts.append(f"Prospect by {p.prospect_by:%a %d %b %Y} to fill it.")
    return Content.assemble(*parts)


class InsightsScreen(Screen):
    """Cycle, conversion, forecast and the roller-coaster projection."""

    DEFAULT_CSS = """
    InsightsScreen #insights-header {
        height: auto;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    InsightsScreen .section {
        height: auto;
        padding: 0 1;
        margin-top: 1;
        text-style: bold;
        color: $text-primary;
    }
    InsightsScreen .body {
        height: auto;
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: Insights | None = None

    @property
    def planner(self) -> PlannerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield ScreenBar("insights")
        yield Static("", id="insights-header")
        with VerticalScroll(id="insights-body"):
            yield Static("Roller-coaster projection: expected wins per week", classes="section")
            yield Static("", id="insights-dry", classes="body")
            yield ProjectionChart(id="insights-projection")
            yield Static("Normal sales cycle", classes="section")
            yield Static("", id="insights-cycle", classes="body")
            yield Static("", id="insights-histogram", classes="body")
            yield Static("Conversion and time in each bucket", classes="section")
            yield Static("", id="insights-buckets", classes="body")
            yield Static(Content.styled(BUCKETS_NOTE, "$text-muted"), classes="body")
            yield Static("Forecast against the goal", classes="section")
            yield Static("", id="insights-forecast", classes="body")
            yield Static("", id="insights-goal", classes="body")
        yield PlannerFooter()

    def on_screen_resume(self) -> None:
        self.refresh_data()
        self.query_one("#insights-body", VerticalScroll).focus()

    def refresh_data(self) -> None:
        if not self.is_mounted:
            return
        from planner.domain.forecast import insights

        app = self.planner
        # The distribution is read here, when the screen is shown, one row per range of days.
        data = insights(app.snapshot(), app.status(), app.repo.cycle_distribution())
        self.data = data
        today = app.today
        self.query_one("#insights-header", Static).update(
            Content.assemble(
                (f"Insights · {today:%A %d %B %Y}", "bold"), "  ·  ", f"normal cycle {data.cycle.days:.0f} days"
            )
        )
        self.query_one("#insights-dry", Static).update(projection_sentence(data, today))
        self.query_one("#insights-projection", ProjectionChart).show(data.projection)
        self.query_one("#insights-cycle", Static).update(cycle_line(data))
        self.query_one("#insights-histogram", Static).update(bins_histogram(data.distribution))
        self.query_one("#insights-buckets", Static).update(buckets_table(data))
        self.query_one("#insights-forecast", Static).update(forecast_table(data, app.snapshot().settings.money_style))
        self.query_one("#insights-goal", Static).update(goal_lines(data))

    def action_scroll(self, direction: int) -> None:
        body = self.query_one("#insights-body", VerticalScroll)
        if direction > 0:
            body.scroll_down()
        else:
            body.scroll_up()
