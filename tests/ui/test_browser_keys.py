"""Keys a browser keeps for itself (ctrl+w, ctrl+t, ctrl+n…) are never the only way to an action
(issue 13): served with `planner serve`, such a key closes the tab or opens a window instead of
reaching the planner. Every binding of the app, of every screen and dialog and of the planner's
own widgets is checked; an action reached only by such keys must be in the command palette of the
screen it belongs to (ctrl+p, which browsers pass through)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widget import Widget

from planner.domain.models import Opportunity
from planner.serve import BROWSER_KEPT_KEYS, key_name
from planner.ui.actions import SCREENS

from .conftest import TODAY, repository


def planner_classes() -> list[type]:
    """PlannerApp, and every Screen and Widget class defined in planner.ui."""
    import planner.ui.screens
    import planner.ui.widgets
    from planner.app import PlannerApp

    classes: list[type] = [PlannerApp]
    for package in (planner.ui.screens, planner.ui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, (Screen, Widget)) and cls.__module__ == module.__name__:
                    classes.append(cls)
    return classes


def declared_by_the_planner(cls: type) -> set[str]:
    """The actions bound in BINDINGS of the planner's own classes in `cls`'s ancestry; for the
    app also Textual's App bindings (ctrl+q quit…), which work on every screen. Textual's widget
    defaults are left out: they are Textual's (ctrl+pageup/down page sideways in any scrollable
    widget; the planner's lists never scroll sideways, and the mouse and scroll bar do it too)."""
    from textual.app import App
    from textual.binding import BindingsMap

    actions: set[str] = set()
    for base in cls.__mro__:
        if base.__module__.startswith("planner.") or (issubclass(cls, App) and base is App):
            for bindings in BindingsMap(base.__dict__.get("BINDINGS", [])).key_to_bindings.values():
                actions.update(binding.action for binding in bindings)
    return actions


def only_browser_kept(cls: type) -> dict[str, tuple[set[str], str]]:
    """The planner's actions on `cls` whose every key (its own bindings and those it inherits) a
    browser may keep: action → (keys, the binding's description)."""
    keys: dict[str, set[str]] = {}
    description: dict[str, str] = {}
    for key, bindings in cls._merge_bindings().key_to_bindings.items():
        for binding in bindings:
            keys.setdefault(binding.action, set()).add(key_name(key))
            description.setdefault(binding.action, binding.description)
    ours = declared_by_the_planner(cls)
    return {
        action: (found, description[action])
        for action, found in keys.items()
        if action in ours and found <= BROWSER_KEPT_KEYS
    }


async def palettes(db: str) -> dict[type, list[str]]:
    """Each of the five screens' command palette, as titles: screen class → titles."""
    from planner.app import PlannerApp

    with repository(db) as repo:
        repo.add(Opportunity("Palette check"), on=TODAY)  # a selected deal: its actions are offered
    app = PlannerApp(db)
    found: dict[type, list[str]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for key, _title in SCREENS.values():
            await pilot.press(key)
            await pilot.pause()
            found[type(app.screen)] = [command.title for command in app.get_system_commands(app.screen)]
    return found


async def test_no_action_is_reached_only_by_keys_the_browser_keeps(db):
    from planner.app import PlannerApp

    classes = planner_classes()
    assert len(classes) > 15  # the app, five screens, the dialogs, the widgets
    candidates = {cls: found for cls in classes if (found := only_browser_kept(cls))}
    offered = await palettes(db)
    assert len(offered) == len(SCREENS) and all(offered.values())
    assert any(title.startswith("Undo") for title in next(iter(offered.values())))  # the palette is read right
    missing = []
    for cls, actions in candidates.items():
        if issubclass(cls, ModalScreen) or not (cls is PlannerApp or cls in offered):
            missing += [f"{cls.__name__}: {action} ({', '.join(sorted(keys))})" for action, (keys, _) in actions.items()]
            continue
        titles = [t for screen_titles in offered.values() for t in screen_titles] if cls is PlannerApp else offered[cls]
        for action, (keys, description) in actions.items():
            if not description or not any(title.startswith(description) for title in titles):
                missing.append(f"{cls.__name__}: {action} ({', '.join(sorted(keys))}), not in the palette either")
    assert not missing, "only keys a browser keeps lead to: " + "; ".join(missing)


def test_the_palette_key_itself_reaches_the_page():
    from planner.app import PlannerApp

    assert key_name(PlannerApp.COMMAND_PALETTE_BINDING) not in BROWSER_KEPT_KEYS


def test_the_check_finds_an_action_behind_browser_keys_only():
    from textual.app import App

    class Leaky(ModalScreen):
        BINDINGS = [
            Binding("ctrl+w", "close_it", "Close"),
            Binding("shift+ctrl+tab", "previous", "Previous"),  # modifiers in any order
            Binding("ctrl+t,x", "also_x", "Also x"),  # another key reaches it: fine
        ]

    Leaky.__module__ = "planner.ui.screens.leaky"  # as if the planner declared it
    found = only_browser_kept(Leaky)
    assert set(found) == {"close_it", "previous"} and found["close_it"][0] == {"ctrl+w"}

    class LeakyApp(App):  # Textual's own ctrl+q quit counts on the app: q must reach it as well
        BINDINGS = [Binding("ctrl+p", "command_palette", "Palette")]

    LeakyApp.__module__ = "planner.leaky"
    assert "quit" in only_browser_kept(LeakyApp)
