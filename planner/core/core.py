"""The application core (SPEC §2, §5, §6): every use case once, for the TUI and the CLI.

`Core` owns the repository and today, the cached snapshot and status of the funnel, and the undo
and redo history. Each use case is one method that checks its input, writes in one transaction,
invalidates what it changed and returns a `Change`: a one-line description, the method's warnings,
the deal concerned, whether it can be undone. The TUI reaches it as `PlannerApp.core`; the CLI
opens one per command. Nothing else writes the user's data.

Two instances on one database (SPEC §5, §6):
- an action computed from what a screen showed carries what it saw: a move the bucket it expects
  to move from, an edit the deal as it was shown (`base`). When the deal is not that any more the
  store refuses (Stale), nothing changes, and the core says what changed (`Conflict`);
- undo and redo take back or make again exactly this instance's own change, and only while what
  it changed is still as this instance left it (the deal, the activity, the setting, the
  criterion, the check-in); otherwise they say so and change nothing;
- `poll()` asks SQLite whether another connection wrote since (`PRAGMA data_version`, no read of
  data) and drops the caches when one did; the TUI calls it every second.

No Textual here (tests/test_import_hygiene.py), and nothing the CLI does not need is imported at
module level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from planner.core import text
from planner.domain.models import OPEN_BUCKETS, Activity, Bucket, Criterion, Influence, Opportunity
from planner.errors import BadInput, Conflict, NotFound, PlannerError, Stale

if TYPE_CHECKING:
    from planner.domain.models import CycleBin, FunnelSnapshot, Move, Status, WeekPlan
    from planner.domain.settings import Settings
    from planner.store.repository import CriterionState, DealState, Repository

T = TypeVar("T")

#: The fields of a deal that `edit` may change (its bucket moves with `move`; closing with won/lost).
EDITABLE = (
    "title", "account", "contact", "value_cents", "first_contact", "expected_close", "next_action",
    "next_action_due", "source", "notes", "money", "authority", "need", "criteria_met", "criteria_reviewed",
    "influences",
)
#: Undo remembers this many changes.
HISTORY = 500
ELSEWHERE = "in another window or from the command line"
#: The setting that remembers the week's calendar export: its week, SEQUENCE and events (uid → day,
#: start minute, minutes). Not a user setting: `planner config` and exports do not show it.
CALENDAR_KEY = "calendar.exported"


@dataclass(frozen=True, slots=True)
class Change:
    """What one use case (or its undo or redo) did."""

    description: str  # one line, e.g. "Moved “Acme” to In the Funnel"
    deal_id: int | None = None  # the deal concerned
    deal: Opportunity | None = None  # that deal as it is now, when the core has it (None: gone, or not read)
    warnings: tuple[str, ...] = ()  # the method's warnings (a move never blocks, SPEC §2)
    notices: tuple[str, ...] = ()  # what else it did, for information (not the method's): a currency adopted
    undoable: bool = False  # `undo()` takes it back
    redoable: bool = False  # `redo()` makes it again (after an undo)
    changed: bool = True  # False: nothing needed changing (e.g. already in that bucket)
    value: Any = None  # what the use case made: the new deal's id, the logged Activity, a criterion's id, a Path


class Written(NamedTuple):
    """A file written for the user: where, and how many things it holds."""

    path: Path
    count: int


# --- undo and redo ------------------------------------------------------------------------------
# A step knows how to take its change back and make it again, each as one checked transaction
# of the store that raises Stale when what it would change is not as this instance left it.

class _Step:
    description: str
    what: str  # the thing changed, for "… has changed since"
    deal_id: int | None = None
    deals: frozenset[int] | None = frozenset()  # the deals the step writes (None: any, re-read all)

    def undo(self, repo: Repository) -> Opportunity | None:
        raise NotImplementedError

    def redo(self, repo: Repository) -> Opportunity | None:
        raise NotImplementedError


class _DealStep(_Step):
    """A change to one deal (add, edit, move, delete…): `before` and `after` are the whole deal."""

    def __init__(self, description: str, before: DealState, after: DealState) -> None:
        self.description = description
        self.before, self.after = before, after
        self.deal_id = before.opportunity_id
        self.deals = frozenset({self.deal_id})
        deal = after.opportunity or before.opportunity
        self.what = text.quoted(deal) if deal is not None else f"deal {self.deal_id}"

    def undo(self, repo: Repository) -> Opportunity | None:
        return repo.restore_deal(self.after, self.before).opportunity

    def redo(self, repo: Repository) -> Opportunity | None:
        return repo.restore_deal(self.before, self.after).opportunity


class _ActivityStep(_Step):
    def __init__(self, description: str, activity: Activity, what: str) -> None:
        self.description, self.activity, self.what = description, activity, what
        self.deal_id = activity.opportunity_id
        self.deals = frozenset({self.deal_id}) if self.deal_id is not None else frozenset()

    def undo(self, repo: Repository) -> Opportunity | None:
        repo.remove_activity(self.activity)
        return None

    def redo(self, repo: Repository) -> Opportunity | None:
        repo.put_back_activity(self.activity)
        return None


class _SettingsStep(_Step):
    def __init__(self, description: str, before: dict, after: dict, what: str) -> None:
        self.description, self.before, self.after, self.what = description, before, after, what

    def undo(self, repo: Repository) -> Opportunity | None:
        repo.write_settings(self.before, expect=self.after)
        return None

    def redo(self, repo: Repository) -> Opportunity | None:
        repo.write_settings(self.after, expect=self.before)
        return None


class _CriterionStep(_Step):
    def __init__(self, description: str, before: CriterionState, after: CriterionState) -> None:
        self.description, self.before, self.after = description, before, after
        criterion = after.criterion or before.criterion
        self.what = f"the criterion “{criterion.name}”" if criterion else "the criterion"
        # Deals lose or regain a criterion they meet when it goes or comes back: re-read them all.
        self.deals = None if (before.met_by or after.met_by) else frozenset()

    def undo(self, repo: Repository) -> Opportunity | None:
        repo.restore_criterion(self.after, self.before)
        return None

    def redo(self, repo: Repository) -> Opportunity | None:
        repo.restore_criterion(self.before, self.after)
        return None


class _Together(_Step):
    """Changes made as one (a deal's change and the currency it made the database's): undone and
    redone together, in one transaction, so one undo takes back all of them."""

    def __init__(self, description: str, steps: tuple[_Step, ...]) -> None:
        self.description, self.steps = description, steps
        self.deal_id = steps[0].deal_id
        self.what = steps[0].what
        deals = [step.deals for step in steps]
        self.deals = None if None in deals else frozenset().union(*deals)

    def undo(self, repo: Repository) -> Opportunity | None:
        return self._run(repo, [(step, step.undo) for step in reversed(self.steps)])

    def redo(self, repo: Repository) -> Opportunity | None:
        return self._run(repo, [(step, step.redo) for step in self.steps])

    def _run(self, repo: Repository, runs: list[tuple[_Step, Callable[[Repository], Opportunity | None]]]
             ) -> Opportunity | None:
        done: dict[_Step, Opportunity | None] = {}
        with repo.together():
            for step, run in runs:
                try:
                    done[step] = run(repo)
                except Stale:
                    self.what = step.what  # "Not undone: … — <this> has changed since"
                    raise
        return done[self.steps[0]]


class _CheckinStep(_Step):
    def __init__(self, description: str, day: date) -> None:
        self.description, self.day = description, day
        self.what = f"the check-in of {text.weekday_date(day)}"

    def undo(self, repo: Repository) -> Opportunity | None:
        repo.remove_checkin(self.day)
        return None

    def redo(self, repo: Repository) -> Opportunity | None:
        if not repo.add_checkin(self.day)[0]:
            raise Stale()
        return None


# --- the core -----------------------------------------------------------------------------------

class Core:
    """`Core.open(db)` resolves the database like the CLI; `Core(repo, today)` wraps an open one."""

    def __init__(self, repo: Repository, today: date) -> None:
        self._repo = repo
        self.today = today
        self.version = 0  # bumped whenever what the screens show may have changed
        self._snapshot: FunnelSnapshot | None = None
        self._status: Status | None = None
        self._plan: WeekPlan | None = None
        # After changes to single deals: the snapshot before them and the deals changed since,
        # so the next snapshot re-reads only those deals (see Repository.snapshot).
        self._reuse: tuple[FunnelSnapshot, set[int]] | None = None
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self._seen = repo.data_version()

    @classmethod
    def open(cls, db: str | None = None) -> Core:
        """Today from the one clock (a bad PLANNER_TODAY is BadInput before the file is touched),
        then the database: `db`, else PLANNER_DB, else the user data directory."""
        from planner.clock import plain_today
        from planner.store import open_repository

        today = plain_today()  # a plain date: no pendulum import on start-up
        return cls(open_repository(db), today)

    def close(self) -> None:
        self._repo.close()

    def __enter__(self) -> Core:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def database_path(self) -> Path:
        return self._repo.path

    @property
    def read_only(self) -> bool:
        return self._repo.read_only

    @property
    def notice(self) -> str | None:
        """What the user should know about how the database was opened (e.g. read-only because
        its disk is full), or None."""
        return getattr(self._repo, "notice", None)

    # --- what the screens and commands read ---------------------------------------------------
    def snapshot(self) -> FunnelSnapshot:
        """Everything the engine needs for today, read once and cached until the next change."""
        if self._snapshot is None:
            reuse, self._reuse = self._reuse, None
            if reuse is None:
                self._snapshot = self._repo.snapshot(self.today)
            else:
                self._snapshot = self._repo.snapshot(self.today, since=reuse[0], changed=reuse[1])
        return self._snapshot

    def status(self) -> Status:
        """The method engine's view of today (SPEC §3), cached until the next change."""
        if self._status is None:
            from planner.domain.status import analyse

            self._status = analyse(self.snapshot())
        return self._status

    def week_plan(self) -> WeekPlan:
        """This week's plan (SPEC §2 "Weekly plan"): this week's hours, the split, the time blocks."""
        if self._plan is None:
            from planner.domain.weekplan import week_plan

            snapshot = self.snapshot()
            self._plan = week_plan(self.today, snapshot.settings_this_week, self.status().allocation,
                                   snapshot.week_minutes, snapshot.open_deals)
        return self._plan

    def deal(self, deal_id: int) -> Opportunity:
        """One deal as stored now, open or closed (NotFound for an unknown id)."""
        return self._repo.get(deal_id)

    def deals(self, bucket: Bucket | None = None, *, search: str = "") -> list[Opportunity]:
        return self._repo.list(bucket, search=search)

    def closed_deals(self, *, outcome: Bucket | None = None, search: str = "",
                     limit: int = 500) -> tuple[list[Opportunity], int]:
        """Won and lost deals to find and reopen (SPEC §2): the latest closed first, at most
        `limit`, and how many match in all; `outcome` won or lost only, `search` any words of theirs."""
        if outcome is not None and outcome.is_open:
            raise BadInput("closed deals are won or lost")
        return self._repo.closed_deals(outcome=outcome, search=search, limit=limit)

    def closed_totals(self) -> dict[Bucket, tuple[int, int]]:
        """Won and lost: (number of deals, their value in cents)."""
        return self._repo.closed_totals()

    def closed_from(self, deal_id: int) -> Bucket | None:
        """The open bucket a won or lost deal closed from (where `reopen` puts it by default)."""
        deal = self.deal(deal_id)
        into = [m.from_bucket for m in self.moves(deal_id) if m.to_bucket is deal.bucket and m.from_bucket]
        return into[-1] if into and into[-1].is_open else None

    def moves(self, deal_id: int) -> list[Move]:
        return self._repo.moves(deal_id)

    def activities(self, deal_id: int | None = None, *, limit: int = 200) -> list[Activity]:
        return self._repo.activities(deal_id, limit=limit)

    def criteria(self) -> list[Criterion]:
        return self._repo.criteria()

    def settings(self) -> Settings:
        """The stored settings (the normal week's hours, not this week's)."""
        return self._repo.settings()

    def cycle_distribution(self) -> tuple[CycleBin, ...]:
        return self._repo.cycle_distribution()

    def cycle_days(self) -> float:
        """The normal cycle C the move warnings use: today's status when it is at hand (the TUI),
        else measured from history in one read (the CLI needs no snapshot for a move)."""
        if self._status is not None:
            return self._status.cycle.days
        from planner.domain.cycle import normal_cycle

        history, settings = self._repo.history_and_settings()
        return normal_cycle(history.cycle_samples, history.median_cycle_days, settings.cycle_days,
                            history.measurable_wins).days

    # --- staying current ----------------------------------------------------------------------
    def refresh(self, deals: Iterable[int] | None = None) -> None:
        """Drop the caches. `deals`: only those deals changed (and what the snapshot reads afresh
        anyway: counts, history, settings, this week's time), so the other open deals are kept;
        an empty iterable: no deal changed. None: re-read everything."""
        if deals is None:
            self._reuse = None
        else:
            ids = set(deals)
            if self._snapshot is not None:
                self._reuse = (self._snapshot, ids)
            elif self._reuse is not None:
                self._reuse[1].update(ids)
        self._snapshot = None
        self._status = None
        self._plan = None
        self.version += 1

    def poll(self) -> bool:
        """True (and the caches dropped) when another connection wrote to the database since the
        last poll; costs one PRAGMA, no read of data."""
        seen = self._repo.data_version()
        if seen == self._seen:
            return False
        self._seen = seen
        self.refresh()
        return True

    # --- undo and redo ------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_description(self) -> str | None:
        return self._undo[-1].description if self._undo else None

    @property
    def redo_description(self) -> str | None:
        return self._redo[-1].description if self._redo else None

    def undo(self) -> Change:
        """Take back this instance's latest change, if what it changed is still as it left it;
        otherwise Conflict, nothing changes, and that change leaves the history."""
        if not self._undo:
            return Change("Nothing to undo", changed=False)
        step = self._undo[-1]
        deal = self._replay(step, step.undo, "undo")
        self._undo.pop()
        self._redo.append(step)
        return Change(f"Undone: {step.description}", deal_id=step.deal_id, deal=deal, redoable=True)

    def redo(self) -> Change:
        """Make the latest undone change again, exactly, with the same checks."""
        if not self._redo:
            return Change("Nothing to redo", changed=False)
        step = self._redo[-1]
        deal = self._replay(step, step.redo, "redo")
        self._redo.pop()
        self._undo.append(step)
        return Change(f"Redone: {step.description}", deal_id=step.deal_id, deal=deal, undoable=True)

    def _replay(self, step: _Step, run: Callable[[Repository], Opportunity | None], verb: str) -> Opportunity | None:
        try:
            deal = run(self._repo)
        except Stale:
            (self._undo if verb == "undo" else self._redo).pop()
            self.refresh()  # show what the other instance did
            # "Not undone: Moved “Acme” to In the Funnel — …": the description quotes its deal
            # itself, so it is not quoted again.
            raise Conflict(
                f"Not {verb}ne: {step.description} — {step.what} has changed since ({ELSEWHERE}); nothing was changed"
            ) from None
        # Any other PlannerError (a locked database…): the step stays, to try again.
        self.refresh(step.deals)
        return deal

    def _record(self, step: _Step) -> None:
        self._undo.append(step)
        del self._undo[:-HISTORY]
        self._redo.clear()

    # --- deals ----------------------------------------------------------------------------------
    def add(self, draft: Opportunity, *, bucket: Bucket | None = None, currency: str = "") -> Change:
        """Add a deal (SPEC §2) to `bucket` (default: the draft's). Entering the funnel lower down
        warns as moving there would; `value` is the new id. `currency`: the one its value was
        typed in (`parse_money_in`), the database's from now on when it had none.

        With no first contact given, a deal added Above the Funnel was first contacted today (its
        cycle starts the day it entered, SPEC §3.2); one added straight into In or Best Few keeps
        an unknown first contact. The add dialog, Today's `p` and `planner add` all come here."""
        from planner.domain.flags import move_warnings
        from planner.store.repository import DealState

        opp = replace(draft, id=None) if bucket is None else replace(draft, id=None, bucket=bucket)
        if not opp.bucket.is_open:
            raise BadInput("a new deal goes Above the Funnel, In the Funnel or in Best Few")
        if opp.bucket is Bucket.ABOVE and opp.first_contact is None:
            opp = replace(opp, first_contact=self.today)
        warnings: tuple[str, ...] = ()
        if opp.bucket is not Bucket.ABOVE:
            warnings = tuple(move_warnings(replace(opp, bucket=Bucket.ABOVE), opp.bucket, self.today, self.cycle_days()))
        after, adopted = self._with_currency(currency, lambda: self._repo.add_deal(opp, on=self.today))
        deal = after.opportunity
        assert deal is not None
        step = _DealStep(f"Added {text.quoted(deal)} to {deal.bucket.label}", DealState(after.opportunity_id, None), after)
        return self._made(step, deal, warnings=warnings, value=deal.id, adopted=adopted)

    def edit(self, deal_id: int, changes: Mapping[str, Any], *, base: Opportunity | None = None,
             description: Callable[[Opportunity], str] | None = None, currency: str = "") -> Change:
        """Set some of a deal's fields (`EDITABLE`). `base`: the deal as the form showed it; when
        it changed since, Conflict names what changed and nothing is saved. `currency`: as in `add`."""
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise BadInput(f"cannot edit {', '.join(unknown)} of a deal")
        values = dict(changes)
        if "title" in values and not str(values["title"]).strip():
            raise BadInput("a deal needs a title")
        if "criteria_met" in values:
            values["criteria_met"] = frozenset(values["criteria_met"])
        if "influences" in values:
            values["influences"] = tuple(values["influences"])
        if not values:
            return Change("No changes to save", deal_id=deal_id, deal=base, changed=False)
        (before, after), adopted = self._checked(base, "nothing was saved", lambda: self._with_currency(
            currency, lambda: self._repo.edit_deal(deal_id, values, base=base), changed=lambda done: done[0] != done[1]))
        deal = after.opportunity
        assert deal is not None
        if before == after:
            return Change("No changes to save", deal_id=deal_id, deal=deal, changed=False)
        step = _DealStep(description(deal) if description else f"Saved {text.quoted(deal)}", before, after)
        return self._made(step, deal, adopted=adopted)

    def set_next_action(self, deal_id: int, action: str, due: date | None, *, base: Opportunity | None = None) -> Change:
        """The deal's next action and when it is due (every live deal should have one)."""
        when = f" (due {due.isoformat()})" if due else ""
        return self.edit(deal_id, {"next_action": action, "next_action_due": due}, base=base,
                         description=lambda d: f"Next action for {text.quoted(d)}: {action or 'none'}{when}")

    def reschedule(self, deal_id: int, due: date | None, *, base: Opportunity | None = None) -> Change:
        when = text.weekday_date(due) if due else "no date"
        return self.edit(deal_id, {"next_action_due": due}, base=base,
                         description=lambda d: f"Rescheduled {text.quoted(d)} to {when}")

    def done_next_action(self, deal_id: int, *, base: Opportunity | None = None) -> Change:
        """The next action is done: it is cleared (the caller asks for the next one)."""
        deal = base if base is not None else self.deal(deal_id)
        if not deal.next_action and deal.next_action_due is None:
            return Change(f"{text.quoted(deal)} has no next action", deal_id=deal_id, deal=deal, changed=False)
        label = deal.next_action or "next action"
        return self.edit(deal_id, {"next_action": "", "next_action_due": None}, base=base,
                         description=lambda d: f"Done: {label} ({text.quoted(d)})")

    def set_influences(self, deal_id: int, influences: Iterable[Influence], *, base: Opportunity | None = None) -> Change:
        """Replace the deal's buying influences (SPEC §2); covering one says which."""
        people = tuple(influences)
        newly = [i for i in people if i.covered and base is not None
                 and any(o.id == i.id and not o.covered for o in base.influences)]

        def describe(deal: Opportunity) -> str:
            if len(newly) == 1 and base is not None and len(people) == len(base.influences):
                return f"Covered {newly[0].name} ({newly[0].role.label}) on {text.quoted(deal)}"
            return f"Buying influences of {text.quoted(deal)} saved"

        return self.edit(deal_id, {"influences": people}, base=base, description=describe)

    def set_criteria_met(self, deal_id: int, criterion_ids: Iterable[int], *, base: Opportunity | None = None) -> Change:
        return self.edit(deal_id, {"criteria_met": frozenset(criterion_ids)}, base=base,
                         description=lambda d: f"Ideal-customer criteria met by {text.quoted(d)} saved")

    def delete(self, deal_id: int, *, base: Opportunity | None = None) -> Change:
        """Delete a deal with its history; undo brings all of it back under the same id."""
        from planner.store.repository import DealState

        state = self._checked(base, "nothing was deleted", lambda: self._repo.delete_deal(deal_id, base=base))
        deal = state.opportunity
        assert deal is not None
        step = _DealStep(f"Deleted {text.quoted(deal)}", state, DealState(deal_id, None))
        return self._made(step, None)

    def move(self, deal_id: int, to: Bucket, *, expected_from: Bucket | None = None, reason: str = "",
             closed_on: date | None = None, value_cents: int | None = None, currency: str = "") -> Change:
        """Move a deal along the funnel, mark it won or lost, or reopen it (SPEC §2): the method's
        entry conditions warn, never block. `expected_from`: the bucket the screen showed.
        Won or lost: `closed_on` the day it closed (default today), `value_cents` its final value
        (`currency`: as in `add`)."""
        from planner.domain.flags import move_warnings

        if reason and to is not Bucket.LOST:
            raise BadInput("a reason is only for lost deals")
        if (closed_on is not None or value_cents is not None) and to.is_open:
            raise BadInput("a close day and a final value are only for won or lost deals")
        if closed_on is not None and closed_on > self.today:
            raise BadInput(f"the close day {closed_on.isoformat()} is after today; a deal closes on a day that has come")
        if value_cents is not None and value_cents < 0:
            raise BadInput("a deal's value cannot be negative")
        cycle = self.cycle_days() if to.is_open else 0.0
        try:
            (before, after), adopted = self._with_currency(currency, lambda: self._repo.move_deal(
                deal_id, to, on=self.today, reason=reason, expected_from=expected_from, closed_on=closed_on,
                value_cents=value_cents), changed=lambda done: done[0] != done[1])
        except Stale as stale:
            self.refresh()
            current = stale.current
            if current is None:
                raise Conflict(f"That deal was deleted {ELSEWHERE} since the screen showed it; nothing was moved") from None
            raise Conflict(f"{text.quoted(current)} is in {current.bucket.label} now, not "
                           f"{expected_from.label if expected_from else '?'}: it changed {ELSEWHERE} since the screen "
                           f"showed it; nothing was moved") from None
        was, deal = before.opportunity, after.opportunity
        assert was is not None and deal is not None
        if before == after:
            return Change(f"{text.quoted(deal)} is already in {to.label}; nothing changed", deal_id=deal_id, deal=deal,
                          changed=False)
        warnings = tuple(move_warnings(was, to, self.today, cycle)) if to.is_open else ()
        on = f" on {closed_on.isoformat()}" if closed_on is not None and closed_on != self.today else ""
        if to is Bucket.WON:
            description = f"Marked {text.quoted(deal)} won{on}"
        elif to is Bucket.LOST:
            description = f"Marked {text.quoted(deal)} lost{on}" + (f": {reason}" if reason else "")
        elif not was.bucket.is_open:
            description = f"Reopened {text.quoted(deal)} in {to.label}"
        else:
            description = f"Moved {text.quoted(deal)} to {to.label}"
        return self._made(_DealStep(description, before, after), deal, warnings=warnings, adopted=adopted)

    def won(self, deal_id: int, *, expected_from: Bucket | None = None, closed_on: date | None = None,
            value_cents: int | None = None, currency: str = "") -> Change:
        return self.move(deal_id, Bucket.WON, expected_from=expected_from, closed_on=closed_on, value_cents=value_cents,
                         currency=currency)

    def lost(self, deal_id: int, reason: str = "", *, expected_from: Bucket | None = None,
             closed_on: date | None = None) -> Change:
        return self.move(deal_id, Bucket.LOST, expected_from=expected_from, reason=reason, closed_on=closed_on)

    def reopen(self, deal_id: int, to: Bucket | None = None, *, expected_from: Bucket | None = None) -> Change:
        """Put a won or lost deal back in the funnel: in `to`, else the bucket it closed from."""
        deal = self.deal(deal_id)
        if deal.is_open:
            raise BadInput(f"{text.quoted(deal)} is open (in {deal.bucket.label}); only won or lost deals are reopened")
        if to is None:
            to = self.closed_from(deal_id) or Bucket.IN
        if not to.is_open:
            raise BadInput("a deal is reopened in Above the Funnel, In the Funnel or Best Few")
        return self.move(deal_id, to, expected_from=expected_from or deal.bucket)

    # --- time ----------------------------------------------------------------------------------
    def log_time(self, activity: Activity) -> Change:
        """Log time (SPEC §2) on its day (`activity.on`); on no deal it is prospecting and counts
        Above the Funnel. `value` is the Activity as stored."""
        if activity.minutes <= 0:
            raise BadInput("the minutes must be more than 0")
        if activity.on > self.today:
            raise BadInput(f"{activity.on.isoformat()} is after today; time is logged on the day it was spent")
        stored, deal = self._repo.log_activity(activity)
        on = f" on {text.weekday_date(stored.on)}" if stored.on != self.today else ""
        what = f"{stored.minutes} min {stored.kind.label}"
        if deal is not None:
            description = f"Logged {what} on {text.quoted(deal)}{on}"
        else:
            description = f"Logged {what} (prospecting){on}"
        step = _ActivityStep(description, stored, f"the {what} logged{on}")
        return self._made(step, deal, value=stored)

    # --- the ideal customer --------------------------------------------------------------------
    def add_criterion(self, criterion: Criterion) -> Change:
        from planner.store.repository import CriterionState

        _check_criterion(criterion)
        after = self._repo.add_criterion(replace(criterion, id=None))
        assert after.criterion is not None
        step = _CriterionStep(f"Added criterion {after.criterion.name}", CriterionState(after.criterion_id, None), after)
        return self._made(step, None, value=after.criterion_id)

    def edit_criterion(self, criterion: Criterion, *, base: Criterion | None = None,
                       description: str | None = None) -> Change:
        """Rename, reweigh (1–3) or re-kind a criterion; `base` as the screen showed it."""
        if criterion.id is None:
            raise NotFound("cannot edit a criterion that has no id")
        _check_criterion(criterion)
        try:
            before, after = self._repo.edit_criterion(criterion, base=base)
        except Stale:
            self.refresh()
            raise Conflict(f"The criterion “{criterion.name}” changed {ELSEWHERE} since the screen showed it; "
                           f"nothing was saved") from None
        if before == after:
            return Change(f"Criterion {criterion.name} unchanged", changed=False)
        return self._made(_CriterionStep(description or f"Saved criterion {criterion.name}", before, after), None)

    def delete_criterion(self, criterion_id: int, *, base: Criterion | None = None) -> Change:
        """Delete a criterion: deals lose it from their fit; undo gives it back to them."""
        from planner.store.repository import CriterionState

        try:
            before = self._repo.delete_criterion_state(criterion_id, base=base)
        except Stale:
            self.refresh()
            raise Conflict(f"That criterion changed {ELSEWHERE} since the screen showed it; nothing was deleted") from None
        assert before.criterion is not None
        step = _CriterionStep(f"Deleted criterion {before.criterion.name}", before, CriterionState(criterion_id, None))
        return self._made(step, None)

    # --- settings, the week, the check-in --------------------------------------------------------
    def set_setting(self, key: str, raw: str) -> Change:
        """Check and save one setting of SPEC §3.1 (`planner config KEY VALUE`, the Profile
        screen); "auto" puts an optional one back to measured-or-default. `value` is the value."""
        value, stored = _stored_setting(key, raw)
        description = f"{_setting_name(key)} set to {text.setting_text(value, key)}"  # as the Profile names it
        return self._write_settings({key: stored}, description, f"the setting “{_setting_name(key)}”", value=value)

    def set_week_hours(self, hours: float | str | None) -> Change:
        """Selling hours for this week only (SPEC §2, Week `H`, `planner plan --hours`); None or
        "normal" goes back to the normal week (`hours_per_week`), which this never changes."""
        from planner.domain.projection import monday_of
        from planner.domain.settings import format_number, parse_setting
        from planner.store.repository import week_hours_key

        if isinstance(hours, str):
            raw = hours.strip()
            hours = None if raw.lower() in ("", "normal", "auto", "none") else float(parse_setting("hours_per_week", raw))
        elif hours is not None:
            hours = float(parse_setting("hours_per_week", f"{hours:g}"))
        normal = self.settings().hours_per_week
        key = week_hours_key(monday_of(self.today))
        if hours is None:
            description = f"This week back to the normal week ({text.whole_hours(normal)})"
        else:
            description = (f"Selling hours this week: {text.whole_hours(hours)} "
                           f"(the normal week stays {text.whole_hours(normal)})")
        return self._write_settings({key: None if hours is None else format_number(hours)}, description,
                                    "this week's hours", value=hours)

    def set_own_split(self, split: Mapping[Bucket, int] | None) -> Change:
        """The user's own split of the week (SPEC §3.3), percent per open bucket summing to 100;
        None goes back to the suggestion. Warns when Above gets less than the prospecting floor."""
        from planner.domain.settings import format_user_split

        if split is None:
            return self._write_settings({"user_split": None}, "Back to the suggested split", "your split")
        values = check_split(split)
        floor = round(self.settings().prospecting_floor * 100)
        warnings = ()
        if values[Bucket.ABOVE] < floor:
            warnings = (f"Above the Funnel gets {values[Bucket.ABOVE]} %, below your prospecting floor of "
                        f"{floor} %: expect the roller-coaster.",)
        return self._write_settings({"user_split": format_user_split(values)}, f"Your split: {text.percent_split(values)}",
                                    "your split", warnings=warnings, value=values)

    def check_in(self) -> Change:
        """Record today's check-in (SPEC §2 "Daily check-in"); the description says the streak."""
        new, streak = self._repo.add_checkin(self.today)
        if not new:
            self.refresh(())
            return Change(f"Today's check-in is already done · {text.streak_text(streak)}", changed=False, value=streak)
        step = _CheckinStep(f"Check-in done · {text.streak_text(streak)}", self.today)
        return self._made(step, None, value=streak)

    # --- files --------------------------------------------------------------------------------
    def week_calendar(self, *, include_past: bool = False) -> bytes:
        """This week's time blocks as iCalendar bytes (what `write_week_calendar` writes): from
        today on, or every day of the week with `include_past`. Handed to the user (stdout, a
        download): remembered as exported, so the next export can cancel what it no longer has."""
        data, exported = self._calendar(include_past)
        self._remember_calendar(exported)
        return data

    def write_week_calendar(self, target: str | Path, *, include_past: bool = False) -> Change:
        """This week's time blocks as an iCalendar file (the Week screen's `i`, `planner plan
        --ics`), through the one writer that refuses the database and its own files."""
        from planner.files import write_file
        from planner.ics import exported_blocks

        target = _file_named(target, "calendar")
        count = len(exported_blocks(self.week_plan(), today=self.today, include_past=include_past))
        data, exported = self._calendar(include_past)
        path = write_file(target, data, database=self.database_path)
        self._remember_calendar(exported)  # only once it was written
        return Change(f"Wrote {count} time block{'s' if count != 1 else ''} to {path}", changed=False, value=path)

    def export_records(self, fmt: str) -> Any:
        """What an export holds, before it is written: every deal (oldest first) for "csv", the
        complete export (deals with their history, prospecting, criteria, settings, the check-in days) for "json"."""
        if fmt == "json":
            from planner.importing.export import complete_export

            histories, prospecting = self._repo.export_histories()
            return complete_export(histories, prospecting, self._repo.criteria(), self._repo.settings_mapping(),
                                   self.today, self._repo.checkin_days())
        if fmt != "csv":
            raise BadInput(f"an export is csv or json, not {fmt!r}")
        return list(self._repo.export_rows())

    def _calendar(self, include_past: bool) -> tuple[bytes, str]:
        """(the file, what to remember once it is out): this plan's events, and a cancellation of
        each event an earlier export of this week had that this plan does not (on the days the
        file covers), with a SEQUENCE above every earlier export's."""
        import json
        from datetime import UTC, datetime

        from planner.ics import exported_blocks, sequence_at, week_ics

        plan = self.week_plan()
        stamp = datetime.now(UTC).replace(microsecond=0)
        before = _calendar_record(self._repo.setting_texts([CALENDAR_KEY])[CALENDAR_KEY], plan.week_start)
        sequence = max(sequence_at(stamp), before["sequence"] + 1)
        blocks = exported_blocks(plan, today=self.today, include_past=include_past)
        now = {uid: (block.day.isoformat(), block.start_minute, block.minutes) for uid, block in blocks}
        gone = {uid: (date.fromisoformat(day), start, minutes) for uid, (day, start, minutes) in before["events"].items()
                if uid not in now and (include_past or date.fromisoformat(day) >= self.today)}
        data = week_ics(plan, today=self.today, include_past=include_past, stamp=stamp, sequence=sequence,
                        cancelled=gone)
        # Every event ever sent for the week stays in the record: a file with cancellations that
        # was never imported must not make a later one forget them.
        record = {"week": plan.week_start.isoformat(), "sequence": sequence, "events": {**before["events"], **now}}
        return data, json.dumps(record, separators=(",", ":"), sort_keys=True)

    def _remember_calendar(self, record: str) -> None:
        """Keep what the calendar file held (one setting, not a change the user undoes). A
        database that cannot take the write (read-only) still gets its file, without the memory."""
        if self.read_only:
            return
        try:
            self._repo.write_settings({CALENDAR_KEY: record})
        except PlannerError:
            pass

    def export_data(self, fmt: str) -> tuple[bytes, int]:
        """(bytes, number of deals): every deal as CSV, or everything as JSON (`planner export`)."""
        import io

        records = self.export_records(fmt)
        buffer = io.StringIO(newline="")
        if fmt == "json":
            from planner.importing.export import write_complete_json

            count = write_complete_json(records, buffer)
        else:
            from planner.importing.export import write_csv

            count = write_csv(records, buffer)
        return buffer.getvalue().encode("utf-8"), count

    def write_export(self, fmt: str, target: str | Path) -> Change:
        """The export written to `target` through the one writer (never over the database).
        `value` is `Written(path, count)`: where, and how many deals."""
        from planner.files import write_file

        target = _file_named(target, "export")
        data, count = self.export_data(fmt)
        path = write_file(target, data, database=self.database_path)
        return Change(f"Exported {count} deal{'s' if count != 1 else ''} to {path}", changed=False,
                      value=Written(path, count))

    def default_backup_path(self) -> Path:
        """Where a backup goes when the user names no file: beside the database, timestamped."""
        return backup_path_for(self.database_path)

    def backup(self, target: str | Path | None = None) -> Change:
        """A consistent copy of the database at `target` (`planner backup -o`, the palette's
        backup), else beside the database with a timestamp; an existing file is refused."""
        from planner.files import check_target
        from planner.store.connection import file_status

        if target is None:
            target = self.default_backup_path()
        path = check_target(_file_named(target, "backup"), database=self.database_path)
        if file_status(path) is not None:
            raise BadInput(f"{path} already exists; choose another name")
        written = self._repo.backup(str(path))
        return Change(f"Backed up the database to {written}", changed=False, value=written)

    def backup_bytes(self) -> bytes:
        """The backup as bytes (a browser download when served): made in a private temporary folder."""
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            return Path(self._repo.backup(str(Path(folder) / "backup.db"))).read_bytes()

    # --- bringing a funnel in, and a backup back -----------------------------------------------
    def import_file(self, source: str | Path, *, dry_run: bool = False, maps: Mapping[str, str] | None = None,
                    stages: Mapping[str, Bucket] | None = None, date_format: str | None = None,
                    decimal_comma: bool = False, update: bool = False, sheet: str | None = None) -> Change:
        """`planner import FILE` (SPEC §4 "Switching in"): the file read whole and checked with this
        database's money convention, then, unless `dry_run`, written all or nothing in one
        transaction. `value` is the `ImportPlan` (what was, or would be, imported: counts,
        mapping, warnings). `ImportProblem` when the file cannot be imported: nothing is written.
        Not undoable: it can bring in thousands of deals at once (restore the backup instead)."""
        from planner.files import check_readable_file
        from planner.importing import ImportOptions, read_import

        path = check_readable_file(str(source), what="file to import")  # not a FIFO or device: never blocks
        settings = self._repo.settings()
        options = ImportOptions(
            maps=dict(maps or {}),
            stages=dict(stages or {}),
            date_format=date_format,
            decimal_comma=decimal_comma,
            decimal_comma_setting=settings.decimal_comma,
            currency=settings.currency,
            update=update,
            sheet=sheet,
            database_is_empty=self._repo.is_empty(),
        )
        # The ids already there are read only if the file has an id column in use.
        plan = read_import(path, self.today, options, existing_ids=self._repo.opportunity_ids)
        added = len(plan.new) + len(plan.batch_extra.get("histories", ()))
        what = f"{added} deal{'' if added == 1 else 's'}" + (f", {len(plan.updates)} updated" if plan.updates else "")
        # The method's warnings apart from what the import did besides (how the file was read,
        # what it does to the settings): a dry run says what it would do.
        warnings = tuple(plan.warnings)
        notices = (*plan.notices, *(would if dry_run else done for done, would in plan.setting_notices))
        if dry_run:
            return Change(f"Would import {what} from {source}; nothing changed (dry run)", changed=False,
                          warnings=warnings, notices=notices, value=plan)
        if not (plan.new or plan.updates or plan.batch_extra or plan.settings):
            return Change(f"Nothing to import from {source}", changed=False, warnings=warnings, notices=notices,
                          value=plan)
        self._repo.apply_import(plan.batch(), on=self.today)
        self.refresh()
        return Change(f"Imported {what} from {source}", warnings=warnings, notices=notices, value=plan)

    @classmethod
    def restore(cls, source: str | Path, db: str | None = None) -> Change:
        """`planner restore FILE` (SPEC §4): check that FILE is a whole planner database, keep a
        copy of the current database beside it, put FILE in its place with no stale -wal/-shm.
        A class method: it runs with no connection to the database open in this process (closing
        one would drop SQLite's locks, and a damaged database, the reason to restore, may not
        open at all). `value` is the `Restored` record."""
        from planner.store.location import resolve
        from planner.store.restore import restore_database

        done = restore_database(source, resolve(db))
        deals = f"{done.deals} deal{'' if done.deals == 1 else 's'}"
        description = f"Restored {deals} from {source} into {done.database}"
        if done.kept is not None:
            description += f"; the database as it was before is kept in {done.kept}"
        return Change(description, value=done)

    # --- helpers ------------------------------------------------------------------------------
    def _with_currency(self, currency: str, write: Callable[[], T],
                       changed: Callable[[T], bool] = lambda _done: True) -> tuple[T, _SettingsStep | None]:
        """Run `write` (one of the store's checked changes) and, when it `changed` something and
        its amount named `currency` in a database that keeps none, make that currency the
        database's in the same transaction: (what `write` returned, the setting's step or None)."""
        if not currency:
            return write(), None
        with self._repo.together():
            done = write()
            if not changed(done) or self._repo.settings().currency:
                return done, None
            _value, stored = _stored_setting("currency", currency)
            before = self._repo.write_settings({"currency": stored})
            return done, _SettingsStep(f"{_setting_name('currency')} set to {currency}", before, {"currency": stored},
                                       f"the setting “{_setting_name('currency')}”")

    def _made(self, step: _Step, deal: Opportunity | None, *, warnings: tuple[str, ...] = (), value: Any = None,
              adopted: _SettingsStep | None = None) -> Change:
        """Record `step` for undo and say what it did. `adopted`: the currency its amount made the
        database's, one step with it (one undo takes back both), which the change says."""
        notices: tuple[str, ...] = ()
        if adopted is not None:
            currency = adopted.after["currency"]
            step = _Together(f"{step.description}; currency set to {currency}", (step, adopted))
            notices = (f"the database's currency is now {currency}, the one this amount names: an amount in another "
                       "currency is refused (planner config currency to change it)",)
        self._record(step)
        self.refresh(step.deals)
        return Change(step.description, deal_id=step.deal_id, deal=deal, warnings=warnings, notices=notices,
                      undoable=True, value=value)

    def _checked(self, base: Opportunity | None, nothing: str, write: Callable[[], Any]) -> Any:
        """Run a write that checks `base`; a Stale becomes a Conflict that says what changed."""
        try:
            return write()
        except Stale as stale:
            self.refresh()
            current = stale.current
            shown = text.quoted(base) if base is not None else "That deal"
            if current is None:
                raise Conflict(f"{shown} was deleted {ELSEWHERE} since the screen showed it; {nothing}") from None
            what = changed_fields(base, current) if base is not None else []
            detail = f" ({', '.join(what)})" if what else ""
            raise Conflict(f"{text.quoted(current)} changed {ELSEWHERE} since the screen showed it{detail}; "
                           f"{nothing}") from None

    def _write_settings(self, new: dict[str, str | None], description: str, what: str, *,
                        warnings: tuple[str, ...] = (), value: Any = None) -> Change:
        before = self._repo.write_settings(new)
        self.refresh(())  # no deal changed; the snapshot reads the settings afresh
        if before == new:
            return Change(description, changed=False, warnings=warnings, value=value)
        step = _SettingsStep(description, before, new, what)
        self._record(step)
        return Change(description, warnings=warnings, undoable=True, value=value)


