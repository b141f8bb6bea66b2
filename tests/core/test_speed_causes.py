"""Causes of speed behind a change (bench/ measures the speed itself): a move, a log or an undo
from a screen that shows the funnel takes at most two transactions — the checked write and one
read of what changed — and the other open deals are not read again."""

from __future__ import annotations

import pytest

from planner.domain.models import Activity, ActivityKind, Bucket, Opportunity

from .conftest import TODAY


@pytest.fixture
def funnel(core):
    """A funnel on screen: snapshot and status cached, as the TUI has them before a key."""
    ids = [core.add(Opportunity(f"Deal {i}", bucket=(Bucket.ABOVE, Bucket.IN)[i % 2])).deal.id for i in range(20)]
    core.status()
    return ids


class Statements:
    def __init__(self, core) -> None:
        self.log: list[str] = []
        self.conn = core._repo._db.conn

    def __enter__(self) -> Statements:
        self.conn.set_trace_callback(self.log.append)
        return self

    def __exit__(self, *exc) -> None:
        self.conn.set_trace_callback(None)

    @property
    def transactions(self) -> int:
        return sum(1 for s in self.log if s.split()[0].upper() == "BEGIN")


def _show(core):
    """What a screen reads after a change."""
    core.snapshot()
    core.status()


@pytest.mark.parametrize("action", ["move", "log", "undo of a move", "redo of a move", "undo of a log"])
def test_a_change_and_the_screen_after_it_take_at_most_two_transactions(core, funnel, action):
    deal = funnel[0]
    if action.startswith(("undo", "redo")):
        if "log" in action:
            core.log_time(Activity(ActivityKind.CALL, 30, TODAY, opportunity_id=deal))
        else:
            core.move(deal, Bucket.IN, expected_from=Bucket.ABOVE)
        _show(core)
        if action.startswith("redo"):
            core.undo()
            _show(core)
    with Statements(core) as statements:
        if action == "move":
            core.move(deal, Bucket.IN, expected_from=Bucket.ABOVE)
        elif action == "log":
            core.log_time(Activity(ActivityKind.CALL, 30, TODAY, opportunity_id=deal))
        elif action.startswith("undo"):
            core.undo()
        else:
            core.redo()
        _show(core)
    assert statements.transactions <= 2, "\n".join(statements.log)


def test_after_a_change_to_one_deal_the_others_are_not_read_again(core, funnel):
    before = {d.id: d for d in core.snapshot().open_deals}
    core.move(funnel[0], Bucket.IN, expected_from=Bucket.ABOVE)
    after = {d.id: d for d in core.snapshot().open_deals}
    assert after[funnel[0]].bucket is Bucket.IN
    assert all(after[i] is before[i] for i in funnel[1:])  # the very same objects: not re-read


def test_a_setting_changes_no_deal_and_rereads_none(core, funnel):
    before = {d.id: d for d in core.snapshot().open_deals}
    core.set_setting("cycle_days", "90")
    assert core.status().cycle.days == 90
    assert all(d is before[d.id] for d in core.snapshot().open_deals)


def test_after_a_change_to_one_deal_only_its_flags_are_judged_and_the_list_is_not_sorted_again(core, funnel, monkeypatch):
    """Thousands of open deals, each with flags (no next action here): a change to one deal
    judges that deal's flags again and puts them in their places in the ordered list; the other
    deals' flags are neither judged nor sorted again."""
    from planner.domain import flags as flags_module

    judged: list[int | None] = []
    sorts: list[int] = []
    real_judge = flags_module._deal_flags

    def counted_judge(deal, *args):
        judged.append(deal.id)
        return real_judge(deal, *args)

    def counted_sorted(items, *args, **kwargs):
        out = sorted(items, *args, **kwargs)
        sorts.append(len(out))
        return out

    monkeypatch.setattr(flags_module, "_deal_flags", counted_judge)
    monkeypatch.setattr(flags_module, "sorted", counted_sorted, raising=False)
    before = core.status().flags
    own = [f.code for f in before if f.opportunity_id == funnel[3]]
    assert "no_next_action" in own
    judged.clear()
    sorts.clear()
    core.set_next_action(funnel[3], "Call", TODAY)
    status = core.status()
    assert judged == [funnel[3]]
    assert all(n <= len(flags_module.FLAG_CODES) for n in sorts), sorts  # at most the one deal's own flags
    assert [f.code for f in status.flags if f.opportunity_id == funnel[3]] == [c for c in own if c != "no_next_action"]
    assert len(status.flags) == len(before) - 1
