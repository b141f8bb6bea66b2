"""The one action table (SPEC §5): it feeds the key bindings, the footer, the command palette and
the `?` help of every screen.

Each row names the action, its keys, a short footer label and a sentence of help. `scope` says
where it runs: "app" actions work on every screen; "funnel", "today", "week", "insights",
"profile", "closed" (the closed deals) and "deal" (the deal details) rows are the keys of that screen, which takes its
bindings from here (`BINDINGS = bindings("today")`). `?` on a screen lists that screen's rows,
then the "app" ones; the palette offers every row of every screen (see `anywhere`).

Every row's binding has an id (`Action.id`: "undo", "go.today", "funnel.delete", "today.done"…):
the keymap file (planner/preferences.py, docs/keys.md) rebinds keys by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Action:
    action: str  # the Textual action string, e.g. "add" or "mode('today')"
    keys: str  # Textual key names, comma separated; "" for a palette-only action
    label: str  # short, for the footer and the palette
    help: str  # one sentence, for the palette and the help screen
    group: str
    scope: str = "funnel"  # "app", or the screen whose key it is
    show: bool = True  # shown in the footer
    key_display: str | None = None
    palette: bool = True  # offered in the command palette
    #: Offered in the palette on every screen: choosing it from another screen goes to this
    #: row's screen and runs it there. Rows that act on what is selected on their screen are
    #: offered only on that screen (and only when they can run).
    anywhere: bool = False
    binding_id: str | None = None  # when the id cannot be derived from the action's name
    #: Where the footer puts it when the terminal is too narrow for every key: the lowest ranks
    #: (the keys used most) stay, the others are left to `?` and the palette.
    footer_rank: int = 50

    @property
    def id(self) -> str:
        if self.binding_id is not None:
            return self.binding_id
        return self.name if self.scope == "app" else f"{self.scope}.{self.name}"

    @property
    def name(self) -> str:
        """The action's method name without arguments, as `check_action` receives it."""
        return self.action.split("(", 1)[0]

    @property
    def parameters(self) -> tuple[object, ...]:
        if "(" not in self.action:
            return ()
        from ast import literal_eval

        return tuple(literal_eval(f"({self.action[self.action.index('(') + 1 : -1]},)"))

    def binding(self) -> Binding:
        # Single keys are never priority bindings: typing "a" or "q" into an input stays text.
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=self.show,
            key_display=self.key_display,
            tooltip=self.help,
            id=self.id,
        )


def _go(mode: str, key: str, title: str, help: str) -> Action:
    return Action(f"mode('{mode}')", key, title, help, "Screens", scope="app", show=False, binding_id=f"go.{mode}")


