"""What needs the user's attention (SPEC §3.3) and the warnings on a move (SPEC §2)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta
from operator import itemgetter

from planner.domain.allocation import prospect_quota
from planner.domain.fit import POOR_FIT, fit_score
from planner.domain.models import (
    Allocation,
    Bucket,
    Flag,
    FunnelParameters,
    FunnelSnapshot,
    Influence,
    Opportunity,
    Projection,
    Severity,
)

#: Every flag code in the order of SPEC §3.3; within a severity, flags are listed in this order.
FLAG_CODES: tuple[str, ...] = (
    "empty_top",
    "thin_top",
    "best_few_too_far",
    "best_few_inflated",
    "uncovered_influences",
    "stale",
    "overdue_action",
    "no_next_action",
    "poor_fit",
    "overloaded",
    "dry_spell",
)
_SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


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
    """SPEC §2 "Moving warns, never blocks": the entry conditions of the target bucket that the deal
    does not meet, one plain sentence each. Empty when the move is fine or goes nowhere new."""
    if to is deal.bucket:
        return []
    warnings: list[str] = []
    if to is Bucket.IN and not deal.any_covered:
        warnings.append("No buying influence is covered yet, so the sale is not confirmed possible.")
    if to is Bucket.BEST_FEW:
        if deal.uncovered_influences:
            warnings.append(f"Not every buying influence is covered: {_names(deal.uncovered_influences)}.")
        if not deal.has_economic_buyer:
            warnings.append("No Economic Buyer is recorded for this deal.")
        limit = _close_limit(today, cycle_days)
        if deal.expected_close is not None and deal.expected_close > limit:
            warnings.append(f"Expected close {deal.expected_close.isoformat()} is later than half the normal "
                            f"cycle from today ({limit.isoformat()}).")
    return warnings


def flags(snapshot: FunnelSnapshot, params: FunnelParameters, allocation: Allocation,
          projection: Projection) -> tuple[Flag, ...]:
    """SPEC §3.3: every flag that applies today, critical first, then warnings, then information;
    within a severity in the order of the SPEC's table, then by deal id. Severities: docs/method.md."""
    today = snapshot.today
    deals = [d for d in snapshot.open_deals if d.bucket.is_open]
    count = {b: sum(1 for d in deals if d.bucket is b) for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)}
    quota = prospect_quota(allocation)
    out: list[Flag] = []

    target_above = params.target_stock[Bucket.ABOVE]
    if count[Bucket.ABOVE] == 0:
        out.append(Flag("empty_top", Severity.CRITICAL,
                        f"Top of funnel is empty: add prospects — you need about {quota} new ones a week"))
    elif count[Bucket.ABOVE] < target_above:
        out.append(Flag("thin_top", Severity.WARNING,
                        f"Top of funnel is thin: {count[Bucket.ABOVE]} above the funnel where your goal needs about "
                        f"{target_above:.1f} — add about {quota} new prospects this week"))

    target_best_few = params.target_stock[Bucket.BEST_FEW]
    if count[Bucket.BEST_FEW] > 2 * target_best_few:
        out.append(Flag("best_few_inflated", Severity.WARNING,
                        f"{count[Bucket.BEST_FEW]} deals in Best Few where your goal and history support about "
                        f"{target_best_few:.1f}: move the ones that are not nearly sure back to In the Funnel"))

    if allocation.overloaded_hours > 0:
        demanded = allocation.hours_per_week + allocation.overloaded_hours
        out.append(Flag("overloaded", Severity.WARNING,
                        f"The funnel asks for {demanded:.1f} h a week, {_hours(allocation.overloaded_hours)} more "
                        f"than your {allocation.hours_per_week:g} h: drop weak deals or find more hours"))

    if projection.first_dry_week is not None:
        when = "now" if projection.prospect_by is None or projection.prospect_by <= today \
            else f"by {projection.prospect_by.isoformat()}"
        out.append(Flag("dry_spell", Severity.WARNING,
                        f"Expected wins drop below half your goal from the week of "
                        f"{projection.first_dry_week.isoformat()}: prospect {when} — new prospects take about "
                        f"{params.cycle.days:.0f} days to close"))

    limit = _close_limit(today, params.cycle.days)
    # A deal's own flags depend on the deal and on these inputs only: after a change to one deal
    # the thousands of others are looked up, not judged again (a Status is rebuilt on every change).
    global _seen_criteria
    if snapshot.criteria != _seen_criteria:
        _seen_criteria = snapshot.criteria
    criteria = _seen_criteria  # the same object while the criteria are equal: compared by identity
    # The typical stay enters a deal's flags only as the whole days it takes to be stale and as the
    # rounded figure the message shows: a move that shifts the median by hours judges no deal again.
    residence = {b: _stay_key(params.residence_days[b].value) for b in (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)}
    if len(_deal_flags_seen) > _DEAL_FLAGS_KEPT:
        _deal_flags_seen.clear()
    ranked = [(_rank(f), f) for f in out]
    for deal in deals:
        inputs = (deal, today, limit, residence[deal.bucket], criteria)
        seen = _deal_flags_seen.get(id(deal))
        if seen is None or seen[0] != inputs:  # the deal compares by identity first
            # Keyed by id(deal); the entry holds the deal, so that id is not reused while it stays.
            flagged = _deal_flags(deal, snapshot, params, limit)
            seen = _deal_flags_seen[id(deal)] = (inputs, tuple((_rank(f), f) for f in flagged))
        ranked.extend(seen[1])
    ranked.sort(key=itemgetter(0))
    return tuple(f for _, f in ranked)


