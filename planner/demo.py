"""A believable solo consultant's year of selling, generated relative to today (SPEC §2 "try
everything on demo data"), so the demo never goes stale.

Everything goes through the Repository, as the user's own actions would: deals are added on their
first-contact day, moved along the funnel on the days they moved, and time is logged on the days
it was spent. What comes out is deterministic for a given `today` and `seed` (screenshots and
benchmarks depend on it) and gives every insight real numbers: a normal cycle measured from about
twenty won deals (median around two months), measured dwell times and conversion rates per bucket,
and flags of most kinds — overdue and missing next actions, uncovered buying influences, a Best
Few deal without an Economic Buyer, one too far from closing, a stale deal, a poor fit above.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from planner.domain.models import (
    OPEN_BUCKETS,
    Activity,
    ActivityKind,
    Bucket,
    Criterion,
    CriterionKind,
    Influence,
    Opportunity,
    Role,
)

if TYPE_CHECKING:
    from pathlib import Path

    from planner.store.repository import Repository

DEFAULT_SEED = 7

CRITERIA = (
    Criterion("10 to 200 employees", CriterionKind.DEMOGRAPHIC, 2),
    Criterion("Professional services or software", CriterionKind.DEMOGRAPHIC, 2),
    Criterion("Budget of 15,000 or more", CriterionKind.DEMOGRAPHIC, 3),
    Criterion("Within a day's travel", CriterionKind.DEMOGRAPHIC, 1),
    Criterion("Values quality over price", CriterionKind.PSYCHOGRAPHIC, 3),
    Criterion("Open to new ways of working", CriterionKind.PSYCHOGRAPHIC, 2),
)

ACCOUNTS = (
    "Northwind Logistics",
    "Bergström & Partners",
    "Alder Health",
    "Kestrel Software",
    "Orbis Analytics",
    "Harbor Legal",
    "多摩デザイン Tama Design",
    "Café Lumière",
    "Quillon Robotics",
    "Fernhill Schools Trust",
    "Bluefin Insurance",
    "Greenway Energy",
    "Lindqvist Architects",
    "Marlow Foods",
    "Pioneer Credit Union",
    "Redwood Clinics",
    "Sable Media",
    "Tidewater Ports",
    "上海明德咨询",
    "Vantage Retail",
    "Wexford Council",
    "Yarrow Biotech",
    "Zenith Hotels",
    "Cobalt Mobility",
    "Driftwood Studios",
    "Evergreen Housing",
    "Foxglove Pharma",
    "Granite Engineering",
    "Helios Solar",
    "Ironbark Construction",
)
CONTACTS = (
    "Ana Ruiz",
    "Lee Park",
    "Søren Madsen",
    "Zoë Adeyemi",
    "Priya Natarajan",
    "José Álvarez",
    "李娜",
    "Tom Becker",
    "Fatima Haddad",
    "Mei Tanaka",
    "Olu Bankole",
    "Clara Novak",
    "Ravi Menon",
    "Hannah Weiss",
    "Diego Costa",
    "Aisha Rahman",
    "Jonas Berg",
    "Sofia Rossi",
    "Kenji Watanabe",
    "Grace O'Neill",
)
TITLES = (
    "Website revamp",
    "CRM migration",
    "Data strategy workshop",
    "Pricing review",
    "Customer research sprint",
    "Process audit",
    "Leadership offsite",
    "Analytics dashboard",
    "Security assessment",
    "Onboarding redesign",
    "Sales playbook",
    "Cloud cost review",
    "Service design sprint",
    "Hiring process review",
    "Brand refresh",
    "Board reporting pack",
    "Supplier tender support",
    "Change management coaching",
    "Market entry study",
    "Accessibility audit",
    "Warehouse layout study",
    "Customer journey mapping",
    "Intranet relaunch",
    "KPI framework",
    "Procurement review",
    "Team coaching programme",
    "Digital strategy",
    "Product discovery",
    "Sustainability report",
    "Data governance setup",
)
SOURCES = ("referral", "LinkedIn", "conference", "website", "past client", "newsletter", "cold outreach", "partner")
LOST_REASONS = ("went with a cheaper offer", "budget frozen", "no decision", "chose to do it in-house", "bad timing")
NEXT_ACTIONS = {
    Bucket.ABOVE: ("Qualify on a call", "Send intro email", "Research the org chart", "Ask for a first meeting"),
    Bucket.IN: ("Meet the technical lead", "Workshop with users", "Find the economic buyer", "Send scoping notes"),
    Bucket.BEST_FEW: ("Send proposal", "Negotiate terms", "Confirm start date", "Walk through the contract"),
}
JOB_TITLES = {
    Role.ECONOMIC: ("CFO", "Managing director", "COO"),
    Role.USER: ("Head of Operations", "Team lead", "Project manager"),
    Role.TECHNICAL: ("IT lead", "Head of Data", "Procurement"),
    Role.COACH: ("Office manager", "former colleague", "Project manager"),
}


@dataclass
class _Plan:
    """One deal's life: how it starts and the dated moves and activities that follow."""

    opp: Opportunity
    created: date
    moves: list[tuple[date, Bucket, str]] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    influences: tuple[Influence, ...] = ()
    criteria: tuple[int, ...] = ()  # indexes into CRITERIA


