"""Every use case of the core, with its undo and redo (SPEC §2 "every change … can be undone (and
redone), whichever screen made it"). Plain pytest: what the core returns, and what the database
holds afterwards, read through a second repository."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from planner.core.core import Core
from planner.domain.models import Activity, ActivityKind, Bucket, Criterion, CriterionKind, Influence, Opportunity, Role
from planner.errors import BadInput, Conflict
from planner.store import open_repository

from .conftest import TODAY

MONDAY = date(2026, 3, 2)


def stored(db):
    return open_repository(str(db))


def test_add_returns_the_new_deal_and_undo_redo_take_it_away_and_back(core, db):
    change = core.add(Opportunity("Website revamp", account="Acme"), bucket=Bucket.IN)
    assert change.description == "Added “Website revamp” to In the Funnel"
    assert change.undoable and change.deal.bucket is Bucket.IN and change.value == change.deal_id
    # Entering the funnel lower down warns as moving there would (never blocks).
    assert "No buying influence is covered yet, so the sale is not confirmed possible." in change.warnings
    assert [d.title for d in core.snapshot().open_deals] == ["Website revamp"]

    assert core.undo().description == "Undone: Added “Website revamp” to In the Funnel"
    with stored(db) as repo:
        assert repo.list() == []
    assert core.snapshot().open_deals == ()
    redone = core.redo()
    assert redone.description == "Redone: Added “Website revamp” to In the Funnel"
    with stored(db) as repo:
        [deal] = repo.list()
        assert (deal.id, deal.bucket) == (change.deal_id, Bucket.IN)  # the same id again
        assert [m.to_bucket for m in repo.moves(deal.id)] == [Bucket.IN]


def test_a_deal_added_above_was_first_contacted_today_unless_said_lower_down_unknown(core):
    """SPEC §3.2: a deal entering Above the Funnel starts its cycle the day it entered; one added
    straight into In or Best Few has an unknown first contact unless it is given. The one default,
    for the add dialog, Today's `p` and `planner add` alike."""
    assert core.add(Opportunity("Prospect")).deal.first_contact == TODAY
    assert core.add(Opportunity("Referral"), bucket=Bucket.IN).deal.first_contact is None
    assert core.add(Opportunity("Contract", bucket=Bucket.BEST_FEW)).deal.first_contact is None
    met = TODAY - timedelta(days=20)
    assert core.add(Opportunity("Met at a fair", first_contact=met)).deal.first_contact == met
    assert core.add(Opportunity("Old lead", first_contact=met), bucket=Bucket.IN).deal.first_contact == met


def test_edit_writes_only_the_given_fields_and_is_undone_exactly(core, db):
    deal = core.add(Opportunity("Audit", account="Initech", notes="first call went well")).deal
    change = core.edit(deal.id, {"contact": "Dana", "value_cents": 800_000}, base=deal)
    assert change.description == "Saved “Audit”"
    assert (change.deal.contact, change.deal.value_cents, change.deal.notes) == ("Dana", 800_000, "first call went well")
    core.undo()
    with stored(db) as repo:
        assert (repo.get(deal.id).contact, repo.get(deal.id).value_cents) == ("", 0)
    core.redo()
    with stored(db) as repo:
        assert repo.get(deal.id).contact == "Dana"
    with pytest.raises(BadInput, match="cannot edit bucket"):
        core.edit(deal.id, {"bucket": Bucket.WON})
    assert core.edit(deal.id, {}, base=core.deal(deal.id)).changed is False


