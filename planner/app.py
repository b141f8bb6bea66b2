"""PlannerApp: the Textual shell of the planner (SPEC §5).

A thin shell around the headless core (`planner.core.Core`, reached by every screen as
`self.app.core`): the core owns the repository, today, the cached snapshot and status, and the
undo and redo history; every change is one of its use cases. The app runs them (`apply`,
`commit`), shows what they did (the top bar, a toast, the method's warnings), refreshes what is on
screen, and polls the core every second so that what another instance changes shows by itself.
Screens are Textual modes: 1 Funnel, 2 Today, 3 Week, 4 Insights, 5 Profile.

Start-up is a budget (the first frame must not wait for anything it does not show): only the
Funnel screen is imported here; the other screens import when first opened.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen

from planner.errors import Conflict, PlannerError
from planner.ui.actions import ACTIONS, SCOPE_TITLES, SCREENS, Action, bindings, display_keys, rows

if TYPE_CHECKING:
    from planner.core.core import Change, Core

#: How often the app asks the core whether another instance wrote (SPEC §5: within ~2 seconds).
POLL_SECONDS = 1.0

#: Screens other than the Funnel, imported on first use: mode → (module, class).
_LAZY_SCREENS = {
    "today": ("planner.ui.screens.today", "TodayScreen"),
    "week": ("planner.ui.screens.week", "WeekScreen"),
    "insights": ("planner.ui.screens.insights", "InsightsScreen"),
    "profile": ("planner.ui.screens.profile", "ProfileScreen"),
}


def _lazy_screen(mode: str) -> Callable[[], Screen]:
    module_name, class_name = _LAZY_SCREENS[mode]

    def make() -> Screen:
        return getattr(importlib.import_module(module_name), class_name)()

    return make


_GC_THRESHOLD = gc.get_threshold()


def _freeze_what_is_loaded() -> None:
    """Once the first frame is on screen: collect what start-up left (the collector is off until
    then when the planner is started from the command line), then leave what it loaded (modules,
    the app and its widgets, the open deals) out of the garbage collector's full passes. Those
    passes walk every object that can hold a reference; with thousands of open deals one took
    ~20 ms and fell on about every other change (100,000-deal database). What is made later is
    collected as usual, in fewer and larger passes: a change to one deal among thousands makes
    tens of thousands of short-lived objects, and with the default threshold (700) the young ones
    were walked again and again (moving a deal on the 100,000-deal database: median 50 → 44 ms,
    peak memory +10 MiB)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    gc.enable()


def _thaw() -> None:
    """Undo `_freeze_what_is_loaded` when the app closes (tests run many apps in one process)."""
    gc.unfreeze()
    gc.set_threshold(*_GC_THRESHOLD)
    gc.enable()


