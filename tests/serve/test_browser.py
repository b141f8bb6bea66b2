"""`planner serve` in a real headless browser (issue 13): open the printed address, see the
Funnel, press `a`, add a deal, find it in the database; the Week's iCal export and the palette's
CSV export arrive as downloads and nothing is left on the server's disk.

Debian's `chromium`, driven by Playwright with the system browser (no browser download). Skips,
saying why, where either is missing; `.ci/run` installs chromium where apt-get is available.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import run

playwright_api = pytest.importorskip("playwright.async_api", reason="Playwright is not installed (pip install playwright)")

BROWSER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # No WebGL: xterm.js then draws the terminal as text in the page, which the test can read.
    "--disable-3d-apis",
]


def system_chromium() -> str | None:
    for candidate in (os.environ.get("PLANNER_TEST_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


CHROMIUM = system_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install -y chromium)")


async def screen_text(page) -> str:
    return await page.evaluate("() => document.querySelector('.xterm-rows')?.innerText ?? ''")


async def wait_for_text(page, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        shown = await screen_text(page)
        if text in shown:
            return shown
        assert time.monotonic() < deadline, f"{text!r} never appeared in the browser; it shows:\n{shown}"
        await asyncio.sleep(0.1)


def titles(db: Path) -> set[str]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT title FROM opportunity")}
    finally:
        connection.close()


def test_served_planner_in_a_headless_browser(start_server, tmp_path):
    served = start_server()

    async def use_it() -> None:
        async with playwright_api.async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                tempfile.mkdtemp(dir=tmp_path, prefix="chromium-"),  # a new, empty profile
                executable_path=CHROMIUM, headless=True, args=BROWSER_FLAGS,
                viewport={"width": 1280, "height": 800}, accept_downloads=True,
            )
            try:
                page = context.pages[0] if context.pages else await context.new_page()
                await page.goto(f"{served.url}?token={served.token}")
                assert page.url == served.url  # the token is out of the address bar and the history
                await wait_for_text(page, "Above the Funnel")
                await page.focus(".xterm-helper-textarea")
                await page.keyboard.press("a")
                await wait_for_text(page, "Title")
                await page.keyboard.type("Deal from the browser")
                await page.keyboard.press("Enter")
                deadline = time.monotonic() + 15
                while "Deal from the browser" not in titles(served.db):
                    assert time.monotonic() < deadline, "the deal added in the browser is not in the database"
                    await asyncio.sleep(0.1)
                await wait_for_text(page, "Deal from the browser")

                # The Week's iCal export: a download in the browser, not a file on the server.
                await page.keyboard.press("3")
                await wait_for_text(page, "iCal")
                # textual.js opens the download in a new tab, which closes itself once it starts.
                downloads: asyncio.Queue = asyncio.Queue()
                page.on("download", downloads.put_nowait)  # Playwright reports it on the opener
                await page.keyboard.press("i")
                download = await asyncio.wait_for(downloads.get(), 15)
                assert download.suggested_filename == "planner-week-2026-03-02.ics"
                assert Path(await download.path()).read_bytes().startswith(b"BEGIN:VCALENDAR")

                # Every deal as CSV, from the palette: a download too, with the deal added above.
                await page.keyboard.press("Control+p")
                await wait_for_text(page, "Search for commands")
                await page.keyboard.type("export deals as csv")
                await wait_for_text(page, "Export deals as CSV")
                await page.keyboard.press("Enter")
                download = await asyncio.wait_for(downloads.get(), 15)
                assert download.suggested_filename == "planner-export-2026-03-04.csv"
                exported = Path(await download.path()).read_bytes()
                assert exported.startswith(b"id,title,") and b"Deal from the browser" in exported
            finally:
                await context.close()

    run(use_it())
    assert served.wait_for_app_processes(0) == []  # the closed tab ended its app
    assert served.stop() == 0
    assert list(served.home.rglob("*.ics")) == [] and list(served.home.rglob("*.csv")) == []
    assert sorted(p.name for p in served.db.parent.iterdir() if p.suffix in (".csv", ".ics")) == []
