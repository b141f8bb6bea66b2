"""What a person reads on the screens they live in, at 120×40 and at 80×24: the funnel's warnings
and the latest change whole, a move's warnings kept on the deal, the keys used most in the footer,
the bucket headers with their hours."""

from __future__ import annotations

from datetime import timedelta

from planner.app import PlannerApp
from planner.domain.models import Bucket, Opportunity

from .conftest import TODAY, funnel, repository, seed

SIZES = [(120, 40), (80, 24)]


def card_lines(app, bucket: Bucket, deal_id: int) -> list[str]:
    lst = funnel(app).bucket_list(bucket)
    option = lst.get_option(str(deal_id))
    return option.prompt.plain.splitlines()


async def test_a_moves_warnings_stay_on_the_deal_until_they_are_fixed(db):
    """Moved into In unqualified, with no buying influence and an overdue next action: the toasts
    go, but the card keeps a mark for each warning (three of them: the gutter holds two a line) and
    the details say each in full, until the deal is qualified."""
    [deal_id] = seed(db, Opportunity("Website revamp", account="Acme", next_action="Call Dana",
                                     next_action_due=TODAY - timedelta(days=2)))
    async with PlannerApp(db=db).run_test(size=(80, 24)) as pilot:
        app = pilot.app
        await pilot.press("greater_than_sign")
        await pilot.pause()
        lines = card_lines(app, Bucket.IN, deal_id)
        assert lines[0].startswith("!◌ ") and lines[1].startswith("¤  "), lines  # overdue, uncovered | unqualified
        await pilot.press("enter")
        await pilot.pause()
        text = str(app.screen.query_one("#details-body").render())
        assert "Money, Authority and Need not confirmed" in text
        assert "no Economic Buyer" in text
        await pilot.press("escape")
        await pilot.pause()
        # fixed elsewhere (the CLI, another window): the mark and the sentence go
        with repository(db) as repo:
            deal = repo.get(deal_id)
        app.commit(lambda: app.core.edit(deal_id, {"money": True, "authority": True, "need": True}, base=deal))
        await pilot.pause()
        lines = card_lines(app, Bucket.IN, deal_id)
        assert "¤" not in "".join(line[:3] for line in lines), lines
        assert lines[0].startswith("!◌ ")
