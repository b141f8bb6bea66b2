"""Run the planner's CLI in this process with one of SQLite's limits tightened, to reach states a
test cannot reach with a real disk in seconds.

    python cli_with.py KNOB VALUE -- ARGS...

KNOB is
  busy-timeout SECONDS  the store waits at most this long for another program's lock
                        (the real default is seconds; the behaviour after it is what is tested)
  disk-pages EXTRA      every connection the planner opens may grow its database by at most
                        EXTRA pages (PRAGMA max_page_count): a disk that fills up mid-action
"""

from __future__ import annotations

import sqlite3
import sys

knob, value = sys.argv[1], sys.argv[2]
args = sys.argv[sys.argv.index("--") + 1 :]

if knob == "busy-timeout":
    import planner.store.connection as connection

    seconds = float(value)
    connection.BUSY_TIMEOUT = seconds
    for function in (connection.Database.open.__func__, connection.Database.__init__):
        if function.__kwdefaults__ and "timeout" in function.__kwdefaults__:
            function.__kwdefaults__["timeout"] = seconds
elif knob == "disk-pages":
    extra = int(value)
    _connect = sqlite3.connect

    def _small_disk(*a, **kw):
        con = _connect(*a, **kw)
        try:
            pages = con.execute("PRAGMA page_count").fetchone()[0]
            con.execute(f"PRAGMA max_page_count = {pages + extra}")
        except sqlite3.DatabaseError:
            pass  # not a database: the planner's own checks will say so
        return con

    sqlite3.connect = _small_disk
else:
    raise SystemExit(f"unknown knob {knob}")

from planner.__main__ import main  # noqa: E402  (after the knob is in place)

sys.exit(main(args))
