"""Plain domain objects of the funnel method (SPEC §1–§3).

Pure Python: no I/O, no ORM, no Textual. The store converts its rows into these objects and
the engine, the CLI and the UI only ever see these.

Money is kept as integer cents (`value_cents`) so sums never carry float error.
Days are `datetime.date`; instants are timezone-aware UTC `datetime`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Bucket(StrEnum):
    """Where an opportunity stands in Miller & Heiman's funnel (SPEC §1)."""

    ABOVE = "above"
    IN = "in"
    BEST_FEW = "best_few"
    WON = "won"
    LOST = "lost"

    @property
    def label(self) -> str:
        return _BUCKET_LABELS[self]

    @property
    def short_label(self) -> str:
        return _BUCKET_SHORT[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_BUCKETS

    def next(self) -> Bucket | None:
        """The bucket one step further along the funnel (`>`), None past Best Few."""
        order = OPEN_BUCKETS
        if self in order and self is not Bucket.BEST_FEW:
            return order[order.index(self) + 1]
        return None

    def previous(self) -> Bucket | None:
        """The bucket one step back up the funnel (`<`), None above Above."""
        order = OPEN_BUCKETS
        if self in order and self is not Bucket.ABOVE:
            return order[order.index(self) - 1]
        return None


_BUCKET_LABELS = {
    Bucket.ABOVE: "Above the Funnel",
    Bucket.IN: "In the Funnel",
    Bucket.BEST_FEW: "Best Few",
    Bucket.WON: "Won",
    Bucket.LOST: "Lost",
}
_BUCKET_SHORT = {
    Bucket.ABOVE: "Above",
    Bucket.IN: "In",
    Bucket.BEST_FEW: "Best Few",
    Bucket.WON: "Won",
    Bucket.LOST: "Lost",
}

#: The three open buckets, top of the funnel first (the funnel's physical order).
OPEN_BUCKETS: tuple[Bucket, ...] = (Bucket.ABOVE, Bucket.IN, Bucket.BEST_FEW)
#: The order of the daily agenda: close first, then prospect, then cover influences (SPEC §1).
PRIORITY: tuple[Bucket, ...] = (Bucket.BEST_FEW, Bucket.ABOVE, Bucket.IN)
CLOSED_BUCKETS: tuple[Bucket, ...] = (Bucket.WON, Bucket.LOST)


class Role(StrEnum):
    """Buying influence roles of Strategic Selling."""

    ECONOMIC = "economic"
    USER = "user"
    TECHNICAL = "technical"
    COACH = "coach"

    @property
    def label(self) -> str:
        return {
            Role.ECONOMIC: "Economic Buyer",
            Role.USER: "User Buyer",
            Role.TECHNICAL: "Technical Buyer",
            Role.COACH: "Coach",
        }[self]


class ActivityKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    PROPOSAL = "proposal"
    RESEARCH = "research"  # prospecting research
    OTHER = "other"

    @property
    def label(self) -> str:
        return "prospecting research" if self is ActivityKind.RESEARCH else self.value


class CriterionKind(StrEnum):
    DEMOGRAPHIC = "demographic"  # size, sector, region, budget…
    PSYCHOGRAPHIC = "psychographic"  # values, openness to innovation, quality over price…


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Influence:
    """A buying influence on one opportunity."""

    name: str
    role: Role
    covered: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Criterion:
    """One ideal-customer criterion with its weight 1–3."""

    name: str
    kind: CriterionKind = CriterionKind.DEMOGRAPHIC
    weight: int = 1
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A possible sale. `entered_bucket_on` and `last_touched_on` are derived by the store:
    the day it entered its current bucket, and the latest of its activities, moves and creation."""

    title: str
    id: int | None = None
    bucket: Bucket = Bucket.ABOVE
    account: str = ""
    contact: str = ""
    value_cents: int = 0
    first_contact: date | None = None
    expected_close: date | None = None
    closed_on: date | None = None
    next_action: str = ""
    next_action_due: date | None = None
    source: str = ""
    notes: str = ""
    money: bool = False
    authority: bool = False
    need: bool = False
    lost_reason: str = ""
    criteria_met: frozenset[int] = frozenset()
    influences: tuple[Influence, ...] = ()
    created_on: date | None = None
    entered_bucket_on: date | None = None
    last_touched_on: date | None = None
    # The user has looked at the deal's ideal-customer criteria (SPEC §3.4 `poor_fit`): until then
    # its fit is "not assessed", whatever the criteria met say.
    criteria_reviewed: bool = False

    @property
    def is_open(self) -> bool:
        return self.bucket.is_open

    @property
    def has_economic_buyer(self) -> bool:
        return any(i.role is Role.ECONOMIC for i in self.influences)

    @property
    def uncovered_influences(self) -> tuple[Influence, ...]:
        return tuple(i for i in self.influences if not i.covered)

    @property
    def any_covered(self) -> bool:
        return any(i.covered for i in self.influences)

    @property
    def qualified(self) -> bool:
        """Money, Authority and Need all confirmed (SPEC §1)."""
        return self.money and self.authority and self.need

    @property
    def missing_qualification(self) -> tuple[str, ...]:
        """Which of Money, Authority, Need are not confirmed, in that order."""
        return tuple(name for name, ok in (("Money", self.money), ("Authority", self.authority), ("Need", self.need))
                     if not ok)


@dataclass(frozen=True, slots=True)
class Move:
    """One step of an opportunity along (or out of) the funnel; kept as history."""

    opportunity_id: int
    from_bucket: Bucket | None  # None: the deal was created in `to_bucket`
    to_bucket: Bucket
    at: datetime  # UTC
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Activity:
    """Logged selling time. `bucket` is the bucket the work counts for: the deal's bucket when it
    was logged, or Above the Funnel for work on no opportunity (prospecting)."""

    kind: ActivityKind
    minutes: int
    on: date
    opportunity_id: int | None = None
    note: str = ""
    bucket: Bucket = Bucket.ABOVE
    id: int | None = None


# ---------------------------------------------------------------------------------------------
# What the store measures from history, for the engine to learn from (SPEC §1, §3.1).


@dataclass(frozen=True, slots=True)
class BucketHistory:
    """What one open bucket's past says (SPEC §3.2), summarised by the store in SQL (a few rows
    whatever the length of the history)."""

    passed: int = 0  # closed deals that went on past this bucket: further down or won (skips included)
    failed: int = 0  # closed deals lost from this bucket
    stays: int = 0  # finished stays (left forward or lost; a move back ends nothing) with a known length
    median_dwell_days: float | None = None  # median length of those stays, in days; None without any

    @property
    def outcomes(self) -> int:
        """Deals with an outcome here: at most one per deal (open deals are pending)."""
        return self.passed + self.failed


@dataclass(frozen=True, slots=True)
class History:
    """What the funnel's own past says, as summaries (never one entry per past deal or move)."""

    cycle_samples: int = 0  # the most recent measurable won deals (at most 25) the cycle is measured over
    median_cycle_days: float | None = None  # median of their first contact → won, in days; None without any
    measurable_wins: int = 0  # every won deal with a known first contact on or before its close
    buckets: Mapping[Bucket, BucketHistory] = field(default_factory=dict)

    def bucket(self, bucket: Bucket) -> BucketHistory:
        return self.buckets.get(bucket, BucketHistory())


