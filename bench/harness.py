"""Whole-process timing: spawn a command (optionally on a pseudo-terminal, as a person's terminal
would host the TUI), wait for it to exit, and record wall time and the child's peak RSS.

Runs of several commands are interleaved (A B C A B C …) after one discarded warm-up each, so a
machine that slows down or speeds up mid-run moves every command alike and the ratios hold.
"""

from __future__ import annotations

import fcntl
import os
import re
import statistics
import struct
import subprocess
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


_HWM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hwm.py")


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float
    cpu_seconds: float  # user + system time of the child: barely moved by other load on the machine
    returncode: int
    output_tail: str = ""


@dataclass
class Stats:
    """Summary of repeated samples of one quantity (seconds, milliseconds or MiB)."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile (no interpolation: it is a sample that happened)."""
        ordered = sorted(self.samples)
        rank = max(1, -(-95 * len(ordered) // 100))  # ceil(0.95 n)
        return ordered[rank - 1]

    def __len__(self) -> int:
        return len(self.samples)


class CommandFailed(RuntimeError):
    pass


def _make_controlling_tty() -> None:  # runs in the child, after fds 0-2 are the pty's slave
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _drain(fd: int, sink: bytearray, keep: int | None) -> None:
    # The child blocks once the pty buffer (a few KiB) is full, so read everything it paints.
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every slave end is closed, the child has gone
            return
        if not chunk:
            return
        sink.extend(chunk)
        if keep is not None:
            del sink[:-keep]  # keep only the tail, for error messages


def run_once(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    tty: bool = False,
    size: tuple[int, int] = (120, 40),
    cwd: str | None = None,
    timeout: float = 300.0,
    keep: int | None = 4096,
) -> Run:
    """Spawn `argv`, wait for it, and return its wall time and peak resident memory.

    With `tty=True` the child gets a fresh pseudo-terminal of `size` (columns, rows) as stdin,
    stdout and stderr and its controlling terminal: Textual then runs its real Linux driver and
    writes every frame's escape sequences, which we read and discard as a terminal would.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    hwm_file = None
    if len(argv) > 1 and argv[1] in ("-m", "-c") or (len(argv) > 1 and argv[1].endswith(".py")):
        # measure peak memory from inside the program (see bench/hwm.py)
        fd, hwm_file = tempfile.mkstemp(prefix="bench-hwm-")
        os.close(fd)
        full_env["BENCH_HWM_FILE"] = hwm_file
        argv = [argv[0], _HWM, *argv[1:]]
    tail = bytearray()
    reader: threading.Thread | None = None
    if tty:
        master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env.setdefault("TERM", "xterm-256color")
        full_env["COLUMNS"], full_env["LINES"] = str(cols), str(rows)
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=full_env, cwd=cwd,
            preexec_fn=_make_controlling_tty, close_fds=True,
        )
        os.close(slave)
        reader = threading.Thread(target=_drain, args=(master, tail, keep), daemon=True)
        reader.start()
    else:
        master = -1
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=full_env, cwd=cwd,
        )
        reader = threading.Thread(target=_drain, args=(proc.stdout.fileno(), tail, keep), daemon=True)
        reader.start()
    deadline = start + timeout
    # wait4 gives this one child's rusage (ru_maxrss in KiB on Linux), unlike RUSAGE_CHILDREN,
    # which is the maximum over every child this process ever waited for.
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            tail.extend(f"\n[killed after {timeout:.0f} s]".encode())
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.0005)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it has been reaped
    if reader is not None:
        reader.join(timeout=5)
    if master >= 0:
        os.close(master)
    if proc.stdout is not None:
        proc.stdout.close()
    peak_kib = usage.ru_maxrss
    if hwm_file is not None:
        with open(hwm_file, encoding="ascii") as handle:
            text = handle.read().strip()
        os.unlink(hwm_file)
        if text:
            peak_kib = int(text)
        elif proc.returncode == 0:
            raise RuntimeError(f"{' '.join(argv)} exited without reporting its peak memory")
    return Run(seconds, peak_kib / 1024, usage.ru_utime + usage.ru_stime, proc.returncode, tail.decode("utf-8", "replace"))


@dataclass(frozen=True)
class Command:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    tty: bool = False
    before: Callable[[], None] | None = None  # e.g. restore a fresh database before each run
    expect: str | None = None  # a regex the warm-up run's whole output must match (it showed what it should)
    timeout: float = 300.0


@dataclass
class Measured:
    seconds: Stats = field(default_factory=Stats)  # wall time, spawn to exit
    cpu: Stats = field(default_factory=Stats)  # user + system seconds
    rss: Stats = field(default_factory=Stats)  # peak resident MiB

    def __iter__(self):  # seconds, rss = measured
        return iter((self.seconds, self.rss))


def measure(commands: Sequence[Command], runs: int, *, log: Callable[[str], None] = print) -> dict[str, Measured]:
    """Interleave `runs` runs of every command after one warm-up each."""
    results: dict[str, Measured] = {c.name: Measured() for c in commands}
    for round_no in range(runs + 1):
        for command in commands:
            if command.before is not None:
                command.before()
            warmup = round_no == 0
            run = run_once(command.argv, env=command.env, tty=command.tty, timeout=command.timeout,
                           keep=None if warmup and command.expect else 4096)
            if run.returncode != 0:
                raise CommandFailed(
                    f"{command.name}: {' '.join(command.argv)} exited {run.returncode}\n{run.output_tail[-2000:]}"
                )
            if warmup:
                if command.expect and not re.search(command.expect, run.output_tail):
                    raise CommandFailed(f"{command.name}: the output never showed {command.expect!r}:\n"
                                        f"{run.output_tail[-1500:]}")
                continue  # warm-up: page cache, .pyc files
            measured = results[command.name]
            measured.seconds.samples.append(run.seconds)
            measured.cpu.samples.append(run.cpu_seconds)
            measured.rss.samples.append(run.peak_rss_mib)
        if round_no:
            log(f"  round {round_no}/{runs}: " + ", ".join(
                f"{c.name} {results[c.name].seconds.samples[-1] * 1000:.0f} ms" for c in commands))
    return results
