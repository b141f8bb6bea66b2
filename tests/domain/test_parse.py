"""User input parsing (SPEC §4 "Dates / Bucket names on input"), with the date and money parsers fuzzed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.domain.models import ActivityKind, Bucket
from planner.domain.parse import (
    MAX_MONEY_UNITS,
    MoneyStyle,
    clean_text,
    clean_title,
    currency_of,
    distinct_currencies,
    format_money,
    parse_bucket,
    parse_date,
    parse_kind,
    parse_minutes,
    parse_money,
    read_amount,
)
from planner.errors import BadInput

MONDAY = date(2026, 11, 23)  # a Monday
FRIDAY = date(2026, 11, 27)


# Dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026-3-5", date(2026, 3, 5)),
        ("today", MONDAY),
        ("  TODAY ", MONDAY),
        ("tomorrow", MONDAY + timedelta(days=1)),
        ("yesterday", MONDAY - timedelta(days=1)),
        ("+3d", MONDAY + timedelta(days=3)),
        ("-3d", MONDAY - timedelta(days=3)),
        ("3d", MONDAY + timedelta(days=3)),
        ("+2w", MONDAY + timedelta(days=14)),
        ("-1W", MONDAY - timedelta(days=7)),
        ("fri", FRIDAY),
        ("Friday", FRIDAY),
        ("tue", MONDAY + timedelta(days=1)),
    ],
)
def test_parse_date_accepts_the_documented_forms(text: str, expected: date) -> None:
    assert parse_date(text, MONDAY) == expected


def test_weekday_names_mean_the_next_one_strictly_after_today() -> None:
    assert parse_date("mon", MONDAY) == MONDAY + timedelta(days=7)
    assert parse_date("monday", MONDAY) == MONDAY + timedelta(days=7)
    assert parse_date("sun", MONDAY) == MONDAY + timedelta(days=6)
    assert parse_date("sat", FRIDAY) == FRIDAY + timedelta(days=1)
    assert parse_date("fri", FRIDAY) == FRIDAY + timedelta(days=7)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("2026-02-30", "not a day of the calendar"),
        ("2026-13-01", "not a day of the calendar"),
        ("05/03/2026", "not a date"),
        ("next week", "not a date"),
        ("+999999d", "not a date"),
        ("+9000w", "too far away"),
        ("frday", "not a date"),
    ],
)
def test_parse_date_refuses_with_a_one_line_reason(text: str, says: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_date(text, MONDAY, what="--due")
    message = str(caught.value)
    assert says in message
    assert "\n" not in message
    if text:
        assert "--due" in message


@settings(max_examples=400)
@given(text=st.text(max_size=30), today=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_date_never_raises_anything_but_bad_input(text: str, today: date) -> None:
    try:
        result = parse_date(text, today)
    except BadInput as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(result, date)


@given(
    today=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
    days=st.integers(min_value=0, max_value=5000),
)
def test_relative_dates_round_trip(today: date, days: int) -> None:
    assert parse_date(f"+{days}d", today) - today == timedelta(days=days)
    assert today - parse_date(f"-{days}d", today) == timedelta(days=days)
    target = today + timedelta(days=days)
    assert parse_date(target.isoformat(), today) == target


# Money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12500", 1_250_000),
        ("12,500.50", 1_250_050),
        ("12500.5", 1_250_050),
        ("$ 12 500", 1_250_000),
        ("€1,200", 120_000),
        ("900 EUR", 90_000),
        ("1.5k", 150_000),
        ("2M", 200_000_000),
        ("0", 0),
        ("0.01", 1),
        ("12\u00a0500", 1_250_000),
        ("+40", 4_000),
    ],
)
def test_parse_money_reads_amounts_as_people_write_them(text: str, cents: int) -> None:
    assert parse_money(text) == cents


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("-5", "negative"),
        ("$-5", "negative"),
        ("nan", "not an amount"),
        ("inf", "not an amount"),
        ("1e5", "not an amount"),
        ("12.500", "ambiguous"),
        ("1.250", "decimal comma"),
        ("3.000", "write 3000 or 3.00"),
        ("1,234.567", "more precise than a cent"),
        ("1,2345", "more precise than a cent"),
        ("12,3,456", "groups of three"),
        ("1.2.3", "groups of three"),
        ("1.234,56.7", "appears twice"),
        ("(500.00)", "negative"),
        ("$ 5 €", "two currencies"),
        ("0.001", "more precise than a cent"),
        (str(MAX_MONEY_UNITS + 1), "too large"),
        ("2000000m", "too large"),
        ("", "empty"),
        ("twelve", "not an amount"),
    ],
)
def test_parse_money_refuses_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(BadInput, match=says):
        parse_money(text)


@settings(max_examples=400)
@given(st.text(max_size=25))
def test_parse_money_never_raises_anything_but_bad_input(text: str) -> None:
    try:
        cents = parse_money(text)
    except BadInput as error:
        assert "\n" not in str(error)
    else:
        assert 0 <= cents <= MAX_MONEY_UNITS * 100


@given(st.integers(min_value=0, max_value=MAX_MONEY_UNITS * 100))
def test_format_then_parse_money_round_trips(cents: int) -> None:
    assert parse_money(format_money(cents)) == cents


def test_format_money_shows_cents_only_when_there_are_some() -> None:
    assert format_money(1_250_000) == "12,500"
    assert format_money(1_250_050) == "12,500.50"
    assert format_money(5) == "0.05"


# Buckets, kinds, minutes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bucket"),
    [
        ("above", Bucket.ABOVE),
        ("IN", Bucket.IN),
        ("best_few", Bucket.BEST_FEW),
        ("Best-Few", Bucket.BEST_FEW),
        ("bf", Bucket.BEST_FEW),
        ("won", Bucket.WON),
        ("Lost", Bucket.LOST),
    ],
)
def test_parse_bucket(text: str, bucket: Bucket) -> None:
    assert parse_bucket(text) is bucket


def test_parse_bucket_refuses_unknown_names_and_closed_buckets_for_new_deals() -> None:
    with pytest.raises(BadInput, match="unknown bucket 'funnel'"):
        parse_bucket("funnel")
    with pytest.raises(BadInput, match="not won"):
        parse_bucket("won", open_only=True)
    assert parse_bucket("bf", open_only=True) is Bucket.BEST_FEW


def test_parse_kind() -> None:
    assert parse_kind("Call") is ActivityKind.CALL
    assert parse_kind("prospecting") is ActivityKind.RESEARCH
    assert parse_kind("research") is ActivityKind.RESEARCH
    assert parse_kind("e-mail") is ActivityKind.EMAIL
    with pytest.raises(BadInput, match="unknown kind 'lunch'"):
        parse_kind("lunch")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90", 90), ("90m", 90), ("1h30", 90), ("1h 30m", 90), ("1.5h", 90), ("1:30", 90), ("2h", 120), ("1440", 1440)],
)
def test_parse_minutes(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["0", "1441", "25h", "-5", "abc", "", "1.01h"])
def test_parse_minutes_refuses_out_of_range_and_nonsense(text: str) -> None:
    with pytest.raises(BadInput):
        parse_minutes(text)


# Text -------------------------------------------------------------------------------------------


def test_clean_text_strips_terminal_escapes_and_control_characters() -> None:
    dirty = "\x1b[31mAcme\x1b[0m\x07 \x1b]0;pwned\x07Corp\x00"
    assert clean_text(dirty, 100) == "Acme Corp"


def test_clean_text_keeps_newlines_and_tabs_only_when_multiline() -> None:
    assert clean_text("one\ntwo\tthree", 100) == "one two three"
    assert clean_text("one\r\ntwo\tthree  \n", 100, multiline=True) == "one\ntwo\tthree"


def test_clean_text_keeps_any_script_and_emoji() -> None:
    text = "王小明 👩‍💻 Ünïcødé [bold]x[/]"
    assert clean_text(text, 100) == text


def test_clean_text_refuses_over_long_text_naming_the_limit() -> None:
    with pytest.raises(BadInput, match=r"notes is too long \(11 characters; at most 10\)"):
        clean_text("x" * 11, 10, what="notes")


def test_clean_text_replaces_undecodable_command_line_bytes() -> None:
    assert clean_text("caf\udce9", 10) == "caf\ufffd"


def test_clean_title_refuses_an_empty_title() -> None:
    with pytest.raises(BadInput, match="title is empty"):
        clean_title(" \x1b[0m ")


@given(st.text(max_size=60), st.booleans())
def test_clean_text_is_idempotent_and_leaves_no_controls(text: str, multiline: bool) -> None:
    cleaned = clean_text(text, 1000, multiline=multiline)
    assert clean_text(cleaned, 1000, multiline=multiline) == cleaned
    allowed = "\n\t" if multiline else ""
    assert not any((ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0) and ch not in allowed for ch in cleaned)


# The fast paths a bulk import takes must mean exactly what the general parse means. Appending
# something the general parse ignores (a NUL, a currency code) forces it, so the two are compared.


@given(st.text(max_size=60), st.booleans(), st.integers(min_value=0, max_value=70))
def test_clean_text_reads_printable_text_as_the_general_cleaning_does(text: str, multiline: bool, limit: int) -> None:
    def outcome(value: str) -> str:
        try:
            return clean_text(value, limit, multiline=multiline)
        except BadInput as error:
            return f"refused: {error}"

    assert outcome(text) == outcome(text + "\x00")


@given(st.dates(min_value=date(1, 1, 1)))
def test_iso_dates_take_the_calendar_day_however_they_are_padded(day: date) -> None:
    text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    assert parse_date(text, date(2026, 11, 23)) == day
    assert parse_date(f" {text.upper()} ", date(2026, 11, 23)) == day
    assert parse_date(f"{day.year:04d}-{day.month}-{day.day}", date(2026, 11, 23)) == day


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "0000-01-01", "2026-1a-01", "２０２６-01-01"])
def test_date_shaped_nonsense_is_still_refused_with_the_general_reason(text: str) -> None:
    with pytest.raises(BadInput, match="is not a (day of the calendar|date)"):
        parse_date(text, date(2026, 11, 23))


@given(st.from_regex(r"[0-9]{1,15}(\.[0-9]{0,3})?", fullmatch=True))
def test_plain_numbers_are_read_as_the_general_money_parse_reads_them(text: str) -> None:
    def outcome(value: str) -> str:
        try:
            return str(parse_money(value))
        except BadInput as error:
            return f"refused: {str(error).split(':')[0]}".replace(value, "X")

    assert outcome(text) == outcome(text + " usd")


@pytest.mark.parametrize("text", ["²", "1.²", "1.5²", "١٢٣"])
def test_digits_of_other_scripts_are_not_amounts(text: str) -> None:
    with pytest.raises(BadInput):
        parse_money(text)


# Amounts that can't be misread (SPEC §4 "Amounts on input") ------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal_comma", "cents", "currency"),
    [
        ("12.500,50", True, 1_250_050, ""),
        ("12.500,50", False, 1_250_050, ""),  # both separators: no doubt which is which
        ("12.500", True, 1_250_000, ""),
        ("18.500 €", True, 1_850_000, "EUR"),
        ("18\u00a0500,00\u00a0€", False, 1_850_000, "EUR"),
        ("12 500,50", False, 1_250_050, ""),
        ("1,5", False, 150, ""),  # a lone comma before one or two digits is a decimal comma
        ("12,50 €", True, 1_250, "EUR"),
        ("1.234.567", False, 123_456_700, ""),
        ("1,234,567", True, 123_456_700, ""),
        ("12,34,567.00", False, 123_456_700, ""),
        ("USD 1,234.56", False, 123_456, "USD"),
        ("1234.56 usd", True, 123_456, "USD"),
        ("CHF 1'234.50", False, 123_450, "CHF"),
        ("US$ 5", False, 500, "USD"),
        ("R$ 1.234,56", False, 123_456, "BRL"),
        ("£40", False, 4_000, "GBP"),
        ("$1,200", False, 120_000, "$"),
        ("1,5k", True, 150_000, ""),
        ("0.500", False, 50, ""),
    ],
)
def test_read_amount_takes_each_convention_as_written(text: str, decimal_comma: bool, cents: int, currency: str) -> None:
    amount = read_amount(text, decimal_comma=decimal_comma)
    assert (amount.cents, amount.currency) == (cents, currency)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "says"),
    [
        ("12.500", False, "ambiguous (a '.' before three digits may separate thousands): 12500 or 12.5?"),
        ("18.500 €", False, "choose the decimal comma"),
        ("12,500", True, "ambiguous (a ',' before three digits may separate thousands): 12500 or 12,5?"),
        ("1.5k", True, None),  # accepted: a lone dot before one digit is a decimal point either way
    ],
)
def test_a_separator_before_exactly_three_digits_is_refused_when_it_could_be_either(text, decimal_comma, says) -> None:
    if says is None:
        assert parse_money(text, decimal_comma=decimal_comma) == 150_000
        return
    with pytest.raises(BadInput) as caught:
        parse_money(text, decimal_comma=decimal_comma)
    assert says in str(caught.value)


def test_an_amount_in_another_currency_than_the_databases_is_refused() -> None:
    assert parse_money("900 EUR", currency="EUR") == 90_000
    assert parse_money("900", currency="EUR") == 90_000
    assert parse_money("$900", currency="CAD") == 90_000  # "$" is a dollar, whichever one
    with pytest.raises(BadInput, match="is in USD, but this database keeps amounts in EUR"):
        parse_money("USD 900", currency="EUR")


def test_currencies_found_are_merged_only_when_they_can_be_the_same() -> None:
    assert distinct_currencies(["$", "CAD", "", "CAD"]) == ["CAD"]
    assert distinct_currencies(["$", "EUR"]) == ["EUR", "$"]
    assert distinct_currencies(["USD", "CAD", "$"]) == ["CAD", "USD"]
    assert currency_of("eur") == "EUR" and currency_of("€") == "EUR" and currency_of("gold") is None


def _written(units: int, rest: int, style: str) -> str:
    """An amount written the way a locale's spreadsheet or a person writes it."""
    groups = f"{units:,}"
    separators = {
        "en": (",", "."), "de": (".", ","), "fr": ("\u202f", ","), "ch": ("'", "."), "plain": ("", "."),
        "plain_comma": ("", ","), "space": (" ", "."),
    }[style]
    text = groups.replace(",", "\x00").replace("\x00", separators[0])
    if rest:
        text += f"{separators[1]}{rest:02d}"
    return text


