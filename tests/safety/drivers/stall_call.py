"""Run the planner's CLI in this process and stall it inside a chosen function call.

    python stall_call.py MODULE.FUNCTION N -- ARGS...

At the N-th call of MODULE.FUNCTION (e.g. `os.replace`, the rename that puts a finished file in
place) the driver prints `stalled` and sleeps, so the test can SIGKILL it at exactly that point.
If the command ends without stalling, `finished <exit code>` is printed.
"""

from __future__ import annotations

import importlib
import sys
import time

target, stall_at = sys.argv[1], int(sys.argv[2])
args = sys.argv[sys.argv.index("--") + 1 :]
module_name, _, function_name = target.rpartition(".")
module = importlib.import_module(module_name)
original = getattr(module, function_name)
calls = 0


def stalling(*a, **kw):
    global calls
    calls += 1
    if calls == stall_at:
        print("stalled", flush=True)
        time.sleep(120)  # the test kills us long before this ends
    return original(*a, **kw)


setattr(module, function_name, stalling)

from planner.__main__ import main  # noqa: E402

try:
    code = main(args)
except SystemExit as exit_:
    code = exit_.code
print(f"finished {code}", flush=True)
