"""The footer of every planner screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes all its keys whenever the bindings *might* have changed (every focus
move, every refresh_bindings). On the Funnel screen that is every h/l and every j/k: ~0.1 s of
mounting two dozen widgets per keystroke. This one compares what it would show first: the same
keys → nothing to do; the same keys with another one greyed or enabled → that key restyled in place.
"""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class PlannerFooter(Footer):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._shown: tuple | None = None

    def _shown_bindings(self) -> list[tuple[str, str, str, bool]]:
        return [
            (key, binding.action, binding.description, enabled)
            for key, (_node, binding, enabled, _tooltip) in self.screen.active_bindings.items()
            if binding.show or key == self.app.COMMAND_PALETTE_BINDING
        ]

    def bindings_changed(self, screen) -> None:
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return super().bindings_changed(screen)
        shown = self._shown_bindings()
        layout = tuple(entry[:3] for entry in shown)
        if self._shown is not None and layout == self._shown[0] and self._bindings_ready:
            enabled = {action: on for _key, action, _description, on in shown}
            if enabled != self._shown[1]:
                for footer_key in self.query(FooterKey):
                    disabled = not enabled.get(footer_key.action, True)
                    footer_key._disabled = disabled
                    footer_key.set_class(disabled, "-disabled")
                self._shown = (layout, enabled)
            return
        self._shown = (layout, {action: on for _key, action, _description, on in shown})
        super().bindings_changed(screen)