def test_move_on_and_back_keeps_a_history_without_holes(core, db):
    deal = core.add(Opportunity("Audit")).deal
    moved = core.move(deal.id, Bucket.IN, expected_from=Bucket.ABOVE)
    assert moved.description == "Moved “Audit” to In the Funnel"
    assert moved.warnings  # no covered influence: warned, moved anyway
    assert moved.deal.bucket is Bucket.IN
    core.move(deal.id, Bucket.BEST_FEW, expected_from=Bucket.IN)
    core.undo()
    core.undo()
    with stored(db) as repo:
        assert repo.get(deal.id).bucket is Bucket.ABOVE
        assert [m.to_bucket for m in repo.moves(deal.id)] == [Bucket.ABOVE]
    core.redo()
    core.redo()
    with stored(db) as repo:
        moves = repo.moves(deal.id)
        assert [(m.from_bucket, m.to_bucket) for m in moves] == [
            (None, Bucket.ABOVE), (Bucket.ABOVE, Bucket.IN), (Bucket.IN, Bucket.BEST_FEW)]
        assert repo.get(deal.id).entered_bucket_on == TODAY
    # Already there: nothing changes, nothing to undo.
    assert core.move(deal.id, Bucket.BEST_FEW).changed is False


def test_won_with_its_close_day_and_final_value_and_reopened(core, db):
    deal = core.add(Opportunity("Audit", value_cents=500_000), bucket=Bucket.BEST_FEW).deal
    won = core.won(deal.id, expected_from=Bucket.BEST_FEW, closed_on=TODAY - timedelta(days=2), value_cents=650_000)
    assert won.description == "Marked “Audit” won on 2026-03-02"
    assert (won.deal.bucket, won.deal.closed_on, won.deal.value_cents) == (Bucket.WON, date(2026, 3, 2), 650_000)
    assert won.warnings == ()
    reopened = core.reopen(deal.id)  # back where it closed from
    assert reopened.description == "Reopened “Audit” in Best Few"
    assert (reopened.deal.bucket, reopened.deal.closed_on) == (Bucket.BEST_FEW, None)
    core.undo()
    core.undo()
    with stored(db) as repo:
        back = repo.get(deal.id)
        assert (back.bucket, back.closed_on, back.value_cents) == (Bucket.BEST_FEW, None, 500_000)
    with pytest.raises(BadInput, match="after today"):
        core.won(deal.id, closed_on=TODAY + timedelta(days=1))
    with pytest.raises(BadInput, match="only for lost"):
        core.move(deal.id, Bucket.WON, reason="price")
    with pytest.raises(BadInput, match="only won or lost deals are reopened"):
        core.reopen(deal.id)


def test_lost_with_a_reason(core, db):
    deal = core.add(Opportunity("Audit")).deal
    lost = core.lost(deal.id, "went with a cheaper offer", expected_from=Bucket.ABOVE)
    assert lost.description == "Marked “Audit” lost: went with a cheaper offer"
    with stored(db) as repo:
        assert (repo.get(deal.id).bucket, repo.get(deal.id).lost_reason) == (Bucket.LOST, "went with a cheaper offer")


def test_delete_and_its_undo_bring_back_the_whole_history_under_the_same_id(core, db):
    deal = core.add(Opportunity("Audit", influences=(Influence("Lee", Role.ECONOMIC),))).deal
    core.move(deal.id, Bucket.IN)
    core.log_time(Activity(ActivityKind.CALL, 45, TODAY, opportunity_id=deal.id, note="kick-off"))
    deleted = core.delete(deal.id, base=core.deal(deal.id))
    assert deleted.description == "Deleted “Audit”" and deleted.deal is None
    with stored(db) as repo:
        assert repo.list() == []
    core.undo()
    with stored(db) as repo:
        back = repo.get(deal.id)
        assert (back.bucket, [i.name for i in back.influences]) == (Bucket.IN, ["Lee"])
        assert [m.to_bucket for m in repo.moves(deal.id)] == [Bucket.ABOVE, Bucket.IN]
        assert [a.note for a in repo.activities(deal.id)] == ["kick-off"]
    core.redo()
    with stored(db) as repo:
        assert repo.list() == []


