"""CSV import and CSV / JSON export of opportunities (SPEC §4 "CSV columns").

Import is all-or-nothing: `read_csv` checks every row and raises one `ImportProblem` listing every
bad row as "line N: why", with N the line an editor shows (header = line 1, quoted cells spanning
several lines counted as the lines they span). Only when the whole file is good does it return
the opportunities, and the caller hands them to the store in one transaction.

Export neutralises spreadsheet formula injection: a text cell that a spreadsheet would run as a
formula (it starts with = + - @, a tab or a carriage return) is written with a leading apostrophe,
the convention spreadsheets use for "this is text". Import strips exactly that apostrophe again,
so export → import gives back the same text.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from planner.domain.models import Bucket, Opportunity
from planner.domain.parse import (
    MAX_FIELD,
    MAX_NOTES,
    MAX_TITLE,
    clean_text,
    parse_bucket,
    parse_date,
    parse_money,
)
from planner.errors import BadInput

#: The columns, in the order export writes them (SPEC §4).
COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "account",
    "contact",
    "value",
    "bucket",
    "first_contact",
    "expected_close",
    "closed_on",
    "next_action",
    "next_action_due",
    "source",
    "notes",
)
_TEXT_LIMITS = {
    "title": MAX_TITLE,
    "account": MAX_FIELD,
    "contact": MAX_FIELD,
    "next_action": MAX_FIELD,
    "source": MAX_FIELD,
    "notes": MAX_NOTES,
}
_DATE_COLUMNS = ("first_contact", "expected_close", "closed_on", "next_action_due")
_MAX_ID = 2**63 - 1  # SQLite's integer

# A cell a spreadsheet would evaluate; any apostrophes before the trigger are part of the text, so
# the escape is one more apostrophe and unescaping removes exactly one (a bijection).
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED_FORMULA = re.compile(r"'('*[=+\-@\t\r])")


class ImportProblem(BadInput):
    """The file cannot be imported; nothing was. `problems` holds one line per bad row
    ("line 7: value 'abc' is not an amount…") or a single line about the whole file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            summary = f"nothing imported: {self.problems[0]}"
        else:
            summary = f"nothing imported: {len(self.problems)} problems"
        super().__init__(summary)


# Import ---------------------------------------------------------------------------------------


def read_csv(
    source: str | bytes | os.PathLike[str],
    today: date,
    *,
    existing_ids: Collection[int] | Callable[[], Collection[int]] = frozenset(),
) -> list[Opportunity]:
    """Opportunities from a CSV file (a path), its raw bytes, or its text (SPEC §4).

    Raises ImportProblem listing every bad row, or the one problem with the file as a whole
    (not UTF-8, no header, unknown or missing columns). `existing_ids` are the ids already in the
    database: a row carrying one of them is refused (an id column is there for round trips into
    an empty or different database, never to overwrite); it may be a function returning them,
    called only if some row has an id, so a file without ids never pays for reading them.
    Relative dates are read against `today`.
    """
    known: Collection[int] | None = None if callable(existing_ids) else existing_ids
    text = _decode(source)
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ImportProblem([f"line 1: {error}"]) from None
    if header is None or not any(cell.strip() for cell in header):
        raise ImportProblem(["the file is empty; the first line must name the columns, at least 'title'"])
    columns = _read_header(header)

    problems: list[str] = []
    opportunities: list[Opportunity] = []
    first_line_of_id: dict[int, int] = {}
    last_line = reader.line_num
    while True:
        line = last_line + 1  # where this record starts, as an editor counts
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f"line {line}: {error}")
            break  # the parser cannot find the next record reliably after this
        last_line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines and rows of empty cells, as spreadsheets leave them
        try:
            opp = _read_row(row, columns, today)
        except BadInput as error:
            problems.append(f"line {line}: {error}")
            continue
        if opp.id is not None:
            if opp.id in first_line_of_id:
                problems.append(f"line {line}: id {opp.id} is also on line {first_line_of_id[opp.id]}")
                continue
            first_line_of_id[opp.id] = line
            if known is None:
                known = existing_ids()  # type: ignore[operator]
            if opp.id in known:
                problems.append(f"line {line}: id {opp.id} already exists; clear the id cell to import it as a new one")
                continue
        opportunities.append(opp)
    if problems:
        raise ImportProblem(problems)
    return opportunities


