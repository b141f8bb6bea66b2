"""Where the time goes: `.venv/bin/python -m bench.profile [--deals 10000]` writes bench/PROFILE.md.

- the imports the planner's first frame pays beyond the hello-world floor (`python -X importtime`);
- cProfile of the TUI up to its first frame, of `planner status --json`, and of one `>` move
  (planner code and the Textual phases that dominate);
- every SQL statement the first screen runs (sqlite3's trace callback), each re-run and timed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import BENCH, ENV, PY, ROOT, database

FIRST_FRAME = "from planner.app import PlannerApp\nPlannerApp(db={db!r}).run(headless=True, size=(160, 50))"


def importtime(code: str, env: dict[str, str]) -> dict[str, tuple[int, int]]:
    """module → (self µs, cumulative µs), as `python -X importtime` reports them."""
    proc = subprocess.run([PY, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=ROOT)
    out = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            out[m.group(4)] = (int(m.group(1)), int(m.group(2)))
    return out


def top_stats(profile: cProfile.Profile, limit: int, pattern: str = "") -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    stats.sort_stats("cumulative").print_stats(pattern, limit) if pattern else stats.sort_stats("cumulative").print_stats(limit)
    text = stream.getvalue()
    lines = [line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/lib/python3.11/site-packages/", "")
             for line in text.splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "\n".join([lines[0]] + lines[start:])


def profile_first_frame(db: str) -> str:
    os.environ.update(ENV)
    os.environ["PLANNER_EXIT_AFTER_FIRST_FRAME"] = "1"
    from planner.app import PlannerApp

    app = PlannerApp(db=db)
    profile = cProfile.Profile()
    profile.enable()
    app.run(headless=True, size=(160, 50))
    profile.disable()
    os.environ.pop("PLANNER_EXIT_AFTER_FIRST_FRAME")
    return top_stats(profile, 45)


def profile_status(db: str) -> str:
    os.environ.update(ENV)
    from planner.cli import run

    profile = cProfile.Profile()
    profile.enable()
    with contextlib.redirect_stdout(io.StringIO()):
        run(["--db", db, "status", "--json"])
    profile.disable()
    return top_stats(profile, 30)


def profile_move(db: str) -> tuple[str, float]:
    from bench.keyrun import _bucket_lists
    from bench.keys import FrameClock, press_and_time, wait_until
    from planner.app import PlannerApp

    async def run() -> tuple[str, float]:
        app = PlannerApp(db=db)
        async with app.run_test(size=(160, 50)):
            clock = FrameClock(app)
            await wait_until(lambda: any(lst.option_count for lst in _bucket_lists(app)))
            await clock.settle()
            above = app.screen.query_one("#list-above")
            above.focus()
            above.highlighted = 0
            await clock.settle()
            plain = await press_and_time(clock, "greater_than_sign", settled=True)
            await press_and_time(clock, "u", settled=True)
            above.focus()
            above.highlighted = 0
            await clock.settle()
            profile = cProfile.Profile()
            profile.enable()
            await press_and_time(clock, "greater_than_sign", settled=True)
            profile.disable()
            return top_stats(profile, 40, r"planner/|_footer|recompose|_compositor_refresh|refresh_bindings|notify|stylesheet.py.*apply"), plain

    return asyncio.run(run())


def first_screen_sql(db: str) -> list[tuple[float, str]]:
    statements: list[str] = []
    real = sqlite3.connect

    def connect(*args, **kwargs):
        conn = real(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    sqlite3.connect = connect
    try:
        os.environ["PLANNER_EXIT_AFTER_FIRST_FRAME"] = "1"
        from planner.app import PlannerApp

        PlannerApp(db=db).run(headless=True, size=(160, 50))
    finally:
        sqlite3.connect = real
        os.environ.pop("PLANNER_EXIT_AFTER_FIRST_FRAME", None)
    timed = []
    check = real(db)
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        start = time.perf_counter()
        check.execute(sql).fetchall()
        timed.append(((time.perf_counter() - start) * 1000, " ".join(sql.split())))
    check.close()
    return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("-o", "--output", default=str(BENCH / "PROFILE.md"))
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    source = database(args.deals)
    tmp = Path(tempfile.mkdtemp())
    db = str(tmp / "profile.db")
    shutil.copyfile(source, db)

    hello = importtime("import bench.hello", ENV)
    planner = importtime(FIRST_FRAME.format(db=db), {**ENV, "PLANNER_EXIT_AFTER_FIRST_FRAME": "1"})
    status_imports = importtime(f"from planner.cli import run\nrun(['--db', {db!r}, 'status', '--json'])", ENV)
    extra = {m: t for m, t in planner.items() if m not in hello}
    top_level_extra = sorted(((t[1], m) for m, t in extra.items() if "." not in m or m.startswith("planner")), reverse=True)

    sections = [
        "# Where the time goes",
        "",
        f"`.venv/bin/python -m bench.profile --deals {args.deals}` on the {args.deals:,}-deal database "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}). Profiles slow code down; read the shares, not the totals.",
        "",
        "## Imports of the first frame beyond the hello-world floor",
        "",
        f"hello-world imports {len(hello)} modules, {sum(t[0] for t in hello.values()) / 1000:.0f} ms of import time; "
        f"the planner's first frame {len(planner)} modules, {sum(t[0] for t in planner.values()) / 1000:.0f} ms. "
        f"The {len(extra)} extra modules cost {sum(t[0] for t in extra.values()) / 1000:.0f} ms (self time). "
        "Heaviest of them (cumulative, µs):",
        "",
        "```",
        *(f"{us:>9}  {m}" for us, m in top_level_extra[:25]),
        "```",
        "",
        f"`planner status --json` imports {len(status_imports)} modules, "
        f"{sum(t[0] for t in status_imports.values()) / 1000:.0f} ms of import time; heaviest (cumulative, µs):",
        "",
        "```",
        *(f"{t[1]:>9}  {m}" for m, t in sorted(status_imports.items(), key=lambda kv: -kv[1][1])[:20]),
        "```",
        "",
        "## SQL of the first screen (each statement re-run and timed on its own)",
        "",
        "| ms | statement |",
        "|---|---|",
    ]
    sql = first_screen_sql(db)
    sections += [f"| {ms:.1f} | `{text[:220]}` |" for ms, text in sql]
    sections += ["", f"{len(sql)} reads, {sum(ms for ms, _ in sql):.1f} ms in all.", ""]
    sections += ["## TUI up to its first frame (cProfile)", "", "```", profile_first_frame(db), "```", ""]
    sections += ["## planner status --json (cProfile, in-process: interpreter start-up not included)", "",
                 "```", profile_status(db), "```", ""]
    move, plain = profile_move(db)
    sections += [f"## One `>` move, key to settled screen ({plain:.0f} ms unprofiled; planner code and Textual's costliest phases)",
                 "", "```", move, "```", ""]
    Path(args.output).write_text("\n".join(sections), encoding="utf-8")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
