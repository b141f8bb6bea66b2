"""The normal sales cycle C (SPEC §1): median of won deals when there are enough, else the setting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from planner.domain.models import Cycle

#: Won deals needed before the measured median replaces the user's setting (SPEC §1).
MIN_WON_DEALS = 3


def median(values: Iterable[float]) -> float:
    """The middle value (mean of the two middle ones for an even count). Written here because
    `import statistics` costs more start-up time than the whole engine."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of no values")
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def normal_cycle(won_cycle_days: Sequence[int], setting_days: int) -> Cycle:
    """SPEC §1 "Normal sales cycle": the median of first contact → won over at least three won deals,
    otherwise the user's `cycle_days` setting.

    A negative length (closed before first contact) is a data slip and is not counted. A median
    below one day is taken as one day, because the rest of the engine divides by C.
    """
    samples = [d for d in won_cycle_days if d >= 0]
    if len(samples) >= MIN_WON_DEALS:
        return Cycle(days=max(1.0, median(samples)), source="measured", samples=len(samples))
    return Cycle(days=float(max(1, setting_days)), source="setting", samples=len(samples))
