"""The Week screen: this week's selling hours, the split, logged time and time blocks (SPEC §2, §5).

The suggested split comes from the allocation (SPEC §3.3) with each bucket's reason; the user's own
split is kept in `settings.user_split` and can be reset to the suggestion. `H` sets the selling
hours of this week only (the normal week stays the `hours_per_week` setting, and both are shown).
`i` writes the time blocks as an iCalendar file, the same bytes as `planner plan --ics`, through the
one file writer (never over the database), or hands them to the browser as a download when the
planner is served. Every change is a use case of the core (`self.app.core`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from planner.ui.actions import bindings
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from planner.core import text
from planner.domain.models import OPEN_BUCKETS, PRIORITY, Allocation, Bucket, OwnSplit, WeekPlan
from planner.domain.settings import SETTING_SPECS, Settings
from planner.domain.text import shown_line
from planner.errors import BadInput
from planner.ui.delivery import in_browser, save_for_user
from planner.ui.widgets.banner import ScreenBar
from planner.ui.widgets.footer import PlannerFooter
from planner.ui.screens.today_forms import Field, FormModal, prompt, refresh_bindings_if_changed, user_errors
from planner.ui.widgets.bars import PlanBars

if TYPE_CHECKING:
    from planner.app import PlannerApp


def parse_split(values: dict[str, str]) -> dict[Bucket, int]:
    """Three whole percentages, keyed by bucket value, that must add up to 100."""
    from planner.core.core import parse_split as parse

    return parse({b: values.get(b.value, "") for b in OPEN_BUCKETS})


def default_ics_path(plan: WeekPlan) -> str:
    return f"~/planner-week-{plan.week_start:%Y-%m-%d}.ics"


def blocks_table(plan: WeekPlan) -> Table:
    """Monday to Friday side by side, each day's blocks in time order."""
    days = [plan.week_start + timedelta(days=i) for i in range(5)]
    table = Table(expand=True, show_lines=False, pad_edge=False, box=None, padding=(0, 1))
    by_day: dict = {d: [] for d in days}
    for block in sorted(plan.blocks, key=lambda b: (b.day, b.start_minute)):
        by_day.setdefault(block.day, []).append(block)
    for day in days:
        table.add_column(Text(text.weekday_date(day), style="bold"), ratio=1, overflow="fold")
    depth = max((len(v) for k, v in by_day.items() if k in days), default=0)
    for row in range(depth):
        cells = []
        for day in days:
            blocks = by_day[day]
            if row < len(blocks):
                b = blocks[row]
                # "09:00–09:45 Best Few" over what to do: the deals by name, else the bucket's work.
                work, _, deals = b.title.partition(" — ")
                cell = Text(f"{text.time_span(b.start_minute, b.minutes)} ", style="bold")
                cell.append(b.bucket.short_label, style="italic")
                cell.append("\n")
                cell.append(Text(shown_line(deals or work.partition(": ")[2] or work)))  # literal text, never markup
                cells.append(cell)
            else:
                cells.append(Text(""))
        table.add_row(*cells)
    return table


def day_line(settings: Settings) -> Content:
    """The blocks' heading with the selling day they are laid out in (Profile's day settings)."""
    end = settings.day_end_hour if settings.day_end_hour > settings.day_start_hour else 24
    day = f"your day {text.clock(settings.day_start_hour * 60)}–{text.clock(end * 60)}"
    if settings.lunch_minutes:
        day += f", lunch {text.time_span(settings.lunch_hour * 60, settings.lunch_minutes)}"
    return Content.assemble("Time blocks, Monday to Friday", ("  ·  " + day, "not bold $text-muted"))


def overload_lines(allocation: Allocation, own: OwnSplit | None, hours: float) -> list[Content]:
    """The overload warning, said of the split in use: the suggestion's proportional cut (or the
    prospecting floor it keeps), or what the user's own split gives each bucket of what it asks."""
    if allocation.overloaded_hours <= 0:
        return []
    asked = allocation.demanded_hours
    head = (f"Overloaded: the funnel asks for {text.hours(asked)} a week, {text.hours(allocation.overloaded_hours)} "
            f"more than your {text.whole_hours(hours)} this week,")
    shares = own if own is not None else allocation
    if own is None and not allocation.floor_binds:
        said = f" so the suggestion gives every bucket {hours / asked:.0%} of what it asks"
    else:
        parts = []
        for bucket in PRIORITY:
            share = shares[bucket]
            part = f"{bucket.short_label} {text.hours(share.hours)} of {text.hours(share.demanded_hours)}"
            if share.demanded_hours > 0:
                part += f" ({min(share.hours / share.demanded_hours, 9.99):.0%})"
            parts.append(part)
        who = "your split gives" if own is not None else "the suggestion keeps the prospecting floor and gives"
        said = f" and {who} {', '.join(parts)}"
    return [Content(f"{head}{said}. Drop poor-fit prospects, move Best Few deals that are not nearly sure back, "
                    "or raise your hours (H).")]


