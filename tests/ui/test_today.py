"""The Today screen (SPEC §2 "Daily check-in", §5): the agenda in priority order and its single keys.

Every flow asserts what the database holds afterwards, read through a second repository.
The `fixed_today` and `db` fixtures come from tests/ui/conftest.py (today is Wed 2026-03-04).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from textual.widgets import OptionList

from planner.domain.models import ActivityKind, Bucket, Influence, Opportunity, Role
from .conftest import repository

TODAY = date(2026, 3, 4)  # Wednesday; "fri" is 2026-03-06
EARLIER = TODAY - timedelta(days=30)  # seeded deals are not this week's prospects
MARKUP = "[bold]x[/] [red"


def seed(path: str) -> dict[str, int]:
    """A Best Few deal overdue (with markup in its title), one due later, an In deal with an
    uncovered influence (Chinese and emoji in its name), an Above deal due today."""
    economic = Influence("Lee", Role.ECONOMIC, covered=True)
    with repository(path) as repo:
        return {
            "overdue": repo.add(Opportunity(MARKUP, bucket=Bucket.BEST_FEW, account="Acme", next_action="Send contract",
                                            next_action_due=TODAY - timedelta(days=2), influences=(economic,)), on=EARLIER),
            "later": repo.add(Opportunity("Website revamp", bucket=Bucket.BEST_FEW, account="Beta", next_action="Call CFO",
                                          next_action_due=TODAY + timedelta(days=3), influences=(economic,)), on=EARLIER),
            "in": repo.add(Opportunity("培训 🎉 rollout", bucket=Bucket.IN, account="Gamma", next_action="Demo",
                                       next_action_due=TODAY + timedelta(days=10),
                                       influences=(Influence("Ann", Role.ECONOMIC, covered=True),
                                                   Influence("Bo 博", Role.TECHNICAL, covered=False))), on=EARLIER),
            "above": repo.add(Opportunity("Audit", bucket=Bucket.ABOVE, account="Delta", next_action="Qualify",
                                          next_action_due=TODAY), on=EARLIER),
        }


def agenda(app) -> OptionList:
    from planner.ui.screens.today import TodayScreen

    assert isinstance(app.screen, TodayScreen), f"expected the Today screen, got {app.screen!r}"
    return app.screen.query_one("#today-agenda", OptionList)


def lines(app) -> list[str]:
    """The agenda's lines as the user reads them (headings included)."""
    return [str(o.prompt) if not hasattr(o.prompt, "plain") else o.prompt.plain for o in agenda(app).options]


def select(app, option_id: str) -> None:
    options = agenda(app)
    options.highlighted = options.get_option_index(option_id)


async def open_today(pilot) -> None:
    await pilot.press("2")
    await pilot.pause()


async def fill(pilot, **values: str) -> None:
    """Type into the open form's fields (faster than a key per character; keeps any script),
    then press enter."""
    for name, value in values.items():
        found = pilot.app.screen.query(f"#field-{name}")  # a form of today_forms
        (found.first() if found else pilot.app.screen.query_one(f"#{name}")).value = value  # or a dialog
    await pilot.press("enter")
    await pilot.pause()


def header(app) -> str:
    return str(app.screen.query_one("#today-header").render())


@pytest.fixture
def ids(db) -> dict[str, int]:
    return seed(db)


async def test_agenda_in_priority_order_with_overdue_first_and_user_text_literal(db, ids):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        shown = lines(app)
        text = "\n".join(shown)
        # Best Few first (overdue before later), then the prospecting quota, then In the Funnel.
        order = [text.index(s) for s in ("Send contract", "Call CFO", "new prospects this week", "Cover buying influences")]
        assert order == sorted(order)
        assert "OVERDUE" in shown[1] and MARKUP in shown[1]  # markup shown as typed, never interpreted
        assert "培训 🎉 rollout" in text and "Bo 博" in text
        assert "0 of" in text  # the quota's progress: no prospect added this week yet
        assert "Wednesday 04 March 2026" in header(app)
        # The first actionable item is selected, not the heading.
        assert agenda(app).highlighted_option.id == f"close-{ids['overdue']}"


async def test_done_clears_the_action_then_sets_the_next_one_from_a_date_form(db, ids):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        select(app, f"close-{ids['overdue']}")
        await pilot.press("d")
        await pilot.pause()
        with repository(db) as repo:  # done is saved before the next action is asked for
            deal = repo.get(ids["overdue"])
            assert (deal.next_action, deal.next_action_due) == ("", None)
        await pilot.press(*"Call Lee [re] contract", "tab", *"fri", "enter")  # typed key by key once
        await pilot.pause()
        with repository(db) as repo:
            deal = repo.get(ids["overdue"])
        assert deal.next_action == "Call Lee [re] contract"
        assert deal.next_action_due == date(2026, 3, 6)
        assert "Call Lee [re] contract" in "\n".join(lines(app))
        # Two undoable steps: the new action, then the done.
        await pilot.press("u")
        await pilot.press("u")
        await pilot.pause()
        with repository(db) as repo:
            deal = repo.get(ids["overdue"])
        assert (deal.next_action, deal.next_action_due) == ("Send contract", TODAY - timedelta(days=2))


