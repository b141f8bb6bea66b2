"""A TUI stopped by a signal gives the terminal back (issue 10 item 7).

The attack (or accident): `kill PID`, or the terminal window closed (SIGHUP), while the planner is
open. Python's default would end the process at once, leaving the terminal in the alternate screen
with the mouse and raw modes on. The planner runs in a real pseudo-terminal here; after the signal
it must write the sequence that leaves the alternate screen, exit by itself, and leave the file whole.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import integrity, make_database, planner_env

ENTER_ALT = b"\x1b[?1049h"
LEAVE_ALT = b"\x1b[?1049l"


def _read_until(master: int, wanted: bytes, seen: bytearray, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:
            return wanted in seen
        if not data:
            return wanted in seen
        seen.extend(data)
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT], ids=["SIGTERM", "SIGHUP", "SIGQUIT"])
def test_a_signal_makes_the_tui_leave_the_alternate_screen_and_exit(home, signum):
    import pty

    db = make_database(home, "Acme: website revamp")
    master, slave = pty.openpty()
    os.set_blocking(master, True)
    env = planner_env(home, TERM="xterm-256color", COLUMNS="100", LINES="30")
    proc = subprocess.Popen(
        [sys.executable, "-m", "planner", "--db", str(db)],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=home, start_new_session=True,
    )
    os.close(slave)
    seen = bytearray()
    try:
        assert _read_until(master, ENTER_ALT, seen, 30), f"the TUI never started: {bytes(seen)[-300:]!r}"
        assert _read_until(master, b"Acme", seen, 30), "the funnel was never drawn"
        proc.send_signal(signum)
        start = len(seen)
        assert _read_until(master, LEAVE_ALT, seen, 15), f"the terminal was not restored: {bytes(seen)[start:][-300:]!r}"
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert code == 128 + signum
    assert integrity(db) == "ok"
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0 or integrity(db) == "ok"