def test_log_time_on_its_day_on_a_deal_and_on_prospecting(core, db):
    deal = core.add(Opportunity("Audit"), bucket=Bucket.BEST_FEW).deal
    on_deal = core.log_time(Activity(ActivityKind.MEETING, 90, TODAY - timedelta(days=1), opportunity_id=deal.id))
    assert on_deal.description == "Logged 90 min meeting on “Audit” on Tue 03 Mar"
    assert on_deal.value.bucket is Bucket.BEST_FEW and on_deal.value.on == date(2026, 3, 3)
    prospecting = core.log_time(Activity(ActivityKind.RESEARCH, 30, TODAY))
    assert prospecting.description == "Logged 30 min prospecting research (prospecting)"
    assert core.snapshot().week_minutes[Bucket.ABOVE] == 30
    assert core.snapshot().week_minutes[Bucket.BEST_FEW] == 90
    core.undo()
    assert core.snapshot().week_minutes[Bucket.ABOVE] == 0
    core.undo()
    with stored(db) as repo:
        assert repo.activities() == []
        assert repo.get(deal.id).last_touched_on == TODAY  # back to what its history says
    core.redo()
    with stored(db) as repo:
        assert [a.id for a in repo.activities()] == [on_deal.value.id]  # the same row again
    with pytest.raises(BadInput, match="after today"):
        core.log_time(Activity(ActivityKind.CALL, 30, TODAY + timedelta(days=1)))
    with pytest.raises(BadInput, match="more than 0"):
        core.log_time(Activity(ActivityKind.CALL, 0, TODAY))


def test_next_action_set_rescheduled_and_done(core, db):
    deal = core.add(Opportunity("Audit")).deal
    deal = core.set_next_action(deal.id, "Send the proposal", TODAY + timedelta(days=2), base=deal).deal
    assert core.undo_description == "Next action for “Audit”: Send the proposal (due 2026-03-06)"
    deal = core.reschedule(deal.id, TODAY + timedelta(days=7), base=deal).deal
    assert core.undo_description == "Rescheduled “Audit” to Wed 11 Mar"
    done = core.done_next_action(deal.id, base=deal)
    assert done.description == "Done: Send the proposal (“Audit”)"
    assert (done.deal.next_action, done.deal.next_action_due) == ("", None)
    assert core.done_next_action(deal.id, base=done.deal).changed is False
    for _ in range(3):
        core.undo()
    with stored(db) as repo:
        assert (repo.get(deal.id).next_action, repo.get(deal.id).next_action_due) == ("", None)


def test_influences_and_criteria_met(core, db):
    criterion = core.criteria()
    assert criterion == []
    fit = core.add_criterion(Criterion("50–500 employees", weight=3)).value
    deal = core.add(Opportunity("Audit", influences=(Influence("Lee", Role.ECONOMIC),
                                                     Influence("Kim", Role.TECHNICAL)))).deal
    covered = list(deal.influences)
    covered[1] = Influence("Kim", Role.TECHNICAL, covered=True, id=covered[1].id)
    change = core.set_influences(deal.id, covered, base=deal)
    assert change.description == "Covered Kim (Technical Buyer) on “Audit”"
    change = core.set_criteria_met(deal.id, [fit], base=change.deal)
    assert change.deal.criteria_met == frozenset({fit})
    core.undo()
    core.undo()
    with stored(db) as repo:
        back = repo.get(deal.id)
        assert [i.covered for i in back.influences] == [False, False]
        assert back.criteria_met == frozenset()
        assert [i.id for i in back.influences] == [i.id for i in deal.influences]


def test_criteria_added_edited_deleted_and_the_delete_undone_gives_deals_their_fit_back(core, db):
    added = core.add_criterion(Criterion("Values quality", CriterionKind.PSYCHOGRAPHIC, 2))
    assert added.description == "Added criterion Values quality"
    criterion = core.criteria()[0]
    deal = core.add(Opportunity("Audit", criteria_met=frozenset({criterion.id}))).deal
    edited = core.edit_criterion(Criterion("Values quality over price", criterion.kind, 3, criterion.id), base=criterion)
    assert edited.description == "Saved criterion Values quality over price"
    core.delete_criterion(criterion.id, base=core.criteria()[0])
    assert core.deal(deal.id).criteria_met == frozenset()
    assert core.snapshot().open_deals[0].criteria_met == frozenset()  # every deal re-read
    core.undo()  # the delete
    assert core.deal(deal.id).criteria_met == frozenset({criterion.id})
    assert core.criteria()[0].name == "Values quality over price"
    core.undo()  # the edit
    assert (core.criteria()[0].name, core.criteria()[0].weight) == ("Values quality", 2)
    with pytest.raises(BadInput, match="weight is 1, 2 or 3"):
        core.edit_criterion(Criterion("x", weight=4, id=criterion.id))


