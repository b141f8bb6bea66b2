"""The flags after a run of changes are the flags of the funnel as it is: the engine keeps each
deal's flags and the ordered list between calls (a Status is rebuilt on every change), and what
it keeps must never show a flag that no longer holds, lose one, or list them out of order."""

from dataclasses import replace

from engine_builders import TODAY, day, deal, snapshot
from hypothesis import given, settings as hyp_settings, strategies as st

from planner.domain import flags as flags_module
from planner.domain.flags import FLAG_CODES
from planner.domain.models import Bucket, Severity
from planner.domain.status import analyse

_SEVERITY = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}

# Changes to one deal that raise or clear its own flags.
CHANGES = [
    dict(expected_close=None),  # best_few_no_close
    dict(expected_close=day(-3)),  # close_date_passed
    dict(expected_close=day(200)),  # best_few_too_far
    dict(expected_close=day(5)),
    dict(next_action=""),  # no_next_action
    dict(next_action_due=None),
    dict(next_action_due=day(-2)),  # overdue_action
    dict(next_action_due=day(3)),
    dict(money=False),  # unqualified
    dict(money=True),
    dict(influences=()),  # uncovered_influences
    dict(last_touched_on=day(-300), entered_bucket_on=day(-300)),  # stale
    dict(last_touched_on=TODAY),
    dict(bucket=Bucket.ABOVE),
    dict(bucket=Bucket.IN),
    dict(bucket=Bucket.BEST_FEW),
]


def funnel(size: int = 40):
    buckets = (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)
    return [deal(i, buckets[i % 3], expected_close=day(7 + i)) for i in range(1, size + 1)]


def in_agenda_order(deals):
    order = {Bucket.ABOVE: 0, Bucket.IN: 1, Bucket.BEST_FEW: 2}
    return tuple(sorted(deals, key=lambda d: (order[d.bucket], d.next_action_due is None,
                                              d.next_action_due or TODAY, d.id)))


def expected_order(found):
    """SPEC §3.4's order, worked out here on its own: severity, the table's order, deal id."""
    return sorted(found, key=lambda f: (_SEVERITY[f.severity], FLAG_CODES.index(f.code),
                                        -1 if f.opportunity_id is None else f.opportunity_id))


def judged_afresh(snap):
    flags_module._deal_flags_seen.clear()
    flags_module._last_part = None
    return analyse(snap)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("change"), st.integers(1, 40), st.integers(0, len(CHANGES) - 1)),
        st.tuples(st.just("remove"), st.integers(1, 40), st.just(0)),
        st.tuples(st.just("add"), st.integers(41, 60), st.integers(0, len(CHANGES) - 1)),
    ),
    min_size=1, max_size=12,
)


@hyp_settings(max_examples=60, deadline=None)
@given(steps)
def test_flags_after_a_run_of_changes_are_those_of_the_funnel_as_it_is(run):
    deals = {d.id: d for d in funnel()}
    analyse(snapshot(in_agenda_order(deals.values())))  # what the engine keeps from the start
    for kind, deal_id, change in run:
        if kind == "change" and deal_id in deals:
            deals[deal_id] = replace(deals[deal_id], **CHANGES[change])
        elif kind == "remove":
            deals.pop(deal_id, None)
        elif kind == "add":
            deals[deal_id] = replace(deal(deal_id, Bucket.IN, expected_close=day(9)), **CHANGES[change])
        # Unchanged deals stay the same objects, as the store's snapshot after a change keeps them.
        snap = snapshot(in_agenda_order(deals.values()))
        status = analyse(snap)
        fresh = judged_afresh(snap)
        assert status.flags == fresh.flags
        assert list(status.flags) == expected_order(status.flags)
        assert dict(status.deal_flags) == dict(fresh.deal_flags)
        for deal_id_, own in status.deal_flags.items():
            assert own == status.flags_for(deal_id_)
        # What was judged afresh is what the next call builds on.
        analyse(snap)


def test_a_deal_whose_flag_is_fixed_loses_it_and_keeps_the_others_in_order():
    deals = funnel(12)
    late = replace(deals[2], expected_close=day(-1), next_action_due=day(-4))  # Best Few, id 3
    deals[2] = late
    before = analyse(snapshot(in_agenda_order(deals)))
    assert [f.code for f in before.deal_flags[3]] == ["close_date_passed", "overdue_action"]
    deals[2] = replace(late, expected_close=day(4))
    after = analyse(snapshot(in_agenda_order(deals)))
    assert [f.code for f in after.deal_flags[3]] == ["overdue_action"]
    assert [f for f in after.flags if f.opportunity_id == 3] == list(after.deal_flags[3])
    assert list(after.flags) == expected_order(after.flags)


def test_each_deals_flags_are_in_the_order_of_all_flags():
    """An In-the-Funnel deal's uncovered influences are information, so they come after its
    warnings (stale here) in the deal's own flags as in the whole list."""
    deals = funnel(6)
    deals[0] = replace(deals[0], influences=(), last_touched_on=day(-300), entered_bucket_on=day(-300))  # In, id 1
    assert deals[0].bucket is Bucket.IN
    status = analyse(snapshot(in_agenda_order(deals)))
    assert [f.code for f in status.deal_flags[1]] == ["stale", "uncovered_influences"]
    assert list(status.deal_flags[1]) == [f for f in status.flags if f.opportunity_id == 1]
