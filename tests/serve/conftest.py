"""`planner serve` run for real: a server process on a free loopback port, on a throw-away database
and config folder, read and stopped by the test. Everything here talks to 127.0.0.1/127.0.0.2 only.

These tests need the serve extra (aiohttp, textual-serve); the test extra brings it, so CI runs
them. Without it they skip, saying so.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="the serve extra is not installed (pip install -e '.[serve]')")
pytest.importorskip("textual_serve", reason="the serve extra is not installed (pip install -e '.[serve]')")

TODAY = "2026-03-04"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0


def serve_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANNER_", "TEXTUAL"))}
    env.update(
        PLANNER_TODAY=TODAY,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_DOWNLOAD_DIR=str(home / "Downloads"),
    )
    return env


@dataclass
class Served:
    process: subprocess.Popen
    url: str  # http://127.0.0.1:PORT/
    token: str
    db: Path
    home: Path
    out_path: Path
    err_path: Path
    stopped: bool = field(default=False)

    @property
    def port(self) -> int:
        return int(self.url.rstrip("/").rsplit(":", 1)[1])

    @property
    def cookie_name(self) -> str:
        return f"planner_session_{self.port}"

    def output(self) -> str:
        """Everything the server printed so far, stdout then stderr."""
        return self.out_path.read_text(errors="replace") + self.err_path.read_text(errors="replace")

    def app_processes(self) -> list[int]:
        """The tab processes the server runs now (its children)."""
        return children_of(self.process.pid)

    def wait_for_app_processes(self, count: int, timeout: float = 15.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.app_processes()
            if len(found) == count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(5)
        self.stopped = True
        return code


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses
        fields = stat.rsplit(")", 1)[1].split()
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def serve_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    return home


@pytest.fixture
def start_server(tmp_path: Path, serve_home: Path):
    """start_server(*args) → Served: `planner --db DB serve --port 0 *args`, once it is listening."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("these tests read child processes from /proc (Linux)")
    started: list[Served] = []

    def start(*args: str, db: Path | None = None) -> Served:
        db = db or tmp_path / "planner.db"
        index = len(started)
        out_path, err_path = tmp_path / f"serve{index}.out", tmp_path / f"serve{index}.err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "planner", "--db", str(db), "serve", "--port", "0", *args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=serve_env(serve_home),
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            first = out_path.read_text(errors="replace").split("\n", 1)
            if len(first) == 2 and first[0].startswith("Open "):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"planner serve did not start: {out_path.read_text()} {err_path.read_text()}")
            time.sleep(0.05)
        address = first[0].removeprefix("Open ")
        url, _, token = address.partition("?token=")
        served = Served(process, url, token, db, serve_home, out_path, err_path)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(5)
        for pid in served.app_processes():
            os.kill(pid, signal.SIGKILL)


def run(coro):
    return asyncio.run(coro)
