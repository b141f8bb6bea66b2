"""What needs the user's attention (SPEC §3.4) and the warnings on a move (SPEC §2, §3.4)."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from operator import itemgetter
from typing import NamedTuple

from planner.domain.cycle import cycle_suspect
from planner.domain.fit import POOR_FIT, fit_score
from planner.domain.models import (
    Allocation,
    Bucket,
    Flag,
    FunnelParameters,
    FunnelSnapshot,
    Influence,
    Opportunity,
    OwnSplit,
    Projection,
    Severity,
)
from planner.domain.projection import idle_days

#: Every flag code in the order of SPEC §3.4; within a severity, flags are listed in this order.
FLAG_CODES: tuple[str, ...] = (
    "empty_top",
    "thin_top",
    "best_few_too_far",
    "best_few_no_close",
    "close_date_passed",
    "best_few_inflated",
    "uncovered_influences",
    "unqualified",
    "stale",
    "overdue_action",
    "no_next_action",
    "poor_fit",
    "overloaded",
    "split_underserves",
    "cycle_suspect",
    "dry_spell",
)
#: Each code's severity (uncovered_influences: a warning in Best Few, information In the Funnel).
SEVERITIES: dict[str, Severity] = {
    "empty_top": Severity.CRITICAL,
    "thin_top": Severity.WARNING,
    "best_few_too_far": Severity.WARNING,
    "best_few_no_close": Severity.WARNING,
    "close_date_passed": Severity.WARNING,
    "best_few_inflated": Severity.WARNING,
    "uncovered_influences": Severity.WARNING,
    "unqualified": Severity.WARNING,
    "stale": Severity.WARNING,
    "overdue_action": Severity.WARNING,
    "no_next_action": Severity.WARNING,
    "poor_fit": Severity.INFO,
    "overloaded": Severity.WARNING,
    "split_underserves": Severity.WARNING,
    "cycle_suspect": Severity.INFO,
    "dry_spell": Severity.WARNING,
}
_SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
#: How many deals a dry_spell message names to pull forward.
PULL_FORWARD_NAMED = 3


def deal_name(deal: Opportunity) -> str:
    """How a deal is named in messages: "Website revamp (Acme)", or the title alone."""
    return f"{deal.title} ({deal.account})" if deal.account else deal.title


def _names(influences: Iterable[Influence]) -> str:
    return ", ".join(f"{i.role.label} ({i.name})" if i.name else i.role.label for i in influences)


def influence_gaps(deal: Opportunity) -> str:
    """"uncovered Technical Buyer (Lee); no Economic Buyer", empty when every influence is covered."""
    parts = []
    if deal.uncovered_influences:
        parts.append("uncovered " + _names(deal.uncovered_influences))
    if not deal.has_economic_buyer:
        parts.append("no Economic Buyer")
    return "; ".join(parts)


def _close_limit(today: date, cycle_days: float) -> date:
    # Best Few deals close in less than half the normal cycle (SPEC §1).
    return today + timedelta(days=math.floor(cycle_days / 2))


def move_warnings(deal: Opportunity, to: Bucket, today: date, cycle_days: float) -> list[str]:
    """SPEC §2, §3.4 "Moving warns, never blocks": the entry conditions of the target bucket that
    the deal does not meet, one plain sentence each. Empty when the move is fine or goes nowhere
    new. Into In: a covered buying influence and Money/Authority/Need. Into Best Few (which is past
    In): every influence covered, an Economic Buyer, Money/Authority/Need, and an expected close
    date that is ahead and within half the normal cycle."""
    if to is deal.bucket or not to.is_open:
        return []
    warnings: list[str] = []
    if to is Bucket.IN and not deal.any_covered:
        warnings.append("No buying influence is covered yet, so the sale is not confirmed possible.")
    if to is Bucket.BEST_FEW:
        if deal.uncovered_influences:
            warnings.append(f"Not every buying influence is covered: {_names(deal.uncovered_influences)}.")
        if not deal.has_economic_buyer:
            warnings.append("No Economic Buyer is recorded for this deal.")
    if to in (Bucket.IN, Bucket.BEST_FEW) and not deal.qualified:
        warnings.append(f"Not qualified: {_missing(deal)} not confirmed.")
    if to is Bucket.BEST_FEW:
        limit = _close_limit(today, cycle_days)
        if deal.expected_close is None:
            warnings.append(f"No expected close date: a Best Few deal closes within half the normal cycle "
                            f"(by {limit.isoformat()}).")
        elif deal.expected_close < today:
            warnings.append(f"Expected close {deal.expected_close.isoformat()} has passed: give it a new date.")
        elif deal.expected_close > limit:
            warnings.append(f"Expected close {deal.expected_close.isoformat()} is later than half the normal "
                            f"cycle from today ({limit.isoformat()}).")
    return warnings


def _misses_best_few(deal: Opportunity, today: date, limit: date) -> bool:
    """A Best Few deal that fails one of the bucket's conditions (SPEC §1, §3.4): no expected close,
    one that has passed or lies beyond half the normal cycle, a buying influence not covered or no
    Economic Buyer, Money/Authority/Need not all confirmed."""
    close = deal.expected_close
    return (close is None or close < today or close > limit or bool(influence_gaps(deal))
            or not deal.qualified)


def _missing(deal: Opportunity) -> str:
    missing = deal.missing_qualification
    if len(missing) == 1:
        return missing[0]
    return ", ".join(missing[:-1]) + " and " + missing[-1]


def flags(snapshot: FunnelSnapshot, params: FunnelParameters, allocation: Allocation,
          projection: Projection, own: OwnSplit | None = None) -> tuple[Flag, ...]:
    """SPEC §3.4: every flag that applies today, critical first, then warnings, then information;
    within a severity in the order of the SPEC's table, then by deal id. Severities: docs/method.md."""
    return judge(snapshot, params, allocation, projection, own).flags


