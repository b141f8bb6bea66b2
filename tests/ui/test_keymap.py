"""What the TUI keeps in the user's config directory: the theme chosen in the palette, and the
keymap file that rebinds keys by action id (docs/keys.md). A bad file is one notice; the app starts."""

from __future__ import annotations

from planner.app import PlannerApp
from planner.domain.models import Opportunity

from .conftest import funnel, notifications, repository, seed

SIZE = (120, 40)


async def settle(pilot, times: int = 3) -> None:
    for _ in range(times):
        await pilot.pause()


async def test_the_theme_chosen_in_the_palette_is_the_theme_of_the_next_start(db, own_config_dir):
    first = PlannerApp(db=db)
    default = first.theme
    async with first.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"theme")
        await settle(pilot)
        await pilot.press("enter")  # Textual's Theme command: the list of themes
        await settle(pilot)
        await pilot.press(*"nord")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert first.theme == "nord" != default
    assert (own_config_dir / "theme").read_text(encoding="utf-8").strip() == "nord"
    second = PlannerApp(db=db)
    async with second.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert second.theme == "nord"
        assert not notifications(second)


async def test_an_unknown_remembered_theme_is_one_notice_and_the_default(db, own_config_dir):
    own_config_dir.mkdir(parents=True)
    (own_config_dir / "theme").write_text("no-such-theme\n", encoding="utf-8")
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        funnel(app)
        assert app.theme == PlannerApp().theme
        assert [n for n in notifications(app) if "no-such-theme" in n and "not known" in n]


async def test_a_keymap_file_rebinds_an_action_by_its_id(db, own_config_dir):
    [deal_id] = seed(db, Opportunity("Website revamp"))
    own_config_dir.mkdir(parents=True)
    (own_config_dir / "keys.toml").write_text('"funnel.delete" = "D"\n[go]\ntoday = "2,g"\n', encoding="utf-8")
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not notifications(app)
        await pilot.press("d")  # not Delete any more
        await settle(pilot)
        with repository(db) as repo:
            assert [d.id for d in repo.list()] == [deal_id]
        await pilot.press("question_mark")  # help shows the keys as rebound
        await settle(pilot)
        text = app.screen.text()
        assert "D\nDelete the selected deal" in text and "2 g\nThe daily check-in" in text
        await pilot.press("escape")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Delete  (D)" in titles
        await pilot.press("D")
        await settle(pilot)
        with repository(db) as repo:
            assert repo.list() == []
        await pilot.press("g")  # the second key given to go.today
        await settle(pilot)
        assert app.current_mode == "today"


async def test_a_bad_keymap_file_is_one_notice_and_the_app_starts_with_its_keys(db, own_config_dir):
    seed(db, Opportunity("Website revamp"))
    own_config_dir.mkdir(parents=True)
    for content, says in (('"funnel.delete = "D"\n', "not valid TOML"),
                          ('"funnel.destroy" = "D"\n', "'funnel.destroy'"),
                          ('"funnel.delete" = 4\n', "needs keys as text"),
                          (b"\xff\xfe bad", "not UTF-8")):
        path = own_config_dir / "keys.toml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        app = PlannerApp(db=db)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            funnel(app)  # started, on the Funnel
            [notice] = [n for n in notifications(app) if "keys.toml" in n]
            assert "ignored" in notice and says in notice and "\n" not in notice
            await pilot.press("question_mark")
            await settle(pilot)
            assert "d\nDelete the selected deal" in app.screen.text()  # the table's keys


async def test_a_keymap_that_is_a_folder_is_one_notice(db, own_config_dir):
    (own_config_dir / "keys.toml").mkdir(parents=True)
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        funnel(app)
        assert [n for n in notifications(app) if "keys.toml" in n and "not a plain file" in n]


async def test_served_in_a_browser_a_keymap_of_browser_keys_only_keeps_the_table_keys(db, own_config_dir, monkeypatch):
    """A browser keeps ctrl+w (closes the tab) and ctrl+t (opens one) for itself: served with
    `planner serve`, an action the keymap gives only such keys keeps its own keys as well, and says
    so once; in a terminal the keymap is taken as written."""
    [deal_id] = seed(db, Opportunity("Website revamp"))
    own_config_dir.mkdir(parents=True)
    (own_config_dir / "keys.toml").write_text(
        'undo = "ctrl+w"\npalette = "ctrl+t"\n"funnel.delete" = "ctrl+shift+w"\n"funnel.add" = "A"\n'
        '"funnel.left" = "ctrl+shift+tab"\n',
        encoding="utf-8",
    )

    async def deleted_by_d_then_undone_by_u(app) -> bool:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            with repository(db) as repo:
                if [d.id for d in repo.list()] == [deal_id]:
                    return False  # d did nothing: the keymap's ctrl+shift+w is Delete's only key
            await pilot.press("u")
            await settle(pilot)
            with repository(db) as repo:
                assert [d.id for d in repo.list()] == [deal_id], "u did not undo the delete"
            await pilot.press("ctrl+p")
            await settle(pilot)
            assert app.screen.__class__.__name__ == "CommandPalette"
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            text = app.screen.text()
            assert "ctrl+w u\nUndo the latest change" in text and "ctrl+t ctrl+p\nSearch every action" in text
            assert "A\nAdd a deal" in text  # a key a browser passes on stays the keymap's only key
            assert "ctrl+shift+tab h ←\nGo to the bucket on the left" in text
            keys = list(app.screen.query(".help-key"))
            assert keys and all(key.region.height == 1 for key in keys)  # no key broken over two lines
            [notice] = [n for n in notifications(app) if "browser" in n]
            assert "undo (u)" in notice and "palette (ctrl+p)" in notice and "funnel.delete (d)" in notice
            assert "funnel.left (h ←)" in notice
            assert "funnel.add" not in notice
            return True

    assert not await deleted_by_d_then_undone_by_u(PlannerApp(db=db))  # a terminal: the keymap as written
    monkeypatch.setattr(PlannerApp, "is_web", property(lambda app: True))
    assert await deleted_by_d_then_undone_by_u(PlannerApp(db=db))
async def test_the_keymap_gives_export_a_key_it_has_not_by_default(db, own_config_dir, tmp_path):
    """Export and backup are palette-only until keys.toml gives them keys; then the key opens the
    export dialog, and help and the palette show it."""
    seed(db, Opportunity("Website revamp"))
    own_config_dir.mkdir(parents=True)
    (own_config_dir / "keys.toml").write_text('"export.csv" = "ctrl+e"\n', encoding="utf-8")
    target = tmp_path / "deals.csv"
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not [n for n in notifications(app) if "keys.toml" in n]
        await pilot.press("question_mark")
        await settle(pilot)
        assert "ctrl+e\nEvery deal as a CSV file" in app.screen.text()
        await pilot.press("escape")
        await settle(pilot)
        assert "Export deals as CSV  (ctrl+e)" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("ctrl+e")
        await settle(pilot)
        app.screen.query_one("#field-value").value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    assert "Website revamp" in target.read_text(encoding="utf-8")


def test_docs_keys_lists_every_action_id_with_its_keys():
    """docs/keys.md is where a keymap's ids are looked up: every row of the action table is there,
    with the keys it has by default."""
    import re
    from pathlib import Path

    from planner.ui.actions import ACTIONS

    doc = (Path(__file__).parents[2] / "docs" / "keys.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `([\w.]+)` \| (.*?) \|", doc, re.MULTILINE))
    for action in ACTIONS:
        keys = " ".join(f"`{k}`" for k in action.keys.split(",")) if action.keys else "—"
        assert documented.get(action.id) == keys, action.id
