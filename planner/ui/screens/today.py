"""The Today screen: the daily check-in agenda in the method's priority order (SPEC §2, §5).

Best Few next actions (overdue first), then the week's prospecting quota, then In-the-Funnel items.
Single keys act on the selected item; every change is a use case of the core (`self.app.core`),
made on the deal as this screen showed it, so `u` undoes it and a deal changed elsewhere meanwhile
is refused with a message instead of being overwritten.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from planner.core.text import full_date, quota_today_text, streak_text, weekday_date
from planner.domain.models import AgendaItem, AgendaKind, Bucket, Opportunity, ProspectQuota, Role
from planner.domain.text import shown_line
from planner.errors import BadInput, Conflict, PlannerError
from planner.ui.actions import bindings
from planner.ui.widgets.banner import ScreenBar
from planner.ui.widgets.footer import PlannerFooter
from planner.ui.widgets.hanging import Hanging
from planner.ui.screens.today_forms import (
    ChoiceModal,
    Field,
    FormModal,
    prompt,
    refresh_bindings_if_changed,
    user_errors,
)

if TYPE_CHECKING:
    from planner.app import PlannerApp

DATE_FORMS = "fri, tomorrow, +3d, +2w, 2026-12-01"

#: Agenda parts by the bucket the work is for, in the order agenda() gives them.
_SECTIONS = {
    Bucket.BEST_FEW: "Best Few — close these first",
    Bucket.ABOVE: "Above the Funnel — prospect and qualify",
    Bucket.IN: "In the Funnel — cover buying influences, keep deals moving",
}


day_label = weekday_date
streak_label = streak_text


#: The gutter: the OVERDUE mark (8 cells) and the date column (11); an item's text wraps under itself.
GUTTER = 19


def item_content(item: AgendaItem, today: date, quota: ProspectQuota | None = None) -> Hanging:
    """One agenda line (and its detail underneath), user text kept literal; long text wraps under
    the text column, never back across the date column."""
    gutter: list[str | tuple[str, str]] = [("OVERDUE " if item.overdue else " " * 8, "$text-error bold")]
    if item.due is not None:
        when = "today" if item.due == today else day_label(item.due)
        gutter.append((f"{when:<11}", "$text-error" if item.overdue else "$text-accent"))
    elif item.kind in (AgendaKind.CLOSE, AgendaKind.ACTION):
        gutter.append(("no date    ", "$text-muted"))
    body = Content(shown_line(item.title))
    detail = item.detail
    if item.kind is AgendaKind.PROSPECT and quota is not None:
        detail = quota_today_text(quota)  # the engine's quota, in the one wording of planner.core.text
    # "due 2026-03-06" / "due today" repeat the date column; anything else says something new.
    if detail and not detail.startswith("due "):
        body = Content.assemble(body, "\n", (shown_line(detail), "$text-muted"))
    return Hanging(Content.assemble(*gutter), body, GUTTER)


def reschedulable(item: AgendaItem | None) -> bool:
    """A next action with a due date (the prospecting item, a cover item and an undated action have none)."""
    return item is not None and item.opportunity_id is not None and item.due is not None


class AgendaList(OptionList):
    """The agenda: `enter` opens the selected item's deal, and the footer says so."""

    # The id of the screen's own row (today.details): the footer ranks it, and a keymap that rebinds
    # it rebinds this one too.
    BINDINGS = [Binding("enter", "select", "Details", tooltip="Open the selected item's deal", id="today.details")]


