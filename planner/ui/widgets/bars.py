"""Horizontal bars of the Week screen: time logged per bucket against the plan.

Drawn with block characters into `Content`, so they need nothing beyond Textual and stay aligned
at any width. Colours are theme variables only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.content import Content
from textual.widget import Widget

from planner.core.text import hours
from planner.domain.models import PRIORITY, Bucket

FULL = "█"
PLANNED = "░"


def plan_bar(logged: float, planned: float, scale: float, width: int) -> Content:
    """One bar `width` cells wide at `scale` hours per full width: logged time filled, the rest of
    the plan shaded, time logged beyond the plan in the warning colour."""
    if scale <= 0 or width <= 0:
        return Content(" " * max(width, 0))

    def cells(hours: float) -> int:
        return max(0, min(width, round(hours / scale * width)))

    done = cells(min(logged, planned))
    plan = cells(planned)
    over = cells(logged) - plan if logged > planned else 0
    if logged > 0 and done == 0 and over <= 0:
        done = 1  # a little logged time still shows
    rest = max(0, plan - done)
    blank = max(0, width - done - rest - over)
    return Content.assemble(
        (FULL * done, "$success"),
        (PLANNED * rest, "$primary-muted"),
        (FULL * over, "$warning"),
        " " * blank,
    )


def plan_lines(
    planned: Mapping[Bucket, float],
    logged: Mapping[Bucket, float],
    width: int = 30,
    buckets: Sequence[Bucket] = PRIORITY,
) -> Content:
    """All buckets' bars, one line each, with the numbers beside them."""
    scale = max([planned.get(b, 0.0) for b in buckets] + [logged.get(b, 0.0) for b in buckets] + [0.0])
    label_width = max(len(b.label) for b in buckets)
    lines = []
    for bucket in buckets:
        p, lg = planned.get(bucket, 0.0), logged.get(bucket, 0.0)
        status = f"{hours(lg)} logged of {hours(p)} planned"
        if lg > p + 0.05:
            status += f" (+{hours(lg - p)})"
        lines.append(
            Content.assemble(
                (f"{bucket.label:<{label_width}}  ", "bold"),
                plan_bar(lg, p, scale, width),
                "  ",
                status,
            )
        )
    legend = Content.assemble(
        " " * (label_width + 2),
        (FULL, "$success"),
        " logged  ",
        (PLANNED, "$primary-muted"),
        " still planned  ",
        (FULL, "$warning"),
        " beyond the plan",
    )
    return Content("\n").join([*lines, legend])


class PlanBars(Widget):
    """Planned against logged hours per bucket, in priority order; the bars shrink on a narrow
    terminal so each bucket stays on one line."""

    DEFAULT_CSS = """
    PlanBars {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hours: tuple[Mapping[Bucket, float], Mapping[Bucket, float]] | None = None

    def show_plan(self, planned: Mapping[Bucket, float], logged: Mapping[Bucket, float]) -> None:
        self._hours = (dict(planned), dict(logged))
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(PRIORITY) + 1 if self._hours else 1

    def render(self) -> Content:
        if self._hours is None:
            return Content("")
        width = self.content_region.width or self.size.width
        label = max(len(b.label) for b in PRIORITY) + 2
        # Room for "  12.5 h logged of 12.5 h planned (+1.0 h)" beside the bar.
        return plan_lines(*self._hours, width=max(8, min(40, width - label - 44)))
