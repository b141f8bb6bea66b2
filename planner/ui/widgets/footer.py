"""The footer of every planner screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes all its keys whenever the bindings *might* have changed (every focus
move, every refresh_bindings). On the Funnel screen that is every h/l and every j/k: ~0.1 s of
mounting two dozen widgets per keystroke. This one compares what it would show first: the same
keys → nothing to do; the same keys with another one greyed or enabled → that key restyled in place.

A screen can also compose the keys from its mount (`compose_now`), so they are in its first frame:
left to Textual, they came after that frame's refresh, with a layout pass and a frame of their own
(twice at start-up, as the Funnel's deal keys appear once a deal is highlighted).
"""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class PlannerFooter(Footer):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._shown: tuple | None = None  # (keys, enabled by action) as composed, once composed

    def compose(self):
        for widget in super().compose():
            if isinstance(widget, FooterKey) and self.compact:
                # What FooterKey's own watcher does once mounted, done before its styles are first
                # applied: each key was styled twice, the second time alone (~2 ms a key, 14 keys).
                widget.add_class("-compact", update=False)
            yield widget

    @property
    def composed(self) -> bool:
        """Whether the keys have been composed yet."""
        return self._shown is not None

    def _shown_bindings(self) -> list[tuple[str, str, str, bool]]:
        return [
            (key, binding.action, binding.description, enabled)
            for key, (_node, binding, enabled, _tooltip) in self.screen.active_bindings.items()
            if binding.show or key == self.app.COMMAND_PALETTE_BINDING
        ]

    async def compose_now(self) -> None:
        """Compose the keys at once, from the screen's bindings as they are (call it from the
        screen's mount, after the screen has shown its data: the keys of a highlighted deal are
        there from the first frame)."""
        with self._context():  # as if run by the footer's own loop (its keys bind to it)
            await self._show_keys()

    async def _show_keys(self) -> None:
        """Recompose when the keys differ from those composed; restyle when only their enabled
        state does; else nothing."""
        self._bindings_ready = True
        shown = self._shown_bindings()
        keys = tuple(entry[:3] for entry in shown)
        enabled = {action: on for _key, action, _description, on in shown}
        if self._shown is not None and keys == self._shown[0]:
            self._restyle(keys, enabled)
            return
        self._shown = (keys, enabled)
        await self.recompose()

    def _restyle(self, keys: tuple, enabled: dict[str, bool]) -> None:
        """The same keys, some greyed or enabled since: those restyled in place."""
        if enabled != self._shown[1]:
            for footer_key in self.query(FooterKey):
                disabled = not enabled.get(footer_key.action, True)
                footer_key._disabled = disabled
                footer_key.set_class(disabled, "-disabled")
            self._shown = (keys, enabled)

    def bindings_changed(self, screen) -> None:
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return super().bindings_changed(screen)
        shown = self._shown_bindings()
        keys = tuple(entry[:3] for entry in shown)
        if self._shown is not None and keys == self._shown[0]:
            # The same keys: restyle now, in the frame of whatever changed them.
            self._restyle(keys, {action: on for _key, action, _description, on in shown})
            return
        # Other keys: recompose after the refresh, as Textual does, to what they are by then (a
        # screen's mount may have composed them meanwhile: then nothing is left to do).
        self._bindings_ready = True
        self.call_after_refresh(self._show_keys)
