"""The Funnel screen (SPEC §5, key 1): Above the Funnel, In the Funnel and Best Few side by side.

Each bucket shows its full name, count, value and the suggested share of the week; each deal its
title, account, value, next action and flag marks. Keys act on the highlighted deal of the focused
bucket; every change is a use case of the core (`self.app.core`) run through `PlannerApp.apply`,
and carries what the screen showed (a move the bucket it expects the deal in, an edit the deal as
shown), so a deal changed meanwhile elsewhere is refused with a message, not overwritten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from planner.core import text
from planner.domain.models import OPEN_BUCKETS, Bucket, Opportunity
from planner.errors import PlannerError
from planner.ui.actions import bindings
from planner.ui.widgets.banner import FunnelBanner, ScreenBar
from planner.ui.widgets.bucket_list import BucketColumn, BucketList
from planner.ui.widgets.footer import PlannerFooter
from planner.ui.widgets.hanging import Fitted

if TYPE_CHECKING:
    from planner.app import PlannerApp

#: Actions that need a highlighted deal.
_DEAL_ACTIONS = {"edit", "details", "move_on", "move_back", "won", "lost", "next_action", "delete"}


class FunnelScreen(Screen[None]):
    BINDINGS = bindings("funnel")
    AUTO_FOCUS = "#list-above"
    # Screen.focused repaints the whole screen when it changes; moving focus between buckets
    # restyles the two lists (and their titles) anyway, so a full repaint is a frame's work for
    # nothing (~10–20 ms on every move to another bucket and every h/l).
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    app: PlannerApp

    def __init__(self) -> None:
        super().__init__(id="funnel")
        self.filter_text = ""
        self._seen_version = -1
        self._resumed = False
        self._filter_input: Input | None = None  # built on first use, then hidden, never removed

    def compose(self) -> ComposeResult:
        yield ScreenBar("funnel")
        yield Static("", id="funnel-status")
        yield FunnelBanner(id="banner")
        with Horizontal(id="buckets"):
            for bucket in OPEN_BUCKETS:
                yield BucketColumn(bucket)
        yield PlannerFooter()

    async def on_mount(self) -> None:
        self.refresh_data()
        await self.query_one(PlannerFooter).compose_now()  # the keys in the first frame too

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Textual's own handler (Screen._on_screen_resume). On the first resume the
        # screen was styled a moment ago, when it was mounted: Textual styles all of it again
        # (~10 ms at start-up, before the first frame). Later resumes restyle as usual.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False
        if self._seen_version != self.app.core.version:
            self.refresh_data()

    # --- showing ------------------------------------------------------------------------------
    def refresh_data(self) -> None:
        app = self.app
        core = app.core
        try:
            snapshot = core.snapshot()
            status = core.status()
        except PlannerError as error:  # the database went bad under us: say so, keep what is shown
            app.notify(str(error), severity="error")
            return
        self._seen_version = core.version
        flags_by_deal = status.deal_flags
        # The snapshot holds the open deals in agenda order already (next action due soonest
        # first, none last, then oldest first: FunnelSnapshot.open_deals), so each bucket's list
        # is taken in that order.
        by_bucket: dict[Bucket, list[Opportunity]] = {b: [] for b in OPEN_BUCKETS}
        needle = self.filter_text.casefold()
        for deal in snapshot.open_deals:
            if deal.bucket in by_bucket and (not needle or _matches(deal, needle)):
                by_bucket[deal.bucket].append(deal)
        for bucket in OPEN_BUCKETS:
            self.query_one(f"#col-{bucket.value}", BucketColumn).show(
                by_bucket[bucket],
                flags_by_deal,
                core.today,
                count=status.counts.get(bucket, 0),
                value_cents=status.values_cents.get(bucket, 0),
                share=status.allocation.shares.get(bucket),
                filtered=bool(needle),
                money_style=snapshot.settings.money_style,
                own_split=status.own_split is not None,
            )
        self.query_one(FunnelBanner).show_flags(status.flags, status.allocation)
        line = _status_line(status, snapshot, read_only=core.read_only)
        widget = self.query_one("#funnel-status", Static)
        if getattr(widget, "_shown_key", None) != line.plain_variants:
            widget._shown_key = line.plain_variants
            widget.update(line, layout=False)  # always one row
        self._repaint_now()

    def _repaint_now(self) -> None:
        """Put everything a change touched in the frame that shows it. Textual updates the footer
        from the footer's own loop after this handler (a signal callback), and a restyled or
        updated widget reaches the screen only when it next idles; after a change that took a
        while both come after the screen's next frame, so the footer keys, the top bar or a bucket
        title got a frame of their own, a frame period (20–30 ms) after the change was on screen."""
        self.refresh_bindings()  # for everything else that listens
        footer = self.query_one(PlannerFooter)
        if footer.is_mounted and footer.composed:  # not composed: the screen's mount composes it
            with footer._context():  # as if run by the footer's own loop (it may recompose)
                footer.bindings_changed(self)  # the deferred call then finds nothing to change
        for widget in self.walk_children():
            if widget._repaint_required:
                widget._check_refresh()  # Textual 8.2: what the widget's idle would do

    # --- what is selected -----------------------------------------------------------------------
    @property
    def focused_bucket(self) -> Bucket:
        """The bucket keys act on: the list focused last (focus moves a moment after the key that
        moved it, so the key after `l` must already see the new bucket), Above by default."""
        return self._last_bucket

    _last_bucket: Bucket = Bucket.ABOVE

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, BucketList):
            self._last_bucket = event.widget.bucket
            self._mark_current(event.widget.bucket)

    def _mark_current(self, bucket: Bucket) -> None:
        # A class, not :focus-within, so only the two titles restyle, not both whole columns.
        for column in self.query(BucketColumn):
            column.query_one(".bucket-title").set_class(column.bucket is bucket, "-current")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_details()

    def bucket_list(self, bucket: Bucket) -> BucketList:
        return self.query_one(f"#list-{bucket.value}", BucketList)

    @property
    def selected(self) -> Opportunity | None:
        lst = self.bucket_list(self.focused_bucket)
        deal_id = lst.selected_id
        return lst.deals.get(deal_id) if deal_id is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _DEAL_ACTIONS:
            deal = self.selected
            if deal is None:
                return False
            if action == "move_on":
                return deal.bucket.next() is not None or None
            if action == "move_back":
                return deal.bucket.previous() is not None or None
        if action == "warnings":
            return self.query_one(FunnelBanner).can_show_more
        if action == "clear_filter":
            box = self._filter_box()
            return bool(self.filter_text) or (box is not None and box.has_focus)
        return True

    # --- moving around ------------------------------------------------------------------------
    def action_focus_bucket(self, step: int) -> None:
        index = OPEN_BUCKETS.index(self.focused_bucket)
        target = OPEN_BUCKETS[max(0, min(len(OPEN_BUCKETS) - 1, index + step))]
        self._last_bucket = target
        self.set_focus(self.bucket_list(target))

    def action_cursor(self, step: int) -> None:
        lst = self.bucket_list(self.focused_bucket)
        if not lst.has_focus:
            lst.focus()
        if step > 0:
            lst.action_cursor_down()
        else:
            lst.action_cursor_up()

    def select_deal(self, deal_id: int, bucket: Bucket | None = None) -> None:
        """Focus the bucket holding `deal_id` and highlight it."""
        buckets = [bucket] if bucket is not None else list(OPEN_BUCKETS)
        for b in buckets:
            if b in OPEN_BUCKETS:
                lst = self.bucket_list(b)
                if lst.select_deal(deal_id):
                    # Focused and marked now, not by a later message: a change that moves the
                    # deal to another bucket then shows in one frame instead of two.
                    self._last_bucket = b
                    self._mark_current(b)
                    self.set_focus(lst)
                    self._repaint_now()
                    return

    def action_warnings(self) -> None:
        """The banner's next view: every flag whole (page by page on a short screen), then fewer."""
        self.query_one(FunnelBanner).show_more()

    # --- filter -------------------------------------------------------------------------------
    def _filter_box(self) -> Input | None:
        # Kept, not queried: `check_action` asks for it on every footer check (a dozen a change),
        # and a query walks every widget of the screen.
        return self._filter_input

    async def action_filter(self) -> None:
        box = self._filter_box()
        if box is None:
            # Built on first use: an Input is not free and most mornings need no filter.
            box = Input(placeholder="title, account or contact — enter keeps it, escape clears", id="filter",
                        compact=True)
            bar = Horizontal(Static(Content("/ filter "), id="filter-label"), box, id="filter-bar")
            self._filter_input = box
            await self.mount(bar, before=self.query_one("#buckets"))
        self.query_one("#filter-bar").remove_class("-hidden")
        self.set_focus(box)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value.strip()
            self.refresh_data()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            if not self.filter_text:
                self.query_one("#filter-bar").add_class("-hidden")
            self.bucket_list(self._last_bucket).focus()

    def action_clear_filter(self) -> None:
        box = self._filter_box()
        had_filter = bool(self.filter_text)
        self.filter_text = ""
        if box is not None:
            box.value = ""
            self.query_one("#filter-bar").add_class("-hidden")
        self.bucket_list(self._last_bucket).focus()
        if had_filter:
            self.refresh_data()

    # --- deal actions -------------------------------------------------------------------------
    def action_add(self) -> None:
        from planner.ui.screens.modals import AddDealModal

        bucket = self.focused_bucket
        core = self.app.core
        added: list[int] = []

        def add(draft: Opportunity) -> None:
            # an error keeps the dialog open
            change = self.app.commit(lambda: core.add(draft, bucket=bucket, currency=modal.currency))
            if change.deal_id is not None:
                added.append(change.deal_id)

        def closed(_result) -> None:  # after the funnel shows the new deal
            if added:
                self.select_deal(added[-1], bucket)

        try:
            criteria = core.criteria()
        except PlannerError as error:
            self.app.notify(str(error), severity="error")
            return
        modal = AddDealModal(bucket, core.today, add, criteria)
        self.app.push_screen(modal, closed)

    def action_edit(self) -> None:
        deal = self.selected
        if deal is not None:
            from planner.ui.screens.deal import edit_deal

            edit_deal(self.app, deal)

    def action_details(self) -> None:
        deal = self.selected
        if deal is not None:
            from planner.ui.screens.deal import DealDetailsScreen

            self.app.push_screen(DealDetailsScreen(deal.id))

    def action_move_on(self) -> None:
        deal = self.selected
        if deal is not None and deal.bucket.next() is not None:
            move_deal(self.app, deal, deal.bucket.next(), follow=self)

    def action_move_back(self) -> None:
        deal = self.selected
        if deal is not None and deal.bucket.previous() is not None:
            move_deal(self.app, deal, deal.bucket.previous(), follow=self)

    def action_won(self) -> None:
        deal = self.selected
        if deal is None:
            return
        from planner.ui.screens.modals import WonModal

        def won(answer: tuple) -> None:
            closed_on, value_cents = answer
            self.app.commit(lambda: self.app.core.won(deal.id, expected_from=deal.bucket, closed_on=closed_on,
                                                      value_cents=value_cents, currency=modal.currency))

        modal = WonModal(deal, self.app.core.today, won)
        self.app.push_screen(modal)

    def action_lost(self) -> None:
        deal = self.selected
        if deal is None:
            return
        from planner.ui.screens.modals import LostReasonModal

        def lost(reason: str) -> None:
            self.app.commit(lambda: self.app.core.lost(deal.id, reason, expected_from=deal.bucket))

        self.app.push_screen(LostReasonModal(deal.title, lost))

    def action_log_time(self) -> None:
        from planner.ui.screens.modals import log_time

        log_time(self.app, self.selected)  # no deal selected: prospecting time

    def action_next_action(self) -> None:
        deal = self.selected
        if deal is not None:
            from planner.ui.screens.modals import set_next_action

            set_next_action(self.app, deal)

    def action_closed(self) -> None:
        from planner.ui.screens.closed import ClosedScreen

        self.app.push_screen(ClosedScreen())

    def action_delete(self) -> None:
        deal = self.selected
        if deal is not None:
            self.app.apply(lambda: self.app.core.delete(deal.id, base=deal))


