"""RESULTS.md: the verdict table (each target of the issue, measured against its reference in the
same run) and the detail of every measured quantity (median, min, max, p95, n)."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench.harness import Stats


@dataclass
class Verdict:
    what: str
    measured: str
    reference: str
    target: str
    ok: bool | None  # None: could not be measured (the reason is in `measured`)
    short: str = "—"  # the number for the history table
    column: str = ""  # its column in the history table


@dataclass
class Detail:
    group: str
    name: str
    unit: str  # "ms", "s" or "MiB"
    stats: Stats
    note: str = ""


@dataclass
class Report:
    mode: str
    runs: int
    verdicts: list[Verdict] = field(default_factory=list)
    details: list[Detail] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    commit: str = ""  # the tree measured, read when the run starts (code may land during a run)

    def detail(self, group: str, name: str, unit: str, stats: Stats, note: str = "") -> Stats:
        self.details.append(Detail(group, name, unit, stats, note))
        return stats


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.1f} {unit}"


def _machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import textual

        textual_version = textual.__version__
    except Exception:  # noqa: BLE001 - only informative
        textual_version = "?"
    return f"{os.cpu_count()} cores, {cpu or platform.machine()}; Python {platform.python_version()}; Textual {textual_version}"


def _commit(root: Path) -> str:
    label = os.environ.get("BENCH_LABEL")
    if label:  # e.g. an older tree exported with git archive, which has no .git
        return label
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "planner"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"
    return head + (" (planner/ has uncommitted changes)" if dirty else "")


HISTORY = "## History (one line per run, newest last)"
#: The history table's columns, fixed so lines of different runs line up.
COLUMNS = ["start-up ×floor", "TUI MiB", "cursor med/p95, ×small", "held key med/p95, ×small", "move worst median",
           "log worst median", "undo worst median", "status ×floor", "import ×plain"]


def _history_line(report: Report, now: str, root: Path, columns: list[str]) -> str:
    by_column = {v.column: v for v in report.verdicts if v.column}
    cells = []
    for column in columns:
        v = by_column.get(column)
        cells.append("—" if v is None else (v.short if v.ok else f"**{v.short}**" if v.ok is False else "?"))
    return f"| {now} | {report.commit or _commit(root)} | {report.mode} | " + " | ".join(cells) + " |"


def render(report: Report, root: Path, previous: str = "") -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    met = sum(1 for v in report.verdicts if v.ok)
    missed = sum(1 for v in report.verdicts if v.ok is False)
    lines = [
        "# Speed benchmark results",
        "",
        f"Measured {now} by `.venv/bin/python -m bench{' --quick' if report.mode == 'quick' else ''}` "
        f"at commit {report.commit or _commit(root)}; {report.runs} runs per start-up command after one warm-up. "
        f"Machine: {_machine()}.",
        "Every ratio divides two numbers measured in this same run (medians). See bench/README.md for the method.",
        "",
        f"**{met} targets met, {missed} missed**" + (
            f", {len(report.verdicts) - met - missed} not measurable" if len(report.verdicts) - met - missed else ""
        ) + ".",
        "",
        "| what | measured | reference (same run) | target | |",
        "|---|---|---|---|---|",
    ]
    for v in report.verdicts:
        mark = {True: "met", False: "**MISSED**", None: "not measured"}[v.ok]
        lines.append(f"| {v.what} | {v.measured} | {v.reference} | {v.target} | {mark} |")
    lines += ["", "## Every measured quantity", ""]
    group = None
    order = list(dict.fromkeys(d.group for d in report.details))
    for d in sorted(report.details, key=lambda d: order.index(d.group)):  # stable: each group once
        if d.group != group:
            group = d.group
            lines += ["", f"### {group}", "", "| what | median | min | max | p95 | n | |", "|---|---|---|---|---|---|---|"]
        s = d.stats
        lines.append(
            f"| {d.name} | {_fmt(s.median, d.unit)} | {_fmt(s.min, d.unit)} | {_fmt(s.max, d.unit)} | "
            f"{_fmt(s.p95, d.unit)} | {len(s)} | {d.note} |"
        )
    if report.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    columns = COLUMNS
    old = []
    if HISTORY in previous:
        old = [line for line in previous.split(HISTORY, 1)[1].splitlines() if line.startswith("| 20")]
    lines += ["", HISTORY, "",
              "Misses in bold. Kept from the previous RESULTS.md, so a change's before and after sit side by side. "
              "Start-up ×floor: from commit db13523 on, the whole first screen read on a pseudo-terminal against "
              "hello-world read the same way (bench/screen.py); before it, spawn to exit after the first frame.", "",
              "| when | commit | mode | " + " | ".join(columns) + " |", "|---|---|---|" + "---|" * len(columns),
              *old, _history_line(report, now, root, columns)]
    return "\n".join(lines) + "\n"


def write(report: Report, path: Path, root: Path) -> None:
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(render(report, root, previous), encoding="utf-8")