@dataclass(frozen=True, slots=True)
class CycleBin:
    """One range of the normal cycle's distribution: won deals whose cycle took `low`–`high` days."""

    low: int
    high: int
    count: int


@dataclass(frozen=True, slots=True)
class FunnelSnapshot:
    """Everything the engine needs, read by the store in one go."""

    today: date
    settings: "Settings"
    #: In agenda order: by bucket (Above, In, Best Few), then next action due soonest first, none
    #: last, then by id (oldest first). The Funnel shows each bucket in this order.
    open_deals: tuple[Opportunity, ...]
    history: History
    criteria: tuple[Criterion, ...] = ()
    week_minutes: Mapping[Bucket, int] = field(default_factory=dict)  # logged this week (Mon–Sun)
    prospects_this_week: int = 0  # deals that entered Above the Funnel this week (the quota's progress)
    prospects_today: int = 0  # of those, the ones that entered it today (today's share's progress)
    won_this_month: int = 0
    checkin_streak: int = 0
    checked_in_today: bool = False
    # This week's selling hours when set for this week only (SPEC §2 "Weekly plan"); None: the
    # normal week, `settings.hours_per_week`.
    week_hours: float | None = None

    @property
    def settings_this_week(self) -> "Settings":
        """The settings the engine plans this week with: this week's hours when they are set."""
        if self.week_hours is None:
            return self.settings
        from dataclasses import replace

        return replace(self.settings, hours_per_week=self.week_hours)


