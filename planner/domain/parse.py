"""What the user types, turned into domain values (SPEC §4 "Bucket names / Dates on input").

Pure functions: no I/O, and "today" is always passed in so the same text means the same thing in
tests, in the CLI and in the TUI. Every refusal is a `BadInput` whose message is one line naming
what was wrong and what would be accepted.

Patterns are kept as strings: `re` compiles and caches each on first use, so importing this module
(the CLI's `status` path formats money with it) costs next to nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from planner.domain.models import OPEN_BUCKETS, ActivityKind, Bucket
from planner.domain.text import ESCAPES as _ESCAPES  # terminal escapes, removed whole on input too
from planner.errors import BadInput

#: Longest accepted text per kind of field (characters, after cleaning).
MAX_TITLE = 200
MAX_FIELD = 200  # account, contact, source, next action, influence names, lost reason
MAX_NOTES = 10_000

#: Largest accepted amount, in currency units (a trillion): anything bigger is a typo.
MAX_MONEY_UNITS = 10**12

_DATE_HINT = "use YYYY-MM-DD, today, tomorrow, yesterday, +3d, -2w or a weekday like fri"

_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_RELATIVE = r"([+-]?)\s*([0-9]{1,5})\s*(d|day|days|w|wk|week|weeks)"
_ISO_DATE = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"


def parse_date(text: str, today: date, *, what: str = "date") -> date:
    """A day typed by the user (SPEC §4 "Dates on input").

    Accepts `YYYY-MM-DD`, `today`, `tomorrow`, `yesterday`, `+3d` / `-3d` / `+2w` (a bare `3d`
    counts forward), and weekday names, full or short (`fri`, `Monday`): the next such day
    strictly after today. Case-insensitive. `what` names the field in the error message.
    """
    raw = text
    text = text.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        # The common case (every date a CSV export holds), without the general parse below: a
        # bulk import reads hundreds of thousands of these. Anything odd takes the general path,
        # which also words the error.
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    text = text.lower()
    if not text:
        raise BadInput(f"{what} is empty; {_DATE_HINT}")
    if text in ("today", "tod"):
        return today
    if text in ("tomorrow", "tom"):
        return today + timedelta(days=1)
    if text == "yesterday":
        return today - timedelta(days=1)
    if text in _WEEKDAYS:
        ahead = (_WEEKDAYS[text] - today.weekday() - 1) % 7 + 1  # 1..7: strictly after today
        return today + timedelta(days=ahead)
    match = re.fullmatch(_RELATIVE, text)
    if match:
        sign, amount, unit = match.groups()
        days = int(amount) * (7 if unit.startswith("w") else 1)
        if days > 36_600:  # a century: beyond that it is a typo, and near year 9999 an overflow
            raise BadInput(f"{what} {raw.strip()!r} is too far away (at most 100 years)")
        try:
            return today - timedelta(days=days) if sign == "-" else today + timedelta(days=days)
        except OverflowError:
            raise BadInput(f"{what} {raw.strip()!r} is too far away") from None
    if re.fullmatch(_ISO_DATE, text):
        year, month, day = (int(part) for part in text.split("-"))
        try:
            return date(year, month, day)
        except ValueError:
            raise BadInput(f"{what} {raw.strip()!r} is not a day of the calendar") from None
    raise BadInput(f"{what} {raw.strip()!r} is not a date; {_DATE_HINT}")


# Money -----------------------------------------------------------------------------------------

_CURRENCY = r"^(?:[$€£¥₹]|usd|eur|gbp|chf|cad|aud|jpy)|(?:[$€£¥₹]|usd|eur|gbp|chf|cad|aud|jpy)$"
# Spaces people put between thousands: plain, no-break, narrow no-break, thin; and apostrophes (Swiss).
_GROUP_SPACES = r"[ \u00a0\u202f\u2009_']"
_AMOUNT = r"([0-9]+(?:,[0-9]{3})*|[0-9]*)(?:\.([0-9]*))?([km]?)"
_MONEY_HINT = "use a plain amount like 12500, 12,500.50 or 1.5k"


def parse_money(text: str, *, what: str = "value") -> int:
    """An amount of money typed by the user → integer cents (models keep money as cents).

    Accepted: digits with an optional `.` and up to two decimals; `,` only as a thousands
    separator in groups of three (`12,500.50`); spaces, `_` or `'` between digits; a currency sign
    or code before or after (`$ 12 500`, `€1,200`, `900 EUR`), which is ignored; a `k` or `m`
    suffix for thousands or millions (`1.5k` = 1,500). Refused: negative amounts, `,` as a decimal
    separator (`12,50` is ambiguous), more precision than a cent, NaN / infinity, and anything
    above a trillion.
    """
    raw = text.strip()
    # A plain number ("12500", "1138.00"), as exports and spreadsheets write amounts: read without
    # the general parse below, which a bulk import would otherwise pay on every row.
    whole, dot, fraction = raw.partition(".")
    if (
        whole.isascii()
        and whole.isdigit()
        and (not dot or (fraction.isascii() and fraction.isdigit() and len(fraction) <= 2))
    ):
        cents = int(whole) * 100 + (int(fraction) * (10 if len(fraction) == 1 else 1) if fraction else 0)
        if cents <= MAX_MONEY_UNITS * 100:
            return cents
    s = raw.lower()
    if not s:
        raise BadInput(f"{what} is empty; {_MONEY_HINT}")
    if re.match(r"[^0-9]*-", s):  # "-5", "$-5", "- €5"
        raise BadInput(f"{what} {raw!r} is negative; amounts are zero or more")
    s = re.sub(_CURRENCY, "", s).strip().removeprefix("+")
    s = re.sub(_GROUP_SPACES, "", s)
    match = re.fullmatch(_AMOUNT, s)
    if match is None or not (match.group(1) or match.group(2)):
        if re.fullmatch(r"[0-9]+,[0-9]{1,2}", s):
            raise BadInput(f"{what} {raw!r}: use '.' for decimals (',' separates thousands)")
        raise BadInput(f"{what} {raw!r} is not an amount; {_MONEY_HINT}")
    from decimal import Decimal, InvalidOperation

    whole, fraction, suffix = match.groups()
    try:
        amount = Decimal(f"{whole.replace(',', '') or '0'}.{fraction or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise BadInput(f"{what} {raw!r} is not an amount; {_MONEY_HINT}") from None
    amount *= {"": 1, "k": 1_000, "m": 1_000_000}[suffix]
    if amount > MAX_MONEY_UNITS:
        raise BadInput(f"{what} {raw!r} is too large (at most {format_money(MAX_MONEY_UNITS * 100)})")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise BadInput(f"{what} {raw!r} is more precise than a cent")
    return int(cents)


def format_money(cents: int) -> str:
    """Cents → "12,500" for whole amounts, "12,500.50" otherwise (parse_money reads it back)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units:,}" if rest == 0 else f"{sign}{units:,}.{rest:02d}"


