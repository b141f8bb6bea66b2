"""The headless application core: every change a user can make, once (docs/architecture.md).

`Core` (in `planner.core.core`) owns the repository and today, the cached snapshot and status of
the funnel, and the undo and redo history. The TUI (`PlannerApp.core`) and the CLI both call it;
nothing else writes. `planner.core.text` formats numbers, money, days and times for both.

Importing this package is cheap and imports neither Textual nor the store: the UI imports
`planner.core.text` without pulling in SQLite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.core.core import Change, Core

__all__ = ["Change", "Core"]


def __getattr__(name: str):  # lazy re-exports keep `import planner.core` light
    if name in __all__:
        from planner.core import core

        return getattr(core, name)
    raise AttributeError(name)
