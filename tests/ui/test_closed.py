"""Closed deals (SPEC §2 "A closed deal can be found and reopened"): `c` on the Funnel lists the
won and lost deals, filtered as you type and by outcome; `o` reopens one. Checked against what the
database holds afterwards."""

from __future__ import annotations

from datetime import date

from planner.app import PlannerApp
from planner.domain.models import Bucket, Opportunity

from .conftest import TODAY, funnel, notifications, repository

SIZE = (120, 40)


def close(db: str) -> dict[str, int]:
    """An open deal, two won (one long ago) and a lost one, as history the planner keeps."""
    with repository(db) as repo:
        ids = {
            "open": repo.add(Opportunity("Still open", account="Acme"), on=TODAY),
            "globex": repo.add(Opportunity("Data platform", account="Globex", bucket=Bucket.BEST_FEW,
                                           value_cents=4_500_000), on=date(2026, 1, 5)),
            "old": repo.add(Opportunity("Old win 王", account="Initech", bucket=Bucket.IN), on=date(2025, 6, 2)),
            "lost": repo.add(Opportunity("Brand audit", account="Umbrella", bucket=Bucket.IN), on=date(2026, 1, 5)),
        }
        repo.move(ids["globex"], Bucket.WON, on=date(2026, 3, 2))
        repo.move(ids["old"], Bucket.WON, on=date(2025, 9, 1))
        repo.move(ids["lost"], Bucket.LOST, on=date(2026, 2, 20), reason="went with a cheaper offer")
    return ids


def listed(app) -> list[str]:
    from planner.ui.screens.closed import ClosedScreen

    screen = app.screen
    assert isinstance(screen, ClosedScreen), f"expected the closed deals, got {screen!r}"
    table = screen.table
    return [str(table.get_row(key)[2]) for key in (table.coordinate_to_cell_key((row, 0)).row_key
                                                  for row in range(table.row_count))]


async def test_a_won_deal_is_found_and_reopened_where_it_closed_from_and_undo_closes_it_again(db):
    ids = close(db)
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert listed(app) == ["Data platform", "Brand audit", "Old win 王"]  # the latest closed first
        await pilot.press("s")  # won only
        await pilot.pause()
        assert listed(app) == ["Data platform", "Old win 王"]
        await pilot.press("s")  # lost only
        await pilot.pause()
        assert listed(app) == ["Brand audit"]
        await pilot.press("s", "slash", *"glob")  # won and lost again; typed into the filter
        await pilot.pause(0.5)  # the list follows once typing pauses
        assert listed(app) == ["Data platform"]
        await pilot.press("enter", "o")  # back to the list; reopen
        await pilot.pause()
        await pilot.press("enter")  # the first choice: Best Few, where it closed from
        await pilot.pause()
        assert listed(app) == []
        with repository(db) as repo:
            deal = repo.get(ids["globex"])
            assert (deal.bucket, deal.closed_on) == (Bucket.BEST_FEW, None)
            assert [m.to_bucket for m in repo.moves(deal.id)][-2:] == [Bucket.WON, Bucket.BEST_FEW]
        assert any("Reopened “Data platform” in Best Few" in m for m in notifications(app))
        await pilot.press("escape")  # clears the filter: every closed deal is back
        await pilot.pause()
        assert listed(app) == ["Brand audit", "Old win 王"]
        await pilot.press("u")  # won again, and selected in the list
        await pilot.pause()
        assert app.screen.selected.id == ids["globex"]
        with repository(db) as repo:
            deal = repo.get(ids["globex"])
            assert (deal.bucket, deal.closed_on) == (Bucket.WON, date(2026, 3, 2))
        await pilot.press("escape")  # back to the Funnel
        await pilot.pause()
        assert funnel(app).bucket_list(Bucket.BEST_FEW).option_count == 0


async def test_a_lost_deal_is_reopened_in_the_bucket_chosen(db):
    ids = close(db)
    app = PlannerApp(db=db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c", "slash", *"cheaper", "enter")  # the lost reason is searched too
        await pilot.pause()
        assert listed(app) == ["Brand audit"]
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("j", "enter")  # In the Funnel first (closed from there), then Above
        await pilot.pause()
    with repository(db) as repo:
        deal = repo.get(ids["lost"])
    assert (deal.bucket, deal.closed_on, deal.lost_reason) == (Bucket.ABOVE, None, "")


async def test_escape_on_the_choice_reopens_nothing_and_a_number_key_leaves_the_list(db):
    ids = close(db)
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "o")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert listed(app) == ["Data platform", "Brand audit", "Old win 王"]
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("1")  # the Funnel itself, not the list left under it
        await pilot.pause()
        funnel(app)
    with repository(db) as repo:
        assert repo.get(ids["globex"]).bucket is Bucket.WON


async def test_the_palette_opens_the_closed_deals_from_another_screen(db):
    close(db)
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        [go] = [c for c in app.get_system_commands(app.screen) if c.title.startswith("Funnel: Closed deals")]
        await go.callback()
        await pilot.pause()
        assert listed(app) == ["Data platform", "Brand audit", "Old win 王"]


async def test_many_closed_deals_show_the_latest_and_typing_finds_an_older_one(db):
    from planner.ui.screens.closed import SHOWN

    with repository(db) as repo:
        for n in range(SHOWN + 20):
            deal = repo.add(Opportunity(f"Deal {n:04d}"), on=date(2024, 1, 1))
            repo.move(deal, Bucket.LOST, on=date(2024, 1, 1) if n else date(2023, 1, 1))
    app = PlannerApp(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert len(listed(app)) == SHOWN
        assert "Deal 0000" not in listed(app)  # closed first of all: not among the latest
        assert f"The latest {SHOWN} of {SHOWN + 20:,}" in str(app.screen.query_one("#closed-hint").render())
        await pilot.press("slash", *"0000", "enter")  # enter: at once
        await pilot.pause()
        assert listed(app) == ["Deal 0000"]
