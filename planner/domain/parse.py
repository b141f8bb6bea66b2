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
from collections.abc import Iterable
from dataclasses import dataclass
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
            raise BadInput(f"{what} {quoted(raw)} is too far away (at most 100 years)")
        try:
            return today - timedelta(days=days) if sign == "-" else today + timedelta(days=days)
        except OverflowError:
            raise BadInput(f"{what} {quoted(raw)} is too far away") from None
    if re.fullmatch(_ISO_DATE, text):
        year, month, day = (int(part) for part in text.split("-"))
        try:
            return date(year, month, day)
        except ValueError:
            raise BadInput(f"{what} {quoted(raw)} is not a day of the calendar") from None
    raise BadInput(f"{what} {quoted(raw)} is not a date; {_DATE_HINT}")


def parse_past_day(text: str, today: date, *, what: str = "day",
                   why: str = "time is logged on the day it was spent") -> date:
    """The day some work was done (SPEC §2 "Log activities") or a deal closed: like `parse_date`,
    except that a weekday name (`fri`) is the most recent such day, today included, never one
    ahead; empty is today. A day after today is refused (`why` says why)."""
    text = text.strip()
    if not text:
        return today
    if text.lower() in _WEEKDAYS:
        return today - timedelta(days=(today.weekday() - _WEEKDAYS[text.lower()]) % 7)
    day = parse_date(text, today, what=what)
    if day > today:
        raise BadInput(f"{what} {day.isoformat()} is after today; {why}")
    return day


def quoted(text: str, limit: int = 60) -> str:
    """A cell between quotes as the user sees it: any kind of space shown as a space, invisible
    and control characters as U+XXXX, long text cut with an ellipsis. Never a Python escape."""
    out = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(f"<U+{ord(ch):04X}>")
        else:
            out.append(ch)
    shown = " ".join("".join(out).split()) if len(out) < 10_000 else "".join(out[:limit])
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return f"'{shown}'"



# Money -----------------------------------------------------------------------------------------

#: Currency signs people put beside amounts → the currency they name. A sign several currencies
#: share ($, ¥, kr) names its family: it is the same currency as any one member found beside it.
CURRENCY_SIGNS: dict[str, str] = {
    "us$": "USD", "ca$": "CAD", "c$": "CAD", "au$": "AUD", "a$": "AUD", "nz$": "NZD", "hk$": "HKD",
    "s$": "SGD", "r$": "BRL", "mx$": "MXN", "$": "$",
    "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "₱": "PHP",
    "฿": "THB", "₫": "VND", "₴": "UAH", "zł": "PLN", "kč": "CZK", "fr.": "CHF", "¥": "¥", "kr": "kr",
}
#: Which codes a family sign stands for.
CURRENCY_FAMILIES: dict[str, frozenset[str]] = {
    "$": frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "ARS", "CLP", "COP", "TWD"}),
    "¥": frozenset({"JPY", "CNY"}),
    "kr": frozenset({"SEK", "NOK", "DKK", "ISK"}),
}
#: ISO 4217 codes accepted beside an amount (the currencies a consultant is likely to bill in).
CURRENCY_CODES = frozenset(
    "USD EUR GBP CHF CAD AUD NZD JPY CNY INR SEK NOK DKK ISK PLN CZK HUF RON BGN BRL MXN ARS CLP COP "
    "PEN ZAR SGD HKD KRW TWD THB MYR IDR PHP VND RUB UAH TRY ILS AED SAR QAR EGP NGN KES MAD".split()
)
# Longest first, so "us$" is taken before "$"; codes only as whole words ("eur", not the "eur" of "europe").
_SIGNS = "|".join(re.escape(sign) for sign in sorted(CURRENCY_SIGNS, key=len, reverse=True))
_CODES = "|".join(sorted(code.lower() for code in CURRENCY_CODES))
_CURRENCY_LEAD = rf"^(?:({_SIGNS})|({_CODES})(?![a-z]))\s*"
_CURRENCY_TAIL = rf"\s*(?:({_SIGNS})|(?<![a-z])({_CODES}))$"
# Spaces people put between thousands: plain, no-break, narrow no-break, thin, figure; and
# apostrophes (Swiss).
_GROUP_SPACES = r"[ \u00a0\u202f\u2009\u2007_'\u2019]"
# A question mark between thousands: what a save in Windows-1252 leaves of the narrow no-break
# space French Excel puts there (`18?500,00 €`). Only before exactly three digits.
_LOST_GROUP_SPACE = r"(?<=[0-9])\?(?=[0-9]{3}(?![0-9]))"
_MONEY_HINT = "use a plain amount like 12500, 12,500.50 or 1.5k"
_CHOOSE_COMMA = "choose the decimal comma (the decimal_comma setting, or --decimal-comma on import)"


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount as written: its cents, the currency written beside it (a code such as "EUR",
    a family sign "$" / "¥" / "kr", or "" when none was written), and the decimal separator the
    text shows beyond doubt ("." in 12,500.50 or 1138.00, "," in 12.500,50 or 12,5; "" when it
    shows none), from which an importer tells a file's convention."""

    cents: int
    currency: str = ""
    decimal_mark: str = ""


