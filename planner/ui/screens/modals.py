"""Small dialogs of the Funnel screen (SPEC §2, §5): add a deal, won (close day and final value),
lost reason, log time, next action, confirm, and the `?` help.

Every dialog parses what was typed with `planner.domain.parse` (the same rules as the CLI) and
hands the result to its `apply` (a use case of the core, run through `PlannerApp.commit`). A
refusal — bad input, a deal changed elsewhere meanwhile, a locked database — is shown in one line
inside the dialog, which stays open with what was typed; `escape` closes it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from planner.domain.models import ActivityKind, Bucket, Criterion, Opportunity
from planner.domain.text import shown_line
from planner.errors import PlannerError

if TYPE_CHECKING:
    from planner.app import PlannerApp


class Dialog(ModalScreen[Any]):
    """A centred box with a title, fields, an error line and Save/Cancel; enter in any input saves."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CLASSES = "dialog"
    title_text = ""
    save_label = "Save"
    scrolls = False  # a box that may be taller than the terminal scrolls

    def __init__(self, apply: Callable[[Any], Any] | None = None) -> None:
        super().__init__()
        self._apply = apply

    def compose(self) -> ComposeResult:
        box = VerticalScroll(classes="dialog-box form-box") if self.scrolls else Vertical(classes="dialog-box")
        with box:
            yield Static(Content(shown_line(self.title_text)), classes="dialog-title")
            yield from self.fields()
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.save_label, variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def fields(self) -> ComposeResult:
        yield from ()

    def field(self, label: str, input_id: str, value: str = "", placeholder: str = "") -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(label, classes="field-label")
            yield Input(shown_line(value), placeholder=placeholder, id=input_id, classes="field-input", compact=True)

    def value(self, input_id: str) -> str:
        return self.query_one(f"#{input_id}", Input).value

    def result(self) -> Any:
        """Parse the fields into the dialog's result; raise BadInput to refuse."""
        raise NotImplementedError

    def action_save(self) -> None:
        try:
            outcome = self.result()
            if self._apply is not None:
                self._apply(outcome)
        except PlannerError as error:
            self.query_one(".dialog-error", Static).update(Content(shown_line(str(error))))
            return
        self.dismiss(outcome)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()