def unreadable_values(db: str | Path | None) -> PlannerError | None:
    """Why a command or screen failed with an error that is not the planner's own, when the cause
    is a value another tool wrote that the planner cannot read: one line naming it
    (`planner.store.values`). None otherwise (then the failure is a bug and stands). `db` is a
    database path, or a `--db` value as the user gave it."""
    try:
        from planner.store.location import resolve
        from planner.store.values import unreadable_problem

        return unreadable_problem(db if isinstance(db, Path) else resolve(db))
    except Exception:
        return None


def changed_fields(base: Opportunity, current: Opportunity) -> list[str]:
    """The names of the fields that differ, as a person says them ("bucket", "next action")."""
    from planner.store.repository import plain

    a, b = plain(base), plain(current)
    return [f.name.replace("_cents", "").replace("_", " ") for f in fields(Opportunity)
            if getattr(a, f.name) != getattr(b, f.name)]


def backup_path_for(database: Path) -> Path:
    """`planner-backup-20260304-101500.db` beside the database: where a backup goes by default."""
    from datetime import datetime

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return database.with_name(f"{database.stem}-backup-{stamp}{database.suffix or '.db'}")


def check_split(split: Mapping[Bucket, int]) -> dict[Bucket, int]:
    """Three whole percentages, one per open bucket, 0–100, that add up to 100 (BadInput otherwise)."""
    values: dict[Bucket, int] = {}
    for bucket in OPEN_BUCKETS:
        if bucket not in split:
            raise BadInput(f"the split needs a share for {bucket.label}")
        share = split[bucket]
        if isinstance(share, bool) or not isinstance(share, int):
            raise BadInput(f"{bucket.label} must be a whole percentage, not {share!r}")
        if not 0 <= share <= 100:
            raise BadInput(f"{bucket.label} must be between 0 and 100, not {share}")
        values[bucket] = share
    total = sum(values.values())
    if total != 100:
        raise BadInput(f"the three shares must add up to 100, not {total}")
    return values


