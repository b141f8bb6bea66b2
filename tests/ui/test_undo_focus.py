"""Undo brings the deal back where the user can act on it: selected, in the bucket it returned to."""

from planner.app import PlannerApp
from planner.domain.models import Bucket, Opportunity

from .conftest import funnel, repository, seed


async def test_undoing_a_move_selects_the_deal_back_in_its_old_bucket(db):
    (deal_id,) = seed(db, Opportunity("Website revamp", account="Acme"))
    app = PlannerApp(db=db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("greater_than_sign")
        await pilot.pause()
        screen = funnel(app)
        assert screen.focused_bucket is Bucket.IN
        await pilot.press("u")
        await pilot.pause()
        assert screen.focused_bucket is Bucket.ABOVE
        assert screen.selected is not None and screen.selected.id == deal_id
        # The deal keys work at once: move it on again without navigating first.
        await pilot.press("greater_than_sign")
        await pilot.pause()
    with repository(db) as repo:
        assert repo.get(deal_id).bucket is Bucket.IN


async def test_undoing_a_won_deal_selects_it_again(db):
    (deal_id,) = seed(db, Opportunity("Website revamp", bucket=Bucket.BEST_FEW))
    app = PlannerApp(db=db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l", "l", "w")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = funnel(app)
        assert screen.selected is None
        await pilot.press("u")
        await pilot.pause()
        assert screen.focused_bucket is Bucket.BEST_FEW
        assert screen.selected is not None and screen.selected.id == deal_id