async def test_done_then_escape_leaves_the_deal_without_next_action_and_bad_date_is_refused(db, ids):
    from planner.app import PlannerApp
    from planner.ui.screens.today_forms import FormModal

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        select(app, f"close-{ids['later']}")
        await pilot.press("d")
        await fill(pilot, action="Send SOW", due="someday")
        assert isinstance(app.screen, FormModal)  # still open, with a one-line error
        assert "not a date" in str(app.screen.query_one("#error").render())
        with repository(db) as repo:
            assert repo.get(ids["later"]).next_action == ""
        await pilot.press("escape")
        await pilot.pause()
        with repository(db) as repo:
            assert (repo.get(ids["later"]).next_action, repo.get(ids["later"]).next_action_due) == ("", None)
        # The deal now asks for a next action on the agenda.
        assert any("Set a next action" in line and "Website revamp" in line for line in lines(app))


async def test_reschedule_sets_the_due_date_from_fri(db, ids):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        select(app, f"close-{ids['overdue']}")
        await pilot.press("r", *"fri", "enter")
        await pilot.pause()
        with repository(db) as repo:
            deal = repo.get(ids["overdue"])
        assert deal.next_action_due == date(2026, 3, 6)
        assert deal.next_action == "Send contract"
        assert "OVERDUE" not in "\n".join(lines(app))
        # The selection follows the item to its new place.
        assert agenda(app).highlighted_option.id == f"close-{ids['overdue']}"


async def test_log_time_on_a_deal_and_on_prospecting(db, ids):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        select(app, f"close-{ids['later']}")
        await pilot.press("l")
        await pilot.pause()
        app.screen.query_one("#kind").value = ActivityKind.MEETING  # the one log-time form: a kind to choose
        app.screen.query_one("#note").value = "went well 很好"
        await pilot.press(*"1h30", "enter")
        await pilot.pause()
        select(app, "prospect-0")
        await pilot.press("l", *"45", "enter")  # kind defaults to prospecting research
        await pilot.pause()
        # Bad minutes: refused with a one-line error, nothing logged.
        await pilot.press("l", *"lots", "enter")
        await pilot.pause()
        assert "minutes" in str(app.screen.query_one(".dialog-error").render())
        await pilot.press("escape")
        # Prospecting time is undoable like any other change.
        await pilot.press("l", *"20", "enter", "u")
        await pilot.pause()
    with repository(db) as repo:
        on_deal = repo.activities(ids["later"])
        assert [(a.kind, a.minutes, a.bucket, a.note) for a in on_deal] == [
            (ActivityKind.MEETING, 90, Bucket.BEST_FEW, "went well 很好")
        ]
        week = repo.minutes_by_bucket(TODAY - timedelta(days=2), TODAY + timedelta(days=5))
        assert week.get(Bucket.ABOVE) == 45 and week.get(Bucket.BEST_FEW) == 90
        prospecting = [a for a in repo.activities() if a.opportunity_id is None]
        assert [(a.kind, a.minutes) for a in prospecting] == [(ActivityKind.RESEARCH, 45)]


async def test_add_prospect_counts_toward_the_weeks_quota(db, ids):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        select(app, "prospect-0")
        await pilot.press("p")
        await pilot.pause()
        dialog = app.screen
        assert (dialog.query_one("#next").value, dialog.query_one("#due").value) == (
            "Qualify: reach a buying influence", "tomorrow")  # the Funnel's add dialog, with a first step
        dialog.query_one("#title").value = "Brand audit 🎯"
        await pilot.press("tab", *"Zeta", "tab", "tab", *"Kim Ito", "enter")
        await pilot.pause()
        quota = next(line for line in lines(app) if "new prospects this week" in line)
        assert "1 of" in quota  # the new prospect counts toward this week's quota
    with repository(db) as repo:
        added = [d for d in repo.list(Bucket.ABOVE) if d.title == "Brand audit 🎯"]
        assert len(added) == 1
        assert (added[0].account, added[0].contact, added[0].next_action_due) == (
            "Zeta", "Kim Ito", TODAY + timedelta(days=1))
        assert added[0].next_action  # a live deal starts with a next action
        assert added[0].first_contact == TODAY  # as `planner add` and the Funnel's add dialog: found today


async def test_cover_marks_the_chosen_influence_covered(db, ids):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        select(app, f"cover-{ids['in']}")
        await pilot.press("d", "enter")
        await pilot.pause()
        assert not any(line.startswith("Cover") or "Cover buying influences" in line for line in lines(app))
    with repository(db) as repo:
        assert all(i.covered for i in repo.get(ids["in"]).influences)


async def test_finish_records_the_checkin_and_shows_the_streak(db, ids):
    from planner.app import PlannerApp

    with repository(db) as repo:
        repo.record_checkin(TODAY - timedelta(days=1))
        repo.record_checkin(TODAY - timedelta(days=2))
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        assert "2-day streak" in header(app)
        await pilot.press("f")
        await pilot.pause()
        assert "3-day streak" in header(app)
        assert "check-in done" in header(app)
        assert any("3-day streak" in n.message for n in app._notifications)
    with repository(db) as repo:
        assert repo.checkin_streak(TODAY) == 3