def move_deal(app: PlannerApp, deal: Opportunity, to: Bucket, *, follow: FunnelScreen | None = None):
    """Move a deal as the screen shows it (SPEC §2): the method's entry conditions warn, never
    block; a deal that is in another bucket by now (changed elsewhere) is refused with a message."""
    change = app.apply(lambda: app.core.move(deal.id, to, expected_from=deal.bucket))
    if change is not None and change.changed and follow is not None and to.is_open:
        follow.select_deal(deal.id, to)
    return change


def _matches(deal: Opportunity, needle: str) -> bool:
    return needle in deal.title.casefold() or needle in deal.account.casefold() or needle in deal.contact.casefold()


def _status_line(status, snapshot, *, read_only: bool = False) -> Fitted:
    """The cycle, this week's prospects and hours: in full where there is room, shorter at 80
    columns rather than losing the week's hours at the end."""
    alloc = status.allocation
    muted, bold = "$text-muted", "bold"
    days = f"{status.cycle.days:.0f} days"
    prospects = text.quota_progress(status.quota)  # the engine's one quota, worded once
    week = text.whole_hours(alloc.hours_per_week)
    own_week = snapshot.week_hours is not None
    normal = text.whole_hours(snapshot.settings.hours_per_week)
    over = text.hours(alloc.overloaded_hours) if alloc.overloaded_hours > 0.05 else ""
    lead: list[tuple[str, str]] = [("READ-ONLY: changes are refused   ", "bold $text-error")] if read_only else []
    full = [
        ("Normal cycle ", muted), (days, bold), (f" ({status.cycle.description})", muted),
        ("   Prospects this week ", muted), (prospects, bold),
        ("   Week ", muted), (week, bold),
        *([(f" this week (normal {normal})", muted)] if own_week else []),
        *([(f" · overloaded by {over}", "bold $text-warning")] if over else []),
    ]
    shorter = [
        ("Normal cycle ", muted), (days, bold),
        ("   Prospects this week ", muted), (prospects, bold),
        ("   Week ", muted), (week, bold),
        *([(f" this week (normal {normal})", muted)] if own_week else []),
        *([(f" · overloaded by {over}", "bold $text-warning")] if over else []),
    ]
    shortest = [
        ("Cycle ", muted), (days, bold),
        (" · Prospects ", muted), (prospects, bold),
        (" · Week ", muted), (week, bold),
        *([(" (own)", muted)] if own_week else []),
        *([(f", {over} over", "bold $text-warning")] if over else []),
    ]
    return Fitted(tuple(Content.assemble(*lead, *parts) for parts in (full, shorter, shortest)))
