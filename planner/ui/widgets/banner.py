"""The funnel's loudest warnings, and the screen bar every screen can put on top.

`FunnelBanner` shows the funnel-wide flags of SPEC §3.4 (those on no single deal), the empty top
of the funnel first: it is the roller-coaster's cause and the one thing that must never be missed.
`ScreenBar` names the screens (1–5) with the current one highlighted, today's date and the latest change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.widgets import Static

from planner.core.text import long_date, prospects
from planner.domain.models import Allocation, Flag, Severity
from planner.domain.text import shown_line
from planner.ui.actions import SCREENS

EMPTY_TOP_TEXT = "Top of funnel is empty"


def banner_lines(flags: Sequence[Flag], allocation: Allocation) -> list[Content]:
    """What the banner says: the empty top in its own words with what to do, then other
    funnel-wide flags, most severe first."""
    lines: list[Content] = []
    funnel_wide = [f for f in flags if f.opportunity_id is None]
    quota = allocation.prospect_quota  # the engine's one quota (P rounded up)
    for flag in funnel_wide:
        if flag.code == "empty_top":
            # What to do comes first so it survives a narrow terminal; the why follows.
            lines.append(
                Content.assemble(
                    (f"▲ {EMPTY_TOP_TEXT}: add {prospects(quota)} this week — press a", "bold"),
                    " · no prospecting now means no revenue one sales cycle from now",
                )
            )
    order = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
    for flag in sorted(funnel_wide, key=lambda f: order.get(f.severity, 3)):
        if flag.code == "empty_top":
            continue
        mark = "▲" if flag.severity is Severity.CRITICAL else "•"
        lines.append(Content.assemble((f"{mark} ", "bold"), shown_line(flag.message)))
    return lines[:MAX_LINES]


#: The banner never takes more than this many rows from the deals.
MAX_LINES = 3


class FunnelBanner(Static):
    """Funnel-wide warnings; hidden when there are none. `-critical` when the top is empty."""

    def show_flags(self, flags: Sequence[Flag], allocation: Allocation) -> None:
        from planner.ui.widgets.bucket_list import set_text

        lines = banner_lines(flags, allocation)
        self.display = bool(lines)
        self.set_class(any(f.code == "empty_top" for f in flags), "-critical")
        if lines:
            # Its height follows its line count: a layout pass only when that changes.
            layout = len(lines) != getattr(self, "_line_count", None)
            self._line_count = len(lines)
            set_text(self, Content("\n").join(lines), layout=layout)


class ScreenBar(Static):
    """`1 Funnel  2 Today  3 Week  4 Insights  5 Profile` with the current screen highlighted,
    today's date, and the latest change (what `u` would undo). Use `ScreenBar("today")` at the top
    of a screen; it follows `PlannerApp.last_change` by itself.

    The latest change is always in view, with what `u` or `ctrl+r` would do: when the row is short,
    the help key and the date go first; on a narrow terminal the other screens keep only their number
    keys; then the change is shortened (with "…", its key hint kept)."""

    #: Below this many cells for the change beside the full screen names, they give way.
    CHANGE_ROOM = 40

    def __init__(self, current: str, **kwargs) -> None:
        super().__init__("", classes="screen-bar", **kwargs)
        self.current = current

    def on_mount(self) -> None:
        self._show()
        if hasattr(self.app, "last_change"):
            self.watch(self.app, "last_change", self._show, init=False)

    def on_resize(self) -> None:
        self._show()

    def _show(self, _change: str = "") -> None:
        core = getattr(self.app, "core", None)
        self.update(
            self.render_bar(core.today if core is not None else None, getattr(self.app, "last_change", ""),
                            width=self.content_region.width or None),
            layout=False,  # always one row
        )

    def render_bar(self, today: date | None, last_change: str = "", *, width: int | None = None) -> Content:
        tabs = self._tabs(short=False)
        tail: list[str | tuple[str, str]] = [("  ? ", "bold $text-accent"), ("help", "")]
        if today is not None:
            tail.append(("   " + long_date(today), "$text-muted"))
        if not last_change:
            return Content.assemble(*tabs, *tail)
        # Deal titles inside: plain text, never markup.
        refused = last_change.startswith(("Not undone", "Not redone"))
        mark = ("   ✗ " if refused else "   ✓ ", "bold $text-error" if refused else "bold $text-success")
        change = shown_line(last_change)
        whole = Content.assemble(*tabs, *tail, mark, (change, "$text-muted"))
        if width is None or whole.cell_length <= width:
            return whole
        room = width - Content.assemble(*tabs, mark).cell_length
        if room < min(cell_len(change), self.CHANGE_ROOM):
            # Too little room beside the full names (a narrow terminal): the number keys only.
            tabs = self._tabs(short=True)
            room = width - Content.assemble(*tabs, mark).cell_length
        return Content.assemble(*tabs, mark, (fitted(change, room), "$text-muted"))

    def _tabs(self, *, short: bool) -> list[str | tuple[str, str]]:
        parts: list[str | tuple[str, str]] = []
        for mode, (key, title) in SCREENS.items():
            if mode == self.current:
                parts.append((f" {key} {title} ", "bold reverse"))
            elif short:
                parts.append((f" {key} ", "bold $text-accent"))
            else:
                parts.append((f" {key} ", "bold $text-accent"))
                parts.append((f"{title} ", ""))
        return parts


#: The key hints a change ends with (PlannerApp._show): kept whole when the change is shortened.
HINTS = (" · u undoes", " · ctrl+r redoes")


def fitted(change: str, cells: int) -> str:
    """`change` in at most `cells` cells: the description shortened with "…", its key hint kept."""
    if cell_len(change) <= cells:
        return change
    hint = next((h for h in HINTS if change.endswith(h)), "")
    text = change[: len(change) - len(hint)] if hint else change
    room = cells - cell_len(hint) - 1
    if room < 8:  # no room for both: the hint alone says less than the start of the change
        hint, room = "", cells - 1
    return set_cell_size(text, max(room, 0)).rstrip() + "…" + hint
