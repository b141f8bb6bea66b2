"""The Insights screen: what the planner has learnt from history (SPEC §2, §3.5, §3.6, §5).

The roller-coaster projection as a chart (the deals now, and the prospecting quota kept) with a
headline that names what the marks under it show; the forecast over one normal cycle with its
commit … best-case range, the goal in wins (and money when set) and the coverage beside the 3×
rule and beside what the user's own win rate asks; the normal cycle and its distribution;
conversion and dwell per bucket with their sources. Computed once per `refresh_data`, never per frame.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from planner.ui.actions import bindings
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from planner.core import text
from planner.core.text import money_whole as money  # totals in whole units
from planner.domain.models import OPEN_BUCKETS, Bucket, Forecast, Insights, Parameter, Projection
from planner.domain.flags import late_part, weeks_after
from planner.domain.parse import PLAIN_MONEY, MoneyStyle
from planner.domain.text import shown_line
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
    "Moves on: the share of closed deals that went on past the bucket — further down the funnel or won, "
    "skipping it counts — rather than being lost from it (a move back up counts neither way). Measured "
    "once 5 deals have an outcome there; the count is in brackets. Median stay: finished stays, measured "
    "from 5; a deal's first stay in the bucket it was added straight into is not one (it began on a day "
    "before you added it), unless you added it on the day of its first contact."
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


def _ratio(value: float, places: int = 1) -> str:
    return text.ratio(value, places) if math.isfinite(value) else "no finite coverage (nothing has passed Above yet)"


def goal_lines(data: Insights, today: date | None = None, money_style: MoneyStyle = PLAIN_MONEY) -> Content:
    """Under the forecast table: the commit … best-case range, the goal in wins (and money), the
    coverage beside the 3× rule and beside what the user's own win rate from Above asks, and what
    is left out because it is expected after the horizon."""
    f = data.forecast
    win_rate = 1 / f.required_coverage if f.required_coverage and math.isfinite(f.required_coverage) else 0.0
    lines = [
        Content.assemble(
            ("Range: ", "bold"), "commit ", (money(f.commit_cents, money_style), "bold"), " (Best Few at full value) … best case ",
            (money(f.best_case_cents, money_style), "bold"), " (Best Few + In); weighted ", (money(f.weighted_value_cents, money_style), "bold"),
        )
    ]
    ahead = f.expected_wins - f.goal_wins
    # Enough decimals that the wins never round onto the goal they fall short of, nor a shortfall to 0.
    p = max(text.decimals(f.expected_wins, f.goal_wins), text.decimals(abs(ahead), 0.0))
    verdict = ((f"{ahead:.{p}f} ahead of the goal", "$text-success") if ahead >= 0
               else (f"{-ahead:.{p}f} short of the goal", "$text-error"))
    lines.append(Content.assemble(
        f"Expected wins in the next {f.horizon_days} days: ", (f"{f.expected_wins:.{p}f}", "bold"),
        f" against a goal of {f.goal_wins:.{p}f} — ", verdict))
    if f.goal_value_cents is not None and f.coverage is not None:
        share = f.weighted_value_cents / f.goal_value_cents if f.goal_value_cents else 0.0
        lines.append(Content.assemble(
            f"Value goal over those days: {money(f.goal_value_cents, money_style)}; the weighted forecast is ",
            (f"{share:.0%}", "bold"), " of it"))
        met = f.weighted_value_cents >= f.goal_value_cents
        style = _coverage_style(f.coverage, f, met)
        p = text.decimals(f.coverage, f.rule_of_thumb, f.required_coverage)  # "2.97×" below 3×, never "3.0×"
        lines.append(Content.assemble(
            "Coverage: ", (text.ratio(f.coverage, p), f"bold {style}"),
            f" ({money(f.pipeline_cents, money_style)} open in the next {f.horizon_days} days against the goal's "
            f"{money(f.goal_value_cents, money_style)}) — the rule of thumb asks {f.rule_of_thumb:g}×, your own win rate "
            f"from Above ({win_rate:.0%}) asks {_ratio(f.required_coverage, p)}"))
        lines += _coverage_note(f.coverage, f, met, "the weighted forecast meets")
    else:
        met = f.expected_wins >= f.goal_wins
        style = _coverage_style(f.coverage_deals, f, met)
        deals = sum(c.count for c in f.categories)
        p = text.decimals(f.coverage_deals, f.rule_of_thumb, f.required_coverage)
        lines.append(Content.assemble(
            "Coverage in deals: ", (text.ratio(f.coverage_deals, p), f"bold {style}"),
            f" ({deals} open deal{'s' if deals != 1 else ''} against {f.goal_wins:.1f} wins wanted) — the rule of "
            f"thumb asks {f.rule_of_thumb:g}×, your own win rate from Above ({win_rate:.0%}) asks "
            f"{_ratio(f.required_coverage, p)}"))
        lines += _coverage_note(f.coverage_deals, f, met, "the expected wins meet")
        lines.append(Content.styled(
            "Set goal_value_per_month (Profile, 5) to forecast and cover the goal in money.", "$text-muted"))
    if f.beyond_count:
        until = text.long_date(today + timedelta(days=f.horizon_days)) if today is not None else \
            f"the {f.horizon_days} days"
        lines.append(Content.styled(
            f"Not counted: {f.beyond_count} deal{'s' if f.beyond_count != 1 else ''} ({money(f.beyond_value_cents, money_style)}) "
            f"expected to close after {until}.", "$text-muted"))
    if f.half_weight:
        lines.append(Content.styled(
            f"{f.half_weight} deal{'s' if f.half_weight != 1 else ''} counted at half weight (close date passed, or "
            f"stale).", "$text-muted"))
    return Content("\n").join(lines)


def _covered(coverage: float, f: Forecast) -> bool:
    return coverage >= min(f.rule_of_thumb, f.required_coverage)


def _coverage_style(coverage: float, f: Forecast, met: bool) -> str:
    """Green when the coverage holds a rule; below both, red, unless the forecast weighted by each
    deal's own chance already meets the goal (a warning, explained by `_coverage_note`)."""
    if _covered(coverage, f):
        return "$text-success"
    return "$text-warning" if met else "$text-error"


