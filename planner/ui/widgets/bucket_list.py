"""One bucket of the funnel: a header (full name, count, value, suggested share) over an OptionList
of deal cards keyed by deal id (SPEC §5).

An OptionList, not a ListView: thousands of deals must open and scroll (STYLE.md). Rows are
updated in place — only cards whose content changed are re-rendered — and every piece of user
text goes in as `Content`, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content, Span
from textual.geometry import Size
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from planner.domain.models import Bucket, Flag, Opportunity, Share
from planner.ui.actions import FLAG_MARKS

_MARK_OF = {code: mark for code, mark, _ in FLAG_MARKS}
_MARK_ORDER = [code for code, _, _ in FLAG_MARKS]
#: Marks in a fixed-width gutter so titles line up whatever flags a deal carries.
_GUTTER = 3


def money(cents: int) -> str:
    from planner.domain.parse import format_money

    return format_money(cents)


def due_text(due: date, today: date) -> str:
    """A due date as a person says it: today, tomorrow, Fri 27 Nov, 3 days overdue."""
    days = (due - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days < 7:
        return due.strftime("%a")
    if due.year == today.year:
        return f"{due.strftime('%a')} {due.day} {due.strftime('%b')}"
    return due.isoformat()


def card_due(due: date, today: date) -> str:
    """A due date in a card's few columns: today, tomorrow, 3d overdue, Fri, 13 Mar."""
    days = (due - today).days
    if days < 0:
        return f"{-days}d overdue"
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 7:
        return due.strftime("%a")
    if due.year == today.year:
        return f"{due.day} {due.strftime('%b')}"
    return due.isoformat()


def one_line(text: str) -> str:
    """User text on one card line: line breaks (of any kind) would break the card's shape."""
    return text if text.isprintable() else " ".join(text.split())


def deal_card(deal: Opportunity, flags: Sequence[Flag], today: date) -> Content:
    """The three lines of a deal in its bucket: marks + title, value + account, due + next action.

    Always exactly CARD_LINES lines (user text is put on one line; the list never wraps), built as
    one Content with spans: thousands of cards are built at start-up."""
    codes = {f.code for f in flags}
    marks = "".join(_MARK_OF[c] for c in _MARK_ORDER if c in codes)[: _GUTTER - 1]
    pieces: list[tuple[str, str]] = []
    if marks:
        urgent = codes & {"overdue_action", "best_few_too_far"}
        pieces.append((marks.ljust(_GUTTER), "bold $text-error" if urgent else "bold $text-warning"))
    else:
        pieces.append((_INDENT, ""))
    pieces.append((one_line(deal.title), "bold"))
    # Short, decisive facts first so a narrow column cuts the long text, not the value or the date.
    pieces.append(("\n" + _INDENT, ""))
    if deal.value_cents:
        pieces.append((money(deal.value_cents), "$text-success"))
        pieces.append(("  " if deal.account else "", ""))
    if deal.account:
        pieces.append((one_line(deal.account), "$text-secondary"))
    if not deal.account and not deal.value_cents:
        pieces.append(("no account", "$text-muted"))
    pieces.append(("\n" + _INDENT, ""))
    if deal.next_action or deal.next_action_due:
        if deal.next_action_due is not None:
            overdue = deal.next_action_due < today
            pieces.append((card_due(deal.next_action_due, today), "bold $text-error" if overdue else "bold"))
            pieces.append((" ", ""))
        pieces.append(("→ " + (one_line(deal.next_action) or "(no action text)"), ""))
    else:
        pieces.append(("no next action", "italic $text-warning"))
    text: list[str] = []
    spans: list[Span] = []
    position = 0
    for piece, style in pieces:
        if style:
            spans.append(Span(position, position + len(piece), style))
        text.append(piece)
        position += len(piece)
    return Content("".join(text), spans)


CARD_LINES = 3
_INDENT = " " * _GUTTER


