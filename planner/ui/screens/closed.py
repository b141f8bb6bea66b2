"""Closed deals (SPEC §2 "A closed deal can be found and reopened"): `c` on the Funnel.

Won and lost deals, the latest closed first, filtered as you type (title, account, contact, lost
reason, source, notes) and by outcome (`s`: won and lost, won only, lost only). `enter` shows a
deal in full; `o` reopens it, in the bucket it closed from unless another is chosen: one undoable
step of the core (`Core.reopen`), with the method's warnings as for any move. `escape` clears the
filter, then goes back to the Funnel.

A screen over the Funnel, not a dialog: `u`, `?`, the palette and the number keys work here as on
every screen (going to another screen leaves this one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowDoesNotExist

from planner.core.text import money
from planner.domain.models import OPEN_BUCKETS, Bucket, Opportunity
from planner.errors import PlannerError
from planner.ui.actions import bindings
from planner.ui.screens.today_forms import refresh_bindings_if_changed
from planner.ui.widgets.banner import ScreenBar
from planner.ui.widgets.footer import PlannerFooter

if TYPE_CHECKING:
    from planner.app import PlannerApp

#: How many deals the table holds at most: the latest closed; typing narrows to older ones.
SHOWN = 500

#: Seconds without a key before the list follows what was typed in the filter.
TYPING_PAUSE = 0.15

#: What `s` shows, in turn.
OUTCOMES: tuple[Bucket | None, ...] = (None, Bucket.WON, Bucket.LOST)
_OUTCOME_TEXT = {None: "won and lost", Bucket.WON: "won only", Bucket.LOST: "lost only"}

_COLUMNS = (("Closed", "closed"), ("", "outcome"), ("Deal", "title"), ("Account", "account"),
            ("Value", "value"), ("Lost because", "reason"))


def column_widths(width: int, padding: int) -> tuple[int, ...]:
    """Closed, outcome and value as wide as they need; the deal, account and reason share the rest
    (an ellipsis ends what does not fit) so every column stays on screen at 80 columns."""
    fixed = 10, 4, 10
    rest = max(24, width - sum(fixed) - 2 * padding * len(_COLUMNS))
    title = max(10, rest * 45 // 100)
    account = max(6, rest * 25 // 100)
    return fixed[0], fixed[1], title, account, fixed[2], max(6, rest - title - account)


class ClosedScreen(Screen[None]):
    """Won and lost deals: find one, see it, reopen it."""

    DEFAULT_CSS = """
    ClosedScreen #closed-header {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    ClosedScreen #closed-filter-bar {
        height: 1;
        padding: 0 1;
        margin: 1 0 0 0;
    }
    ClosedScreen #closed-filter-label {
        width: auto;
        color: $text-muted;
    }
    ClosedScreen #closed-filter {
        width: 1fr;
    }
    ClosedScreen DataTable {
        height: 1fr;
        margin: 1 1 0 1;
    }
    ClosedScreen #closed-hint {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS = bindings("closed")
    AUTO_FOCUS = "#closed-table"

    app: PlannerApp

    def __init__(self) -> None:
        super().__init__(id="closed")
        self.outcome: Bucket | None = None
        self.deals: dict[str, Opportunity] = {}
        self._seen_version = -1
        self._widths: tuple[int, ...] | None = None
        self._totals: dict[Bucket, tuple[int, int]] | None = None
        self._typing = None  # the timer that refreshes the list once typing pauses

    def compose(self) -> ComposeResult:
        yield ScreenBar("funnel")
        yield Static("", id="closed-header")
        with Horizontal(id="closed-filter-bar"):
            yield Static(Content("/ filter "), id="closed-filter-label")
            yield Input(placeholder="title, account, contact or lost reason",
                        id="closed-filter", compact=True)
        yield DataTable(id="closed-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="closed-hint")
        yield PlannerFooter()

    def on_mount(self) -> None:
        self.refresh_data()

    def on_screen_resume(self) -> None:
        if self._seen_version != self.app.core.version:
            self.refresh_data()

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_data)

    @property
    def table(self) -> DataTable:
        return self.query_one("#closed-table", DataTable)

    @property
    def search(self) -> str:
        return self.query_one("#closed-filter", Input).value.strip()

    # --- showing ------------------------------------------------------------------------------
    def refresh_data(self) -> None:
        if not self.is_mounted:
            return
        core = self.app.core
        try:
            deals, total = core.closed_deals(outcome=self.outcome, search=self.search, limit=SHOWN)
            if self._totals is None or self._seen_version != core.version:  # not again for each letter typed
                self._totals = core.closed_totals()
            totals = self._totals
            style = core.snapshot().settings.money_style
        except PlannerError as error:
            self.app.notify(str(error), severity="error")
            return
        self._seen_version = core.version
        table = self.table
        keep = self.selected
        row = table.cursor_row
        self._fit_columns(table)
        table.clear()
        self.deals = {}
        for deal in deals:
            won = deal.bucket is Bucket.WON
            key = str(deal.id)
            self.deals[key] = deal
            table.add_row(
                Text(deal.closed_on.isoformat() if deal.closed_on else "—"),
                Text("won" if won else "lost", style="bold" if won else ""),
                Text(deal.title, no_wrap=True, overflow="ellipsis"),
                Text(deal.account, no_wrap=True, overflow="ellipsis"),
                Text(money(deal.value_cents, style) if deal.value_cents else "—", justify="right", no_wrap=True,
                     overflow="ellipsis"),
                Text(deal.lost_reason, no_wrap=True, overflow="ellipsis"),
                key=key,
            )
        if table.row_count:
            if keep is not None and str(keep.id) in self.deals:
                table.move_cursor(row=table.get_row_index(str(keep.id)))
            else:  # the deal shown there went (reopened): the one after it takes its place
                table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        (won, won_value), (lost, _lost_value) = totals[Bucket.WON], totals[Bucket.LOST]
        header = Content.assemble(
            ("Closed deals", "bold"), "  ·  ",
            (f"{won:,} won", "bold"), (f" ({money(won_value, style)})" if won_value else "", "$text-muted"),
            " · ", (f"{lost:,} lost", "bold"),
            "  ·  showing ", (_OUTCOME_TEXT[self.outcome], "bold"),
            (f" matching “{self.search}”" if self.search else "", ""),
        )
        self.query_one("#closed-header", Static).update(header)
        if not total:
            hint = "No closed deal matches: escape clears the filter." if self.search or self.outcome else \
                "No closed deals yet: w and x on the Funnel mark a deal won or lost."
        elif total > len(deals):
            hint = f"The latest {len(deals):,} of {total:,}: type to find an older one."
        else:
            hint = f"{total:,} deal{'s' if total != 1 else ''}."
        hint += "  ⏎ details · o reopen · s won/lost · / filter · escape back"
        self.query_one("#closed-hint", Static).update(Content(hint))
        refresh_bindings_if_changed(self, ("details", "reopen"))

    def _fit_columns(self, table: DataTable) -> None:
        from planner.ui.widgets.tables import fit_columns

        self._widths = fit_columns(table, _COLUMNS, lambda width: column_widths(width, table.cell_padding),
                                   self._widths, self.size.width)

    @property
    def selected(self) -> Opportunity | None:
        table = self.table
        if not table.row_count or not self.deals:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 — the cursor between a clear and the new rows
            return None
        return self.deals.get(key or "")

    def select_deal(self, deal_id: int) -> None:
        """Highlight a deal (undo puts a reopened deal back here)."""
        try:
            row = self.table.get_row_index(str(deal_id))
        except RowDoesNotExist:
            return
        self.table.focus()
        self.table.move_cursor(row=row)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("details", "reopen"):
            return True if self.selected is not None else None
        return True

    # --- moving around ------------------------------------------------------------------------
    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        refresh_bindings_if_changed(self, ("details", "reopen"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter on a row: the table consumes it
        self.action_details()

    def action_cursor(self, step: int) -> None:
        table = self.table
        if not table.has_focus:
            table.focus()
        if step > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    # --- filter -------------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.query_one("#closed-filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        # Once typing pauses: with 100,000 closed deals a search takes ~0.2 s, too long for each letter.
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_PAUSE, self._filter_now)

    def _filter_now(self) -> None:
        self._typing = None
        self.refresh_data()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._typing is not None:  # enter: the list as typed, at once
            self._typing.stop()
            self._filter_now()
        self.table.focus()

    def action_outcome(self) -> None:
        self.outcome = OUTCOMES[(OUTCOMES.index(self.outcome) + 1) % len(OUTCOMES)]
        self.refresh_data()

    def action_back(self) -> None:
        """escape: clear the filter first (and leave the box), then back to the Funnel."""
        box = self.query_one("#closed-filter", Input)
        if box.value or box.has_focus:
            box.value = ""
            self._filter_now()
            self.table.focus()
            return
        self.dismiss(None)

    # --- deal actions ---------------------------------------------------------------------------
    def action_details(self) -> None:
        deal = self.selected
        if deal is not None:
            from planner.ui.screens.deal import DealDetailsScreen

            self.app.push_screen(DealDetailsScreen(deal.id))

    def action_reopen(self) -> None:
        deal = self.selected
        if deal is None or deal.id is None:
            return
        from planner.ui.screens.today_forms import ChoiceModal

        app = self.app
        try:
            origin = app.core.closed_from(deal.id)
        except PlannerError as error:
            app.notify(str(error), severity="error")
            self.refresh_data()
            return
        first = origin or Bucket.IN
        order = [first, *(b for b in OPEN_BUCKETS if b is not first)]
        choices = [(b.value, b.label + ("  (where it closed from)" if b is origin else "")) for b in order]

        def chosen(key: str | None) -> None:
            if key is not None:
                app.apply(lambda: app.core.reopen(deal.id, Bucket(key), expected_from=deal.bucket))

        app.push_screen(ChoiceModal(f"Reopen “{deal.title}” in:", choices), chosen)