def build_demo(repo: Repository, today: date, seed: int = DEFAULT_SEED) -> None:
    """Fill an empty database with the demo year ending `today` (deterministic for today + seed)."""
    rng = random.Random(f"funnel-planner-demo:{today.isoformat()}:{seed}")
    # A consultant with the default 15 selling hours a week and a goal of two wins and about 30,000
    # of new business a month; the funnel asks a little more than the week holds.
    repo.save_settings(replace(repo.settings(), goal_value_per_month=30_000.0))
    criterion_ids = [repo.save_criterion(c) for c in CRITERIA]
    plans = _closed_history(rng, today) + _open_funnel(rng, today)
    for plan in sorted(plans, key=lambda p: p.created):
        _apply(repo, plan, criterion_ids)
    for day in _prospecting_days(rng, today):
        repo.log(Activity(ActivityKind.RESEARCH, rng.choice((30, 45, 60, 90)), day, note="prospect list research"))
    for back in range(1, 7):  # a streak of morning check-ins up to yesterday
        repo.record_checkin(today - timedelta(days=back))


def write_demo(path: Path, today: date, *, seed: int = DEFAULT_SEED, keep: Path | None = None) -> None:
    """A new demo database at `path` (a file in a fresh folder, never the user's), and with `keep`
    a consistent copy of it there (through the one writer of files, `Repository.backup`)."""
    from planner.store import open_repository

    repo = open_repository(str(path))
    try:
        build_demo(repo, today, seed=seed)
        if keep is not None:
            repo.backup(str(keep))
    finally:
        repo.close()


def _apply(repo: Repository, plan: _Plan, criterion_ids: list[int]) -> None:
    met = frozenset(criterion_ids[i] for i in plan.criteria)
    opp_id = repo.add(replace(plan.opp, influences=plan.influences, criteria_met=met), on=plan.created)
    # Moves and activities in the order they happened, so each activity counts for the bucket the
    # deal was in that day (the store fills it from the deal's bucket at logging time).
    events: list[tuple[date, int, object]] = [(day, 1, (to, reason)) for day, to, reason in plan.moves]
    events += [(a.on, 0, a) for a in plan.activities]
    for _day, _order, event in sorted(events, key=lambda e: (e[0], e[1])):
        if isinstance(event, Activity):
            repo.log(Activity(event.kind, event.minutes, event.on, opp_id, event.note))
        else:
            to, reason = event  # type: ignore[misc]
            repo.move(opp_id, to, on=_day, reason=reason)


def _days(rng: random.Random, low: int, high: int) -> int:
    """A stay of about low..high days, bunched towards the middle like real durations."""
    return round((rng.uniform(low, high) + rng.uniform(low, high)) / 2)