def parse_split(texts: Mapping[Bucket, str]) -> dict[Bucket, int]:
    """A split as typed: "20", "20 %" per bucket (BadInput with the reason)."""
    split: dict[Bucket, int] = {}
    for bucket in OPEN_BUCKETS:
        raw = texts.get(bucket, "").strip().rstrip("%").strip()
        if not (raw.isascii() and raw.isdigit()):
            raise BadInput(f"{bucket.label} must be a whole percentage, not {raw!r}")
        split[bucket] = int(raw)
    return check_split(split)


def parse_split_text(raw: str) -> dict[Bucket, int]:
    """`planner plan --split 20/40/40`: Above/In/Best Few."""
    parts = raw.split("/")
    if len(parts) != 3:
        raise BadInput(f"--split takes three percentages Above/In/Best Few like 20/40/40, or 'suggested'; not {raw!r}")
    return parse_split(dict(zip(OPEN_BUCKETS, parts, strict=True)))


def _file_named(target: str | Path, what: str) -> str:
    """The file the user named for the `what` ("export", "backup", "calendar"), stripped: never
    empty, and never "-", which the command line takes for stdout (and handles before the core is
    asked for a file): a file called "-" is not what anyone means."""
    name = str(target).strip()
    if not name:
        raise BadInput(f"type a file path for the {what}")
    if name == "-":
        raise BadInput(f"'-' is not a file name; type a file path for the {what}")
    return name