class Judged(NamedTuple):
    """`judge`: every flag in order, and each deal's own flags by deal id (deals with none left out)."""

    flags: tuple[Flag, ...]
    by_deal: dict[int, tuple[Flag, ...]]


def judge(snapshot: FunnelSnapshot, params: FunnelParameters, allocation: Allocation,
          projection: Projection, own: OwnSplit | None = None, *,
          counts: Mapping[Bucket, int] | None = None) -> Judged:
    """`flags`, with each deal's own flags by deal id as well (the Funnel marks its cards from
    them). `counts`: the open deals per bucket when the caller has counted them."""
    today = snapshot.today
    deals = snapshot.open_deals
    if counts is None:
        count = {b: 0 for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)}
        for d in deals:
            if d.bucket in count:
                count[d.bucket] += 1
    else:
        count = {b: counts.get(b, 0) for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)}
    quota = allocation.prospect_quota
    out: list[Flag] = []
    limit = _close_limit(today, params.cycle.days)
    deal_part = _deal_part(snapshot, params, limit)

    target_above = params.target_stock[Bucket.ABOVE]
    if count[Bucket.ABOVE] == 0:
        out.append(Flag("empty_top", Severity.CRITICAL,
                        f"Top of funnel is empty: add prospects — you need about {quota} new "
                        f"{'one' if quota == 1 else 'ones'} a week"))
    elif count[Bucket.ABOVE] < target_above:
        out.append(Flag("thin_top", Severity.WARNING,
                        f"Top of funnel is thin: {count[Bucket.ABOVE]} above the funnel where your goal needs about "
                        f"{target_above:.1f} — add about {quota} new prospects this week"))

    target_best_few = params.target_stock[Bucket.BEST_FEW]
    if count[Bucket.BEST_FEW] > 2 * target_best_few:
        message = (f"{count[Bucket.BEST_FEW]} deals in Best Few where your goal and history support about "
                   f"{target_best_few:.1f}: move the ones that are not nearly sure back to In the Funnel")
        unsure = deal_part.unsure(deals)
        if unsure:
            named = [deal_name(d) for d in unsure[:PULL_FORWARD_NAMED]]
            more = len(unsure) - len(named)
            message += (", first those that miss a Best Few condition — " + ", ".join(named)
                        + (f" and {more} more" if more > 0 else ""))
        out.append(Flag("best_few_inflated", Severity.WARNING, message))

    if allocation.overloaded_hours > 0:
        demanded = allocation.hours_per_week + allocation.overloaded_hours
        out.append(Flag("overloaded", Severity.WARNING,
                        f"The funnel asks for {demanded:.1f} h a week, {_hours(allocation.overloaded_hours)} more "
                        f"than your {allocation.hours_per_week:g} h, so every bucket gets less than it asks: drop "
                        f"poor-fit prospects, move Best Few deals that are not nearly sure back, or find hours"))

    if own is not None:
        for bucket in own.underserved:
            share = own[bucket]
            asks = "the top of the funnel asks" if bucket is Bucket.ABOVE else \
                "its 1 deal asks" if count[bucket] == 1 else f"its {count[bucket]} deals ask"
            suggested = allocation[bucket].hours
            if suggested > share.hours + 0.05:
                advice = f"the suggestion gives it {suggested:.1f} h"
            else:  # an overloaded week: no split gives it enough
                advice = (f"the overloaded week lets the suggestion give it no more ({suggested:.1f} h), so fewer "
                          f"deals or more hours will fix it, not another split")
            out.append(Flag("split_underserves", Severity.WARNING,
                            f"Your split gives {bucket.label} {share.hours:.1f} h a week ({share.percent} %), under "
                            f"half of the {share.demanded_hours:.1f} h {asks}: {advice}"))

    cycle = params.cycle
    if cycle_suspect(cycle):
        side = "under a third of" if cycle.days * 3 < cycle.setting_days else "over three times"
        out.append(Flag("cycle_suspect", Severity.INFO,
                        f"Your measured normal cycle is {cycle.days:.0f} days ({cycle.description}), {side} your "
                        f"{cycle.setting_days:.0f}-day setting: check the first-contact dates of your won deals"))

    if projection.first_dry_week is not None:
        out.append(Flag("dry_spell", Severity.WARNING, _dry_message(projection, deals, cycle.days)))

    # The funnel's own flags (few) go in front of the deals' flags of the same code.
    keys, ordered = list(deal_part.keys), list(deal_part.flags)
    for flag in out:
        key = _rank(flag)
        at = bisect_right(keys, key)
        keys.insert(at, key)
        ordered.insert(at, flag)
    return Judged(tuple(ordered), deal_part.by_deal)


