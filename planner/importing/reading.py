"""Reading a file as it comes (SPEC §4 "Switching in"): its encoding, its delimiter, its records.

A CSV or TSV file is read as a stream, never whole: its encoding is decided by one pass of an
incremental decoder (UTF-8 with or without a byte-order mark, UTF-16 with one, else Windows-1252,
said in a warning), its delimiter from its first lines (`,` `;` or tab, or Excel's `sep=` line),
and its records are handed out one at a time with the line each starts on. Quotes are read
strictly: a quote left open is an error at the line where it opened, not the rest of the file
swallowed into one cell. Limits hold before anything big is built: the file's size, a line's
length, a cell's length, the header's columns and names.

An `.xlsx` workbook is read with openpyxl (imported only here, only then): the first sheet, or
the one named; dates come as days, numbers as plain numbers (with the currency of their number
format, when it names one).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from planner.errors import BadInput
from planner.importing.problems import ImportProblem, quoted

MAX_FILE_BYTES = 512 * 2**20  # 512 MiB: ~2.5 million deals in the planner's own CSV
MAX_LINE_CHARS = 1_000_000  # one physical line
MAX_CELL_CHARS = 100_000  # one cell (the csv module's field limit)
MAX_HEADER_CHARS = 200_000  # the header line
MAX_COLUMNS = 500
MAX_HEADER_NAME = 200
MAX_ROWS = 1_000_000
_SAMPLE = 64 * 1024
_CHUNK = 1 << 20

csv.field_size_limit(MAX_CELL_CHARS)


@dataclass
class Table:
    """A file's records, header first, each with the line (or sheet row) it starts on."""

    records: Iterator[tuple[int, list[str]]]
    kind: str  # "csv" or "xlsx"
    encoding: str = ""  # as said to the user: "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252"
    delimiter: str = ","
    warnings: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return "row" if self.kind == "xlsx" else "line"

    def describe(self) -> str:
        if self.kind == "xlsx":
            return "an Excel workbook"
        names = {",": "comma", ";": "semicolon", "\t": "tab"}
        return f"{self.encoding} text, {names.get(self.delimiter, repr(self.delimiter))}-separated"


