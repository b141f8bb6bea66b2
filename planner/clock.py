"""The one clock: `PLANNER_TODAY=YYYY-MM-DD` makes "today" that date everywhere (SPEC §4)."""

from __future__ import annotations

import os
from datetime import date

from planner.errors import BadInput


def today() -> date:
    """Today's date: PLANNER_TODAY when set, else the local calendar day (a `pendulum.Date`)."""
    import pendulum

    raw = os.environ.get("PLANNER_TODAY", "").strip()
    if raw:
        try:
            return pendulum.Date.fromisoformat(raw)
        except ValueError:
            raise BadInput(f"PLANNER_TODAY must be a date like 2026-03-31, not {raw!r}") from None
    return pendulum.today().date()


def plain_today() -> date:
    """The same day as `today()`, as a plain `datetime.date` and without importing pendulum
    (about 20 ms): for the command line, whose `planner status` has a start-up budget."""
    raw = os.environ.get("PLANNER_TODAY", "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadInput(f"PLANNER_TODAY must be a date like 2026-03-31, not {raw!r}") from None
    return date.today()  # the local calendar day, as pendulum.today() gives it