class TodayScreen(Screen):
    """Daily check-in: what selling work comes first today."""

    DEFAULT_CSS = """
    TodayScreen #today-header {
        height: auto;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    TodayScreen #today-hint {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    TodayScreen #today-agenda {
        height: 1fr;
        border: none;
    }
    TodayScreen #today-agenda > .option-list--option-disabled {
        text-style: bold;
    }
    """

    BINDINGS = bindings("today")

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[str, AgendaItem] = {}
        self._shown: tuple[AgendaItem, ...] | None = None
        self._deals: dict[int, Opportunity] = {}  # the open deals as this screen shows them

    @property
    def planner(self) -> PlannerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield ScreenBar("today")
        yield Static("", id="today-header")
        yield AgendaList(id="today-agenda")
        yield Static("", id="today-hint")
        yield PlannerFooter()

    def on_screen_resume(self) -> None:
        self.refresh_data()
        self.query_one("#today-agenda", OptionList).focus()

    # --- data -------------------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Re-read the agenda; keeps the selection on the same item when it is still there."""
        if not self.is_mounted:
            return
        from planner.domain.agenda import agenda

        core = self.planner.core
        snapshot = core.snapshot()
        status = core.status()
        items = agenda(snapshot, status)
        today = core.today
        self._deals = {d.id: d for d in snapshot.open_deals if d.id is not None}

        header = Content.assemble(
            (f"Today · {full_date(today)}", "bold"),
            " · ",
            (streak_label(snapshot.checkin_streak), "$text-success" if snapshot.checkin_streak else "$text-muted"),
            " · ",
            ("check-in done" if snapshot.checked_in_today else "f finishes the check-in", "$text-muted"),
        )
        self.query_one("#today-header", Static).update(header)
        overdue = sum(1 for i in items if i.overdue)
        hint = "Priority: Best Few first, then prospecting, then In the Funnel."
        if overdue:
            hint = f"{overdue} overdue. " + hint
        self.query_one("#today-hint", Static).update(Content(hint))

        options = self.query_one("#today-agenda", OptionList)
        if items == self._shown:
            # Logging time or finishing the check-in leaves the agenda as it was: rebuilding a long
            # list only costs time (every option is measured again).
            return
        self._shown = items
        previous = options.highlighted_option.id if options.highlighted_option else None
        previous_index = options.highlighted or 0

        self._items = {}
        rendered: list[Option | None] = []
        section = None
        for index, item in enumerate(items):
            if item.bucket != section:
                if section is not None:
                    rendered.append(None)
                heading = _SECTIONS.get(item.bucket, item.bucket.label)
                rendered.append(Option(Content.styled(heading, "bold $text-primary"), disabled=True))
                section = item.bucket
            # Keyed by what the item is about, so the selection survives a refresh that reorders.
            option_id = f"{item.kind.value}-{item.opportunity_id or 0}"
            if option_id in self._items:
                option_id = f"{option_id}-{index}"
            self._items[option_id] = item
            rendered.append(Option(item_content(item, today, status.quota), id=option_id))
        if not items:
            rendered.append(Option(Content("Nothing on the agenda today. p adds a prospect."), disabled=True))
        options.set_options(rendered)

        ids = [o.id for o in options.options]
        if previous is not None and previous in ids:
            options.highlighted = ids.index(previous)
        elif self._items:
            enabled = [i for i, o in enumerate(options.options) if not o.disabled]
            options.highlighted = min(enabled, key=lambda i: (i < previous_index, abs(i - previous_index)))

        refresh_bindings_if_changed(self, ("done", "log", "reschedule", "details"))

    def selected(self) -> AgendaItem | None:
        option = self.query_one("#today-agenda", OptionList).highlighted_option
        if option is None or option.id is None:
            return None
        return self._items.get(option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """`enter` (or a click) on an item opens its deal (OptionList takes `enter` for itself)."""
        event.stop()
        self.action_details()

    @user_errors
    def action_details(self) -> None:
        from planner.ui.screens.deal import DealDetailsScreen

        item = self.selected()
        if item is None or item.opportunity_id is None:
            return
        self._deal(item.opportunity_id)  # still open: else a message, and the agenda as it is now
        self.app.push_screen(DealDetailsScreen(item.opportunity_id))

    def on_option_list_option_highlighted(self, _: OptionList.OptionHighlighted) -> None:
        refresh_bindings_if_changed(self, ("done", "log", "reschedule", "details"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("done", "log"):
            return True if self.selected() is not None else None
        if action == "reschedule":
            # Only an item with a date has one to move; `d` sets a first one (Done, then the form).
            return reschedulable(self.selected())
        if action == "details":
            item = self.selected()
            return True if item is not None and item.opportunity_id is not None else None
        return True

    # --- actions ----------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.query_one("#today-agenda", OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#today-agenda", OptionList).action_cursor_up()

    def _deal(self, opp_id: int) -> Opportunity:
        """The deal as this screen shows it (what an action is made on)."""
        deal = self._deals.get(opp_id)
        if deal is None:  # closed or deleted since the agenda was read
            self.planner.core.refresh()
            self.planner.data_changed()
            raise Conflict("That deal is no longer open (changed elsewhere); the agenda shows it as it is now")
        return deal

    @user_errors
    def action_done(self) -> None:
        item = self.selected()
        if item is None:
            return
        if item.kind is AgendaKind.PROSPECT:
            self.action_prospect()
        elif item.kind is AgendaKind.COVER:
            self._cover(item)
        elif item.opportunity_id is not None:
            self._done(item.opportunity_id)

    def _done(self, opp_id: int) -> None:
        app = self.planner
        deal = self._deal(opp_id)
        if deal.next_action or deal.next_action_due:
            change = app.apply(lambda: app.core.done_next_action(opp_id, base=deal))
            if change is None:
                return  # refused (changed elsewhere): the agenda shows the deal as it is now
            deal = change.deal or deal
        self.app.push_screen(self._next_action_form(deal))

    def _next_action_form(self, deal: Opportunity) -> FormModal:
        """Every live deal should have a next action: ask for it right away."""
        from planner.domain.parse import MAX_FIELD, clean_text, parse_date

        app = self.planner

        def apply(values: dict[str, str]) -> None:
            text = clean_text(values["action"], MAX_FIELD, what="next action")
            if not text:
                raise BadInput("type the next action, or press escape to leave the deal without one")
            due = parse_date(values["due"], app.core.today, what="due date") if values["due"].strip() else None
            opp_id = deal.id
            assert opp_id is not None
            app.commit(lambda: app.core.set_next_action(opp_id, text, due, base=deal))

        return FormModal(
            f"Next action for {deal.title}",
            [
                Field("action", "Next action", "", "e.g. Call Lee about the proposal"),
                Field("due", f"Due ({DATE_FORMS})", "+1w", DATE_FORMS),
            ],
            apply,
            hint="Every live deal should have a next action.",
        )

    def _cover(self, item: AgendaItem) -> None:
        """Mark one of the deal's uncovered buying influences as covered."""
        app = self.planner
        assert item.opportunity_id is not None
        deal = self._deal(item.opportunity_id)
        uncovered = [
            (str(i), f"{inf.role.label}: {inf.name}") for i, inf in enumerate(deal.influences) if not inf.covered
        ]
        if not uncovered:
            if not deal.has_economic_buyer:
                # Straight to where one is added (the details' `b`), the role preset.
                from planner.ui.screens.deal import edit_influences

                self.notify(f"{deal.title} has no Economic Buyer yet: add one (enter adds, ctrl+s saves).",
                            markup=False)
                edit_influences(app, deal, Role.ECONOMIC)
            else:
                self._done(item.opportunity_id)
            return

        def chosen(key: str | None) -> None:
            if key is None:
                return
            index = int(key)
            influences = list(deal.influences)
            influences[index] = replace(influences[index], covered=True)
            assert deal.id is not None
            app.apply(lambda: app.core.set_influences(deal.id, influences, base=deal))

        self.app.push_screen(ChoiceModal(f"Which buying influence of {deal.title} is now covered?", uncovered), chosen)

    @user_errors
    def action_log(self) -> None:
        """The one log-time form (the Funnel's `t`): on the item's deal, or prospecting time."""
        from planner.ui.screens.modals import log_time

        item = self.selected()
        if item is None:
            return
        deal = self._deal(item.opportunity_id) if item.opportunity_id is not None else None
        log_time(self.planner, deal)

    @user_errors
    def action_reschedule(self) -> None:
        from planner.domain.parse import parse_date

        item = self.selected()
        if not reschedulable(item):
            return
        app = self.planner
        opp_id = item.opportunity_id
        deal = self._deal(opp_id)

        def apply(text: str) -> None:
            due = parse_date(text, app.core.today)
            app.commit(lambda: app.core.reschedule(opp_id, due, base=deal))

        current = item.due.isoformat() if item.due else ""
        self.app.push_screen(
            prompt(
                f"Reschedule: {item.title}", f"New due date ({DATE_FORMS})", apply, value=current, placeholder=DATE_FORMS
            )
        )

    @user_errors
    def action_prospect(self) -> None:
        """The Funnel's add dialog, for Above the Funnel, with a first next action preset."""
        from planner.ui.screens.modals import AddDealModal

        app = self.planner
        core = app.core
        try:
            criteria = core.criteria()
        except PlannerError as error:
            app.notify(str(error), severity="error")
            return
        modal = AddDealModal(Bucket.ABOVE, core.today,
                             lambda deal: app.commit(lambda: core.add(deal, currency=modal.currency)),
                             criteria, title="Add a prospect above the funnel",
                             next_action="Qualify: reach a buying influence", due="tomorrow")
        self.app.push_screen(modal)

    @user_errors
    def action_finish(self) -> None:
        app = self.planner
        app.apply(app.core.check_in)