class _DealPart(NamedTuple):
    """The deals' own flags of one `judge`: in order with their ranks, and by deal id."""

    inputs: tuple  # (today, limit, the stays' keys, criteria): what every deal's flags depend on besides the deal
    entries: dict[int, tuple]  # id(deal) → its entry in _deal_flags_seen, for every open deal
    keys: list[int]
    flags: list[Flag]
    by_deal: dict[int, tuple[Flag, ...]]

    def unsure(self, deals: Iterable[Opportunity]) -> list[Opportunity]:
        """The Best Few deals among `deals` that miss one of the bucket's conditions, in order."""
        entries = self.entries
        return [d for d in deals if d.bucket is Bucket.BEST_FEW and entries[id(d)][3]]


def _deal_part(snapshot: FunnelSnapshot, params: FunnelParameters, limit: date) -> _DealPart:
    """Every open deal's own flags. A deal's flags depend on the deal and on `inputs` only, and
    the store's snapshot after a change keeps every other deal as the same object: so after a
    change to one deal (a new Status on every change) only the deals that are not the objects of
    the last call are looked up (or judged), found by comparing the two sets of objects, and the
    ordered list of the last call is patched where their flags left and entered it instead of
    sorting ten thousand flags again."""
    global _seen_criteria, _last_part
    today = snapshot.today
    if snapshot.criteria != _seen_criteria:
        _seen_criteria = snapshot.criteria
    criteria = _seen_criteria  # the same object while the criteria are equal: compared by identity
    # The typical stay enters a deal's flags only as the whole days it takes to be stale and as the
    # rounded figure the message shows: a move that shifts the median by hours judges no deal again.
    residence = {b: _stay_key(params.residence_days[b].value) for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)}
    inputs = (today, limit, tuple(residence.values()), criteria)
    last = _last_part if _last_part is not None and _last_part.inputs == inputs else None
    if len(_deal_flags_seen) > _DEAL_FLAGS_KEPT:
        _deal_flags_seen.clear()
    deals = snapshot.open_deals
    current = dict(zip(map(id, deals), deals))
    if last is None:
        entries: dict[int, tuple] = {}
        by_deal: dict[int, tuple[Flag, ...]] = {}
        came_ids: Iterable[int] = current
        left: list[tuple] = []
    else:
        entries, by_deal = dict(last.entries), dict(last.by_deal)
        came_ids = current.keys() - entries.keys()
        left = [entries.pop(key) for key in entries.keys() - current.keys()]
        for entry in left:
            deal_id = entry[0][0].id
            if deal_id is not None and by_deal.get(deal_id) is entry[1]:
                del by_deal[deal_id]
    came: list[tuple] = []
    for key in came_ids:
        deal = current[key]
        bucket = deal.bucket
        if bucket not in residence:  # not an open deal
            continue
        inputs_of_deal = (deal, today, limit, residence[bucket], criteria)
        seen = _deal_flags_seen.get(key)
        if seen is None or seen[0] != inputs_of_deal:  # the deal compares by identity first
            # Keyed by id(deal); the entry holds the deal, so that id is not reused while it stays.
            flagged = sorted(_deal_flags(deal, snapshot, params, limit), key=_rank)  # in the order of `flags`
            seen = _deal_flags_seen[key] = (
                inputs_of_deal, tuple(flagged), tuple(_rank(f) for f in flagged),
                bucket is Bucket.BEST_FEW and _misses_best_few(deal, today, limit))
        entries[key] = seen
        came.append(seen)
        if seen[1] and deal.id is not None:
            by_deal[deal.id] = seen[1]
    if last is None or len(left) + len(came) > _PATCH_MAX:
        ranked = sorted(((k, f) for entry in entries.values() for k, f in zip(entry[2], entry[1])), key=itemgetter(0))
        keys = [k for k, _ in ranked]
        ordered = [f for _, f in ranked]
    else:
        keys, ordered = list(last.keys), list(last.flags)
        for entry in left:
            for key, flag in zip(entry[2], entry[1]):
                at = bisect_left(keys, key)
                while ordered[at] is not flag:  # equal ranks only for deals without an id
                    at += 1
                del keys[at], ordered[at]
        for entry in came:
            for key, flag in zip(entry[2], entry[1]):
                at = bisect_right(keys, key)
                keys.insert(at, key)
                ordered.insert(at, flag)
    part = _DealPart(inputs, entries, keys, ordered, by_deal)
    _last_part = part
    return part


