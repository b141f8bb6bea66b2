"""Regenerate screenshots/{funnel,today,week,insights,profile}.svg on demo data (SPEC §5).

    .venv/bin/python screenshots/make.py

Builds a throw-away demo database (never the user's), opens each screen at 120x40 with a fixed
today and theme, and saves what it shows. Run it after any change to how a screen looks.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = date(2026, 3, 4)
SIZE = (120, 40)
SCREENS = {"funnel": "1", "today": "2", "week": "3", "insights": "4", "profile": "5"}


async def _capture(db: str, name: str, key: str) -> Path:
    from planner.app import PlannerApp

    app = PlannerApp(db=db)
    app.theme = "textual-dark"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        if app.current_mode != name:
            raise SystemExit(f"could not open the {name} screen")
        app.save_screenshot(filename=f"{name}.svg", path=str(HERE))
    return HERE / f"{name}.svg"


def main() -> int:
    os.environ["PLANNER_TODAY"] = TODAY.isoformat()
    os.environ.pop("PLANNER_DB", None)
    from planner.demo import build_demo
    from planner.store import open_repository

    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "demo.db")
        repo = open_repository(db)
        try:
            build_demo(repo, TODAY)
        finally:
            repo.close()
        for name, key in SCREENS.items():
            path = asyncio.run(_capture(db, name, key))
            print(path.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
