"""One bucket of the funnel: a header (full name, count, value, suggested share) over an OptionList
of deal cards keyed by deal id (SPEC §5).

An OptionList, which draws only the rows on screen: thousands of deals must open and scroll (STYLE.md). Rows are
updated in place — only cards whose content changed are re-rendered — and every piece of user
text goes in as `Content`, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from itertools import repeat
from operator import attrgetter

from rich.segment import Segment
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.content import Content, Span
from textual.geometry import Size
from textual.strip import Strip
from textual.style import Style
from textual.visual import Padding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from planner.core.text import card_due, hours, money
from planner.domain.models import OPEN_BUCKETS, Bucket, Flag, Opportunity, Share
from planner.domain.parse import PLAIN_MONEY, MoneyStyle
from planner.domain.text import shown_line
from planner.ui.actions import FLAG_MARKS
from planner.ui.widgets.hanging import Fitted

_MARK_OF = {code: mark for code, mark, _ in FLAG_MARKS}
_MARK_ORDER = [code for code, _, _ in FLAG_MARKS]
#: Marks in a fixed-width gutter so titles line up whatever flags a deal carries.
_GUTTER = 3


def one_line(text: str) -> str:
    """User text on one card line, safe to show (`planner.domain.text`): line breaks of any kind
    would break the card's shape, escapes and bidi controls would take over the terminal."""
    return shown_line(text)


def deal_card(deal: Opportunity, flags: Sequence[Flag], today: date, money_style: MoneyStyle = PLAIN_MONEY) -> Content:
    """The three lines of a deal in its bucket: marks + title, value + account, due + next action.

    Always exactly CARD_LINES lines (user text is put on one line; the list never wraps), built as
    one Content with spans: thousands of cards are built at start-up."""
    codes = {f.code for f in flags}
    marks = "".join(dict.fromkeys(_MARK_OF[c] for c in _MARK_ORDER if c in codes))
    # Two marks a line, down the gutter of the card's three lines: every warning a deal carries
    # (a move's too: unqualified, no close date…) keeps its mark until it is fixed.
    per_line = _GUTTER - 1
    gutters = [marks[i * per_line:(i + 1) * per_line] for i in range(CARD_LINES)]
    mark_style = "bold $text-error" if codes & {"overdue_action", "best_few_too_far"} else "bold $text-warning"
    pieces: list[tuple[str, str]] = []

    def gutter(line: int) -> None:
        text = gutters[line]
        pieces.append((text.ljust(_GUTTER), mark_style) if text else (_INDENT, ""))

    gutter(0)
    pieces.append((one_line(deal.title), "bold"))
    # Short, decisive facts first so a narrow column cuts the long text, not the value or the date.
    pieces.append(("\n", ""))
    gutter(1)
    if deal.value_cents:
        pieces.append((money(deal.value_cents, money_style), "$text-success"))
        pieces.append(("  " if deal.account else "", ""))
    if deal.account:
        pieces.append((one_line(deal.account), "$text-secondary"))
    if not deal.account and not deal.value_cents:
        pieces.append(("no account", "$text-muted"))
    pieces.append(("\n", ""))
    gutter(2)
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
#: Above this many cards changed at once, the options are set anew rather than spliced.
_SPLICE_MAX = 50


