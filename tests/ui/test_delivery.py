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

    from planner.files import write_file

    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)):
        assert not in_browser(app)

        def write(path):
            return write_file(path, b"data", database=app.core.database_path)

        where = save_for_user(app, b"data", filename="x.ics", mime_type="text/calendar", target=str(tmp_path / "x.ics"),
                              write=write)
        assert where == f"written to {tmp_path / 'x.ics'}" and (tmp_path / "x.ics").read_bytes() == b"data"
        with pytest.raises(BadInput, match="database"):
            save_for_user(app, b"data", filename="x.ics", mime_type="text/calendar", target=db, write=write)
        with pytest.raises(BadInput, match="type a file path"):
            save_for_user(app, b"data", filename="x.ics", mime_type="text/calendar", target="  ", write=write)



async def test_export_and_backup_from_the_palette_are_downloads_in_a_browser(db, tmp_path, monkeypatch):
    """Served, the palette's CSV and JSON exports and the backup go to the browser as downloads:
    no path is asked for and nothing is written next to the database or in the home folder."""
    import json
    import sqlite3

    from planner.app import PlannerApp
    from planner.ui.screens.today_forms import FormModal

    seed(db)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(PlannerApp, "is_web", property(lambda app: True))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    delivered: list[tuple[bytes, dict]] = []
    app = PlannerApp(db)
    app.deliver_binary = lambda file, **options: delivered.append((file.read(), options)) or "key"
    async with app.run_test(size=(120, 40)) as pilot:
        for title in ("Export deals as CSV", "Export everything as JSON", "Back up the database"):
            [command] = [c for c in app.get_system_commands(app.screen) if c.title.startswith(title)]
            await command.callback()
            await pilot.pause()
            assert not isinstance(app.screen, FormModal), title  # no server path to ask for
    assert [options["save_filename"] for _, options in delivered][:2] == [
        "planner-export-2026-03-04.csv", "planner-export-2026-03-04.json"
    ]
    (csv, csv_options), (whole, json_options), (backup, backup_options) = delivered
    assert csv.startswith(b"id,title,") and b"Close 0" in csv and csv_options["mime_type"] == "text/csv"
    assert "Cover 3" in json.dumps(json.loads(whole)) and json_options["mime_type"] == "application/json"
    assert backup_options["save_filename"].startswith("p-backup-") and backup_options["save_filename"].endswith(".db")
    copy = tmp_path / "downloaded.db"
    copy.write_bytes(backup)
    connection = sqlite3.connect(copy)
    try:
        assert connection.execute("SELECT count(*) FROM opportunity").fetchone() == (6,)
    finally:
        connection.close()
    copy.unlink()
    written = sorted(p.name for p in tmp_path.rglob("*"))
    assert [name for name in written if name not in before and not name.startswith("p.db")] == []