class AmbiguousAmount(BadInput):
    """`12.500` / `1,250` read with no convention chosen yet (`decimal_comma=None`)."""


@dataclass(frozen=True, slots=True)
class MoneyStyle:
    """How amounts are shown and read for one database: its currency ("" for none shown) and
    whether the comma is the decimal separator (12.500,50) rather than the dot (12,500.50)."""

    currency: str = ""
    decimal_comma: bool = False


PLAIN_MONEY = MoneyStyle()


def currency_of(text: str) -> str | None:
    """A currency as a user names it (EUR, eur, €, $, US$) → its code or family sign; None if unknown."""
    key = text.strip().lower()
    if key in CURRENCY_SIGNS:
        return CURRENCY_SIGNS[key]
    return key.upper() if key.upper() in CURRENCY_CODES else None


def same_currency(a: str, b: str) -> bool:
    """True when two currencies as found (codes or family signs) can be the same one."""
    if not a or not b or a == b:
        return True
    return b in CURRENCY_FAMILIES.get(a, ()) or a in CURRENCY_FAMILIES.get(b, ())


def distinct_currencies(found: Iterable[str]) -> list[str]:
    """The different currencies among those found, a family sign merged into the one member of
    its family that is also there ("$" and "CAD" are one currency; "$" and "€" are two)."""
    codes = sorted({c for c in found if c})
    out: list[str] = []
    for currency in sorted(codes, key=lambda c: c in CURRENCY_FAMILIES):  # codes before signs
        members = [c for c in out if same_currency(c, currency)]
        if not members:
            out.append(currency)
    return out


def parse_money(
    text: str, *, what: str = "value", decimal_comma: bool = False, currency: str = ""
) -> int:
    """An amount of money typed by the user → integer cents (SPEC §4 "Amounts on input").

    See `read_amount` for what is accepted. With `currency` (the database's), an amount written
    in another currency is refused rather than counted as if it were the same money."""
    return parse_money_in(text, MoneyStyle(currency, decimal_comma), what=what)[0]


def parse_money_in(text: str, style: MoneyStyle, *, what: str = "value") -> tuple[int, str]:
    """An amount typed into a database with `style` → (cents, the currency it names when the
    database has none yet, else ""). An amount in another currency than the database's is
    refused; the first one to name a currency in a database without one makes it the database's
    (the caller saves it), so two currencies are never added up as one."""
    amount = read_amount(text, what=what, decimal_comma=style.decimal_comma)
    if style.currency and not same_currency(amount.currency, style.currency):
        raise BadInput(
            f"{what} {quoted(text)} is in {amount.currency}, but this database keeps amounts in {style.currency}"
        )
    return amount.cents, "" if style.currency else amount.currency