async def test_small_terminal_and_empty_funnel(db):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        shown = "\n".join(lines(app))
        assert "new prospects this week" in shown  # the quota is there even with nothing else
        # Keys that need a deal do nothing on the quota item; no traceback.
        await pilot.press("r", "d")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()


async def test_a_deal_deleted_elsewhere_gives_a_message_not_a_traceback(db, ids):
    from planner.app import PlannerApp

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        select(app, f"close-{ids['overdue']}")
        app.poll_timer.pause()  # the other instance deletes it between two polls: the agenda is stale
        with repository(db) as other:  # a second instance deletes the deal meanwhile
            other.delete(ids["overdue"])
        await pilot.press("d")
        await pilot.pause()
        assert any(n.severity == "error" and "deleted" in n.message for n in app._notifications)
        assert f"close-{ids['overdue']}" not in [o.id for o in agenda(app).options]  # shown as it is now
        assert app.is_running


def agenda_text(app) -> list[str]:
    """The agenda as painted at the terminal's width."""
    widget = agenda(app)
    strips = widget.render_lines(widget.region.reset_offset)
    return ["".join(segment.text for segment in strip).rstrip() for strip in strips]


async def test_enter_on_an_item_opens_its_deal_and_time_logged_there_lands_on_it(db, ids):
    from planner.app import PlannerApp
    from planner.ui.screens.deal import DealDetailsScreen

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        select(app, f"cover-{ids['in']}")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DealDetailsScreen) and app.screen.deal_id == ids["in"]
        assert "培训 🎉 rollout" in str(app.screen.query_one("#details-title").render())
        await pilot.press("t", *"25", "enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert agenda(app).highlighted_option.id == f"cover-{ids['in']}"  # back where it was
        select(app, "prospect-0")
        await pilot.press("enter")  # the prospecting item has no deal to open
        await pilot.pause()
        assert agenda(app)
    with repository(db) as repo:
        assert [(a.minutes, a.on) for a in repo.activities(ids["in"])] == [(25, TODAY)]


async def test_reschedule_is_not_offered_on_an_item_without_a_date(db, ids):
    from planner.app import PlannerApp
    from planner.ui.screens.today import TodayScreen

    with repository(db) as repo:
        undated = repo.add(Opportunity("Undated", bucket=Bucket.BEST_FEW, next_action="Call", influences=()),
                           on=EARLIER)
    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        screen = app.screen
        select(app, f"close-{undated}")
        await pilot.pause()
        assert screen.check_action("reschedule", ()) is False
        assert not any(b.binding.action == "reschedule" for b in screen.active_bindings.values())  # not in the footer
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)  # no form
        select(app, "prospect-0")
        await pilot.pause()
        assert screen.check_action("reschedule", ()) is False
        select(app, f"close-{ids['later']}")  # a dated one still offers it
        await pilot.pause()
        assert screen.check_action("reschedule", ()) is True
    with repository(db) as repo:
        assert repo.get(undated).next_action_due is None


async def test_long_agenda_lines_wrap_under_their_text_not_across_the_date_column(db):
    from planner.app import PlannerApp

    with repository(db) as repo:
        repo.add(Opportunity("Change management coaching with a long title", bucket=Bucket.BEST_FEW,
                             account="Greenway Energy and Partners", next_action="Negotiate the terms of the contract",
                             next_action_due=TODAY - timedelta(days=1)), on=EARLIER)
    app = PlannerApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        painted = agenda_text(app)
    first = next(i for i, line in enumerate(painted) if "OVERDUE" in line)
    assert "Negotiate the terms" in painted[first]
    # The rest of the title and the detail sit under the text column (20 cells in: the list pads by 1).
    for line in painted[first + 1:first + 3]:
        assert line.startswith(" " * 20) and line[20] != " ", painted
    assert "Partners)" in "".join(painted[first:first + 3])


async def test_today_shows_todays_share_of_the_weeks_quota_from_the_engine(db, ids):
    from planner.app import PlannerApp
    from planner.core.text import quota_today_text

    app = PlannerApp(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        quota = app.core.status().quota
        assert quota.today > 0 and quota.working_days_left == 3  # Wednesday: Wed, Thu, Fri
        text = "\n".join(lines(app))
        assert f"0 of {quota.today} today (3 working days left) · 0 of {quota.week} new prospect" in text
        assert quota_today_text(quota) in text
        await pilot.press("p")
        await fill(pilot, title="New lead")
        text = "\n".join(lines(app))
        quota = app.core.status().quota  # a new prospect changes the funnel, so the engine's quota too
        assert quota.done_today == 1
        assert quota.today == 1  # today's share found: said, with the week still to go
        assert f"1 of 1 today — today's share is met (3 working days left) · 1 of {quota.week} new prospects" in text
    with repository(db) as repo:
        assert repo.snapshot(TODAY).prospects_today == 1
