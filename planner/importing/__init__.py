"""Bringing a funnel in and taking all of it out (SPEC §4 "CSV columns", "Switching in",
"Export is complete").

- `reading`: a file as it comes → records (encoding, delimiter, strict bounded CSV, xlsx);
- `headers`: the headers and stage names of the usual tools;
- `dates`: days as exports write them;
- `rows`: records → the deals to import, the file's conventions decided from the whole file;
- `complete`: a JSON export read back; `export`: CSV and the complete JSON export;
- `problems`: what is wrong, by line, each kind said once.

`read_import` returns an `ImportPlan`; its `batch()` is what `Repository.apply_import` writes in
one transaction. Nothing here touches the database.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from planner.errors import BadInput
from planner.importing.problems import ImportProblem
from planner.importing.rows import IdsSource, ImportOptions, ImportPlan, parse_map, parse_stage, read_table

__all__ = ["ImportOptions", "ImportPlan", "ImportProblem", "parse_map", "parse_stage", "read_import"]


def read_import(
    source: str | bytes | os.PathLike[str],
    today: date,
    options: ImportOptions = ImportOptions(),
    *,
    existing_ids: IdsSource = frozenset(),
) -> ImportPlan:
    """What importing `source` would do: a path (.csv, .tsv, .txt, .xlsx or a .json export),
    its bytes, or CSV text. Raises ImportProblem with every problem (nothing is half-read)."""
    from planner.importing.reading import open_table

    if not isinstance(source, str):
        head = source[:64] if isinstance(source, bytes) else _head(source)
        from planner.importing.complete import looks_like_json, read_json

        if looks_like_json(head) or (not isinstance(source, bytes) and Path(source).suffix.lower() == ".json"):
            data = source if isinstance(source, bytes) else _read_bytes(source)
            return read_json(data, today, options, existing_ids)
    table = open_table(source, sheet=options.sheet)
    return read_table(table, today, options, existing_ids)


def _head(path: os.PathLike[str]) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(64)
    except FileNotFoundError:
        raise BadInput(f"no such file: {os.fspath(path)}") from None
    except IsADirectoryError:
        raise BadInput(f"{os.fspath(path)} is a directory, not a file to import") from None
    except OSError as error:
        raise BadInput(f"cannot read {os.fspath(path)}: {error.strerror or error}") from None


def _read_bytes(path: os.PathLike[str]) -> bytes:
    from planner.importing.reading import MAX_FILE_BYTES

    size = Path(path).stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImportProblem([f"the file is {size / 2**20:,.0f} MiB; the planner imports files up to "
                             f"{MAX_FILE_BYTES // 2**20} MiB"])
    return Path(path).read_bytes()
