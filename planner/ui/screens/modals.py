"""Small dialogs of the Funnel screen (SPEC §2, §5): add a deal, lost reason, log time, next
action, confirm, and the `?` help.

Every dialog parses what was typed with `planner.domain.parse` (the same rules as the CLI) and
shows a refusal in one line inside the dialog, which stays open; `escape` closes it unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from planner.domain.models import ActivityKind, Bucket, Opportunity
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

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
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
    """Add a deal: only the title is needed; it lands in the focused bucket."""

    save_label = "Add"

    def __init__(self, bucket: Bucket, today: date) -> None:
        super().__init__()
        self.bucket = bucket
        self.today = today
        self.title_text = f"Add a deal to {bucket.label}"

    def fields(self) -> ComposeResult:
        yield from self.field("Title", "title", placeholder="required, e.g. Website revamp")
        yield from self.field("Account", "account", placeholder="optional")
        yield from self.field("Value", "value", placeholder="optional, e.g. 12000")
        yield from self.field("Next action", "next", placeholder="optional, e.g. Call Dana")
        yield from self.field("Due", "due", placeholder="optional: fri, +3d, 2026-12-01")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def result(self) -> Opportunity:
        from planner.domain.parse import MAX_FIELD, clean_text, clean_title, parse_date, parse_money

        title = clean_title(self.value("title"))
        account = clean_text(self.value("account"), MAX_FIELD, what="account")
        value = self.value("value").strip()
        style = self.app.snapshot().settings.money_style  # the database's currency and decimal convention
        next_action = clean_text(self.value("next"), MAX_FIELD, what="next action")
        due = self.value("due").strip()
        return Opportunity(
            title=title,
            bucket=self.bucket,
            account=account,
            value_cents=parse_money(value, decimal_comma=style.decimal_comma, currency=style.currency) if value else 0,
            next_action=next_action,
            next_action_due=parse_date(due, self.today, what="due date") if due else None,
        )


class LostReasonModal(Dialog):
    """Mark a deal lost: the reason is what the planner learns from (it may stay empty)."""

    save_label = "Mark lost"

    def __init__(self, deal_title: str) -> None:
        super().__init__()
        self.title_text = f"Why was “{deal_title}” lost?"

    def fields(self) -> ComposeResult:
        yield from self.field("Reason", "reason", placeholder="e.g. went with a cheaper offer")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def result(self) -> str:
        from planner.domain.parse import MAX_FIELD, clean_text

        return clean_text(self.value("reason"), MAX_FIELD, what="reason")


class LogTimeModal(Dialog):
    """Log selling time on a deal, or prospecting time on no deal (counts above the funnel)."""

    save_label = "Log"

    def __init__(self, deal: Opportunity | None, today: date) -> None:
        super().__init__()
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
        if self.deal is not None:
            with Horizontal(classes="field"):
                yield Label("", classes="field-label")
                yield Checkbox("Prospecting, not this deal (counts above the funnel)", False,
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
        from planner.domain.parse import MAX_FIELD, clean_text, parse_minutes

        minutes = parse_minutes(self.value("minutes"))
        note = clean_text(self.value("note"), MAX_FIELD, what="note")
        kind = self.query_one("#kind", Select).value
        deal = self.on_deal
        return Activity(
            kind=kind,
            minutes=minutes,
            on=self.today,
            opportunity_id=deal.id if deal is not None else None,
            note=note,
            bucket=deal.bucket if deal is not None else Bucket.ABOVE,
        )


def log_time(app: PlannerApp, deal: Opportunity | None) -> None:
    """Ask for the time and log it as one undoable step (SPEC §2 "Log activities")."""

    def logged(activity) -> None:
        if activity is None:
            return
        what = f"{activity.minutes} min {activity.kind.label}"
        if activity.opportunity_id is not None and deal is not None:
            app.change(f"Logged {what} on “{deal.title}”", deal.id, lambda: app.repo.log(activity))
        else:
            app.change(f"Logged {what} (prospecting)", None, lambda: app.repo.log(activity),
                       undo=app.repo.delete_activity)

    app.push_screen(LogTimeModal(deal, app.today), logged)


class NextActionModal(Dialog):
    """The deal's next action and when it is due (SPEC §3.3: every live deal should have one)."""

    def __init__(self, deal: Opportunity, today: date) -> None:
        super().__init__()
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


def set_next_action(app: PlannerApp, deal_id: int) -> None:
    try:
        deal = app.repo.get(deal_id)
    except PlannerError as error:
        app.notify(str(error), severity="error")
        return

    def chosen(answer) -> None:
        if answer is None:
            return
        text, due = answer
        when = f" (due {due.isoformat()})" if due else ""
        # Re-read at write time so a change made meanwhile by another instance is kept.
        app.change(f"Next action for “{deal.title}”: {text or 'none'}{when}", deal.id,
                   lambda: app.repo.update(replace(app.repo.get(deal.id), next_action=text, next_action_due=due)))

    app.push_screen(NextActionModal(deal, app.today), chosen)


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
    """Every key from the one action table, and what the flag marks beside a deal mean."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, screen_title: str = "", screen_bindings: list[Binding] | None = None) -> None:
        super().__init__()
        self.screen_title = screen_title
        # The keys of the screen help was opened on (Today, Week, Profile…), listed first.
        self.screen_bindings = [b for b in screen_bindings or () if b.description and b.show]

    def compose(self) -> ComposeResult:
        from planner.ui.actions import ACTIONS, FLAG_MARKS, display_keys

        with VerticalScroll(classes="dialog-box help-box", id="help-text"):
            yield Static(Content("Keys"), classes="dialog-title")
            if self.screen_bindings:
                yield Static(Content(f"On this screen ({self.screen_title})"), classes="section-title")
                with Grid(classes="help-grid"):
                    for binding in self.screen_bindings:
                        keys = binding.key_display or " ".join(binding.key.split(","))
                        yield Static(Content(keys), classes="help-key")
                        yield Static(Content(binding.tooltip or binding.description))
            groups: dict[str, list] = {}
            for action in ACTIONS:
                groups.setdefault(action.group, []).append(action)
            for group, actions in groups.items():
                yield Static(Content(group), classes="section-title")
                with Grid(classes="help-grid"):
                    for action in actions:
                        yield Static(Content(display_keys(action)), classes="help-key")
                        yield Static(Content(action.help))
            yield Static(Content("Flag marks beside a deal"), classes="section-title")
            with Grid(classes="help-grid"):
                for _code, mark, meaning in FLAG_MARKS:
                    yield Static(Content(mark), classes="help-key help-mark")
                    yield Static(Content(meaning))
            yield Static(Content("Escape closes this help and every dialog."), classes="dialog-hint")

    def text(self) -> str:
        """Everything the help says, as plain text (for tests and screen readers)."""
        return "\n".join(str(w.render()) for w in self.query(Static))

    def action_close(self) -> None:
        self.dismiss(None)
