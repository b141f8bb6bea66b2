"""One deal in full (SPEC §2): the details view (`enter`) and the edit form (`e`).

Details show every field, the ideal-customer fit, the deal's flags, its moves along the funnel and
its logged activities. The edit form covers every field of SPEC §2, the Money/Authority/Need checks,
the ideal-customer criteria met and the buying influences; saving is one undoable step of the core
(`Core.edit`), made on the deal as the form showed it: when another instance changed the deal
meanwhile, saving is refused with what changed, the form keeps what was typed, and saving again
applies the typed changes to the deal as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from planner.core.text import day as _day
from planner.core.text import due_text, money
from planner.domain.models import Criterion, Influence, Opportunity, Role
from planner.domain.text import shown, shown_line
from planner.errors import Conflict, PlannerError
from planner.ui.actions import FLAG_MARKS, bindings
from planner.ui.widgets.hanging import Hanging, Stacked

if TYPE_CHECKING:
    from planner.app import PlannerApp

_MARK_OF = {code: mark for code, mark, _ in FLAG_MARKS}


class DealDetailsScreen(ModalScreen[None]):
    """Everything about one deal. Refreshes itself when the deal changes underneath."""

    BINDINGS = bindings("deal")
    DEFAULT_CLASSES = "dialog"

    app: PlannerApp

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.deal: Opportunity | None = None  # as shown: what the keys act on

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box details-box"):
            yield Static("", id="details-title", classes="dialog-title")
            yield Static("", id="details-body")
            yield Static(Content("e edit · b influences · n next action · t log · u undo · escape close"),
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.refresh_data()

    def on_screen_resume(self) -> None:
        self.refresh_data()  # a dialog over it may have changed the deal, or another instance did

    def refresh_data(self) -> None:
        app = self.app
        try:
            deal = app.core.deal(self.deal_id)
        except PlannerError:
            # Deleted (or undone away) meanwhile: nothing left to show. Closed once it is on top
            # again: dismissing from under a dialog would close the dialog instead.
            if app.screen is self:
                self.dismiss(None)
            return
        try:
            body = details_content(app, deal)
        except PlannerError as error:
            app.notify(str(error), severity="error")
            return
        self.deal = deal
        self.query_one("#details-title", Static).update(
            Content.assemble((shown_line(deal.title), "bold"), (f"  ·  {deal.bucket.label}", "$text-accent"))
        )
        self.query_one("#details-body", Static).update(body)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_undo(self) -> None:
        # The app's own keys stop at a dialog; these are the same undo and redo, and the details
        # (refreshed with every screen) show the deal as it is afterwards, or close if it went.
        self.app.action_undo()

    def action_redo(self) -> None:
        self.app.action_redo()

    def action_edit(self) -> None:
        if self.deal is not None:
            edit_deal(self.app, self.deal)

    def action_influences(self) -> None:
        if self.deal is not None:
            edit_influences(self.app, self.deal)

    def action_next_action(self) -> None:
        from planner.ui.screens.modals import set_next_action

        if self.deal is not None:
            set_next_action(self.app, self.deal)

    def action_log_time(self) -> None:
        from planner.ui.screens.modals import log_time

        if self.deal is not None:
            log_time(self.app, self.deal)


#: The label column of the details: a long value wraps under itself, not under the label.
LABEL_WIDTH = 15


def details_content(app: PlannerApp, deal: Opportunity) -> Stacked:
    """The details of one deal; user text is always literal, and long values and warnings wrap
    under their own first letter (readable whole at 80 columns)."""
    from planner.domain.fit import FIT_NOT_ASSESSED, fit_score

    core = app.core
    today = core.today
    rows: list[tuple[str, str | Content]] = [
        ("Account", deal.account or "—"),
        ("Contact", deal.contact or "—"),
        ("Value", money(deal.value_cents, app.core.snapshot().settings.money_style) if deal.value_cents else "—"),
        ("First contact", _day(deal.first_contact)),
        ("Expected close", _day(deal.expected_close)),
    ]
    if deal.closed_on:
        rows.append(("Closed on", _day(deal.closed_on)))
    if deal.lost_reason:
        rows.append(("Lost because", deal.lost_reason))
    if deal.next_action or deal.next_action_due:
        due = f"  ({due_text(deal.next_action_due, today)}, {deal.next_action_due.isoformat()})" \
            if deal.next_action_due else ""
        rows.append(("Next action", f"{deal.next_action or '—'}{due}"))
    else:
        rows.append(("Next action", "none scheduled"))
    rows.append(("Source", deal.source or "—"))
    checks = "  ".join(f"[{'x' if ok else ' '}] {name}" for name, ok in
                       (("Money", deal.money), ("Authority", deal.authority), ("Need", deal.need)))
    rows.append(("Qualified", checks))
    criteria = core.criteria()
    score = fit_score(criteria, deal.criteria_met)
    if score is None:
        rows.append(("Fit", "no ideal-customer criteria yet (Profile screen, 5)"))
    elif not deal.criteria_reviewed:
        rows.append(("Fit", f"{FIT_NOT_ASSESSED} — review its criteria (e)"))
    else:
        met = [c.name for c in criteria if c.id in deal.criteria_met]
        rows.append(("Fit", f"{score} / 100" + (f"  (meets: {', '.join(met)})" if met else "  (meets none)")))

    parts: list = []

    def heading(text: str) -> None:
        parts.append(Content(""))
        parts.append(Content.styled(text, "bold $text-accent"))

    def item(mark: Content, text: Content, indent: int = 4) -> None:
        parts.append(Hanging(mark, text, indent))

    for label, value in rows:
        text = value if isinstance(value, Content) else Content(shown_line(value))
        parts.append(Hanging(Content.styled(f"{label:<{LABEL_WIDTH}}", "$text-muted"), text, LABEL_WIDTH))

    # The method's warnings for this deal as they stand now (planner.domain.flags), each whole:
    # what a move warned about stays here until it is fixed.
    flags = core.status().flags_for(deal.id) if deal.is_open else ()
    heading("Method warnings")
    if flags:
        for flag in flags:
            style = "$text-error" if flag.severity == "critical" else "$text-warning"
            item(Content.styled(f"  {_MARK_OF.get(flag.code, '•')} ", f"bold {style}"), Content(shown_line(flag.message)))
    else:
        parts.append(Content.styled("  none", "$text-muted"))

    heading("Buying influences  (b to add, edit or remove)")
    if deal.influences:
        for inf in deal.influences:
            mark = Content.styled("  ✓ " if inf.covered else "  ◌ ", "$text-success" if inf.covered else "$text-warning")
            item(mark, Content.assemble(Content(shown_line(inf.name)),
                                        (f" — {inf.role.label}{'' if inf.covered else ' (not covered)'}", "$text-muted")))
    else:
        parts.append(Content.styled("  none recorded (b adds one)", "$text-muted"))

    if deal.notes:
        heading("Notes")
        item(Content("  "), Content(shown(deal.notes, multiline=True)), 2)

    heading("Moves")
    for move in core.moves(deal.id):
        origin = move.from_bucket.label if move.from_bucket else "created"
        parts.append(Content(f"  {move.at.date().isoformat()}  {origin} → {move.to_bucket.label}"))

    heading("Activities")
    activities = core.activities(deal.id, limit=50)
    if activities:
        for act in activities:
            item(Content(f"  {act.on.isoformat()}  {act.minutes:>4} min  {act.kind.label:<21}"),
                 Content(shown_line(act.note)), 2 + 10 + 2 + 8 + 2 + 21)
    else:
        parts.append(Content.styled("  none logged yet (t logs time)", "$text-muted"))
    return Stacked(parts)


def edit_deal(app: PlannerApp, deal: Opportunity) -> None:
    """Open the edit form on the deal as shown; saving writes what the form changed in one
    undoable step (the form stays open when the save is refused)."""
    try:
        criteria = app.core.criteria()
    except PlannerError as error:
        app.notify(str(error), severity="error")
        return

    def save(changes: dict, base: Opportunity) -> None:
        if not changes:
            app.notify("No changes to save")
            return
        app.commit(lambda: app.core.edit(deal.id, changes, base=base, currency=form.currency))

    form = EditDealScreen(deal, criteria, app.core.today, save)
    app.push_screen(form)


#: The fields the edit form shows and may change (bucket, closing and history are not among them).
EDITED_FIELDS = (
    "title", "account", "contact", "value_cents", "first_contact", "expected_close", "next_action",
    "next_action_due", "source", "notes", "money", "authority", "need", "criteria_met", "criteria_reviewed",
    "influences",
)


class InfluenceList(OptionList):
    """The buying influences being edited; space toggles covered, delete removes."""

    BINDINGS = [
        Binding("space", "toggle_covered", "Covered on/off"),
        Binding("delete,backspace", "remove", "Remove"),
    ]

    def __init__(self, influences: list[Influence], **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self.influences = list(influences)

    def on_mount(self) -> None:
        self.rebuild()

    def rebuild(self, highlight: int | None = None) -> None:
        keep = self.highlighted if highlight is None else highlight
        self.set_options(
            Option(Content.assemble(("[x] " if i.covered else "[ ] ", "bold"), Content(shown_line(i.name)),
                                    (f" — {i.role.label}", "$text-muted")))
            for i in self.influences
        )
        if self.influences:
            self.highlighted = min(keep or 0, len(self.influences) - 1)
        self.display = bool(self.influences)

    def action_toggle_covered(self) -> None:
        if self.highlighted is not None and self.influences:
            inf = self.influences[self.highlighted]
            self.influences[self.highlighted] = replace(inf, covered=not inf.covered)
            self.rebuild()

    def action_remove(self) -> None:
        if self.highlighted is not None and self.influences:
            del self.influences[self.highlighted]
            self.rebuild()


def edit_influences(app: PlannerApp, deal: Opportunity, role: Role = Role.ECONOMIC) -> None:
    """Add, edit or remove the deal's buying influences; saved in one undoable step
    (`Core.set_influences`) on the deal as shown (refused in the dialog if it changed meanwhile)."""

    def save(influences: list[Influence], base: Opportunity) -> None:
        if list(influences) == list(base.influences):
            return
        assert base.id is not None
        app.commit(lambda: app.core.set_influences(base.id, influences, base=base))

    app.push_screen(InfluencesModal(deal, save, role=role))


class InfluencesModal(ModalScreen[None]):
    """The buying influences of one deal (SPEC §2): type a name and enter adds it; enter on a row
    edits it (its name, role and covered go back into the fields); space covered on/off; delete
    removes; ctrl+s saves them all at once; escape leaves them as they were."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, deal: Opportunity, save: Callable[[list[Influence], Opportunity], None], *,
                 role: Role = Role.ECONOMIC) -> None:
        super().__init__()
        self.deal = deal
        self._save = save
        self._role = role
        self.editing: int | None = None  # the row being edited, put back where it was

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box"):
            yield Static(Content.assemble("Buying influences of ", (shown_line(self.deal.title), "bold")),
                         classes="dialog-title")
            yield InfluenceList(list(self.deal.influences), id="influences", compact=True)
            with Horizontal(classes="field influence-add"):
                yield Input(placeholder="name, e.g. Lee Chan (CFO)", id="influence-name", classes="influence-name",
                            compact=True)
                yield Select([(r.label, r) for r in Role], value=self._role, allow_blank=False, id="influence-role",
                             compact=True)
                yield Checkbox("covered", False, id="influence-covered", compact=True)
            yield Static("", classes="dialog-error")
            yield Static(Content("enter in the name adds it · enter on a row edits it · space covered on/off · "
                                 "delete removes · ctrl+s saves · escape cancels"), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#influence-name", Input).focus()

    @property
    def influences(self) -> list[Influence]:
        return self.query_one(InfluenceList).influences

    def show_error(self, message: str) -> None:
        show_error(self, message)

    def add_influence(self) -> None:
        from planner.domain.parse import MAX_FIELD, clean_text

        box = self.query_one("#influence-name", Input)
        try:
            name = clean_text(box.value, MAX_FIELD, what="influence name")
        except PlannerError as error:
            self.show_error(str(error))
            return
        if not name:
            self.show_error("type the influence's name first")
            return
        role = self.query_one("#influence-role", Select).value
        covered = self.query_one("#influence-covered", Checkbox).value
        rows = self.query_one(InfluenceList)
        if self.editing is not None and self.editing < len(rows.influences):
            index = self.editing
            rows.influences[index] = replace(rows.influences[index], name=name, role=role, covered=covered)
        else:
            rows.influences.append(Influence(name=name, role=role, covered=covered))
            index = len(rows.influences) - 1
        self.editing = None
        rows.rebuild(highlight=index)
        box.value = ""
        self.query_one("#influence-covered", Checkbox).value = False
        self.show_error("")
        box.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = event.option_index
        inf = self.influences[index]
        self.editing = index
        self.query_one("#influence-name", Input).value = inf.name
        self.query_one("#influence-role", Select).value = inf.role
        self.query_one("#influence-covered", Checkbox).value = inf.covered
        self.show_error(f"editing {inf.name}: change it and press enter")
        self.query_one("#influence-name", Input).focus()

    def action_save(self) -> None:
        if self.query_one("#influence-name", Input).value.strip():
            self.add_influence()  # what is typed but not yet added is saved too
        try:
            self._save(list(self.influences), self.deal)
        except PlannerError as error:
            self.show_error(str(error).splitlines()[0] if str(error) else "not saved")
            return
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.add_influence()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()


def edit_title(deal: Opportunity) -> Content:
    """"Edit Website revamp  ·  In the Funnel": the deal and the bucket it is in."""
    return Content.assemble("Edit ", (shown_line(deal.title), "bold"), f"  ·  {deal.bucket.label}")


def show_error(dialog: ModalScreen, message: str) -> None:
    """The dialog's error line says `message`, scrolled into view: a long form (many criteria and
    influences) would otherwise keep a refusal below the fold, and saving would seem to do nothing."""
    dialog.query_one(".dialog-error", Static).update(Content(shown_line(message)))
    if message:
        # The line sits at the foot of the form, above its buttons: show the foot, once the layout
        # has given the line its height (a refusal wraps to two or three rows).
        dialog.query_one(VerticalScroll).scroll_end(animate=False)


class EditDealScreen(ModalScreen[Opportunity | None]):
    """Every field of a deal (SPEC §2). enter in a field or ctrl+s saves; escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]
    DEFAULT_CLASSES = "dialog"
    # A TextArea pads its text by one cell; the compact Inputs above it do not: without this the
    # notes start one column right of every other field.
    DEFAULT_CSS = """
    EditDealScreen TextArea.notes {
        padding: 0;
    }
    """

    def __init__(self, deal: Opportunity, criteria: list[Criterion], today: date,
                 save: Callable[[dict, Opportunity], None] | None = None) -> None:
        super().__init__()
        self.deal = deal  # what the form was filled with
        self.shown = deal  # that deal as the form shows it (on_mount): the changes are what differs from it
        self.base = deal  # the deal the changes are made on (the deal as it is now, after a refusal)
        self.criteria = list(criteria)
        self.today = today
        self._save = save
        self.currency = ""  # the currency the value was typed in, when the database has none yet

    def _field(self, label: str, input_id: str, value: str, placeholder: str = "") -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(label, classes="field-label")
            yield Input(shown_line(value), placeholder=placeholder, id=input_id, classes="field-input", compact=True)

    def compose(self) -> ComposeResult:
        d = self.deal
        iso = lambda v: v.isoformat() if v else ""  # noqa: E731
        with VerticalScroll(classes="dialog-box edit-box"):
            yield Static(edit_title(d), classes="dialog-title", id="edit-title")
            yield from self._field("Title", "title", d.title)
            yield from self._field("Account", "account", d.account)
            yield from self._field("Contact", "contact", d.contact)
            style = self.app.core.snapshot().settings.money_style
            yield from self._field("Value", "value", money(d.value_cents, style) if d.value_cents else "", "e.g. 12000")
            yield from self._field("First contact", "first_contact", iso(d.first_contact), "YYYY-MM-DD, today, -2w")
            yield from self._field("Expected close", "expected_close", iso(d.expected_close), "YYYY-MM-DD, +3w, fri")
            yield from self._field("Next action", "next_action", d.next_action, "e.g. Send the proposal")
            yield from self._field("Due", "next_action_due", iso(d.next_action_due), "fri, tomorrow, +3d")
            yield from self._field("Source", "source", d.source, "where the lead came from")
            with Horizontal(classes="field"):
                yield Label("Notes", classes="field-label")
                yield TextArea(shown(d.notes, multiline=True), id="notes", classes="field-input notes", soft_wrap=True, compact=True)
            yield Static(Content("Qualification"), classes="section-title")
            with Horizontal(classes="checks"):
                yield Checkbox("Money", d.money, id="money", compact=True)
                yield Checkbox("Authority", d.authority, id="authority", compact=True)
                yield Checkbox("Need", d.need, id="need", compact=True)
            yield Static(Content("Ideal-customer criteria met"), classes="section-title")
            if self.criteria:
                with Vertical(id="criteria"):
                    for c in self.criteria:
                        label = Content.assemble(Content(shown_line(c.name)), (f"  ({c.kind.value}, weight {c.weight})", "$text-muted"))
                        yield Checkbox(label, c.id in d.criteria_met, id=f"criterion-{c.id}", classes="criterion", compact=True)
                    # Until the criteria are reviewed the fit is "not assessed", never "consider dropping".
                    yield Checkbox("Criteria reviewed", d.criteria_reviewed, id="criteria-reviewed", compact=True)
            else:
                yield Static(Content("No criteria yet: define your ideal customer on the Profile screen (5)."),
                             classes="dialog-hint")
            yield Static(Content("Buying influences  (space: covered on/off · delete: remove)"), classes="section-title")
            yield InfluenceList(list(d.influences), id="influences", compact=True)
            with Horizontal(classes="field influence-add"):
                yield Input(placeholder="name of a buying influence", id="influence-name", classes="influence-name",
                            compact=True)
                yield Select([(r.label, r) for r in Role], value=Role.ECONOMIC, allow_blank=False, id="influence-role",
                             compact=True)
                yield Checkbox("covered", False, id="influence-covered", compact=True)
                yield Button("Add", id="influence-add", compact=True)
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        # What the form shows, read back as a save would: text another tool stored with escape
        # sequences or invisible characters is shown cleaned, and that cleaning is not a change
        # the user made (escape would ask to discard it; a save would rewrite every such field).
        try:
            self.shown = self.result()
        except PlannerError:  # a stored value the form cannot read back: compare with the deal itself
            self.shown = self.deal

    def value(self, input_id: str) -> str:
        return self.query_one(f"#{input_id}", Input).value

    def add_influence(self) -> None:
        from planner.domain.parse import MAX_FIELD, clean_text

        box = self.query_one("#influence-name", Input)
        try:
            name = clean_text(box.value, MAX_FIELD, what="influence name")
        except PlannerError as error:
            self.show_error(str(error))
            return
        if not name:
            self.show_error("type the influence's name first")
            return
        role = self.query_one("#influence-role", Select).value
        covered = self.query_one("#influence-covered", Checkbox).value
        influences = self.query_one(InfluenceList)
        influences.influences.append(Influence(name=name, role=role, covered=covered))
        influences.rebuild(highlight=len(influences.influences) - 1)
        box.value = ""
        self.query_one("#influence-covered", Checkbox).value = False
        self.show_error("")
        box.focus()

    def show_error(self, message: str) -> None:
        show_error(self, message)

    def result(self) -> Opportunity:
        from planner.domain.parse import MAX_FIELD, MAX_NOTES, clean_text, clean_title, parse_date, parse_money_in

        def day(input_id: str, what: str) -> date | None:
            text = self.value(input_id).strip()
            return parse_date(text, self.today, what=what) if text else None

        value = self.value("value").strip()
        style = self.app.core.snapshot().settings.money_style
        cents, self.currency = parse_money_in(value, style) if value else (0, "")
        met = frozenset(
            c.id for c in self.criteria if self.query_one(f"#criterion-{c.id}", Checkbox).value
        )
        return replace(
            self.deal,
            title=clean_title(self.value("title")),
            account=clean_text(self.value("account"), MAX_FIELD, what="account"),
            contact=clean_text(self.value("contact"), MAX_FIELD, what="contact"),
            value_cents=cents,
            first_contact=day("first_contact", "first contact"),
            expected_close=day("expected_close", "expected close"),
            next_action=clean_text(self.value("next_action"), MAX_FIELD, what="next action"),
            next_action_due=day("next_action_due", "due date"),
            source=clean_text(self.value("source"), MAX_FIELD, what="source"),
            notes=clean_text(self.query_one("#notes", TextArea).text, MAX_NOTES, multiline=True, what="notes"),
            money=self.query_one("#money", Checkbox).value,
            authority=self.query_one("#authority", Checkbox).value,
            need=self.query_one("#need", Checkbox).value,
            criteria_met=met,
            criteria_reviewed=bool(self.criteria) and self.query_one("#criteria-reviewed", Checkbox).value,
            influences=tuple(self.query_one(InfluenceList).influences),
        )

    def changes(self, updated: Opportunity) -> dict:
        """The fields the user changed in the form, with their new values."""
        return {f: getattr(updated, f) for f in EDITED_FIELDS if getattr(updated, f) != getattr(self.shown, f)}

    def action_save(self) -> None:
        try:
            updated = self.result()
            if self._save is not None:
                self._save(self.changes(updated), self.base)
        except Conflict as error:
            # Changed elsewhere meanwhile: keep what was typed; saving again applies it to the
            # deal as it is now (the fields not typed in keep the other instance's values).
            try:
                self.base = self.app.core.deal(self.deal.id)
                self.query_one("#edit-title", Static).update(edit_title(self.base))
                again = " — save again to apply your changes to it as it is now"
            except PlannerError:
                again = ""
            self.show_error(f"{error}{again}")
            return
        except PlannerError as error:
            self.show_error(str(error))
            return
        self.dismiss(updated)

    def action_cancel(self) -> None:
        try:
            unchanged = self.result() == self.shown
        except PlannerError:
            unchanged = False
        if unchanged:
            self.dismiss(None)
            return
        from planner.ui.screens.modals import ConfirmModal

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal("Discard your changes to this deal?", "Discard", "Keep editing"), answered)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "influence-name":
            self.add_influence()
        else:
            self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "cancel":
            self.action_cancel()
        elif event.button.id == "influence-add":
            self.add_influence()
