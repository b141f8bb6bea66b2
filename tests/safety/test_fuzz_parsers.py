"""Bad input never gets past the parsers as anything but BadInput (SPEC §6, issue item 5).

Property-based: whatever a user types into a date, an amount, a bucket, a duration or a text
field, the parser either returns a sound value or raises BadInput with a one-line message that
is safe to print on a terminal. Any other exception would reach the user as a traceback.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from planner.domain.models import Bucket
from planner.domain.parse import (
    MAX_TITLE,
    clean_text,
    clean_title,
    format_money,
    parse_bucket,
    parse_date,
    parse_minutes,
    parse_money,
)
from planner.errors import BadInput

TODAY = date(2026, 3, 2)
# derandomize: the same examples on every run, so the suite is deterministic (explore more by
# raising max_examples locally).
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# Text a user could type or paste: any code point, plus the pieces parsers look for, glued together.
_pieces = st.sampled_from(
    ["+", "-", "d", "w", "k", "m", ",", ".", "$", "€", " ", "\x1b[31m", "\u202e", "\x00", "١", "٣",
     "2026", "-02-", "30", "fri", "today", "1e9", "nan", "inf", "½", "²", "𝟙", "\n", "\t"]
)
user_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(_pieces, st.text(max_size=3)), max_size=12).map("".join),
)


def assert_clean_message(error: BadInput) -> None:
    """The message is one line with no control characters: printing it cannot break the terminal."""
    message = str(error)
    assert message.strip(), "empty error message"
    assert "\n" not in message and "\r" not in message
    assert not [ch for ch in message if unicodedata.category(ch) == "Cc"], repr(message)


@FUZZ
@given(user_text)
@example("2026-02-30")
@example("+99999w")
@example("-99999w")
@example("9999-12-31")
@example("٢٠٢٦-٠٣-٠١")  # Arabic-Indic digits: str.isdigit() says yes, int() would accept them
def test_date_parser_returns_a_date_or_bad_input(text):
    try:
        value = parse_date(text, TODAY)
    except BadInput as error:
        assert_clean_message(error)
    else:
        assert isinstance(value, date)


@FUZZ
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_an_iso_date_reads_back_as_itself(day):
    assert parse_date(day.isoformat(), TODAY) == day


@FUZZ
@given(st.integers(min_value=0, max_value=5000), st.sampled_from(["d", "w"]), st.sampled_from(["+", "-"]))
def test_relative_dates_count_from_today(n, unit, sign):
    days = n * (7 if unit == "w" else 1)
    try:
        value = parse_date(f"{sign}{n}{unit}", TODAY)
    except BadInput as error:  # more than a century away is refused as a typo, which is fine
        assert days > 36_000 and "far" in str(error)
    else:
        assert value == (TODAY + timedelta(days=days) if sign == "+" else TODAY - timedelta(days=days))


@FUZZ
@given(user_text)
@example("1e9")
@example("NaN")
@example("-0")
@example("(5)")
@example("12,50")
@example("0.001")
@example("9" * 400)
@example("١٢٣")
@example("1,2,3")
@example("$-5")
def test_money_parser_returns_whole_cents_or_bad_input(text):
    try:
        cents = parse_money(text)
    except BadInput as error:
        assert_clean_message(error)
    else:
        assert type(cents) is int
        assert 0 <= cents <= 10**12 * 100


@FUZZ
@given(st.integers(min_value=0, max_value=10**14))
def test_money_shown_reads_back_as_the_same_cents(cents):
    assert parse_money(format_money(cents)) == cents


@FUZZ
@given(user_text)
def test_bucket_parser_returns_a_bucket_or_bad_input(text):
    try:
        bucket = parse_bucket(text)
    except BadInput as error:
        assert_clean_message(error)
    else:
        assert isinstance(bucket, Bucket)


@FUZZ
@given(user_text)
def test_duration_parser_returns_minutes_in_a_day_or_bad_input(text):
    try:
        minutes = parse_minutes(text)
    except BadInput as error:
        assert_clean_message(error)
    else:
        assert type(minutes) is int and 1 <= minutes <= 1440


@FUZZ
@given(st.text(max_size=300), st.booleans())
@example("\x1b]0;pwned\x07title", False)
@example("\x1b[2J\x1b[Hwiped", False)
@example("a\x9b31mb", False)
@example("\ud800x", False)
def test_cleaned_text_holds_no_terminal_controls_and_is_stable(text, multiline):
    try:
        cleaned = clean_text(text, 200, multiline=multiline)
    except BadInput as error:
        assert_clean_message(error)
        return
    allowed = "\n\t" if multiline else ""
    assert not [ch for ch in cleaned if unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed], repr(cleaned)
    assert "\x1b" not in cleaned and "\x9b" not in cleaned
    assert len(cleaned) <= 200
    assert clean_text(cleaned, 200, multiline=multiline) == cleaned


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\x1b[31m\x1b[0m", "\x00\x07"])
def test_an_empty_title_is_refused(text):
    with pytest.raises(BadInput, match="empty"):
        clean_title(text)


def test_an_over_long_title_is_refused_not_cut():
    with pytest.raises(BadInput, match="too long"):
        clean_title("x" * (MAX_TITLE + 1))


@pytest.mark.parametrize("text", ["[bold]x[/] [red", "客户：上海贸易公司", "🚀 Launch 👩‍💻", "<b>x</b> & ${HOME}"])
def test_markup_and_any_script_are_kept_verbatim(text):
    assert clean_title(text) == text
