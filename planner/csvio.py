"""CSV import and CSV / JSON export of opportunities (SPEC §4 "CSV columns"): the names the rest
of the planner has always used, kept here; the work is done in `planner.importing`."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from datetime import date

from planner.domain.models import Opportunity
from planner.importing import ImportOptions, ImportProblem, read_import
from planner.importing.export import csv_row, csv_text, opportunity_record, write_csv, write_json
from planner.importing.headers import COLUMNS

__all__ = ["COLUMNS", "ImportProblem", "csv_row", "csv_text", "opportunity_record", "read_csv", "write_csv", "write_json"]


def read_csv(
    source: str | bytes | os.PathLike[str],
    today: date,
    *,
    existing_ids: Collection[int] | Callable[[], Collection[int]] = frozenset(),
    options: ImportOptions | None = None,
) -> list[Opportunity]:
    """The new opportunities of a file (a path, its bytes, or its text), or ImportProblem
    listing every problem. A row carrying an id already in `existing_ids` is refused (an id
    column is there for round trips, never to overwrite; see --update)."""
    return read_import(source, today, options or ImportOptions(), existing_ids=existing_ids).new