def _influences(rng: random.Random, bucket: Bucket, *, economic: bool = True, all_covered: bool = False) -> tuple[Influence, ...]:
    names = rng.sample(CONTACTS, 4)
    roles = [Role.ECONOMIC, Role.USER, Role.TECHNICAL, Role.COACH] if economic else [Role.USER, Role.TECHNICAL, Role.COACH]
    out = []
    for name, role in zip(names, roles, strict=False):
        if bucket is Bucket.ABOVE:
            covered = role is Role.COACH
        elif all_covered:
            covered = True
        else:
            covered = rng.random() < (0.85 if bucket is Bucket.BEST_FEW else 0.55)
        out.append(Influence(f"{name}, {rng.choice(JOB_TITLES[role])}", role, covered))
    return tuple(out)


def _good_fit(rng: random.Random) -> tuple[int, ...]:
    return tuple(sorted(rng.sample(range(len(CRITERIA)), rng.randint(4, 6))))


def _activities(rng: random.Random, start: date, end: date, kinds: tuple[ActivityKind, ...], count: int) -> list[Activity]:
    span = max(0, (end - start).days)
    out = []
    for _ in range(count):
        day = start + timedelta(days=rng.randint(0, span))
        kind = rng.choice(kinds)
        minutes = {ActivityKind.MEETING: 60, ActivityKind.PROPOSAL: 120, ActivityKind.CALL: 30}.get(kind, 20)
        out.append(Activity(kind, minutes + 15 * rng.randint(0, 3), day))
    return out


_EARLY = (ActivityKind.EMAIL, ActivityKind.CALL, ActivityKind.RESEARCH)
_MIDDLE = (ActivityKind.MEETING, ActivityKind.CALL, ActivityKind.EMAIL)
_LATE = (ActivityKind.PROPOSAL, ActivityKind.MEETING, ActivityKind.CALL)


def _base(rng: random.Random, index: int, bucket: Bucket, first_contact: date) -> Opportunity:
    account = ACCOUNTS[index % len(ACCOUNTS)]
    title = TITLES[(index * 7) % len(TITLES)]
    return Opportunity(
        title=title,
        bucket=Bucket.ABOVE,
        account=account,
        contact=CONTACTS[(index * 3) % len(CONTACTS)],
        value_cents=rng.choice((4, 6, 8, 9, 12, 15, 18, 24, 30, 45, 60)) * 100_000 + rng.choice((0, 0, 50_000)),
        first_contact=first_contact,
        source=rng.choice(SOURCES),
        money=bucket is not Bucket.ABOVE,
        authority=bucket in (Bucket.BEST_FEW, Bucket.WON),
        need=bucket is not Bucket.ABOVE or rng.random() < 0.4,
    )


