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


#: What a deal whose criteria were never reviewed shows instead of a fit (SPEC §3.4 `poor_fit`).
FIT_NOT_ASSESSED = "fit not assessed"


def fit_text(criteria: Sequence[Criterion], met: Iterable[int], reviewed: bool) -> str:
    """How a deal's fit reads: "72 / 100", "fit not assessed" until its criteria are reviewed (a
    deal never reviewed is not "consider dropping"), or "" when there are no criteria at all."""
    criteria = tuple(criteria)
    if not criteria:
        return ""
    if not reviewed:
        return FIT_NOT_ASSESSED
    score = fit_score(criteria, met)
    return "" if score is None else f"{score} / 100"