def _coverage_note(coverage: float, f: Forecast, met: bool, what: str) -> list[Content]:
    """Coverage below both rules while the forecast meets the goal is no contradiction: the rules
    ask for a pipeline to be won at the rate of new prospects, and most of this one is further down."""
    if _covered(coverage, f) or not met:
        return []
    return [Content.styled(
        f"Below both, yet {what} the goal: the rules count every deal as if it were a new prospect, and your open "
        f"value sits further down the funnel, where more of it is won.", "$text-muted")]


def _quota_clause(p: Projection) -> list[str | tuple[str, str]]:
    if not p.quota:
        return []
    quota = text.prospects_a_week(p.quota)
    if p.first_dry_week_with_quota is None:
        return [" Finding ", (quota, "bold"), " from today fills every week of the chart (░)."]
    if p.first_dry_week_with_quota == p.first_dry_week:
        return [" Even with ", (quota, "bold"), " that week stays below half the goal."]
    return [" With ", (quota, "bold"), f", the first dry week moves to {text.long_date(p.first_dry_week_with_quota)}."]


def projection_sentence(data: Insights, today: date) -> Content:
    """The chart's headline. It names the week marked ▲ under the chart and says what can still
    fill it: prospecting started by a day still ahead, or (too late for that) the In-the-Funnel
    deals that could be pulled forward."""
    p = data.projection
    if p.first_dry_week is None:
        return Content.assemble(
            (f"No week below half your weekly goal in the next {len(p.weeks)} weeks: ", "$text-success"),
            ("every week of the chart is expected to bring at least half the goal.", "$text-success"),
        )
    weeks_away = max(0, (p.first_dry_week - today).days // 7)
    lead = p.lead_days or round(data.cycle.days)
    after = p.dry_run - 1
    them = late_part(p, " them" if after > 0 else " it").strip()
    parts: list[str | tuple[str, str]] = [
        ("First dry week (▲): ", "bold"),
        (f"the week of {text.long_date(p.first_dry_week)}", "bold $text-error"),
        f" (in {weeks_away} week{'s' if weeks_away != 1 else ''})"
        + (f" and {weeks_after(after)}" if after > 0 else "")
        + ", below half your weekly goal. ",
    ]
    if p.prospect_by is not None:
        parts += ["Prospect by ", (text.long_date(p.prospect_by), "bold"),
                  f" to fill it: new prospects take about {lead} days to close."]
    else:
        parts.append((f"Too late for new prospects to fill {them} (about {lead} days to close)", "$text-warning"))
        names = [shown_line(name) for name in data.pull_forward_names[:3]]
        in_play = any(c.count for c in data.forecast.categories if c.bucket is not Bucket.ABOVE)
        if names:
            more = len(p.pull_forward) - len(names)
            parts.append(": pull forward In the Funnel deals expected later — ")
            parts.append(Content(", ".join(names) + (f" and {more} more" if more > 0 else "")))  # user text
            parts.append(".")
        elif in_play:
            parts.append(": no In the Funnel deal is expected later; close what you can sooner.")
        else:
            parts.append(".")
    # Too late, new prospects cannot reach the dip, with the quota or without: what they can still
    # reach is the next dip.
    parts += _next_dip_clause(p) if p.too_late else _quota_clause(p)
    return Content.assemble(*parts)


def _next_dip_clause(p: Projection) -> list[str | tuple[str, str]]:
    """After a dip too near for new prospects: the next dry week they can still reach (△)."""
    if p.next_dry_week is None or p.next_prospect_by is None:
        return []
    parts: list[str | tuple[str, str]] = [
        " The first dry week new prospects can still reach (△) is ",
        (f"the week of {text.long_date(p.next_dry_week)}", "bold"),
        ": prospect by ", (text.long_date(p.next_prospect_by), "bold")]
    later = p.week(p.next_dry_week)
    if later is not None and p.quota:
        parts.append(f" — {text.quota_fills(p.quota, not later.dry_with_quota)}.")
    else:
        parts.append(".")
    return parts


def projection_note(data: Insights) -> Content:
    p = data.projection
    parts = ["Each deal counts its chance of winning in the week it is expected to close; "
             "this week is shown, not judged."]
    if p.half_weight:
        bits = []
        if p.slipped:
            bits.append(f"{p.slipped} whose close date passed (re-dated as if it had none)")
        if p.stale:
            bits.append(f"{p.stale} stale")
        parts.append(f" At half weight: {' and '.join(bits)}.")
    return Content.styled("".join(parts), "$text-muted")


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

    BINDINGS = bindings("insights")

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
            yield Static("", id="insights-projection-note", classes="body")
            yield Static("Forecast over one normal cycle", id="insights-forecast-title", classes="section")
            yield Static("", id="insights-forecast", classes="body")
            yield Static("", id="insights-goal", classes="body")
            yield Static("Normal sales cycle", classes="section")
            yield Static("", id="insights-cycle", classes="body")
            yield Static("", id="insights-histogram", classes="body")
            yield Static("Conversion and time in each bucket", classes="section")
            yield Static("", id="insights-buckets", classes="body")
            yield Static(Content.styled(BUCKETS_NOTE, "$text-muted"), classes="body")
        yield PlannerFooter()

    def on_screen_resume(self) -> None:
        self.refresh_data()
        self.query_one("#insights-body", VerticalScroll).focus()

    def refresh_data(self) -> None:
        if not self.is_mounted:
            return
        from planner.domain.forecast import insights

        core = self.planner.core
        # The distribution is read here, when the screen is shown, one row per range of days.
        data = insights(core.snapshot(), core.status(), core.cycle_distribution())
        self.data = data
        today = core.today
        self.query_one("#insights-header", Static).update(
            Content.assemble(
                (f"Insights · {text.full_date(today)}", "bold"), "  ·  ", f"normal cycle {data.cycle.days:.0f} days"
            )
        )
        self.query_one("#insights-dry", Static).update(projection_sentence(data, today))
        self.query_one("#insights-projection", ProjectionChart).show(data.projection)
        self.query_one("#insights-projection-note", Static).update(projection_note(data))
        f = data.forecast
        self.query_one("#insights-forecast-title", Static).update(
            f"Forecast over one normal cycle: the next {f.horizon_days} days, to "
            f"{text.long_date(today + timedelta(days=f.horizon_days))}")
        self.query_one("#insights-cycle", Static).update(cycle_line(data))
        self.query_one("#insights-histogram", Static).update(bins_histogram(data.distribution))
        self.query_one("#insights-buckets", Static).update(buckets_table(data))
        style = core.snapshot().settings.money_style
        self.query_one("#insights-forecast", Static).update(forecast_table(data, style))
        self.query_one("#insights-goal", Static).update(goal_lines(data, today, style))

    def action_scroll(self, direction: int) -> None:
        body = self.query_one("#insights-body", VerticalScroll)
        if direction > 0:
            body.scroll_down()
        else:
            body.scroll_up()
