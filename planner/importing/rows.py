"""A table of records → the deals to import, as the file means them (SPEC §4 "CSV columns",
"Switching in").

One pass over the records reads each row into an Opportunity. What one row cannot tell is
decided from the whole file afterwards: the order of numeric days (`03/04/2025`), the decimal
separator of amounts (`18.500`), the currency, the single close-date column (the close of won and
lost deals, the expected close of open ones), report footers at the end. Then every problem is
said once with its lines, and nothing is returned unless the whole file is good.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from planner.domain.models import Bucket, ImportBatch, Opportunity
from planner.domain.parse import (
    MAX_FIELD,
    MAX_NOTES,
    MAX_TITLE,
    AmbiguousAmount,
    clean_text,
    currency_of,
    distinct_currencies,
    parse_bucket,
    quoted,
    read_amount,
    same_currency,
)
from planner.errors import BadInput
from planner.importing.dates import Undecided, decide, read_day
from planner.importing.headers import (
    COLUMNS,
    FIELDS,
    FOOTER,
    IGNORE,
    OPEN_STATUSES,
    STAGES,
    known_header,
    normalise,
    truth,
    without_qualifier,
)
from planner.importing.problems import ImportProblem, Problems, counted, where_lines
from planner.importing.reading import Table, check_header

_TEXT_LIMITS = {
    "title": MAX_TITLE,
    "account": MAX_FIELD,
    "contact": MAX_FIELD,
    "next_action": MAX_FIELD,
    "source": MAX_FIELD,
    "lost_reason": MAX_FIELD,
    "notes": MAX_NOTES,
}
_DATE_FIELDS = ("first_contact", "expected_close", "closed_on", "next_action_due", "close_date")
_MAX_ID = 2**63 - 1
_ESCAPED_FORMULA = re.compile(r"'('*[=+\-@\t\r])")
_HEADER_SEARCH = 30  # records looked at for a header below a report's title lines
_FOOTER_WINDOW = 60  # trailing records kept to recognise a report's footer
_OPEN = object()  # a status that says "open" without saying where
_BUCKETS = {b.value: b for b in Bucket}


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the user said about the file (SPEC §4 `planner import` options) and what the
    database says (its currency and decimal convention, whether it is empty)."""

    maps: Mapping[str, str] = field(default_factory=dict)  # normalised header → field or IGNORE
    stages: Mapping[str, Bucket] = field(default_factory=dict)  # normalised stage → bucket
    date_format: str | None = None  # dmy, mdy or ymd
    decimal_comma: bool = False  # --decimal-comma
    decimal_comma_setting: bool = False  # the database's decimal_comma setting
    currency: str = ""  # the database's currency
    update: bool = False
    sheet: str | None = None
    database_is_empty: bool = False


def parse_map(text: str) -> tuple[str, str]:
    """`--map 'Their header=field'` → (normalised header, field or IGNORE)."""
    header, sep, target = text.rpartition("=")
    if not sep or not header.strip():
        raise BadInput(f"--map {quoted(text)}: write it as 'Their header=field', e.g. --map 'Projekt=title'")
    key = normalise(target)
    if key in ("", "-", "ignore", "none", "skip"):
        return normalise(header), IGNORE
    fieldname = key.replace(" ", "_")
    if fieldname not in FIELDS:
        raise BadInput(
            f"--map {quoted(text)}: {quoted(target.strip())} is not a field; the fields are {', '.join(FIELDS)} "
            "(or nothing after '=' to leave the column out)"
        )
    return normalise(header), fieldname


def parse_stage(text: str) -> tuple[str, Bucket]:
    """`--stage 'Their stage=bucket'` → (normalised stage, bucket)."""
    stage, sep, bucket = text.rpartition("=")
    if not sep or not stage.strip():
        raise BadInput(f"--stage {quoted(text)}: write it as 'Their stage=bucket', e.g. --stage 'Contract Sent=best_few'")
    try:
        return normalise(stage), parse_bucket(bucket)
    except BadInput as error:
        raise BadInput(f"--stage {quoted(text)}: {error}") from None


@dataclass
class ImportPlan:
    """What an import would do, and what it found on the way (for the summary and --dry-run)."""

    new: list[Opportunity] = field(default_factory=list)
    updates: list[tuple[Opportunity, frozenset[str]]] = field(default_factory=list)
    batch_extra: dict[str, Any] = field(default_factory=dict)  # histories, prospecting, criteria (JSON)
    settings: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what was read how (shown with the summary)
    # What the import does to the database's settings, said two ways: once it is done, and by a
    # dry run, which changes nothing ("… is now EUR" / "… would become EUR").
    setting_notices: list[tuple[str, str]] = field(default_factory=list)
    mapping: list[tuple[str, str]] = field(default_factory=list)  # header → what it became
    stage_map: list[tuple[str, Bucket, int]] = field(default_factory=list)  # value → bucket, rows
    kept_in_notes: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def counts(self) -> Counter[Bucket]:
        return Counter(o.bucket for o in self.new) + Counter(o.bucket for o, _ in self.updates) + Counter(
            h.opportunity.bucket for h in self.batch_extra.get("histories", ())
        )

    def batch(self) -> ImportBatch:
        return ImportBatch(
            new=tuple(self.new),
            updates=tuple(self.updates),
            histories=tuple(self.batch_extra.get("histories", ())),
            prospecting=tuple(self.batch_extra.get("prospecting", ())),
            criteria=tuple(self.batch_extra.get("criteria", ())),
            settings=dict(self.settings),
            checkins=tuple(self.batch_extra.get("checkins", ())),
        )


