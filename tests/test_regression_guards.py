"""Guards for the speed issue that time nothing (bench/ holds the measurements).

A morning check-in must feel instant after years of history. These tests pin the causes of speed
rather than the speed itself: what each entry point imports, how many SQL statements the funnel's
first screen issues (the same for a short and a long history), that keys move the cursor without
touching the database, and that the bucket lists stay virtualized (no widget per deal).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from bench.generate import TODAY, Sizes, generate_database

ROOT = Path(__file__).resolve().parent.parent
SMALL = Sizes(closed=40, open=15, activities=400)
LARGE = Sizes(closed=600, open=150, activities=6000)  # 10× the deals and the history
LONG_HISTORY = Sizes(closed=600, open=15, activities=6000)  # SMALL's open deals, 15× its history

#: Heavy or rare modules that the hot paths must never pay for (docs/architecture.md, STYLE.md).
ORM = {"sqlmodel", "sqlalchemy", "planner.store.tables"}
RARE = {"planner.csvio", "planner.ics", "icalendar", "planner.demo"}
LATER_SCREENS = {"planner.ui.screens.today", "planner.ui.screens.week", "planner.ui.screens.insights",
                 "planner.ui.screens.profile"}


@pytest.fixture(scope="module")
def dbs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("guards")
    paths = {"small": base / "small.db", "large": base / "large.db", "long": base / "long.db"}
    generate_database(paths["small"], SMALL)
    generate_database(paths["large"], LARGE)
    generate_database(paths["long"], LONG_HISTORY)
    return paths


def _env() -> dict[str, str]:
    return {**os.environ, "PLANNER_TODAY": TODAY.isoformat(), "PYTHONPATH": str(ROOT)}


def _modules_after(code: str, **env: str) -> set[str]:
    """Run `code` in a fresh interpreter; return every module it had imported by the end."""
    script = f"{code}\nimport json, sys\nprint('MODULES=' + json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**_env(), **env},
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(line for line in proc.stdout.splitlines() if line.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def _cli(db: Path, *args: str) -> str:
    return (f"from planner.cli import run\n"
            f"code = run(['--db', {str(db)!r}, {', '.join(repr(a) for a in args)}])\n"
            f"assert code == 0, code")


# --- imports ----------------------------------------------------------------------------------

def test_status_json_imports_neither_textual_nor_the_orm(dbs):
    loaded = _modules_after(_cli(dbs["large"], "status", "--json"))
    assert "textual" not in loaded
    assert not ORM & loaded, "`planner status` must read through sqlite3, never the ORM (~0.4 s to import)"
    assert not {m for m in loaded if m.startswith(("planner.ui", "planner.app"))}
    assert not RARE & loaded


def test_csv_import_does_not_use_the_orm(dbs, tmp_path):
    csv = tmp_path / "deals.csv"
    csv.write_text("title,bucket,value\nWebsite revamp,above,1200\nAudit,won,800\n", encoding="utf-8")
    loaded = _modules_after(_cli(dbs["small"], "import", str(csv), "--dry-run"))
    assert "textual" not in loaded
    assert not ORM & loaded, "bulk import through ORM objects is 11× slower than plain inserts"


def test_importing_the_app_does_not_import_the_orm_or_the_other_screens():
    loaded = _modules_after("import planner.app")
    assert not ORM & loaded
    assert not LATER_SCREENS & loaded


def _on_a_terminal(argv: list[str], size: tuple[int, int] = (120, 40), timeout: float = 120) -> tuple[int, str]:
    """Run `argv` with a fresh pseudo-terminal as stdin, stdout and stderr (as bench/harness.py
    does); return its exit code and everything it wrote there."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = {**_env(), "TERM": "xterm-256color", "COLUMNS": str(size[0]), "LINES": str(size[1])}
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True)
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed its side
                    data = b""
                if not data and proc.poll() is not None:
                    break
                out.extend(data)
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
        return proc.wait(timeout=15), out.decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_first_frame_of_the_funnel_needs_neither_the_orm_nor_rare_features(dbs, tmp_path):
    # Through the real entry point (`planner --db DB`, as bench/first_frame.py runs it), up to the
    # first frame that shows the deals; the modules are listed when the process exits.
    listing = tmp_path / "modules.json"
    script = (
        "import atexit, json, runpy, sys\n"
        f"atexit.register(lambda: open({str(listing)!r}, 'w').write(json.dumps(sorted(sys.modules))))\n"
        f"sys.argv = ['first_frame.py', '--db', {str(dbs['large'])!r}]\n"
        f"runpy.run_path({str(ROOT / 'bench' / 'first_frame.py')!r}, run_name='__main__')\n"
    )
    code, painted = _on_a_terminal([sys.executable, "-c", script])  # the app needs one, as a user has
    assert code == 0, painted[-2000:]
    assert "Best Few" in painted, "the funnel was never painted"
    loaded = set(json.loads(listing.read_text()))
    assert not ORM & loaded, "opening an up-to-date database must not import the schema of record"
    assert not RARE & loaded
    assert not LATER_SCREENS & loaded, "screens other than the funnel load when first opened"