def read_amount(text: str, *, what: str = "value", decimal_comma: bool | None = False) -> Amount:
    """An amount as people write it → `Amount` (cents and the currency written beside it).

    Accepted: digits with `.` or `,` between thousands and either as the decimal separator where
    the text leaves no doubt (`12,500.50`, `12.500,50`, `12,5`, `1.234.567`); spaces, `_` or `'`
    between digits (`12 500`, `1'250.50`); a currency sign or code before or after (`$ 12 500`,
    `18.500 €`, `900 EUR`); `k` / `m` for thousands / millions (`1.5k`). A separator followed by
    exactly three digits and nothing else (`12.500`, `1,250`) could be either: it is read as the
    thousands separator of the chosen convention (`,` by default, `.` with `decimal_comma`) and
    refused, with the reason, when it is that convention's decimal separator (with
    `decimal_comma=None`, no convention yet, it is refused as `AmbiguousAmount`). Refused too:
    negative amounts, more precision than a cent, NaN / infinity, anything above a trillion.
    An amount is never read as a thousandth (or a thousand times) what the text shows.
    """
    raw = text.strip()
    # A plain number ("12500", "1138.00"), as exports and spreadsheets write amounts: read without
    # the general parse below, which a bulk import would otherwise pay on every row. Its reading
    # is the same in both conventions (at most two decimals after a lone dot).
    whole, dot, fraction = raw.partition(".")
    if (
        whole.isascii()
        and whole.isdigit()
        and (not dot or (fraction.isascii() and fraction.isdigit() and len(fraction) <= 2))
    ):
        cents = int(whole) * 100 + (int(fraction) * (10 if len(fraction) == 1 else 1) if fraction else 0)
        if cents <= MAX_MONEY_UNITS * 100:
            return Amount(cents, "", "." if fraction else "")
    s = raw.lower()
    if not s:
        raise BadInput(f"{what} is empty; {_MONEY_HINT}")
    if re.match(r"[^0-9]*-", s) or (s.startswith("(") and s.endswith(")")):  # "-5", "$-5", "(5.00)"
        raise BadInput(f"{what} {quoted(raw)} is negative; amounts are zero or more")
    currency = ""
    for pattern in (_CURRENCY_LEAD, _CURRENCY_TAIL):
        match = re.search(pattern, s)
        if match:
            sign, code = match.groups()
            found = CURRENCY_SIGNS[sign] if sign else code.upper()
            if currency and not same_currency(currency, found):
                raise BadInput(f"{what} {quoted(raw)} names two currencies ({currency} and {found})")
            currency = currency if currency in CURRENCY_CODES else found
            s = s[: match.start()] + s[match.end():]
    s = re.sub(_GROUP_SPACES, "", s.strip().removeprefix("+"))
    if "?" in s:
        s = re.sub(_LOST_GROUP_SPACE, "", s)
    suffix = s[-1:] if s[-1:] in ("k", "m") else ""
    number = s[: len(s) - len(suffix)]
    if not number or not number.isascii() or number.strip("0123456789.,") or not any(c.isdigit() for c in number):
        raise BadInput(f"{what} {quoted(raw)} is not an amount; {_MONEY_HINT}")
    whole, fraction, mark = _split_amount(number, raw, what, decimal_comma)
    from decimal import Decimal

    amount = Decimal(f"{whole or '0'}.{fraction or '0'}")
    amount *= {"": 1, "k": 1_000, "m": 1_000_000}[suffix]
    if amount > MAX_MONEY_UNITS:
        raise BadInput(f"{what} {quoted(raw)} is too large (at most {format_money(MAX_MONEY_UNITS * 100)})")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise BadInput(f"{what} {quoted(raw)} is more precise than a cent")
    return Amount(int(cents), currency, mark)


