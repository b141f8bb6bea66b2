"""Run the planner's CLI in this process and stall it inside a chosen SQL statement.

    python stall.py PREFIX N -- ARGS...

Every SQLite connection the planner opens gets a trace callback. When the N-th statement starting
with PREFIX (case-insensitive, e.g. INSERT or ALTER) begins, the driver prints
`stalled <in_transaction>` and sleeps, so the test can SIGKILL it at exactly that point: inside
an import's transaction with rows already written, or half-way through a schema migration.
If the command ends without stalling, `finished <exit code>` is printed.
"""

from __future__ import annotations

import sqlite3
import sys
import time

prefix, stall_at = sys.argv[1].upper(), int(sys.argv[2])
args = sys.argv[sys.argv.index("--") + 1 :]
_connect = sqlite3.connect
_seen = 0


def _stalling_connect(*a, **kw):
    con = _connect(*a, **kw)

    def trace(statement: str) -> None:
        global _seen
        if statement.lstrip().upper().startswith(prefix):
            _seen += 1
            if _seen == stall_at:
                print(f"stalled {con.in_transaction}", flush=True)
                time.sleep(120)  # the test kills us long before this ends

    con.set_trace_callback(trace)
    return con


sqlite3.connect = _stalling_connect  # before the store is imported, so it picks this up

from planner.__main__ import main  # noqa: E402

try:
    code = main(args)
except SystemExit as exit_:
    code = exit_.code
print(f"finished {code}", flush=True)
