"""The footer of every planner screen: Textual's Footer, fitted to the terminal's width and rebuilt
only when the keys it shows change.

Fitted: Textual's Footer lays every key out in a row and whatever does not fit is cut at the
right edge, so at 80 columns the Funnel lost `d`, `u`, `?` and `q`. This one keeps the keys of
lowest `footer_rank` in the action table (planner/ui/actions.py: help and quit, undo, then each
screen's most used keys) that fit beside the palette key, in table order; the rest are in `?` and
the palette.

Rebuilt only when needed: Textual's Footer recomposes all its keys whenever the bindings *might*
have changed (every focus move, every refresh_bindings). On the Funnel screen that is every h/l
and every j/k: ~0.1 s of mounting two dozen widgets per keystroke. This one compares what it would
show first: the same keys → nothing to do; the same keys with another one greyed or enabled →
that key restyled in place.

A screen can also compose the keys from its mount (`compose_now`), so they are in its first frame:
left to Textual, they came after that frame's refresh, with a layout pass and a frame of their own
(twice at start-up, as the Funnel's deal keys appear once a deal is highlighted).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from planner.ui.actions import by_id

_RANKS: dict[str, int] = {}


def _rank(binding: Binding) -> int:
    if not _RANKS:
        _RANKS.update({action_id: action.footer_rank for action_id, action in by_id().items()})
    return _RANKS.get(binding.id or "", 50)


def key_width(key_display: str, description: str) -> int:
    """Cells a key takes in the compact footer: "a Add" and the gap after it."""
    return cell_len(key_display) + (1 + cell_len(description) if description else 0) + 1


def fitted(keys: list[tuple[int, int]], room: int) -> set[int]:
    """Which of `keys` — (rank, cells) in footer order — to show in `room` cells: by rank, the lowest
    first, each one that still fits (a smaller key may take the place a larger one left)."""
    shown: set[int] = set()
    used = 0
    for index in sorted(range(len(keys)), key=lambda i: (keys[i][0], i)):
        cells = keys[index][1]
        if used + cells <= room:
            shown.add(index)
            used += cells
    return shown


class PlannerFooter(Footer):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._shown: tuple | None = None  # (keys, enabled by action) as composed, once composed

    @property
    def composed(self) -> bool:
        """Whether the keys have been composed yet."""
        return self._shown is not None

    # `active` is the screen's `active_bindings`, read once by the caller: each reading asks the
    # screen's `check_action` about every binding (~50), and the footer is asked about a dozen
    # times in a change (every focus and highlight refreshes the bindings).
    @staticmethod
    def _candidates(active: dict) -> list[tuple[str, Binding, bool, str]]:
        """Every key the footer would show with room for all: one per action, in binding order."""
        seen: set[str] = set()
        out = []
        for key, (_node, binding, enabled, tooltip) in active.items():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                out.append((key, binding, enabled, tooltip))
        return out

    def _palette(self, active: dict):
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        return active.get(self.app.COMMAND_PALETTE_BINDING)

    def _fitted(self, active: dict) -> list[tuple[str, Binding, bool, str]]:
        """The keys that fit the footer's width (the terminal's), the most used first."""
        candidates = self._candidates(active)
        room = self.app.size.width
        palette = self._palette(active)
        if palette is not None:  # docked right: "▏^p Palette" with its border and padding
            binding = palette[1]
            room -= 1 + key_width(self.app.get_key_display(binding), binding.description)
        sizes = [(_rank(binding), key_width(self.app.get_key_display(binding), binding.description))
                 for _key, binding, _enabled, _tooltip in candidates]
        keep = fitted(sizes, room)
        return [entry for index, entry in enumerate(candidates) if index in keep]

    def compose(self):
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        for _key, binding, enabled, tooltip in self._fitted(active):
            key = FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
            if self.compact:
                # What FooterKey's own watcher does once mounted, done before its styles are first
                # applied: each key was styled twice, the second time alone (~2 ms a key, 14 keys).
                key.add_class("-compact", update=False)
            yield key
        palette = self._palette(active)
        if palette is not None:
            _node, binding, enabled, _tooltip = palette
            key = FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )
            if self.compact:
                key.add_class("-compact", update=False)
            yield key

    def _shown_bindings(self) -> list[tuple[str, str, str, bool]]:
        active = self.screen.active_bindings
        shown = [(key, binding.action, binding.description, enabled)
                 for key, binding, enabled, _tooltip in self._fitted(active)]
        palette = self._palette(active)
        if palette is not None:
            shown.append((self.app.COMMAND_PALETTE_BINDING, palette[1].action, palette[1].description, palette[2]))
        return shown

    def on_resize(self) -> None:
        # A wider or narrower terminal may hold more or fewer keys.
        if self._shown is not None and self.is_attached and self.screen.is_current:
            self.bindings_changed(self.screen)

    async def compose_now(self) -> None:
        """Compose the keys at once, from the screen's bindings as they are (call it from the
        screen's mount, after the screen has shown its data: the keys of a highlighted deal are
        there from the first frame)."""
        with self._context():  # as if run by the footer's own loop (its keys bind to it)
            await self._show_keys()

    async def _show_keys(self) -> None:
        """Recompose when the keys differ from those composed; restyle when only their enabled
        state does; else nothing (nor when the screen has gone since this was asked for)."""
        if not self.is_attached:
            return
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