def _decode(source: str | bytes | os.PathLike[str]) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise BadInput(f"no such file: {os.fspath(source)}") from None
        except IsADirectoryError:
            raise BadInput(f"{os.fspath(source)} is a directory, not a CSV file") from None
        except OSError as error:
            raise BadInput(f"cannot read {os.fspath(source)}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportProblem(
            [
                f"the file is not UTF-8 text (line {line} has the byte 0x{data[error.start]:02X}); "
                "save it as 'CSV UTF-8' and import it again"
            ]
        ) from None


def _normalise_column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _read_header(header: list[str]) -> list[str | None]:
    """Map each cell position to a known column; refuse unknown, repeated or missing ones."""
    problems: list[str] = []
    columns: list[str | None] = []
    seen: set[str] = set()
    for cell in header:
        name = _normalise_column(cell)
        if not name:
            columns.append(None)  # an unnamed trailing column; its cells must stay empty
            continue
        if name not in COLUMNS:
            problems.append(f"unknown column {cell.strip()!r}")
        elif name in seen:
            problems.append(f"column {name!r} appears twice")
        seen.add(name)
        columns.append(name)
    if "title" not in seen:
        problems.append("no 'title' column (the only one required)")
    if problems:
        raise ImportProblem([f"line 1: {'; '.join(problems)}; the columns are {', '.join(COLUMNS)}"])
    return columns


def _unescape(cell: str) -> str:
    """Strip the one apostrophe export put before a formula-like cell."""
    return cell[1:] if cell[:1] == "'" and _ESCAPED_FORMULA.match(cell) else cell


