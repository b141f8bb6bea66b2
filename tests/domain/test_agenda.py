"""The Today check-in (SPEC §2): Best Few first, then prospecting, then In the Funnel."""

from engine_builders import TODAY, day, deal, snapshot

from planner.domain.agenda import agenda
from planner.domain.models import AgendaKind, Bucket, Influence, Role
from planner.domain.status import analyse

UNCOVERED = (Influence("Dana", Role.ECONOMIC, covered=True), Influence("Lee", Role.TECHNICAL))

DEALS = (
    deal(1, Bucket.BEST_FEW, title="Website", account="Acme", next_action="Send contract", next_action_due=day(3)),
    deal(2, Bucket.BEST_FEW, title="Audit", next_action="Chase signature", next_action_due=day(-2)),
    deal(3, Bucket.BEST_FEW, title="Training", next_action="", next_action_due=None),
    deal(4, Bucket.BEST_FEW, title="Coaching", next_action="Call CFO", next_action_due=TODAY),
    deal(5, Bucket.ABOVE, title="Lead A", next_action="Intro call", next_action_due=TODAY),
    deal(6, Bucket.ABOVE, title="Lead B", next_action="Research", next_action_due=day(4)),
    deal(7, Bucket.ABOVE, title="Lead C", next_action="Follow up", next_action_due=day(-6)),
    deal(8, Bucket.IN, title="Rollout", next_action="Workshop", next_action_due=TODAY),
    deal(9, Bucket.IN, title="Migration", influences=UNCOVERED, next_action_due=day(5)),
    deal(10, Bucket.IN, title="Quiet", next_action_due=day(5)),
    deal(11, Bucket.IN, title="Late", next_action="Send proposal", next_action_due=day(-1), influences=UNCOVERED),
)


def today_agenda(deals=DEALS, **fields):
    snap = snapshot(deals, **fields)
    return agenda(snap, analyse(snap))


def test_the_agenda_follows_the_methods_priority_order():
    items = today_agenda(prospects_this_week=1)
    assert [(i.kind, i.opportunity_id) for i in items] == [
        (AgendaKind.CLOSE, 2),  # overdue first
        (AgendaKind.CLOSE, 4),  # then by due date
        (AgendaKind.CLOSE, 1),
        (AgendaKind.CLOSE, 3),  # no next action: asks for one
        (AgendaKind.PROSPECT, None),
        (AgendaKind.ACTION, 7),  # Above deals with due actions follow the quota
        (AgendaKind.ACTION, 5),
        (AgendaKind.ACTION, 11),  # In: due actions, overdue first
        (AgendaKind.ACTION, 8),
        (AgendaKind.COVER, 9),  # In: influences to cover
        (AgendaKind.COVER, 11),
    ]


def test_items_say_what_to_do_and_when():
    items = {(i.kind, i.opportunity_id): i for i in today_agenda()}
    overdue = items[(AgendaKind.CLOSE, 2)]
    assert (overdue.title, overdue.overdue, overdue.due, overdue.detail) == (
        "Chase signature — Audit", True, day(-2), "overdue by 2 days")
    assert items[(AgendaKind.CLOSE, 1)].title == "Send contract — Website (Acme)"
    assert not items[(AgendaKind.CLOSE, 4)].overdue and items[(AgendaKind.CLOSE, 4)].detail == "due today"
    assert items[(AgendaKind.CLOSE, 3)].title == "Set a next action — Training"
    assert items[(AgendaKind.COVER, 9)].detail == "uncovered Technical Buyer (Lee)"
    assert items[(AgendaKind.ACTION, 11)].bucket is Bucket.IN and items[(AgendaKind.ACTION, 7)].bucket is Bucket.ABOVE


def test_one_prospecting_item_counts_todays_and_this_weeks_new_prospects_against_the_quota():
    (item,) = [i for i in today_agenda(prospects_this_week=2, prospects_today=1) if i.kind is AgendaKind.PROSPECT]
    # 3 prospects above the funnel, 4.2 needed: P = 7 · (0.278 + 1.17 / 15) = 2.49 → 3 a week.
    # Wednesday: 2 were still to find when today began, over Wed–Fri → 1 today.
    assert (item.done, item.quota, item.done_today, item.quota_today) == (2, 3, 1, 1)
    assert item.detail == "1 of 1 today; 2 of 3 new prospects this week"


def test_the_quota_met_is_said_so():
    (item,) = [i for i in today_agenda(prospects_this_week=5) if i.kind is AgendaKind.PROSPECT]
    assert item.detail == "0 today; 5 of 3 new prospects this week — quota met"


def test_quiet_in_the_funnel_deals_and_later_above_actions_stay_off_the_agenda():
    ids = {i.opportunity_id for i in today_agenda()}
    assert 10 not in ids and 6 not in ids


def test_an_empty_funnel_still_asks_for_prospecting():
    (item,) = today_agenda(deals=())
    assert item.kind is AgendaKind.PROSPECT and item.quota == 4
