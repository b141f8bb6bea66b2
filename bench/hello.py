"""The floor: the smallest honest Textual app (Header + Static + Footer) that exits after its
first frame has been painted. Every start-up number in RESULTS.md is a multiple of this one,
measured in the same run on the same machine, so the ratios survive a slower or faster box.

    python bench/hello.py           # exits after its first frame (timed spawn to exit)
    python bench/hello.py --stay    # stays until ctrl+q (timed until its screen is read, bench/screen.py)
"""

import sys

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class HelloApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Hello, world")
        yield Footer()

    def on_ready(self) -> None:
        if "--stay" in sys.argv[1:]:
            return
        # `Ready` is posted once the first layout has been composited and written to the
        # terminal; call_after_refresh lets that frame flush before we leave.
        self.call_after_refresh(self.exit)


if __name__ == "__main__":
    HelloApp().run()