def _dry_message(projection: Projection, deals: Sequence[Opportunity], cycle_days: float) -> str:
    week = projection.first_dry_week
    assert week is not None
    lead = f"new prospects take about {cycle_days:.0f} days to close"
    head = f"Expected wins fall below half your weekly goal in the week of {week.isoformat()}"
    if projection.dry_run > 1:
        head += f" and {weeks_after(projection.dry_run - 1)}"
    if projection.prospect_by is not None:
        which = "the first of them" if projection.dry_run > 1 else "it"
        return f"{head}: prospect by {projection.prospect_by.isoformat()} to fill {which} — {lead}"
    by_id = {d.id: d for d in deals}
    named = [deal_name(by_id[i]) for i in projection.pull_forward[:PULL_FORWARD_NAMED] if i in by_id]
    message = f"{head}, too soon for new prospects to fill{late_part(projection)} ({lead})"
    if named:
        more = len(projection.pull_forward) - len(named)
        names = ", ".join(named) + (f" and {more} more" if more > 0 else "")
        message += f": pull In the Funnel deals forward — {names}"
    elif any(d.bucket is Bucket.IN or d.bucket is Bucket.BEST_FEW for d in deals):
        message += " and no In the Funnel deal is expected after it: close what you can sooner"
    if projection.next_dry_week is not None and projection.next_prospect_by is not None:
        return (f"{message}. The first dry week new prospects can still reach is {projection.next_dry_week.isoformat()}: "
                f"prospect by {projection.next_prospect_by.isoformat()}")
    return message + ("" if named else ", and keep prospecting for the weeks after")


def late_part(projection: Projection, whole: str = "") -> str:
    """Which weeks of the first dip are too near for new prospects: `whole` (the whole dip) or,
    when the dip runs on into weeks they can reach, " the first N"."""
    late = projection.too_late_weeks
    if late >= projection.dry_run:
        return whole
    return " the first one" if late == 1 else f" the first {late}"


def weeks_after(count: int) -> str:
    """"the week after it", "the 2 weeks after it"."""
    return "the week after it" if count == 1 else f"the {count} weeks after it"


_CODE_ORDER = {code: i for i, code in enumerate(FLAG_CODES)}