ACTIONS: tuple[Action, ...] = (
    # --- the Funnel screen ----------------------------------------------------------------------
    Action("add", "a", "Add", "Add a deal to the focused bucket (Above the Funnel by default)", "Deals",
           anywhere=True, footer_rank=10),
    Action("edit", "e", "Edit", "Edit every field of the selected deal, its influences and fit", "Deals",
           footer_rank=20),
    Action("details", "enter", "Details", "Show everything about the selected deal", "Deals", key_display="⏎"),
    Action("move_on", "greater_than_sign", "Move on", "Move the selected deal one bucket down the funnel", "Deals",
           key_display=">", footer_rank=10),
    Action("move_back", "less_than_sign", "Move back", "Move the selected deal one bucket back up the funnel",
           "Deals", key_display="<", footer_rank=30),
    Action("won", "w", "Won", "Mark the selected deal won (asks its close day and final value)", "Deals",
           footer_rank=25),
    Action("lost", "x", "Lost", "Mark the selected deal lost, with a reason", "Deals", footer_rank=25),
    Action("log_time", "t", "Log", "Log time spent on the selected deal (or prospecting)", "Deals", footer_rank=15),
    Action("next_action", "n", "Next", "Set the selected deal's next action and its due date", "Deals", footer_rank=15),
    Action("filter", "slash", "Filter", "Filter deals by title, account or contact (escape clears)", "Deals",
           key_display="/", anywhere=True, footer_rank=30),
    Action("delete", "d", "Delete", "Delete the selected deal (u undoes it)", "Deals", footer_rank=20),
    Action("warnings", "exclamation_mark", "Warnings",
           "Show every warning of the funnel whole, page by page on a small screen; again shows fewer", "Deals",
           show=False, key_display="!"),
    Action("closed", "c", "Closed deals", "Won and lost deals: find one, see it, reopen it", "Deals",
           show=False, anywhere=True),
    Action("clear_filter", "escape", "Clear filter", "Clear the filter", "Deals", show=False, palette=False),
    Action("focus_bucket(-1)", "h,left", "Left", "Go to the bucket on the left", "Move around", show=False,
           palette=False, binding_id="funnel.left"),
    Action("focus_bucket(1)", "l,right", "Right", "Go to the bucket on the right", "Move around", show=False,
           palette=False, binding_id="funnel.right"),
    Action("cursor(1)", "j", "Down", "Next deal in the bucket (also ↓)", "Move around", show=False, palette=False,
           binding_id="funnel.down"),
    Action("cursor(-1)", "k", "Up", "Previous deal in the bucket (also ↑)", "Move around", show=False,
           palette=False, binding_id="funnel.up"),
    # --- the Today screen -----------------------------------------------------------------------
    Action("details", "enter", "Details", "Open the selected item's deal: every field, its warnings, its history",
           "Today", "today", key_display="⏎", footer_rank=15),
    Action("done", "d", "Done", "Mark the selected next action done, then set the next one", "Today", "today",
           footer_rank=10),
    Action("log", "l", "Log time", "Log minutes of work on the selected item", "Today", "today", footer_rank=10),
    Action("reschedule", "r", "Reschedule", "Give the selected next action a new due date", "Today", "today",
           footer_rank=20),
    Action("prospect", "p", "Add prospect", "Add a new prospect above the funnel", "Today", "today", anywhere=True,
           footer_rank=15),
    Action("finish", "f", "Finish check-in", "Record today's check-in and see the streak", "Today", "today",
           anywhere=True, footer_rank=25),
    Action("cursor_down", "j", "Down", "Next item (also ↓)", "Today", "today", show=False, palette=False,
           binding_id="today.down"),
    Action("cursor_up", "k", "Up", "Previous item (also ↑)", "Today", "today", show=False, palette=False,
           binding_id="today.up"),
    # --- the Week screen ------------------------------------------------------------------------
    Action("hours", "H", "Hours", "Set the selling hours of this week only (the normal week stays)", "Week", "week",
           anywhere=True, footer_rank=10),
    Action("edit_split", "e", "Edit split", "Set your own split of the week (three percentages summing to 100)",
           "Week", "week", anywhere=True, footer_rank=15),
    Action("reset_split", "r", "Reset split", "Go back to the suggested split", "Week", "week", anywhere=True,
           footer_rank=25),
    Action("export_ics", "i", "iCal export", "Write this week's time blocks as an iCalendar file", "Week", "week",
           anywhere=True, footer_rank=20),
    Action("cursor_down", "j", "Down", "Next bucket of the split (also ↓)", "Week", "week", show=False,
           palette=False, binding_id="week.down"),
    Action("cursor_up", "k", "Up", "Previous bucket of the split (also ↑)", "Week", "week", show=False,
           palette=False, binding_id="week.up"),
    # --- the Insights screen --------------------------------------------------------------------
    Action("scroll(1)", "j", "Down", "Scroll down (also ↓)", "Insights", "insights", show=False, palette=False,
           binding_id="insights.down"),
    Action("scroll(-1)", "k", "Up", "Scroll up (also ↑)", "Insights", "insights", show=False, palette=False,
           binding_id="insights.up"),
    # --- the Profile screen ---------------------------------------------------------------------
    Action("edit", "e,enter", "Edit", "Change the selected setting, or rename the selected criterion", "Profile", "profile",
           footer_rank=10),
    Action("add_criterion", "a", "Add criterion", "Add an ideal-customer criterion", "Profile", "profile",
           anywhere=True, footer_rank=15),
    Action("weight(1)", "plus,equals_sign", "Weight +", "Raise the selected criterion's weight (up to 3)", "Profile",
           "profile", key_display="+", binding_id="profile.weight_up", footer_rank=25),
    Action("weight(-1)", "minus", "Weight −", "Lower the selected criterion's weight (down to 1)", "Profile",
           "profile", key_display="-", binding_id="profile.weight_down", footer_rank=25),
    Action("switch_kind", "s", "Demo/psycho", "Switch the selected criterion between demographic and psychographic",
           "Profile", "profile", footer_rank=30),
    Action("delete_criterion", "d", "Delete criterion", "Delete the selected ideal-customer criterion", "Profile",
           "profile", footer_rank=20),
    Action("app.focus_next", "tab", "Other table", "Go to the other table: settings or ideal customer", "Profile",
           "profile", show=False, palette=False, binding_id="profile.other_table"),
    Action("cursor(1)", "j", "Down", "Next row (also ↓)", "Profile", "profile", show=False, palette=False,
           binding_id="profile.down"),
    Action("cursor(-1)", "k", "Up", "Previous row (also ↑)", "Profile", "profile", show=False, palette=False,
           binding_id="profile.up"),
    # --- closed deals (c on the Funnel) ---------------------------------------------------------
    Action("details", "enter", "Details", "Show everything about the selected closed deal", "Closed", "closed",
           key_display="⏎"),
    Action("reopen", "o", "Reopen", "Reopen the selected deal: back in the funnel",
           "Closed", "closed"),
    Action("outcome", "s", "Won/lost", "Show won and lost, won only, lost only (in turn)", "Closed",
           "closed"),
    Action("filter", "slash", "Filter", "Filter by title, account, contact or reason", "Closed",
           "closed", key_display="/"),
    Action("back", "escape", "Back", "Back to the Funnel (a filter is emptied first)", "Closed", "closed", palette=False),
    Action("cursor(1)", "j", "Down", "Next deal (also ↓)", "Closed", "closed", show=False, palette=False,
           binding_id="closed.down"),
    Action("cursor(-1)", "k", "Up", "Previous deal (also ↑)", "Closed", "closed", show=False, palette=False,
           binding_id="closed.up"),
    # --- the deal details (enter on a deal) -----------------------------------------------------
    Action("close", "escape,q", "Close", "Close the deal details", "Deal", "deal", palette=False),
    Action("edit", "e", "Edit", "Edit every field of this deal, its influences and fit", "Deal", "deal"),
    Action("influences", "b", "Buying influences", "Add, edit or remove the deal's buying influences", "Deal", "deal"),
    Action("next_action", "n", "Next action", "Set this deal's next action and its due date", "Deal", "deal"),
    Action("log_time", "t", "Log time", "Log time spent on this deal", "Deal", "deal"),
    # A dialog stops the app's keys: the details bind `?`, `u` and `ctrl+r` themselves (a change
    # made from the details is undone there, and the details show the deal as it is again).
    Action("undo", "u", "Undo", "Undo the latest change (from here too), then show this deal as it is", "Deal",
           "deal"),
    # U as well: a browser keeps ctrl+r (reload) when served, and a dialog has no palette.
    Action("redo", "ctrl+r,U", "Redo", "Redo the latest undone change, then show this deal as it is", "Deal",
           "deal", show=False),
    Action("app.help", "question_mark,f1", "Help", "Show these keys", "Deal", "deal", show=False, palette=False,
           key_display="?", binding_id="deal.help"),
    # --- everywhere -----------------------------------------------------------------------------
    Action("undo", "u", "Undo", "Undo the latest change, on whichever screen it was made", "General", scope="app",
           footer_rank=1),
    Action("redo", "ctrl+r,U", "Redo", "Make the latest undone change again", "General", scope="app", show=False),
    Action("help", "question_mark,f1", "Help", "Show the keys of this screen and what the flag marks mean", "General",
           scope="app", key_display="?", footer_rank=0),
    Action("command_palette", "ctrl+p", "Palette", "Search every action of every screen by name", "General",
           scope="app", show=False, palette=False, binding_id="palette"),
    # Textual's palette already offers Quit.
    Action("quit", "q", "Quit", "Quit the planner", "General", scope="app", palette=False, footer_rank=0),
    # Files, from the palette only (no key of their own; the keymap file can give them one).
    Action("export('csv')", "", "Export deals as CSV", "Every deal as a CSV file (what planner export writes)",
           "Files", scope="app", show=False, binding_id="export.csv"),
    Action("export('json')", "", "Export everything as JSON",
           "Every deal with its history, the settings and criteria (planner export --format json)", "Files",
           scope="app", show=False, binding_id="export.json"),
    Action("backup", "", "Back up the database", "A consistent copy of the database (what planner backup makes)",
           "Files", scope="app", show=False),
    _go("funnel", "1", "Funnel", "The funnel: three buckets side by side"),
    _go("today", "2", "Today", "The daily check-in in priority order"),
    _go("week", "3", "Week", "This week's plan: hours, split and time blocks"),
    _go("insights", "4", "Insights", "Cycle, conversion, forecast and the roller-coaster projection"),
    _go("profile", "5", "Profile", "Ideal-customer profile and settings"),
)