class WeekScreen(Screen):
    """This week's plan: hours, the split and why, logged against planned, time blocks."""

    DEFAULT_CSS = """
    WeekScreen #week-header {
        height: auto;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    WeekScreen #week-overload {
        height: auto;
        padding: 0 1;
        margin: 1 0 0 0;
        background: $warning-muted;
        color: $text-warning;
        display: none;
    }
    WeekScreen #week-overload.overloaded {
        display: block;
    }
    WeekScreen .section {
        height: auto;
        padding: 0 1;
        margin-top: 1;
        text-style: bold;
        color: $text-primary;
    }
    WeekScreen #week-split {
        height: auto;
        margin: 0 1;
    }
    WeekScreen #week-reasons {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    WeekScreen #week-blocks {
        height: auto;
        padding: 0 1;
    }
    """

    BINDINGS = bindings("week")

    def __init__(self) -> None:
        super().__init__()
        self.plan: WeekPlan | None = None

    @property
    def planner(self) -> PlannerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield ScreenBar("week")
        yield Static("", id="week-header")
        with VerticalScroll(id="week-body"):
            yield Static("", id="week-overload")
            yield Static("Split of the week", classes="section")
            yield DataTable(id="week-split", cursor_type="row", zebra_stripes=False)
            yield Static("", id="week-reasons")
            yield Static("Logged against the plan", classes="section")
            yield PlanBars(id="week-bars")
            yield Static("Time blocks, Monday to Friday", id="week-blocks-title", classes="section")
            yield Static("", id="week-blocks")
        yield PlannerFooter()

    def on_mount(self) -> None:
        table = self.query_one("#week-split", DataTable)
        table.add_column("Bucket", key="bucket")
        table.add_column("Asked", key="asked")  # what the bucket's deals ask for a week (SPEC §3.3 D_s)
        table.add_column("Suggested", key="suggested")
        table.add_column("Your split", key="split")
        table.add_column("Planned", key="planned")
        table.add_column("Logged", key="logged")

    def on_screen_resume(self) -> None:
        self.refresh_data()
        self.query_one("#week-split", DataTable).focus()

    # --- data -------------------------------------------------------------------------------

    def refresh_data(self) -> None:
        if not self.is_mounted:
            return
        core = self.planner.core
        snapshot = core.snapshot()
        allocation = core.status().allocation
        plan = core.week_plan()
        self.plan = plan

        logged_total = sum(plan.logged_hours.get(b, 0.0) for b in OPEN_BUCKETS)
        normal = snapshot.settings.hours_per_week
        hours = f"{text.whole_hours(plan.hours)} of selling time"
        if snapshot.week_hours is not None:
            hours += f" this week (normal week {text.whole_hours(normal)})"
        else:
            hours += " (normal week)"
        self.query_one("#week-header", Static).update(
            Content.assemble(
                (f"Week of {text.long_date(plan.week_start)}", "bold"),
                "  ·  ",
                hours,
                "  ·  ",
                f"{text.hours(logged_total)} logged",
                "  ·  ",
                ("your split" if plan.is_custom else "suggested split", "$text-accent"),
            )
        )

        status = core.status()
        own = status.own_split if plan.is_custom else None
        overload = self.query_one("#week-overload", Static)
        warnings = overload_lines(allocation, own, plan.hours)
        warnings += [Content(f.message.rstrip(".") + ".") for f in status.flags
                     if f.code == "split_underserves"] if own else []
        if warnings:
            overload.update(Content("\n").join(warnings))
            overload.add_class("overloaded")
        else:
            overload.update("")
            overload.remove_class("overloaded")

        table = self.query_one("#week-split", DataTable)
        selected = table.cursor_row
        table.clear()
        for bucket in PRIORITY:
            custom = plan.split[bucket] != plan.suggested[bucket]
            short = own is not None and bucket in own.underserved
            table.add_row(
                Text(bucket.label, style="bold"),
                Text(text.hours(allocation[bucket].demanded_hours), justify="right"),
                Text(f"{plan.suggested[bucket]} %", justify="right"),
                Text(f"{plan.split[bucket]} %", justify="right", style="bold" if custom else ""),
                Text(text.hours(plan.planned_hours[bucket]), justify="right", style="bold" if short else ""),
                Text(text.hours(plan.logged_hours.get(bucket, 0.0)), justify="right"),
                key=bucket.value,
            )
        if table.row_count:
            table.move_cursor(row=min(max(selected, 0), table.row_count - 1))

        if own is not None:
            # What the user's own split does to each bucket; the suggestion's reasons under their own heading.
            reasons = [Content.styled("What your split does:", "bold")]
            reasons += [Content(own[b].reason) for b in PRIORITY]
            reasons.append(Content.styled("The suggestion, because:", "bold"))
        else:
            reasons = []
        reasons += [Content(allocation[b].reason) for b in PRIORITY]  # each reason names its bucket
        if allocation.floor_binds:
            floor = allocation[Bucket.ABOVE]
            reasons.append(Content(
                f"The prospecting floor holds: Above the Funnel keeps {floor.percent} % of the week "
                f"({text.hours(floor.hours)}) however full the funnel is below it."))
        reasons.append(Content(f"Prospecting quota: {text.quota_text(allocation)}."))
        if plan.is_custom:
            reasons.append(Content("Your own split is in use: r resets it to the suggestion."))
        self.query_one("#week-reasons", Static).update(Content("\n").join(reasons))

        self.query_one("#week-blocks-title", Static).update(day_line(snapshot.settings))
        self.query_one("#week-bars", PlanBars).show_plan(plan.planned_hours, plan.logged_hours)
        blocks = self.query_one("#week-blocks", Static)
        if plan.blocks:
            blocks.update(blocks_table(plan))
        else:
            blocks.update(Content("No time blocks: set your hours with H."))
        refresh_bindings_if_changed(self, ("reset_split",))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter on a bucket edits the split
        self.action_edit_split()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reset_split":
            return True if self.plan is not None and self.plan.is_custom else None
        return True

    # --- actions ----------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.query_one("#week-split", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#week-split", DataTable).action_cursor_up()

    @user_errors
    def action_hours(self) -> None:
        core = self.planner.core
        spec = SETTING_SPECS["hours_per_week"]
        snapshot = core.snapshot()
        normal = snapshot.settings.hours_per_week

        def apply(value: str) -> None:
            self.planner.commit(lambda: core.set_week_hours(value))

        current = snapshot.week_hours if snapshot.week_hours is not None else normal
        self.app.push_screen(
            prompt(
                "Selling hours available this week",
                f"Hours this week ({spec.minimum:g}–{spec.maximum:g}; 'normal' goes back to your normal "
                f"{text.whole_hours(normal)})",
                apply,
                value=f"{current:g}",
                hint="This week only: your normal week stays hours_per_week (Profile, 5).",
            )
        )

    @user_errors
    def action_edit_split(self) -> None:
        if self.plan is None:
            return
        core = self.planner.core
        plan = self.plan

        def apply(values: dict[str, str]) -> None:
            split = parse_split(values)
            self.planner.commit(lambda: core.set_own_split(split))

        fields = [
            Field(b.value, f"{b.label} % (suggested {plan.suggested[b]} %)", str(plan.split[b])) for b in PRIORITY
        ]
        hint = "Three whole percentages that add up to 100."
        self.app.push_screen(FormModal("Your split of the week", fields, apply, hint=hint))

    @user_errors
    def action_reset_split(self) -> None:
        if self.plan is None or not self.plan.is_custom:
            return
        self.planner.apply(lambda: self.planner.core.set_own_split(None))

    @user_errors
    def action_export_ics(self) -> None:
        if self.plan is None:
            return
        core = self.planner.core
        plan = self.plan

        def export(target: str | None, include_past: bool) -> None:
            count = sum(1 for b in plan.blocks if include_past or b.day >= core.today)
            # In a terminal the core makes the file as it writes it (a path refused writes nothing).
            data = core.week_calendar(include_past=include_past) if in_browser(self.app) else b""
            where = save_for_user(
                self.app, data, filename=Path(default_ics_path(plan)).name,
                mime_type="text/calendar", target=target,
                write=lambda path: core.write_week_calendar(path, include_past=include_past).value,
            )
            left_out = "" if include_past or count == len(plan.blocks) else " (days already past left out)"
            self.notify(f"{count} time block{'s' if count != 1 else ''}{left_out} {where}", markup=False)

        if in_browser(self.app):  # served: a download, not a file on the server's disk
            export(None, False)
            return

        def apply(values: dict[str, str]) -> None:
            answer = values["past"].strip().lower()
            if answer not in ("y", "yes", "n", "no", ""):
                raise BadInput(f"days already past: answer yes or no, not {values['past'].strip()!r}")
            export(values["value"], answer in ("y", "yes"))

        fields = [
            Field("value", "File", default_ics_path(plan)),
            Field("past", "Also the days already past this week? (yes / no)", "no"),
        ]
        hint = "Import it again after changing the plan: the same events are updated, not doubled."
        self.app.push_screen(FormModal("Export this week's time blocks (iCalendar)", fields, apply, hint=hint))
