"""Problems with a file being imported, said so a user can act on them (SPEC §4 "Import is all-or-nothing").

Every problem names the line an editor shows (the header is line 1; an Excel sheet's row number)
and why. The same problem on many lines is said once, with its lines ("lines 4–25, 31: …"), and a
cell is quoted as the user sees it, never with Python escapes (`quoted`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from planner.domain.parse import quoted  # noqa: F401  (the importer's messages quote with it)
from planner.errors import BadInput

#: At most this many different problems are listed; the rest are counted.
MAX_LISTED = 40
_CELL = re.compile(r"'[^']*'|\b\d+\b")
_QUOTES = re.compile(r"'[^']*'|\b\d{4}-\d{2}-\d{2}\b|\b\d+\b")


class ImportProblem(BadInput):
    """The file cannot be imported; nothing was. `problems` holds one line per problem
    ("line 7: value 'abc' is not an amount…", "lines 4–25: …") or one about the whole file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            summary = f"nothing imported: {self.problems[0]}"
        else:
            summary = f"nothing imported: {len(self.problems)} problems"
        super().__init__(summary)


def counted(n: int, noun: str, plural: str = "") -> str:
    """"1 column", "3 columns", "1,200 rows": a count with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def line_ranges(lines: Iterable[int]) -> str:
    """[4, 5, 6, 9] → "4–6, 9"; at most a dozen ranges, then how many more lines."""
    ordered = sorted(set(lines))
    ranges: list[str] = []
    start = previous = None
    shown_lines = 0
    for line in ordered:
        if previous is not None and line == previous + 1:
            previous = line
            continue
        if start is not None:
            ranges.append(f"{start}–{previous}" if previous != start else str(start))
            shown_lines += previous - start + 1
        start = previous = line
    if start is not None:
        ranges.append(f"{start}–{previous}" if previous != start else str(start))
        shown_lines += previous - start + 1
    if len(ranges) > 12:
        rest = len(ordered) - sum(_span(r) for r in ranges[:12])
        return ", ".join(ranges[:12]) + f" and {rest:,} more"
    return ", ".join(ranges)


def where_lines(where: str, lines: Iterable[int]) -> str:
    """"line 4" or "lines 4–6, 9" ("row"/"rows" in a spreadsheet)."""
    distinct = set(lines)
    return f"{where} {line_ranges(distinct)}" if len(distinct) == 1 else f"{where}s {line_ranges(distinct)}"


def _span(text: str) -> int:
    first, _, last = text.partition("–")
    return int(last or first) - int(first) + 1


@dataclass
class _Kind:
    message: str  # the first occurrence's words
    lines: list[int] = field(default_factory=list)
    first_line: int = 0
    examples: list[str] = field(default_factory=list)  # the cells quoted, first of each message


class Problems:
    """Collects problems by line and by kind; `lines()` says each kind once with its lines.

    `kind` names what makes two problems the same ("first_contact: not a date"): the message of
    the first line is shown, and the other lines of that kind are counted beside it."""

    def __init__(self, where: str = "line") -> None:
        self.where = where  # "line" for text files, "row" for a spreadsheet
        self._kinds: dict[str, _Kind] = {}
        self._file: list[str] = []

    def __bool__(self) -> bool:
        return bool(self._kinds or self._file)

    def add(self, line: int, message: str, kind: str | None = None) -> None:
        key = kind or _QUOTES.sub("'…'", message)  # the same words about another cell
        found = self._kinds.get(key)
        if found is None:
            found = self._kinds[key] = _Kind(message, first_line=line)
        found.lines.append(line)
        if len(found.examples) < 5:
            cell = _CELL.search(message)
            if cell and cell.group(0) not in found.examples:
                found.examples.append(cell.group(0))

    def whole_file(self, message: str) -> None:
        """A problem of the file as a whole (its lines, if any, are in the message)."""
        self._file.append(message)

    def drop_lines(self, lines: set[int]) -> None:
        """Forget what was found on these lines (report footers skipped after the fact)."""
        for key in list(self._kinds):
            kind = self._kinds[key]
            kind.lines = [line for line in kind.lines if line not in lines]
            if not kind.lines:
                del self._kinds[key]
            else:
                kind.first_line = min(kind.lines)

    def lines(self) -> list[str]:
        out = list(self._file)
        kinds = sorted(self._kinds.values(), key=lambda k: k.first_line)
        for kind in kinds[:MAX_LISTED]:
            count = len(set(kind.lines))
            where = where_lines(self.where, kind.lines)
            others = kind.examples[1:4]
            more = f" (also {', '.join(others)}{' …' if len(kind.examples) > 4 else ''})" if count > 1 and others else ""
            out.append(f"{where}: {kind.message}{more}")
        if len(kinds) > MAX_LISTED:
            out.append(f"… and {counted(len(kinds) - MAX_LISTED, 'other problem')}")
        return out

    def raise_if_any(self) -> None:
        if self:
            raise ImportProblem(self.lines())
