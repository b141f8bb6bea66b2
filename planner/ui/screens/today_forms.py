"""Small keyboard forms used by the Today, Week, Insights and Profile screens.

A form shows one or more labelled inputs. `enter` hands the texts to an `apply` callback that
parses them and makes the change; a `BadInput` (or any `PlannerError`) raised there is shown as a
one-line error in the form, which stays open, so nothing is saved from bad input. `escape` closes without a change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from planner.domain.text import shown_line
from planner.errors import PlannerError


@dataclass(frozen=True, slots=True)
class Field:
    """One input of a form: `name` keys the value handed to `apply`."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""


class FormModal(ModalScreen[bool]):
    """A modal form; dismisses True once `apply` succeeded, False when cancelled."""

    DEFAULT_CSS = """
    FormModal {
        align: center middle;
        background: $background 60%;
    }
    FormModal > #dialog {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 2;
        border: thick $primary;
        background: $surface;
    }
    FormModal #title {
        text-style: bold;
        margin-top: 1;
    }
    FormModal #hint {
        color: $text-muted;
    }
    FormModal #dialog > Static {
        width: 100%;
    }
    FormModal .form-label {
        color: $text-muted;
    }
    FormModal #error {
        color: $text-error;
        height: auto;
        min-height: 1;
    }
    FormModal #keys {
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        apply: Callable[[Mapping[str, str]], None],
        *,
        hint: str = "",
    ) -> None:
        super().__init__()
        self._title = title
        self._fields = tuple(fields)
        self._apply = apply
        self._hint = hint

    def compose(self) -> ComposeResult:
        # Scrolls when the terminal is short; the error sits under the title so it is always seen.
        with VerticalScroll(id="dialog"):
            yield Static(Content(shown_line(self._title)), id="title")
            if self._hint:
                yield Static(Content(shown_line(self._hint)), id="hint")
            yield Static("", id="error")
            for f in self._fields:
                if len(self._fields) > 1 or f.label:
                    yield Static(Content(f.label), classes="form-label")
                yield Input(value=shown_line(f.value), placeholder=f.placeholder, id=f"field-{f.name}")
            many = len(self._fields) > 1
            keys = "enter save · tab next field · escape cancel" if many else "enter save · escape cancel"
            yield Static(keys, id="keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#field-{f.name}", Input).value for f in self._fields}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def submit(self) -> None:
        try:
            self._apply(self.values())
        except PlannerError as error:  # bad input, or a database that cannot take the write now
            # One line, shown literally: the message may quote what the user typed.
            self.query_one("#error", Static).update(Content(shown_line(str(error).splitlines()[0]) if str(error) else "not valid"))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def prompt(
    title: str,
    label: str,
    apply: Callable[[str], None],
    *,
    value: str = "",
    placeholder: str = "",
    hint: str = "",
) -> FormModal:
    """A one-field form whose `apply` receives the text."""
    return FormModal(title, [Field("value", label, value, placeholder)], lambda v: apply(v["value"]), hint=hint)


class ChoiceModal(ModalScreen[str | None]):
    """Pick one of a few labelled choices; dismisses the chosen key, or None."""

    DEFAULT_CSS = """
    ChoiceModal {
        align: center middle;
        background: $background 60%;
    }
    ChoiceModal > #dialog {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    ChoiceModal #title {
        text-style: bold;
        margin-bottom: 1;
    }
    ChoiceModal OptionList {
        height: auto;
        max-height: 12;
    }
    ChoiceModal #keys {
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel"),
        Binding("j", "down", "Down", show=False),
        Binding("k", "up", "Up", show=False),
    ]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._choices = tuple(choices)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content(shown_line(self._title)), id="title")
            yield OptionList(*(Option(Content(shown_line(label)), id=key) for key, label in self._choices))
            yield Static("enter choose · escape cancel", id="keys")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self._choices:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


def refresh_bindings_if_changed(screen, actions: tuple[str, ...]) -> None:
    """Refresh the footer only when one of `actions` changed between enabled and greyed out.

    A footer refresh rebuilds every key in it, which costs a few milliseconds per key: doing it
    on every cursor move would make the cursor lag."""
    state = tuple(screen.check_action(action, ()) for action in actions)
    if getattr(screen, "_binding_state", None) != state:
        screen._binding_state = state
        screen.refresh_bindings()


def user_errors(action: Callable) -> Callable:
    """An action method that shows a PlannerError (a deal deleted meanwhile, a locked database…)
    as an error notification instead of a traceback; nothing else is caught."""

    @functools.wraps(action)
    def run(self, *args, **kwargs):
        try:
            return action(self, *args, **kwargs)
        except PlannerError as error:
            self.notify(str(error), severity="error", markup=False)
            return None

    return run