class AddDealModal(Dialog):
    """Add a deal (SPEC §2): only the title is needed; it lands in the focused bucket. Account,
    value, contact, expected close, next action and its due day, source, and the ideal-customer
    criteria it meets can be given at once (ticking a criterion counts as reviewing them)."""

    save_label = "Add"
    scrolls = True  # taller than 24 rows with a few criteria: the box scrolls to the focused field
    BINDINGS = [Binding("ctrl+s", "save", "Add", priority=True)]  # enter on a criterion ticks it

    def __init__(self, bucket: Bucket, today: date, apply: Callable[[Opportunity], Any] | None = None,
                 criteria: Sequence[Criterion] = (), *, title: str = "", next_action: str = "",
                 due: str = "") -> None:
        super().__init__(apply)
        self.bucket = bucket
        self.today = today
        self.criteria = tuple(c for c in criteria if c.id is not None)
        self.title_text = title or f"Add a deal to {bucket.label}"
        self.preset = {"next": next_action, "due": due}  # Today's p: a prospect starts with a next action
        self.currency = ""  # the currency the value was typed in, when the database has none yet

    def fields(self) -> ComposeResult:
        yield from self.field("Title", "title", placeholder="required, e.g. Website revamp")
        yield from self.field("Account", "account", placeholder="optional")
        yield from self.field("Value", "value", placeholder="optional, e.g. 12000")
        yield from self.field("Contact", "contact", placeholder="optional, e.g. Dana Lee")
        yield from self.field("Expected close", "expected_close", placeholder="optional: +6w, 2026-12-01")
        yield from self.field("Next action", "next", self.preset["next"], placeholder="optional, e.g. Call Dana")
        yield from self.field("Due", "due", self.preset["due"], placeholder="optional: fri, +3d, 2026-12-01")
        yield from self.field("Source", "source", placeholder="optional: where the lead came from")
        if self.criteria:
            yield Static(Content("Ideal-customer criteria it meets"), classes="section-title")
            with Vertical(id="criteria"):
                for c in self.criteria:
                    label = Content.assemble(Content(shown_line(c.name)),
                                             (f"  ({c.kind.value}, weight {c.weight})", "$text-muted"))
                    yield Checkbox(label, False, id=f"criterion-{c.id}", classes="criterion", compact=True)
                # Until the criteria are reviewed the fit is "not assessed", never "consider dropping".
                yield Checkbox("Criteria reviewed (ticking one counts)", False, id="criteria-reviewed",
                               compact=True)
        yield Static(Content("enter in a field or ctrl+s adds · tab next · space ticks · escape cancels"),
                     classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.value and event.checkbox.has_class("criterion"):
            self.query_one("#criteria-reviewed", Checkbox).value = True

    def result(self) -> Opportunity:
        from planner.domain.parse import MAX_FIELD, clean_text, clean_title, parse_date, parse_money_in

        def day(input_id: str, what: str) -> date | None:
            text = self.value(input_id).strip()
            return parse_date(text, self.today, what=what) if text else None

        title = clean_title(self.value("title"))
        value = self.value("value").strip()
        style = self.app.core.snapshot().settings.money_style  # the database's currency and decimal convention
        met = frozenset(c.id for c in self.criteria if self.query_one(f"#criterion-{c.id}", Checkbox).value)
        cents, self.currency = parse_money_in(value, style) if value else (0, "")
        return Opportunity(
            title=title,
            bucket=self.bucket,
            account=clean_text(self.value("account"), MAX_FIELD, what="account"),
            contact=clean_text(self.value("contact"), MAX_FIELD, what="contact"),
            value_cents=cents,
            expected_close=day("expected_close", "expected close"),
            next_action=clean_text(self.value("next"), MAX_FIELD, what="next action"),
            next_action_due=day("due", "due date"),
            source=clean_text(self.value("source"), MAX_FIELD, what="source"),
            criteria_met=met,
            criteria_reviewed=bool(met) or (bool(self.criteria)
                                            and self.query_one("#criteria-reviewed", Checkbox).value),
        )


class WonModal(Dialog):
    """Mark a deal won: the day it closed (today preset) and its final value (the deal's value
    preset); enter accepts both as they are. The close day is what the normal cycle is measured to."""

    save_label = "Mark won"

    def __init__(self, deal: Opportunity, today: date, apply: Callable[[tuple[date, int]], Any] | None = None) -> None:
        super().__init__(apply)
        self.deal = deal
        self.today = today
        self.title_text = f"Won “{deal.title}”"
        self.currency = ""  # the currency the value was typed in, when the database has none yet

    def fields(self) -> ComposeResult:
        from planner.core.text import money

        style = self.app.core.snapshot().settings.money_style
        yield from self.field("Closed on", "closed_on", self.today.isoformat(), placeholder="today, yesterday, fri")
        yield from self.field("Final value", "final_value", money(self.deal.value_cents, style),
                              placeholder="e.g. 12000")
        yield Static(Content("enter marks it won · closed on: today, yesterday, fri or a date"),
                     classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#closed_on", Input).focus()

    def result(self) -> tuple[date, int]:
        from planner.domain.parse import parse_money_in, parse_past_day
        from planner.errors import BadInput

        closed_on = parse_past_day(self.value("closed_on"), self.today, what="close day",
                                   why="a deal closes on a day that has come")
        value = self.value("final_value").strip()
        if not value:
            raise BadInput("type the final value (0 when there is none)")
        style = self.app.core.snapshot().settings.money_style
        cents, self.currency = parse_money_in(value, style)
        return closed_on, cents


class LostReasonModal(Dialog):
    """Mark a deal lost: the reason is what the planner learns from (it may stay empty)."""

    save_label = "Mark lost"

    def __init__(self, deal_title: str, apply: Callable[[str], Any] | None = None) -> None:
        super().__init__(apply)
        self.title_text = f"Why was “{deal_title}” lost?"

    def fields(self) -> ComposeResult:
        yield from self.field("Reason", "reason", placeholder="e.g. went with a cheaper offer")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def result(self) -> str:
        from planner.domain.parse import MAX_FIELD, clean_text

        return clean_text(self.value("reason"), MAX_FIELD, what="reason")


class LogTimeModal(Dialog):
    """The one log-time form (Funnel `t`, the deal's details `t`, Today `l`): selling time on a
    deal, or prospecting time on no deal (counts above the funnel), on the day it was spent."""

    save_label = "Log"

    def __init__(self, deal: Opportunity | None, today: date, apply: Callable[[Any], Any] | None = None) -> None:
        super().__init__(apply)
        self.deal = deal
        self.today = today
        self.title_text = (
            f"Log time on “{deal.title}”" if deal is not None else "Log prospecting time (no deal: counts above the funnel)"
        )

    def fields(self) -> ComposeResult:
        default = ActivityKind.CALL if self.deal is not None else ActivityKind.RESEARCH
        with Horizontal(classes="field"):
            yield Label("Kind", classes="field-label")
            yield Select(
                [(k.label, k) for k in ActivityKind], value=default, allow_blank=False, id="kind",
                classes="field-input", compact=True,
            )
        yield from self.field("Minutes", "minutes", placeholder="e.g. 30, 1h30, 90m")
        yield from self.field("Note", "note", placeholder="optional")
        yield from self.field("Day", "day", placeholder="today; or yesterday, fri, -2d, 2026-03-02")
        if self.deal is not None:
            with Horizontal(classes="field"):
                yield Label("", classes="field-label")
                # Short enough for the field at 80 columns (a checkbox label does not wrap).
                yield Checkbox("Prospecting instead (counts above the funnel)", False,
                               id="prospecting", compact=True)

    def on_mount(self) -> None:
        self.query_one("#minutes", Input).focus()

    @property
    def on_deal(self) -> Opportunity | None:
        """The deal the time is for, or None for prospecting."""
        if self.deal is None or self.query_one("#prospecting", Checkbox).value:
            return None
        return self.deal

    def result(self):
        from planner.domain.models import Activity
        from planner.domain.parse import MAX_FIELD, clean_text, parse_minutes, parse_past_day

        minutes = parse_minutes(self.value("minutes"))
        note = clean_text(self.value("note"), MAX_FIELD, what="note")
        # "fri" on a Monday is the Friday just gone: the day the calls were made.
        on = parse_past_day(self.value("day"), self.today, what="day")
        kind = self.query_one("#kind", Select).value
        deal = self.on_deal
        return Activity(
            kind=kind,
            minutes=minutes,
            on=on,
            opportunity_id=deal.id if deal is not None else None,
            note=note,
            bucket=deal.bucket if deal is not None else Bucket.ABOVE,
        )


def log_time(app: PlannerApp, deal: Opportunity | None) -> None:
    """Ask for the time and log it (SPEC §2 "Log activities"), one undoable step."""
    core = app.core
    app.push_screen(LogTimeModal(deal, core.today, lambda activity: app.commit(lambda: core.log_time(activity))))


class NextActionModal(Dialog):
    """The deal's next action and when it is due (SPEC §3.3: every live deal should have one)."""

    def __init__(self, deal: Opportunity, today: date, apply: Callable[[Any], Any] | None = None) -> None:
        super().__init__(apply)
        self.deal = deal
        self.today = today
        self.title_text = f"Next action for “{deal.title}”"

    def fields(self) -> ComposeResult:
        due = self.deal.next_action_due.isoformat() if self.deal.next_action_due else ""
        yield from self.field("Next action", "next", self.deal.next_action, placeholder="e.g. Send the proposal")
        yield from self.field("Due", "due", due, placeholder="fri, tomorrow, +3d, 2026-12-01")

    def on_mount(self) -> None:
        self.query_one("#next", Input).focus()

    def result(self) -> tuple[str, date | None]:
        from planner.domain.parse import MAX_FIELD, clean_text, parse_date

        text = clean_text(self.value("next"), MAX_FIELD, what="next action")
        due = self.value("due").strip()
        return text, parse_date(due, self.today, what="due date") if due else None


def set_next_action(app: PlannerApp, deal: Opportunity) -> None:
    """Ask for the deal's next action and due date; saved onto the deal as the screen showed it
    (a deal changed elsewhere meanwhile is refused in the dialog, which keeps what was typed)."""
    core = app.core

    def save(answer: tuple[str, date | None]) -> None:
        action, due = answer
        app.commit(lambda: core.set_next_action(deal.id, action, due, base=deal))

    app.push_screen(NextActionModal(deal, core.today, save))


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; `y`/enter confirms, `n`/escape declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Content(shown_line(self.question)), classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="primary", id="yes", compact=True)
                yield Button(f"{self.no} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


class HelpScreen(ModalScreen[None]):
    """The keys of the screen it was opened on, then the keys that work everywhere (both from the
    one action table, as `PlannerApp.help_sections` picks them), and what the flag marks mean."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]] | None = None, *,
                 flag_marks: bool = True, palette_keys: str = "ctrl+p") -> None:
        super().__init__()
        self.sections = [(title, keys) for title, keys in sections or () if keys]
        self.flag_marks = flag_marks
        self.palette_keys = palette_keys

    def compose(self) -> ComposeResult:
        from planner.ui.actions import FLAG_MARKS

        # The key column is as wide as the widest keys (a keymap file may give "ctrl+shift+tab h ←"),
        # so no key is broken over two lines; at least 12, at most 30 cells.
        widest = max((Content(key).cell_length for _title, keys in self.sections for key, _ in keys), default=0)
        columns = f"{max(12, min(30, widest))} 1fr"
        with VerticalScroll(classes="dialog-box help-box", id="help-text"):
            yield Static(Content("Keys"), classes="dialog-title")
            for title, keys in self.sections:
                yield Static(Content(title), classes="section-title")
                with Grid(classes="help-grid") as grid:
                    grid.styles.grid_columns = columns
                    for key, meaning in keys:
                        yield Static(Content(key), classes="help-key")
                        yield Static(Content(meaning))
            if self.flag_marks:
                yield Static(Content("Flag marks beside a deal"), classes="section-title")
                with Grid(classes="help-grid") as grid:
                    grid.styles.grid_columns = columns
                    for _code, mark, meaning in FLAG_MARKS:
                        yield Static(Content(mark), classes="help-key help-mark")
                        yield Static(Content(meaning))
            hint = "Escape closes this help and every dialog"
            if self.palette_keys:  # none on a dialog: the palette opens from a screen
                hint += f" · {self.palette_keys} finds every action of every screen"
            yield Static(Content(hint), classes="dialog-hint")

    def text(self) -> str:
        """Everything the help says, as plain text (for tests and screen readers)."""
        return "\n".join(str(w.render()) for w in self.query(Static))

    def action_close(self) -> None:
        self.dismiss(None)