# ---------------------------------------------------------------------------------------------
# What the engine computes.


@dataclass(frozen=True, slots=True)
class Cycle:
    """The normal sales cycle C and where it comes from (SPEC §1, §3.2)."""

    days: float
    source: str  # "measured" or "setting"
    samples: int  # won deals measured (the most recent, at most 25)
    setting_days: float = 60.0  # the user's `cycle_days`, what a measured cycle is checked against
    measurable: int = 0  # every won deal with a known first contact (samples ≤ measurable)

    @property
    def description(self) -> str:
        if self.source == "measured":
            if self.measurable > self.samples:
                return f"median of the last {self.samples} won deals"
            return f"median of {self.samples} won deals"
        return "your setting"


@dataclass(frozen=True, slots=True)
class Parameter:
    """A resolved model input with its source: "measured", "setting" or "default"."""

    value: float
    source: str
    samples: int = 0


@dataclass(frozen=True, slots=True)
class FunnelParameters:
    cycle: Cycle
    residence_days: Mapping[Bucket, Parameter]  # R_s
    pass_rate: Mapping[Bucket, Parameter]  # p_s
    flow_per_day: Mapping[Bucket, float]  # λ_s
    target_stock: Mapping[Bucket, float]  # N*_s

    def win_probability(self, bucket: Bucket) -> float:
        """Product of the pass rates from `bucket` on (SPEC §3.5)."""
        p = 1.0
        for b in OPEN_BUCKETS[OPEN_BUCKETS.index(bucket):]:
            p *= self.pass_rate[b].value
        return p


@dataclass(frozen=True, slots=True)
class Share:
    """One bucket's part of the week: what its deals ask (`demanded_hours`), what it gets
    (`hours`, and `percent` of H), and the one-line arithmetic that says so."""

    percent: int
    hours: float
    reason: str
    demanded_hours: float


@dataclass(frozen=True, slots=True)
class Allocation:
    """Suggested split of the selling week (SPEC §3.3, reference model v2)."""

    shares: Mapping[Bucket, Share]
    overloaded_hours: float  # demanded hours beyond H, 0 when the week suffices
    prospects_per_week: float  # P, new prospects needed a week
    hours_per_week: float
    prospect_quota: int = 0  # P rounded up once: the week's prospecting quota, the same number everywhere
    floor_binds: bool = False  # Above was raised to the prospecting floor

    def __getitem__(self, bucket: Bucket) -> Share:
        return self.shares[bucket]

    @property
    def demanded_hours(self) -> float:
        """D: every bucket's demand together."""
        return sum(share.demanded_hours for share in self.shares.values())


@dataclass(frozen=True, slots=True)
class OwnSplit:
    """The user's own split of the week (SPEC §3.3) beside the suggestion: each bucket's share
    with the same demand as the suggestion's and a reason that says what the split does to it."""

    shares: Mapping[Bucket, Share]
    underserved: tuple[Bucket, ...]  # buckets given less than half of what their deals ask
    hours_per_week: float

    def __getitem__(self, bucket: Bucket) -> Share:
        return self.shares[bucket]


@dataclass(frozen=True, slots=True)
class ProspectQuota:
    """The week's prospecting quota and today's share of it (SPEC §3.3): the one quota every
    screen and the CLI show."""

    week: int  # P rounded up
    per_week: float  # P as computed
    done_week: int  # prospects that entered Above the Funnel this week
    today: int  # what is left of the week's quota, over the working days left (today included), rounded up
    done_today: int  # prospects that entered Above the Funnel today
    working_days_left: int  # Monday to Friday, today included (at least 1: a weekend day counts as one)

    @property
    def left_week(self) -> int:
        return max(0, self.week - self.done_week)

    @property
    def left_at_start_of_today(self) -> int:
        """What today's share was worked out from: the week's quota less the prospects found before today."""
        return max(0, self.week - max(0, self.done_week - self.done_today))


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    severity: Severity
    message: str
    opportunity_id: int | None = None