class DealOption(Option):
    """An option whose card is built when it is first drawn: of 10,000 deals only a screenful is."""

    def __init__(self, deal: Opportunity, flags: Sequence[Flag], today: date,
                 money_style: MoneyStyle = PLAIN_MONEY) -> None:
        super().__init__("", id=str(deal.id))
        self._source: tuple | None = (deal, flags, today, money_style)

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
        # What the cards were rendered from, in the order shown: the deals, their ids, their flags
        # (as given to `show`), and the day and money style every card shares.
        self._ids: list[int] = []
        self._shown: list[Opportunity] = []
        self._flags: list[Sequence[Flag]] = []
        self._card_context: tuple | None = None
        self.deals: dict[int, Opportunity] = {}
        self._line_cache = _CardLines(self._options)  # type: ignore[assignment]
        # Rendered cards without the option index OptionList stamps on every line (for clicks): a
        # card that only changed places is stamped again, not rendered again.
        self._card_strips: LRUCache[tuple, list[Strip]] = LRUCache(maxsize=1024 * 2)
        self._lines_width = -1  # the content width the stamped lines were rendered at

    def _update_lines(self) -> None:
        # Every card is exactly CARD_LINES lines plus a rule (one_line + nowrap), so where each
        # line is follows from its number (_CardLines) instead of a table of every line, rebuilt
        # by OptionList whenever the options change (~2 ms per 2,000 cards on every change) and
        # measured card by card at start-up (seconds at 10,000 deals).
        if not self.scrollable_content_region:
            return
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        virtual_size = Size(width, len(self._line_cache.lines))
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

    def show(self, deals: Sequence[Opportunity], flags: Mapping[int, Sequence[Flag]], today: date,
             money_style: MoneyStyle = PLAIN_MONEY) -> None:
        """Show `deals` in this order, re-rendering only cards that changed and keeping the
        highlighted deal highlighted when it is still here. A card changed when its deal is not
        the same object (the store re-reads only the deals a change wrote), its flags differ, or
        the day or money style did: whole stretches of unchanged cards are compared at once."""
        deals = list(deals)
        ids = list(map(_deal_id, deals))
        shown_flags = list(map(flags.get, ids, repeat((), len(ids))))
        context = (today, money_style)
        keep = self.selected_id
        keep_index = self.highlighted
        old_ids, old_deals, old_flags = self._ids, self._shown, self._flags
        if context != self._card_context:
            old_deals = [None] * len(old_ids)  # every card is rendered again
        self.deals = dict(zip(ids, deals))
        if ids == old_ids:
            self._update_cards(deals, shown_flags, old_deals, old_flags, 0, len(deals), 0, context)
        else:
            start = 0
            limit = min(len(old_ids), len(ids))
            while start < limit and old_ids[start] == ids[start]:
                start += 1
            tail = 0
            while tail < limit - start and old_ids[-1 - tail] == ids[-1 - tail]:
                tail += 1
            if old_ids and ids and max(len(old_ids), len(ids)) - start - tail <= _SPLICE_MAX:
                # A deal came, went or changed places (one change in a big bucket): only that
                # stretch of options is replaced, the rest stay as they are.
                before = self._rendered_from(old_ids, old_deals, old_flags)
                self._splice(deals, shown_flags, before, context, start, len(old_ids) - tail, len(ids) - tail)
                self._update_cards(deals, shown_flags, old_deals, old_flags, 0, start, 0, context)
                self._update_cards(deals, shown_flags, old_deals, old_flags, len(ids) - tail, len(ids),
                                   len(old_ids) - len(ids), context)
            else:
                self._set_deals(deals, shown_flags, self._rendered_from(old_ids, old_deals, old_flags), context)
            if keep is not None and keep in self.deals:
                self.highlighted = ids.index(keep)
            elif ids:
                self.highlighted = min(keep_index or 0, len(ids) - 1)
        self._ids, self._shown, self._flags, self._card_context = ids, deals, shown_flags, context
        if not self.scrollable_content_region:
            self._expect_scrollbar()

    @staticmethod
    def _rendered_from(ids: list[int], deals: list, flags: list) -> dict[int, tuple]:
        """Deal id → (deal, flags) its card was rendered from."""
        return dict(zip(ids, zip(deals, flags)))

    def _expect_scrollbar(self) -> None:
        """Before the screen's first layout: a list with more lines than the terminal has rows
        cannot fit, so its scrollbar is there from the first layout. Left to Textual, the list
        learnt its length only once laid out, showed its scrollbar in a second layout pass, and
        the funnel reached the terminal without scrollbars, then again with them, a frame later."""
        lines = len(self._line_cache.lines)
        if self.styles.overflow_y == "auto" and lines > self.app.size.height:
            self.set_reactive(BucketList.virtual_size, Size(0, lines))  # the width once laid out
            self.show_vertical_scrollbar = True
            self.vertical_scrollbar.display = True

    def _update_cards(self, deals: list[Opportunity], flags: list[Sequence[Flag]], old_deals: list,
                      old_flags: list, start: int, end: int, shift: int, context: tuple) -> None:
        """Render again the cards in deals[start:end] (in their places already; each shown at
        `index + shift` before) whose deal or flags changed."""
        if old_deals[start + shift:end + shift] == deals[start:end] and \
                old_flags[start + shift:end + shift] == flags[start:end]:
            return  # the usual case, compared element by element without a loop in Python
        for index in range(start, end):
            deal, shown = deals[index], flags[index]
            if old_deals[index + shift] is not deal or old_flags[index + shift] != shown:
                self.replace_option_prompt_at_index(index, deal_card(deal, tuple(shown), *context))

    def _splice(self, deals: list[Opportunity], flags: list[Sequence[Flag]], before: Mapping[int, tuple],
                context: tuple, start: int, old_end: int, new_end: int) -> None:
        """Replace the options start:old_end by cards of deals[start:new_end], in OptionList's own
        bookkeeping (pinned Textual): set_options would rebuild it for every card of the bucket."""
        options = self._options
        removed = options[start:old_end]
        fresh = self._options_for(deals[start:new_end], flags[start:new_end], before, context, removed)
        for option in removed:
            self._id_to_option.pop(option.id, None)
            self._option_to_index.pop(option, None)
        options[start:old_end] = fresh
        for option in fresh:
            self._id_to_option[option.id] = option
        last = len(options) - 1
        # the options after the stretch moved up or down when it changed length
        for index in range(start, new_end if len(fresh) == len(removed) else len(options)):
            self._option_to_index[options[index]] = index
        # A rule under every card but the last. Every card of the new stretch is set, not only its
        # ends: a card made new, or one that was last before (a filter hid the deals after it),
        # came without its rule, and its separator line stayed blank until the list was rebuilt.
        for index in {start - 1, *range(start, new_end), last}:
            if 0 <= index <= last:
                options[index]._divider = index != last
        self._mouse_hovering_over = None
        self._option_render_cache.clear()  # the stamped lines; the cards themselves are kept
        self.refresh()
        if self.is_mounted:
            # Now, not when the frame is drawn: a list that grew or shrank tells its scrollbar in
            # this frame instead of asking for one more.
            self._update_lines()

    def _set_deals(self, deals: list[Opportunity], flags: list[Sequence[Flag]], before: Mapping[int, tuple],
                   context: tuple) -> None:
        """Many deals came or went: set the options anew, reusing the option (and so the rendered
        card) of every deal that did not change."""
        options = self._options_for(deals, flags, before, context, self._options)
        for option in options:
            option._divider = False  # _with_dividers marks all but the last again
        self.set_options(_with_dividers(options))

    def _options_for(self, deals: Sequence[Opportunity], flags: Sequence[Sequence[Flag]],
                     before: Mapping[int, tuple], context: tuple, current: Sequence[Option]) -> list[Option]:
        """An option per deal: the one among `current` that shows it, when its card is still
        right (so its rendering is kept), else a new one."""
        previous = {int(option.id): option for option in current if option.id is not None}
        options = []
        for deal, shown in zip(deals, flags):
            option = previous.get(deal.id)
            was = before.get(deal.id)
            if option is None or was is None or was[0] is not deal or was[1] != shown:
                option = DealOption(deal, tuple(shown), *context)
            options.append(option)
        return options

    def _get_option_render(self, option: Option, style: Style) -> list[Strip]:
        # OptionList's own, in two steps: the card (cached by option, style, rule and width), then
        # the option's index stamped on its lines (cached by OptionList until the options change).
        padding = self.get_component_styles("option-list--option").padding
        cache_key = (option, style, padding)
        if (strips := self._option_render_cache.get(cache_key)) is not None:
            return strips
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        if width != self._lines_width:  # a width not seen by _on_resize yet: the stamped lines are stale
            self._lines_width = width
            self._option_render_cache.clear()
        card_key = (option, style, padding, option._divider, width)
        if (card := self._card_strips.get(card_key)) is None:
            visual = self._get_visual(option)
            if padding:
                visual = Padding(visual, padding)
            card = [strip.extend_cell_length(width, style.rich_style)
                    for strip in visual.to_strips(self, visual, width, None, style)]
            if option._divider:
                rule = self.get_visual_style("option-list--separator")
                card.append(Strip([Segment("─" * width, rule.rich_style)], width))
            self._card_strips[card_key] = card
        meta = {"option": self._option_to_index[option]}
        lines = len(card) - option._divider
        strips = [strip.apply_meta(meta) for strip in card[:lines]] + card[lines:]
        self._option_render_cache[cache_key] = strips
        return strips

    def _clear_caches(self) -> None:
        self._card_strips.clear()
        super()._clear_caches()

    def _on_resize(self) -> None:
        # OptionList drops every rendered line on any Resize. The screen's first layout posts one
        # to each list after the first frame has already rendered the cards at that very size, so
        # every visible card was rendered twice before the funnel was complete on screen (~30 ms
        # at start-up). Lines depend on the width only: a Resize that keeps it keeps them.
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        if width != self._lines_width:
            self._lines_width = width
            self._option_render_cache.clear()  # the cards themselves are cached by width
        self.refresh()

    def select_deal(self, deal_id: int) -> bool:
        if deal_id in self.deals:
            self.highlighted = self._ids.index(deal_id)
            return True
        return False