# --- SQL on the first screen, and on keys ---------------------------------------------------------

class _CountingCursor(sqlite3.Cursor):
    rows = 0

    def __next__(self):
        row = super().__next__()
        _CountingCursor.rows += 1
        return row

    def fetchone(self):
        row = super().fetchone()
        _CountingCursor.rows += row is not None
        return row

    def fetchall(self):
        rows = super().fetchall()
        _CountingCursor.rows += len(rows)
        return rows

    def fetchmany(self, *args):
        rows = super().fetchmany(*args)
        _CountingCursor.rows += len(rows)
        return rows


class _CountingConnection(sqlite3.Connection):
    """Counts every row the product pulls out of SQLite into Python."""

    def cursor(self, factory=_CountingCursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)


def _in_memory(target) -> bool:
    target = str(target)
    return target in ("", ":memory:") or target.startswith("file::memory:") or "mode=memory" in target


class _Statements:
    """Every SQL statement the product's connections to the database run (sqlite3's trace
    callback), and every row they fetch. In-memory databases are left out: the schema check builds
    its model of the planner's schema in one, once per process (`planner.store.guard.expected`,
    cached), so counting it would charge whichever test opens a database first in that process
    (order-dependent counts), and it reads nothing of the user's data."""

    def __init__(self, monkeypatch) -> None:
        self.log: list[str] = []
        _CountingCursor.rows = 0
        real = sqlite3.connect

        def connect(database, *args, **kwargs):
            if _in_memory(database):
                return real(database, *args, **kwargs)
            kwargs.setdefault("factory", _CountingConnection)
            conn = real(database, *args, **kwargs)
            conn.set_trace_callback(self.log.append)
            return conn

        monkeypatch.setattr(sqlite3, "connect", connect)

    def queries(self) -> list[str]:
        # BEGIN/COMMIT and PRAGMAs are bookkeeping, not reads of deals or history.
        return [s for s in self.log if s.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE", "DELETE"))]


def _bucket_lists(app):
    from textual.widgets import OptionList

    return [w for w in app.screen.query(OptionList) if (w.id or "").startswith("list-")]


async def _until_deals_shown(app, pilot) -> None:
    """Wait (at most ~5 s) until a bucket list of the Funnel shows its deals."""
    for _ in range(500):
        if any(lst.option_count for lst in _bucket_lists(app)):
            break
        await pilot.pause(0.01)


def _first_screen(db: Path, monkeypatch, keys: tuple[str, ...] = ()) -> dict:
    """Open the funnel on `db`; return the statements it took, the widgets it built, and the
    statements that `keys` took afterwards."""
    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())
    statements = _Statements(monkeypatch)
    from planner.app import PlannerApp

    async def run() -> dict:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await _until_deals_shown(app, pilot)
            await pilot.pause()
            lists = _bucket_lists(app)
            seen = {"queries": statements.queries(), "rows": _CountingCursor.rows, "widgets": len(list(app.screen.walk_children())),
                    "lists": lists, "options": sum(lst.option_count for lst in lists),
                    "classes": {type(w).__mro__[i].__name__ for w in app.screen.walk_children() for i in range(2)}}
            before = len(statements.log)
            fullest = max(lists, key=lambda lst: lst.option_count)
            fullest.focus()
            await pilot.pause()
            before = len(statements.log)
            widgets = {id(w) for w in app.screen.walk_children()}
            highlighted = fullest.highlighted
            await pilot.press(*keys)
            seen["moved"] = fullest.highlighted != highlighted
            # The app's once-a-second check for other instances' writes (PRAGMA data_version,
            # no read of data) may tick meanwhile; it is not the keys' doing.
            seen["key_statements"] = [s for s in statements.log[before:] if s != "PRAGMA data_version"]
            seen["widgets_replaced"] = len(widgets ^ {id(w) for w in app.screen.walk_children()})
            return seen

    return asyncio.run(run())


def test_first_screen_issues_the_same_few_queries_whatever_the_history(dbs, monkeypatch):
    small = _first_screen(dbs["small"], monkeypatch)
    large = _first_screen(dbs["large"], monkeypatch)
    assert small["options"] == SMALL.open and large["options"] == LARGE.open, "every open deal is listed"
    assert len(large["queries"]) == len(small["queries"]), (
        "the query count grows with the number of deals (a per-row query?):\n" + "\n".join(large["queries"]))
    assert len(small["queries"]) <= 40, "\n".join(small["queries"])


def test_moving_the_cursor_touches_neither_the_database_nor_the_widget_tree(dbs, monkeypatch):
    seen = _first_screen(dbs["large"], monkeypatch, keys=("down", "down", "down", "up"))
    assert seen["moved"]
    assert seen["key_statements"] == [], "cursor keys must not query (no reload per keystroke)"
    # e.g. a footer recomposed on every highlight: about 0.4 s a key on the big database when measured
    assert seen["widgets_replaced"] == 0, "cursor keys must not mount or remove widgets"


