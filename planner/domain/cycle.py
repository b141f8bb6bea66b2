"""The normal sales cycle C (SPEC §1, §3.2): the median of the most recent measurable wins when
there are enough, else the setting."""

from __future__ import annotations

from collections.abc import Sequence

from planner.domain.models import Cycle

#: Won deals needed before the measured median replaces the user's setting (SPEC §1).
MIN_WON_DEALS = 3
#: The cycle is measured over the most recent measurable wins only (SPEC §3.2): a consultant's
#: selling changes over the years, and the median should follow.
RECENT_WINS = 25
#: A measured cycle below a third or above three times the setting is suspect (SPEC §3.4).
SUSPECT_FACTOR = 3


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


def normal_cycle(samples: int, median_days: float | None, setting_days: int, measurable: int | None = None) -> Cycle:
    """SPEC §1, §3.2 "Normal cycle": the median of first contact → won over the most recent won
    deals that have both dates (at most `RECENT_WINS`, at least `MIN_WON_DEALS`), otherwise the
    user's `cycle_days` setting.

    `samples` and `median_days` come from the store's history summary (`History.cycle_samples`,
    `History.median_cycle_days`), which leaves out a deal whose first contact is unknown (added
    straight into In or Best Few without one) or after its close (a data slip). `measurable` is
    every such win (the samples are its most recent ones). A median below one day is taken as one
    day, because the rest of the engine divides by C.
    """
    setting = float(max(1, setting_days))
    total = samples if measurable is None else max(samples, measurable)
    if samples >= MIN_WON_DEALS and median_days is not None:
        return Cycle(days=max(1.0, float(median_days)), source="measured", samples=samples,
                     setting_days=setting, measurable=total)
    return Cycle(days=setting, source="setting", samples=samples, setting_days=setting, measurable=total)


def cycle_suspect(cycle: Cycle) -> bool:
    """SPEC §3.4 `cycle_suspect`: a measured cycle below a third or above three times the setting."""
    if cycle.source != "measured":
        return False
    return cycle.days * SUSPECT_FACTOR < cycle.setting_days or cycle.days > SUSPECT_FACTOR * cycle.setting_days