#: The screens reachable by number, in key order: mode name → (key, title).
SCREENS: dict[str, tuple[str, str]] = {
    "funnel": ("1", "Funnel"),
    "today": ("2", "Today"),
    "week": ("3", "Week"),
    "insights": ("4", "Insights"),
    "profile": ("5", "Profile"),
}

#: Every scope's title, as help and the palette name it.
SCOPE_TITLES: dict[str, str] = {**{mode: title for mode, (_key, title) in SCREENS.items()}, "deal": "Deal details",
                                "closed": "Closed deals", "app": "Everywhere"}


def rows(scope: str) -> tuple[Action, ...]:
    """The table's rows of one scope, in table order."""
    return tuple(a for a in ACTIONS if a.scope == scope)


def bindings(scope: str) -> list[Binding]:
    """The key bindings of one scope (a screen's BINDINGS, or the app's)."""
    return [a.binding() for a in ACTIONS if a.scope == scope and a.keys]


def by_id() -> dict[str, Action]:
    return {a.id: a for a in ACTIONS}


def keep_keys_a_browser_passes(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """(keymap, what was kept): the keymap for a planner served to a browser tab.

    A browser keeps some keys for itself (ctrl+w closes the tab, ctrl+t opens one:
    `planner.serve.BROWSER_KEPT_KEYS`). An action that the keymap file gives only such keys keeps
    the table's own keys as well (those a browser passes on), so it is still reached in the tab;
    each such action is listed as "id (keys kept)" for the one notice."""
    from planner.serve import BROWSER_KEPT_KEYS, key_name

    def kept_by_browser(key: str) -> bool:
        return key_name(key) in BROWSER_KEPT_KEYS

    amended = dict(keymap)
    kept: list[str] = []
    for action in ACTIONS:
        keys = [k.strip() for k in keymap.get(action.id, "").split(",") if k.strip()]
        if not keys or not all(kept_by_browser(k) for k in keys):
            continue
        own = [k for k in action.keys.split(",") if k and not kept_by_browser(k) and k not in keys]
        if own:
            amended[action.id] = ",".join([*keys, *own])
            kept.append(f"{action.id} ({' '.join(key_text(k) for k in own)})")
    return amended, kept


_KEY_NAMES = {
    "greater_than_sign": ">",
    "less_than_sign": "<",
    "slash": "/",
    "question_mark": "?",
    "exclamation_mark": "!",
    "plus": "+",
    "equals_sign": "=",
    "minus": "-",
    "left": "←",
    "right": "→",
    "up": "↑",
    "down": "↓",
    "escape": "escape",
}


def key_text(key: str) -> str:
    return _KEY_NAMES.get(key, key)


def display_keys(action: Action, keymap: Mapping[str, str] | None = None) -> str:
    """Keys as a person reads them in the help screen and the palette: the keymap file's, when it
    rebinds this action, else the table's."""
    keys = (keymap or {}).get(action.id, action.keys)
    return " ".join(key_text(k.strip()) for k in keys.split(",") if k.strip())


#: The flag marks shown beside a deal, in display order: (flag code, mark, meaning).
FLAG_MARKS: tuple[tuple[str, str, str], ...] = (
    ("overdue_action", "!", "next action overdue"),
    ("no_next_action", "?", "no next action scheduled"),
    ("stale", "z", "stale: no activity or move for longer than usual in its bucket"),
    ("uncovered_influences", "◌", "a buying influence is uncovered, or no economic buyer"),
    ("close_date_passed", "«", "expected close date has passed: it slipped"),
    ("best_few_too_far", "»", "expected close too far off for Best Few"),
    ("best_few_no_close", "»", "in Best Few with no expected close date"),
    ("unqualified", "¤", "Money, Authority or Need not confirmed"),
    ("poor_fit", "↓", "poor fit with your ideal customer (consider dropping)"),
)
