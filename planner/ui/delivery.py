"""Files the app makes for the user (the Week screen's calendar, and any export the TUI offers).

In a terminal they are written where the user says, by the core (`Core.write_week_calendar`,
through `planner.files.write_file`: never over the database, a whole file or nothing). Served to a
browser (`planner serve`), the server's disk is not the user's: the file is handed to the browser
as a download instead, by Textual's `App.deliver_binary`, and nothing is written on the server.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from textual.app import App

from planner.errors import BadInput


def in_browser(app: App) -> bool:
    """True when the app is served to a web browser: there is no path to ask for."""
    return bool(app.is_web)


def save_for_user(
    app: App,
    data: bytes,
    *,
    filename: str,
    mime_type: str,
    target: str | Path | None = None,
    write: Callable[[str], Path],
) -> str:
    """Give the user `data`; return where it went, for the notification.

    In a browser: a download named `filename`. In a terminal: `write(target)` writes it there
    (BadInput when there is no target, or the one writer refuses it: a folder, a link, the
    database and its own files)."""
    if in_browser(app):
        app.deliver_binary(io.BytesIO(data), save_filename=filename, mime_type=mime_type)
        return f"sent to your browser as {filename}"
    text = str(target or "").strip()
    if not text:
        raise BadInput(f"type a file path, like ~/{filename}")
    # The one writer refuses a folder, a link, a FIFO, the database and any path the system
    # refuses, in one line each.
    return f"written to {write(text)}"
