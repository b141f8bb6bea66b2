"""PlannerApp: the Textual shell of the planner (SPEC §5).

Holds the repository, today's date, a cached snapshot/status of the funnel and the undo stack.
Screens are Textual modes: 1 Funnel, 2 Today, 3 Week, 4 Insights, 5 Profile. Everything a screen
changes goes through `change()`, so every change is one undoable step and every screen refreshes.

Start-up is a budget (the first frame must not wait for anything it does not show): only the
Funnel screen is imported here; the other screens import when first opened.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen

from planner.errors import PlannerError
from planner.ui.actions import ACTIONS, SCREENS, bindings

if TYPE_CHECKING:
    from planner.domain.models import FunnelSnapshot, Status
    from planner.store.repository import DealState, Repository

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
    """Once the first frame is on screen: leave what start-up loaded (modules, the app and its
    widgets, the open deals) out of the garbage collector's full passes. Those passes walk every
    object that can hold a reference; with thousands of open deals one took ~20 ms and fell on
    about every other change (100,000-deal database). What is made later is collected as usual,
    in fewer and larger passes: a change to one deal among thousands makes tens of thousands of
    short-lived objects, and with the default threshold (700) the young ones were walked again and
    again (moving a deal on the 100,000-deal database: median 50 → 44 ms, peak memory +10 MiB)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


def _thaw() -> None:
    """Undo `_freeze_what_is_loaded` when the app closes (tests run many apps in one process)."""
    gc.unfreeze()
    gc.set_threshold(*_GC_THRESHOLD)


