"""The funnel's loudest warnings, and the screen bar every screen can put on top.

`FunnelBanner` shows the funnel-wide flags of SPEC §3.4 (those on no single deal), most severe
first, the empty top of the funnel before everything: it is the roller-coaster's cause and the one
thing that must never be missed. Each flag is its whole sentence, wrapped under its own first
letter. The banner takes at most about a quarter of the screen, so the buckets keep showing deals
at 80×24; the flags that do not fit are counted on its last line, and `!` shows them all (more
pages when even the tall banner cannot hold them, then back to the short one).

`ScreenBar` names the screens (1–5) with the current one highlighted, today's date and the latest
change, whole: on the bar's own row when it fits there, else wrapped on the rows under it; once a
change has needed those rows, the later ones are shown there too, so the screen under the bar
does not move up and down a row with every change and its undo.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Size
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widget import Widget
from textual.widgets import Static

from planner.core.text import long_date, prospects
from planner.domain.models import Allocation, Flag, Severity
from planner.domain.text import shown_line
from planner.ui.actions import SCREENS

EMPTY_TOP_TEXT = "Top of funnel is empty"
#: The key that shows every flag (the action table's "funnel.warnings").
MORE_KEY = "!"

_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
_MARK_WIDTH = 2  # "▲ ", "• ": a flag's text wraps under its own first letter


def banner_entries(flags: Sequence[Flag], allocation: Allocation) -> list[tuple[Content, Content]]:
    """What the banner says, as (mark, sentence) pairs: the empty top in its own words with what to
    do, then the other funnel-wide flags, most severe first (SPEC §3.4's order within a severity)."""
    entries: list[tuple[Content, Content]] = []
    funnel_wide = [f for f in flags if f.opportunity_id is None]
    quota = allocation.prospect_quota  # the engine's one quota (P rounded up)
    if any(f.code == "empty_top" for f in funnel_wide):
        # What to do comes first; the why follows.
        entries.append((
            Content.styled("▲ ", "bold $text-error"),
            Content.assemble(
                (f"{EMPTY_TOP_TEXT}: add {prospects(quota)} this week — press a", "bold"),
                " · no prospecting now means no revenue one sales cycle from now",
            ),
        ))
    for flag in sorted(funnel_wide, key=lambda f: _ORDER.get(f.severity, 3)):
        if flag.code == "empty_top":
            continue
        if flag.severity is Severity.CRITICAL:
            mark = Content.styled("▲ ", "bold $text-error")
        elif flag.severity is Severity.INFO:
            mark = Content.styled("· ", "bold $text-muted")
        else:
            mark = Content.styled("• ", "bold $text-warning")
        entries.append((mark, Content(shown_line(flag.message))))
    return entries


def wrap_entry(mark: Content, sentence: Content, width: int) -> list[Content]:
    """One flag on as many rows as its sentence needs at `width`, wrapped under its first letter."""
    body = max(1, width - _MARK_WIDTH)
    lines = sentence.wrap(body) or [Content("")]
    indent = Content(" " * _MARK_WIDTH)
    return [(mark if i == 0 else indent) + line.rstrip() for i, line in enumerate(lines)]


def folded_rows(screen_height: int) -> int:
    """The short banner's rows: a quarter of the screen (6 at 24 rows, 10 at 40 rows)."""
    return max(3, screen_height // 4)


#: Rows the rest of the Funnel needs to show one deal under the tall banner: the top bar (two
#: rows with a long latest change), the status line, a bucket's three header rows, its list's
#: borders around one card, and the footer.
_REST_OF_FUNNEL = 2 + 1 + 3 + 2 + 3 + 1


def expanded_rows(screen_height: int) -> int:
    """The tall banner's rows: all the screen leaves while one deal still shows under it."""
    return max(folded_rows(screen_height), screen_height - _REST_OF_FUNNEL)


def page(wrapped: Sequence[Sequence[Content]], first: int, rows: int, *, hint_row: bool = False) -> int:
    """How many whole flags from `first` fit in `rows`, keeping a row for the line under them (the
    count of flags left over when some are, or with `hint_row` always); at least one (cut at
    `rows`) so the banner is never empty."""
    used = 0
    count = 0
    total = len(wrapped)
    for index in range(first, total):
        height = len(wrapped[index])
        hint = hint_row or index + 1 < total
        if used + height + hint > rows:
            break
        used += height
        count += 1
    return max(1, count)


class FunnelBanner(Widget):
    """Funnel-wide warnings; hidden when there are none. `-critical` when the top is empty.

    Short (folded) by default; `show_more()` (the `!` key) shows every flag, page by page when the
    screen cannot hold them all, then folds again. It repaints in place after a change; it asks
    for a layout pass only when its height changes."""

    DEFAULT_CSS = """
    FunnelBanner {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: list[tuple[Content, Content]] = []
        self._key: tuple = ()
        self.expanded = False
        self._first = 0  # the first flag shown: 0, or a later page of the tall banner
        self._wrapped: tuple[tuple, list[list[Content]]] = ((), [])

    # --- what it shows ----------------------------------------------------------------------------
    def show_flags(self, flags: Sequence[Flag], allocation: Allocation) -> None:
        entries = banner_entries(flags, allocation)
        key = tuple((mark.plain, sentence.plain) for mark, sentence in entries)
        if key == self._key:
            return
        old_height = self._height_now()
        self._entries = entries
        self._key = key
        if self._first >= len(entries):
            self._first = 0
        self.display = bool(entries)
        self.set_class(bool(entries) and entries[0][1].plain.startswith(EMPTY_TOP_TEXT), "-critical")
        self._repaint(old_height)

    @property
    def shown_text(self) -> str:
        """What the banner says now, as text."""
        return "\n".join(line.plain for line in self._lines(*self._sizes()))

    @property
    def can_show_more(self) -> bool:
        """Whether `!` changes anything: the short banner leaves something out, or the banner is
        tall and folds."""
        if not self._entries:
            return False
        width, screen_height = self._sizes()
        if self._view(width, screen_height)[3]:
            return True
        wrapped = self._wrap(width)
        return sum(map(len, wrapped)) > folded_rows(screen_height)

    def show_more(self) -> None:
        """The next view: short → tall (every flag, or the first page of them) → the next page… → short."""
        old_height = self._height_now()
        if not self.expanded:
            self.expanded, self._first = True, 0
        else:
            first, count, _rows, tall = self._view(*self._sizes())
            if tall and first + count < len(self._entries):
                self._first = first + count
            else:
                self.expanded, self._first = False, 0
        self._repaint(old_height)

    # --- layout -----------------------------------------------------------------------------------
    def _sizes(self) -> tuple[int, int]:
        return self.content_size.width, self.app.size.height

    def _height_now(self) -> int:
        return self.content_size.height if self.display else 0

    def _repaint(self, old_height: int) -> None:
        width, screen_height = self._sizes()
        new_height = len(self._lines(width, screen_height)) if self._entries else 0
        # Its height follows what it shows: a layout pass only when that changes.
        self.refresh(layout=new_height != old_height or not width)

    def _wrap(self, width: int) -> list[list[Content]]:
        key = (self._key, width)
        if self._wrapped[0] != key:
            self._wrapped = (key, [wrap_entry(mark, sentence, width) for mark, sentence in self._entries])
        return self._wrapped[1]

    def _view(self, width: int, screen_height: int) -> tuple[int, int, int, bool]:
        """(first flag shown, how many, rows available, tall) for the current state. The banner is
        short when folded, and when the short one holds every flag anyway."""
        wrapped = self._wrap(width)
        folded = folded_rows(screen_height)
        count = page(wrapped, 0, folded)
        fits = count == len(wrapped) and sum(map(len, wrapped)) <= folded
        if not self.expanded or fits:
            return 0, count, folded, False
        rows = expanded_rows(screen_height)
        first = min(self._first, max(0, len(wrapped) - 1))
        return first, page(wrapped, first, rows, hint_row=True), rows, True

    def _lines(self, width: int, screen_height: int) -> list[Content]:
        if not self._entries or width <= 0:
            return []
        wrapped = self._wrap(width)
        first, count, rows, tall = self._view(width, screen_height)
        lines = [line for entry in wrapped[first:first + count] for line in entry]
        left = len(wrapped) - (first + count)
        if left > 0:
            if tall:
                what = "the next one" if left == 1 else "the next ones"
            else:
                what = "it" if left == 1 else "them"
            hint = Content.assemble(
                (f"  + {left} more warning{'s' if left != 1 else ''} · ", "$text-muted"),
                (MORE_KEY, "bold $text-accent"),
                (f" shows {what}", "$text-muted"),
            )
            return [*lines[: rows - 1], hint]
        if tall:  # the last flags shown, more than the short banner holds
            hint = Content.assemble(("  ", ""), (MORE_KEY, "bold $text-accent"), (" shows fewer", "$text-muted"))
            return [*lines[: rows - 1], hint]
        return lines[:rows]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width, viewport.height))

    def render(self) -> Content:
        width, screen_height = self._sizes()
        return Content("\n").join(self._lines(width, screen_height))


class _TopBar(Visual):
    """The screen bar's rows at a given width: the screens, help and date, then the latest change
    on the same row when it fits whole, else on the rows under them, wrapped under its text."""

    #: A very long change (a title of hundreds of letters) is cut after this many rows.
    MAX_CHANGE_ROWS = 3
    #: The longest closing clause kept on one row: " · ctrl+r redoes".
    MAX_HINT = 18

    def __init__(self, head: Content, mark: Content, change: Content, *, own_row: bool = False) -> None:
        self.head = head
        self.mark = mark
        self.change = change
        #: The change goes on the rows under the names even when it would fit beside them (the
        #: bar keeps the row an earlier change needed: see `ScreenBar`).
        self.own_row = own_row

    @property
    def plain(self) -> str:
        if not self.change:
            return self.head.plain
        return self.head.plain + "   " + self.mark.plain + self.change.plain

    def __str__(self) -> str:
        return self.plain

    def _one_row(self) -> Content:
        return Content.assemble(self.head, "   ", self.mark, self.change)

    def fits_beside(self, width: int) -> bool:
        """Whether the change fits whole on the names' row at `width` (or there is none)."""
        return not self.change or self._one_row().cell_length <= width

    def lines(self, width: int) -> list[Content]:
        if not self.change:
            return [self.head]
        if not self.own_row and self.fits_beside(width):
            return [self._one_row()]
        indent = self.mark.cell_length
        body_width = max(8, width - indent)
        # The closing hint ("· u undoes") is never split over two rows.
        text, hint = self.change, Content("")
        cut = text.plain.rfind(" · ")
        if cut > 0 and len(text.plain) - cut <= self.MAX_HINT:
            text, hint = text[:cut], text[cut:]
        body = [line.rstrip() for line in text.wrap(body_width)]
        if hint:
            if body[-1].cell_length + hint.cell_length <= body_width:
                body[-1] = body[-1] + hint
            else:
                body.append(hint[1:])  # "· u undoes" at the start of its own row
        rows = [(self.mark if i == 0 else Content(" " * indent)) + line for i, line in enumerate(body)]
        if len(rows) > self.MAX_CHANGE_ROWS:
            rows = rows[: self.MAX_CHANGE_ROWS]
            rows[-1] = rows[-1].truncate(width - 1) + "…"
        return [self.head, *rows]

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        strips: list[Strip] = []
        for line in self.lines(width):
            strips.extend(line.render_strips(width, 1, style, options))
        return strips if height is None else strips[:height]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.lines(width))


class ScreenBar(Static):
    """`1 Funnel  2 Today  3 Week  4 Insights  5 Profile` with the current screen highlighted,
    today's date, and the latest change (what `u` would undo) whole. Use `ScreenBar("today")` at
    the top of a screen; it follows `PlannerApp.last_change` by itself."""

    def __init__(self, current: str, **kwargs) -> None:
        super().__init__("", classes="screen-bar", **kwargs)
        self.current = current
        # The width at which a change last needed the rows under the names, or 0: at that width
        # every later change goes there too (see `_show`).
        self._own_row_width = 0

    def on_mount(self) -> None:
        self._show()
        if hasattr(self.app, "last_change"):
            self.watch(self.app, "last_change", self._show, init=False)

    def _show(self, _change: str = "") -> None:
        core = getattr(self.app, "core", None)
        bar = self.render_bar(core.today if core is not None else None, getattr(self.app, "last_change", ""))
        width = self.content_size.width
        # Once a change has needed the rows under the names, the bar keeps them at this width and
        # every later change is shown there, also one that would fit beside the names: a move
        # ("Moved “…” · u undoes") fitting and its undo ("Undone: Moved “…” · ctrl+r redoes") not
        # would otherwise make the bar one row taller and shorter with every change, the whole
        # funnel under it jumping a row (and laid out again, twice) each time.
        if width and not bar.fits_beside(width):
            self._own_row_width = width
        bar.own_row = bool(width) and width == self._own_row_width
        # A layout pass only when the bar's height changes (a longer change needs one more row,
        # or a first one needs a row of its own); otherwise it repaints its own rows.
        layout = not width or bar.get_height(self.styles, width) != self.content_size.height
        self.update(bar, layout=layout)

    def render_bar(self, today: date | None, last_change: str = "") -> _TopBar:
        parts: list[str | tuple[str, str]] = []
        for mode, (key, title) in SCREENS.items():
            if mode == self.current:
                parts.append((f" {key} {title} ", "bold reverse"))
            else:
                parts.append((f" {key} ", "bold $text-accent"))
                parts.append((f"{title} ", ""))
        parts.append(("  ? ", "bold $text-accent"))
        parts.append(("help", ""))
        if today is not None:
            parts.append(("   " + long_date(today), "$text-muted"))
        mark = Content("")
        change = Content("")
        if last_change:
            # Deal titles inside: plain text, never markup.
            refused = last_change.startswith(("Not undone", "Not redone"))
            mark = Content.styled("✗ " if refused else "✓ ", "bold $text-error" if refused else "bold $text-success")
            change = Content.styled(shown_line(last_change), "$text-muted")
        return _TopBar(Content.assemble(*parts), mark, change)

