"""The deal details (enter on a card or a Today item): buying influences edited from there, every
row and method warning readable whole at 80×24, the edit form's Notes in line with the other fields.
Flows assert what the database holds afterwards."""

from __future__ import annotations

from datetime import date, timedelta

from textual.widgets import Checkbox, Input, Select, TextArea

from planner.app import PlannerApp
from planner.domain.models import Bucket, Criterion, Influence, Opportunity, Role
from planner.ui.screens.deal import DealDetailsScreen, InfluencesModal

from .conftest import TODAY, repository, seed


def painted(widget) -> list[str]:
    strips = widget.render_lines(widget.region.reset_offset)
    return ["".join(segment.text for segment in strip).rstrip() for strip in strips]


async def open_details(pilot) -> DealDetailsScreen:
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, DealDetailsScreen)
    return pilot.app.screen


async def test_influences_are_added_edited_and_removed_from_the_details(db):
    [deal_id] = seed(db, Opportunity("Website revamp", influences=(Influence("Lee", Role.ECONOMIC, False),
                                                                   Influence("Sam", Role.COACH, True))))
    async with PlannerApp(db=db).run_test(size=(120, 40)) as pilot:
        details = await open_details(pilot)
        await pilot.press("b")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, InfluencesModal)
        # Add Kim, a covered Technical Buyer.
        await pilot.press(*"Kim 金")
        dialog.query_one("#influence-role", Select).value = Role.TECHNICAL
        dialog.query_one("#influence-covered", Checkbox).value = True
        await pilot.press("enter")
        # Edit Lee: enter on the row, a new name, covered.
        rows = dialog.query_one("#influences")
        rows.focus()
        rows.highlighted = 0
        await pilot.press("enter")
        assert dialog.query_one("#influence-name", Input).value == "Lee"
        dialog.query_one("#influence-name", Input).value = "Lee Chan (CFO)"
        dialog.query_one("#influence-covered", Checkbox).value = True
        await pilot.press("enter")
        # Remove Sam.
        rows.focus()
        rows.highlighted = 1
        await pilot.press("delete", "ctrl+s")
        await pilot.pause()
        assert pilot.app.screen is details
        body = str(details.query_one("#details-body").render())
        assert "Lee Chan (CFO)" in body and "Kim 金" in body and "Sam" not in body
        with repository(db) as repo:
            got = [(i.name, i.role, i.covered) for i in repo.get(deal_id).influences]
        assert sorted(got) == [("Kim 金", Role.TECHNICAL, True), ("Lee Chan (CFO)", Role.ECONOMIC, True)]
        await pilot.press("escape", "u")  # one undoable step (u works once the details are closed)
        await pilot.pause()
    with repository(db) as repo:
        got = [(i.name, i.role, i.covered) for i in repo.get(deal_id).influences]
    assert sorted(got) == [("Lee", Role.ECONOMIC, False), ("Sam", Role.COACH, True)]


async def test_escape_leaves_the_influences_as_they_were(db):
    [deal_id] = seed(db, Opportunity("Website revamp", influences=(Influence("Lee", Role.ECONOMIC, False),)))
    async with PlannerApp(db=db).run_test(size=(120, 40)) as pilot:
        await open_details(pilot)
        await pilot.press("b", *"Kim", "enter", "escape")
        await pilot.pause()
    with repository(db) as repo:
        assert [i.name for i in repo.get(deal_id).influences] == ["Lee"]


async def test_today_cover_without_an_economic_buyer_opens_where_one_is_added(db):
    with repository(db) as repo:
        deal_id = repo.add(Opportunity("Audit", bucket=Bucket.IN, next_action="Demo",
                                       next_action_due=TODAY + timedelta(days=5)), on=TODAY - timedelta(days=30))
    async with PlannerApp(db=db).run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        options = pilot.app.screen.query_one("#today-agenda")
        options.highlighted = options.get_option_index(f"cover-{deal_id}")
        await pilot.press("d")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, InfluencesModal)
        assert dialog.query_one("#influence-role", Select).value is Role.ECONOMIC
        await pilot.press(*"Dana", "ctrl+s")
        await pilot.pause()
    with repository(db) as repo:
        assert [(i.name, i.role) for i in repo.get(deal_id).influences] == [("Dana", Role.ECONOMIC)]


async def test_the_fit_line_and_the_warnings_wrap_under_their_text_at_80_columns(db):
    deal = Opportunity("Change management coaching", bucket=Bucket.BEST_FEW, account="Greenway Energy",
                       next_action="Negotiate terms", next_action_due=TODAY - timedelta(days=1),
                       expected_close=TODAY - timedelta(days=3), money=True, authority=True, need=True,
                       criteria_reviewed=True,
                       influences=(Influence("Tom", Role.ECONOMIC, True),))
    [deal_id] = seed(db, deal)
    with repository(db) as repo:
        ids = [repo.add_criterion(Criterion(name, weight=2)).criterion_id for name in
               ("10 to 200 employees", "Professional services or software", "Budget of 15,000 or more",
                "Within a day's travel")]
        repo.set_criteria_met(deal_id, ids)
    async with PlannerApp(db=db).run_test(size=(80, 24)) as pilot:
        await pilot.press("l", "l")  # Best Few
        details = await open_details(pilot)
        lines = painted(details.query_one("#details-body"))
        message = next(f.message for f in pilot.app.core.status().flags_for(deal_id) if f.code == "close_date_passed")
    fit = next(i for i, line in enumerate(lines) if line.startswith("Fit "))
    assert lines[fit + 1].startswith(" " * 15) and lines[fit + 1][15] != " "  # under the value, not the label
    assert "Within a day's travel)" in " ".join(line.strip() for line in lines[fit:fit + 4])
    # The warning whole, each continuation under its first letter (after the mark).
    start = next(i for i, line in enumerate(lines) if "expected to close" in line)
    assert lines[start].startswith("  «")
    joined = lines[start][4:]
    for line in lines[start + 1:]:
        if not line.startswith("    ") or line[4] == " ":
            break
        joined += " " + line[4:]
    assert joined == message


async def test_the_method_warnings_of_a_move_stay_on_the_deal_until_fixed(db):
    [deal_id] = seed(db, Opportunity("Audit", bucket=Bucket.IN, next_action="Call", next_action_due=TODAY,
                                     influences=(Influence("Lee", Role.ECONOMIC, True),)))
    async with PlannerApp(db=db).run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        details = await open_details(pilot)
        body = str(details.query_one("#details-body").render())
        assert "Method warnings" in body
        assert "Money, Authority and Need not confirmed — a deal belongs In the Funnel only when" in body
        await pilot.press("e")
        await pilot.pause()
        for box in ("#money", "#authority", "#need"):
            pilot.app.screen.query_one(box, Checkbox).value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        body = str(details.query_one("#details-body").render())
        assert "not confirmed" not in body  # fixed: the warning is gone
    with repository(db) as repo:
        assert repo.get(deal_id).qualified


async def test_the_notes_field_starts_in_the_column_of_the_other_fields(db):
    seed(db, Opportunity("Website revamp", notes="Met at the conference"))
    async with PlannerApp(db=db).run_test(size=(120, 40)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = pilot.app.screen
        title = screen.query_one("#title", Input)
        notes = screen.query_one("#notes", TextArea)
        assert notes.content_region.x == title.content_region.x
        assert painted(notes)[0].startswith("Met at")