IdsSource = Collection[int] | Callable[[], Collection[int]]


def read_table(table: Table, today: date, options: ImportOptions, existing_ids: IdsSource) -> ImportPlan:
    """Every record of `table` read as a deal; raise ImportProblem with every problem, by line."""
    records = iter(table.records)
    header_line, header, before = _find_header(records, options, table.where)
    reader = _RowReader(header, header_line, today, options, existing_ids, table)
    for line, cells in before:
        reader.pre_header.append((line, cells))
    for line, cells in records:
        reader.row(line, cells)
    return reader.finish()


def _find_header(records: Iterator[tuple[int, list[str]]], options: ImportOptions, where: str):
    """The header record: the first one, or (below a report's title lines) the first that names
    a deal's title and at least one more known column."""
    seen: list[tuple[int, list[str]]] = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            if not seen:
                continue
            seen.append((line, cells))
            continue
        check_header(cells, where)
        known = [_field_of(cell, options) for cell in cells]
        titled = "title" in known
        if (not seen and titled) or (titled and sum(k is not None and k != IGNORE for k in known) >= 2):
            return line, cells, [s for s in seen if any(c.strip() for c in s[1])]
        seen.append((line, cells))
        if len(seen) >= _HEADER_SEARCH:
            break
    if not seen:
        raise ImportProblem(["the file is empty; the first line must name the columns, at least the deal's title"])
    first_line, first = next((s for s in seen if any(c.strip() for c in s[1])), seen[0])
    names = ", ".join(quoted(c, 30) for c in first[:8] if c.strip())
    raise ImportProblem(
        [f"{where} {first_line}: no column for the deal's title among {names}; name it with "
         f"--map 'Their header=title' (the fields are {', '.join(COLUMNS)})"]
    )


def _field_of(name: str, options: ImportOptions) -> str | None:
    key = normalise(name)
    if not key:
        return None
    if key in options.maps:
        return options.maps[key]
    found = known_header(name)
    return found[0] if found else None


def _unescape(cell: str) -> str:
    """Strip the one apostrophe export put before a formula-like cell."""
    return cell[1:] if cell[:1] == "'" and _ESCAPED_FORMULA.match(cell) else cell


#: Fields that may hold a link to another page of a Notion workspace (a relation property).
_LINKED = frozenset({"account", "contact", "source"})
_NOTION_LINKS = re.compile(
    r"\s*(?:(?P<title>[^,()]+?)\s*\(https?://(?:www\.)?notion\.(?:so|site)/[^)\s]*\)"
    r"|(?P<path>(?:\.\./)?[^,]*?%20[0-9a-f]{32}\.md))\s*(?:,|$)"
)
_NOTION_FILE = re.compile(r"\s+[0-9a-f]{32}\.md$")
_LOST_WORD = re.compile(r"(?:^|[^\w?])\?{2,}(?=$|[^\w?])")


def _lossy(text: str, *, whole: bool = False) -> bool:
    """Question marks where text was: what an encoding that lacks its characters leaves of a
    name (`??????`, `??? «??????? ?????»`, `Ahmed ????`). A word of two or more question marks
    and nothing else is one; `What??` is not. With `whole` (notes, where `??` may be meant),
    only a cell of nothing but question marks, spaces and punctuation."""
    letters = [ch for ch in text if ch.isalnum()]
    if not letters:
        return text.count("?") >= 2
    return not whole and _LOST_WORD.search(text) is not None