_deal_id = attrgetter("id")
_STRIDE = CARD_LINES + 1  # a card and the rule under it (the last card has none)


class _CardLines:
    """OptionList's line bookkeeping (`_LineCache`: which option and which of its lines each line
    of the list shows, each option's first line and height) for options that are all cards of
    CARD_LINES lines with a rule between them: worked out from the line number, nothing stored.
    `options` is the list's own option list, read live."""

    def __init__(self, options: list[Option]) -> None:
        self.lines = _Lines(options)
        self.heights = _Heights(options)
        self.index_to_line = _FirstLines(options)

    def clear(self) -> None:
        """Nothing is stored, so nothing goes stale."""


class _Lines(Sequence):
    def __init__(self, options: list[Option]) -> None:
        self._options = options

    def __len__(self) -> int:
        return max(0, len(self._options) * _STRIDE - 1)

    def __getitem__(self, y):  # type: ignore[override]
        if isinstance(y, slice):
            return [self[i] for i in range(*y.indices(len(self)))]
        size = len(self)
        if y < 0:
            y += size
        if not 0 <= y < size:
            raise IndexError(y)
        return divmod(y, _STRIDE)


class _Heights(Mapping):
    def __init__(self, options: list[Option]) -> None:
        self._options = options

    def __getitem__(self, index: int) -> int:
        count = len(self._options)
        if not 0 <= index < count:
            raise KeyError(index)
        return CARD_LINES if index == count - 1 else _STRIDE

    def __iter__(self):
        return iter(range(len(self._options)))

    def __len__(self) -> int:
        return len(self._options)


