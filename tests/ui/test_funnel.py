"""The Funnel screen driven by keys, checked against what the database holds afterwards (SPEC §2, §5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rich.cells import cell_len

from planner.app import PlannerApp
from planner.domain.models import ActivityKind, Bucket, Influence, Opportunity, Role

from .conftest import TODAY, bar_rows, bar_says, funnel, notifications, repository, seed

SIZE = (120, 40)


async def test_empty_database_shows_the_empty_top_banner_with_what_to_do(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        banner = pilot.app.screen.query_one("#banner")
        text = str(banner.render())
        assert banner.display
        assert "Top of funnel is empty" in text
        assert "press a" in text
        assert "Above the Funnel" in str(pilot.app.screen.query_one("#col-above .bucket-title").render())


async def test_add_lands_in_above_by_default_with_the_title_focused(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert pilot.app.focused.id == "title"
        await pilot.press(*"Website revamp", "enter")
        await pilot.pause()
        assert "Top of funnel is empty" not in str(pilot.app.screen.query_one("#banner").render())
        assert funnel(pilot.app).selected.title == "Website revamp"
    with repository(db) as repo:
        [deal] = repo.list()
        assert (deal.title, deal.bucket) == ("Website revamp", Bucket.ABOVE)
        assert [m.to_bucket for m in repo.moves(deal.id)] == [Bucket.ABOVE]
        assert deal.first_contact == date(2026, 3, 4)  # found today, as `planner add` says (SPEC §3.2)


async def test_add_lands_in_the_focused_bucket_with_its_optional_fields(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("l", "l")  # Best Few
        await pilot.press("a", *"Data platform", "tab", *"Globex")
        dialog = pilot.app.screen
        dialog.query_one("#value").value = "45000"
        dialog.query_one("#next").value = "Call Dana"
        dialog.query_one("#due").value = "fri"
        await pilot.press("enter")
        await pilot.pause()
    with repository(db) as repo:
        [deal] = repo.list()
        assert deal.bucket is Bucket.BEST_FEW
        assert (deal.account, deal.value_cents, deal.next_action) == ("Globex", 4_500_000, "Call Dana")
        assert deal.next_action_due == date(2026, 3, 6)  # the Friday after Wednesday 2026-03-04
        assert deal.first_contact is None  # added lower down: first contacted on a day not known


async def test_add_refuses_bad_input_in_the_dialog_and_changes_nothing(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("a", *"Deal", "tab", "tab", *"lots", "enter")
        await pilot.pause()
        error = str(pilot.app.screen.query_one(".dialog-error").render())
        assert "value" in error.lower()
        await pilot.press("escape")
        await pilot.pause()
        assert funnel(pilot.app)  # the dialog closed, back on the funnel
    with repository(db) as repo:
        assert repo.list() == []


async def test_move_on_records_history_and_warns_without_blocking(db):
    [deal_id] = seed(db, Opportunity("Website revamp", account="Acme"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("greater_than_sign")
        await pilot.pause()
        messages = notifications(pilot.app)
        assert any("No buying influence is covered" in m for m in messages)
        # The selection follows the deal into its new bucket, so > again moves it on to Best Few.
        assert funnel(pilot.app).focused_bucket is Bucket.IN
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert any("No Economic Buyer" in m for m in notifications(pilot.app))
        await pilot.press("less_than_sign")
        await pilot.pause()
    with repository(db) as repo:
        assert repo.get(deal_id).bucket is Bucket.IN
        path = [(m.from_bucket, m.to_bucket) for m in repo.moves(deal_id)]
        assert path == [
            (None, Bucket.ABOVE),
            (Bucket.ABOVE, Bucket.IN),
            (Bucket.IN, Bucket.BEST_FEW),
            (Bucket.BEST_FEW, Bucket.IN),
        ]


async def test_the_footer_greys_what_cannot_run_for_the_selected_deal(db):
    from textual.widgets._footer import FooterKey

    seed(db, Opportunity("Website revamp"))

    def greyed(app) -> dict[str, bool]:
        return {k.action: k.has_class("-disabled") for k in app.screen.query(FooterKey)}

    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert greyed(pilot.app)["move_back"] and not greyed(pilot.app)["move_on"]
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert not greyed(pilot.app)["move_back"]
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert greyed(pilot.app)["move_on"] and not greyed(pilot.app)["move_back"]


async def test_a_covered_deal_moves_in_without_warning(db):
    seed(db, Opportunity("Covered", influences=(Influence("Lee", Role.ECONOMIC, True),)))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert not any("buying influence" in m for m in notifications(pilot.app))


async def test_won_and_lost_with_a_reason(db):
    won_id, lost_id = seed(
        db,
        Opportunity("Closing", bucket=Bucket.BEST_FEW, next_action="Sign", next_action_due=TODAY),
        Opportunity("Dead end", bucket=Bucket.BEST_FEW, next_action="Chase", next_action_due=date(2026, 3, 5)),
    )
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("l", "l", "w")
        await pilot.pause()
        await pilot.press("enter")  # today and the deal's value, as preset
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert pilot.app.focused.id == "reason"
        await pilot.press(*"too pricey", "enter")
        await pilot.pause()
        assert funnel(pilot.app).bucket_list(Bucket.BEST_FEW).option_count == 0
    with repository(db) as repo:
        won, lost = repo.get(won_id), repo.get(lost_id)
        assert (won.bucket, won.closed_on) == (Bucket.WON, TODAY)
        assert (lost.bucket, lost.lost_reason) == (Bucket.LOST, "too pricey")


async def test_log_time_on_the_selected_deal(db):
    [deal_id] = seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert pilot.app.focused.id == "minutes"
        await pilot.press(*"1h30", "tab", *"kick-off", "enter")
        await pilot.pause()
    with repository(db) as repo:
        [activity] = repo.activities(deal_id)
        assert (activity.minutes, activity.kind, activity.note) == (90, ActivityKind.CALL, "kick-off")
        assert activity.bucket is Bucket.ABOVE


async def test_prospecting_time_can_be_logged_while_a_deal_is_selected(db):
    [deal_id] = seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("t", *"20")
        pilot.app.screen.query_one("#prospecting").value = True
        await pilot.press("enter")
        await pilot.pause()
    with repository(db) as repo:
        [activity] = repo.activities()
        assert (activity.opportunity_id, activity.bucket, activity.minutes) == (None, Bucket.ABOVE, 20)
        assert repo.activities(deal_id) == []


async def test_prospecting_time_on_no_deal_is_logged_and_undone(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("t", *"45", "enter")
        await pilot.pause()
        with repository(db) as repo:
            [activity] = repo.activities()
            assert (activity.opportunity_id, activity.kind, activity.minutes) == (None, ActivityKind.RESEARCH, 45)
        await pilot.press("u")
        await pilot.pause()
        assert any(m.startswith("Undone") for m in notifications(pilot.app))
    with repository(db) as repo:
        assert repo.activities() == []


async def test_next_action_with_a_weekday(db):
    [deal_id] = seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Propose", "tab", *"fri", "enter")
        await pilot.pause()
    with repository(db) as repo:
        deal = repo.get(deal_id)
        assert (deal.next_action, deal.next_action_due) == ("Propose", date(2026, 3, 6))


async def test_next_action_refuses_a_bad_date(db):
    [deal_id] = seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Call", "tab", *"someday", "enter")
        await pilot.pause()
        assert "date" in str(pilot.app.screen.query_one(".dialog-error").render()).lower()
    with repository(db) as repo:
        assert repo.get(deal_id).next_action == ""


async def test_delete_then_undo_restores_the_deal_with_its_history(db):
    [deal_id] = seed(db, Opportunity("Website revamp", account="Acme", value_cents=120_000))
    with repository(db) as repo:
        repo.log(_activity(deal_id))
        repo.move(deal_id, Bucket.IN, on=TODAY)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("l", "d")
        await pilot.pause()
        assert any(m == "Deleted “Website revamp” · u undoes" for m in notifications(pilot.app))
        with repository(db) as repo:
            assert repo.list() == []
        await pilot.press("u")
        await pilot.pause()
        assert funnel(pilot.app).bucket_list(Bucket.IN).option_count == 1
    with repository(db) as repo:
        deal = repo.get(deal_id)
        assert (deal.title, deal.account, deal.bucket) == ("Website revamp", "Acme", Bucket.IN)
        assert len(repo.activities(deal_id)) == 1
        assert [m.to_bucket for m in repo.moves(deal_id)] == [Bucket.ABOVE, Bucket.IN]


async def test_undo_of_an_add_removes_the_deal_and_undo_of_a_move_moves_it_back(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("a", *"First", "enter")
        await pilot.pause()
        await pilot.press("greater_than_sign")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        with repository(db) as repo:
            [deal] = repo.list()
            assert deal.bucket is Bucket.ABOVE
            assert len(repo.moves(deal.id)) == 1
        await pilot.press("u")
        await pilot.pause()
        with repository(db) as repo:
            assert repo.list() == []
        await pilot.press("u")
        await pilot.pause()
        assert notifications(pilot.app)[-1] == "Nothing to undo"


async def test_the_top_bar_keeps_the_latest_change_in_view(db):
    seed(db, Opportunity("[red]Acme[/red]"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        bar = pilot.app.screen.query_one(".screen-bar")
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert "Moved “[red]Acme[/red]” to In the Funnel · u undoes" in str(bar.render())
        await pilot.press("u")
        await pilot.pause()
        assert "Undone: Moved “[red]Acme[/red]”" in str(bar.render())


async def test_filter_narrows_every_bucket_and_escape_clears_it(db):
    seed(
        db,
        Opportunity("Website revamp", account="Acme"),
        Opportunity("Data platform", account="Globex", bucket=Bucket.IN),
        Opportunity("Acme support", contact="Dana", bucket=Bucket.BEST_FEW),
    )
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        screen = funnel(pilot.app)
        await pilot.press("slash", *"acme")
        await pilot.pause()
        counts = [screen.bucket_list(b).option_count for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)]
        assert counts == [1, 0, 1]
        await pilot.press("escape")
        await pilot.pause()
        counts = [screen.bucket_list(b).option_count for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)]
        assert counts == [1, 1, 1]
        assert isinstance(pilot.app.focused, type(screen.bucket_list(Bucket.ABOVE)))


async def test_hjkl_move_between_buckets_and_deals(db):
    seed(
        db,
        Opportunity("A1", next_action_due=date(2026, 3, 5)),
        Opportunity("A2", next_action_due=date(2026, 3, 6)),
        Opportunity("I1", bucket=Bucket.IN),
    )
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        screen = funnel(pilot.app)
        assert screen.selected.title == "A1"
        await pilot.press("j")
        assert screen.selected.title == "A2"
        await pilot.press("k")
        assert screen.selected.title == "A1"
        await pilot.press("l")
        assert screen.selected.title == "I1"
        await pilot.press("h")
        assert screen.selected.title == "A1"
        await pilot.press("right", "right", "right")
        assert screen.focused_bucket is Bucket.BEST_FEW
        assert screen.selected is None
        # Nothing is selected in an empty bucket: the deal actions are not offered.
        assert screen.check_action("won", ()) is False
        await pilot.press("w")  # does nothing, says nothing
        assert screen.focused_bucket is Bucket.BEST_FEW


async def test_user_text_is_literal_and_wide_characters_keep_columns_aligned(db):
    seed(
        db,
        Opportunity("[bold]x[/] [red", account="[link=x]y", next_action="[/]"),
        Opportunity("网站改版项目", account="北京科技有限公司", bucket=Bucket.IN, next_action="发送提案 🚀"),
        Opportunity("Launch 🚀🎉 party", account="Café Ünïcode", bucket=Bucket.BEST_FEW),
    )
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = _screen_lines(pilot.app)
    text = "\n".join(lines)
    assert "[bold]x[/] [red" in text
    assert "[link=x]y" in text
    assert "网站改版项目" in text and "北京科技有限公司" in text and "🚀🎉" in text
    # The right edge of each bucket's list sits in the same terminal column on every row.
    from rich.cells import cell_len

    rows = [line for line in lines if "▎" in line]
    edges = {tuple(cell_len(line[:i]) for i, ch in enumerate(line) if ch == "▎") for line in rows}
    assert len(edges) == 1, edges


async def test_details_open_with_enter_and_show_history(db):
    [deal_id] = seed(db, Opportunity("Website revamp", account="Acme", notes="[b]not bold[/b]"))
    with repository(db) as repo:
        repo.log(_activity(deal_id))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        body = str(pilot.app.screen.query_one("#details-body").render())
        assert "Acme" in body and "[b]not bold[/b]" in body
        assert "created → Above the Funnel" in body
        assert "research call" in body or "45 min" in body
        await pilot.press("escape")
        await pilot.pause()
        assert funnel(pilot.app)


async def test_help_lists_every_key_and_the_flag_marks(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = pilot.app.screen.text()
        for words in ("Add a deal", "Mark the selected deal lost", "Undo the latest change", "next action overdue"):
            assert words in text
        await pilot.press("escape")
        await pilot.pause()
        assert funnel(pilot.app)


async def test_command_palette_offers_the_deal_actions(db):
    seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        app = pilot.app
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for label in ("Add", "Edit", "Move on", "Won", "Lost", "Delete", "Go to Today", "Help"):
            assert any(t.startswith(label + " ") for t in titles), label
        # Move back cannot run above the funnel, so the palette does not offer it.
        assert not any(t.startswith("Move back") for t in titles)
        # Choosing a command runs the action on the selected deal.
        [won] = [c for c in app.get_system_commands(app.screen) if c.title.startswith("Won ")]
        await won.callback()
        await pilot.pause()
        await pilot.press("enter")  # the won dialog: today and the deal's value, as preset
        await pilot.pause()
    with repository(db) as repo:
        [deal] = repo.list()
        assert deal.bucket is Bucket.WON


async def test_screens_switch_with_number_keys(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        for key, name in (("2", "TodayScreen"), ("3", "WeekScreen"), ("4", "InsightsScreen"),
                          ("5", "ProfileScreen"), ("1", "FunnelScreen")):
            await pilot.press(key)
            await pilot.pause()
            assert type(pilot.app.screen).__name__ == name


async def test_a_change_elsewhere_shows_when_the_funnel_comes_back(db):
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        app = pilot.app
        app.apply(lambda: app.core.add(Opportunity("Elsewhere")))
        await pilot.press("1")
        await pilot.pause()
        assert funnel(app).selected.title == "Elsewhere"


async def test_changes_made_elsewhere_show_when_the_terminal_regains_focus(db):
    from textual import events

    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        seed(db, Opportunity("Added from the command line"))
        pilot.app.post_message(events.AppFocus())
        await pilot.pause()
        assert funnel(pilot.app).selected.title == "Added from the command line"



async def test_after_a_move_and_its_undo_the_funnel_is_what_a_fresh_start_shows(db):
    """A change re-reads only the deal it wrote; another window's change to another deal shows
    when the terminal regains focus, and nothing this window shows goes stale."""
    from textual import events

    moved, other = seed(db, Opportunity("Website revamp", account="Acme"), Opportunity("Audit", account="Initech"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        app = pilot.app
        await pilot.press("greater_than_sign")
        await pilot.pause()
        with repository(db) as elsewhere:  # another instance renames the other deal meanwhile
            elsewhere.update(replace(elsewhere.get(other), title="Security audit"))
        await pilot.press("u")
        await pilot.pause()
        assert funnel(app).bucket_list(Bucket.ABOVE).deals[moved].bucket is Bucket.ABOVE
        app.post_message(events.AppFocus())
        await pilot.pause()
        assert funnel(app).bucket_list(Bucket.ABOVE).deals[other].title == "Security audit"
        with repository(db) as fresh:
            assert app.core.snapshot() == fresh.snapshot(app.core.today)

async def test_ten_thousand_deals_open_and_scroll(db):
    deals = [
        Opportunity(f"Deal {i:05d}", account=f"Account {i % 97}", value_cents=i * 100,
                    bucket=(Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)[i % 3],
                    next_action="Call", next_action_due=date(2026, 3, 1 + i % 28))
        for i in range(10_000)
    ]
    with repository(db) as repo:
        repo.import_opportunities(deals, on=TODAY)
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        screen = funnel(pilot.app)
        above = screen.bucket_list(Bucket.ABOVE)
        assert above.option_count == 3334
        await pilot.press("end")
        await pilot.pause()
        assert above.highlighted == 3333
        await pilot.press("pageup", "k", "k")
        await pilot.pause()
        assert above.highlighted < 3333
        assert above.scroll_offset.y > 0
        await pilot.press("a", *"One more", "enter")
        await pilot.pause()
        assert above.option_count == 3335


async def test_a_bad_database_shows_the_problem_screen_and_q_quits(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    async with PlannerApp(db=str(bad)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        from planner.ui.screens.problem import ProblemScreen

        assert isinstance(pilot.app.screen, ProblemScreen)
        assert "database" in pilot.app.screen.message.lower()
        await pilot.press("2")  # other screens are not offered
        assert isinstance(pilot.app.screen, ProblemScreen)
        await pilot.press("q")
        await pilot.pause()
    assert bad.read_bytes() == b"this is not a database at all" * 100


async def test_a_bad_planner_today_is_explained_not_a_traceback(db, monkeypatch):
    monkeypatch.setenv("PLANNER_TODAY", "next tuesday")
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert type(screen).__name__ == "ProblemScreen"
        assert "PLANNER_TODAY" in str(screen.query_one("#problem-message").render())
        assert "cannot start" in str(screen.query_one("#problem-title").render())


async def test_a_write_refused_by_the_database_is_shown_and_changes_nothing(db):
    from planner.errors import DatabaseProblem

    seed(db, Opportunity("Website revamp"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        app = pilot.app

        def refuse(*args, **kwargs):
            raise DatabaseProblem("the database is locked by another program; try again in a moment")

        app.core._repo.move_deal = refuse
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert any("locked" in m for m in notifications(app))
        assert not app.core.can_undo
        assert funnel(app).selected.bucket is Bucket.ABOVE


def test_a_deal_card_is_always_three_lines_whatever_the_text():
    from planner.ui.widgets.bucket_list import CARD_LINES, deal_card

    for text in ("plain", "two\nlines", "para\u2028graph", "tab\there", "", "[b]x[/b]\r\n", "网站 🚀"):
        deal = Opportunity(text or "t", id=1, account=text, next_action=text, next_action_due=TODAY)
        card = deal_card(deal, (), TODAY)
        assert len(card.plain.split("\n")) == CARD_LINES, repr(text)


def _activity(deal_id: int):
    from planner.domain.models import Activity

    return Activity(kind=ActivityKind.CALL, minutes=45, on=TODAY, opportunity_id=deal_id, note="research call")


def _screen_lines(app) -> list[str]:
    """The screen as plain text, one string per terminal row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def test_first_frame_imports_only_what_the_funnel_needs(db, tmp_path):
    """Start-up budget (SPEC §5, STYLE.md): opening an existing database to the funnel pulls in
    neither the ORM nor the other screens nor the rare features, and exits on the benchmark hook."""
    import json
    import os
    import subprocess
    import sys

    seed(db, Opportunity("Website revamp"))
    code = (
        "import json, sys\n"
        "from planner.app import PlannerApp\n"
        "app = PlannerApp(sys.argv[1]); app.run(headless=True)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = dict(os.environ, PLANNER_EXIT_AFTER_FIRST_FRAME="1")
    out = subprocess.run([sys.executable, "-c", code, db], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not {"sqlmodel", "sqlalchemy", "pendulum", "icalendar", "csv", "planner.demo", "planner.csvio"} & loaded
    assert not {f"planner.ui.screens.{s}" for s in ("today", "week", "insights", "profile", "deal", "modals")} & loaded
    assert "planner.ui.screens.funnel" in loaded


async def test_amounts_are_read_and_shown_in_the_databases_currency_and_convention(db):
    """SPEC §4 "Amounts on input", in the TUI: with the decimal comma chosen, 3.000 is three
    thousand; without it, it is refused as ambiguous; the funnel shows the database's currency."""
    from planner.domain.settings import Settings

    with repository(db) as repo:
        repo.save_settings(Settings(currency="EUR", decimal_comma=True))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("a", *"Workshop", "tab", "tab", *"3.000", "enter")
        await pilot.pause()
        summary = str(pilot.app.screen.query_one("#col-above .bucket-summary").render())
        assert "3.000 €" in summary
    with repository(db) as repo:
        [deal] = repo.list()
        assert deal.value_cents == 300_000
        repo.save_settings(Settings(currency="EUR"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("a", *"Audit", "tab", "tab", *"3.000", "enter")
        await pilot.pause()
        error = str(pilot.app.screen.query_one(".dialog-error").render())
        assert "ambiguous" in error and "decimal comma" in error
        pilot.app.screen.query_one("#value").value = "USD 3000"
        await pilot.press("enter")
        await pilot.pause()
        assert "is in USD, but this database keeps amounts in EUR" in str(pilot.app.screen.query_one(".dialog-error").render())


async def test_the_first_amount_typed_with_a_currency_makes_it_the_databases(db):
    """A database without a currency takes the one the first amount names, in the add dialog or
    the edit form: an amount in another currency is refused after that, never added up with it."""
    from textual.widgets import Input

    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("a", *"Relaunch")
        await pilot.pause()
        pilot.app.screen.query_one("#value", Input).value = "18 500,00 €"  # as pasted: keys are ASCII
        await pilot.press("enter")
        await pilot.pause()
        assert "€18,500" in str(pilot.app.screen.query_one("#col-above .bucket-summary").render())
        # Said as information, not as one of the method's warnings (nothing is wrong with the deal).
        [said] = [n for n in pilot.app._notifications if "currency is now" in n.message]
        assert said.message.startswith("The database's currency is now EUR, the one this amount names")
        assert (said.title, said.severity) == ("Also changed", "information")
        assert not [n for n in pilot.app._notifications if (n.title or "").startswith("The method warns")]
        await pilot.press("a", *"Audit")
        await pilot.pause()
        pilot.app.screen.query_one("#value", Input).value = "$3,000"
        await pilot.press("enter")
        await pilot.pause()
        error = str(pilot.app.screen.query_one(".dialog-error").render())
        assert "is in $, but this database keeps amounts in EUR" in error
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        form = pilot.app.screen
        form.query_one("#value", Input).value = "USD 20,000"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "is in USD, but this database keeps amounts in EUR" in str(form.query_one(".dialog-error").render())
        form.query_one("#value", Input).value = "1,5"
        await pilot.press("ctrl+s")
        await pilot.pause()
    with repository(db) as repo:
        assert repo.settings().currency == "EUR"
        assert [(d.title, d.value_cents) for d in repo.list()] == [("Relaunch", 150)]


async def test_the_edit_form_gives_a_database_without_one_its_currency(db):
    seed(db, Opportunity("Audit", value_cents=100_000))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        pilot.app.screen.query_one("#value").value = "CHF 2'500.50"
        await pilot.press("ctrl+s")
        await pilot.pause()
    with repository(db) as repo:
        assert repo.settings().currency == "CHF"
        assert [d.value_cents for d in repo.list()] == [250_050]


async def test_won_asks_for_the_close_day_and_final_value_with_today_and_the_value_preset(db):
    quick, later = seed(
        db,
        Opportunity("Closing", bucket=Bucket.BEST_FEW, value_cents=1_200_000, next_action="Sign",
                    next_action_due=TODAY),
        Opportunity("Signed last week", bucket=Bucket.BEST_FEW, value_cents=900_000,
                    next_action="Chase", next_action_due=date(2026, 3, 5)),
    )
    async with PlannerApp(db=db).run_test(size=(80, 24)) as pilot:
        await pilot.press("l", "l", "w")
        await pilot.pause()
        dialog = pilot.app.screen
        assert pilot.app.focused.id == "closed_on"
        assert (dialog.query_one("#closed_on").value, dialog.query_one("#final_value").value) == (
            "2026-03-04", "12,000")
        await pilot.press("enter")  # both as preset
        await pilot.pause()
        with repository(db) as repo:
            won = repo.get(quick)
            assert (won.bucket, won.closed_on, won.value_cents) == (Bucket.WON, TODAY, 1_200_000)
        await pilot.press("w")
        await pilot.pause()
        dialog = pilot.app.screen
        dialog.query_one("#closed_on").value = "fri"  # the Friday just gone, not the next one
        dialog.query_one("#final_value").value = "8,500"
        await pilot.press("enter")
        await pilot.pause()
        with repository(db) as repo:
            won = repo.get(later)
            assert (won.bucket, won.closed_on, won.value_cents) == (Bucket.WON, date(2026, 2, 27), 850_000)
        await pilot.press("u")  # the value and the bucket come back together
        await pilot.pause()
        with repository(db) as repo:
            back = repo.get(later)
            assert (back.bucket, back.closed_on, back.value_cents) == (Bucket.BEST_FEW, None, 900_000)


async def test_won_refuses_a_day_ahead_in_one_line_and_changes_nothing(db):
    [deal_id] = seed(db, Opportunity("Closing", bucket=Bucket.BEST_FEW, value_cents=500_000))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("l", "l", "w")
        await pilot.pause()
        pilot.app.screen.query_one("#closed_on").value = "tomorrow"
        await pilot.press("enter")
        await pilot.pause()
        error = str(pilot.app.screen.query_one(".dialog-error").render())
        assert "after today" in error and "\n" not in error.strip()
        pilot.app.screen.query_one("#closed_on").value = "today"
        pilot.app.screen.query_one("#final_value").value = "lots"
        await pilot.press("enter")
        await pilot.pause()
        assert "lots" in str(pilot.app.screen.query_one(".dialog-error").render())
        await pilot.press("escape")
        await pilot.pause()
    with repository(db) as repo:
        deal = repo.get(deal_id)
        assert (deal.bucket, deal.closed_on, deal.value_cents) == (Bucket.BEST_FEW, None, 500_000)


async def test_add_takes_contact_source_expected_close_and_the_criteria_met(db):
    from planner.domain.models import Criterion, CriterionKind

    with repository(db) as repo:
        size = repo.save_criterion(Criterion("10 to 200 employees", CriterionKind.DEMOGRAPHIC, 2))
        repo.save_criterion(Criterion("Values quality", CriterionKind.PSYCHOGRAPHIC, 3))
    async with PlannerApp(db=db).run_test(size=(80, 24)) as pilot:
        await pilot.press("a", *"Data platform", "tab", *"Globex", "tab", *"45000", "tab", *"Dana Lee", "tab",
                          *"+6w", "tab", *"Call Dana", "tab", *"fri", "tab", *"referral from Initech", "tab")
        assert pilot.app.focused.id == f"criterion-{size}"
        await pilot.press("space")  # ticks it (and with it: reviewed)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert funnel(pilot.app).selected.title == "Data platform"
    with repository(db) as repo:
        [deal] = repo.list()
    assert (deal.title, deal.account, deal.value_cents, deal.contact, deal.source) == (
        "Data platform", "Globex", 4_500_000, "Dana Lee", "referral from Initech")
    assert deal.expected_close == date(2026, 4, 15)  # six weeks after Wednesday 2026-03-04
    assert (deal.next_action, deal.next_action_due) == ("Call Dana", date(2026, 3, 6))
    assert deal.criteria_met == frozenset({size}) and deal.criteria_reviewed


async def test_add_with_no_criterion_ticked_leaves_the_fit_unreviewed_unless_said(db):
    from planner.domain.models import Criterion, CriterionKind

    with repository(db) as repo:
        repo.save_criterion(Criterion("Region", CriterionKind.DEMOGRAPHIC, 2))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        await pilot.press("a", *"Unreviewed", "enter")
        await pilot.pause()
        await pilot.press("a", *"Meets none", *["tab"] * 9)
        assert pilot.app.focused.id == "criteria-reviewed"
        await pilot.press("space", "ctrl+s")
        await pilot.pause()
        await pilot.press("a", *"Bad close", *["tab"] * 4, *"someday", "enter")
        await pilot.pause()
        assert "someday" in str(pilot.app.screen.query_one(".dialog-error").render())
    with repository(db) as repo:
        deals = {d.title: (d.criteria_met, d.criteria_reviewed) for d in repo.list()}
    assert deals == {"Unreviewed": (frozenset(), False), "Meets none": (frozenset(), True)}


async def test_the_latest_change_and_what_u_does_stay_in_view_at_80_and_120_columns(db):
    """At 80 columns the screen names leave the latest change no room on their row: it goes whole
    onto the rows under them, with what `u` or `ctrl+r` would do never split; at 120 it fits beside
    them. `U` redoes as well as ctrl+r (a browser keeps ctrl+r for itself)."""
    seed(db, Opportunity("Customer research sprint for the regional hospital network"))
    async with PlannerApp(db=db).run_test(size=(80, 24)) as pilot:
        app = pilot.app
        bar = app.screen.query_one(".screen-bar")
        await pilot.press("greater_than_sign")
        await pilot.pause()
        rows = bar_rows(bar)
        moved = "Moved “Customer research sprint for the regional hospital network” to In the Funnel"
        assert len(rows) >= 2 and rows[0].startswith(" 1 Funnel  2 Today  3 Week  4 Insights  5 Profile ")
        assert bar_says(app, moved) and rows[-1].endswith("· u undoes"), rows
        assert all(cell_len(row) <= 80 for row in rows) and bar.size.height == len(rows)
        await pilot.press("u")
        await pilot.pause()
        rows = bar_rows(bar)
        assert bar_says(app, f"Undone: {moved}") and rows[-1].endswith("· ctrl+r redoes"), rows
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        rows = bar_rows(bar)
        # Room for the whole change on one row under the names (they stay).
        assert rows[0].startswith(" 1 Funnel  2 Today  3 Week  4 Insights  5 Profile ")
        assert [row.rstrip() for row in rows[1:]] == [f"✓ Undone: {moved} · ctrl+r redoes"], rows
        await pilot.press("U")  # redo
        await pilot.pause()
        assert bar_says(app, f"Redone: {moved}") and bar_rows(bar)[-1].endswith(" · u undoes")
        with repository(db) as repo:
            assert repo.list()[0].bucket is Bucket.IN
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert bar_says(app, "Moved “Customer research sprint for the regional hospital network” to Above the Funnel")


async def test_a_deal_given_a_sooner_next_action_moves_up_its_bucket(db):
    """Each bucket lists its deals by next action, due soonest first, those without one last."""
    later, sooner, none = seed(db, Opportunity("Later", next_action="Call", next_action_due=date(2026, 3, 20)),
                               Opportunity("Sooner", next_action="Call", next_action_due=date(2026, 3, 10)),
                               Opportunity("No date"))
    async with PlannerApp(db=db).run_test(size=SIZE) as pilot:
        above = funnel(pilot.app).bucket_list(Bucket.ABOVE)
        assert [o.id for o in above.options] == [str(sooner), str(later), str(none)]
        above.highlighted = 2  # "No date", last
        await pilot.press("n", *"Send the offer", "tab", *"fri", "enter")
        await pilot.pause()
        assert [o.id for o in above.options] == [str(none), str(sooner), str(later)]
        assert above.selected_id == none
