"""Run a Python program and record its own peak resident memory when it exits.

    python bench/hwm.py -m planner --db DB        python bench/hwm.py -c "import sqlite3"

`ru_maxrss` from wait4 cannot be trusted for a child of a large process: Linux carries the
high-water mark across fork and exec, so every child of a 400 MiB bench process "peaks" at 400 MiB.
`VmHWM` in /proc/self/status belongs to the address space, which exec replaces, so read at exit it
is the program's own peak. Written (KiB) to the file named by BENCH_HWM_FILE.
"""

import atexit
import os
import runpy
import sys


def _report() -> None:
    target = os.environ.get("BENCH_HWM_FILE")
    if not target:
        return
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(target, "w", encoding="ascii") as out:
                    out.write(line.split()[1])
                return


def main() -> None:
    atexit.register(_report)
    args = sys.argv[1:]
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    del sys.path[0]  # the program sees the path it would see when run directly
    sys.path.insert(0, os.getcwd())
    main()
