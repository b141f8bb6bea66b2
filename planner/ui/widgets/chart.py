"""Text charts of the Insights screen, drawn with block characters (no plotting dependency).

`cycle_histogram` shows how long won deals took; `projection_lines` draws the roller-coaster
projection (SPEC §3.5): expected wins per week from the deals in the funnel now as solid columns,
what keeping the prospecting quota adds stacked on them as shade, the goal as a line across and
zero as the base line, dry weeks marked under them.
Both are pure functions of their data and a width, so they are computed once per refresh and
drawn again only when the width changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from textual.content import Content
from textual.widget import Widget

from planner.core.text import prospects_a_week
from planner.domain.forecast import cycle_bin_edges
from planner.domain.models import CycleBin, Projection, WeekForecast

EIGHTHS = " ▁▂▃▄▅▆▇█"


def cycle_histogram(samples: Sequence[int], width: int = 40, max_bins: int = 8) -> Content:
    """Won deals' cycle lengths in days, grouped into at most `max_bins` ranges, one line each."""
    if not samples:
        return bins_histogram((), width)
    edges = cycle_bin_edges(min(samples), max(samples), max_bins)
    return bins_histogram([CycleBin(a, b, sum(1 for s in samples if a <= s <= b)) for a, b in edges], width)


def bins_histogram(bins: Sequence[CycleBin], width: int = 40) -> Content:
    """The cycle distribution as counted by the store (`Core.cycle_distribution`), one line a range."""
    if not bins:
        return Content.styled("No won deals with a first-contact date yet.", "$text-muted")
    counts = [b.count for b in bins]
    edges = [(b.low, b.high) for b in bins]
    top = max(counts)
    label_width = max(len(f"{a}–{b} d") if a != b else len(f"{a} d") for a, b in edges)
    bar_width = max(5, width - label_width - 8)
    lines = []
    for (a, b), n in zip(edges, counts):
        label = f"{a}–{b} d" if a != b else f"{a} d"
        cells = n / top * bar_width if top else 0
        full = int(cells)
        part = "" if full >= bar_width else " ▏▎▍▌▋▊▉"[int((cells - full) * 8)].strip()
        lines.append(
            Content.assemble(
                (f"{label:>{label_width}} ", "$text-muted"),
                ("█" * full + part, "$accent"),
                f" {n}" if n else "",
            )
        )
    return Content("\n").join(lines)


@dataclass(frozen=True, slots=True)
class _Column:
    start: date
    wins: float  # from the deals in the funnel now
    with_quota: float  # if the quota is kept (at least `wins`)
    goal: float
    mark: str  # "first": holds the first dry week; "dry": a week below half the goal; "": neither
    judged: bool


def _group(weeks: Sequence[WeekForecast], columns: int, first_dry: date | None) -> list[_Column]:
    """Weeks merged k at a time when there are more weeks than columns (their wins and goals
    summed), so every week stays in the picture."""
    k = max(1, math.ceil(len(weeks) / max(1, columns)))
    out = []
    for i in range(0, len(weeks), k):
        chunk = weeks[i : i + k]
        mark = "first" if any(w.start == first_dry for w in chunk) else "dry" if any(w.dry for w in chunk) else ""
        out.append(_Column(chunk[0].start, sum(w.expected_wins for w in chunk),
                           sum(max(w.with_quota, w.expected_wins) for w in chunk), sum(w.goal for w in chunk),
                           mark, any(w.judged for w in chunk)))
    return out


#: The scale never runs above this many goals, so the goal line keeps a row of its own whatever the
#: goal and however many wins one week expects (a taller column is cut, with ↑ on top).
_MAX_GOALS_SHOWN = 3.0
AXIS = 7  # "0.47 ┤" and a space


