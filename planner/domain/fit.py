"""Ideal-customer fit of an opportunity (SPEC §1 "Ideal customer")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from planner.domain.models import Criterion

#: Below this fit a deal above the funnel is flagged "consider dropping" (SPEC §1).
POOR_FIT = 50


def fit_score(criteria: Sequence[Criterion], met: Iterable[int]) -> int | None:
    """SPEC §1: the weighted share (0–100, rounded half up) of the user's ideal-customer criteria
    that the opportunity meets; a criterion not known to be met counts as unmet.
    None when the user has defined no criteria (there is nothing to fit)."""
    met_ids = set(met)
    total = sum(max(0, c.weight) for c in criteria)
    if total == 0:
        return None
    got = sum(max(0, c.weight) for c in criteria if c.id is not None and c.id in met_ids)
    return (200 * got + total) // (2 * total)  # integer half-up: no float rounding surprises
