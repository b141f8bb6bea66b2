"""Wide characters (Chinese, emoji) drawn whole wherever they lie over other widgets' edges.

A toast over the Funnel's bucket columns once lost the characters that straddled a column's edge
under it ("Moved “客   门户网站”"): Textual's compositor split them (Textual issue #6357); the
app installs a workaround (planner/ui/textual_fixes.py). The test reads the screen as drawn.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import planner.app

from planner.app import PlannerApp
from planner.domain.models import Opportunity

from .conftest import seed

TITLE = "客户 门户网站"


class SlowToastApp(PlannerApp):
    """Toasts that stay a minute: on a loaded machine a 3-second toast may expire before it is drawn."""

    CSS_PATH = str(Path(planner.app.__file__).with_name("planner.tcss"))

    def notify(self, message: str, **kwargs) -> None:
        kwargs["timeout"] = 60
        super().notify(message, **kwargs)


def screen_text(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def toast_shown(pilot, text: str) -> None:
    """Wait until the toast of a notification holding `text` is on screen (toasts mount a moment
    after their notification), and the screen has been drawn with it."""
    for _ in range(100):
        await pilot.pause()
        if any(text in toast._notification.message for toast in pilot.app.screen.query("Toast")):
            await pilot.pause()
            return
    raise AssertionError("the toast never showed")


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (97, 30)])
async def test_a_toast_with_chinese_text_shows_every_character(db, size):
    seed(db, Opportunity(TITLE, account="上海明德咨询有限公司"))
    async with SlowToastApp(db=db).run_test(size=size, notifications=True) as pilot:
        await pilot.press("greater_than_sign")
        await toast_shown(pilot, TITLE)
        lines = screen_text(pilot.app)
        # the toast's text, wrapped in the toast, with every character of the title
        text = " ".join(line.split("▌", 1)[-1].strip() for line in lines if "▌" in line)
        assert f"Moved “{TITLE}” to" in text, "\n".join(lines)


async def test_wide_characters_at_every_offset_over_the_columns(db):
    """Whatever column the toast's text starts in, no wide character is split."""
    seed(db, Opportunity("Deal"))
    async with PlannerApp(db=db).run_test(size=(80, 24), notifications=True) as pilot:
        for shift in range(6):
            message = "·" * shift + "客户门户网站客户门户网站客户门户网站"
            pilot.app.clear_notifications()
            await pilot.pause()
            pilot.app.notify(message, timeout=30)
            await toast_shown(pilot, message)
            lines = screen_text(pilot.app)
            text = "".join(line.split("▌", 1)[-1].strip() for line in lines if "▌" in line)
            assert message in text, "\n".join(lines)
