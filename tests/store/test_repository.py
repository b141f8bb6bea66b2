"""The repository keeps what the user entered, exactly, and reads the funnel back in one go."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from planner.domain.models import (
    Activity,
    ActivityKind,
    Bucket,
    Criterion,
    CriterionKind,
    Influence,
    Move,
    Opportunity,
    Role,
)
from planner.domain.settings import Settings, with_setting
from planner.errors import BadInput, DatabaseProblem, NotFound
from planner.store import open_repository

from .conftest import MONDAY

TRICKY_TEXT = [
    "[bold]x[/] [red",
    "北京咨询有限公司",
    "Café 🚀👩‍💻 déjà vu",
    "line one\nline two\ttab",
    "'; DROP TABLE opportunity; --",
    "=HYPERLINK(\"http://evil\")",
    "100% _under_ \\ back",
]


def full_deal(**changes) -> Opportunity:
    base = Opportunity(
        title="Acme: website revamp",
        bucket=Bucket.IN,
        account="Acme Ltd",
        contact="Ana Ruiz",
        value_cents=1_234_567,
        first_contact=date(2026, 10, 1),
        expected_close=date(2026, 12, 15),
        next_action="Send proposal",
        next_action_due=date(2026, 11, 25),
        source="referral",
        notes="Budget confirmed",
        money=True,
        authority=False,
        need=True,
        influences=(
            Influence("Ana Ruiz", Role.ECONOMIC, covered=True),
            Influence("Tom", Role.TECHNICAL, covered=False),
        ),
    )
    from dataclasses import replace

    return replace(base, **changes)


def same_fields(stored: Opportunity, given: Opportunity) -> None:
    for field in (
        "title", "bucket", "account", "contact", "value_cents", "first_contact", "expected_close",
        "next_action", "next_action_due", "source", "notes", "money", "authority", "need", "criteria_met",
    ):
        assert getattr(stored, field) == getattr(given, field), field
    assert [(i.name, i.role, i.covered) for i in stored.influences] == [
        (i.name, i.role, i.covered) for i in given.influences
    ]


# --- round trips ------------------------------------------------------------------------------


def test_every_field_of_a_deal_comes_back_as_entered(repo):
    deal = full_deal()
    opp_id = repo.add(deal, on=MONDAY)
    stored = repo.get(opp_id)
    same_fields(stored, deal)
    assert stored.id == opp_id
    assert stored.created_on == stored.entered_bucket_on == stored.last_touched_on == MONDAY
    assert all(i.id is not None for i in stored.influences)


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_any_text_is_kept_as_text(repo, text):
    opp_id = repo.add(
        Opportunity(title=text, account=text, contact=text, notes=text, next_action=text, source=text,
                    influences=(Influence(text, Role.COACH),)),
        on=MONDAY,
    )
    stored = repo.get(opp_id)
    assert (stored.title, stored.account, stored.contact, stored.notes, stored.next_action, stored.source) == (text,) * 6
    assert stored.influences[0].name == text
    act = repo.log(Activity(ActivityKind.OTHER, 5, MONDAY, opportunity_id=opp_id, note=text))
    assert [a.note for a in repo.activities(opp_id) if a.id == act] == [text]
    crit = repo.save_criterion(Criterion(text, CriterionKind.PSYCHOGRAPHIC, 2))
    assert repo.criteria() == [Criterion(text, CriterionKind.PSYCHOGRAPHIC, 2, id=crit)]
    assert repo.list(search=text)[0].id == opp_id


@pytest.mark.parametrize("cents", [0, 1, 99, 10_000_000_001, 2**53 + 1, 9_223_372_036_854_775_807])
def test_money_is_exact_to_the_cent(repo, cents):
    opp_id = repo.add(Opportunity(title="x", value_cents=cents), on=MONDAY)
    assert repo.get(opp_id).value_cents == cents


def test_update_rewrites_fields_influences_and_criteria_but_not_the_bucket(repo):
    c1 = repo.save_criterion(Criterion("Software", CriterionKind.DEMOGRAPHIC, 3))
    c2 = repo.save_criterion(Criterion("Quality", CriterionKind.PSYCHOGRAPHIC, 1))
    opp_id = repo.add(full_deal(criteria_met=frozenset({c1})), on=MONDAY)
    before = repo.get(opp_id)
    kept = before.influences[0]
    edited = full_deal(
        id=opp_id,
        title="Acme: bigger revamp",
        bucket=Bucket.BEST_FEW,  # ignored: only move() changes the bucket
        value_cents=5,
        expected_close=None,
        next_action_due=None,
        money=False,
        criteria_met=frozenset({c2}),
        influences=(kept, Influence("Zoë", Role.USER, covered=True)),
    )
    repo.update(edited)
    after = repo.get(opp_id)
    assert after.bucket is Bucket.IN
    same_fields(after, full_deal(**{k: getattr(edited, k) for k in ("title", "value_cents", "expected_close",
                                                                  "next_action_due", "money", "criteria_met",
                                                                  "influences")}))
    assert after.influences[0].id == kept.id  # an influence keeps its id across edits
    with pytest.raises(NotFound):
        repo.update(full_deal(id=999))


def test_set_influences_and_criteria_met(repo):
    opp_id = repo.add(Opportunity(title="x"), on=MONDAY)
    repo.set_influences(opp_id, [Influence("Eve", Role.ECONOMIC, True)])
    assert [(i.name, i.role, i.covered) for i in repo.get(opp_id).influences] == [("Eve", Role.ECONOMIC, True)]
    c = repo.save_criterion(Criterion("Region: EU"))
    repo.set_criteria_met(opp_id, [c])
    assert repo.get(opp_id).criteria_met == {c}
    with pytest.raises(NotFound):
        repo.set_criteria_met(opp_id, [c, 4242])
    assert repo.get(opp_id).criteria_met == {c}  # the failed call changed nothing
    repo.delete_criterion(c)
    assert repo.get(opp_id).criteria_met == frozenset() and repo.criteria() == []
    with pytest.raises(NotFound):
        repo.set_influences(999, [])


def test_criterion_update_and_unknown_ids(repo):
    c = repo.save_criterion(Criterion("Size: 10-50", CriterionKind.DEMOGRAPHIC, 1))
    assert repo.save_criterion(Criterion("Size: 10-200", CriterionKind.DEMOGRAPHIC, 3, id=c)) == c
    assert repo.criteria() == [Criterion("Size: 10-200", CriterionKind.DEMOGRAPHIC, 3, id=c)]
    with pytest.raises(NotFound):
        repo.save_criterion(Criterion("x", id=77))
    with pytest.raises(NotFound):
        repo.delete_criterion(77)


def test_unknown_id_is_not_found_a_bad_input(repo):
    with pytest.raises(NotFound, match="no opportunity with id 41"):
        repo.get(41)
    with pytest.raises(BadInput):
        repo.move(41, Bucket.IN, on=MONDAY)
    with pytest.raises(NotFound):
        repo.log(Activity(ActivityKind.CALL, 10, MONDAY, opportunity_id=41))
    with pytest.raises(NotFound):
        repo.delete(41)
    with pytest.raises(NotFound):
        repo.delete_activity(41)
    assert repo.activities() == []


def test_list_orders_by_funnel_then_due_date_then_id_and_filters(repo):
    a = repo.add(Opportunity(title="no due", bucket=Bucket.IN), on=MONDAY)
    b = repo.add(Opportunity(title="later", bucket=Bucket.IN, next_action_due=date(2026, 12, 1)), on=MONDAY)
    c = repo.add(Opportunity(title="sooner", bucket=Bucket.IN, next_action_due=date(2026, 11, 24)), on=MONDAY)
    d = repo.add(Opportunity(title="top", account="Globex"), on=MONDAY)
    e = repo.add(Opportunity(title="closing", bucket=Bucket.BEST_FEW), on=MONDAY)
    f = repo.add(Opportunity(title="done", bucket=Bucket.WON), on=MONDAY)
    assert [o.id for o in repo.list()] == [d, c, b, a, e, f]
    assert [o.id for o in repo.list(Bucket.IN)] == [c, b, a]
    assert [o.id for o in repo.open_deals()] == [d, c, b, a, e]
    assert [o.id for o in repo.list(search="GLOBEX")] == [d]
    assert repo.list(search="%") == []  # wildcards are literal
    assert [o.id for o in repo.export_rows()] == [a, b, c, d, e, f]


def test_settings_round_trip_and_reset_to_default(repo):
    assert repo.settings() == Settings()
    changed = with_setting(with_setting(Settings(), "hours_per_week", 22.5), "pass_rate.in", 0.7)
    repo.save_settings(changed)
    assert repo.settings() == changed
    repo.save_settings(Settings())
    assert repo.settings() == Settings()


# --- moves, activities, history -----------------------------------------------------------------


def test_moves_are_history_and_update_the_deal(repo):
    opp_id = repo.add(Opportunity(title="x"), on=date(2026, 11, 1))
    move = repo.move(opp_id, Bucket.IN, on=date(2026, 11, 10))
    assert (move.from_bucket, move.to_bucket, move.at.date(), move.at.tzinfo) == (Bucket.ABOVE, Bucket.IN, date(2026, 11, 10), UTC)
    repo.move(opp_id, Bucket.BEST_FEW, on=date(2026, 11, 20))
    repo.move(opp_id, Bucket.LOST, on=date(2026, 11, 22), reason="went with a bigger firm")
    moves = repo.moves(opp_id)
    assert [(m.from_bucket, m.to_bucket, m.at.date()) for m in moves] == [
        (None, Bucket.ABOVE, date(2026, 11, 1)),
        (Bucket.ABOVE, Bucket.IN, date(2026, 11, 10)),
        (Bucket.IN, Bucket.BEST_FEW, date(2026, 11, 20)),
        (Bucket.BEST_FEW, Bucket.LOST, date(2026, 11, 22)),
    ]
    lost = repo.get(opp_id)
    assert (lost.bucket, lost.closed_on, lost.lost_reason) == (Bucket.LOST, date(2026, 11, 22), "went with a bigger firm")
    assert (lost.entered_bucket_on, lost.last_touched_on) == (date(2026, 11, 22), date(2026, 11, 22))
    # Reopening clears the closing.
    repo.move(opp_id, Bucket.IN, on=MONDAY)
    reopened = repo.get(opp_id)
    assert (reopened.bucket, reopened.closed_on, reopened.lost_reason) == (Bucket.IN, None, "")
    with pytest.raises(BadInput, match="already in"):
        repo.move(opp_id, Bucket.IN, on=MONDAY)
    assert len(repo.moves(opp_id)) == 5


def test_won_sets_closed_on(repo):
    opp_id = repo.add(Opportunity(title="x", bucket=Bucket.BEST_FEW), on=date(2026, 11, 1))
    repo.move(opp_id, Bucket.WON, on=date(2026, 11, 20))
    won = repo.get(opp_id)
    assert (won.bucket, won.closed_on, won.lost_reason) == (Bucket.WON, date(2026, 11, 20), "")


def test_log_counts_time_for_the_deals_bucket_and_touches_it(repo):
    opp_id = repo.add(Opportunity(title="x", bucket=Bucket.BEST_FEW), on=date(2026, 11, 1))
    first = repo.log(Activity(ActivityKind.CALL, 30, date(2026, 11, 24), opportunity_id=opp_id, bucket=Bucket.IN))
    repo.log(Activity(ActivityKind.RESEARCH, 45, date(2026, 11, 25), note="list of prospects"))
    repo.log(Activity(ActivityKind.EMAIL, 5, date(2026, 11, 3), opportunity_id=opp_id))  # back-dated
    acts = repo.activities()
    assert [(a.kind, a.minutes, a.on, a.bucket, a.opportunity_id) for a in acts] == [
        (ActivityKind.RESEARCH, 45, date(2026, 11, 25), Bucket.ABOVE, None),
        (ActivityKind.CALL, 30, date(2026, 11, 24), Bucket.BEST_FEW, opp_id),
        (ActivityKind.EMAIL, 5, date(2026, 11, 3), Bucket.BEST_FEW, opp_id),
    ]
    assert len(repo.activities(opp_id)) == 2 and len(repo.activities(limit=1)) == 1
    assert repo.get(opp_id).last_touched_on == date(2026, 11, 24)  # the back-dated call does not rewind it
    assert repo.minutes_by_bucket(MONDAY, MONDAY + timedelta(days=7)) == {
        Bucket.ABOVE: 45, Bucket.IN: 0, Bucket.BEST_FEW: 30,
    }
    repo.delete_activity(first)
    assert repo.get(opp_id).last_touched_on == date(2026, 11, 3)


def test_history_numbers_from_a_hand_made_history(repo):
    # Deal A: above 10 d → in 20 d → best_few 5 d → won.  Cycle: first contact 40 days before the win.
    a = repo.add(Opportunity(title="A", first_contact=date(2026, 1, 1)), on=date(2026, 1, 1))
    repo.move(a, Bucket.IN, on=date(2026, 1, 11))
    repo.move(a, Bucket.BEST_FEW, on=date(2026, 1, 31))
    repo.move(a, Bucket.WON, on=date(2026, 2, 5))
    # Deal B: above 4 d → lost (an exit that did not pass).
    b = repo.add(Opportunity(title="B", first_contact=date(2026, 1, 1)), on=date(2026, 1, 1))
    repo.move(b, Bucket.LOST, on=date(2026, 1, 5))
    # Deal C: above 6 d → in 3 d → back to above (an exit from In that did not pass) and still there.
    c = repo.add(Opportunity(title="C"), on=date(2026, 2, 1))
    repo.move(c, Bucket.IN, on=date(2026, 2, 7))
    repo.move(c, Bucket.ABOVE, on=date(2026, 2, 10))
    # Deal D: won without a first contact → no cycle sample; E: won imported with both dates → 30 days.
    d = repo.add(Opportunity(title="D", bucket=Bucket.BEST_FEW), on=date(2026, 3, 1))
    repo.move(d, Bucket.WON, on=date(2026, 3, 8))
    repo.import_opportunities(
        [Opportunity(title="E", bucket=Bucket.WON, first_contact=date(2025, 5, 1), closed_on=date(2025, 5, 31))],
        on=date(2026, 3, 9),
    )
    h = repo.history()
    # A and E are measured (35 and 30 days); D entered Best Few with no first contact: unknown.
    assert (h.cycle_samples, h.median_cycle_days) == (2, 32.5)  # the mean of the two middle ones
    above, in_, best = h.bucket(Bucket.ABOVE), h.bucket(Bucket.IN), h.bucket(Bucket.BEST_FEW)
    # One outcome per closed deal per bucket: A passed all three, B failed Above, D passed Best
    # Few; C is open (pending) and E was never open.
    assert (above.passed, above.failed, above.stays) == (1, 1, 3)
    assert round(above.median_dwell_days) == 6  # stays of 4, 6 and 10 days
    assert (in_.passed, in_.failed, in_.stays) == (1, 0, 1)  # C's move back up ended nothing
    assert round(in_.median_dwell_days) == 20
    # D's week in Best Few began before it was added (an unknown day): only A's 5 days are a stay.
    assert (best.passed, best.failed, best.stays) == (2, 0, 1)
    assert round(best.median_dwell_days) == 5


def test_a_deal_that_skips_a_bucket_has_passed_it_and_a_move_back_is_no_outcome(repo):
    """SPEC §3.2: six referrals moved Above → Best Few → Won pass Above, In and Best Few; a deal
    moved back up and won later passes every bucket once; a deal lost after moving back fails
    only where it was lost."""
    first = date(2026, 1, 1)
    for n in range(6):
        ref = repo.add(Opportunity(title=f"referral {n}", first_contact=first), on=first)
        repo.move(ref, Bucket.BEST_FEW, on=date(2026, 1, 8))
        repo.move(ref, Bucket.WON, on=date(2026, 1, 20))
    zigzag = repo.add(Opportunity(title="zigzag", first_contact=first), on=first)
    for to, day in ((Bucket.IN, 5), (Bucket.BEST_FEW, 10), (Bucket.IN, 12), (Bucket.BEST_FEW, 20), (Bucket.WON, 25)):
        repo.move(zigzag, to, on=date(2026, 1, day))
    back = repo.add(Opportunity(title="fell back", first_contact=first), on=first)
    for to, day in ((Bucket.IN, 5), (Bucket.BEST_FEW, 10), (Bucket.IN, 12), (Bucket.LOST, 20)):
        repo.move(back, to, on=date(2026, 1, day))
    h = repo.history()
    above, in_, best = h.bucket(Bucket.ABOVE), h.bucket(Bucket.IN), h.bucket(Bucket.BEST_FEW)
    assert (above.passed, above.failed) == (8, 0)
    assert (in_.passed, in_.failed) == (7, 1)  # six skipped it, zigzag passed, fell back was lost there
    assert (best.passed, best.failed) == (7, 0)  # fell back left Best Few by moving back: no outcome
    # Stays: a skipped bucket contributes none; a move back ends none.
    assert (above.stays, in_.stays, best.stays) == (8, 4, 7)


def test_an_unknown_first_contact_is_not_measured_and_a_prospect_starts_its_cycle_when_entered(repo):
    for n in range(3):  # added straight into Best Few, won four days later: no cycle sample
        quick = repo.add(Opportunity(title=f"quick {n}", bucket=Bucket.BEST_FEW), on=date(2026, 3, 2))
        repo.move(quick, Bucket.WON, on=date(2026, 3, 6))
    prospect = repo.add(Opportunity(title="entered above"), on=date(2026, 1, 1))  # no first contact given
    repo.move(prospect, Bucket.WON, on=date(2026, 3, 2))
    h = repo.history()
    assert (h.cycle_samples, h.median_cycle_days) == (1, 60)


def test_the_cycle_is_measured_over_the_most_recent_25_wins(repo):
    old = [repo.add(Opportunity(title=f"old {n}", first_contact=date(2024, 1, 1)), on=date(2024, 1, 1))
           for n in range(10)]
    for opp in old:
        repo.move(opp, Bucket.WON, on=date(2024, 7, 19))  # 200 days
    for n in range(25):
        recent = repo.add(Opportunity(title=f"recent {n}", first_contact=date(2026, 1, 1)), on=date(2026, 1, 1))
        repo.move(recent, Bucket.WON, on=date(2026, 3, 2 + n % 3))  # 60–62 days
    h = repo.history()
    assert (h.cycle_samples, h.median_cycle_days, h.measurable_wins) == (25, 61, 26)
    assert sum(b.count for b in repo.cycle_distribution()) == 25


def test_snapshot_holds_what_the_engine_needs_for_today(repo):
    today = date(2026, 11, 25)  # Wednesday; the week is 23–29 November
    c = repo.save_criterion(Criterion("Software", CriterionKind.DEMOGRAPHIC, 3))
    repo.save_settings(with_setting(Settings(), "hours_per_week", 12))
    old = repo.add(Opportunity(title="old top"), on=date(2026, 11, 2))
    fresh = repo.add(Opportunity(title="new top", criteria_met=frozenset({c})), on=MONDAY)
    back = repo.add(Opportunity(title="fell back", bucket=Bucket.IN), on=date(2026, 10, 1))
    repo.move(back, Bucket.ABOVE, on=date(2026, 11, 24))  # entered Above this week by a move
    closing = repo.add(full_deal(bucket=Bucket.BEST_FEW), on=date(2026, 10, 1))
    won = repo.add(Opportunity(title="won", bucket=Bucket.BEST_FEW), on=date(2026, 10, 1))
    repo.move(won, Bucket.WON, on=date(2026, 11, 3))
    lastmonth = repo.add(Opportunity(title="won in october", bucket=Bucket.BEST_FEW), on=date(2026, 9, 1))
    repo.move(lastmonth, Bucket.WON, on=date(2026, 10, 30))
    repo.log(Activity(ActivityKind.CALL, 50, date(2026, 11, 24), opportunity_id=closing))
    repo.log(Activity(ActivityKind.RESEARCH, 40, date(2026, 11, 29)))
    repo.log(Activity(ActivityKind.RESEARCH, 99, date(2026, 11, 22)))  # last week
    for day in (date(2026, 11, 22), date(2026, 11, 23), date(2026, 11, 24)):
        repo.record_checkin(day)

    snap = repo.snapshot(today)
    assert snap.today == today and snap.settings.hours_per_week == 12
    assert {o.id for o in snap.open_deals} == {old, fresh, back, closing}
    by_id = {o.id: o for o in snap.open_deals}
    assert by_id[fresh].criteria_met == {c}
    assert [i.name for i in by_id[closing].influences] == ["Ana Ruiz", "Tom"]
    assert by_id[back].entered_bucket_on == date(2026, 11, 24)
    assert snap.criteria == (Criterion("Software", CriterionKind.DEMOGRAPHIC, 3, id=c),)
    assert snap.week_minutes == {Bucket.ABOVE: 40, Bucket.IN: 0, Bucket.BEST_FEW: 50}
    assert snap.prospects_this_week == 1  # "new top" entered the planner there; "fell back" is no new prospect
    assert snap.prospects_today == 0
    assert snap.won_this_month == 1
    assert (snap.checkin_streak, snap.checked_in_today) == (3, False)
    assert snap.history == repo.history()


def test_checkin_streak_counts_consecutive_days_ending_today_or_yesterday(repo):
    assert repo.checkin_streak(MONDAY) == 0
    for day in (date(2026, 11, 18), date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)):
        repo.record_checkin(day)
    repo.record_checkin(date(2026, 11, 22))  # twice on one day counts once
    assert repo.checkin_streak(MONDAY) == 3  # 20, 21, 22: yesterday's streak still stands
    repo.record_checkin(MONDAY)
    assert repo.checkin_streak(MONDAY) == 4
    assert repo.snapshot(MONDAY).checked_in_today
    assert repo.checkin_streak(MONDAY + timedelta(days=2)) == 0  # a missed day breaks it
    assert repo.checkin_streak(date(2026, 11, 21)) == 2  # what it was back then


# --- undo -----------------------------------------------------------------------------------------


def _everything(repo, opp_id):
    state = repo.capture(opp_id)
    return state, repo.history(), repo.minutes_by_bucket(date(2026, 1, 1), date(2027, 1, 1))


@pytest.fixture
def busy_deal(repo):
    c = repo.save_criterion(Criterion("Software", CriterionKind.DEMOGRAPHIC, 3))
    opp_id = repo.add(full_deal(bucket=Bucket.ABOVE, criteria_met=frozenset({c})), on=date(2026, 11, 2))
    repo.move(opp_id, Bucket.IN, on=date(2026, 11, 9))
    repo.log(Activity(ActivityKind.MEETING, 60, date(2026, 11, 10), opportunity_id=opp_id, note="kick-off"))
    return opp_id


@pytest.mark.parametrize(
    "change",
    [
        lambda r, i: r.update(full_deal(id=i, title="renamed", influences=(), value_cents=1)),
        lambda r, i: r.move(i, Bucket.BEST_FEW, on=MONDAY),
        lambda r, i: r.move(i, Bucket.WON, on=MONDAY),
        lambda r, i: r.move(i, Bucket.LOST, on=MONDAY, reason="budget cut"),
        lambda r, i: r.delete(i),
        lambda r, i: r.log(Activity(ActivityKind.CALL, 15, MONDAY, opportunity_id=i)),
        lambda r, i: r.set_influences(i, [Influence("New", Role.USER)]),
        lambda r, i: r.set_criteria_met(i, []),
    ],
    ids=["edit", "move", "won", "lost", "delete", "log", "influences", "criteria"],
)
def test_restore_undoes_any_change_exactly(repo, busy_deal, change):
    before = _everything(repo, busy_deal)
    change(repo, busy_deal)
    assert _everything(repo, busy_deal) != before
    repo.restore(before[0])
    assert _everything(repo, busy_deal) == before
    assert repo.get(busy_deal).id == busy_deal


def test_undo_of_add_removes_the_deal_and_its_history(repo):
    opp_id = repo.add(Opportunity(title="oops"), on=MONDAY)
    repo.log(Activity(ActivityKind.CALL, 5, MONDAY, opportunity_id=opp_id))
    from planner.store import DealState

    repo.restore(DealState(opportunity_id=opp_id, opportunity=None))
    with pytest.raises(NotFound):
        repo.get(opp_id)
    assert repo.activities() == [] and repo.history().bucket(Bucket.ABOVE).stays == 0


def test_a_deleted_id_is_never_reused_so_undo_can_put_it_back(repo):
    first = repo.add(Opportunity(title="first"), on=MONDAY)
    state = repo.delete(first)
    second = repo.add(Opportunity(title="second"), on=MONDAY)
    assert second != first
    repo.restore(state)
    assert repo.get(first).title == "first" and repo.get(second).title == "second"


# --- import ---------------------------------------------------------------------------------------


def test_import_keeps_everything_and_records_creation_moves(repo):
    existing = repo.add(Opportunity(title="already here"), on=MONDAY)
    opps = [
        full_deal(title=f"Deal {n} 🚀", bucket=[Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW][n % 3], value_cents=n)
        for n in range(50)
    ] + [Opportunity(title="old win", bucket=Bucket.WON, first_contact=date(2025, 1, 1), closed_on=date(2025, 3, 2))]
    ids = repo.import_opportunities(opps, on=MONDAY)
    assert len(ids) == 51 and len(set(ids)) == 51 and existing not in ids
    for opp_id, given in zip(ids, opps):
        stored = repo.get(opp_id)
        same_fields(stored, given)
        assert [(m.from_bucket, m.to_bucket, m.at.date()) for m in repo.moves(opp_id)] == [(None, given.bucket, MONDAY)]
    win = repo.get(ids[-1])
    assert (win.first_contact, win.closed_on) == (date(2025, 1, 1), date(2025, 3, 2))
    assert (repo.history().cycle_samples, repo.history().median_cycle_days) == (1, 60)
    assert repo.add(Opportunity(title="after"), on=MONDAY) > max(ids)


def test_import_is_all_or_nothing(repo):
    repo.add(Opportunity(title="already here"), on=MONDAY)
    bad = Opportunity(title=None)  # type: ignore[arg-type]  # a row the database refuses
    with pytest.raises(DatabaseProblem, match="NOT NULL"):
        repo.import_opportunities([Opportunity(title="good 1"), bad, Opportunity(title="good 2")], on=MONDAY)
    assert [o.title for o in repo.list()] == ["already here"]
    assert len(repo.moves(repo.list()[0].id)) == 1


# --- backup and threads ---------------------------------------------------------------------------


def test_backup_is_a_consistent_owner_only_copy(repo, tmp_path):
    opp_id = repo.add(full_deal(), on=MONDAY)
    target = tmp_path / "copies" / "backup.db"
    repo.backup(str(target))
    assert target.stat().st_mode & 0o777 == 0o600
    with open_repository(str(target)) as copy:
        same_fields(copy.get(opp_id), full_deal())
    # Backing up again over the old copy replaces it.
    repo.add(Opportunity(title="later"), on=MONDAY)
    repo.backup(str(target))
    with open_repository(str(target)) as copy:
        assert len(copy.list()) == 2
    assert sorted(p.name for p in target.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["backup.db"]


def test_usable_from_a_worker_thread(repo):
    import threading

    results: list[object] = []

    def work() -> None:
        for n in range(20):
            results.append(repo.add(Opportunity(title=f"t{n}"), on=MONDAY))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(20):
        repo.snapshot(MONDAY)
    for t in threads:
        t.join()
    assert len(results) == 60 and len(repo.list()) == 60


def test_move_object_round_trip(repo):
    opp_id = repo.add(Opportunity(title="x"), on=MONDAY)
    move = repo.move(opp_id, Bucket.IN, on=MONDAY)
    assert repo.moves(opp_id)[-1] == move
    assert isinstance(move, Move)


def test_the_store_builds_opportunities_in_the_models_field_order():
    """`_to_opportunity` passes fields by position for speed; a field inserted into the middle of
    Opportunity must not silently shift values (fields added at the end are fine)."""
    import dataclasses

    names = [f.name for f in dataclasses.fields(Opportunity)]
    assert names[:22] == [
        "title", "id", "bucket", "account", "contact", "value_cents", "first_contact", "expected_close",
        "closed_on", "next_action", "next_action_due", "source", "notes", "money", "authority", "need",
        "lost_reason", "criteria_met", "influences", "created_on", "entered_bucket_on", "last_touched_on",
    ]


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_a_backup_onto_the_database_or_its_own_files_is_refused(repo, db_path, suffix):
    repo.add(Opportunity(title="kept"), on=MONDAY)
    with pytest.raises(BadInput, match="database itself"):
        repo.backup(f"{db_path}{suffix}")
    assert [o.title for o in repo.list()] == ["kept"]
    with open_repository(str(db_path)) as again:
        assert [o.title for o in again.list()] == ["kept"]


def test_moves_written_by_another_tool_are_measured_when_the_database_opens(db_path):
    """A database filled with plain SQL (a generator, a script) has moves without a measured stay:
    the next open measures them, so history() counts them like moves the planner made."""
    import sqlite3

    with open_repository(str(db_path)) as repo:
        made = repo.add(Opportunity(title="made by the planner"), on=date(2026, 1, 1))
        repo.move(made, Bucket.IN, on=date(2026, 1, 11))
        repo.move(made, Bucket.BEST_FEW, on=date(2026, 1, 31))
        expected = repo.history()
        other = repo.add(Opportunity(title="by a script", bucket=Bucket.IN), on=date(2026, 2, 1))
    con = sqlite3.connect(db_path)
    con.execute("DELETE FROM move WHERE opportunity_id = ?", (other,))
    con.executemany(
        "INSERT INTO move (opportunity_id, from_bucket, to_bucket, at) VALUES (?, ?, ?, ?)",
        [(other, "in", "best_few", "2026-02-05T09:00:00.000000Z"),  # no creation move kept: from 1 Feb
         (other, "best_few", "won", "2026-02-12T09:00:00.000000Z")],
    )
    con.commit()
    con.close()
    with open_repository(str(db_path)) as repo:
        h = repo.history()
    assert h.bucket(Bucket.ABOVE) == expected.bucket(Bucket.ABOVE)
    # The script's deal was added straight into In: its stay there began on an unknown day before
    # 1 February (censored, not a stay); its week in Best Few is measured.
    assert (h.bucket(Bucket.IN).stays, h.bucket(Bucket.IN).median_dwell_days) == (1, pytest.approx(20))
    assert (h.bucket(Bucket.BEST_FEW).stays, h.bucket(Bucket.BEST_FEW).median_dwell_days) == (1, pytest.approx(7))
    from planner.store.migrations import UNMEASURED_SQL

    con = sqlite3.connect(db_path)
    try:
        assert con.execute("SELECT censored, stay_days FROM move WHERE opportunity_id = ? ORDER BY at",
                           (other,)).fetchall() == [(1, None), (0, pytest.approx(7))]
        assert con.execute(UNMEASURED_SQL).fetchone() is None  # a censored stay is not measured again at open
    finally:
        con.close()


def test_two_instances_changing_different_settings_keep_both_changes(tmp_path):
    """Each instance saves a copy read before the other's change: neither undoes the other's."""
    path = str(tmp_path / "shared.db")
    with open_repository(path) as first, open_repository(path) as second:
        first_copy = first.settings()
        second_copy = second.settings()
        first.save_settings(with_setting(first_copy, "hours_per_week", 12))
        second.save_settings(with_setting(second_copy, "pass_rate.in", 0.7))
        for repo in (first, second):
            assert repo.settings().hours_per_week == 12
            assert repo.settings() == with_setting(with_setting(Settings(), "hours_per_week", 12), "pass_rate.in", 0.7)


def test_saving_settings_back_to_an_earlier_copy_writes_the_keys_it_changed(repo):
    """Putting settings back (an undo) writes the keys that differ from the last save."""
    before = repo.settings()
    repo.save_settings(with_setting(before, "hours_per_week", 12))
    repo.save_settings(before)
    assert repo.settings() == Settings()


def test_snapshot_after_changes_to_some_deals_equals_a_full_read(repo):
    """Re-reading only the changed deals gives the funnel a full read gives, in the same order,
    and the untouched deals are the very same objects."""
    today = MONDAY
    ids = [repo.add(Opportunity(title=f"deal {i}", bucket=b, next_action="call", next_action_due=due), on=today)
           for i, (b, due) in enumerate([(Bucket.ABOVE, date(2026, 11, 30)), (Bucket.ABOVE, None),
                                         (Bucket.IN, date(2026, 11, 24)), (Bucket.IN, date(2026, 12, 5)),
                                         (Bucket.BEST_FEW, None)])]
    first = repo.snapshot(today)

    def check(since, changed):
        again = repo.snapshot(today, since=since, changed=changed)
        full = repo.snapshot(today)
        assert again == full
        assert [d.id for d in again.open_deals] == [d.id for d in full.open_deals]
        old = {d.id: d for d in since.open_deals}
        assert all(d is old[d.id] for d in again.open_deals if d.id not in changed and d.id in old)
        return again

    before = repo.capture(ids[0])
    repo.move(ids[0], Bucket.IN, on=today)  # moves into the middle of In the Funnel by its due date
    moved = check(first, {ids[0]})
    assert [d.id for d in moved.open_deals] == [ids[1], ids[2], ids[0], ids[3], ids[4]]
    repo.log(Activity(ActivityKind.CALL, 30, today, opportunity_id=ids[3]))
    logged = check(moved, {ids[3]})
    assert logged.week_minutes[Bucket.IN] == 30
    repo.restore(before)  # undo the move: back on top
    restored = check(logged, {ids[0]})
    assert restored.open_deals[0].id == ids[0]
    repo.move(ids[4], Bucket.WON, on=today)  # leaves the funnel
    won = check(restored, {ids[4]})
    assert ids[4] not in {d.id for d in won.open_deals} and won.won_this_month == 1
    repo.delete(ids[1])
    check(won, {ids[1]})
    check(first, {ids[0], ids[1], ids[3], ids[4]})  # several changes since an older snapshot


def test_undo_puts_a_deal_back_with_its_history_measured_as_before(repo):
    """A deal restored by undo is measured from its moves again: where it entered, the highest
    bucket it reached and where it was lost count as they did (SPEC §3.2)."""
    first = date(2026, 1, 1)
    deal = repo.add(Opportunity(title="Audit", first_contact=first), on=first)
    repo.move(deal, Bucket.IN, on=date(2026, 1, 10))
    repo.move(deal, Bucket.LOST, on=date(2026, 1, 20))
    before = repo.history()
    state = repo.delete(deal)
    assert repo.history().bucket(Bucket.IN).failed == 0
    repo.restore(state)
    after = repo.history()
    assert after == before
    assert (after.bucket(Bucket.ABOVE).passed, after.bucket(Bucket.IN).failed) == (1, 1)
