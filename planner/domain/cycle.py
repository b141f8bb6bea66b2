"""The normal sales cycle C (SPEC §1): median of won deals when there are enough, else the setting."""

from __future__ import annotations

from collections.abc import Sequence

from planner.domain.models import Cycle

#: Won deals needed before the measured median replaces the user's setting (SPEC §1).
MIN_WON_DEALS = 3


def median_of_middle(middle: Sequence[float]) -> float:
    """The median of an ordered sample from its middle: the one middle value of an odd count, the
    mean of the two middle values of an even count. The store reads only these from an index
    (SQLite has no median aggregate), so the arithmetic stays the same as sorting every value."""
    if len(middle) == 1:
        return float(middle[0])
    if len(middle) == 2:
        return (middle[0] + middle[1]) / 2
    raise ValueError(f"the middle of a sample is one or two values, not {len(middle)}")


def middle_offset(count: int) -> tuple[int, int]:
    """(offset, how many) of the middle value(s) in an ordered sample of `count` values (count > 0)."""
    return (count - 1) // 2, 2 - count % 2


def normal_cycle(won_deals: int, median_days: float | None, setting_days: int) -> Cycle:
    """SPEC §1 "Normal sales cycle": the median of first contact → won over at least three won deals,
    otherwise the user's `cycle_days` setting.

    `won_deals` and `median_days` come from the store's history summary (`History.won_deals`,
    `History.median_cycle_days`), which leaves out a deal closed before its first contact (a data
    slip). A median below one day is taken as one day, because the rest of the engine divides by C.
    """
    if won_deals >= MIN_WON_DEALS and median_days is not None:
        return Cycle(days=max(1.0, float(median_days)), source="measured", samples=won_deals)
    return Cycle(days=float(max(1, setting_days)), source="setting", samples=won_deals)
