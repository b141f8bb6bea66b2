"""Deal details and the edit form (SPEC §2): every field, qualification, criteria and influences,
checked against what the database holds after saving."""

from __future__ import annotations

from datetime import date

from textual.widgets import Checkbox, Input, TextArea

from planner.app import PlannerApp
from planner.domain.models import Bucket, Criterion, CriterionKind, Influence, Opportunity, Role

from .conftest import TODAY, funnel, notifications, repository, seed

SIZE = (120, 40)


def _criteria(db: str) -> list[int]:
    with repository(db) as repo:
        return [
            repo.save_criterion(Criterion("Sector: software", CriterionKind.DEMOGRAPHIC, 2)),
            repo.save_criterion(Criterion("Values quality over price", CriterionKind.PSYCHOGRAPHIC, 1)),
        ]


async def test_edit_every_field_and_save(db):
    [deal_id] = seed(db, Opportunity("Old title", account="Acme"))
    sector, quality = _criteria(db)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = pilot.app.screen
        assert pilot.app.focused.id == "title"
        await pilot.press("ctrl+a", "ctrl+k", *"Website revamp")  # clear the title, type a new one
        values = {
            "account": "Acme GmbH",
            "contact": "Dana Lee",
            "value": "12,500.50",
            "first_contact": "2026-02-01",
            "expected_close": "+3w",
            "next_action": "Send the proposal",
            "next_action_due": "fri",
            "source": "referral from Kim",
        }
        for input_id, text in values.items():
            screen.query_one(f"#{input_id}", Input).value = text
        screen.query_one("#notes", TextArea).text = "Line one\nLine [b]two[/b]"
        screen.query_one("#money", Checkbox).value = True
        screen.query_one("#need", Checkbox).value = True
        screen.query_one(f"#criterion-{sector}", Checkbox).value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert funnel(pilot.app).selected.title == "Website revamp"
    with repository(db) as repo:
        deal = repo.get(deal_id)
    assert deal.title == "Website revamp"
    assert (deal.account, deal.contact, deal.value_cents) == ("Acme GmbH", "Dana Lee", 1_250_050)
    assert (deal.first_contact, deal.expected_close) == (date(2026, 2, 1), date(2026, 3, 25))
    assert (deal.next_action, deal.next_action_due) == ("Send the proposal", date(2026, 3, 6))
    assert deal.source == "referral from Kim"
    assert deal.notes == "Line one\nLine [b]two[/b]"
    assert (deal.money, deal.authority, deal.need) == (True, False, True)
    assert deal.criteria_met == frozenset({sector})
    assert deal.bucket is Bucket.ABOVE  # editing never moves a deal


async def test_influences_are_added_toggled_and_removed(db):
    [deal_id] = seed(db, Opportunity("Website revamp", bucket=Bucket.IN,
                                     influences=(Influence("Lee", Role.ECONOMIC, False),)))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("l", "e")
        await pilot.pause()
        screen = pilot.app.screen
        # Add Kim as a covered Technical Buyer and Sam as a Coach.
        screen.query_one("#influence-name", Input).focus()
        await pilot.press(*"Kim")
        from textual.widgets import Select

        screen.query_one("#influence-role", Select).value = Role.TECHNICAL
        screen.query_one("#influence-covered", Checkbox).value = True
        await pilot.press("enter")
        await pilot.press(*"Sam")
        screen.query_one("#influence-role", Select).value = Role.COACH
        await pilot.press("enter")
        await pilot.pause()
        # Lee is now covered; Sam is removed again.
        influences = screen.query_one("#influences")
        influences.focus()
        influences.highlighted = 0
        await pilot.press("space")
        influences.highlighted = 2
        await pilot.press("delete")
        await pilot.press("ctrl+s")
        await pilot.pause()
    with repository(db) as repo:
        deal = repo.get(deal_id)
    got = sorted((i.name, i.role, i.covered) for i in deal.influences)
    assert got == [("Kim", Role.TECHNICAL, True), ("Lee", Role.ECONOMIC, True)]


async def test_edit_refuses_bad_input_and_keeps_the_form_open(db):
    [deal_id] = seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = pilot.app.screen
        screen.query_one("#expected_close", Input).value = "the 31st of never"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert "expected close" in str(screen.query_one(".dialog-error").render())
        screen.query_one("#title", Input).value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "title" in str(screen.query_one(".dialog-error").render())
    with repository(db) as repo:
        assert repo.get(deal_id).title == "Website revamp"


async def test_escape_without_changes_closes_and_with_changes_asks_first(db):
    [deal_id] = seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert funnel(pilot.app)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("x")  # typed into the title
        await pilot.press("escape")
        await pilot.pause()
        assert "Discard" in str(pilot.app.screen.query_one(".dialog-title").render())
        await pilot.press("n")  # keep editing
        await pilot.pause()
        await pilot.press("escape", "y")
        await pilot.pause()
        assert funnel(pilot.app)
    with repository(db) as repo:
        assert repo.get(deal_id).title == "Website revamp"


async def test_an_edit_is_undone_with_u(db):
    [deal_id] = seed(db, Opportunity("Website revamp", influences=(Influence("Lee", Role.ECONOMIC, True),)))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        pilot.app.screen.query_one("#account", Input).value = "Globex"
        pilot.app.screen.query_one("#influences").focus()
        await pilot.press("delete", "ctrl+s")
        await pilot.pause()
        with repository(db) as repo:
            assert (repo.get(deal_id).account, repo.get(deal_id).influences) == ("Globex", ())
        await pilot.press("u")
        await pilot.pause()
        assert any(m.startswith("Undone: Saved") for m in notifications(pilot.app))
    with repository(db) as repo:
        deal = repo.get(deal_id)
    assert deal.account == ""
    assert [(i.name, i.covered) for i in deal.influences] == [("Lee", True)]


async def test_details_show_fit_flags_and_follow_an_edit(db):
    [deal_id] = seed(db, Opportunity("Website revamp", next_action="Call", next_action_due=date(2026, 3, 1)))
    sector, _quality = _criteria(db)
    with repository(db) as repo:
        repo.set_criteria_met(deal_id, [sector])
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        body = str(pilot.app.screen.query_one("#details-body").render())
        assert "67 / 100" in body and "Sector: software" in body  # weight 2 of 3
        assert "3 days overdue" in body
        assert "was due 2026-03-01" in body  # the overdue flag's message
        await pilot.press("n", "ctrl+a", "ctrl+k", *"Call again", "tab", *"tomorrow", "enter")
        await pilot.pause()
        body = str(pilot.app.screen.query_one("#details-body").render())
        assert "Call again" in body and "tomorrow" in body
    with repository(db) as repo:
        assert repo.get(deal_id).next_action_due == date(2026, 3, 5)
        assert TODAY == date(2026, 3, 4)
