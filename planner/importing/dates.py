"""Days as exports write them (SPEC §4 "Switching in": dates with a time keep the day, month names,
dd/mm vs mm/dd decided from the whole file).

`read_day` reads one cell. A numeric day whose order it cannot tell (`03/04/2025`) comes back as
`Undecided` when no order was chosen; the importer decides the order from the other dates of the
file (`24/07/2025` can only be day first) and reads it again, or refuses the file as ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from planner.domain.parse import parse_date
from planner.errors import BadInput
from planner.importing.problems import quoted

ORDERS = ("dmy", "mdy", "ymd")

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan janvier janv januar jän enero ene gennaio gen januari janeiro",
        "february feb février fevrier févr fevr februar febrero febbraio febbr februari fevereiro fev",
        "march mar mars märz marz marzo maart março marco",
        "april apr avril avr abril aprile",
        "may mai mayo maggio mei maio",
        "june jun juin juni junio giugno giu junho",
        "july jul juillet juil juli julio luglio lug julho",
        "august aug août aout agosto ago augustus",
        "september sep sept septembre septiembre settembre set setembro",
        "october oct octobre oktober okt octubre ottobre ott oktober outubro out",
        "november nov novembre noviembre novembro",
        "december dec décembre decembre déc dezember dez diciembre dic dicembre dezembro",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_NUMERIC = re.compile(r"(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})")
_TIME = re.compile(
    r"(?:[T ]+\d{1,2}[:.h]\d{2}(?:[:.]\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?m\.?)?\s*(?:z|utc|gmt|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]+\.?|\d+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Undecided:
    """A numeric day whose order (day/month or month/day) this cell alone does not tell."""

    first: int
    second: int
    year: int


def read_day(text: str, today: date, *, order: str | None = None, what: str = "date") -> tuple[date | Undecided, str | None]:
    """A day as an export writes it → (the day or Undecided, the order it proves: "dmy", "mdy" or None).

    Accepted: YYYY-MM-DD (with a time after it, ISO or not: the day is kept as written),
    numeric days with `/`, `.` or `-` in the file's order (dots are always day first; a four-digit
    first number is year first; two-digit years are 20xx), month names in English, French,
    German, Spanish, Italian, Dutch and Portuguese (`June 2, 2025`, `2 juin 2025`, `2. Juni
    2025`, `02-Jun-25`), a Notion range (`June 2, 2025 → June 5, 2025`: its start), and what
    `planner add` accepts (today, +3d, fri…)."""
    s = text.strip()
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and s.isascii():
        try:
            return date.fromisoformat(s), None
        except ValueError:
            pass
    if "→" in s:
        s = s.split("→", 1)[0].strip()
    if len(s) > 10 and s[4:5] == "-" and s[:10].replace("-", "").isdigit() and _TIME.fullmatch(s[10:]):
        try:
            return date.fromisoformat(s[:10]), None
        except ValueError:
            raise BadInput(f"{what} {quoted(text)} is not a day of the calendar") from None
    core = _TIME.sub("", s) if any(c.isdigit() for c in s[-5:]) and ":" in s else s
    match = _NUMERIC.fullmatch(core.strip())
    if match:
        return _numeric(match, text, order, what)
    named = _named(core, text, what)
    if named is not None:
        return named, None
    return parse_date(s, today, what=what), None


def _numeric(match: re.Match, text: str, order: str | None, what: str) -> tuple[date | Undecided, str | None]:
    a, separator, b, c = match.group(1), match.group(2), match.group(3), match.group(4)
    proves = None
    if len(a) == 4:  # 2025/07/24: year first, always
        year, month, day = int(a), int(b), int(c)
    elif len(c) in (2, 4) and len(a) <= 2:
        year = int(c) + (2000 if len(c) == 2 else 0)
        first, second = int(a), int(b)
        if separator == "." or order == "dmy":
            day, month = first, second
        elif order == "mdy":
            month, day = first, second
        elif order == "ymd":
            raise BadInput(f"{what} {quoted(text)} is not year first, as --date-format ymd says")
        elif first > 12 >= second:
            day, month, proves = first, second, "dmy"
        elif second > 12 >= first:
            month, day, proves = first, second, "mdy"
        elif first == second:
            day = month = first
        elif first > 12 and second > 12:
            raise BadInput(f"{what} {quoted(text)} is not a day of the calendar")
        else:
            return Undecided(first, second, year), None
    else:
        raise BadInput(f"{what} {quoted(text)} is not a date; use YYYY-MM-DD")
    try:
        return date(year, month, day), proves
    except ValueError:
        raise BadInput(f"{what} {quoted(text)} is not a day of the calendar") from None


def decide(undecided: Undecided, order: str, text: str, what: str) -> date:
    """The day once the file's order is known."""
    day, month = (undecided.first, undecided.second) if order == "dmy" else (undecided.second, undecided.first)
    try:
        return date(undecided.year, month, day)
    except ValueError:
        raise BadInput(f"{what} {quoted(text)} is not a day of the calendar") from None


def _named(core: str, text: str, what: str) -> date | None:
    words = [w.rstrip(".") for w in _WORDS.findall(_fold(core))]
    months = [w for w in words if not w.isdigit()]
    numbers = [w for w in words if w.isdigit()]
    if len(months) != 1 or len(numbers) != 2:
        if months and len(numbers) == 2 and all(m in _WEEKDAY_WORDS for m in months[:-1]):
            months = months[-1:]  # "Tuesday, June 3, 2025"
        else:
            return None
    month = _MONTHS.get(months[0])
    if month is None:
        return None
    day_text, year_text = (numbers if len(numbers[1]) >= len(numbers[0]) else numbers[::-1])
    if len(year_text) == 2:
        year = 2000 + int(year_text)
    elif len(year_text) == 4:
        year = int(year_text)
    else:
        return None
    try:
        return date(year, month, int(day_text))
    except ValueError:
        raise BadInput(f"{what} {quoted(text)} is not a day of the calendar") from None


_WEEKDAY_WORDS = set(
    "monday mon tuesday tue tues wednesday wed thursday thu thur thurs friday fri saturday sat sunday sun "
    "lundi mardi mercredi jeudi vendredi samedi dimanche montag dienstag mittwoch donnerstag freitag samstag sonntag".split()
)


def _fold(text: str) -> str:
    """Lower case; accents kept for the month table but "é" also found as "e"."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered
    return lowered if any(w in _MONTHS for w in _WORDS.findall(lowered)) else "".join(
        c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c)
    )
