"""Text charts of the Insights screen, drawn with block characters (no plotting dependency).

`cycle_histogram` shows how long won deals took; `projection_lines` draws the roller-coaster
projection (SPEC §3.4): expected wins per week as columns against the goal line, dry weeks marked.
Both are pure functions of their data and a width, so they are computed once per refresh and
drawn again only when the width changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from textual.content import Content
from textual.widget import Widget

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


def _group(weeks: Sequence[WeekForecast], columns: int, first_dry: date | None) -> list[tuple[date, float, float, str]]:
    """Weeks merged k at a time when there are more weeks than columns: (start, wins, goal, mark)
    where mark is "first" for the column holding the first dry week, "dry" for a week below half
    the goal, "" otherwise."""
    k = max(1, math.ceil(len(weeks) / max(1, columns)))
    out = []
    for i in range(0, len(weeks), k):
        chunk = weeks[i : i + k]
        wins = sum(w.expected_wins for w in chunk)
        goal = sum(w.goal for w in chunk)
        mark = "first" if any(w.start == first_dry for w in chunk) else "dry" if any(w.dry for w in chunk) else ""
        out.append((chunk[0].start, wins, goal, mark))
    return out


def projection_lines(projection: Projection, width: int, height: int = 8) -> Content:
    """Expected wins per week as columns, the goal as a line across. Under the columns, △ marks a
    week below half the goal and ▲ the first dry week: the one that opens a dry stretch, as the
    projection judges it (SPEC §3.4)."""
    weeks = projection.weeks
    if not weeks:
        return Content.styled("Nothing to project yet.", "$text-muted")
    axis = 7  # "0.50 ┤"
    room = max(4, width - axis - 1)
    groups = _group(weeks, room // 2, projection.first_dry_week)
    col = max(1, min(6, room // len(groups)))
    bar = max(1, col - 1)
    top = max(max(g[1] for g in groups), max(g[2] for g in groups), 1e-9) * 1.15
    goal_level = groups[0][2] / top * height if groups else 0.0
    goal_row = min(height - 1, int(goal_level))

    lines: list[Content] = []
    for row in range(height - 1, -1, -1):
        if row == height - 1:
            label = f"{top:5.2f} ┤"
        elif row == goal_row:
            label = f"{groups[0][2]:5.2f} ┤"
        elif row == 0:
            label = f"{0:5.2f} ┤"
        else:
            label = "      │"
        parts: list[str | tuple[str, str]] = [(label, "$text-muted")]
        for _start, wins, goal, mark in groups:
            level = wins / top * height
            fill = max(0.0, min(1.0, level - row))
            char = EIGHTHS[round(fill * 8)]
            own_goal_row = min(height - 1, int(goal / top * height))
            if row == own_goal_row and fill < 1.0 and char in (" ", EIGHTHS[1], EIGHTHS[2]):
                parts.append(("─" * col, "$warning"))
                continue
            parts.append((char * bar, "$error" if mark else "$success"))
            parts.append(" " * (col - bar))
        lines.append(Content.assemble(*parts))

    marks: list[str | tuple[str, str]] = [" " * axis]
    for _start, _wins, _goal, mark in groups:
        if mark == "first":
            marks.append(("▲".ljust(col), "bold $text-error"))
        elif mark == "dry":
            marks.append(("△".ljust(col), "$text-warning"))
        else:
            marks.append(" " * col)
    lines.append(Content.assemble(*marks))

    # Dates under the columns wherever a label fits without touching the previous one.
    label_row = [" "] * (axis + col * len(groups) + 8)
    next_free = 0
    for i, (start, *_rest) in enumerate(groups):
        x = axis + i * col
        text = f"{start:%d %b}"
        if x >= next_free and x + len(text) <= len(label_row):
            label_row[x : x + len(text)] = list(text)
            next_free = x + len(text) + 1
    lines.append(Content.styled("".join(label_row).rstrip(), "$text-muted"))
    legend = Content.assemble(
        " " * axis,
        ("█", "$success"),
        " expected wins per week  ",
        ("─", "$warning"),
        " goal  ",
        ("△", "$text-warning"),
        " below half the goal  ",
        ("▲", "$text-error"),
        " first dry week",
    )
    if len(groups) < len(weeks):
        legend = legend + Content.styled(f"  (each column: {math.ceil(len(weeks) / len(groups))} weeks)", "$text-muted")
    lines.append(legend)
    return Content("\n").join(lines)


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
