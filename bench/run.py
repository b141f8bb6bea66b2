"""The one command: measure every row of the speed issue and write bench/RESULTS.md.

    .venv/bin/python -m bench            # full: 100 / 1,000 / 10,000 / 100,000 deals, 7 runs
    .venv/bin/python -m bench --quick    # 100 and 10,000 deals, 3 runs, a 20,000-row CSV

Databases and the CSV are generated once into bench/.data/ and regenerated when the generator,
the schema or the store changes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import generate
from bench.harness import Command, Stats, measure, run_once
from bench.results import Report, Verdict, write

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
PY = sys.executable
TODAY = generate.TODAY.isoformat()
BIG = 10_000  # the big database: 500 open + 10,000 closed deals + 100,000 activities
ENV = {"PLANNER_TODAY": TODAY, "PYTHONDONTWRITEBYTECODE": "0", "TEXTUAL_ANIMATIONS": "full"}


def log(message: str) -> None:
    print(message, flush=True)


def _stamp() -> str:
    """What the generated data depends on: the generator and the store's schema and code."""
    digest = hashlib.sha256()
    for rel in ("bench/generate.py", "planner/store/tables.py", "planner/store/migrations.py",
                "planner/store/repository.py", "planner/csvio.py"):
        path = ROOT / rel
        digest.update(rel.encode() + (path.read_bytes() if path.exists() else b"-"))
    return digest.hexdigest()[:16]


def database(deals: int) -> Path:
    path = DATA / f"deals-{deals}.db"
    stamp = DATA / f"deals-{deals}.stamp"
    if not (path.exists() and stamp.exists() and stamp.read_text() == _stamp()):
        start = time.perf_counter()
        counts = generate.generate_database(path, generate.Sizes.for_deals(deals))
        stamp.write_text(_stamp())
        log(f"generated {path.name}: {counts} in {time.perf_counter() - start:.1f} s")
    return path


def csv_file(rows: int) -> Path:
    path = DATA / f"import-{rows}.csv"
    if not path.exists():
        generate.generate_csv(path, rows)
        log(f"generated {path.name}")
    return path