@dataclass(frozen=True, slots=True)
class UndoStep:
    description: str
    undo: Callable[[], Any]
    deal_id: int | None = None  # the one deal the undo writes, when it writes only that deal


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
        super().__init__()
        self.db = db
        self.repo: Repository | None = None  # type: ignore[assignment]
        self.today: date | None = None  # type: ignore[assignment]
        self.problem: str | None = None  # why the database cannot be used, when it cannot
        self.data_version = 0  # bumped on every change; screens compare it to skip needless reloads
        self._snapshot: FunnelSnapshot | None = None
        self._status: Status | None = None
        # After changes to single deals: the snapshot before them and the deals changed since,
        # so the next snapshot re-reads only those deals (see Repository.snapshot).
        self._reuse: tuple[FunnelSnapshot, set[int]] | None = None
        self._undo: list[UndoStep] = []
        # The first screen opens the database, so a problem with it shows as a screen, not a traceback.
        self.add_mode("funnel", self._first_screen)

    # --- opening --------------------------------------------------------------------------------
    def _first_screen(self) -> Screen:
        try:
            self._open()
            # Read everything the funnel shows now: damage deep in a table shows up on reading.
            self.status()
        except PlannerError as error:  # DatabaseProblem, or a bad PLANNER_TODAY / --db
            from planner.errors import DatabaseProblem
            from planner.ui.screens.problem import ProblemScreen

            self.problem = str(error)
            if isinstance(error, DatabaseProblem):
                return ProblemScreen(self.problem)
            return ProblemScreen(self.problem, title="The planner cannot start")
        from planner.ui.screens.funnel import FunnelScreen

        notice = getattr(self.repo, "notice", None)  # e.g. opened read-only: the disk is full
        if notice:
            self.call_after_refresh(self.notify, notice, severity="warning", timeout=15)
        return FunnelScreen()

    def _open(self) -> None:
        from planner.clock import plain_today
        from planner.store import open_repository

        # A plain date, without importing pendulum (start-up budget); its arithmetic is also ~10x
        # faster than pendulum's Date and the engine does a lot of it.
        self.today = plain_today()
        self.repo = open_repository(self.db)

    def on_ready(self) -> None:
        if os.environ.get("PLANNER_EXIT_AFTER_FIRST_FRAME") == "1":
            # The start-up end point (benchmarks, the import-budget test): Ready is posted once the
            # first frame has been composited and written; after one more refresh it has flushed.
            self.call_after_refresh(self.exit)
            return
        self.call_after_refresh(_freeze_what_is_loaded)

    def on_unmount(self) -> None:
        _thaw()
        if self.repo is not None:
            self.repo.close()

    def _prune(self, *nodes, parent=None):
        # Closing a dialog removes its screen, and Textual (8.2) then asks the screen below for a
        # layout pass of its own (parent.refresh(layout=True) once the removal is done) although
        # nothing in it moved: its resume already repaints it, and lays it out when the terminal
        # was resized meanwhile. That pass was a frame of its own, ~25 ms after the dialog closed.
        if parent is self and nodes and all(isinstance(node, Screen) for node in nodes):
            parent = None
        return super()._prune(*nodes, parent=parent)

    # --- the data every screen shows ----------------------------------------------------------
    def snapshot(self) -> FunnelSnapshot:
        """Everything the engine needs for today, read once and cached until the next change."""
        if self._snapshot is None:
            reuse, self._reuse = self._reuse, None
            if reuse is None:
                self._snapshot = self.repo.snapshot(self.today)
            else:
                self._snapshot = self.repo.snapshot(self.today, since=reuse[0], changed=reuse[1])
        return self._snapshot

    def status(self) -> Status:
        """The method engine's view of today (SPEC §3), cached until the next change."""
        if self._status is None:
            from planner.domain.status import analyse

            self._status = analyse(self.snapshot())
        return self._status

    def data_changed(self, deal_id: int | None = None) -> None:
        """Drop the caches and refresh what is on screen; other screens refresh when shown again.

        `deal_id`: the change wrote that deal only (and the activities, moves and settings the
        snapshot reads afresh anyway), so the other open deals need not be read again. Without
        it everything is re-read, as on coming back to the terminal (another instance's changes)."""
        if deal_id is None:
            self._reuse = None
        elif self._snapshot is not None:
            self._reuse = (self._snapshot, {deal_id})
        elif self._reuse is not None:
            self._reuse[1].add(deal_id)
        self._snapshot = None
        self._status = None
        self.data_version += 1
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_data", None)
            if refresh is not None:
                refresh()
        self.refresh_bindings()

    def on_app_focus(self) -> None:
        """Back in the planner's terminal: show what the CLI or another window changed meanwhile."""
        if self.repo is not None and self.problem is None:
            self.data_changed()

    # --- changes and undo -----------------------------------------------------------------------
    def change(
        self,
        description: str,
        opp_id: int | None,
        fn: Callable[[], Any],
        *,
        undo: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Run one user change as one undoable step (SPEC §2, §5).

        With `opp_id`, the deal is captured first and `u` puts it back exactly. Without it, pass
        `undo`: it receives what `fn` returned (e.g. the new deal's or activity's id) and reverts it;
        with neither the change is made but cannot be undone. A PlannerError is shown as an error
        notification and nothing changes; the return value is then None.
        """
        try:
            before = self.repo.capture(opp_id) if opp_id is not None else None
            result = fn()
        except PlannerError as error:
            self.notify(str(error), severity="error")
            return None
        try:
            after = self.repo.capture(opp_id) if opp_id is not None else None
        except PlannerError:
            after = None  # the change is made; undo then puts the deal back exactly as it was
        if before is not None:
            self._undo.append(UndoStep(description, lambda: self._undo_deal(before, after), opp_id))
        elif undo is not None:
            self._undo.append(UndoStep(description, lambda: undo(result)))
        undoable = before is not None or undo is not None
        # Set before the screens refresh, so the top bar is repainted in the same frame as them.
        self.last_change = f"{description} · u undoes" if undoable and "u to undo" not in description else description
        self.data_changed(opp_id)
        self.notify(description, timeout=3)
        return result

    def _undo_deal(self, before: DealState, after: DealState | None) -> None:
        """Take back this instance's change to a deal and only that: whatever another instance
        (the CLI, a second window) changed since is kept (SPEC §6, two instances)."""
        if after is None:
            self.repo.restore(before)
        else:
            self.repo.restore(merge_undo(before, after, self.repo.capture(before.opportunity_id)))

    def added_deal_undo(self, new_id: int) -> None:
        """The undo of adding a deal: remove it again (pass as `undo=` to `change`)."""
        from planner.store.repository import DealState

        self.repo.restore(DealState(new_id, None))

    def action_undo(self) -> None:
        if not self._undo:
            self.notify("Nothing to undo")
            return
        step = self._undo.pop()
        try:
            step.undo()
        except PlannerError as error:
            self.notify(f"Could not undo {step.description}: {error}", severity="error")
            return
        self.last_change = f"Undone: {step.description}"
        self.data_changed(step.deal_id)
        # The deal is back where it was: select it there, so its keys work without navigating.
        select = getattr(self.screen, "select_deal", None)
        if step.deal_id is not None and select is not None:
            select(step.deal_id)
        self.notify(f"Undone: {step.description}", timeout=3)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

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
    def action_mode(self, mode: str) -> None:
        self.switch_mode(mode)

    def action_help(self) -> None:
        from planner.ui.screens.modals import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            screen = self.screen
            title = SCREENS.get(self.current_mode, ("", ""))[1]
            self.push_screen(HelpScreen(title, _own_bindings(screen)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("mode", "undo"):
            if self.problem is not None or self.repo is None:
                return False
            if isinstance(self.screen, ModalScreen):
                # A dialog is open: finish or escape it first. Greyed, not hidden, so the footer
                # under the dialog keeps its shape and needs no rebuild when the dialog closes.
                return None
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action in ACTIONS:
            if not action.palette:
                continue
            target = self if action.scope == "app" else screen
            if action.scope == "funnel" and not hasattr(screen, f"action_{action.name}"):
                continue
            params = _parameters(action.action)
            if target.check_action(action.name, params) is not True:
                continue
            yield SystemCommand(
                f"{action.label}  ({_palette_keys(action)})",
                action.help,
                _runner(target, action.action),
            )
        # The keys of the screen itself (Today, Week, Profile…) are in the palette too.
        for binding in _own_bindings(screen):
            if binding.show and screen.check_action(binding.action.split("(", 1)[0], ()) is True:
                keys = binding.key_display or binding.key
                yield SystemCommand(
                    f"{binding.description}  ({keys})", binding.tooltip or binding.description,
                    _runner(screen, binding.action),
                )


def merge_undo(before: DealState, after: DealState, current: DealState) -> DealState:
    """What undoing a change should leave: `before` → `after` was our change, `current` is the deal
    now. Every field, move and activity our change touched goes back to `before`, unless it has
    changed again since (then the later change wins); everything else stays as it is now."""
    from dataclasses import fields, replace

    if after.opportunity is None or current.opportunity is None or before.opportunity is None:
        # We deleted or added the deal (or it is gone now): undo restores the deal as it was.
        return before

    changes = {}
    for f in fields(before.opportunity):
        old, ours, now = (getattr(s.opportunity, f.name) for s in (before, after, current))
        if ours != old and now == ours:
            changes[f.name] = old
    opportunity = replace(current.opportunity, **changes)

    def merged(kind: str) -> tuple:
        old = {x.id: x for x in getattr(before, kind)}
        ours = {x.id: x for x in getattr(after, kind)}
        now = {x.id: x for x in getattr(current, kind)}
        keep = {i: x for i, x in now.items() if not (i in ours and i not in old)}  # drop what we added
        keep.update({i: x for i, x in old.items() if i not in ours})  # bring back what we removed
        return tuple(keep[i] for i in sorted(keep))

    return replace(current, opportunity=opportunity, moves=merged("moves"), activities=merged("activities"))


def _parameters(action: str) -> tuple[object, ...]:
    if "(" not in action:
        return ()
    from ast import literal_eval

    inside = action[action.index("(") + 1 : -1]
    value = literal_eval(f"({inside},)")
    return tuple(value)


def _palette_keys(action) -> str:
    from planner.ui.actions import display_keys

    return display_keys(action)


def _own_bindings(screen: Screen) -> list[Binding]:
    """Bindings a screen declares itself, beyond the one action table (which the funnel uses)."""
    table = {a.action for a in ACTIONS}
    own = [b for b in getattr(type(screen), "BINDINGS", ()) if isinstance(b, Binding)]
    return [b for b in own if b.action not in table and b.description]


def _runner(target, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await target.run_action(action)

    return run