class PlannerApp(App[None]):
    """The planner's TUI. `PlannerApp(db)` resolves the database like the CLI: the `db` argument,
    else `PLANNER_DB`, else the default file in the user data directory."""

    TITLE = "Funnel planner"
    #: The latest change made or undone, as the top bar shows it (toasts vanish; this stays).
    # repaint=False: the ScreenBar watching it repaints its own row; a plain reactive on the App
    # would repaint the whole screen on every change (a full frame, ~8 ms at 160×50).
    last_change: reactive[str] = reactive("", init=False, repaint=False)
    CSS_PATH = "planner.tcss"
    BINDINGS = bindings("app")
    DEFAULT_MODE = "funnel"
    MODES = {mode: _lazy_screen(mode) for mode in _LAZY_SCREENS}

    def __init__(self, db: str | None = None) -> None:
        from planner.ui import textual_fixes

        textual_fixes.apply()  # wide characters kept whole over other widgets' edges (Textual #6357)
        super().__init__()
        self.db = db
        self.core: Core | None = None  # type: ignore[assignment]  # set when the first screen opens
        self.problem: str | None = None  # why the database cannot be used, when it cannot
        self.exit_problem: str | None = None  # why the app ended early (said by the CLI once it has)
        self.poll_timer = None  # the once-a-second check for other instances' writes, once running
        # The first screen opens the database, so a problem with it shows as a screen, not a traceback.
        self.add_mode("funnel", self._first_screen)
        self._notices: list[str] = []  # what the preference files said (shown once the app runs)
        self._remembered_theme: str | None = None
        self._start_frames: list | None = []  # frames of the start-up batch, written when it ends
        self._load_preferences()

    # --- what the user's config directory holds: theme and keymap -------------------------------
    def _load_preferences(self) -> None:
        """The theme last chosen and the keymap file (planner/preferences.py): read once, before the
        first screen; whatever is wrong with them is one notice, never a failed start."""
        from planner import preferences as prefs

        keymap, problem = prefs.read_keymap(prefs.keymap_path(), {a.id for a in ACTIONS})
        if problem:
            self._notices.append(problem)
        elif keymap:
            self.set_keymap(keymap)
            # Export and backup have no key of their own, so no binding a keymap could rebind:
            # the keys the file gives them are bound here.
            for action in ACTIONS:
                if not action.keys and action.scope == "app" and action.id in keymap:
                    self.bind(keymap[action.id], action.action, description=action.label, show=False)
        name = prefs.read_theme(prefs.theme_path())
        if name is not None and name in self.available_themes:
            self.theme = name
            self._remembered_theme = name
        elif name is not None:
            self._notices.append(f"Theme {name!r} (remembered in {prefs.theme_path()}) is not known; using the default")

    def on_mount(self) -> None:
        if self.is_web and self._keymap:
            self._keep_keys_a_browser_passes()
        for notice in self._notices:
            self.call_after_refresh(self.notify, notice, severity="warning", timeout=15)
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _keep_keys_a_browser_passes(self) -> None:
        """Served to a browser tab: an action the keymap file gives only keys the browser keeps
        for itself (ctrl+w closes the tab) keeps its own keys too, said in one notice."""
        from planner.ui.actions import keep_keys_a_browser_passes

        keymap, kept = keep_keys_a_browser_passes(self._keymap)
        if kept:
            self.set_keymap(keymap)
            self._notices.append(
                "In a browser tab the browser keeps some keys of your keymap for itself (ctrl+w closes the tab); "
                f"these also keep their own keys here: {', '.join(kept)}"
            )

    def _remember_theme(self, theme) -> None:
        """The theme chosen in the palette is the theme of the next start."""
        if theme.name == self._remembered_theme:
            return
        from planner import preferences as prefs

        self._remembered_theme = theme.name
        try:
            prefs.write_theme(prefs.theme_path(), theme.name)
        except PlannerError as error:
            self.notify(f"The theme is not remembered: {error}", severity="warning")

    # --- opening --------------------------------------------------------------------------------
    def _first_screen(self) -> Screen:
        try:
            from planner.core.core import Core

            self.core = Core.open(self.db)
            # Read everything the funnel shows now: damage deep in a table shows up on reading.
            self.core.status()
        except PlannerError as error:  # DatabaseProblem, or a bad PLANNER_TODAY / --db
            from planner.errors import DatabaseProblem
            from planner.ui.screens.problem import ProblemScreen

            self.problem = str(error)
            if isinstance(error, DatabaseProblem):
                return ProblemScreen(self.problem)
            return ProblemScreen(self.problem, title="The planner cannot start")
        except Exception:
            unreadable = self._unreadable_values()
            if unreadable is None:
                raise
            from planner.ui.screens.problem import ProblemScreen

            self.problem = str(unreadable)
            return ProblemScreen(self.problem)
        from planner.ui.screens.funnel import FunnelScreen

        notice = self.core.notice  # e.g. opened read-only: the disk is full
        if notice:
            self.call_after_refresh(self.notify, notice, severity="warning", timeout=15)
        return FunnelScreen()

    def _unreadable_values(self) -> PlannerError | None:
        """A value another tool wrote that the planner cannot read, said in one line, when that is
        why something failed; None otherwise."""
        from planner.core.core import unreadable_values

        return unreadable_values(self.core.database_path if self.core is not None else self.db)

    def _handle_exception(self, error: Exception) -> None:
        """A failure nothing on screen handled ends the app, as in Textual. When it is the planner's
        own (a database that went bad while the app ran, and a screen that did not expect it) or
        comes from a value another tool wrote that the planner cannot read, the app ends with one
        line saying so instead of a traceback (the database is closed as on any exit)."""
        problem = error if isinstance(error, PlannerError) else self._unreadable_values()
        if problem is None:
            super()._handle_exception(error)
            return
        self.problem = self.exit_problem = str(problem)
        self.exit(return_code=1)  # the command line says it in one line once the terminal is restored

    def on_ready(self) -> None:
        if os.environ.get("PLANNER_EXIT_AFTER_FIRST_FRAME") == "1":
            # The start-up end point (benchmarks, the import-budget test): Ready is posted once the
            # first frame has been composited and written; after one more refresh it has flushed.
            self.call_after_refresh(self.exit)
            return
        self.call_after_refresh(_freeze_what_is_loaded)
        if self.core is not None:
            self.poll_timer = self.set_interval(POLL_SECONDS, self.poll, name="poll")

    def on_unmount(self) -> None:
        _thaw()
        if self.core is not None:
            self.core.close()

    def _display(self, screen: Screen, renderable) -> None:
        # Textual (8.2) composes and renders the first screen inside its start-up batch update,
        # which drops the frame instead of writing it, while the compositor counts it as shown:
        # later frames send only what changed after it. Left alone, the buckets' cards (rendered
        # again) reached the terminal first and the top bar, the banner and the bucket headers
        # only with a full repaint ~50–80 ms later. The frames of the start-up batch are kept and
        # written the moment it ends, so the whole screen arrives in one go, at once.
        if renderable is not None and self._batch_count and self._start_frames is not None:
            self._start_frames.append((screen, renderable))
            return
        super()._display(screen, renderable)

    def _end_batch(self) -> None:
        super()._end_batch()
        if not self._batch_count and self._start_frames is not None:
            frames, self._start_frames = self._start_frames, None  # only the start-up batch
            for screen, renderable in frames:
                if screen is self.screen:
                    super()._display(screen, renderable)

    def _prune(self, *nodes, parent=None):
        # Closing a dialog removes its screen, and Textual (8.2) then asks the screen below for a
        # layout pass of its own (parent.refresh(layout=True) once the removal is done) although
        # nothing in it moved: its resume already repaints it, and lays it out when the terminal
        # was resized meanwhile. That pass was a frame of its own, ~25 ms after the dialog closed.
        if parent is self and nodes and all(isinstance(node, Screen) for node in nodes):
            parent = None
        return super()._prune(*nodes, parent=parent)

    # --- staying current ------------------------------------------------------------------------
    def poll(self) -> None:
        """What another instance (the CLI, a second window) wrote shows without any key or focus
        event: the core notices it from SQLite's data_version, then the screens refresh."""
        if self.core is None or self.problem is not None:
            return
        try:
            changed = self.core.poll()
        except PlannerError:
            return  # the database went away for a moment: try again on the next tick
        if changed:
            self.data_changed()

    def on_app_focus(self) -> None:
        """Back in the planner's terminal: the same check at once, for terminals that say so."""
        self.poll()

    def data_changed(self) -> None:
        """Refresh the screens in the current stack (the core has dropped its caches already);
        other screens compare `core.version` when they are shown again."""
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_data", None)
            if refresh is not None:
                refresh()
        self.refresh_bindings()

    # --- changes, undo and redo -----------------------------------------------------------------
    def commit(self, make: Callable[[], Change]) -> Change:
        """Run one use case of the core and show what it did: the top bar, a toast, the method's
        warnings, every screen refreshed. Errors are raised (a dialog shows them and stays open);
        when the change was refused because the data changed since the screen read it, the
        screens show the data as it is now first."""
        version = self.core.version if self.core is not None else 0
        try:
            change = make()
        except Conflict:
            self.data_changed()
            raise
        refresh = self.core is None or self.core.version != version
        if isinstance(self.screen, ModalScreen) and len(self.screen_stack) > 1:
            # Made from a dialog, which closes next: show it on the screen below once that is
            # current again (queued there, as a dialog's result callback is), so the screen is
            # refreshed and repainted once, and the toast lands on it rather than on the dialog.
            self.screen_stack[-2].call_next(self._show, change, refresh=refresh)
        else:
            self._show(change, refresh=refresh)
        return change

    def apply(self, make: Callable[[], Change]) -> Change | None:
        """`commit` for a key: an error becomes an error notification (nothing changed); None then."""
        try:
            return self.commit(make)
        except PlannerError as error:
            self.notify(str(error), severity="error")
            return None

    def _show(self, change: Change, *, refresh: bool) -> None:
        if not change.changed:
            if refresh:
                self.data_changed()
            self.notify(change.description, timeout=3)
            return
        headline = change.description
        if change.undoable:
            headline += " · u undoes"
        elif change.redoable:
            headline += " · ctrl+r redoes"
        # Set before the screens refresh, so the top bar is repainted in the same frame as them.
        self.last_change = headline
        self.data_changed()
        self.notify(headline, timeout=3)
        # The toast goes; the warning stays on the deal (a mark on its card, the sentence in its
        # details) for as long as the condition holds: the title says where to find it again.
        title = "The method warns" + (" (kept on the deal until fixed)" if change.deal_id is not None else "")
        for warning in change.warnings:
            self.notify(warning, title=title, severity="warning", timeout=8)
        for notice in change.notices:  # what else the change did (a currency adopted): information
            self.notify(notice[:1].upper() + notice[1:], title="Also changed", timeout=8)

    def action_undo(self) -> None:
        self._replay(self.core.undo, self.core.undo_description, "undone")

    def action_redo(self) -> None:
        self._replay(self.core.redo, self.core.redo_description, "redone")

    def _replay(self, run: Callable[[], Change], description: str | None, verb: str) -> None:
        try:
            change = self.commit(run)
        except Conflict as error:
            self.last_change = f"Not {verb} (changed elsewhere): {description}"
            self.notify(str(error), severity="error")
            return
        except PlannerError as error:
            self.notify(str(error), severity="error")
            return
        # The deal is back where it was: select it there, so its keys work without navigating.
        select = getattr(self.screen, "select_deal", None)
        if change.changed and change.deal_id is not None and select is not None:
            select(change.deal_id)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: str = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications quote deal titles and reasons: literal text unless a caller opts in to markup,
        and safe to show whatever wrote them (`planner.domain.text`)."""
        from planner.domain.text import shortened, shown, shown_line

        message, title = shortened(shown(message, multiline=True)), shown_line(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # --- screens, help, palette -----------------------------------------------------------------
    async def action_mode(self, mode: str) -> None:
        await self.go_to(mode)

    async def go_to(self, mode: str) -> None:
        """Show a screen (1–5). A screen opened over one of them (the closed deals over the Funnel)
        is left, not kept under it: `1` then shows the Funnel itself."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            await self.pop_screen()
        if mode != self.current_mode:
            await self.switch_mode(mode)

    def action_help(self) -> None:
        from planner.ui.screens.modals import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            palette = next(a for a in ACTIONS if a.name == "command_palette")
            palette_keys = "" if isinstance(self.screen, ModalScreen) else self.keys_of(palette)
            # The flag marks are explained where deals carry them: the Funnel's cards and the details.
            self.push_screen(HelpScreen(self.help_sections(self.screen), palette_keys=palette_keys,
                                        flag_marks=screen_scope(self.screen) in ("funnel", "deal")))

    def keys_of(self, action: Action) -> str:
        """The keys of a row of the action table as shown to the user (the keymap's, if it rebinds it)."""
        return display_keys(action, self._keymap)

    def help_sections(self, screen: Screen) -> list[tuple[str, list[tuple[str, str]]]]:
        """What `?` shows on `screen`: its own keys first, then the keys that work everywhere
        (less those the screen takes for itself; none on a dialog, which stops the app's keys);
        never another screen's keys."""
        scope = screen_scope(screen)
        sections: list[tuple[str, list[tuple[str, str]]]] = []
        taken: set[str] = set()
        if scope is not None:
            own = [a for a in rows(scope) if a.keys]
            sections.append((f"On this screen ({SCOPE_TITLES[scope]})", [(self.keys_of(a), a.help) for a in own]))
            taken = {k for a in own for k in self._keymap.get(a.id, a.keys).split(",")}
        everywhere = []
        # A dialog stops the app's own keys (Textual's modal binding chain): it lists its own only.
        for action in rows("app") if not isinstance(screen, ModalScreen) else ():
            keys = self._keymap.get(action.id, action.keys)  # export and backup: only when given keys
            if not keys or set(keys.split(",")) <= taken:
                continue
            if self._can_run(action.name, screen) is False:  # e.g. undo while the database cannot open
                continue
            everywhere.append((self.keys_of(action), action.help))
        sections.append(("Everywhere", everywhere))
        return sections

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._can_run(action, self.screen)

    def _can_run(self, action: str, screen: Screen) -> bool | None:
        """`check_action` as it is on `screen` (the palette asks for the screen under it)."""
        if action in ("mode", "undo", "redo", "export", "backup"):
            if self.problem is not None or self.core is None:
                return False
            if isinstance(screen, ModalScreen):
                # A dialog is open: finish or escape it first. Greyed, not hidden, so the footer
                # under the dialog keeps its shape and needs no rebuild when the dialog closes.
                return None
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette: Textual's own commands (Theme, Quit…), then every row of the action table
        that can run now: the screen's own, the app's (going to each screen, undo, redo, export,
        backup), and the other screens' actions that need nothing selected there, which go to
        their screen and run there."""
        yield from super().get_system_commands(screen)
        scope = screen_scope(screen)
        dialog = isinstance(screen, ModalScreen)
        for action in ACTIONS:
            if not action.palette:
                continue
            keys = self.keys_of(action)
            title = action.label if action.name != "mode" else f"Go to {action.label}"
            title = f"{title}  ({keys})" if keys else title
            if action.scope == "app":
                if self._can_run(action.name, screen) is True:
                    yield SystemCommand(title, action.help, _runner(self, action.action))
            elif action.scope == scope:
                if hasattr(screen, f"action_{action.name}") and screen.check_action(action.name, action.parameters) is True:
                    yield SystemCommand(title, action.help, _runner(screen, action.action))
            elif action.anywhere and not dialog and scope is not None and action.scope in SCREENS and self.core:
                where = SCOPE_TITLES[action.scope]
                go = self.keys_of(next(a for a in ACTIONS if a.action == f"mode('{action.scope}')"))
                there = f"{action.label}  ({go}, then {keys})" if keys else action.label
                yield SystemCommand(f"{where}: {there}", f"{action.help} (goes to {where})", self._run_on(action))

    def _run_on(self, action: Action) -> Callable[[], Any]:
        """Go to the action's screen, then run it there once the screen shows what it is about."""

        async def run() -> None:
            await self.go_to(action.scope)
            screen = self.screen
            screen.call_later(self._run_there, screen, action)

        return run

    async def _run_there(self, screen: Screen, action: Action) -> None:
        if self.screen is not screen:
            return
        if screen.check_action(action.name, action.parameters) is not True:
            self.notify(f"{action.label}: nothing to do on {SCOPE_TITLES[action.scope]} now", timeout=4)
            return
        await screen.run_action(action.action)

    # --- files: export and backup (the palette) -------------------------------------------------
    def action_export(self, fmt: str) -> None:
        """Every deal as CSV, or everything as JSON, where the user says (a download when served)."""
        from planner.ui.delivery import in_browser, save_for_user

        core = self.core
        filename = f"planner-export-{core.today:%Y-%m-%d}.{fmt}"
        mime = "text/csv" if fmt == "csv" else "application/json"

        def apply(target: str | None) -> None:
            # In a terminal the core makes the bytes as it writes them (a path refused first writes nothing).
            data = core.export_data(fmt)[0] if in_browser(self) else b""
            where = save_for_user(self, data, filename=filename, mime_type=mime, target=target,
                                  write=lambda path: core.write_export(fmt, path).value.path)
            self.notify(f"Export {where}")

        what = "every deal as CSV" if fmt == "csv" else "everything as JSON"
        self._ask_path(f"Export {what}", f"~/{filename}", apply, "A file of that name is replaced by the export.")

    def action_backup(self) -> None:
        """A consistent copy of the database, next to it by default (a download when served)."""
        from planner.ui.delivery import in_browser, save_for_user

        core = self.core
        default = core.default_backup_path()

        def apply(target: str | None) -> None:
            data = core.backup_bytes() if in_browser(self) else b""
            where = save_for_user(self, data, filename=default.name, mime_type="application/vnd.sqlite3",
                                  target=target, write=lambda path: core.backup(path).value)
            self.notify(f"Backup {where}")

        self._ask_path("Back up the database", str(default), apply, "A backup never replaces an existing file.")

    def _ask_path(self, title: str, default: str, apply: Callable[[str | None], None], hint: str) -> None:
        from planner.ui.delivery import in_browser

        if in_browser(self):  # served: a download, there is no path to ask for
            try:
                apply(None)
            except PlannerError as error:
                self.notify(str(error), severity="error")
            return
        from planner.ui.screens.today_forms import prompt

        self.push_screen(prompt(title, "File", apply, value=default, hint=hint))


def screen_scope(screen: Screen) -> str | None:
    """The action table's scope whose keys `screen` has ("today" for the Today screen), or None."""
    for binding in getattr(type(screen), "BINDINGS", ()):
        scope = (getattr(binding, "id", None) or "").partition(".")[0]
        if scope in SCOPE_TITLES and scope != "app":
            return scope
    return None


def _runner(target, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await target.run_action(action)

    return run