def test_a_setting_saved_undone_and_redone(core, db):
    change = core.set_setting("cycle_days", "90")
    assert (change.description, change.value) == ("Normal sales cycle (days) set to 90", 90)  # the Profile's name
    assert core.status().cycle.days == 90
    core.undo()
    assert core.settings().cycle_days == 60 and core.status().cycle.days == 60
    core.redo()
    with stored(db) as repo:
        assert repo.settings().cycle_days == 90
    assert core.set_setting("pass_rate.in", "auto").description == "Pass rate In the Funnel set to auto"
    with pytest.raises(BadInput, match="between"):
        core.set_setting("hours_per_week", "0")
    with pytest.raises(BadInput, match="unknown setting"):
        core.set_setting("colour", "blue")


def test_this_weeks_hours_leave_the_normal_week_alone(core, db):
    change = core.set_week_hours("20")
    assert change.description == "Selling hours this week: 20 h (the normal week stays 15 h)"
    assert core.status().allocation.hours_per_week == 20
    assert core.week_plan().hours == 20
    assert core.settings().hours_per_week == 15
    with stored(db) as repo:
        assert repo.snapshot(TODAY).week_hours == 20
        assert repo.snapshot(MONDAY + timedelta(days=7)).week_hours is None  # next week is normal
        assert repo.snapshot(MONDAY - timedelta(days=1)).week_hours is None
    core.set_setting("hours_per_week", "12")
    assert core.week_plan().hours == 20  # the normal week changed; this week's stays
    assert core.set_week_hours("normal").description == "This week back to the normal week (12 h)"
    assert core.week_plan().hours == 12
    core.undo()
    assert core.week_plan().hours == 20
    with pytest.raises(BadInput):
        core.set_week_hours("lots")


def test_the_own_split_set_warned_below_the_floor_and_cleared(core, db):
    change = core.set_own_split({Bucket.ABOVE: 10, Bucket.IN: 50, Bucket.BEST_FEW: 40})
    assert change.description == "Your split: Above 10 %, In 50 %, Best Few 40 %"
    assert change.warnings and "prospecting floor of 15 %" in change.warnings[0]
    assert core.week_plan().is_custom and core.week_plan().split[Bucket.ABOVE] == 10
    assert core.set_own_split(None).description == "Back to the suggested split"
    assert not core.week_plan().is_custom
    core.undo()
    assert core.settings().user_split == {Bucket.ABOVE: 10, Bucket.IN: 50, Bucket.BEST_FEW: 40}
    for bad in ({Bucket.ABOVE: 10, Bucket.IN: 50, Bucket.BEST_FEW: 50}, {Bucket.ABOVE: 100},
                {Bucket.ABOVE: -10, Bucket.IN: 70, Bucket.BEST_FEW: 40}):
        with pytest.raises(BadInput):
            core.set_own_split(bad)


def test_check_in_counts_the_streak_and_is_undone(core, db):
    with stored(db) as repo:
        repo.record_checkin(TODAY - timedelta(days=1))
    change = core.check_in()
    assert change.description == "Check-in done · 2-day streak"
    assert core.snapshot().checked_in_today
    assert core.check_in().changed is False
    core.undo()
    assert not core.snapshot().checked_in_today
    core.redo()
    with stored(db) as repo:
        assert repo.checkin_streak(TODAY) == 2


def test_undo_and_redo_follow_each_other_in_order_and_a_new_change_ends_redo(core):
    deal = core.add(Opportunity("Audit")).deal
    core.set_setting("cycle_days", "90")
    core.move(deal.id, Bucket.IN)
    assert core.undo().description == "Undone: Moved “Audit” to In the Funnel"
    assert core.undo().description == "Undone: Normal sales cycle (days) set to 90"
    assert core.redo_description == "Normal sales cycle (days) set to 90"
    core.set_setting("goal_wins_per_month", "3")
    assert not core.can_redo
    assert core.redo().changed is False
    assert core.undo().description == "Undone: Wins wanted per month set to 3"
    assert core.undo().description == "Undone: Added “Audit” to Above the Funnel"
    assert core.undo().description == "Nothing to undo"