def _closed_history(rng: random.Random, today: date) -> list[_Plan]:
    """About sixty deals won or lost over the past year, each with the moves it made: 19 won (four
    of them referrals that went straight from Above to Best Few, one added straight into Best Few
    with no first-contact date, a few that slipped back to In for a while), 28 prospects dropped
    above the funnel, 10 lost in it, 3 lost from Best Few."""
    outcomes = ["won"] * 15 + ["referral"] * 4 + ["lost_above"] * 28 + ["lost_in"] * 10 + ["lost_best_few"] * 3
    rng.shuffle(outcomes)
    plans = []
    quick_done = False
    for index, outcome in enumerate(outcomes):
        above, in_, best_few = _days(rng, 8, 26), _days(rng, 16, 40), _days(rng, 10, 28)
        stages = {
            "lost_above": [above],
            "lost_in": [above, in_],
            "lost_best_few": [above, in_, best_few],
            "referral": [above, best_few],  # skips In: a referral arrives nearly sure
        }.get(outcome, [above, in_, best_few])
        won = outcome in ("won", "referral")
        slipped = outcome == "won" and index % 6 == 0  # slips back to In the Funnel for a while
        length = sum(stages) + (10 if slipped else 0)
        # Spread over the past year, every deal closed by yesterday.
        first_contact = today - timedelta(days=380 - round((380 - 60) * index / len(outcomes)) - rng.randint(0, 6))
        first_contact = min(first_contact, today - timedelta(days=length + 1))
        final = Bucket.WON if won else Bucket.LOST
        opp = _base(rng, index, final, first_contact)
        if outcome == "referral":
            opp = replace(opp, source="referral")
        plan = _Plan(opp, first_contact, criteria=_good_fit(rng) if won else ())
        day = first_contact
        path = [Bucket.BEST_FEW] if outcome == "referral" else [Bucket.IN, Bucket.BEST_FEW][: len(stages) - 1]
        kinds = (_EARLY, _LATE) if outcome == "referral" else (_EARLY, _MIDDLE, _LATE)
        if outcome == "won" and not quick_done and index > len(outcomes) // 2:
            # Added straight into Best Few with no first-contact date (a friend's introduction):
            # its first contact is unknown, so it is not measured for the normal cycle.
            quick_done = True
            plan.opp = replace(opp, first_contact=None, source="introduction", bucket=Bucket.BEST_FEW)
            stages, path, kinds = [best_few], [], (_LATE,)
        for stage, stay in enumerate(stages):
            plan.activities += _activities(rng, day, day + timedelta(days=stay - 1), kinds[stage], rng.randint(1, 2))
            day += timedelta(days=stay)
            if stage < len(path):
                plan.moves.append((day, path[stage], ""))
        if slipped:
            back = plan.moves[-1][0] + timedelta(days=4)
            plan.moves.append((back, Bucket.IN, ""))
            plan.moves.append((back + timedelta(days=6), Bucket.BEST_FEW, ""))
            day += timedelta(days=10)
        reason = "" if won else rng.choice(LOST_REASONS)
        plan.moves.append((day, final, reason))
        plan.influences = _influences(rng, Bucket.BEST_FEW, all_covered=won) if len(stages) > 1 or won else ()
        plans.append(plan)
    return plans


@dataclass(frozen=True)
class _OpenDeal:
    """One deal of the funnel as it stands today (days relative to today)."""

    bucket: Bucket
    in_bucket: int  # days since it entered its bucket
    close: int | None  # expected close; None: no date
    due: int | None  # next action due; None: no next action
    economic: bool = True
    all_covered: bool = True
    authority: bool = True
    stale: bool = False  # nothing logged since it entered its bucket
    reviewed: bool = True  # ideal-customer criteria reviewed
    poor_fit: bool = False


#: The funnel today: 7 above, 5 in, 3 in Best Few — one Best Few deal more than the goal supports,
#: one whose close date slipped and one hoped for too far out, so the week is a little overloaded.
#: Nothing is expected to close in the second and third weeks from now: the dip the Insights
#: screen describes (too soon for new prospects; the In-the-Funnel deals could be pulled forward).
_OPEN: tuple[_OpenDeal, ...] = (
    _OpenDeal(Bucket.BEST_FEW, 9, 6, 0),  # closes next week
    _OpenDeal(Bucket.BEST_FEW, 12, -3, -1),  # slipped: expected three days ago
    _OpenDeal(Bucket.BEST_FEW, 4, 40, 2, economic=False, all_covered=False),  # hoped for, too far out
    _OpenDeal(Bucket.IN, 20, 31, 1, all_covered=False),
    _OpenDeal(Bucket.IN, 14, 36, -2),
    _OpenDeal(Bucket.IN, 9, 44, 3, authority=False, all_covered=False),
    _OpenDeal(Bucket.IN, 33, 47, None, stale=True, all_covered=False),  # gone quiet, no next action
    _OpenDeal(Bucket.IN, 3, 55, 5),
    _OpenDeal(Bucket.ABOVE, 0, None, 2, reviewed=False),  # found today: fit not assessed yet
    _OpenDeal(Bucket.ABOVE, 1, None, 0),  # found earlier this week (or late last week)
    _OpenDeal(Bucket.ABOVE, 6, None, 1),
    _OpenDeal(Bucket.ABOVE, 9, 80, 4, poor_fit=True),
    _OpenDeal(Bucket.ABOVE, 13, None, -3),
    _OpenDeal(Bucket.ABOVE, 18, None, 6),
    _OpenDeal(Bucket.ABOVE, 24, 95, None),  # no next action
)