def open_table(source: str | bytes | os.PathLike[str], *, sheet: str | None = None) -> Table:
    """The records of a CSV/TSV file (a path or its bytes; a str is text already) or an xlsx."""
    if isinstance(source, str):
        return _text_table(io.StringIO(source, newline=""), "UTF-8", [], source[:_SAMPLE])
    if isinstance(source, bytes):
        _refuse_other_formats(source[:512])
        if source[:4] == b"PK\x03\x04":
            return _xlsx_table(io.BytesIO(source), sheet)
        return _bytes_table(lambda: io.BytesIO(source), len(source))
    path = Path(source)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(512)
    except FileNotFoundError:
        raise BadInput(f"no such file: {os.fspath(source)}") from None
    except IsADirectoryError:
        raise BadInput(f"{os.fspath(source)} is a directory, not a file to import") from None
    except OSError as error:
        raise BadInput(f"cannot read {os.fspath(source)}: {error.strerror or error}") from None
    _refuse_other_formats(magic)
    if magic[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_table(path, sheet)
    if sheet is not None:
        raise BadInput("--sheet is for Excel workbooks (.xlsx); this file is text")
    return _bytes_table(lambda: path.open("rb"), size)


def _refuse_other_formats(head: bytes) -> None:
    """The old Excel format (.xls) and the web page some tools save under that name (a
    Salesforce report's "Excel" export) are not tables this reads: say what to save instead."""
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportProblem(["this is a workbook in Excel's old format (.xls): open it and save it as .xlsx or "
                             "'CSV UTF-8', or export it from its tool as CSV, and import that"])
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        raise ImportProblem(["this file is a web page or XML, not a table (some tools save a report as an 'Excel' "
                             "file this way): export it as CSV, or save it as .xlsx, and import that"])


# --- text files ---------------------------------------------------------------------------------


def _bytes_table(opener, size: int) -> Table:
    if size > MAX_FILE_BYTES:
        raise ImportProblem(
            [f"the file is {size / 2**20:,.0f} MiB; the planner imports files up to {MAX_FILE_BYTES // 2**20} MiB "
             "(split it, or export fewer columns)"]
        )
    with opener() as handle:
        head = handle.read(_SAMPLE)
    encoding, label, warnings = _encoding(opener, head)
    stream = io.TextIOWrapper(opener(), encoding=encoding, newline="", errors="strict")
    sample = io.TextIOWrapper(io.BytesIO(head), encoding=encoding, newline="", errors="ignore").read()
    return _text_table(stream, label, warnings, sample)


def _encoding(opener, head: bytes) -> tuple[str, str, list[str]]:
    """(codec, what to call it, warnings): UTF-8 ± BOM, UTF-16 with a BOM (or its look), else
    Windows-1252 with a warning naming it and the first line that is not UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return _checked(opener, "utf-8-sig", "UTF-8 with BOM")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(opener, "utf-16", "UTF-16")
    if len(head) >= 4 and head[1:20:2].count(0) >= 8 and 0 not in head[0:20:2]:
        return _checked(opener, "utf-16-le", "UTF-16")  # Excel's "Unicode text" without its mark
    if len(head) >= 4 and head[0:20:2].count(0) >= 8 and 0 not in head[1:20:2]:
        return _checked(opener, "utf-16-be", "UTF-16")
    bad = _first_undecodable(opener, "utf-8")
    if bad is None:
        return "utf-8", "UTF-8", []
    line, byte = bad
    also = _first_undecodable(opener, "cp1252")
    if also is not None:
        line, byte = also
        raise ImportProblem(
            [f"the file is neither UTF-8 nor Windows-1252 text (line {line} has the byte 0x{byte:02X}); "
             "save it as 'CSV UTF-8' and import it again"]
        )
    return "cp1252", "Windows-1252", [
        f"the file is not UTF-8 (line {line} has the byte 0x{byte:02X}); read it as Windows-1252, "
        "the encoding of Excel's older 'CSV' save: check the names with accents, or save it as 'CSV UTF-8'"
    ]


def _checked(opener, encoding: str, label: str) -> tuple[str, str, list[str]]:
    bad = _first_undecodable(opener, encoding)
    if bad is not None:
        line, byte = bad
        raise ImportProblem([f"the file is not valid {label} text (near line {line}, byte 0x{byte:02X})"])
    return encoding, label, []


def _first_undecodable(opener, encoding: str) -> tuple[int, int] | None:
    """(line, byte) of the first byte the codec cannot decode, reading in chunks; None if none."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    with opener() as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                start = max(0, error.start)
                return lines + chunk.count(b"\n", 0, start), chunk[start] if start < len(chunk) else 0
            lines += chunk.count(b"\n")
            if not chunk:
                return None


def _text_table(stream, label: str, warnings: list[str], sample: str) -> Table:
    first = 1
    head = sample.lstrip("\ufeff")
    sep = re.match(r"sep=(.)\r?\n", head)
    delimiter = sep.group(1) if sep else sniff_delimiter(head)  # Excel's "sep=;" line names it
    lines = _bounded_lines(stream, delimiter)
    if sep:
        next(lines, None)
        first = 2
    return Table(_records(lines, delimiter, first), "csv", label, delimiter, warnings)


def sniff_delimiter(sample: str) -> str:
    """`,` `;` or tab: the one the header line has most of outside quotes, checked against the
    next lines (a `;` file with commas in its amounts keeps the `;`)."""
    lines = [line for line in sample.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:20] if line.strip()]
    if not lines:
        return ","
    counts = {d: _outside_quotes(lines[0], d) for d in (",", ";", "\t")}
    best = max(counts.values())
    if best == 0:
        return ","
    tied = [d for d, n in counts.items() if n == best]
    if len(tied) == 1:
        return tied[0]
    rows = lines[1:6]
    for d in tied:
        if rows and all(_outside_quotes(row, d) == best for row in rows):
            return d
    return tied[0]