@dataclass(frozen=True, slots=True)
class WeekForecast:
    start: date  # Monday of the week
    expected_wins: float  # from the deals in the funnel now
    goal: float  # wins wanted that week (G · 7 / 30)
    with_quota: float = 0.0  # expected wins if the quota is kept from today (the deals now included)
    judged: bool = True  # the current week is shown, not judged (it is partly over)

    @property
    def dry(self) -> bool:
        return self.judged and self.expected_wins < self.goal / 2

    @property
    def dry_with_quota(self) -> bool:
        return self.judged and self.with_quota < self.goal / 2


@dataclass(frozen=True, slots=True)
class Projection:
    """Roller-coaster projection over the next 1.5·C days (SPEC §3.5)."""

    weeks: tuple[WeekForecast, ...]
    first_dry_week: date | None  # the first judged week below half the weekly goal (deals now)
    prospect_by: date | None  # prospecting started by this day fills that week (only when still ahead)
    too_late: bool = False  # the first dry week is nearer than new prospects can close
    pull_forward: tuple[int, ...] = ()  # In-the-Funnel deals expected after it, soonest first (too late only)
    first_dry_week_with_quota: date | None = None  # the same, if the quota is kept from today
    slipped: int = 0  # open deals whose expected close passed: re-dated, at half weight
    stale: int = 0  # stale open deals (not slipped): at half weight
    quota: int = 0  # the weekly quota the second series keeps
    lead_days: int = 0  # about how long a new prospect takes to close (C, whole days)
    dry_run: int = 0  # the first dry week and the dry weeks straight after it, in weeks
    next_dry_week: date | None = None  # too late only: the first later dry week prospecting can still fill
    next_prospect_by: date | None = None  # prospecting started by this day fills that week (today or later)

    @property
    def half_weight(self) -> int:
        return self.slipped + self.stale

    @property
    def too_late_weeks(self) -> int:
        """Too late only: the weeks of the first dip new prospects cannot reach (a long dip can run
        on into weeks they can: those from `next_dry_week` on)."""
        if not self.too_late or self.first_dry_week is None:
            return 0
        if self.next_dry_week is not None:
            return min(self.dry_run, (self.next_dry_week - self.first_dry_week).days // 7)
        return self.dry_run

    def week(self, start: date | None) -> WeekForecast | None:
        """The week that starts on `start` (a Monday), if the projection holds it."""
        return next((w for w in self.weeks if w.start == start), None)


@dataclass(frozen=True, slots=True)
class ForecastCategory:
    name: str  # "commit", "best case", "pipeline"
    bucket: Bucket
    count: int  # deals expected to close inside the horizon
    value_cents: int
    win_probability: float
    weighted_value_cents: int
    expected_wins: float


@dataclass(frozen=True, slots=True)
class Forecast:
    """The forecast over one normal cycle (SPEC §3.6)."""

    categories: tuple[ForecastCategory, ...]  # deals expected to close inside the horizon
    weighted_value_cents: int
    expected_wins: float
    horizon_days: int
    goal_wins: float  # wins wanted over the horizon (G · C / 30)
    commit_cents: int = 0  # Best Few inside the horizon at full value
    best_case_cents: int = 0  # Best Few + In inside the horizon at full value
    pipeline_cents: int = 0  # every open deal inside the horizon at full value
    beyond_count: int = 0  # open deals expected to close after the horizon: shown apart, not counted
    beyond_value_cents: int = 0
    goal_value_cents: int | None = None  # goal_value_per_month over the horizon, when set
    coverage: float | None = None  # pipeline_cents / goal_value_cents, when the goal value is set
    coverage_deals: float = 0.0  # deals inside the horizon / wins wanted (when no goal value is set)
    rule_of_thumb: float = 3.0  # the common 3× pipeline rule
    required_coverage: float = 0.0  # 1 / the win rate from Above: what the user's own rates ask
    half_weight: int = 0  # deals counted at half weight (slipped or stale)


@dataclass(frozen=True, slots=True)
class Status:
    """The whole picture for one day: what `planner status` prints and the funnel screen shows."""

    today: date
    cycle: Cycle
    counts: Mapping[Bucket, int]
    values_cents: Mapping[Bucket, int]
    parameters: FunnelParameters
    allocation: Allocation
    flags: tuple[Flag, ...]
    projection: Projection
    forecast: Forecast
    quota: ProspectQuota | None = None
    own_split: OwnSplit | None = None  # the user's own split, when set
    #: Each deal's own flags by deal id, in the order of `flags` (deals with none left out).
    deal_flags: Mapping[int, tuple[Flag, ...]] = field(default_factory=dict)

    def flags_for(self, opportunity_id: int) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.opportunity_id == opportunity_id)