def test_bucket_lists_are_virtualized(dbs, monkeypatch):
    small = _first_screen(dbs["small"], monkeypatch)
    large = _first_screen(dbs["large"], monkeypatch)
    assert len(large["lists"]) == 3
    assert "ListView" not in large["classes"] and "ListItem" not in large["classes"]
    # ten times the deals, the same widgets: a deal is a row of an OptionList, never a widget
    assert large["widgets"] == small["widgets"]


def test_first_screen_reads_no_more_rows_for_a_longer_history(dbs, monkeypatch):
    short = _first_screen(dbs["small"], monkeypatch)
    long = _first_screen(dbs["long"], monkeypatch)
    assert short["options"] == long["options"] == SMALL.open
    # The same open deals; fifteen times the closed deals, moves and activities behind them. A few
    # rows more are fine (a summary row per bucket); a row per past deal or move is not.
    assert long["rows"] <= short["rows"] + 20, f"{short['rows']} rows with a short history, {long['rows']} with a long one"


def _transactions_per_change(db: Path, monkeypatch) -> dict[str, int]:
    """Open the funnel on `db` and make three changes as a user does: `>` on the first deal Above
    the Funnel, `u`, then `t`, 30, enter (time logged on that deal). For each, the transactions
    (BEGIN) the product's connections ran from the first key until the screen had settled."""
    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())
    statements = _Statements(monkeypatch)
    from planner.app import PlannerApp

    async def run() -> dict[str, int]:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(120, 40)) as pilot:
            await _until_deals_shown(app, pilot)
            funnel = app.screen
            above, into = funnel.query_one("#list-above"), funnel.query_one("#list-in")
            above.focus()
            await pilot.pause()
            counts: dict[str, int] = {}

            async def change(name: str, *keys: str) -> None:
                before = len(statements.log)
                await pilot.press(*keys)
                for _ in range(3):  # the refreshes the change set off
                    await pilot.pause()
                counts[name] = sum(1 for s in statements.log[before:] if s.split(None, 1)[0].upper() == "BEGIN")

            shown = above.option_count, into.option_count
            await change("move", "greater_than_sign")
            assert (above.option_count, into.option_count) == (shown[0] - 1, shown[1] + 1), "> moved no deal on"
            await change("undo", "u")
            assert (above.option_count, into.option_count) == shown, "u did not take the move back"
            above.focus()
            await pilot.pause()
            await change("log", "t", "3", "0", "enter")
            assert app.screen is funnel and app.last_change.startswith("Logged 30 min"), app.last_change
            return counts

    return asyncio.run(run())


def test_a_move_an_undo_and_a_log_on_the_funnel_take_at_most_two_transactions_each(dbs, monkeypatch, tmp_path):
    # The checked write and one read of what changed; a third would be the screen, the top bar or
    # the footer reading the database again.
    db = tmp_path / "large.db"
    db.write_bytes(dbs["large"].read_bytes())
    counts = _transactions_per_change(db, monkeypatch)
    assert counts["move"] <= 2 and counts["undo"] <= 2 and counts["log"] <= 2, counts


def test_a_move_and_its_undo_lay_the_funnel_out_no_more_once_the_top_bar_has_its_row(dbs, monkeypatch, tmp_path):
    """Moving a deal on and taking it back repaints what changed without a layout pass of the
    screen: a pass measures every widget again and repaints the bucket lists whole (~40 ms a
    change on the 1,000-deal database, twice a change when the top bar grew and shrank a row with
    each move and undo). The terminal is as wide as makes the move's line fit beside the screen
    names and its undo's not; the first move and undo may give the bar its row, the next may not
    lay anything out."""
    db = tmp_path / "large.db"
    db.write_bytes(dbs["large"].read_bytes())
    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())
    from textual.screen import Screen

    from planner.app import PlannerApp

    passes: list[int] = []
    real = Screen._refresh_layout

    def counted(self, *args, **kwargs):
        passes.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)

    async def run() -> list[int]:
        app = PlannerApp(db=str(db))
        async with app.run_test(size=(160, 50)) as pilot:
            await _until_deals_shown(app, pilot)
            bar = app.screen.query_one(".screen-bar")
            above = app.screen.query_one("#list-above")
            above.focus()
            await pilot.pause()
            await pilot.press("greater_than_sign")
            await pilot.pause()
            moved = app.last_change
            names = bar.render().head.cell_length
            # the move's line ends 2 cells short of the bar's right edge; "Undone: " does not fit
            await pilot.resize_terminal(names + 3 + 2 + cell_len(moved) + 2 + 2, 50)
            await pilot.press("u")
            await pilot.pause()
            assert bar.size.height == 2, "the undo's line should take a row of its own"
            counts = []
            for key in ("greater_than_sign", "u", "greater_than_sign", "u"):
                above.focus()
                await pilot.pause()
                before = len(passes)
                await pilot.press(key)
                for _ in range(3):  # the refreshes the change set off
                    await pilot.pause()
                counts.append(len(passes) - before)
            assert app.last_change.startswith("Undone: Moved"), app.last_change
            return counts

    counts = asyncio.run(run())
    assert counts == [0, 0, 0, 0], f"layout passes of the Funnel per change (move, undo, move, undo): {counts}"
