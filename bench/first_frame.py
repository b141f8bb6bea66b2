"""Start the planner through its real entry point and exit right after the first frame that shows
the funnel with its deals has been written to the terminal.

    python bench/first_frame.py --db DB

Why not only PLANNER_EXIT_AFTER_FIRST_FRAME=1: the bench checks that the frame it times was really
painted (see `first_frame_hook_paints` in run.py), and a hook that exits from the screen's mount
can leave before Textual has written anything (start-up runs inside a batch update that holds
frames back). Here the exit is decided where frames are written, `App._display`, by the same test
Textual uses to write one, and only once the bucket lists hold deals.
"""

import sys

from textual.app import App

_display = App._display


def _display_then_exit(self: App, screen, renderable) -> None:
    _display(self, screen, renderable)
    if renderable is None or getattr(self, "_bench_exiting", False):
        return
    written = self._running and not self._closed and not self.is_headless and self._driver is not None
    if not written or self._batch_count:
        return
    lists = [w for w in screen.query("OptionList") if (w.id or "").startswith("list-")]
    if any(lst.option_count for lst in lists):
        self._bench_exiting = True
        self.exit()


App._display = _display_then_exit  # type: ignore[method-assign]

if __name__ == "__main__":
    from planner.__main__ import main

    sys.exit(main(sys.argv[1:]))
