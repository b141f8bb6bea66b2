"""A TUI stopped by a signal leaves the terminal as it found it (SPEC §6 robustness).

Python's default for SIGTERM, SIGHUP and SIGQUIT ends the process at once: Textual never leaves the
alternate screen nor restores the terminal's modes, and the user's shell is left unusable. While
`exit_on_signals(app)` is active, those signals make the app exit the normal way instead (its
driver restores the terminal, the database is closed); exit code 128 + the signal's number.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The signals a terminal program is commonly stopped by: `kill`, a closed terminal window, `kill -QUIT`
#: (its default, a core dump, would leave the terminal in the alternate screen; Ctrl+\ sends no
#: signal in the TUI's raw mode).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name))


@contextmanager
def exit_on_signals(app: Any) -> Iterator[None]:
    """While active, SIGTERM / SIGHUP make `app` (a running Textual App) exit cleanly."""
    import asyncio

    def stop(signum: int, _frame: object) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or not app.is_running:
            raise SystemExit(128 + signum)  # not running yet (or any more): nothing to restore
        # Signal handlers run between bytecodes of the event loop's thread: hand the exit to the
        # loop, which wakes up for it even while waiting for a key.
        loop.call_soon_threadsafe(lambda: app.exit(return_code=128 + signum))

    previous = {}
    for sig in STOP_SIGNALS:
        try:
            previous[sig] = signal.signal(sig, stop)
        except (ValueError, OSError):  # not the main thread, or a platform without it
            pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
