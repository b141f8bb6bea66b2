"""The one action table (SPEC §5): it feeds the key bindings, the command palette and the `?` help.

Each row names the action, its keys, a short footer label and a sentence of help. `scope` says who
runs it: "app" actions work on every screen, "funnel" actions act on the selected deal of the
Funnel screen. Motion aliases (h j k l) exist as bindings but are hidden from the footer.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Action:
    action: str  # the Textual action string, e.g. "add" or "mode('today')"
    keys: str  # Textual key names, comma separated
    label: str  # short, for the footer
    help: str  # one sentence, for the palette and the help screen
    group: str
    scope: str = "funnel"  # "app" or "funnel"
    show: bool = True  # shown in the footer
    key_display: str | None = None
    palette: bool = True  # offered in the command palette

    @property
    def id(self) -> str:
        return self.action.replace("('", "-").replace("')", "")

    @property
    def name(self) -> str:
        """The action's method name without arguments, as `check_action` receives it."""
        return self.action.split("(", 1)[0]

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


ACTIONS: tuple[Action, ...] = (
    # --- deals (Funnel screen) ------------------------------------------------------------------
    Action("add", "a", "Add", "Add a deal to the focused bucket (Above the Funnel by default)", "Deals"),
    Action("edit", "e", "Edit", "Edit every field of the selected deal, its influences and fit", "Deals"),
    Action("details", "enter", "Details", "Show everything about the selected deal", "Deals", key_display="⏎"),
    Action("move_on", "greater_than_sign", "Move on", "Move the selected deal one bucket down the funnel", "Deals",
           key_display=">"),
    Action("move_back", "less_than_sign", "Move back", "Move the selected deal one bucket back up the funnel",
           "Deals", key_display="<"),
    Action("won", "w", "Won", "Mark the selected deal won", "Deals"),
    Action("lost", "x", "Lost", "Mark the selected deal lost, with a reason", "Deals"),
    Action("log_time", "t", "Log", "Log time spent on the selected deal (or prospecting)", "Deals"),
    Action("next_action", "n", "Next", "Set the selected deal's next action and its due date", "Deals"),
    Action("filter", "slash", "Filter", "Filter deals by title, account or contact (escape clears)", "Deals",
           key_display="/"),
    Action("delete", "d", "Delete", "Delete the selected deal (u undoes it)", "Deals"),
    # --- moving around the Funnel screen --------------------------------------------------------
    Action("focus_bucket(-1)", "h,left", "Left", "Go to the bucket on the left", "Move around", show=False,
           palette=False),
    Action("focus_bucket(1)", "l,right", "Right", "Go to the bucket on the right", "Move around", show=False,
           palette=False),
    Action("cursor(1)", "j", "Down", "Next deal in the bucket (also ↓)", "Move around", show=False, palette=False),
    Action("cursor(-1)", "k", "Up", "Previous deal in the bucket (also ↑)", "Move around", show=False,
           palette=False),
    # --- everywhere -----------------------------------------------------------------------------
    Action("undo", "u", "Undo", "Undo the latest change", "General", scope="app"),
    Action("help", "question_mark,f1", "Help", "Show every key and what the flag marks mean", "General", scope="app",
           key_display="?"),
    Action("command_palette", "ctrl+p", "Palette", "Search every action by name", "General", scope="app",
           show=False, palette=False),
    # Textual's palette already offers Quit.
    Action("quit", "q", "Quit", "Quit the planner", "General", scope="app", palette=False),
    Action("mode('funnel')", "1", "Funnel", "The funnel: three buckets side by side", "Screens", scope="app", show=False),
    Action("mode('today')", "2", "Today", "The daily check-in in priority order", "Screens", scope="app", show=False),
    Action("mode('week')", "3", "Week", "This week's plan: hours, split and time blocks", "Screens", scope="app", show=False),
    Action("mode('insights')", "4", "Insights", "Cycle, conversion, forecast and the roller-coaster projection",
           "Screens", scope="app", show=False),
    Action("mode('profile')", "5", "Profile", "Ideal-customer profile and settings", "Screens", scope="app", show=False),
)

#: The screens reachable by number, in key order: mode name → (key, title).
SCREENS: dict[str, tuple[str, str]] = {
    "funnel": ("1", "Funnel"),
    "today": ("2", "Today"),
    "week": ("3", "Week"),
    "insights": ("4", "Insights"),
    "profile": ("5", "Profile"),
}


def bindings(scope: str) -> list[Binding]:
    return [a.binding() for a in ACTIONS if a.scope == scope]


def display_keys(action: Action) -> str:
    """Keys as a person reads them in the help screen."""
    names = {
        "greater_than_sign": ">",
        "less_than_sign": "<",
        "slash": "/",
        "question_mark": "?",
        "enter": "enter",
        "left": "←",
        "right": "→",
        "ctrl+p": "ctrl+p",
    }
    return " ".join(names.get(k, k) for k in action.keys.split(","))


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