def _outside_quotes(line: str, delimiter: str) -> int:
    count, quoted_ = 0, False
    for ch in line:
        if ch == '"':
            quoted_ = not quoted_
        elif ch == delimiter and not quoted_:
            count += 1
    return count


class _LineTooLong(Exception):
    def __init__(self, line: int, limit: int, names: list[str] | None = None, columns: int = 0) -> None:
        self.line, self.limit, self.names, self.columns = line, limit, names, columns


def _bounded_lines(stream, delimiter: str) -> Iterator[str]:
    """Physical lines, none longer than the limit (a longer one stops the read at its line,
    having held at most the limit in memory). An over-long header is read on in chunks only to
    count its columns, for the message."""
    number = 0
    limit = MAX_HEADER_CHARS
    try:
        while True:
            line = stream.readline(limit + 1)
            if not line:
                return
            number += 1
            if len(line) > limit and not line.endswith(("\n", "\r")):
                if number == 1:
                    names = next(csv.reader([line[:2000]], delimiter=delimiter), [])[:3]
                    columns = line.count(delimiter) + 1
                    while (more := stream.readline(_CHUNK)) and not line.endswith(("\n", "\r")):
                        columns += more.count(delimiter)
                        line = more
                    raise _LineTooLong(number, limit, names, columns)
                raise _LineTooLong(number, limit)
            yield line
            limit = MAX_LINE_CHARS
    except UnicodeDecodeError as error:  # pragma: no cover - the encoding was checked whole first
        raise ImportProblem([f"line {number + 1}: cannot be decoded ({error.reason})"]) from None
    finally:
        stream.close()


def _records(lines: Iterator[str], delimiter: str, first: int) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    offset = first - 1
    rows = 0
    while True:
        start = reader.line_num + 1 + offset
        try:
            row = next(reader)
        except StopIteration:
            return
        except _LineTooLong as long:
            if long.line == 1:
                raise ImportProblem([_header_too_long(long)]) from None
            raise ImportProblem(
                [f"line {long.line + offset} is longer than {long.limit:,} characters; is it really a CSV file?"]
            ) from None
        except csv.Error as error:
            raise ImportProblem([_csv_error(start, reader.line_num + offset, str(error))]) from None
        rows += 1
        if rows > MAX_ROWS + 1:
            raise ImportProblem([f"the file has more than {MAX_ROWS:,} rows; split it and import each part"])
        yield start, row


def _csv_error(start: int, end: int, error: str) -> str:
    if "unexpected end of data" in error or "EOF" in error:
        return (f"line {start}: a quote opened on this line is never closed (the rest of the file, to line {end}, "
                "would be one cell); close it, or double a quote that belongs to the text (\"\")")
    if "field larger than field limit" in error:
        return f"line {start}: a cell is longer than {MAX_CELL_CHARS:,} characters"
    if "expected after" in error:
        return (f"line {end}: a quoted cell goes on after its closing quote; a quote inside a quoted cell "
                "is written twice (\"\")")
    return f"line {start}: {error}"


def _header_too_long(long: _LineTooLong) -> str:
    first = ", ".join(quoted(name, 30) for name in long.names or [])
    return (f"line 1: the header names {long.columns:,} columns ({first}, …) in more than {long.limit:,} "
            f"characters; a header names at most {MAX_COLUMNS} columns of at most {MAX_HEADER_NAME} characters")


def check_header(header: list[str], where: str = "line") -> None:
    """Refuse a header with too many columns or over-long names, saying the first few and a count."""
    problems = []
    if len(header) > MAX_COLUMNS:
        first = ", ".join(quoted(h, 30) for h in header[:3])
        problems.append(f"the header names {len(header):,} columns ({first}, …); at most {MAX_COLUMNS}")
    long = [h for h in header if len(h.strip()) > MAX_HEADER_NAME]
    if long:
        names = ", ".join(quoted(h, 30) for h in long[:3])
        more = f" and {len(long) - 3:,} more" if len(long) > 3 else ""
        problems.append(f"column names longer than {MAX_HEADER_NAME} characters: {names}{more}")
    if problems:
        raise ImportProblem([f"{where} 1: {'; '.join(problems)}"])


