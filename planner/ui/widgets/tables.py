"""Tables whose columns are fitted to the room they have (the closed deals, the Profile's settings)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.widgets import DataTable


def fit_columns(
    table: DataTable,
    columns: Sequence[tuple[str, str]],
    widths_for: Callable[[int], tuple[int, ...] | None],
    shown: tuple[int, ...] | None,
    fallback_width: int,
) -> tuple[int, ...] | None:
    """(Re)make `columns` — (label, key) — at the widths `widths_for(room)` gives for the table's
    width as it is now (room kept for the vertical scrollbar whether it shows yet or not), unless
    they are the widths `shown` already. Returns the widths the table has now."""
    width = (table.content_region.width or fallback_width - 2) - table.styles.scrollbar_size_vertical
    widths = widths_for(width) if width > 0 else None
    if widths is None or widths == shown:
        return shown
    table.clear(columns=True)
    for (label, key), w in zip(columns, widths, strict=True):
        table.add_column(label, key=key, width=w)
    return widths