def projection_lines(projection: Projection, width: int, height: int = 8) -> Content:
    """The roller-coaster chart in `width` cells: one column per week (or per few weeks), █ the
    expected wins from the deals in the funnel now (red where the week is below half the goal),
    ░ what keeping the prospecting quota from today adds, ─ the weekly goal across the chart and
    the zero line at its foot. Under the columns, ▲ marks the first dry week (the one the headline
    names) and △ every other week below half the goal; the current week is not judged (SPEC §3.5)."""
    weeks = projection.weeks
    if not weeks:
        return Content.styled("Nothing to project yet.", "$text-muted")
    room = max(4, width - AXIS)
    columns = _group(weeks, room // 2, projection.first_dry_week)
    col = max(2, min(6, room // len(columns)))
    bar = col - 1
    goal = max(c.goal for c in columns)
    tallest = max(max(c.with_quota for c in columns), goal)
    top = min(tallest, _MAX_GOALS_SHOWN * goal) if goal > 0 else tallest
    top = max(top, 2 * goal, 1e-9) * 1.1
    per_row = top / height
    goal_row = min(height - 1, max(0, int(goal / per_row)))

    lines: list[Content] = []
    for row in range(height - 1, -1, -1):
        if row == height - 1:
            label = f"{top:5.2f} ┤"
        elif row == goal_row:
            label = f"{goal:5.2f} ┤"
        else:
            label = "      │"
        parts: list[str | tuple[str, str]] = [(label, "$text-muted")]
        for c in columns:
            solid = max(0.0, min(1.0, c.wins / per_row - row))
            shaded = max(0.0, min(1.0, c.with_quota / per_row - row))
            colour = "$text-muted" if not c.judged else "$error" if c.mark else "$success"
            if row == height - 1 and c.with_quota > top:
                cell: tuple[str, str] = ("↑" * bar, "bold " + colour)
            elif solid >= 1.0:
                cell = ("█" * bar, colour)
            elif solid >= 1 / 16:
                cell = (EIGHTHS[max(1, round(solid * 8))] * bar, colour)
            elif shaded >= 0.5:
                cell = ("░" * bar, "$accent")
            elif row == goal_row:
                cell = ("─" * bar, "$warning")
            else:
                cell = (" " * bar, "")
            parts.append(cell)
            parts.append(("─", "$warning") if row == goal_row else " ")
        lines.append(Content.assemble(*parts))
    # The zero line: every column stands on it, so a week expecting nothing reads as zero.
    lines.append(Content.assemble((f"{0:5.2f} ┼", "$text-muted"), ("─" * (col * len(columns)), "$text-muted")))

    marks: list[str | tuple[str, str]] = [" " * AXIS]
    for c in columns:
        if c.mark == "first":
            marks.append(("▲".ljust(col), "bold $text-error"))
        elif c.mark == "dry":
            marks.append(("△".ljust(col), "$text-warning"))
        else:
            marks.append(" " * col)
    lines.append(Content.assemble(*marks))

    # Dates under the columns wherever a label fits without touching the previous one.
    label_row = [" "] * (AXIS + col * len(columns) + 8)
    next_free = 0
    for i, c in enumerate(columns):
        x = AXIS + i * col
        text = f"{c.start:%d %b}"
        if x >= next_free and x + len(text) <= len(label_row):
            label_row[x : x + len(text)] = list(text)
            next_free = x + len(text) + 1
    lines.append(Content.styled("".join(label_row).rstrip()[:width], "$text-muted"))
    lines.extend(_legend(projection, len(weeks), len(columns), width))
    return Content("\n").join(lines)


def _legend(projection: Projection, weeks: int, columns: int, width: int) -> list[Content]:
    quota = projection.quota
    items: list[Content] = [
        Content.assemble(("█", "$success"), " from your deals now"),
        Content.assemble(("░", "$accent"), f" if you find {prospects_a_week(quota)}")
        if quota else Content(""),
        Content.assemble(("─", "$warning"), " weekly goal"),
        Content.assemble(("▲", "$text-error"), " first dry week"),
        Content.assemble(("△", "$text-warning"), " below half the goal"),
    ]
    if columns < weeks:
        items.append(Content.styled(f"each column: {math.ceil(weeks / columns)} weeks", "$text-muted"))
    # As many items on a line as fit the width, the rest on the next line.
    lines: list[Content] = []
    current: list[Content] = []
    used = AXIS
    for item in (i for i in items if i.plain):
        size = len(item.plain) + 2
        if current and used + size > width:
            lines.append(Content(" " * AXIS) + Content("  ").join(current))
            current, used = [], AXIS
        current.append(item)
        used += size
    if current:
        lines.append(Content(" " * AXIS) + Content("  ").join(current))
    return lines


class ProjectionChart(Widget):
    """The roller-coaster chart; redraws only when its projection or its width changes."""

    DEFAULT_CSS = """
    ProjectionChart {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, chart_height: int = 8) -> None:
        super().__init__(id=id)
        self._projection: Projection | None = None
        self._chart_height = chart_height
        self._cache: tuple[int, Content] | None = None

    def show(self, projection: Projection) -> None:
        self._projection = projection
        self._cache = None
        self.refresh(layout=True)

    def _content(self, width: int) -> Content:
        if self._projection is None:
            return Content("")
        if self._cache is None or self._cache[0] != width:
            self._cache = (width, projection_lines(self._projection, width, self._chart_height))
        return self._cache[1]

    def get_content_height(self, container, viewport, width: int) -> int:
        if self._projection is None:
            return 1
        return len(self._content(width).plain.split("\n"))

    def render(self) -> Content:
        return self._content(self.content_region.width or self.size.width)