def test_the_week_calendar_never_goes_over_the_database(core, db, tmp_path):
    core.add(Opportunity("Audit"))
    before = db.read_bytes()
    for target in (str(db), str(db) + "-wal", str(db) + "-shm"):
        with pytest.raises(BadInput, match="database itself"):
            core.write_week_calendar(target)
    assert db.read_bytes() == before
    written = core.write_week_calendar(tmp_path / "week.ics")
    assert written.value.read_bytes().startswith(b"BEGIN:VCALENDAR")
    with pytest.raises(BadInput, match="type a file path"):
        core.write_week_calendar("  ")


def test_a_core_opens_today_from_the_one_clock(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNER_TODAY", "next tuesday")
    with pytest.raises(BadInput, match="PLANNER_TODAY"):
        Core.open(str(tmp_path / "x.db"))
    assert not (tmp_path / "x.db").exists()  # refused before the file was touched


def test_undo_puts_the_days_derived_from_history_back(core, db):
    """The day a deal entered its bucket and was last touched follow its history: after undoing a
    move made today, the deal has been in its old bucket since the day it entered it (the stale
    flag and the stays are measured from it)."""
    earlier = TODAY - timedelta(days=10)
    with stored(db) as repo:
        deal_id = repo.add(Opportunity("Audit"), on=earlier)
    core.refresh()
    core.move(deal_id, Bucket.IN, expected_from=Bucket.ABOVE)
    core.log_time(Activity(ActivityKind.CALL, 30, TODAY, opportunity_id=deal_id))
    core.undo()
    core.undo()
    back = core.deal(deal_id)
    assert (back.entered_bucket_on, back.last_touched_on) == (earlier, earlier)
    core.redo()
    moved = core.deal(deal_id)
    assert (moved.bucket, moved.entered_bucket_on, moved.last_touched_on) == (Bucket.IN, TODAY, TODAY)


def test_import_reads_the_file_with_the_databases_money_and_writes_all_or_nothing(core, db, tmp_path):
    core.set_setting("decimal_comma", "yes")
    source = tmp_path / "deals.csv"
    source.write_text("Title;Stage;Value\nAudit;Qualified;12.500,50\nWebsite;Lead;900\n", encoding="utf-8")
    assert core.snapshot().open_deals == ()

    dry = core.import_file(source, dry_run=True)
    assert dry.changed is False and len(dry.value.new) == 2
    with stored(db) as repo:
        assert repo.list() == []  # a dry run writes nothing

    change = core.import_file(source)
    assert change.description == f"Imported 2 deals from {source}" and change.changed
    assert not change.undoable  # thousands of deals at once: the backup is the way back
    # The core's own picture follows at once (no stale snapshot after an import).
    shown = {d.title: d.value_cents for d in core.snapshot().open_deals}
    assert shown == {"Audit": 1_250_050, "Website": 90_000}

    bad = tmp_path / "bad.csv"
    bad.write_text("Title;Value\nOne;12\nTwo;twelve\n", encoding="utf-8")
    with pytest.raises(BadInput):
        core.import_file(bad)
    assert len(core.deals()) == 2


def test_export_and_backup_are_written_through_the_one_writer(core, db, tmp_path, monkeypatch):
    core.add(Opportunity("Audit"))
    exported = core.write_export("csv", tmp_path / "deals.csv")
    assert exported.value.count == 1 and exported.value.path.read_text(encoding="utf-8").startswith("id,")
    for target in (str(db), str(db) + "-wal", str(db) + "-shm"):
        with pytest.raises(BadInput, match="database itself"):
            core.write_export("json", target)
        with pytest.raises(BadInput, match="database itself"):
            core.backup(target)
    backup = core.backup().value  # beside the database, timestamped
    assert backup.parent == db.parent and backup.name.startswith("planner-backup-")
    with pytest.raises(BadInput, match="already exists"):
        core.backup(backup)
    # "-" is the command line's stdout, never a file name (the app's file dialogs refuse it too).
    monkeypatch.chdir(tmp_path)
    for write in (lambda: core.write_export("csv", "-"), lambda: core.backup(" - "), lambda: core.write_week_calendar("-")):
        with pytest.raises(BadInput, match="'-' is not a file name; type a file path for the"):
            write()
    assert not (tmp_path / "-").exists()


def test_restore_puts_a_backup_in_place_and_keeps_the_current_database(db, tmp_path):
    with Core.open(str(db)) as core:
        core.add(Opportunity("Kept in the backup"))
        backup = core.backup(tmp_path / "copy.db").value
        core.add(Opportunity("Made after the backup"))
    change = Core.restore(backup, str(db))  # with no connection to the database open
    assert change.value.deals == 1 and change.value.kept is not None
    assert change.description.startswith(f"Restored 1 deal from {backup} into {db}")
    with Core.open(str(db)) as core:
        assert [d.title for d in core.deals()] == ["Kept in the backup"]
    with Core.open(str(change.value.kept)) as before:
        assert len(before.deals()) == 2


def test_a_currency_adopted_by_a_change_is_undone_and_redone_with_it(core, other, db):
    """The first amount that names a currency makes it the database's: one step with the change
    that named it, so one undo takes back both, one redo makes both again, and both say so."""
    added = core.add(Opportunity("Relaunch", value_cents=1_850_000), currency="EUR")
    assert added.description == "Added “Relaunch” to Above the Funnel; currency set to EUR"
    assert added.notices and added.notices[0].startswith("the database's currency is now EUR")
    assert core.undo_description == added.description
    assert core.undo().description == "Undone: Added “Relaunch” to Above the Funnel; currency set to EUR"
    with stored(db) as repo:
        assert (repo.list(), repo.settings().currency) == ([], "")
    assert not core.can_undo
    assert core.redo().description == "Redone: Added “Relaunch” to Above the Funnel; currency set to EUR"
    with stored(db) as repo:
        assert ([d.title for d in repo.list()], repo.settings().currency) == (["Relaunch"], "EUR")
    core.undo()

    # An edit and a win with a final value adopt it the same way; a deal already in the currency does not.
    deal = core.add(Opportunity("Audit")).deal
    saved = core.edit(deal.id, {"value_cents": 500_000}, base=deal, currency="USD")
    assert saved.description == "Saved “Audit”; currency set to USD"
    core.undo()
    with stored(db) as repo:
        assert (repo.get(deal.id).value_cents, repo.settings().currency) == (0, "")
    won = core.won(deal.id, expected_from=Bucket.ABOVE, value_cents=700_000, currency="GBP")
    assert won.description == "Marked “Audit” won; currency set to GBP"
    assert core.add(Opportunity("Later", value_cents=100), currency="GBP").description == "Added “Later” to Above the Funnel"
    core.undo()
    core.undo()
    with stored(db) as repo:
        assert (repo.get(deal.id).bucket, repo.settings().currency) == (Bucket.ABOVE, "")

    # Changed elsewhere since: the undo is refused whole and nothing of it is taken back, whichever
    # part changed (the currency is undone first, then the deal: one transaction, rolled back).
    workshop = core.add(Opportunity("Workshop"), currency="EUR").deal
    other.edit(workshop.id, {"notes": "called back"})
    with pytest.raises(Conflict, match="“Workshop” has changed since"):
        core.undo()
    with stored(db) as repo:
        assert (repo.get(workshop.id).notes, repo.settings().currency) == ("called back", "EUR")
    other.set_setting("currency", "none")
    core.add(Opportunity("Coaching"), currency="EUR")
    other.set_setting("currency", "CHF")
    with pytest.raises(Conflict, match="the setting “Currency” has changed since"):
        core.undo()
    with stored(db) as repo:
        assert ([d.title for d in repo.list()], repo.settings().currency) == (["Audit", "Workshop", "Coaching"], "CHF")