def empty_database() -> Path:
    """A database with the product's schema and no deals, made by the product itself."""
    path = DATA / "empty.db"
    stamp = DATA / "empty.stamp"
    if not (path.exists() and stamp.exists() and stamp.read_text() == _stamp()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        from planner.store import open_repository

        open_repository(str(path)).close()
        stamp.write_text(_stamp())
    return path


def _copy_db(src: Path, dst: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dst)


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


# --- the rows ---------------------------------------------------------------------------------

def startup(report: Report, sizes: list[int], runs: int, full: bool) -> dict[int, Stats]:
    log("start-up: time until the funnel with its deals is painted, whole process")
    first_frame = {"PLANNER_EXIT_AFTER_FIRST_FRAME": "1", **ENV}
    commands = [Command("hello", [PY, str(BENCH / "hello.py")], ENV)]
    for n in sizes:
        commands.append(Command(f"planner-{n}", [PY, "-m", "planner", "--db", str(database(n))], first_frame))
    commands.append(Command("hello-tty", [PY, str(BENCH / "hello.py")], ENV, tty=True))
    commands.append(Command(f"planner-{BIG}-tty", [PY, "-m", "planner", "--db", str(database(BIG))], first_frame, tty=True))
    if full:
        commands.append(Command("naive-sqlmodel-datatable", [PY, "-m", "bench.reference_apps", str(database(BIG))], ENV))
    results = measure(commands, runs, log=log)
    hello, hello_rss = results["hello"]
    report.detail("Start-up (whole process, until the first frame is painted)", "hello-world Textual app (the floor)", "s", hello)
    out = {}
    for n in sizes:
        seconds, _ = results[f"planner-{n}"]
        out[n] = seconds
        report.detail("Start-up (whole process, until the first frame is painted)",
                      f"planner, {n:,}-deal database", "s", seconds, f"{ratio(seconds.median, hello.median):.2f}× the floor")
    tty_hello, _ = results["hello-tty"]
    tty_planner, tty_rss = results[f"planner-{BIG}-tty"]
    report.detail("Start-up (whole process, until the first frame is painted)", "hello-world, on a pseudo-terminal", "s", tty_hello)
    report.detail("Start-up (whole process, until the first frame is painted)", f"planner, {BIG:,} deals, on a pseudo-terminal",
                  "s", tty_planner, f"{ratio(tty_planner.median, tty_hello.median):.2f}× the floor")
    if full:
        naive, naive_rss = results["naive-sqlmodel-datatable"]
        report.detail("Start-up (whole process, until the first frame is painted)",
                      "naive SQLModel + DataTable app, all deals of the big database", "s", naive,
                      f"{ratio(naive.median, hello.median):.2f}× the floor")
        report.detail("Peak memory (RSS of the whole process)", "naive SQLModel + DataTable app, big database", "MiB", naive_rss)
    big = results[f"planner-{BIG}"][0]
    r = ratio(big.median, hello.median)
    r_tty = ratio(tty_planner.median, tty_hello.median)
    report.verdicts.append(Verdict(
        "time until the funnel with real deals is on screen, vs a hello-world Textual app",
        f"{big.median:.3f} s = **{r:.2f}×** the floor ({r_tty:.2f}× on a pseudo-terminal)",
        f"hello {hello.median:.3f} s (min {hello.min:.3f}, max {hello.max:.3f})",
        f"≤ 2.0× on the {BIG:,}-deal database", r <= 2.0 and r_tty <= 2.0))
    # memory, from the same runs
    report.detail("Peak memory (RSS of the whole process)", "hello-world Textual app", "MiB", hello_rss)
    for n in sizes:
        report.detail("Peak memory (RSS of the whole process)", f"planner TUI at its first frame, {n:,} deals", "MiB",
                      results[f"planner-{n}"][1])
    rss = results[f"planner-{BIG}"][1]
    report.verdicts.append(Verdict(
        "peak memory of the TUI on the big database (at its first frame)",
        f"**{rss.median:.1f} MiB** (max {rss.max:.1f})", f"hello-world {hello_rss.median:.1f} MiB",
        "≤ 120 MiB", rss.max <= 120))
    return out


def keys(report: Report, sizes: list[int], presses: int, mutations: int) -> None:
    log("key-to-frame latency (in-process, headless; see README)")
    group = "Key to frame (in-process, headless, frame rendered to terminal bytes)"

    def session(args: list[str]) -> dict:
        proc = subprocess.run([PY, "-m", "bench.keyrun", *args], capture_output=True, text=True,
                              env={**os.environ, **ENV}, cwd=ROOT, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"bench.keyrun {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout)

    for rows in (100, 100_000):
        data = session(["optionlist", "--rows", str(rows), "--presses", str(presses)])
        report.detail(group, f"reference: plain OptionList of {rows:,} rows, cursor down/up", "ms", Stats(data["cursor"]))
    cursor: dict[int, Stats] = {}
    actions: dict[str, dict[int, Stats]] = {"move": {}, "log": {}, "undo": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            work = Path(tmp) / f"keys-{n}.db"
            _copy_db(database(n), work)
            log(f"  {n:,} deals")
            data = session(["planner", "--db", str(work), "--presses", str(presses), "--mutations", str(mutations)])
            cursor[n] = report.detail(group, f"cursor in a bucket ({data['rows']} deals in {data['list']}), {n:,}-deal db",
                                      "ms", Stats(data["cursor"]))
            for name, label in (("move", "move a deal on (>)"), ("log", "log time (enter in the dialog)"),
                                ("undo", "undo (u) a move or a log")):
                actions[name][n] = report.detail(group, f"{label}, {n:,}-deal db (until the screen settles)", "ms",
                                                 Stats(data[name]))
            report.detail("Peak memory (RSS of the whole process)",
                          f"planner after {presses} cursor keys and {mutations}× move/undo/log/undo, {n:,} deals",
                          "MiB", Stats([data["peak_rss_mib"]]))
    small, big = min(sizes), BIG
    c = cursor[big]
    scale = ratio(c.median, cursor[small].median)
    report.verdicts.append(Verdict(
        "key-to-frame latency moving the cursor in a bucket",
        f"{BIG:,} deals: median **{c.median:.1f} ms**, p95 **{c.p95:.1f} ms**; {small:,} deals: median "
        f"{cursor[small].median:.1f} ms → **{scale:.2f}×**",
        "plain OptionList: see details", "median ≤ 20 ms, p95 ≤ 40 ms, big db within 1.3× of the small one",
        c.median <= 20 and c.p95 <= 40 and scale <= 1.3))
    for name, what in (("move", "moving a deal between buckets"), ("log", "logging time"), ("undo", "undo")):
        worst = max(actions[name].values(), key=lambda s: s.median)
        per_size = ", ".join(f"{n:,}: {s.median:.1f} ms" for n, s in sorted(actions[name].items()))
        report.verdicts.append(Verdict(
            f"{what} (key to updated screen)", f"medians {per_size}", "—", "median ≤ 50 ms at every size",
            worst.median <= 50))


def status(report: Report, runs: int) -> None:
    log("planner status --json vs python -c 'import sqlite3'")
    db = database(BIG)
    commands = [
        Command("import sqlite3", [PY, "-c", "import sqlite3"], ENV),
        Command("import sqlite3, pendulum", [PY, "-c", "import sqlite3, pendulum"], ENV),
        Command("status", [PY, "-m", "planner", "--db", str(db), "status", "--json"], ENV),
    ]
    results = measure(commands, max(runs, 5) * 2, log=lambda _: None)
    group = "Command line (whole process)"
    floor = report.detail(group, 'python -c "import sqlite3" (the floor)', "s", results["import sqlite3"][0])
    pend = report.detail(group, 'python -c "import sqlite3, pendulum"', "s", results["import sqlite3, pendulum"][0],
                         f"{ratio(results['import sqlite3, pendulum'][0].median, floor.median):.1f}× the floor")
    st = report.detail(group, f"planner status --json, {BIG:,}-deal database", "s", results["status"][0],
                       f"{ratio(results['status'][0].median, floor.median):.1f}× the floor")
    r = ratio(st.median, floor.median)
    report.verdicts.append(Verdict(
        'planner status --json vs python -c "import sqlite3"',
        f"{st.median * 1000:.0f} ms = **{r:.1f}×**",
        f"floor {floor.median * 1000:.0f} ms; with pendulum {ratio(pend.median, floor.median):.1f}×",
        f"≤ 8× on the {BIG:,}-deal database", r <= 8))


def csv_import(report: Report, rows: int, runs: int) -> None:
    log(f"planner import of a {rows:,}-row CSV vs plain sqlite3 executemany")
    source = csv_file(rows)
    empty = empty_database()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "product.db", Path(tmp) / "plain.db"
        commands = [
            Command("plain", [PY, "-m", "bench.plain_import", str(source), str(b)], ENV,
                    before=lambda: _copy_db(empty, b)),
            Command("planner import", [PY, "-m", "planner", "--db", str(a), "import", str(source)], ENV,
                    before=lambda: _copy_db(empty, a)),
        ]
        results = measure(commands, max(3, runs // 2), log=log)
        group = "Command line (whole process)"
        plain = report.detail(group, f"plain sqlite3 executemany of the {rows:,} rows (the floor)", "s", results["plain"][0])
        product = report.detail(group, f"planner import of a {rows:,}-row CSV", "s", results["planner import"][0],
                                f"{ratio(results['planner import'][0].median, plain.median):.2f}× the floor")
        report.detail("Peak memory (RSS of the whole process)", f"planner import of a {rows:,}-row CSV", "MiB",
                      results["planner import"][1])
    r = ratio(product.median, plain.median)
    report.verdicts.append(Verdict(
        f"planner import of a {rows:,}-row CSV vs plain sqlite3 executemany in one transaction",
        f"{product.median:.2f} s = **{r:.2f}×**", f"plain {plain.median:.2f} s", "≤ 3×", r <= 3))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and runs: a fast check (~2 min)")
    parser.add_argument("--runs", type=int, help="runs per start-up command (default 7, quick 3)")
    parser.add_argument("--only", choices=("startup", "keys", "status", "import"), action="append",
                        help="measure only these rows (repeatable); RESULTS.md is then not written")
    parser.add_argument("-o", "--output", default=str(BENCH / "RESULTS.md"))
    args = parser.parse_args(argv)
    full = not args.quick
    sizes = [100, 1_000, 10_000, 100_000] if full else [100, 10_000]
    runs = args.runs or (7 if full else 3)
    presses, mutations = (200, 20) if full else (60, 6)
    csv_rows = 100_000 if full else 20_000
    os.chdir(ROOT)
    DATA.mkdir(exist_ok=True)
    report = Report(mode="full" if full else "quick", runs=runs)
    only = set(args.only or ("startup", "keys", "status", "import"))
    start = time.perf_counter()
    for size in sizes:
        database(size)
    steps = [("startup", lambda: startup(report, sizes, runs, full)),
             ("keys", lambda: keys(report, sizes, presses, mutations)),
             ("status", lambda: status(report, runs)),
             ("import", lambda: csv_import(report, csv_rows, runs))]
    for name, step in steps:
        if name not in only:
            continue
        try:
            step()
        except Exception as error:  # noqa: BLE001 - one broken row must not hide the others
            log(f"!! {name} could not be measured: {error}")
            report.verdicts.append(Verdict(name, f"not measured: {str(error).splitlines()[0][:200]}", "—", "—", None))
    if not args.quick:
        pass
    report.notes.append(
        f"Databases: N closed deals + max(20, N/20) open + 10·N activities over 5 years (bench/generate.py); "
        f"PLANNER_TODAY={TODAY}. The {BIG:,}-deal one is the issue's big database.")
    if csv_rows != 100_000:
        report.notes.append(f"--quick imports a {csv_rows:,}-row CSV; the target is stated for 100,000 rows.")
    log(f"done in {time.perf_counter() - start:.0f} s")
    for v in report.verdicts:
        log(f"  [{'met' if v.ok else 'MISSED' if v.ok is False else '??'}] {v.what}: {v.measured}")
    if args.only:
        return 0
    write(report, Path(args.output), ROOT)
    log(f"wrote {args.output}")
    return 0 if all(v.ok for v in report.verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
