"""One key-latency session in a fresh process; prints JSON (milliseconds per sample).

    python -m bench.keyrun planner --db PATH [--presses 200] [--mutations 20]
    python -m bench.keyrun optionlist --rows 100000 [--presses 200]

The planner session opens the funnel on PATH (a copy: it is changed and changed back), focuses
the fullest bucket and moves the cursor down and up in runs; then it repeatedly moves the
highlighted Above-the-Funnel deal on with `>`, undoes with `u`, logs 30 minutes with `t`, types
30, and times `enter`, and undoes that too. Every sample checks that the key did what it should,
and counts the transactions (BEGIN on the planner's connection) each change took until the
screen settled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys

from textual.widgets import OptionList

from bench.keys import FrameClock, held_key, press_and_time, wait_until


async def _cursor(clock: FrameClock, lst: OptionList, presses: int) -> list[float]:
    run = max(1, min(10, lst.option_count - 1))
    lst.focus()
    lst.highlighted = 0
    await clock.settle()
    samples = []
    for i in range(presses):
        key = "down" if (i // run) % 2 == 0 else "up"
        before = lst.highlighted
        samples.append(await press_and_time(clock, key))
        expected = before + (1 if key == "down" else -1)
        if lst.highlighted != expected:
            raise RuntimeError(f"{key} moved the highlight from {before} to {lst.highlighted}, not {expected}")
    return samples


async def _held(clock: FrameClock, lst: OptionList, presses: int) -> list[float]:
    """Cursor keys held down (about 30 repeats a second), in runs down then up."""
    run = max(1, min(15, lst.option_count - 1))
    lst.focus()
    lst.highlighted = 0
    await clock.settle()
    samples: list[float] = []
    while len(samples) < presses:
        for key in ("down", "up"):
            samples += await held_key(clock, key, run, lambda: lst.highlighted)
    return samples[:presses]


async def optionlist_session(rows: int, presses: int) -> dict:
    from bench.reference_apps import OptionListApp

    app = OptionListApp(rows)
    async with app.run_test(size=(160, 50)):
        clock = FrameClock(app)
        lst = app.query_one(OptionList)
        await wait_until(lambda: lst.option_count == rows)
        return {"cursor": await _cursor(clock, lst, presses), "held": await _held(clock, lst, presses)}


def _bucket_lists(app) -> list[OptionList]:
    return [w for w in app.screen.query(OptionList) if w.id and w.id.startswith("list-")]


async def planner_session(db: str, presses: int, mutations: int) -> dict:
    from planner.app import PlannerApp

    app = PlannerApp(db=db)
    async with app.run_test(size=(160, 50)):
        clock = FrameClock(app)
        await wait_until(lambda: getattr(app, "problem", None) or any(lst.option_count for lst in _bucket_lists(app)),
                         timeout=120)
        if getattr(app, "problem", None):
            raise RuntimeError(f"the planner shows a problem instead of the funnel: {app.problem}")
        await clock.settle()
        funnel = app.screen
        lists = {lst.id: lst for lst in _bucket_lists(app)}
        fullest = max(lists.values(), key=lambda lst: lst.option_count)
        result: dict = {"rows": fullest.option_count, "list": fullest.id,
                        "cursor": await _cursor(clock, fullest, presses),
                        "held": await _held(clock, fullest, presses),
                        "move": [], "undo": [], "log": []}

        above, into = lists["list-above"], lists["list-in"]
        # Every statement on the planner's connection: each change counts its transactions (BEGIN).
        statements: list[str] = []
        app.core._repo._db.conn.set_trace_callback(statements.append)
        result["transactions"] = {"move": [], "undo": [], "log": []}

        def transactions(since: int) -> int:
            return sum(1 for s in statements[since:] if s.split(None, 1)[0].upper() == "BEGIN")

        async def counted(name: str, key: str, since: int | None = None) -> float:
            before = len(statements) if since is None else since
            elapsed = await press_and_time(clock, key, settled=True)
            result["transactions"][name].append(transactions(before))
            return elapsed

        def count_activities() -> int:
            # a second connection sees only what was committed: the change really reached the database
            with sqlite3.connect(db) as check:
                return check.execute("SELECT count(*) FROM activity").fetchone()[0]

        async def reset_focus() -> None:
            app.clear_notifications()  # a toast timing out mid-measurement would add a frame
            above.focus()
            above.highlighted = 0
            await clock.settle()

        async def one_round() -> None:
            await reset_focus()
            n_above, n_in = above.option_count, into.option_count
            result["move"].append(await counted("move", "greater_than_sign"))
            if (above.option_count, into.option_count) != (n_above - 1, n_in + 1):
                raise RuntimeError(f"> did not move a deal on: above {n_above}→{above.option_count}, in {n_in}→{into.option_count}")
            result["undo"].append(await counted("undo", "u"))
            if (above.option_count, into.option_count) != (n_above, n_in):
                raise RuntimeError(f"u did not put the moved deal back: above {n_above}→{above.option_count}, in {n_in}→{into.option_count}; undo stack {[s.description for s in app.core._undo]}; notes {[n.message for n in app._notifications]}")

            await reset_focus()
            activities = count_activities()
            log_start = len(statements)  # the dialog opened, 30 typed, enter: one log
            await press_and_time(clock, "t", settled=True)
            if app.screen is funnel:
                raise RuntimeError("t did not open the log-time dialog")
            for key in "30":
                await press_and_time(clock, key, settled=True)
            result["log"].append(await counted("log", "enter", since=log_start))
            if app.screen is not funnel or count_activities() != activities + 1:
                raise RuntimeError(f"enter in the log-time dialog did not log the time (screen {app.screen!r})")
            try:
                result["undo"].append(await counted("undo", "u"))
            except TimeoutError as error:
                raise RuntimeError(f"{error}; screen {app.screen!r}, focused {app.focused!r}, undo stack "
                                   f"{[s.description for s in app.core._undo]}, notes {[n.message for n in app._notifications]}, "
                                   f"activities {activities}→{count_activities()}") from None
            if count_activities() != activities:
                raise RuntimeError("u did not remove the logged time")

        result["failures"] = []
        for _ in range(mutations):
            try:
                await one_round()
            except (RuntimeError, TimeoutError) as error:
                # a key that did nothing is a finding, not a reason to lose the other samples
                result["failures"].append(str(error))
                if len(result["failures"]) > 3:
                    raise
                if app.screen is not funnel:
                    app.pop_screen()
                await clock.settle()
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.keyrun")
    parser.add_argument("what", choices=("planner", "optionlist"))
    parser.add_argument("--db")
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--mutations", type=int, default=20)
    args = parser.parse_args(argv)
    if args.what == "planner":
        result = asyncio.run(planner_session(args.db, args.presses, args.mutations))
    else:
        result = asyncio.run(optionlist_session(args.rows, args.presses))
    # VmHWM, not ru_maxrss: the latter carries the (large) bench parent's peak across fork and exec
    with open("/proc/self/status", encoding="ascii") as status:
        result["peak_rss_mib"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
