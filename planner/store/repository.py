"""The repository: every read and write of the planner's data, returning domain objects.

CONTRACT (the CLI and the UI rely on these signatures; the store owns the bodies).
Runs on the standard-library `sqlite3` driver so start-up and `planner status` never pay for the ORM;
the SQLModel tables in `planner.store.tables` are the schema of record (creation and migrations).
Every public method that changes data is one transaction: it commits wholly or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from planner.domain.models import (
    Activity,
    Bucket,
    Criterion,
    FunnelSnapshot,
    History,
    Influence,
    Move,
    Opportunity,
)
from planner.domain.settings import Settings


@dataclass(frozen=True, slots=True)
class DealState:
    """Everything about one opportunity at one moment (row, influences, criteria met, moves,
    activities), or its absence (`opportunity is None`), so any change can be undone by `restore`."""

    opportunity_id: int
    opportunity: Opportunity | None
    moves: tuple[Move, ...] = ()
    activities: tuple[Activity, ...] = ()


class Repository:
    """Open with `planner.store.open_repository(spec)`; close with `close()` (or use as a context manager)."""

    # --- settings ---------------------------------------------------------------------------
    def settings(self) -> Settings: ...
    def save_settings(self, settings: Settings) -> None: ...

    # --- opportunities ----------------------------------------------------------------------
    def add(self, opp: Opportunity, *, on: date) -> int:
        """Insert (with its influences and criteria met) and record the creation move; return the id."""
    def get(self, opp_id: int) -> Opportunity:
        """Raise NotFound (a BadInput) for an unknown id."""
    def update(self, opp: Opportunity) -> None:
        """Write every field, influences and criteria met of an existing opportunity (not its bucket)."""
    def delete(self, opp_id: int) -> DealState:
        """Delete with its influences, moves and activities; return what was there (for undo)."""
    def list(self, bucket: Bucket | None = None, *, search: str = "") -> list[Opportunity]:
        """Opportunities ordered by bucket then next_action_due (None last) then id."""
    def open_deals(self) -> list[Opportunity]: ...
    def move(self, opp_id: int, to: Bucket, *, on: date, reason: str = "") -> Move:
        """Change bucket, record the move; won/lost set closed_on (and lost_reason)."""

    # --- influences, criteria ---------------------------------------------------------------
    def set_influences(self, opp_id: int, influences: Sequence[Influence]) -> None: ...
    def criteria(self) -> list[Criterion]: ...
    def save_criterion(self, criterion: Criterion) -> int: ...
    def delete_criterion(self, criterion_id: int) -> None: ...
    def set_criteria_met(self, opp_id: int, criterion_ids: Iterable[int]) -> None: ...

    # --- activities and history -------------------------------------------------------------
    def log(self, activity: Activity) -> int:
        """Insert; `activity.bucket` is filled from the deal's bucket (Above for no deal)."""
    def delete_activity(self, activity_id: int) -> None: ...
    def activities(self, opp_id: int | None = None, *, limit: int = 200) -> list[Activity]: ...
    def moves(self, opp_id: int) -> list[Move]: ...
    def minutes_by_bucket(self, start: date, end: date) -> dict[Bucket, int]:
        """Minutes logged with start <= on < end, per open bucket."""
    def history(self) -> History: ...
    def snapshot(self, today: date) -> FunnelSnapshot:
        """All the engine needs for `today`, in a handful of queries (no per-row queries)."""

    # --- daily check-in ---------------------------------------------------------------------
    def record_checkin(self, day: date) -> None: ...
    def checkin_streak(self, today: date) -> int: ...

    # --- undo -------------------------------------------------------------------------------
    def capture(self, opp_id: int) -> DealState: ...
    def restore(self, state: DealState) -> None:
        """Put the opportunity back exactly as captured (same id), or remove it if it did not exist."""

    # --- bulk -------------------------------------------------------------------------------
    def import_opportunities(self, opps: Sequence[Opportunity], *, on: date) -> list[int]:
        """All or nothing, in one transaction."""
    def export_rows(self) -> Iterable[Opportunity]: ...
    def backup(self, path: str) -> None:
        """A consistent copy through SQLite's backup API, created 0600."""

    def close(self) -> None: ...
