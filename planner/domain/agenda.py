"""The daily check-in (SPEC §2 "Daily check-in"): the day's selling work in the method's priority order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from planner.domain.allocation import prospecting_quota
from planner.domain.flags import deal_name, influence_gaps
from planner.domain.models import AgendaItem, AgendaKind, Bucket, FunnelSnapshot, Opportunity, Status


def agenda(snapshot: FunnelSnapshot, status: Status) -> tuple[AgendaItem, ...]:
    """SPEC §2, in the priority order of SPEC §1:

    1. every Best Few deal's next action, overdue first, then by due date (undated after dated);
       a Best Few deal without a next action is listed last in this part, asking for one;
    2. one prospecting item: today's share of the week's quota with the prospects added today,
       and the week's "done of quota" (quota = P rounded up, `Status.quota`), followed by the
       Above-the-Funnel deals whose next action is due today or earlier;
    3. In-the-Funnel deals with a next action due today or earlier, then those with an uncovered
       buying influence (or no Economic Buyer) to cover.
    """
    today = snapshot.today
    deals = [d for d in snapshot.open_deals if d.bucket.is_open]
    items: list[AgendaItem] = []

    best_few = [d for d in deals if d.bucket is Bucket.BEST_FEW]
    items.extend(_action_item(d, today, AgendaKind.CLOSE) for d in _by_due(d for d in best_few if d.next_action))
    items.extend(
        AgendaItem(kind=AgendaKind.CLOSE, bucket=Bucket.BEST_FEW, title=f"Set a next action — {deal_name(d)}",
                   opportunity_id=d.id, detail="no next action: what closes this deal?")
        for d in sorted(best_few, key=_id) if not d.next_action
    )

    quota = status.quota or prospecting_quota(status.allocation, today, snapshot.prospects_this_week,
                                              snapshot.prospects_today)
    done = quota.done_week
    if quota.today == 0:
        detail = f"{quota.done_today} today; {done} of {quota.week} new prospects this week — quota met"
    else:
        detail = f"{quota.done_today} of {quota.today} today; {done} of {quota.week} new prospects this week"
    items.append(AgendaItem(
        kind=AgendaKind.PROSPECT, bucket=Bucket.ABOVE, title="Prospecting: find and contact new prospects",
        detail=detail,
        done=done, quota=quota.week, done_today=quota.done_today, quota_today=quota.today,
    ))
    items.extend(_action_item(d, today, AgendaKind.ACTION) for d in _by_due(_due(deals, Bucket.ABOVE, today)))

    items.extend(_action_item(d, today, AgendaKind.ACTION) for d in _by_due(_due(deals, Bucket.IN, today)))
    for deal in sorted((d for d in deals if d.bucket is Bucket.IN), key=_id):
        gaps = influence_gaps(deal)
        if gaps:
            items.append(AgendaItem(kind=AgendaKind.COVER, bucket=Bucket.IN,
                                    title=f"Cover buying influences — {deal_name(deal)}",
                                    opportunity_id=deal.id, detail=gaps))
    return tuple(items)


def _id(deal: Opportunity) -> int:
    return deal.id if deal.id is not None else -1


def _due(deals: Iterable[Opportunity], bucket: Bucket, today: date) -> list[Opportunity]:
    return [d for d in deals if d.bucket is bucket and d.next_action_due is not None and d.next_action_due <= today]


def _by_due(deals: Iterable[Opportunity]) -> list[Opportunity]:
    # Earliest due first puts every overdue action before today's; undated actions come last.
    return sorted(deals, key=lambda d: (d.next_action_due is None, d.next_action_due or date.max, _id(d)))


def _action_item(deal: Opportunity, today: date, kind: AgendaKind) -> AgendaItem:
    due = deal.next_action_due
    overdue = due is not None and due < today
    if due is None:
        detail = "no date set"
    elif overdue:
        days = (today - due).days
        detail = f"overdue by {days} day{'s' if days != 1 else ''}"
    elif due == today:
        detail = "due today"
    else:
        detail = f"due {due.isoformat()}"
    return AgendaItem(kind=kind, bucket=deal.bucket, title=f"{deal.next_action or 'Next action'} — {deal_name(deal)}",
                      opportunity_id=deal.id, due=due, overdue=overdue, detail=detail)
