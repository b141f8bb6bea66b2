"""One browser tab's planner: `python -m planner.serve.child SERVER_PID --db PATH`.

`planner serve` starts one of these per tab (through textual-serve, which sets the web driver in
its environment). It is the same TUI as `planner --db PATH`, tied to the server's life: on Linux
the kernel ends it when the server dies, even of SIGKILL, so a crashed server leaves no app
process holding the database.
"""

from __future__ import annotations

import os
import signal
import sys


def _end_with(server_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
    if os.getppid() != server_pid:  # the server was gone before the line above took effect
        sys.exit(0)


def main(argv: list[str]) -> int:
    if not argv or not argv[0].isdigit():
        print("usage: python -m planner.serve.child SERVER_PID --db PATH (started by 'planner serve')", file=sys.stderr)
        return 2
    _end_with(int(argv[0]))
    from planner.cli import run

    return run(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