class DealOption(Option):
    """An option whose card is built when it is first drawn: of 10,000 deals only a screenful is."""

    def __init__(self, deal: Opportunity, flags: Sequence[Flag], today: date) -> None:
        super().__init__("", id=str(deal.id))
        self._source: tuple | None = (deal, flags, today)

    @property
    def prompt(self) -> Content:
        if self._source is not None:
            self._prompt = deal_card(*self._source)
            self._source = None
        return self._prompt

    def _set_prompt(self, prompt) -> None:
        self._source = None
        super()._set_prompt(prompt)


class BucketList(OptionList):
    """The deals of one bucket; each option's id is the deal id as text."""

    def __init__(self, bucket: Bucket, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self.bucket = bucket
        self._ids: list[int] = []
        self._keys: dict[int, tuple] = {}  # deal id → what its card was rendered from
        self.deals: dict[int, Opportunity] = {}

    def _update_lines(self) -> None:
        # Every card is exactly CARD_LINES lines (one_line + nowrap), so heights are known without
        # laying out thousands of cards: OptionList would measure each one at start-up (seconds at
        # 10,000 deals). Same bookkeeping as OptionList._update_lines of the pinned Textual.
        if not self.scrollable_content_region:
            return
        line_cache = self._line_cache
        lines = line_cache.lines
        next_index = lines[-1][0] + 1 if lines else 0
        options = self.options
        if next_index < len(options):
            index_to_line = line_cache.index_to_line
            heights = line_cache.heights
            for index in range(next_index, len(options)):
                count = CARD_LINES + options[index]._divider
                index_to_line[index] = len(lines)
                heights[index] = count
                lines.extend([(index, line_no) for line_no in range(count)])
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        last_divider = options and options[-1]._divider
        virtual_size = Size(width, len(lines) - (1 if last_divider else 0))
        if virtual_size != self.virtual_size:
            # Without the layout pass of the whole screen that setting `virtual_size` asks for
            # (~20 ms a change on the funnel): the list's own size is fixed by the CSS (1fr, or 3
            # rows when empty), so only its scrollbar needs to know; a scrollbar that appears or
            # goes away still asks for layout itself (`show_vertical_scrollbar`).
            self.set_reactive(BucketList.virtual_size, virtual_size)
            self._scroll_update(virtual_size)
            self.refresh()

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Every layout pass hands a ScrollView its visible region as `virtual_size`; ScrollView
        # then finds it differs from the list's real virtual size (its lines, kept by
        # _update_lines) and refreshes the scrollbars — on every layout of the screen, a frame of
        # its own (~20–30 ms) after the layout's frame. The real virtual size is this list's own.
        return super()._size_updated(size, self.virtual_size, container_size, layout)

    @property
    def selected_id(self) -> int | None:
        option = self.highlighted_option
        return int(option.id) if option is not None and option.id is not None else None

    def show(self, deals: Sequence[Opportunity], flags: Mapping[int, Sequence[Flag]], today: date) -> None:
        """Show `deals` in this order, re-rendering only cards that changed and keeping the
        highlighted deal highlighted when it is still here."""
        ids = [d.id for d in deals]
        keep = self.selected_id
        keep_index = self.highlighted
        keys = {d.id: (d, tuple(flags.get(d.id, ())), today) for d in deals}
        self.deals = {d.id: d for d in deals}
        if ids == self._ids:
            for index, deal in enumerate(deals):
                if self._keys.get(deal.id) != keys[deal.id]:
                    self.replace_option_prompt_at_index(index, deal_card(deal, keys[deal.id][1], today))
        else:
            self._set_deals(deals, keys, today)
            if keep is not None and keep in self.deals:
                self.highlighted = ids.index(keep)
            elif ids:
                self.highlighted = min(keep_index or 0, len(ids) - 1)
        self._ids = ids
        self._keys = keys

    def _set_deals(self, deals: Sequence[Opportunity], keys: Mapping[int, tuple], today: date) -> None:
        """A deal came or went: set the options anew, but keep the rendered card of every deal
        that did not change and keeps its place on screen (OptionList.set_options drops them all:
        a frame re-rendering every visible card, ~5 ms a list)."""
        previous = {int(option.id): option for option in self._options if option.id is not None}
        old_index = {option: index for index, option in enumerate(self._options)}
        cache = self._option_render_cache
        options = []
        for deal in deals:
            option = previous.get(deal.id)
            if option is None or self._keys.get(deal.id) != keys[deal.id]:
                option = DealOption(deal, keys[deal.id][1], today)
            option._divider = False  # _with_dividers marks all but the last again
            options.append(option)
        # Only the cards on screen after set_options (which scrolls to the top) are worth keeping:
        # the rest are rendered when scrolled to.
        # A card whose place moved is rendered again: its strips carry its index as the meta that
        # mouse clicks read, and re-rendering costs no more than rewriting that meta.
        visible = self.scrollable_content_region.height // (CARD_LINES + 1) + 2
        same_place = {option for index, option in enumerate(options[:visible]) if old_index.get(option) == index}
        rendered = [(key, cache.get(key)) for key in list(cache.keys()) if key[0] in same_place]
        self.set_options(_with_dividers(options))
        for key, strips in rendered:
            if strips is not None:
                cache.set(key, strips)

    def select_deal(self, deal_id: int) -> bool:
        if deal_id in self.deals:
            self.highlighted = self._ids.index(deal_id)
            return True
        return False


def set_text(widget: Static, content: Content, *, layout: bool = False) -> None:
    """Update a Static only when what it shows changes, without a layout pass unless asked: each
    layout pass after a change costs a frame's worth of time."""
    key = (content.plain, tuple(content.spans))
    if getattr(widget, "_shown_key", None) == key:
        return
    widget._shown_key = key
    widget.update(content, layout=layout)


def _with_dividers(options):
    """A rule between cards (None is OptionList's separator), none after the last."""
    first = True
    for option in options:
        if not first:
            yield None
        first = False
        yield option


class BucketColumn(Vertical):
    """A bucket's header and its list."""

    def __init__(self, bucket: Bucket) -> None:
        super().__init__(id=f"col-{bucket.value}", classes="bucket-column")
        self.bucket = bucket

    def compose(self) -> ComposeResult:
        yield Static(Content(self.bucket.label), classes="bucket-title")
        yield Static("", classes="bucket-summary")
        yield BucketList(self.bucket, id=f"list-{self.bucket.value}", classes="bucket-list")
        yield Static("", classes="bucket-empty")

    @property
    def list(self) -> BucketList:
        return self.query_one(BucketList)

    def show(
        self,
        deals: Sequence[Opportunity],
        flags: Mapping[int, Sequence[Flag]],
        today: date,
        *,
        count: int,
        value_cents: int,
        share: Share | None,
        filtered: bool,
    ) -> None:
        summary = [f"{count} deal{'' if count == 1 else 's'}"]
        if value_cents:
            summary.append(f" · {money(value_cents)}")
        if filtered:
            summary.append(f" · {len(deals)} shown")
        parts: list[str | tuple[str, str]] = [("".join(summary), "")]
        if share is not None:
            parts.append("\n")
            parts.append((f"{share.percent} % of your week", "bold $text-accent"))
            parts.append((f" · {share.hours:.1f} h", "$text-muted"))
        set_text(self.query_one(".bucket-summary", Static), Content.assemble(*parts))  # fixed height
        self.list.show(deals, flags, today)
        # An empty bucket keeps its (focusable) list as a thin box, with what to do under it.
        self.set_class(not deals, "-empty")
        if not deals:
            set_text(
                self.query_one(".bucket-empty", Static),
                Content(_EMPTY_HINT[self.bucket] if not filtered else "No deal matches the filter"),
                layout=True,
            )


_EMPTY_HINT = {
    Bucket.ABOVE: "No prospects yet: press a to add one.",
    Bucket.IN: "Empty. Qualify a prospect, then > moves it here.",
    Bucket.BEST_FEW: "Empty. Deals about to close belong here.",
}
