"""Files the app makes for the user (the Week screen's calendar, and any export the TUI offers).

In a terminal they are written where the user says, through `planner.files.write_file` (never
over the database, a whole file or nothing). Served to a browser (`planner serve`), the server's
disk is not the user's: the file is handed to the browser as a download instead, by Textual's
`App.deliver_binary`, and nothing is written on the server.
"""

from __future__ import annotations

import io
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
    database: Path | None = None,
) -> str:
    """Give the user `data`; return where it went, for the notification.

    In a browser: a download named `filename`. In a terminal: written to `target` (`~` expanded;
    BadInput when there is none, or it is the database or a folder)."""
    if in_browser(app):
        app.deliver_binary(io.BytesIO(data), save_filename=filename, mime_type=mime_type)
        return f"sent to your browser as {filename}"
    text = str(target or "").strip()
    if not text:
        raise BadInput(f"type a file path, like ~/{filename}")
    from planner.files import write_file

    # write_file refuses a folder, a link, a FIFO and any path the system refuses, in one line each.
    return f"written to {write_file(text, data, database=database)}"