# --- Excel workbooks ------------------------------------------------------------------------------

# Excel's number formats: `[$€-407]`, `[$€-x-euro2]`, `[$USD] #,##0` name a currency in brackets
# (`[$-409]` only a locale); `"€"` or a bare sign outside the brackets and quotes shows one.
_BRACKETED_CURRENCY = re.compile(r"\[\$([^\]\-]*)(?:-[^\]]*)?\]")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_SHOWN_CURRENCY = re.compile(r"\"([^\"]+)\"|([€$£¥₹])")


def _xlsx_table(source, sheet: str | None) -> Table:
    try:
        import openpyxl  # only here: the one feature that needs it
    except ImportError:  # pragma: no cover - a dependency of the package
        raise BadInput("reading .xlsx files needs openpyxl (pip install openpyxl)") from None
    import zipfile

    if isinstance(source, Path) and source.stat().st_size > MAX_FILE_BYTES:
        raise ImportProblem([f"the workbook is larger than {MAX_FILE_BYTES // 2**20} MiB"])
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportProblem([f"this is not an Excel workbook that can be read ({error})"]) from None
    names = book.sheetnames
    if sheet is None:
        worksheet = book.worksheets[0]
    else:
        match = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        if not match:
            book.close()
            raise BadInput(f"no sheet {quoted(sheet)} in the workbook; its sheets are {', '.join(map(quoted, names))}")
        worksheet = book[match[0]]
    warnings = []
    if len(names) > 1 and sheet is None:
        warnings.append(f"the workbook has {len(names)} sheets; read the first, {quoted(names[0])} "
                        f"(--sheet NAME for another: {', '.join(map(quoted, names[1:4]))})")
    return Table(_xlsx_records(book, worksheet), "xlsx", "xlsx", "", warnings)


def _xlsx_records(book, worksheet) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, row in enumerate(worksheet.iter_rows(), start=1):
            if number > MAX_ROWS + 1:
                raise ImportProblem([f"the sheet has more than {MAX_ROWS:,} rows; split it and import each part"])
            if len(row) > MAX_COLUMNS and number == 1:
                check_header([str(c.value or "") for c in row[: MAX_COLUMNS + 1]] + [""] * (len(row) - MAX_COLUMNS - 1), "row")
            yield getattr(row[0], "row", number) if row else number, [_xlsx_cell(c) for c in row]
    finally:
        book.close()


def _xlsx_cell(cell) -> str:
    """A cell's value as text the importer reads exactly: days as YYYY-MM-DD, numbers with a
    decimal point and no grouping (and the currency their format shows), booleans as TRUE/FALSE."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        text = _number(value)
        currency = _format_currency(getattr(cell, "number_format", "") or "")
        return f"{text} {currency}" if currency else text
    return str(value)


def _number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    from decimal import Decimal

    exact = Decimal(repr(value))
    cents = exact.quantize(Decimal("0.01"))
    # A spreadsheet keeps amounts as binary floats (1234.56 may be 1234.5600000000001): read the
    # cents it shows; a value really more precise than that stays as it is (and is refused).
    if abs(exact - cents) < Decimal("0.000001"):
        exact = cents
    text = format(exact.normalize(), "f")
    return text


def _format_currency(number_format: str) -> str:
    """The currency a cell's number format shows, or "" (a format's first section is the one
    for positive amounts)."""
    from planner.domain.parse import currency_of

    section = number_format.split(";", 1)[0]
    for match in _BRACKETED_CURRENCY.finditer(section):
        text = match.group(1).strip()
        if text and currency_of(text) is not None:
            return text
    for match in _SHOWN_CURRENCY.finditer(_BRACKETS.sub("", section)):
        text = next(g for g in match.groups() if g).strip()
        if currency_of(text) is not None:
            return text
    return ""