def _setting_name(key: str) -> str:
    """A setting's name as the Profile shows it ("Normal sales cycle (days)")."""
    from planner.domain.settings import SETTING_SPECS

    spec = SETTING_SPECS.get(key)
    return spec.name if spec is not None else key


def _stored_setting(key: str, raw: str) -> tuple[Any, str | None]:
    """A setting as typed → (its value, the text stored for it; None: the default, not stored)."""
    from planner.domain.settings import Settings, parse_setting, settings_to_mapping, with_setting

    value = parse_setting(key, raw)
    return value, settings_to_mapping(with_setting(Settings(), key, value)).get(key)


def _check_criterion(criterion: Criterion) -> None:
    if not criterion.name.strip():
        raise BadInput("a criterion needs a name")
    if not 1 <= criterion.weight <= 3:
        raise BadInput(f"a criterion's weight is 1, 2 or 3, not {criterion.weight}")


def _calendar_record(text: str | None, week_start: date) -> dict:
    """The remembered calendar export of the week starting `week_start`, or an empty one (another
    week, nothing yet, or a value that cannot be read)."""
    import json

    empty = {"week": week_start.isoformat(), "sequence": -1, "events": {}}
    try:
        record = json.loads(text) if text else None
        if not isinstance(record, dict) or record.get("week") != week_start.isoformat():
            return empty
        events = {str(uid): (str(day), int(start), int(minutes))
                  for uid, (day, start, minutes) in dict(record.get("events", {})).items()}
        for day, _start, _minutes in events.values():
            date.fromisoformat(day)
        return {"week": record["week"], "sequence": int(record.get("sequence", -1)), "events": events}
    except (ValueError, TypeError, AttributeError):
        return empty
