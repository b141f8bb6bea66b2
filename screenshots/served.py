"""Regenerate screenshots/served.png: the Funnel served by `planner serve`, in headless Chromium.

    .venv/bin/python screenshots/served.py

Needs the serve extra and Playwright (both in the test extra) and a system Chromium
(`apt-get install -y chromium`; no browser is downloaded) and a CJK font for the demo's Chinese
account (`apt-get install -y fonts-noto-cjk`). Builds a throw-away demo database and
config folder (never the user's), starts `planner serve` on a free loopback port, opens the
printed address at 1280×800 and saves what the browser shows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = "2026-03-04"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def start(folder: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update(PLANNER_TODAY=TODAY, HOME=str(folder), XDG_CONFIG_HOME=str(folder / "config"))
    db = folder / "demo.db"
    subprocess.run([sys.executable, "-m", "planner", "demo", "--keep", str(db)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    out = folder / "serve.out"
    with out.open("wb") as sink:
        server = subprocess.Popen([sys.executable, "-m", "planner", "--db", str(db), "serve", "--port", "0"],
                                  stdout=sink, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 20
    while not out.read_text().startswith("Open ") or "\n" not in out.read_text():
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("planner serve did not start")
        time.sleep(0.05)
    return server, out.read_text().splitlines()[0].removeprefix("Open ")


async def shoot(address: str, profile: Path, target: Path) -> None:
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no chromium: apt-get install -y chromium")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=FLAGS, viewport={"width": 1280, "height": 800},
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto(address)
            await page.wait_for_function("document.body.classList.contains('-first-byte')", timeout=20_000)
            await page.wait_for_timeout(1500)  # the first frames settle
            await page.screenshot(path=str(target))
        finally:
            await context.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        server, address = start(Path(folder))
        try:
            target = HERE / "served.png"
            asyncio.run(shoot(address, Path(folder) / "chromium", target))
            print(target.relative_to(HERE.parent))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