# ---------------------------------------------------------------------------------------------
# The Today, Week and Insights views.


class AgendaKind(StrEnum):
    CLOSE = "close"  # a Best Few deal's next action
    PROSPECT = "prospect"  # the week's prospecting quota
    COVER = "cover"  # an In-the-Funnel deal with uncovered buying influences
    ACTION = "action"  # an In-the-Funnel deal's due next action


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One line of the daily check-in, already in priority order when it comes from `agenda()`."""

    kind: AgendaKind
    bucket: Bucket
    title: str  # what to do, e.g. "Send proposal — Acme: website revamp"
    opportunity_id: int | None = None
    due: date | None = None
    overdue: bool = False
    detail: str = ""  # e.g. "2 of 4 new prospects this week", "uncovered: Technical Buyer (Lee)"
    done: int = 0  # PROSPECT: prospects added this week
    quota: int = 0  # PROSPECT: prospects needed this week (P rounded up: ProspectQuota.week)
    done_today: int = 0  # PROSPECT: prospects added today
    quota_today: int = 0  # PROSPECT: today's share of what is left of the week's quota


@dataclass(frozen=True, slots=True)
class TimeBlock:
    day: date
    start_minute: int  # minutes after local midnight
    minutes: int
    bucket: Bucket
    title: str  # e.g. "Best Few: close — Acme"
    detail: str = ""  # the deals to work on and their next actions, one a line (the calendar's description)


@dataclass(frozen=True, slots=True)
class WeekPlan:
    week_start: date  # Monday
    hours: float  # H
    suggested: Mapping[Bucket, int]  # percent, from the allocation
    split: Mapping[Bucket, int]  # the user's own split when set, else the suggestion
    is_custom: bool
    planned_hours: Mapping[Bucket, float]  # the hours the split in use gives: the suggestion's own, or the own split's
    logged_hours: Mapping[Bucket, float]  # logged this week
    blocks: tuple[TimeBlock, ...]


@dataclass(frozen=True, slots=True)
class BucketStats:
    bucket: Bucket
    conversion: Parameter  # pass rate, measured or default
    dwell_days: Parameter  # median stay, measured or default
    passed: int  # closed deals that went on past the bucket
    failed: int  # closed deals lost from it
    stays: int  # finished stays measured

    @property
    def outcomes(self) -> int:
        return self.passed + self.failed


@dataclass(frozen=True, slots=True)
class Insights:
    cycle: Cycle
    distribution: tuple[CycleBin, ...]  # won deals' cycle lengths by range (Repository.cycle_distribution)
    buckets: Mapping[Bucket, BucketStats]
    forecast: Forecast
    projection: Projection
    pull_forward_names: tuple[str, ...] = ()  # the projection's pull_forward deals, named as in messages


# ---------------------------------------------------------------------------------------------
# Imports (SPEC §4 "Switching in", "Export is complete"): what one import writes, in one transaction.


@dataclass(frozen=True, slots=True)
class DealHistory:
    """A deal with its whole history, as a complete (JSON) export holds it: its ids are the
    file's, its moves and activities refer to it by that id."""

    opportunity: Opportunity
    moves: tuple[Move, ...] = ()
    activities: tuple[Activity, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportBatch:
    """Everything one import writes, all or nothing.

    `new`: deals to add (fresh ids, a creation move on the day of the import); `updates`: deals
    matched on their id (`--update`) with the fields the file sets; `histories`: deals of a
    complete export with their moves and activities; `prospecting`: activities on no deal;
    `criteria`: ideal-customer criteria (merged with those there by name); `settings`: key → text
    as the settings are stored, to apply; `checkins`: the days of the check-in streak."""

    new: tuple[Opportunity, ...] = ()
    updates: tuple[tuple[Opportunity, frozenset[str]], ...] = ()
    histories: tuple[DealHistory, ...] = ()
    prospecting: tuple[Activity, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    settings: Mapping[str, str] = field(default_factory=dict)
    checkins: tuple[date, ...] = ()  # days the morning check-in was done (a complete export)


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: tuple[int, ...]  # ids of the deals added (new and histories)
    updated: tuple[int, ...]