def _open_funnel(rng: random.Random, today: date) -> list[_Plan]:
    """The funnel as it stands today (`_OPEN`), with the loose ends a real funnel has: overdue and
    missing next actions, uncovered influences, an unqualified deal, a stale one, a poor fit."""
    plans = []
    counters = {b: 0 for b in OPEN_BUCKETS}
    for offset, spec in enumerate(_OPEN):
        bucket = spec.bucket
        i = counters[bucket]
        counters[bucket] += 1
        index = 70 + offset
        if bucket is Bucket.ABOVE:
            stages: list[int] = [spec.in_bucket]
        elif bucket is Bucket.IN:
            stages = [_days(rng, 8, 24), spec.in_bucket]
        else:
            stages = [_days(rng, 8, 22), _days(rng, 16, 36), spec.in_bucket]
        first_contact = today - timedelta(days=sum(stages))
        opp = _base(rng, index, bucket, first_contact)
        opp = replace(
            opp,
            authority=bucket is Bucket.BEST_FEW or (bucket is Bucket.IN and spec.authority),
            need=bucket is not Bucket.ABOVE or opp.need,
            expected_close=None if spec.close is None else today + timedelta(days=spec.close),
            next_action="" if spec.due is None else NEXT_ACTIONS[bucket][i % 4],
            next_action_due=None if spec.due is None else today + timedelta(days=spec.due),
            notes="Met at the spring conference; wants a fixed price." if i == 1 else "",
            criteria_reviewed=spec.reviewed,
        )
        plan = _Plan(opp, first_contact)
        day = first_contact
        path = [Bucket.IN, Bucket.BEST_FEW]
        kinds = (_EARLY, _MIDDLE, _LATE)
        for stage, stay in enumerate(stages):
            last = stage == len(stages) - 1
            end = min(today, day + timedelta(days=stay)) if last else day + timedelta(days=max(0, stay - 1))
            if spec.stale and last:
                end = day  # one touch on entering, then silence
            plan.activities += _activities(rng, day, end, kinds[stage], 1 if spec.stale else rng.randint(1, 3))
            day += timedelta(days=stay)
            if not last:
                plan.moves.append((day, path[stage], ""))
        if spec.stale:
            plan.activities = [a for a in plan.activities if a.on <= day - timedelta(days=stages[-1])]
        # Buying influences: Best Few mostly covered, In the Funnel half, Above at most a coach.
        if bucket is Bucket.ABOVE:
            plan.influences = _influences(rng, bucket)[-1:] if i % 2 == 0 else ()
        else:
            plan.influences = _influences(rng, bucket, economic=spec.economic, all_covered=spec.all_covered)
            if bucket is Bucket.BEST_FEW and not spec.all_covered:
                plan.influences = tuple(
                    Influence(x.name, x.role, x.role is not Role.TECHNICAL) for x in plan.influences
                )
        if spec.poor_fit:
            plan.criteria = (0,)
        elif spec.reviewed:
            plan.criteria = _good_fit(rng)
        plans.append(plan)
    return plans


def _prospecting_days(rng: random.Random, today: date) -> list[date]:
    """Prospecting research on no deal: a couple of sessions a week for twelve weeks, and today."""
    monday = today - timedelta(days=today.weekday())
    days = [today]
    for week in range(12):
        start = monday - timedelta(weeks=week + 1)
        days += [start + timedelta(days=rng.randint(0, 4)) for _ in range(rng.randint(1, 3))]
    return sorted(days)
