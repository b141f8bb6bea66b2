"""The TUI beside another instance (SPEC §5): what the CLI writes shows within about two seconds
without any key or focus event; a key on a card the CLI changed meanwhile is refused with a message
and the screen shows the deal as it is; undo after the CLI changed the same deal refuses and loses
nothing. The other instance is the real CLI, in-process (`planner.cli.run`)."""

from __future__ import annotations

import time

from planner.app import PlannerApp
from planner.cli import run
from planner.domain.models import Bucket, Opportunity

from .conftest import funnel, notifications, repository, seed

SIZE = (120, 40)


def cli(db: str, *args: str) -> None:
    assert run(["--db", db, *args]) == 0


async def wait_until(pilot, condition, seconds: float) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        await pilot.pause(0.05)
    return time.monotonic() - start


async def test_a_deal_closed_from_the_cli_leaves_the_funnel_within_two_seconds(db):
    seed(db, Opportunity("Website revamp"), Opportunity("Audit"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        above = funnel(pilot.app).bucket_list(Bucket.ABOVE)
        assert above.option_count == 2
        cli(db, "move", "1", "won")
        await wait_until(pilot, lambda: above.option_count == 1, 2.0)  # no key, no focus event
        assert 1 not in above.deals
        cli(db, "add", "From the shell")
        await wait_until(pilot, lambda: above.option_count == 2, 2.0)


async def test_a_key_on_a_card_changed_elsewhere_is_refused_and_the_screen_shows_it_as_it_is(db):
    seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        app = pilot.app
        app.poll_timer.pause()  # the CLI writes between two polls: the card is stale
        cli(db, "move", "1", "won")
        assert funnel(app).selected.title == "Website revamp"
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert any("“Website revamp” is in Won now, not Above the Funnel" in m and "nothing was moved" in m
                   for m in notifications(app))
        assert funnel(app).bucket_list(Bucket.ABOVE).option_count == 0  # refreshed at once
        assert not app.core.can_undo
    with repository(db) as repo:
        deal = repo.get(1)
        assert deal.bucket is Bucket.WON and deal.closed_on is not None  # not moved back into the funnel
        assert [m.to_bucket for m in repo.moves(1)] == [Bucket.ABOVE, Bucket.WON]


async def test_undo_after_the_cli_changed_the_same_deal_refuses_and_loses_nothing(db):
    seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        app = pilot.app
        await pilot.press("greater_than_sign")  # ours: Above → In
        await pilot.pause()
        cli(db, "move", "1", "best_few")  # theirs: In → Best Few
        cli(db, "log", "1", "--kind", "call", "--minutes", "120")
        with repository(db) as repo:
            history = [(m.id, m.to_bucket) for m in repo.moves(1)]
        await pilot.press("u")
        await pilot.pause()
        assert any(m.startswith("Cannot undo “Moved “Website revamp” to In the Funnel”") for m in notifications(app))
        bar = str(app.screen.query_one(".screen-bar").render())
        assert "Not undone (changed elsewhere): Moved “Website revamp” to In the Funnel" in bar
        assert funnel(app).bucket_list(Bucket.BEST_FEW).option_count == 1  # the screen shows theirs
    with repository(db) as repo:
        assert repo.get(1).bucket is Bucket.BEST_FEW
        assert [(m.id, m.to_bucket) for m in repo.moves(1)] == history  # no hole, nothing lost
        assert [a.minutes for a in repo.activities(1)] == [120]


async def test_a_deal_deleted_elsewhere_while_its_details_and_edit_form_are_open(db):
    """The poll finds the deal gone while the edit form is over its details: the form stays (saving
    says the deal is gone), and the details close once they are on top again."""
    from planner.ui.screens.deal import DealDetailsScreen, EditDealScreen

    seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        app = pilot.app
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditDealScreen)
        with repository(db) as other:
            other.delete(1)
        app.poll()
        await pilot.pause()
        assert isinstance(app.screen, EditDealScreen)
        app.screen.query_one("#contact").value = "Dana Lee"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, EditDealScreen)
        assert "deleted in another window or from the command line" in str(app.screen.query_one(".dialog-error").render())
        await pilot.press("escape", "y")  # discard the typed change
        await pilot.pause()
        assert not isinstance(app.screen, (EditDealScreen, DealDetailsScreen))
        assert funnel(app).bucket_list(Bucket.ABOVE).option_count == 0
