"""The screen shown instead of the funnel when the database cannot be used (SPEC §6).

A corrupt, locked, read-only or newer-schema database gets a plain message and a way out (`q`),
never a traceback; the file is left as it is.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from planner.domain.text import shortened, shown_line


class ProblemScreen(Screen[None]):
    BINDINGS = [Binding("q,escape", "app.quit", "Quit")]

    def __init__(self, message: str, title: str = "The planner cannot open its database") -> None:
        super().__init__()
        self.message = message
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="problem-box"):
            yield Static(Content.styled(self.title_text, "bold $text-error"), id="problem-title")
            # The message may quote a path or SQLite's words: show it as text, never markup.
            yield Static(Content(shortened(shown_line(self.message))), id="problem-message")
            yield Static(
                Content(
                    "Nothing was changed. Fix the cause above (or use another database with "
                    "--db PATH or PLANNER_DB), then start the planner again. Press q to quit."
                ),
                id="problem-hint",
            )
        yield Footer()

    def refresh_data(self) -> None:
        """Nothing to refresh: there is no data to show."""
