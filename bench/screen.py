"""Start-up as the user sees it: the time until a whole first screen is readable on a terminal.

A program is spawned on a fresh pseudo-terminal (120×40, TERM=xterm-256color and
COLORTERM=truecolor as a modern terminal sets them, the pty its controlling terminal), as a
terminal window would host it. A reader thread takes every byte it
writes as soon as it is written and time-stamps it (and the child's CPU time so far, from
/proc/PID/task/*/schedstat); the bytes are fed, in order, into a VT emulator (pyte), and the clock stops at the
byte after which the emulated screen first shows everything the first screen must show (a list of
`Part`s: each a few texts that must be on screen, one row each). Then the program is asked to quit
(ctrl+q) as a user would.

The emulator runs in the bench process, off the child's path: the reader thread does nothing but
read and time-stamp (the child never waits for it), and the screen is only emulated while the
child has been quiet for a moment, so parsing takes no CPU from a child that is still working.
The time of each part's first appearance is kept too: it shows what the user sees first.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bench.harness import Stats

_CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Part:
    """Something the first screen shows: every pattern (a regex) on some row of the screen, and
    with `in_order` on rows going down in the order given (a bucket's first deals)."""

    name: str
    patterns: tuple[str, ...]
    in_order: bool = False

    def shown(self, rows: Sequence[str]) -> bool:
        start = 0
        for pattern in self.patterns:
            compiled = re.compile(pattern)
            for index in range(start if self.in_order else 0, len(rows)):
                if compiled.search(rows[index]):
                    if self.in_order:
                        start = index + 1
                    break
            else:
                return False
        return True


@dataclass
class ScreenRun:
    seconds: float  # spawn to the byte that completed the first screen
    cpu_seconds: float  # the child's CPU time (all its threads) when that byte was read
    peak_rss_mib: float  # the child's VmHWM, read once the screen was complete
    parts: dict[str, float] = field(default_factory=dict)  # part → seconds until it first showed
    rows: list[str] = field(default_factory=list)  # the screen when it was complete (or at the timeout)
    bytes_written: int = 0  # bytes the child wrote until then
    returncode: int | None = None


class ScreenNotShown(RuntimeError):
    pass


def _make_controlling_tty() -> None:  # in the child, after fds 0-2 are the pty's slave
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _cpu_seconds(pid: int) -> float:
    """The child's CPU time so far: the run time of each of its threads in nanoseconds
    (/proc/PID/task/*/schedstat), else user + system time in clock ticks (/proc/PID/stat)."""
    try:
        total = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat", "rb") as handle:
                total += int(handle.read().split()[0])
        if total:
            return total / 1e9
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime (fields 14 and 15 of stat)
    except (OSError, IndexError, ValueError):
        return -1.0


def _vm_hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def watch(
    argv: Sequence[str],
    parts: Sequence[Part],
    *,
    env: Mapping[str, str] | None = None,
    size: tuple[int, int] = (120, 40),
    timeout: float = 60.0,
    quiet: float = 0.03,
    cwd: str | None = None,
) -> ScreenRun:
    """Spawn `argv` on a pty of `size` (columns, rows) and time it until every part is on screen.
    Raises ScreenNotShown (with the screen as it was) when that does not happen within `timeout`."""
    try:
        import pyte  # the bench's own dependency, not the product's
    except ModuleNotFoundError:
        raise RuntimeError("the start-up rows read the screen with pyte: .venv/bin/pip install -e '.[bench]'") from None

    cols, rows = size
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["TERM"], full_env["COLORTERM"] = "xterm-256color", "truecolor"
    for name in ("COLUMNS", "LINES"):  # a terminal window sets the size on the pty, not in the environment
        full_env.pop(name, None)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    chunks: list[tuple[float, bytes, float]] = []  # (perf_counter, bytes, the child's CPU seconds)
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # the reader thread gets the interpreter back within 0.5 ms
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=full_env, cwd=cwd,
        preexec_fn=_make_controlling_tty, close_fds=True,
    )
    os.close(slave)
    pid = proc.pid

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child has gone
                return
            if not chunk:
                return
            chunks.append((time.perf_counter(), chunk, _cpu_seconds(pid)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    seen: dict[str, float] = {}
    done: tuple[float, int] | None = None
    fed = 0
    written = 0
    rss_kib = 0
    deadline = start + timeout
    try:
        while done is None and time.perf_counter() < deadline:
            time.sleep(quiet)
            if fed == len(chunks) or time.perf_counter() - chunks[-1][0] < quiet:
                if proc.poll() is not None and fed == len(chunks):
                    reader.join(timeout=1)
                    if fed == len(chunks):
                        break  # exited without showing it
                continue  # nothing new, or the child is still writing: emulate once it pauses
            while fed < len(chunks) and done is None:
                stamp, chunk, cpu = chunks[fed]
                fed += 1
                written += len(chunk)
                stream.feed(chunk)
                shown = screen.display
                for part in parts:
                    if part.name not in seen and part.shown(shown):
                        seen[part.name] = stamp - start
                if len(seen) == len(parts):
                    done = (stamp, cpu)
                    rss_kib = _vm_hwm_kib(pid)
        rows_now = list(screen.display)
    finally:
        sys.setswitchinterval(previous_interval)
        returncode = _quit(proc, master)
        reader.join(timeout=2)
        os.close(master)
    if done is None:
        missing = [p.name for p in parts if p.name not in seen]
        raise ScreenNotShown(
            f"{' '.join(argv)}: the screen never showed {', '.join(missing)} within {timeout:.0f} s "
            f"(exit code {returncode}); it showed:\n" + "\n".join(r.rstrip() for r in rows_now))
    stamp, cpu = done
    return ScreenRun(stamp - start, cpu, rss_kib / 1024, seen, rows_now, written, returncode)


def _quit(proc: subprocess.Popen, master: int) -> int | None:
    """ctrl+q, as a user leaves a Textual app; a child that does not leave is ended."""
    if proc.poll() is None:
        try:
            os.write(master, b"\x11")
        except OSError:
            pass
        try:
            return proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    return proc.wait()


# --- interleaved runs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScreenCommand:
    name: str
    argv: Sequence[str]
    parts: Sequence[Part]
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 120.0


@dataclass
class ScreenMeasured:
    seconds: Stats = field(default_factory=Stats)  # spawn to the whole first screen
    cpu: Stats = field(default_factory=Stats)  # the child's CPU time by then
    rss: Stats = field(default_factory=Stats)  # the child's peak resident MiB by then
    parts: dict[str, Stats] = field(default_factory=dict)  # part → seconds until it first showed


def measure(commands: Sequence[ScreenCommand], runs: int, *, log: Callable[[str], None] = print,
            ) -> dict[str, ScreenMeasured]:
    """`runs` runs of every command, interleaved (A B C A B C …), after one discarded warm-up
    each; every run, the warm-up included, must show its whole first screen or this raises."""
    results = {c.name: ScreenMeasured() for c in commands}
    for round_no in range(runs + 1):
        for command in commands:
            run = watch(command.argv, command.parts, env=command.env, timeout=command.timeout)
            if round_no == 0:
                continue  # warm-up: page cache, .pyc files
            measured = results[command.name]
            measured.seconds.samples.append(run.seconds)
            measured.cpu.samples.append(run.cpu_seconds)
            measured.rss.samples.append(run.peak_rss_mib)
            for name, seconds in run.parts.items():
                measured.parts.setdefault(name, Stats()).samples.append(seconds)
        if round_no:
            log(f"  round {round_no}/{runs}: " + ", ".join(
                f"{c.name} {results[c.name].seconds.samples[-1] * 1000:.0f} ms" for c in commands))
    return results


# --- what the first screens show -----------------------------------------------------------------

def hello_screen() -> list[Part]:
    """bench/hello.py: its header's title, its text and its footer's key."""
    return [Part("header", (r"HelloApp",)), Part("text", (r"Hello, world",)), Part("footer", (r"\^p\s+palette",))]


_BUCKETS = (("above", "Above the Funnel"), ("in", "In the Funnel"), ("best_few", "Best Few"))
#: Deals checked per bucket: the first ones of its agenda order, as many as show on a 120×40 screen.
FIRST_DEALS = 3


def planner_screen(db: str, env: Mapping[str, str], *, python: str = sys.executable) -> list[Part]:
    """What the planner's Funnel must show before the user can read it, taken from the database
    (deal titles and counts by plain SQL) and from `planner status --json` (the numbers of the top
    bar and the banner's flags), never written into the bench: the tab bar, the top bar, the
    banner when there are funnel-wide flags, the three bucket headers with their counts, the
    first deals' titles of each bucket that has deals, in order, and the footer's keys."""
    import json
    import sqlite3

    from planner.core.text import whole_hours

    status = json.loads(subprocess.run(
        [python, "-m", "planner", "--db", db, "status", "--json"], capture_output=True, text=True, check=True,
        env={**os.environ, **env}).stdout)
    cycle, quota, alloc = status["cycle"], status["quota"], status["allocation"]
    parts = [
        Part("tabs", (r"1 Funnel\s+2 Today\s+3 Week\s+4 Insights\s+5 Profile",)),
        Part("top bar", (
            re.escape(f"Normal cycle {cycle['days']:.0f} days"),
            re.escape(f"Prospects this week {quota['done_week']} of {quota['week']}"),
            re.escape(f"Week {whole_hours(alloc['hours_per_week'])}"),
        )),
    ]
    # The banner: funnel-wide flags (on no one deal), the empty top first, then the most severe.
    wide = [f for f in status["flags"] if f.get("opportunity_id") is None]
    order = {"critical": 0, "warning": 1, "info": 2}
    wide.sort(key=lambda f: (f["code"] != "empty_top", order.get(f["severity"], 3)))
    if wide:
        lines = ["Top of funnel is empty" if f["code"] == "empty_top" else _first_cells(f["message"], 40)
                 for f in wide[:3]]
        parts.append(Part("banner", tuple(re.escape(line) for line in lines), in_order=True))
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        counts = dict(connection.execute("SELECT bucket, count(*) FROM opportunity GROUP BY bucket").fetchall())
        parts.append(Part("bucket headers", (
            r"\s+".join(re.escape(label) for _, label in _BUCKETS),
            r"\s.*".join(rf"\b{counts.get(key, 0)} deals?\b" for key, _ in _BUCKETS),
        )))
        for key, label in _BUCKETS:
            titles = [row[0] for row in connection.execute(
                "SELECT title FROM opportunity WHERE bucket = ? "
                "ORDER BY next_action_due IS NULL, next_action_due, id LIMIT ?", (key, FIRST_DEALS))]
            if titles:
                parts.append(Part(f"deals in {label}", tuple(re.escape(_first_cells(t, 20)) for t in titles),
                                  in_order=True))
    finally:
        connection.close()
    # The footer's keys (the first and the palette's, docked right): the rest of the whole screen.
    parts.append(Part("footer", (r"a Add\s+e Edit", r"\^p Palette")))
    return parts


def naive_screen(db: str) -> list[Part]:
    """bench/reference_apps.py's naive app: its header and its table's first rows (by id)."""
    import sqlite3

    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        titles = [row[0] for row in connection.execute(
            "SELECT title FROM opportunity ORDER BY id LIMIT ?", (FIRST_DEALS,))]
    finally:
        connection.close()
    return [Part("header", (r"NaiveApp",)),
            Part("first rows", tuple(re.escape(_first_cells(t, 20)) for t in titles), in_order=True)]


def _first_cells(text: str, cells: int) -> str:
    """The start of `text` that fits in `cells` terminal columns (wide characters take two)."""
    from wcwidth import wcwidth

    out, used = [], 0
    for char in " ".join(text.split()):
        width = max(0, wcwidth(char))
        if used + width > cells:
            break
        out.append(char)
        used += width
    return "".join(out).rstrip()


if __name__ == "__main__":  # a look: python -m bench.screen [--until REGEX]... -- python bench/hello.py --stay
    args = sys.argv[1:]
    until = []
    while args and args[0] == "--until":
        until.append(args[1])
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    run = watch(args, [Part(f"until {i}", (pattern,)) for i, pattern in enumerate(until or [r"\S"])])
    print(f"{run.seconds * 1000:.0f} ms, CPU {run.cpu_seconds * 1000:.0f} ms, {run.peak_rss_mib:.1f} MiB, "
          f"exit code {run.returncode}")
    print("\n".join(r.rstrip() for r in run.rows))
