"""Run `planner import CSV` in this process and stall it half-way through its transaction.

    python import_stall.py DB CSV STALL_AT

Every SQLite connection the planner opens gets a trace callback. When the STALL_AT-th INSERT
starts, the driver prints `stalled <in_transaction>` and sleeps, so the test can SIGKILL it
while the import's transaction is open and rows have already been written to the WAL/page cache.
If the import finishes without stalling, the CLI's exit code is printed as `finished <code>`.
"""

from __future__ import annotations

import sqlite3
import sys
import time

_connect = sqlite3.connect


def _stalling_connect(*args, **kwargs):
    con = _connect(*args, **kwargs)
    inserts = 0
    stall_at = int(sys.argv[3])

    def trace(statement: str) -> None:
        nonlocal inserts
        if statement.lstrip().upper().startswith("INSERT"):
            inserts += 1
            if inserts == stall_at:
                print(f"stalled {con.in_transaction}", flush=True)
                time.sleep(120)  # the test kills us long before this ends

    con.set_trace_callback(trace)
    return con


sqlite3.connect = _stalling_connect  # before the store is imported, so it picks this up

if __name__ == "__main__":
    from planner.__main__ import main

    try:
        code = main(["--db", sys.argv[1], "import", sys.argv[2]])
    except SystemExit as exit_:
        code = exit_.code
    print(f"finished {code}", flush=True)
