"""Two instances on one database (SPEC §5, §6): what the other instance wrote is noticed, an
action computed from an older view is refused instead of overwriting, and undo and redo take back
or make again only this instance's own change — never deleting the other's rows, never leaving a
hole in the move history. `other` is a second Core on the same file (the CLI, a second window)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planner.domain.models import Activity, ActivityKind, Bucket, Criterion, Opportunity
from planner.errors import Conflict
from planner.store import open_repository

from .conftest import TODAY


def moves(db, deal_id):
    with open_repository(str(db)) as repo:
        return [(m.id, m.from_bucket, m.to_bucket) for m in repo.moves(deal_id)]


def test_poll_notices_only_the_other_instances_writes(core, other):
    core.snapshot()
    assert core.poll() is False
    core.add(Opportunity("Ours"))
    assert core.poll() is False  # its own write is not news (it refreshed itself)
    other.add(Opportunity("Theirs"))
    version = core.version
    assert core.poll() is True
    assert core.version > version
    assert {d.title for d in core.snapshot().open_deals} == {"Ours", "Theirs"}
    assert core.poll() is False


def test_a_move_from_a_stale_view_is_refused_and_leaves_the_deal_as_it_is(core, other, db):
    deal = core.add(Opportunity("Audit")).deal
    other.won(deal.id)  # the CLI marks it won; this instance's screen still shows it Above
    with pytest.raises(Conflict) as refused:
        core.move(deal.id, Bucket.IN, expected_from=Bucket.ABOVE)
    assert "“Audit” is in Won now, not Above the Funnel" in str(refused.value)
    assert "nothing was moved" in str(refused.value)
    assert core.snapshot().open_deals == ()  # refreshed: the screen shows it closed
    with open_repository(str(db)) as repo:
        assert repo.get(deal.id).bucket is Bucket.WON and repo.get(deal.id).closed_on == TODAY
    assert [to for _, _, to in moves(db, deal.id)] == [Bucket.ABOVE, Bucket.WON]


def test_an_edit_from_a_stale_view_is_refused_with_what_changed(core, other):
    deal = core.add(Opportunity("Audit")).deal
    other.edit(deal.id, {"contact": "Dana"})
    with pytest.raises(Conflict, match=r"changed in another window or from the command line since the screen "
                                       r"showed it \(contact\); nothing was saved"):
        core.set_next_action(deal.id, "Call", None, base=deal)
    assert core.deal(deal.id).next_action == ""
    # Made on the deal as it is now, the same change goes through and keeps the other's.
    saved = core.set_next_action(deal.id, "Call", None, base=core.deal(deal.id)).deal
    assert (saved.contact, saved.next_action) == ("Dana", "Call")


def test_time_logged_elsewhere_does_not_make_a_deal_stale(core, other):
    deal = core.add(Opportunity("Audit")).deal
    other.log_time(Activity(ActivityKind.CALL, 30, TODAY, opportunity_id=deal.id))
    assert core.edit(deal.id, {"contact": "Dana"}, base=deal).deal.contact == "Dana"


def test_actions_on_a_deal_deleted_elsewhere_say_so(core, other):
    deal = core.add(Opportunity("Audit")).deal
    other.delete(deal.id)
    for action in (lambda: core.move(deal.id, Bucket.IN, expected_from=Bucket.ABOVE),
                   lambda: core.edit(deal.id, {"notes": "x"}, base=deal),
                   lambda: core.delete(deal.id, base=deal)):
        with pytest.raises(Conflict, match="deleted in another window or from the command line"):
            action()


def test_undo_of_a_move_refuses_when_the_deal_moved_again_elsewhere_and_leaves_no_hole(core, other, db):
    deal = core.add(Opportunity("Audit")).deal
    core.move(deal.id, Bucket.IN)
    other.move(deal.id, Bucket.BEST_FEW)
    history = moves(db, deal.id)
    with pytest.raises(Conflict, match="^Not undone: Moved “Audit” to In the Funnel — “Audit” has changed since"):
        core.undo()
    assert moves(db, deal.id) == history  # every move kept, none in the middle taken out
    assert core.deal(deal.id).bucket is Bucket.BEST_FEW
    # The refused change has left the history: u now reaches the change before it.
    assert core.undo_description == "Added “Audit” to Above the Funnel"


def test_undo_of_an_add_never_deletes_the_other_instances_work_on_it(core, other, db):
    deal = core.add(Opportunity("Audit")).deal
    other.log_time(Activity(ActivityKind.CALL, 120, TODAY, opportunity_id=deal.id, note="theirs"))
    other.won(deal.id)
    with pytest.raises(Conflict):
        core.undo()
    with open_repository(str(db)) as repo:
        assert repo.get(deal.id).bucket is Bucket.WON
        assert [a.note for a in repo.activities(deal.id)] == ["theirs"]
        assert [to for _, _, to in moves(db, deal.id)] == [Bucket.ABOVE, Bucket.WON]


def test_undo_of_an_add_refuses_when_only_time_was_logged_on_it_elsewhere(core, other, db):
    deal = core.add(Opportunity("Audit")).deal
    other.log_time(Activity(ActivityKind.CALL, 120, TODAY, opportunity_id=deal.id, note="theirs"))
    with pytest.raises(Conflict):
        core.undo()
    with open_repository(str(db)) as repo:
        assert [a.note for a in repo.activities(deal.id)] == ["theirs"]


def test_undo_of_a_change_keeps_time_logged_elsewhere_meanwhile(core, other, db):
    deal = core.add(Opportunity("Audit")).deal
    core.set_next_action(deal.id, "Send proposal", None, base=deal)
    other.log_time(Activity(ActivityKind.CALL, 45, TODAY, opportunity_id=deal.id, note="logged elsewhere"))
    core.undo()  # time is its own thing: the next action goes, their call stays
    with open_repository(str(db)) as repo:
        assert repo.get(deal.id).next_action == ""
        assert [a.note for a in repo.activities(deal.id)] == ["logged elsewhere"]


def test_undo_of_logged_time_refuses_when_that_activity_is_gone(core, other, db):
    logged = core.log_time(Activity(ActivityKind.RESEARCH, 30, TODAY)).value
    with open_repository(str(db)) as repo:
        repo.delete_activity(logged.id)
    with pytest.raises(Conflict, match="the 30 min prospecting research logged has changed since"):
        core.undo()


def test_redo_refuses_when_the_deal_changed_after_the_undo(core, other, db):
    deal = core.add(Opportunity("Audit")).deal
    core.move(deal.id, Bucket.IN)
    core.undo()
    other.edit(deal.id, {"title": "Security audit"})
    with pytest.raises(Conflict, match="^Not redone: Moved “Audit” to In the Funnel — “Audit” has changed since"):
        core.redo()
    assert core.deal(deal.id).bucket is Bucket.ABOVE
    assert not core.can_redo


def test_undo_of_a_setting_refuses_when_another_instance_set_it_since(core, other, db):
    core.set_setting("cycle_days", "90")
    other.set_setting("cycle_days", "30")
    with pytest.raises(Conflict, match="the setting “Normal sales cycle \\(days\\)” has changed since"):
        core.undo()
    with open_repository(str(db)) as repo:
        assert repo.settings().cycle_days == 30


def test_undo_of_a_setting_keeps_other_settings_changed_elsewhere(core, other, db):
    core.set_setting("cycle_days", "90")
    other.set_setting("goal_wins_per_month", "3")
    core.undo()
    with open_repository(str(db)) as repo:
        assert (repo.settings().cycle_days, repo.settings().goal_wins_per_month) == (60, 3)


def test_undo_of_the_split_and_of_the_weeks_hours_refuse_after_a_change_elsewhere(core, other):
    core.set_own_split({Bucket.ABOVE: 40, Bucket.IN: 30, Bucket.BEST_FEW: 30})
    core.set_week_hours(20)
    other.set_week_hours(25)
    with pytest.raises(Conflict, match="this week's hours"):
        core.undo()
    other.set_own_split(None)
    with pytest.raises(Conflict, match="your split"):
        core.undo()
    assert core.settings().user_split is None and core.snapshot().week_hours == 25


def test_undo_of_a_criterion_added_refuses_once_a_deal_meets_it_elsewhere(core, other, db):
    added = core.add_criterion(Criterion("50–500 employees")).value
    deal = other.add(Opportunity("Audit")).deal
    other.set_criteria_met(deal.id, [added])
    with pytest.raises(Conflict, match="the criterion “50–500 employees” has changed since"):
        core.undo()
    with open_repository(str(db)) as repo:
        assert repo.get(deal.id).criteria_met == frozenset({added})


def test_a_criterion_edit_from_a_stale_view_is_refused(core, other):
    core.add_criterion(Criterion("Size", weight=1))
    shown = core.criteria()[0]
    other.edit_criterion(Criterion("Size", weight=3, id=shown.id))
    with pytest.raises(Conflict, match="changed in another window"):
        core.edit_criterion(Criterion("Company size", weight=1, id=shown.id), base=shown)
    assert other.criteria()[0].weight == 3


def test_the_snapshot_after_changes_is_what_a_fresh_read_gives(core, other, db):
    """The fast path (only the changed deal re-read) plus poll for the other instance's writes
    never leaves the cached view different from the database."""
    ids = [core.add(Opportunity(f"Deal {i}", next_action_due=TODAY + timedelta(days=i))).deal.id for i in range(6)]
    core.snapshot()
    core.move(ids[2], Bucket.IN)
    core.log_time(Activity(ActivityKind.CALL, 30, TODAY, opportunity_id=ids[4]))
    core.set_next_action(ids[0], "Call", TODAY + timedelta(days=30), base=core.deal(ids[0]))
    core.undo()
    other.edit(ids[5], {"title": "Renamed elsewhere"})
    core.poll()
    with open_repository(str(db)) as fresh:
        assert core.snapshot() == fresh.snapshot(TODAY)


def test_a_refused_undo_of_an_add_says_the_change_once_without_quotes_inside_quotes(core, other):
    deal = core.add(Opportunity("Audit")).deal
    other.edit(deal.id, {"notes": "called back"})
    with pytest.raises(Conflict) as refused:
        core.undo()
    assert str(refused.value) == (
        "Not undone: Added “Audit” to Above the Funnel — “Audit” has changed since (in another window or from the "
        "command line); nothing was changed")
