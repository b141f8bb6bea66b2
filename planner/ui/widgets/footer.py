"""The footer of every planner screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes all its keys whenever the bindings *might* have changed (every focus
move, every refresh_bindings). On the Funnel screen that is every h/l and every j/k: ~0.1 s of
mounting two dozen widgets per keystroke. Comparing what it would show first makes moving free.
"""

from __future__ import annotations

from textual.widgets import Footer


class PlannerFooter(Footer):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._shown: tuple | None = None

    def _signature(self) -> tuple:
        return tuple(
            (key, binding.action, binding.description, enabled, binding.show)
            for key, (_node, binding, enabled, _tooltip) in self.screen.active_bindings.items()
            if binding.show or key == self.app.COMMAND_PALETTE_BINDING
        )

    def bindings_changed(self, screen) -> None:
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return super().bindings_changed(screen)
        signature = self._signature()
        if signature == self._shown:
            self._bindings_ready = True
            return
        self._shown = signature
        super().bindings_changed(screen)