def _split_amount(number: str, raw: str, what: str, decimal_comma: bool | None) -> tuple[str, str, str]:
    """Digits with `.` / `,` → (whole digits, decimal digits, the decimal separator when the text
    shows it beyond doubt), deciding which separator is which."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        # Both: the last one is the decimal separator, written once, the other between thousands.
        decimal = "." if number.rfind(".") > number.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, _, fraction = number.rpartition(decimal)
        if decimal in whole:
            raise BadInput(f"{what} {quoted(raw)} is not an amount: '{decimal}' appears twice")
        return _grouped(whole, group, raw, what), fraction, decimal
    separator = "." if dots else "," if commas else ""
    if not separator:
        return number, "", ""
    if number.count(separator) > 1:  # 1.234.567 / 1,234,567: only thousands are written so
        return _grouped(number, separator, raw, what), "", ""
    whole, _, fraction = number.partition(separator)
    if len(fraction) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0"):
        if decimal_comma is None:
            raise AmbiguousAmount(f"{what} {quoted(raw)} could be {whole}{fraction} or {whole}{separator}{fraction}")
        thousands = "." if decimal_comma else ","
        if separator == thousands:
            return whole + fraction, "", ""
        short = fraction.rstrip("0") or "0"
        why = f"{what} {quoted(raw)} is ambiguous (a '{separator}' before three digits may separate thousands)"
        if decimal_comma:
            raise BadInput(f"{why}: {whole}{fraction} or {whole},{short}? write {whole}{fraction} or {whole},{fraction[:2]}")
        raise BadInput(
            f"{why}: {whole}{fraction} or {whole}.{short}? write {whole}{fraction} or {whole}.{fraction[:2]}, "
            f"or {_CHOOSE_COMMA}"
        )
    return whole, fraction, separator if fraction else ""


def _grouped(whole: str, group: str, raw: str, what: str) -> str:
    """Digits written with `group` between thousands (12,500 / 1.234.567; also the Indian
    12,34,567) → the digits; anything else is not an amount."""
    parts = whole.split(group)
    western = 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])
    indian = group == "," and 1 <= len(parts[0]) <= 2 and len(parts[-1]) == 3 and all(len(p) == 2 for p in parts[1:-1])
    if not (western or indian) or not all(parts):
        raise BadInput(f"{what} {quoted(raw)} is not an amount: '{group}' must separate groups of three digits")
    return "".join(parts)


_SHOWN_BEFORE = {"$": "$", "USD": "$", "GBP": "£", "EUR": "€", "INR": "₹", "JPY": "¥", "¥": "¥"}


def format_money(cents: int, style: MoneyStyle = PLAIN_MONEY) -> str:
    """Cents → "12,500" for whole amounts, "12,500.50" otherwise; with the decimal comma
    "12.500" / "12.500,50"; with a currency "€12,500", "12.500 €" or "12,500 CHF". What it
    writes reads back as the same cents with the same style (parse_money)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    text = f"{units:,}" if rest == 0 else f"{units:,}.{rest:02d}"
    if style.decimal_comma:
        text = text.translate(_SWAP_SEPARATORS)
    currency = style.currency
    if not currency:
        return sign + text
    shown = _SHOWN_BEFORE.get(currency)
    if shown is not None and not style.decimal_comma:
        return f"{sign}{shown}{text}"
    return f"{sign}{text} {shown or currency}"


_SWAP_SEPARATORS = str.maketrans({",": ".", ".": ","})


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
        raise BadInput(f"unknown bucket {quoted(text)}; use {choices}")
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
        raise BadInput(f"unknown kind {quoted(text)}; use call, meeting, email, proposal, research or other")
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
        raise BadInput(f"{what} {quoted(raw)} is not a duration; use 90, 90m, 1h30 or 1.5h")
    if minutes != minutes.to_integral_value():
        raise BadInput(f"{what} {quoted(raw)} is not a whole number of minutes")
    if not 1 <= minutes <= 1440:
        raise BadInput(f"{what} {quoted(raw)} must be between 1 minute and 24 hours")
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