@settings(max_examples=600, deadline=None)
@given(
    units=st.one_of(st.integers(0, 999_999), st.integers(0, MAX_MONEY_UNITS - 1)),
    rest=st.one_of(st.just(0), st.integers(0, 99)),
    style=st.sampled_from(["en", "de", "fr", "ch", "plain", "plain_comma", "space"]),
    currency=st.sampled_from(["", "€", " €", "$", "EUR ", " USD", "CHF "]),
    decimal_comma=st.booleans(),
)
def test_no_accepted_amount_is_off_by_a_power_of_ten_from_what_the_text_shows(units, rest, style, currency, decimal_comma):
    """Whatever the convention the text was written in and whichever convention reads it, the
    amount is either exactly what was written or refused; in its own convention it is read."""
    number = _written(units, rest, style)
    text = currency + number if not currency.startswith(" ") else number + currency
    if currency.endswith(" ") and currency.strip() in ("CHF", "EUR"):
        text = currency + number
    own = style in ("de", "fr", "plain_comma")
    try:
        cents = parse_money(text, decimal_comma=decimal_comma)
    except BadInput:
        assert decimal_comma != own, f"{text!r} refused in its own convention"
        return
    assert cents == units * 100 + rest, f"{text!r} read as {cents} cents"


@settings(max_examples=600, deadline=None)
@given(st.from_regex(r"[0-9]{1,7}([.,][0-9]{1,4}){0,3}[km]?", fullmatch=True))
def test_the_two_conventions_never_read_the_same_text_as_different_amounts(text: str) -> None:
    """A text either convention accepts means the same amount to both: no text is read as a
    thousand times (or a thousandth of) what the other convention would read."""
    readings = []
    for decimal_comma in (False, True):
        try:
            readings.append(parse_money(text, decimal_comma=decimal_comma))
        except BadInput:
            pass
    assert len(set(readings)) <= 1, (text, readings)


@given(st.integers(min_value=0, max_value=MAX_MONEY_UNITS * 100), st.booleans(),
       st.sampled_from(["", "EUR", "USD", "CHF", "GBP", "$", "kr"]))
def test_money_shown_in_any_style_reads_back_in_that_style(cents: int, decimal_comma: bool, currency: str) -> None:
    style = MoneyStyle(currency, decimal_comma)
    shown = format_money(cents, style)
    assert parse_money(shown, decimal_comma=decimal_comma, currency=currency) == cents