_CODE_ORDER = {code: i for i, code in enumerate(FLAG_CODES)}


def _rank(flag: Flag) -> tuple[int, int, int]:
    """Critical first, then warnings, then information; within a severity in the order of the
    SPEC's table, then by deal id (the funnel's own flags first)."""
    oid = flag.opportunity_id
    return (_SEVERITY_ORDER[flag.severity], _CODE_ORDER[flag.code], oid if oid is not None else -1)


def _stay_key(days: float) -> tuple:
    """What a typical stay of `days` decides about a deal: a whole number of idle days d is stale
    when d > days, that is when d > floor(days); the message shows it rounded."""
    return (math.floor(days) if math.isfinite(days) else days, f"{days:.0f}")


#: id(deal) → ((deal, today, limit, residence, criteria), its flags as (rank, flag)): see `flags`.
_deal_flags_seen: dict[int, tuple[tuple, tuple[Flag, ...]]] = {}
_DEAL_FLAGS_KEPT = 50_000
_seen_criteria: tuple = ()


def _deal_flags(deal: Opportunity, snapshot: FunnelSnapshot, params: FunnelParameters, limit: date) -> list[Flag]:
    today = snapshot.today
    name = deal_name(deal)
    oid = deal.id
    out: list[Flag] = []

    if deal.bucket is Bucket.BEST_FEW and deal.expected_close is not None and deal.expected_close > limit:
        out.append(Flag("best_few_too_far", Severity.WARNING,
                        f"{name}: expected to close {deal.expected_close.isoformat()}, after half a normal cycle "
                        f"({limit.isoformat()}): bring the date forward or move it back to In the Funnel", oid))

    if deal.bucket in (Bucket.IN, Bucket.BEST_FEW):
        gaps = influence_gaps(deal)
        if gaps:
            # In the Funnel, covering influences is the ordinary work; in Best Few it is a risk.
            severity = Severity.WARNING if deal.bucket is Bucket.BEST_FEW else Severity.INFO
            out.append(Flag("uncovered_influences", severity,
                            f"{name}: {gaps} — plan how to cover every buying influence", oid))

    touched = deal.last_touched_on or deal.entered_bucket_on or deal.created_on
    residence = params.residence_days[deal.bucket].value
    if touched is not None and (today - touched).days > residence:
        out.append(Flag("stale", Severity.WARNING,
                        f"{name}: no activity or move for {(today - touched).days} days (a typical stay in "
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

    if deal.bucket is Bucket.ABOVE:
        fit = fit_score(snapshot.criteria, deal.criteria_met)
        if fit is not None and fit < POOR_FIT:
            out.append(Flag("poor_fit", Severity.INFO,
                            f"{name}: fits your ideal customer {fit}% — consider dropping it", oid))
    return out


def _hours(hours: float) -> str:
    return f"{hours:.1f} h" if hours >= 0.05 else "under 0.1 h"