# Buckets, kinds, minutes -----------------------------------------------------------------------

_BUCKET_NAMES = {
    "above": Bucket.ABOVE,
    "above_the_funnel": Bucket.ABOVE,
    "in": Bucket.IN,
    "in_the_funnel": Bucket.IN,
    "best_few": Bucket.BEST_FEW,
    "bestfew": Bucket.BEST_FEW,
    "bf": Bucket.BEST_FEW,
    "won": Bucket.WON,
    "lost": Bucket.LOST,
}


def parse_bucket(text: str, *, open_only: bool = False) -> Bucket:
    """A bucket name (SPEC §4 "Bucket names on input"): above, in, best_few (also best-few, bf),
    won, lost; case-insensitive. With `open_only` (a new deal) only the three open buckets."""
    key = text.strip().lower()
    bucket = _BUCKET_NAMES.get(key)  # as written ("in", "best_few"): no pattern needed
    if bucket is None:
        key = re.sub(r"[\s-]+", "_", key)
        bucket = _BUCKET_NAMES.get(key)
    if bucket is None:
        choices = "above, in or best_few" if open_only else "above, in, best_few (or bf), won or lost"
        raise BadInput(f"unknown bucket {text.strip()!r}; use {choices}")
    if open_only and bucket not in OPEN_BUCKETS:
        raise BadInput(f"a new opportunity starts in above, in or best_few, not {bucket.value}")
    return bucket


