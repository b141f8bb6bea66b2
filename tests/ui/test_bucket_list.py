"""A bucket's list stays true to its deals through any run of changes.

After one change the list replaces only the cards that changed (a deal came, went or changed
places) instead of rebuilding every card. These tests check, after each of many random changes,
what a user sees and uses: the cards in the order given, the rule between cards, the highlighted
deal kept, and a click on any line opening the deal drawn on it.
"""

from __future__ import annotations

import random
from datetime import date

from textual.app import App, ComposeResult

from planner.domain.models import Bucket, Flag, Opportunity, Severity
from planner.ui.widgets.bucket_list import CARD_LINES, BucketList

TODAY = date(2026, 11, 23)


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield BucketList(Bucket.IN, id="list-in")


def deal(n: int, version: int = 0) -> Opportunity:
    return Opportunity(f"Deal {n}" + (f" v{version}" if version else ""), id=n, bucket=Bucket.IN,
                       account=f"Account {n}")


def check(lst: BucketList, deals: list[Opportunity]) -> None:
    ids = [str(d.id) for d in deals]
    assert [o.id for o in lst.options] == ids
    assert all(lst.get_option_index(i) == n for n, i in enumerate(ids))
    assert [o._divider for o in lst.options] == [True] * (len(ids) - 1) + [False] * bool(ids)
    assert lst.virtual_size.height == max(0, len(ids) * (CARD_LINES + 1) - 1)
    # every line on screen shows the card of its deal and carries that card's index for clicks
    for y in range(min(lst.scrollable_content_region.height, lst.virtual_size.height - lst.scroll_offset.y)):
        line = lst.scroll_offset.y + y
        index, offset = divmod(line, CARD_LINES + 1)
        strip = lst.render_line(y)
        if offset == 0:
            assert deals[index].title in strip.text
        if offset < CARD_LINES:
            assert {s.style.meta.get("option") for s in strip if s.style and s.style.meta} == {index}
        else:  # the rule under a card, drawn across the list
            assert set(strip.text.strip()) == {"─"}, f"no rule under card {index}"


async def test_random_changes_keep_the_cards_in_order_and_clickable():
    rng = random.Random(20261123)
    app = ListApp()
    async with app.run_test(size=(60, 40)) as pilot:
        lst = app.query_one(BucketList)
        versions = {n: 0 for n in range(1, 121)}
        deals = [deal(n) for n in range(1, 81)]
        flags: dict[int, list[Flag]] = {}
        lst.show(deals, flags, TODAY)
        await pilot.pause()
        check(lst, deals)
        spare = list(range(81, 121))
        for _ in range(60):
            kind = rng.choice(["add", "remove", "reorder", "edit", "flag", "many"])
            if kind == "add" and spare:
                n = spare.pop()
                deals.insert(rng.randrange(len(deals) + 1), deal(n, versions[n]))
            elif kind == "remove" and len(deals) > 1:
                spare.append(deals.pop(rng.randrange(len(deals))).id)
            elif kind == "reorder":
                moved = deals.pop(rng.randrange(len(deals)))
                deals.insert(rng.randrange(len(deals) + 1), moved)
            elif kind == "edit":
                i = rng.randrange(len(deals))
                versions[deals[i].id] += 1
                deals[i] = deal(deals[i].id, versions[deals[i].id])
            elif kind == "flag":
                n = rng.choice(deals).id
                flags[n] = [] if flags.get(n) else [Flag("stale", Severity.WARNING, "stale", n)]
            else:
                rng.shuffle(deals)
            lst.highlighted = rng.randrange(len(lst.options)) if lst.options else None
            keep = lst.selected_id
            lst.show(deals, flags, TODAY)
            await pilot.pause()
            check(lst, deals)
            if keep in {d.id for d in deals}:
                assert lst.selected_id == keep
        # the edited deals show their new text
        assert any(v for v in versions.values())
        shown = {str(o.id): o.prompt.plain for o in lst.options}
        for d in deals:
            assert shown[str(d.id)].splitlines()[0].strip().endswith(d.title)


async def test_the_rules_between_cards_come_back_after_a_filter_is_cleared():
    """A filter hid the first and the last deal; clearing it brings them back, each with the rule
    under it (the rules once stayed blank until the list was rebuilt)."""
    app = ListApp()
    async with app.run_test(size=(60, 40)) as pilot:
        lst = app.query_one(BucketList)
        deals = [deal(n) for n in range(1, 7)]
        lst.show(deals, {}, TODAY)
        await pilot.pause()
        lst.show(deals[1:4], {}, TODAY)  # filtered: the first and the last two hidden
        await pilot.pause()
        check(lst, deals[1:4])
        lst.show(deals, {}, TODAY)  # the filter cleared
        await pilot.pause()
        check(lst, deals)
        lst.show([deals[5], *deals[:5]], {}, TODAY)  # re-sorted: the last card first
        await pilot.pause()
        check(lst, [deals[5], *deals[:5]])


async def test_a_click_on_a_card_that_moved_up_opens_that_card():
    app = ListApp()
    async with app.run_test(size=(60, 40)) as pilot:
        lst = app.query_one(BucketList)
        deals = [deal(n) for n in range(1, 11)]
        lst.show(deals, {}, TODAY)
        await pilot.pause()
        lst.show(deals[1:], {}, TODAY)  # the first deal went on: every card moved up
        await pilot.pause()
        await pilot.click(BucketList, offset=(5, 1 + 2 * (CARD_LINES + 1)))  # the third card now
        await pilot.pause()
        assert lst.selected_id == 4


async def test_a_new_day_renders_every_card_again_and_unchanged_cards_are_kept():
    """The cards say when each next action is due relative to today: on the next day every card
    says it anew, while a repeat of the same deals renders none again."""
    from dataclasses import replace
    from datetime import timedelta

    app = ListApp()
    async with app.run_test(size=(60, 40)) as pilot:
        lst = app.query_one(BucketList)
        deals = [replace(deal(n), next_action="Call", next_action_due=TODAY + timedelta(days=1)) for n in (1, 2)]
        lst.show(deals, {}, TODAY)
        await pilot.pause()
        assert all("tomorrow" in o.prompt.plain for o in lst.options)
        options = list(lst.options)
        lst.show(list(deals), {}, TODAY)
        assert all(a is b for a, b in zip(lst.options, options))
        assert all("tomorrow" in o.prompt.plain for o in lst.options)
        lst.show(deals, {}, TODAY + timedelta(days=1))
        await pilot.pause()
        assert all("today" in o.prompt.plain and "tomorrow" not in o.prompt.plain for o in lst.options)
        check(lst, deals)