def _rank(flag: Flag) -> int:
    """Critical first, then warnings, then information; within a severity in the order of the
    SPEC's table, then by deal id (the funnel's own flags first): one number, so that sorting
    ten thousand flags compares integers."""
    oid = flag.opportunity_id
    return (((_SEVERITY_ORDER[flag.severity] << 8) + _CODE_ORDER[flag.code]) << 48) + (oid + 1 if oid is not None else 0)


def _stay_key(days: float) -> tuple:
    """What a typical stay of `days` decides about a deal: a whole number of idle days d is stale
    when d > days, that is when d > floor(days); the message shows it rounded."""
    return (math.floor(days) if math.isfinite(days) else days, f"{days:.0f}")


#: id(deal) → ((deal, today, limit, residence, criteria), its flags, their ranks, whether it is a Best
#: Few deal that misses one of the bucket's conditions): see `_deal_part`.
_deal_flags_seen: dict[int, tuple] = {}
_DEAL_FLAGS_KEPT = 50_000
_seen_criteria: tuple = ()
_last_part: _DealPart | None = None
#: More deals' flags than this changed since the last call: sort again rather than patch.
_PATCH_MAX = 200


def _deal_flags(deal: Opportunity, snapshot: FunnelSnapshot, params: FunnelParameters, limit: date) -> list[Flag]:
    today = snapshot.today
    name = deal_name(deal)
    oid = deal.id
    out: list[Flag] = []
    close = deal.expected_close

    if deal.bucket is Bucket.BEST_FEW:
        if close is None:
            out.append(Flag("best_few_no_close", Severity.WARNING,
                            f"{name}: in Best Few with no expected close date — give it one (by "
                            f"{limit.isoformat()}, half a normal cycle) or move it back to In the Funnel", oid))
        elif close > limit:
            out.append(Flag("best_few_too_far", Severity.WARNING,
                            f"{name}: expected to close {close.isoformat()}, after half a normal cycle "
                            f"({limit.isoformat()}): bring the date forward or move it back to In the Funnel", oid))
    if close is not None and close < today:
        back = " or move it back to In the Funnel" if deal.bucket is Bucket.BEST_FEW else ""
        out.append(Flag("close_date_passed", Severity.WARNING,
                        f"{name}: expected to close {close.isoformat()}, which has passed — it slipped: re-date "
                        f"it{back} (counted at half weight until then)", oid))

    if deal.bucket in (Bucket.IN, Bucket.BEST_FEW):
        gaps = influence_gaps(deal)
        if gaps:
            # In the Funnel, covering influences is the ordinary work; in Best Few it is a risk.
            severity = Severity.WARNING if deal.bucket is Bucket.BEST_FEW else Severity.INFO
            out.append(Flag("uncovered_influences", severity,
                            f"{name}: {gaps} — plan how to cover every buying influence", oid))
        if not deal.qualified:
            out.append(Flag("unqualified", Severity.WARNING,
                            f"{name}: {_missing(deal)} not confirmed — a deal belongs In the Funnel only when "
                            f"the buyer can pay, can decide and has a real need", oid))

    idle = idle_days(deal, today)
    residence = params.residence_days[deal.bucket].value
    if idle is not None and idle > residence:
        out.append(Flag("stale", Severity.WARNING,
                        f"{name}: no activity or move for {idle} days (a typical stay in "
                        f"{deal.bucket.label} is ~{residence:.0f}): act on it or drop it", oid))

    if deal.next_action_due is not None and deal.next_action_due < today:
        action = f'"{deal.next_action}"' if deal.next_action else "next action"
        out.append(Flag("overdue_action", Severity.WARNING,
                        f"{name}: {action} was due {deal.next_action_due.isoformat()}: do it or reschedule it", oid))

    if not deal.next_action.strip():
        out.append(Flag("no_next_action", Severity.WARNING, f"{name}: no next action — schedule one", oid))
    elif deal.next_action_due is None:
        out.append(Flag("no_next_action", Severity.WARNING,
                        f'{name}: next action "{deal.next_action}" has no date — schedule it', oid))

    if deal.bucket is Bucket.ABOVE and deal.criteria_reviewed:
        fit = fit_score(snapshot.criteria, deal.criteria_met)
        if fit is not None and fit < POOR_FIT:
            out.append(Flag("poor_fit", Severity.INFO,
                            f"{name}: fits your ideal customer {fit}% — consider dropping it", oid))
    return out


def _hours(hours: float) -> str:
    return f"{hours:.1f} h" if hours >= 0.05 else "under 0.1 h"