_KIND_NAMES = {
    "call": ActivityKind.CALL,
    "phone": ActivityKind.CALL,
    "meeting": ActivityKind.MEETING,
    "meet": ActivityKind.MEETING,
    "email": ActivityKind.EMAIL,
    "e_mail": ActivityKind.EMAIL,
    "mail": ActivityKind.EMAIL,
    "proposal": ActivityKind.PROPOSAL,
    "research": ActivityKind.RESEARCH,
    "prospecting": ActivityKind.RESEARCH,
    "prospecting_research": ActivityKind.RESEARCH,
    "other": ActivityKind.OTHER,
}


def parse_kind(text: str) -> ActivityKind:
    """An activity kind (SPEC §2 "Log activities"): call, meeting, email, proposal,
    research (also prospecting), other; case-insensitive."""
    key = re.sub(r"[\s-]+", "_", text.strip().lower())
    kind = _KIND_NAMES.get(key)
    if kind is None:
        raise BadInput(f"unknown kind {text.strip()!r}; use call, meeting, email, proposal, research or other")
    return kind


_MINUTES = r"(?:(?P<h>[0-9]+(?:\.[0-9]+)?)\s*h(?:ours?|rs?)?)?\s*(?:(?P<m>[0-9]+)\s*(?:m|min|mins|minutes?)?)?"
_CLOCK = r"([0-9]+):([0-5][0-9])"


def parse_minutes(text: str, *, what: str = "minutes") -> int:
    """A duration → whole minutes, 1 to 1440 (one day): `90`, `90m`, `1h30`, `1h 30m`,
    `1.5h`, `1:30`."""
    from decimal import Decimal

    raw = text.strip()
    s = raw.lower()
    minutes: Decimal | None = None
    clock = re.fullmatch(_CLOCK, s)
    match = re.fullmatch(_MINUTES, s) if s else None
    if clock:
        minutes = Decimal(int(clock.group(1)) * 60 + int(clock.group(2)))
    elif match and (match.group("h") or match.group("m")):
        hours = Decimal(match.group("h") or 0)
        minutes = hours * 60 + Decimal(match.group("m") or 0)
    if minutes is None:
        raise BadInput(f"{what} {raw!r} is not a duration; use 90, 90m, 1h30 or 1.5h")
    if minutes != minutes.to_integral_value():
        raise BadInput(f"{what} {raw!r} is not a whole number of minutes")
    if not 1 <= minutes <= 1440:
        raise BadInput(f"{what} {raw!r} must be between 1 minute and 24 hours")
    return int(minutes)


# Text ------------------------------------------------------------------------------------------

def clean_text(text: str, max_len: int, *, multiline: bool = False, what: str = "text") -> str:
    """User text made safe to store and show: terminal escape sequences and control characters
    removed (newlines and tabs kept only when `multiline`; otherwise they become spaces), lone
    surrogates replaced, outer whitespace trimmed. Text longer than `max_len` after cleaning is
    refused with a BadInput naming the limit (never silently cut)."""
    if text.isprintable():
        # Nothing to remove: escapes start with a control character, and line/paragraph
        # separators, tabs and surrogates are not printable either. The common case, checked in C.
        cleaned = text.strip()
        if len(cleaned) > max_len:
            raise BadInput(f"{what} is too long ({len(cleaned):,} characters; at most {max_len:,})")
        return cleaned
    text = re.sub(_ESCAPES, "", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    out: list[str] = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch if multiline else " ")
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            continue
        if category == "Cs":  # a lone surrogate (undecodable bytes from argv) cannot be stored
            out.append("\ufffd")
            continue
        out.append(ch)
    cleaned = "".join(out).strip()
    if multiline:
        cleaned = "\n".join(line.rstrip() for line in cleaned.split("\n"))
    if len(cleaned) > max_len:
        raise BadInput(f"{what} is too long ({len(cleaned):,} characters; at most {max_len:,})")
    return cleaned


def clean_title(text: str, *, what: str = "title") -> str:
    """A required one-line title: cleaned like `clean_text` and never empty."""
    title = clean_text(text, MAX_TITLE, what=what)
    if not title:
        raise BadInput(f"{what} is empty")
    return title