class _FirstLines(_Heights):
    def __getitem__(self, index: int) -> int:
        if not 0 <= index < len(self._options):
            raise KeyError(index)
        return index * _STRIDE


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
        last = bucket is OPEN_BUCKETS[-1]  # the rightmost column: a margin on both sides
        super().__init__(id=f"col-{bucket.value}", classes="bucket-column -last" if last else "bucket-column")
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
        money_style: MoneyStyle = PLAIN_MONEY,
        own_split: bool = False,
    ) -> None:
        """`share`: the suggestion's share of the week; `own_split`: the user's own split is in
        use (the Week screen plans with it), so the suggestion is said to be one."""
        # Each line says as much as the column has room for, never losing its end: the hours of
        # the share stay in view at 80 columns ("33 % · 4.9 h").
        deals_text = f"{count} deal{'' if count == 1 else 's'}"
        value = f" · {money(value_cents, money_style)}" if value_cents else ""
        if filtered:
            first = (Content(f"{deals_text}{value} · {len(deals)} shown"),
                     Content(f"{len(deals)} of {count} shown{value}"),
                     Content(f"{len(deals)} of {count} shown"))
        else:
            first = (Content(f"{deals_text}{value}"), Content(f"{count}{value}"))
        lines = [first]
        if share is not None:
            spent = (f" · {hours(share.hours)}", "$text-muted")
            saids = ((f"suggested {share.percent} %", f"{share.percent} %") if own_split
                     else (f"{share.percent} % of your week", f"{share.percent} % of week", f"{share.percent} %"))
            lines.append(tuple(Content.assemble((said, "bold $text-accent"), spent) for said in saids))
        summary = Fitted(*lines)
        summary_widget = self.query_one(".bucket-summary", Static)
        key = summary.plain_variants
        if getattr(summary_widget, "_shown_key", None) != key:
            summary_widget._shown_key = key
            summary_widget.update(summary, layout=False)  # fixed height
        self.list.show(deals, flags, today, money_style)
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
