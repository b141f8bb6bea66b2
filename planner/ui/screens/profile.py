"""The Profile screen: every setting of SPEC §3.1 and the ideal-customer criteria (SPEC §1, §5).

Settings are validated by the core (`Core.set_setting`, the same as `planner config`) before anything
is saved; a bad value shows a one-line error in the form and changes nothing. "auto" puts a
measured-or-default setting back to what the planner measures. Criteria: add, rename, weight 1–3,
demographic or psychographic, delete. Every change is one undoable step of the core.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from planner.ui.actions import bindings
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowDoesNotExist

from planner.core import text
from planner.domain.models import Criterion, CriterionKind
from planner.domain.settings import SETTING_SPECS, SettingSpec, setting_value
from planner.domain.text import shown_line
from planner.errors import BadInput
from planner.ui.widgets.banner import ScreenBar
from planner.ui.widgets.footer import PlannerFooter
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

_KINDS = {
    "d": CriterionKind.DEMOGRAPHIC,
    "demo": CriterionKind.DEMOGRAPHIC,
    "demographic": CriterionKind.DEMOGRAPHIC,
    "p": CriterionKind.PSYCHOGRAPHIC,
    "psycho": CriterionKind.PSYCHOGRAPHIC,
    "psychographic": CriterionKind.PSYCHOGRAPHIC,
}


def parse_criterion_kind(text: str) -> CriterionKind:
    kind = _KINDS.get(text.strip().lower())
    if kind is None:
        raise BadInput(f"kind must be demographic or psychographic (d or p), not {text.strip()!r}")
    return kind


def parse_weight(text: str) -> int:
    raw = text.strip()
    if raw not in ("1", "2", "3"):
        raise BadInput(f"weight must be 1, 2 or 3, not {raw!r}")
    return int(raw)




def setting_hint(spec: SettingSpec) -> Content:
    """The highlighted setting in full: its name, the key the CLI knows it by, what it means."""
    return Content.assemble((spec.name, "bold"), "  ·  ", (f"planner config {spec.key}", "$text-accent"), "\n",
                            f"{spec.meaning} ({spec.accepts})")


def settings_widths(width: int, cells: list[tuple[str, str, str, str]], padding: int) -> tuple[int, int, int, int]:
    """Widths of Setting, Value, In use and Meaning in a table `width` cells wide: Value and In use
    as wide as they need, the rest shared so the Meaning keeps a readable part (an ellipsis ends
    what does not fit) and the names stay whole when there is room for them."""
    from rich.cells import cell_len

    heads = ("Setting", "Value", "In use", "Meaning")
    need = [max([cell_len(h)] + [cell_len(row[i]) for row in cells]) for i, h in enumerate(heads)]
    rest = width - need[1] - need[2] - 4 * 2 * padding
    meaning_least = max(18, round(rest * 0.4))
    name = max(12, min(need[0], rest - meaning_least))
    return name, need[1], need[2], max(8, min(need[3], rest - name))


_SETTING_COLUMNS = (("Setting", "key"), ("Value", "value"), ("In use", "in_use"), ("Meaning", "help"))


class ProfileScreen(Screen):
    """Settings and the ideal-customer profile."""

    DEFAULT_CSS = """
    ProfileScreen #profile-header {
        height: auto;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    ProfileScreen .section {
        height: auto;
        padding: 0 1;
        margin-top: 1;
        text-style: bold;
        color: $text-primary;
    }
    ProfileScreen #settings-pane {
        height: 3fr;
    }
    ProfileScreen #criteria-pane {
        height: 2fr;
    }
    ProfileScreen DataTable {
        height: 1fr;
        margin: 0 1;
    }
    ProfileScreen .hint {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS = bindings("profile")

    def __init__(self) -> None:
        super().__init__()
        self._criteria: dict[str, Criterion] = {}
        self._widths: tuple[int, int, int, int] | None = None

    @property
    def planner(self) -> PlannerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield ScreenBar("profile")
        yield Static("Profile & settings", id="profile-header")
        with Vertical(id="settings-pane"):
            yield Static("Settings — enter edits; 'auto' goes back to measured-or-default", classes="section")
            yield DataTable(id="settings-table", cursor_type="row")
            yield Static("", id="profile-setting-help", classes="hint")
        with Vertical(id="criteria-pane"):
            yield Static("Ideal customer — what a good-fit client looks like", classes="section")
            yield DataTable(id="criteria-table", cursor_type="row")
            yield Static("tab other table · a add · e edit · +/− weight · s kind · d delete", classes="hint")
        yield PlannerFooter()

    def on_mount(self) -> None:
        settings = self.query_one("#settings-table", DataTable)
        for label, key in _SETTING_COLUMNS:
            settings.add_column(label, key=key)
        criteria = self.query_one("#criteria-table", DataTable)
        criteria.add_column("Criterion", key="name")
        criteria.add_column("Kind", key="kind")
        criteria.add_column("Weight", key="weight")

    def on_screen_resume(self) -> None:
        self.refresh_data()
        if not isinstance(self.focused, DataTable):
            self.query_one("#settings-table", DataTable).focus()

    # --- data -------------------------------------------------------------------------------

    def refresh_data(self) -> None:
        if not self.is_mounted:
            return
        core = self.planner.core
        settings = core.settings()
        status = core.status()

        week_hours = core.snapshot().week_hours
        table = self.query_one("#settings-table", DataTable)
        row = table.cursor_row
        cells = [(spec.name, text.setting_text(setting_value(settings, key), key),
                  text.setting_in_use(key, settings, status, week_hours),
                  spec.meaning) for key, spec in SETTING_SPECS.items()]
        self._fit_settings_columns(table, cells)
        table.clear()
        for key, (name, value, used, meaning) in zip(SETTING_SPECS, cells, strict=True):
            table.add_row(
                Text(name, no_wrap=True, overflow="ellipsis"),
                Text(value, style="bold", no_wrap=True, overflow="ellipsis"),
                Text(used, style="dim", no_wrap=True, overflow="ellipsis"),
                Text(meaning, no_wrap=True, overflow="ellipsis"),
                key=key,
            )
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))

        criteria = core.criteria()
        self._criteria = {str(c.id): c for c in criteria}
        ctable = self.query_one("#criteria-table", DataTable)
        row = ctable.cursor_row
        ctable.clear()
        for c in criteria:
            weight = Text("●" * c.weight + "○" * (3 - c.weight) + f" {c.weight}")
            ctable.add_row(Text(shown_line(c.name)), Text(c.kind.value), weight, key=str(c.id))
        if ctable.row_count:
            ctable.move_cursor(row=min(max(row, 0), ctable.row_count - 1))
        total = sum(c.weight for c in criteria)
        summary = (
            f"{len(criteria)} criteri{'on' if len(criteria) == 1 else 'a'}, total weight {total}: "
            "a deal's fit is the weighted share it meets."
            if criteria
            else "No criteria yet: press a to describe your ideal customer (fit is then scored 0–100)."
        )
        header = Content.assemble(("Profile & settings", "bold"), "  ·  ", summary)
        self.query_one("#profile-header", Static).update(header)
        refresh_bindings_if_changed(self, ("weight", "switch_kind", "delete_criterion"))

    def _fit_settings_columns(self, table: DataTable, cells: list[tuple[str, str, str, str]]) -> None:
        """(Re)make the settings columns at widths that fit the table as it is now."""
        from planner.ui.widgets.tables import fit_columns

        self._widths = fit_columns(table, _SETTING_COLUMNS,
                                   lambda width: settings_widths(width, cells, table.cell_padding),
                                   self._widths, self.size.width)

    def on_resize(self) -> None:
        # The terminal changed size: the columns are fitted again once the layout has settled.
        self.call_after_refresh(self.refresh_data)

    def _focused_table(self) -> str | None:
        focused = self.focused
        return focused.id if isinstance(focused, DataTable) else None

    def selected_setting(self) -> str | None:
        table = self.query_one("#settings-table", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def selected_criterion(self) -> Criterion | None:
        table = self.query_one("#criteria-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._criteria.get(key or "")

    def on_descendant_focus(self) -> None:
        refresh_bindings_if_changed(self, ("weight", "switch_kind", "delete_criterion"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "settings-table" and event.row_key.value in SETTING_SPECS:
            spec = SETTING_SPECS[event.row_key.value]
            self.query_one("#profile-setting-help", Static).update(setting_hint(spec))
        refresh_bindings_if_changed(self, ("weight", "switch_kind", "delete_criterion"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("weight", "switch_kind", "delete_criterion"):
            ok = self._focused_table() == "criteria-table" and self.selected_criterion() is not None
            return True if ok else None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # enter on a row: the DataTable consumes it, so route it to the edit action.
        event.stop()
        self.action_edit()

    # --- actions ----------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        focused = self.focused
        if isinstance(focused, DataTable):
            if step > 0:
                focused.action_cursor_down()
            else:
                focused.action_cursor_up()

    @user_errors
    def action_edit(self) -> None:
        if self._focused_table() == "criteria-table":
            self._rename_criterion()
        else:
            self._edit_setting()

    def _edit_setting(self) -> None:
        key = self.selected_setting()
        if key is None:
            return
        spec = SETTING_SPECS[key]
        app = self.planner
        current = setting_value(app.core.settings(), key)

        def apply(value: str) -> None:
            app.commit(lambda: app.core.set_setting(key, value))

        self.app.push_screen(
            prompt(spec.name, f"{spec.meaning} ({spec.accepts})", apply, value=text.setting_text(current, key),
                   hint=f"The same as: planner config {key} VALUE")
        )

    def _criterion_form(self, title: str, criterion: Criterion | None, added: list[int] | None = None) -> FormModal:
        from planner.domain.parse import clean_title

        app = self.planner

        def apply(values: dict[str, str]) -> None:
            name = clean_title(values["name"], what="criterion name")
            kind = parse_criterion_kind(values["kind"])
            weight = parse_weight(values["weight"])
            if criterion is None:
                change = app.commit(lambda: app.core.add_criterion(Criterion(name=name, kind=kind, weight=weight)))
                if added is not None and change.value is not None:
                    added.append(change.value)
            else:
                app.commit(lambda: app.core.edit_criterion(replace(criterion, name=name, kind=kind, weight=weight),
                                                           base=criterion))

        c = criterion or Criterion(name="")
        return FormModal(
            title,
            [
                Field("name", "Name (e.g. 50–500 employees, values quality over price)", c.name),
                Field("kind", "Kind: demographic or psychographic (d / p)", c.kind.value),
                Field("weight", "Weight 1–3", str(c.weight)),
            ],
            apply,
        )

    @user_errors
    def action_add_criterion(self) -> None:
        added: list[int] = []

        def closed(_saved: bool | None) -> None:  # after the table shows the new criterion
            if added:
                self.select_criterion(added[-1])

        self.app.push_screen(self._criterion_form("Add an ideal-customer criterion", None, added), closed)

    def select_criterion(self, criterion_id: int) -> None:
        """Focus the criteria table on one criterion: the next +, −, s, e or d acts on it."""
        table = self.query_one("#criteria-table", DataTable)
        try:
            row = table.get_row_index(str(criterion_id))
        except RowDoesNotExist:  # gone meanwhile (undone elsewhere)
            return
        table.focus()
        table.move_cursor(row=row)
        refresh_bindings_if_changed(self, ("weight", "switch_kind", "delete_criterion"))

    def _rename_criterion(self) -> None:
        criterion = self.selected_criterion()
        if criterion is not None:
            self.app.push_screen(self._criterion_form("Edit criterion", criterion))

    @user_errors
    def action_weight(self, step: int) -> None:
        criterion = self.selected_criterion()
        if criterion is None:
            return
        weight = max(1, min(3, criterion.weight + step))
        if weight == criterion.weight:
            self.notify(f"Weight stays between 1 and 3 (now {weight})", markup=False)
            return
        core = self.planner.core
        self.planner.apply(lambda: core.edit_criterion(replace(criterion, weight=weight), base=criterion,
                                                       description=f"{criterion.name}: weight {weight}"))

    @user_errors
    def action_switch_kind(self) -> None:
        criterion = self.selected_criterion()
        if criterion is None:
            return
        kind = (
            CriterionKind.PSYCHOGRAPHIC if criterion.kind is CriterionKind.DEMOGRAPHIC else CriterionKind.DEMOGRAPHIC
        )
        core = self.planner.core
        self.planner.apply(lambda: core.edit_criterion(replace(criterion, kind=kind), base=criterion,
                                                       description=f"{criterion.name}: {kind.value}"))

    @user_errors
    def action_delete_criterion(self) -> None:
        criterion = self.selected_criterion()
        if criterion is None or criterion.id is None:
            return
        criterion_id = criterion.id
        app = self.planner

        def chosen(key: str | None) -> None:
            if key == "delete":
                app.apply(lambda: app.core.delete_criterion(criterion_id, base=criterion))

        self.app.push_screen(
            ChoiceModal(
                f"Delete the criterion {criterion.name}? Deals lose it from their fit (u brings it back).",
                [("keep", "Keep it"), ("delete", "Delete it")],
            ),
            chosen,
        )