class _RowReader:
    def __init__(self, header: list[str], header_line: int, today: date, options: ImportOptions,
                 existing_ids: IdsSource, table: Table) -> None:
        self.today = today
        self.options = options
        self.table = table
        self.where = table.where
        self.problems = Problems(table.where)
        self.header_line = header_line
        self.pre_header: list[tuple[int, list[str]]] = []
        self._existing_source = existing_ids
        self._existing: Collection[int] | None = None if callable(existing_ids) else existing_ids
        self.header = [h.replace("\ufeff", "").strip() for h in header]
        self.width = len(header)
        self.positions, self.extras, self.mapping, self.unnamed = self._map_header(options)
        self.what = {f: self.header[p] for f, p in self.positions.items()}
        self.plain = not self.extras and not self.unnamed  # every cell is a field (the fast path)
        # Where a line break can only come from a misplaced quote (see _swallowed).
        self._one_line = frozenset(p for f, p in self.positions.items() if f != "notes")
        # Where each field is, for the per-row loop.
        self._texts = [(n, self.positions[n], limit, self.what[n]) for n, limit in _TEXT_LIMITS.items() if n in self.positions]
        self._dates = [(n, self.positions[n], self.what[n]) for n in _DATE_FIELDS if n in self.positions]
        self._id_at = self.positions.get("id")
        self._value_at = self.positions.get("value")
        self._currency_at = self.positions.get("currency")
        self._bucket_at = self.positions.get("bucket")
        self._flags = any(f in self.positions for f in ("won", "closed"))
        self._dot_seen = False
        # per row, in order
        self.lines: list[int] = []
        self.opps: list[Opportunity | None] = []
        self.update_of: dict[int, int] = {}  # index → id when the row updates a deal
        # (index, line, cells, whether a blank line came just before it)
        self.recent: deque[tuple[int, int, list[str], bool]] = deque(maxlen=_FOOTER_WINDOW)
        self._blank = False
        # decided from the whole file
        self.pending_days: list[tuple[int, str, str, Undecided]] = []  # index, field, raw, undecided
        self.pending_amounts: list[tuple[int, str]] = []  # index, raw
        self.day_evidence: dict[str, list[tuple[int, str]]] = {"dmy": [], "mdy": []}
        self.decimal_evidence: dict[str, list[tuple[int, str]]] = {".": [], ",": []}
        self.currencies: dict[str, list[int]] = defaultdict(list)
        self.close_dates: dict[int, date | Undecided] = {}  # index → the single close date
        self.unmapped_stages: Counter[str] = Counter()
        self.unmapped_lines: dict[str, list[int]] = defaultdict(list)
        self.stage_names: dict[str, str] = {}  # normalised → as written
        self.stage_used: Counter[tuple[str, Bucket]] = Counter()
        self.lossy: list[int] = []
        self.no_stage: list[int] = []  # open deals the file does not place: they start Above the Funnel
        self.lossy_example = ""
        self.linked_example: tuple[str, str] | None = None  # a Notion link cell and the titles read from it
        self.first_line_of_id: dict[int, int] = {}
        self.opps_failed: set[int] = set()
        self._unmeasured: list[tuple[int, bool, bool]] = []  # won deals the cycle can't use: line, no first, no close
        self.detected_comma = False

    # --- the header ---------------------------------------------------------------------------

    def _map_header(self, options: ImportOptions):
        problems: list[str] = []
        candidates: dict[str, list[tuple[int, int]]] = defaultdict(list)  # field → (rank, position)
        ignored: set[int] = set()
        seen: dict[str, int] = {}
        unnamed: list[int] = []
        used_maps: set[str] = set()
        for position, name in enumerate(self.header):
            key = normalise(name)
            if not key:
                unnamed.append(position)
                continue
            if key in seen:
                if _field_of(name, options) is not None:
                    problems.append(f"column {quoted(name)} appears twice (columns {seen[key] + 1} and {position + 1})")
                continue
            seen[key] = position
            if key in options.maps:
                used_maps.add(key)
                target = options.maps[key]
                if target == IGNORE:
                    ignored.add(position)
                else:
                    candidates[target].append((-10, position))
                continue
            found = known_header(name)
            if found is not None:
                candidates[found[0]].append((found[1], position))
        for key in options.maps:
            if key not in used_maps:
                names = ", ".join(quoted(h, 30) for h in self.header[:10] if h)
                problems.append(f"--map names {quoted(key)}, which is not a column of the file (its columns: {names})")
        positions: dict[str, int] = {}
        self.fallbacks: dict[str, list[int]] = {}
        for fieldname, found in candidates.items():
            found.sort()
            if len(found) > 1 and found[0][0] == found[1][0] == -10:
                problems.append(f"--map gives {fieldname} to two columns")
            positions[fieldname] = found[0][1]
            if fieldname == "closed_on" and len(found) > 1:
                # Pipedrive keeps the close day in "Won time" or "Lost time": the first one filled.
                self.fallbacks[fieldname] = [position for _, position in found[1:]]
        if "title" not in positions:
            problems.append("no column for the deal's title; name it with --map 'Their header=title'")
        if problems:
            raise ImportProblem([f"{self.where} {self.header_line}: {'; '.join(problems)}"])
        taken = set(positions.values()) | {p for ps in self.fallbacks.values() for p in ps}
        extras = [p for p in range(self.width) if p not in taken and p not in ignored and p not in unnamed]
        mapping: list[tuple[str, str]] = []
        by_position = {p: f for f, p in positions.items()}
        by_position.update({p: f"{f} (when the first is empty)" for f, ps in self.fallbacks.items() for p in ps})
        for position, name in enumerate(self.header):
            if position in by_position:
                mapping.append((name, by_position[position]))
            elif position in ignored:
                mapping.append((name, "left out (--map)"))
            elif position in unnamed:
                mapping.append((f"(column {position + 1}, no name)", "notes, when a row has something there"))
            else:
                mapping.append((name, "notes ('Header: value')"))
        return positions, extras, mapping, unnamed

    # --- one row --------------------------------------------------------------------------------

    def row(self, line: int, cells: list[str]) -> None:
        width = self.width
        if self._swallowed(cells):
            self._keep(line, cells, None)
            self.problems.add(
                line,
                "the quoted cell that starts on this line runs on over lines that look like rows of their own; "
                "is a closing quote missing?",
            )
            return
        if len(cells) != width or not self.plain:
            if not any(cell.strip() for cell in cells):
                self._blank = True
                return  # blank lines and rows of empty cells, as spreadsheets leave them
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                self._keep(line, cells, None)
                self.problems.add(line, f"{counted(len(cells), 'cell')} but the header names {counted(width, 'column')}")
                return
        elif not any(cells):
            self._blank = True
            return
        try:
            opp = self._read(line, cells, len(self.opps))
        except BadInput as error:  # the row's problems were added; this ends it
            if str(error):
                self.problems.add(line, str(error))
            opp = None
        self._keep(line, cells, opp)

    def _swallowed(self, cells: list[str]) -> bool:
        """A quote closed too late takes the rows after it into one cell: lines inside a cell that
        each hold (almost) a whole row's delimiters; or, in a field that is one line by nature
        (a title, an account, an amount, a date — anything but the notes), a line after a line
        break that holds a delimiter (a title typed over two lines in a spreadsheet has none).
        Notes with a comma or two never count."""
        if self.table.kind != "csv":
            return False
        for cell in cells:
            if "\n" in cell:
                break
        else:
            return False  # nearly every row: no cell holds a line break
        delimiter = self.table.delimiter
        for position, cell in enumerate(cells):
            if "\n" in cell:
                inner = cell.split("\n")[1:]
                if position in self._one_line and any(delimiter in text for text in inner):
                    return True
                rowlike = sum(1 for text in inner if text.count(delimiter) >= self.width - 1)
                if self.width >= 4 and rowlike >= 2:
                    return True
        return False

    def _keep(self, line: int, cells: list[str], opp: Opportunity | None) -> None:
        self.recent.append((len(self.opps), line, cells, self._blank))
        self._blank = False
        self.lines.append(line)
        self.opps.append(opp)

    def _read(self, line: int, cells: list[str], index: int) -> Opportunity:
        # Runs once per row of a bulk import (100,000 rows within the bench's budget), so the
        # common case stays in this function: plain text, plain amounts and ISO days are read
        # inline, and only what is unusual takes the general parsers.
        positions = self.positions
        n = len(cells)
        failed = False
        add = self.problems.add

        def cell(name: str) -> str:
            position = positions.get(name)
            return cells[position] if position is not None and position < n else ""

        fields: dict[str, Any] = {}
        for name, position, limit, what in self._texts:
            raw = cells[position] if position < n else ""
            if raw[:1] == "'":
                raw = _unescape(raw)
            if ("notion.so/" in raw or ".md" in raw) and name in _LINKED:
                raw = self._linked_titles(raw)
            if raw.isprintable():
                text = raw.strip()
                if len(text) > limit:
                    add(line, f"{what} is too long ({len(text):,} characters; at most {limit:,})")
                    failed = True
                    continue
            else:
                bad = sorted({f"U+{ord(ch):04X}" for ch in raw if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n"})
                if bad:
                    add(line, f"{what} contains control characters ({', '.join(bad[:3])})")
                    failed = True
                    continue
                try:
                    text = clean_text(raw, limit, multiline=name == "notes", what=what)
                except BadInput as error:
                    add(line, str(error))
                    failed = True
                    continue
            if "?" in text and _lossy(text, whole=name == "notes"):
                if not self.lossy:
                    self.lossy_example = text
                self.lossy.append(line)
            fields[name] = text
        if not fields.get("title", True):
            add(line, f"{self.what['title']} is empty")
            failed = True
        if self.extras or self.unnamed:
            extra = self._extras(line, cells)
            if extra:
                notes = fields.get("notes", "")
                fields["notes"] = f"{notes}\n{extra}" if notes else extra
                if len(fields["notes"]) > MAX_NOTES:
                    add(line, f"the notes, with the columns kept in them, would be {len(fields['notes']):,} characters "
                              f"(at most {MAX_NOTES:,}); leave columns out with --map 'Header='")
                    failed = True

        opp_id = None
        position = self._id_at
        if position is not None and position < n:
            raw_id = cells[position].strip()
            if raw_id:
                if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 19 and 0 < int(raw_id) <= _MAX_ID:
                    opp_id = int(raw_id)
                else:
                    add(line, f"id {quoted(raw_id)} is not a positive whole number")
                    failed = True

        value = 0
        position = self._value_at
        if position is not None and position < n:
            raw = cells[position]
            whole, dot, fraction = raw.partition(".")
            if whole.isdigit() and whole.isascii() and len(whole) < 13 and (
                not dot or (len(fraction) == 2 and fraction.isdigit() and fraction.isascii())
            ):
                value = int(whole) * 100 + (int(fraction) if dot else 0)  # 12500 / 1138.00, the plain case
                if dot and not self._dot_seen:
                    self._dot_seen = True
                    self.decimal_evidence["."].append((line, raw))
            elif raw.strip():
                value = self._amount(line, index, raw)
                if value is None:
                    failed, value = True, 0
        if self._currency_at is not None:
            raw = cell("currency").strip()
            if raw:
                code = currency_of(raw)
                if code is None:
                    add(line, f"{self.what['currency']} {quoted(raw)} is not a currency")
                    failed = True
                else:
                    self.currencies[code].append(line)

        bucket = None
        position = self._bucket_at
        if position is not None and position < n:
            bucket = _BUCKETS.get(cells[position])  # as the planner writes them
        if bucket is None:
            bucket = self._bucket(line, cell)
            if bucket is None:
                failed, bucket = True, Bucket.ABOVE

        days: dict[str, date | None] = {}
        for name, position, what in self._dates:
            raw = cells[position] if position < n else ""
            if not raw and name in self.fallbacks:
                raw = next((cells[p] for p in self.fallbacks[name] if p < n and cells[p].strip()), "")
            if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
                try:
                    days[name] = date.fromisoformat(raw)
                    continue
                except ValueError:
                    pass
            days[name] = None
            if not raw.strip():
                continue
            try:
                day, proves = read_day(raw, self.today, order=self.options.date_format, what=what)
            except BadInput as error:
                add(line, str(error))
                failed = True
                continue
            if proves is not None:
                evidence = self.day_evidence[proves]
                if len(evidence) < 3:
                    evidence.append((line, raw.strip()))
            if isinstance(day, Undecided):
                self.pending_days.append((index, name, raw, day))
                continue
            days[name] = day
        if self._flags:
            for flag in ("won", "closed"):
                if flag in positions and days.get("closed_on") is None:
                    raw = cell(flag).strip()
                    if raw and truth(raw) is None:  # a "Won" column holding the day it was won
                        try:
                            day, _ = read_day(raw, self.today, order=self.options.date_format or "dmy", what=self.what[flag])
                            days["closed_on"] = day if isinstance(day, date) else None
                        except BadInput as error:
                            add(line, str(error))
                            failed = True
        if "close_date" in days:
            close = days.pop("close_date")
            if close is not None:
                self.close_dates[index] = close
        if failed:
            raise BadInput("")

        opp = Opportunity(
            id=opp_id,
            bucket=bucket,
            value_cents=value,
            first_contact=days.get("first_contact"),
            expected_close=days.get("expected_close"),
            closed_on=days.get("closed_on"),
            next_action_due=days.get("next_action_due"),
            **fields,
        )
        if opp_id is not None:
            self._check_id(line, index, opp_id)
        return opp

    def _linked_titles(self, raw: str) -> str:
        """A Notion relation as its export writes it (`Acme (https://www.notion.so/Acme-2e94…)`, or
        `../Companies%20…/Acme%202e94….md`) → the titles of the pages it links (`Acme`)."""
        titles = []
        for part in _NOTION_LINKS.finditer(raw):
            title = (part.group("title") or "").strip()
            if part.group("path"):
                from urllib.parse import unquote

                title = _NOTION_FILE.sub("", unquote(part.group("path").rsplit("/", 1)[-1]))
            titles.append(title)
        if not titles or _NOTION_LINKS.sub("", raw).strip(" ,"):
            return raw  # not only links: the text as it is
        shown = ", ".join(titles)
        if not self.linked_example:
            self.linked_example = (raw, shown)
        return shown

    def _extras(self, line: int, cells: list[str]) -> str:
        lines = []
        n = len(cells)
        for position in self.extras:
            if position < n:
                raw = cells[position].strip()
                if raw:
                    lines.append(f"{self.header[position]}: {_unescape(raw)}")
        for position in self.unnamed:
            if position < n and cells[position].strip():
                lines.append(f"Column {position + 1}: {_unescape(cells[position].strip())}")
        if not lines:
            return ""
        try:
            return clean_text("\n".join(lines), MAX_NOTES * 2, multiline=True, what="notes")
        except BadInput:
            return "\n".join(lines)[: MAX_NOTES + 1]

    def _amount(self, line: int, index: int, raw: str) -> int | None:
        what = self.what["value"]
        explicit = self.options.decimal_comma or None
        try:
            amount = read_amount(raw, what=what, decimal_comma=explicit)
        except AmbiguousAmount:
            self.pending_amounts.append((index, raw))
            return 0
        except BadInput as error:
            self.problems.add(line, str(error))
            return None
        if amount.decimal_mark:
            evidence = self.decimal_evidence[amount.decimal_mark]
            if len(evidence) < 3:
                evidence.append((line, raw.strip()))
        if amount.currency:
            self.currencies[amount.currency].append(line)
        return amount.cents

    def _bucket(self, line: int, cell: Callable[[str], str]) -> Bucket | None:
        positions = self.positions
        if "bucket" in positions:
            raw = cell("bucket").strip()
            if raw:
                try:
                    return parse_bucket(raw)
                except BadInput as error:
                    found = self._stage(raw)
                    if isinstance(found, Bucket):
                        return found
                    self.problems.add(line, str(error))
                    return None
        if "won" in positions:  # Salesforce's Won (TRUE/FALSE), or a day it was won
            raw = cell("won").strip()
            won = truth(raw)
            if won or (raw and won is None):
                return Bucket.WON
            if "closed" in positions and truth(cell("closed").strip()):
                return Bucket.LOST  # closed and not won
        if "active" in positions and truth(cell("active").strip()) is False:
            stage = self._stage(cell("stage")) if "stage" in positions else None
            return Bucket.WON if stage is Bucket.WON else Bucket.LOST  # Odoo: a lost deal is archived
        status_raw = cell("status").strip() if "status" in positions else ""
        status = self._stage(status_raw) if status_raw else None
        if isinstance(status, Bucket) and (status in (Bucket.WON, Bucket.LOST) or "stage" not in positions):
            if "stage" not in positions:
                self.stage_used[(status_raw, status)] += 1
            return status
        stage_raw = cell("stage").strip() if "stage" in positions else ""
        if stage_raw:
            stage = self._stage(stage_raw)
            if isinstance(stage, Bucket):
                self.stage_used[(stage_raw, stage)] += 1
                return stage
            self._unmapped(stage_raw, line)
            return None
        if isinstance(status, Bucket):
            return status
        if status_raw and status is None:
            self._unmapped(status_raw, line)
            return None
        self.no_stage.append(line)
        return Bucket.ABOVE

    def _stage(self, raw: str) -> Bucket | object | None:
        key = normalise(raw)
        if not key:
            return None
        found = self.options.stages.get(key) or STAGES.get(key)
        if found is not None:
            return found
        if key in OPEN_STATUSES:
            return _OPEN
        if raw.rstrip().endswith(")"):  # "Proposal Made (Sales)": the stage, then its pipeline
            base = normalise(without_qualifier(raw))
            if base and base != key:
                found = self.options.stages.get(base) or STAGES.get(base)
                if found is not None:
                    return found
        return None

    def _unmapped(self, raw: str, line: int) -> None:
        key = normalise(raw)
        self.stage_names.setdefault(key, raw)
        self.unmapped_stages[key] += 1
        self.unmapped_lines[key].append(line)

    def _check_id(self, line: int, index: int, opp_id: int) -> None:
        add = self.problems.add
        if opp_id in self.first_line_of_id:
            add(line, f"id {opp_id} is also on {self.where} {self.first_line_of_id[opp_id]}")
            self.opps_failed.add(index)
            return
        self.first_line_of_id[opp_id] = line
        if self._existing is None:
            self._existing = self._existing_source()  # type: ignore[operator]
        exists = opp_id in self._existing
        if self.options.update:
            if exists:
                self.update_of[index] = opp_id
            else:
                add(line, f"id {opp_id} is not in this database, so it cannot be updated; clear the id cell to "
                          "add the row as a new deal")
                self.opps_failed.add(index)
        elif exists:
            add(line, f"id {opp_id} already exists; clear the id cell to import it as a new one, or use --update "
                      "to update that deal")
            self.opps_failed.add(index)

    # --- the whole file ---------------------------------------------------------------------------

    def finish(self) -> ImportPlan:
        plan = ImportPlan(source=self.table.describe(), warnings=list(self.table.warnings), mapping=self.mapping)
        self._skip_footers(plan)
        self._say_pre_header(plan)
        if self.unmapped_stages:
            self._refuse_unmapped_stages()
        order = self._decide_day_order(plan)
        comma = self._decide_decimal(plan)
        self._resolve(order, comma)
        self._check_currency(plan)
        self._finish_rows(plan)
        self.problems.raise_if_any()
        self._no_stage_set = set(self.no_stage)
        self._say_unplaced(plan)
        self._say_linked(plan)
        self._warn(plan)
        plan.stage_map = sorted(((raw, b, n) for (raw, b), n in self.stage_used.items()), key=lambda x: -x[2])
        plan.kept_in_notes = [self.header[p] for p in self.extras]
        return plan

    def _skip_footers(self, plan: ImportPlan) -> None:
        """Trailing rows that are a report's footer (totals, record counts, confidentiality and
        copyright lines) are left out, and said so. Below a blank line, a footer may also hold
        lines no pattern knows, one cell each (Salesforce writes the report's name above its
        copyright line and the company's name under "Generated By"), when a known one is there."""
        title = self.positions["title"]
        block: list[tuple[tuple[int, int, list[str]], bool, bool]] = []  # last row first: row, known, after a blank
        for index, line, cells, after_blank in reversed(self.recent):
            filled = [c.strip() for c in cells if c.strip()]
            if not filled:
                continue
            first = filled[0]
            title_text = cells[title].strip() if title < len(cells) else ""
            totals = not title_text and all(_numberish(c) for c in filled)
            known = (len(filled) <= 2 and FOOTER.match(first) is not None and (not title_text or title_text == first)) or totals
            if known or len(filled) == 1:
                block.append(((index, line, cells), known, after_blank))
                continue
            break
        footers = []
        for row, known, _ in block:  # the known footer lines at the very end
            if not known:
                break
            footers.append(row)
        in_order = block[::-1]
        for start, (_, _, after_blank) in enumerate(in_order):
            if after_blank and any(known for _, known, _ in in_order[start:]):
                footers = [row for row, _, _ in reversed(in_order[start:])]
                break
        if not footers:
            return
        skipped = {line for _, line, _ in footers}
        self.problems.drop_lines(skipped)
        for index, _, _ in footers:
            self.opps[index] = None
            self.lines[index] = -1
        for key, lines in list(self.unmapped_lines.items()):
            kept = [line for line in lines if line not in skipped]
            if kept:
                self.unmapped_lines[key] = kept
                self.unmapped_stages[key] = len(kept)
            else:
                del self.unmapped_lines[key]
                del self.unmapped_stages[key]
        shown = ", ".join(quoted(next(c for c in cells if c.strip()), 40) for _, _, cells in reversed(footers[-3:]))
        plan.notices.append(f"{where_lines(self.where, skipped)} skipped: a report footer ({shown})")

    def _say_pre_header(self, plan: ImportPlan) -> None:
        if not self.pre_header:
            return
        lines = [line for line, _ in self.pre_header]
        shown = ", ".join(quoted(next(c for c in cells if c.strip()), 40) for _, cells in self.pre_header[:2])
        plan.notices.append(f"{where_lines(self.where, lines)} above the header skipped: a report's title ({shown})")

    def _refuse_unmapped_stages(self) -> None:
        listed = [
            f"{quoted(self.stage_names[key])} ({count} row{'s' if count != 1 else ''})"
            for key, count in self.unmapped_stages.most_common()
        ]
        example = self.stage_names[self.unmapped_stages.most_common(1)[0][0]]
        column = self.what.get("stage") or self.what.get("status") or self.what.get("bucket") or "stage"
        lines = [line for values in self.unmapped_lines.values() for line in values]
        self.problems.whole_file(
            f"{where_lines(self.where, lines)}: {column} values with no bucket: {', '.join(listed[:12])}"
            f"{f' and {len(listed) - 12} more' if len(listed) > 12 else ''}; map each with "
            f"--stage '{example}=BUCKET' (above, in, best_few, won or lost)"
        )

    def _decide_day_order(self, plan: ImportPlan) -> str | None:
        if self.options.date_format:
            return self.options.date_format
        dmy, mdy = self.day_evidence["dmy"], self.day_evidence["mdy"]
        if dmy and mdy:
            self.problems.whole_file(
                f"the dates are written both day first ({self.where} {dmy[0][0]}: {quoted(dmy[0][1])}) and month first "
                f"({self.where} {mdy[0][0]}: {quoted(mdy[0][1])}); make them one way, or say which with "
                "--date-format dmy or --date-format mdy"
            )
            return None
        order = "dmy" if dmy else "mdy" if mdy else None
        if self.pending_days and order is None:
            lines = [self.lines[i] for i, *_ in self.pending_days]
            example = self.pending_days[0][2].strip()
            self.problems.whole_file(
                f"{where_lines(self.where, lines)}: dates like {quoted(example)} could be day/month or month/day, "
                "and no date in the file tells which; use --date-format dmy (day first) or --date-format mdy"
            )
            return None
        if order and self.pending_days:
            proof = (dmy or mdy)[0]
            plan.notices.append(
                f"dates read {'day' if order == 'dmy' else 'month'} first, as {self.where} {proof[0]} shows "
                f"({quoted(proof[1])}); --date-format {'mdy' if order == 'dmy' else 'dmy'} if that is wrong"
            )
        return order

    def _decide_decimal(self, plan: ImportPlan) -> bool:
        if self.options.decimal_comma:
            return True
        commas, dots = self.decimal_evidence[","], self.decimal_evidence["."]
        if self.options.decimal_comma_setting:
            return True
        if commas and not dots:
            if self.pending_amounts:
                plan.notices.append(
                    f"amounts read with the decimal comma, as {self.where} {commas[0][0]} shows ({quoted(commas[0][1])})"
                )
            self.detected_comma = True
            return True
        if self.table.delimiter == ";" and not dots and self.pending_amounts:
            plan.notices.append(
                "amounts read with the decimal comma: the file is ;-separated, as a spreadsheet saves it where the "
                "comma is the decimal separator"
            )
            self.detected_comma = True
            return True
        return False

    def _resolve(self, order: str | None, comma: bool) -> None:
        """Read again, now that the file's conventions are known, the cells that waited for them."""
        changes: dict[int, dict[str, Any]] = defaultdict(dict)
        for index, name, raw, undecided in self.pending_days:
            if order is None or self.opps[index] is None:
                continue
            try:
                day = decide(undecided, order, raw, self.what[name])
            except BadInput as error:
                self.problems.add(self.lines[index], str(error))
                self.opps[index] = None
                continue
            if name == "close_date":
                self.close_dates[index] = day
            else:
                changes[index][name] = day
        for index, undecided in list(self.close_dates.items()):
            if isinstance(undecided, Undecided):
                if order is None:
                    del self.close_dates[index]
        for index, raw in self.pending_amounts:
            if self.opps[index] is None and index not in changes:
                continue
            try:
                amount = read_amount(raw, what=self.what["value"], decimal_comma=comma)
            except BadInput as error:
                self.problems.add(self.lines[index], str(error))
                self.opps[index] = None
                continue
            if amount.currency:
                self.currencies[amount.currency].append(self.lines[index])
            changes[index]["value_cents"] = amount.cents
        for index, change in changes.items():
            opp = self.opps[index]
            if opp is not None:
                self.opps[index] = replace(opp, **change)

    def _check_currency(self, plan: ImportPlan) -> None:
        if not self.currencies:
            return
        first_line = {c: min(lines) for c, lines in self.currencies.items()}
        found = sorted(distinct_currencies(self.currencies),
                       key=lambda c: min(v for k, v in first_line.items() if same_currency(k, c)))
        if len(found) > 1:
            listed = []
            for currency in found:
                lines = [line for c, ls in self.currencies.items() if same_currency(c, currency) for line in ls]
                listed.append(f"{currency} ({where_lines(self.where, lines)})")
            self.problems.whole_file(
                f"the amounts are in {len(found)} currencies: {', '.join(listed)}; the planner keeps one currency per "
                "database: convert them to one, or import each currency into its own database (--db)"
            )
            return
        currency = found[0]
        if self.options.currency:
            if not same_currency(currency, self.options.currency):
                self.problems.whole_file(
                    f"the amounts are in {currency}, but this database keeps amounts in {self.options.currency} "
                    "(planner config currency)"
                )
            return
        plan.settings["currency"] = currency
        plan.setting_notices.append((
            f"amounts are in {currency}: the database's currency is now {currency} (planner config currency)",
            f"amounts are in {currency}: the database's currency would become {currency} (planner config currency)",
        ))

    def _finish_rows(self, plan: ImportPlan) -> None:
        """The single close date (SPEC §4), the checks that need every date, new vs updated.
        One pass over every deal read: kept tight, like the row reader."""
        fields_set = self._fields_set()
        close_dates = self.close_dates
        add = self.problems.add
        failed = self.opps_failed
        updates = self.update_of
        lines = self.lines
        new = plan.new
        closed_column = "closed_on" in self.positions
        # With no column for the day a deal closed, the one close date the file has (Notion's
        # "Expected close date", kept up to the day a deal is won) is that day for won and lost rows.
        expected_as_close = self._expected_as_close()
        closed_from_expected: list[int] = []
        won = Bucket.WON
        for index, opp in enumerate(self.opps):
            if opp is None or (failed and index in failed):
                continue
            if close_dates:
                close = close_dates.get(index)
                if isinstance(close, date):
                    if opp.bucket.is_open:
                        if opp.expected_close is None:
                            opp = replace(opp, expected_close=close)
                    elif opp.closed_on is None:
                        opp = replace(opp, closed_on=close)
            if expected_as_close and opp.closed_on is None and opp.expected_close is not None and not opp.bucket.is_open:
                opp = replace(opp, closed_on=opp.expected_close)
                closed_from_expected.append(lines[index])
            closed_on = opp.closed_on
            if closed_on is not None:
                if opp.bucket.is_open:
                    if closed_column:
                        add(lines[index], f"{self.what['closed_on']} is set but the deal is open ({opp.bucket.value}); "
                                          "only won or lost deals are closed")
                        continue
                    opp = replace(opp, closed_on=None)
                elif opp.first_contact is not None and closed_on < opp.first_contact:
                    add(lines[index], f"{self._close_column()} "
                                      f"{closed_on.isoformat()} is before {self.what['first_contact']} "
                                      f"{opp.first_contact.isoformat()}")
                    continue
            if opp.bucket is won and (closed_on is None or opp.first_contact is None):
                self._unmeasured.append((lines[index], opp.first_contact is None, opp.closed_on is None))
            if updates and index in updates:
                plan.updates.append((opp, fields_set))
            else:
                new.append(opp)
        if closed_from_expected:
            count = len(closed_from_expected)
            plan.notices.append(
                f"{self.what['expected_close']} is read as the day {count} won and lost deal{'s' if count != 1 else ''} "
                f"closed ({where_lines(self.where, closed_from_expected)}): the file has no other close day"
            )

    def _expected_as_close(self) -> bool:
        positions = self.positions
        return "expected_close" in positions and "closed_on" not in positions and "close_date" not in positions

    def _close_column(self) -> str:
        what = self.what
        return what.get("closed_on") or what.get("close_date") or what.get("expected_close") or "closed_on"

    def _fields_set(self) -> frozenset[str]:
        """The deal fields an updating row sets: those with a column in the file."""
        names = set(self.positions) - {"stage", "status", "won", "closed", "active", "currency", "id", "close_date"}
        if {"stage", "status", "won", "closed", "active", "bucket"} & set(self.positions):
            names.add("bucket")
        if "close_date" in self.positions or self._expected_as_close():
            names |= {"expected_close", "closed_on"}
        if "value" in names:
            names.discard("value")
            names.add("value_cents")
        if self.extras or self.unnamed:
            names.add("notes")
        return frozenset(names)

    def _say_linked(self, plan: ImportPlan) -> None:
        if self.linked_example is not None:
            raw, titles = self.linked_example
            plan.notices.append(f"links to Notion pages read as the pages' titles ({quoted(raw, 50)} → {quoted(titles, 40)})")

    def _say_unplaced(self, plan: ImportPlan) -> None:
        """Open deals the file gives no stage: where they go is said, never assumed in silence."""
        unplaced = self._no_stage_set
        lines = [line for i, line in enumerate(self.lines) if line in unplaced and self.opps[i] is not None]
        if not lines:
            return
        count = len(lines)
        they = f"these {count} open deals start" if count > 1 else "this open deal starts"
        if not {"stage", "bucket"} & set(self.positions):
            they = f"the {count} open deals start" if count > 1 else "the open deal starts"
            plan.notices.append(f"no column says which stage the open deals are in (a stage or bucket): {they} Above "
                                "the Funnel; --map 'Their header=stage' names such a column")
        else:
            column = self.what.get("stage") or self.what.get("bucket")
            plan.notices.append(f"{where_lines(self.where, lines)}: {column} is empty: {they} Above the Funnel")

    def _warn(self, plan: ImportPlan) -> None:
        if self.lossy:
            plan.warnings.append(
                f"{where_lines(self.where, self.lossy)}: question marks where letters were (like "
                f"{quoted(self.lossy_example, 40)}), as a save in an encoding that lacks those characters leaves names: "
                "they come in as question marks; save the sheet as 'CSV UTF-8' (or .xlsx) to keep them"
            )
        no_first = [line for line, first, _ in self._unmeasured if first]
        no_close = [line for line, _, close in self._unmeasured if close]
        if no_first or no_close:
            why = []
            if no_first:
                why.append(f"no first contact on {where_lines(self.where, no_first)}")
            if no_close:
                why.append(f"no close day on {where_lines(self.where, no_close)}")
            count = len(set(no_first) | set(no_close))
            ways = []
            if no_first:
                ways.append("--map 'Their header=first_contact'")
            if no_close:
                ways.append("--map 'Their header=close_date' (the day won and lost deals closed, the expected close "
                            "of open ones)")
            plan.warnings.append(
                f"the normal cycle can't be measured from {count} won deal{'s' if count != 1 else ''} "
                f"({'; '.join(why)}): map the columns that hold those days with {' or '.join(ways)}"
            )
        if self.detected_comma and self.options.database_is_empty and not self.options.decimal_comma_setting:
            plan.settings["decimal_comma"] = "on"
            plan.setting_notices.append((
                "amounts are written with the decimal comma from now on (planner config decimal_comma off to change)",
                "amounts would be written with the decimal comma from then on (planner config decimal_comma off to "
                "change)",
            ))


def _numberish(text: str) -> bool:
    try:
        read_amount(text, decimal_comma=None)
        return True
    except AmbiguousAmount:
        return True
    except BadInput:
        return False
