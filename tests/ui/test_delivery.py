"""Files the app makes for the user go to the browser when served (issue 13): the Week screen's
iCal export is a download there, asked for no path and written nowhere on the server; in a
terminal it is written where the user says, as before (tests/ui/test_week.py)."""

from __future__ import annotations

import pytest

from planner.errors import BadInput

from .test_week import open_week, seed


async def test_week_ical_export_is_a_download_in_a_browser(db, tmp_path, monkeypatch):
    from planner.app import PlannerApp
    from planner.ui.screens.today_forms import FormModal

    seed(db)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(PlannerApp, "is_web", property(lambda app: True))
    delivered: list[tuple[bytes, dict]] = []
    app = PlannerApp(db)
    app.deliver_binary = lambda file, **options: delivered.append((file.read(), options)) or "key"
    async with app.run_test(size=(120, 40)) as pilot:
        await open_week(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert not isinstance(app.screen, FormModal)  # no server path to ask for
        [(data, options)] = delivered
        assert data.startswith(b"BEGIN:VCALENDAR") and b"VEVENT" in data
        assert options == {"save_filename": "planner-week-2026-03-02.ics", "mime_type": "text/calendar"}
    assert list(tmp_path.rglob("*.ics")) == []  # nothing on the server's disk


async def test_in_a_terminal_the_same_helper_writes_through_the_one_writer(db, tmp_path):
    from planner.app import PlannerApp
    from planner.ui.delivery import in_browser, save_for_user

    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)):
        assert not in_browser(app)
        where = save_for_user(app, b"data", filename="x.ics", mime_type="text/calendar", target=str(tmp_path / "x.ics"))
        assert where == f"written to {tmp_path / 'x.ics'}" and (tmp_path / "x.ics").read_bytes() == b"data"
        with pytest.raises(BadInput, match="database"):
            save_for_user(app, b"data", filename="x.ics", mime_type="text/calendar", target=db, database=app.repo.path)
        with pytest.raises(BadInput, match="type a file path"):
            save_for_user(app, b"data", filename="x.ics", mime_type="text/calendar", target="  ")