def _read_row(row: list[str], columns: list[str | None], today: date) -> Opportunity:
    """One record → an Opportunity; BadInput naming every problem of the row, joined by '; '.

    Runs once per row of a bulk import, so the common case avoids per-cell patterns: a row as
    long as a header of named columns is zipped, printable text skips the character scan, and
    parse_date / parse_money / parse_bucket read plain values without their general parse."""
    problems: list[str] = []
    if len(row) == len(columns) and None not in columns:
        cells: dict[str, str] = dict(zip(columns, row))  # type: ignore[arg-type]
    else:
        cells = {}
        for position, cell in enumerate(row):
            column = columns[position] if position < len(columns) else None
            if column is None:
                if cell.strip():
                    if position < len(columns):
                        problems.append(f"cell {position + 1} holds {cell.strip()[:40]!r} but its column has no name")
                    else:
                        problems.append(f"{len(row)} cells but the header names {len(columns)} columns")
                    break
                continue
            cells[column] = cell  # short rows: the missing trailing cells count as empty

    fields: dict[str, Any] = {}
    for column, limit in _TEXT_LIMITS.items():
        raw = _unescape(cells.get(column, ""))
        if not raw.isprintable():  # control characters are never printable
            bad = sorted(
                {f"U+{ord(ch):04X}" for ch in raw if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n"}
            )
            if bad:
                problems.append(f"{column} contains control characters ({', '.join(bad[:3])})")
                continue
        try:
            fields[column] = clean_text(raw, limit, multiline=column == "notes", what=column)
        except BadInput as error:
            problems.append(str(error))
    if "title" in fields and not fields["title"]:
        problems.append("title is empty")

    opp_id = None
    raw_id = cells.get("id", "").strip()
    if raw_id:
        if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 19 and 0 < int(raw_id) <= _MAX_ID:
            opp_id = int(raw_id)
        else:
            problems.append(f"id {raw_id!r} is not a positive whole number")

    value = 0
    if cells.get("value", "").strip():
        try:
            value = parse_money(cells["value"])
        except BadInput as error:
            problems.append(str(error))

    bucket = Bucket.ABOVE
    if cells.get("bucket", "").strip():
        try:
            bucket = parse_bucket(cells["bucket"])
        except BadInput as error:
            problems.append(str(error))

    dates: dict[str, date | None] = {}
    for column in _DATE_COLUMNS:
        raw = cells.get(column, "").strip()
        dates[column] = None
        if raw:
            try:
                dates[column] = parse_date(raw, today, what=column)
            except BadInput as error:
                problems.append(str(error))

    closed_on, first_contact = dates["closed_on"], dates["first_contact"]
    if closed_on is not None and bucket.is_open:
        problems.append(f"closed_on is set but the bucket is {bucket.value!r} (only won or lost deals are closed)")
    if closed_on is not None and first_contact is not None and closed_on < first_contact:
        problems.append(f"closed_on {closed_on.isoformat()} is before first_contact {first_contact.isoformat()}")

    if problems:
        raise BadInput("; ".join(problems))
    return Opportunity(
        id=opp_id,
        bucket=bucket,
        value_cents=value,
        first_contact=first_contact,
        expected_close=dates["expected_close"],
        closed_on=closed_on,
        next_action_due=dates["next_action_due"],
        **fields,
    )


# Export ---------------------------------------------------------------------------------------


def _plain_money(cents: int) -> str:
    """Cents → "12500" / "12500.50": no thousands separator, so spreadsheets read a number."""
    units, rest = divmod(cents, 100)
    return str(units) if rest == 0 else f"{units}.{rest:02d}"


def _escape(text: str) -> str:
    return "'" + text if _FORMULA.match(text) else text


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def opportunity_record(opp: Opportunity) -> dict[str, Any]:
    """One opportunity keyed like the CSV columns, for JSON (value as a number, dates ISO or null)."""
    units, rest = divmod(opp.value_cents, 100)
    return {
        "id": opp.id,
        "title": opp.title,
        "account": opp.account,
        "contact": opp.contact,
        "value": units if rest == 0 else opp.value_cents / 100,
        "bucket": opp.bucket.value,
        "first_contact": _iso(opp.first_contact),
        "expected_close": _iso(opp.expected_close),
        "closed_on": _iso(opp.closed_on),
        "next_action": opp.next_action,
        "next_action_due": _iso(opp.next_action_due),
        "source": opp.source,
        "notes": opp.notes,
    }


def csv_row(opp: Opportunity) -> list[str]:
    """One opportunity as CSV cells in COLUMNS order, text cells formula-safe."""
    record = opportunity_record(opp)
    row: list[str] = []
    for column in COLUMNS:
        if column == "value":
            row.append(_plain_money(opp.value_cents))
        elif column in _TEXT_LIMITS:
            row.append(_escape(record[column]))
        else:
            value = record[column]
            row.append("" if value is None else str(value))
    return row


def write_csv(opps: Iterable[Opportunity], file: IO[str]) -> int:
    """Write a header and one row per opportunity to a text file opened with newline="";
    return the number of rows written."""
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for opp in opps:
        writer.writerow(csv_row(opp))
        count += 1
    return count


def csv_text(opps: Iterable[Opportunity]) -> str:
    buffer = io.StringIO(newline="")
    write_csv(opps, buffer)
    return buffer.getvalue()


def write_json(opps: Iterable[Opportunity], file: IO[str], *, ascii_only: bool = False) -> int:
    """Write a JSON list of objects keyed like the CSV columns; return how many. `ascii_only`
    writes non-ASCII characters as \\uXXXX escapes (the same JSON), for a file that is not UTF-8."""
    records = [opportunity_record(opp) for opp in opps]
    json.dump(records, file, ensure_ascii=ascii_only, indent=2)
    file.write("\n")
    return len(records)

