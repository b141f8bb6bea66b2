"""Numbers, money, days and times as the planner shows them: one place for the TUI and the CLI.

Pure functions of the domain's values (no Textual, no store), so a number reads the same on every
screen and in every command. The prospecting quota in particular is the engine's
(`planner.domain.allocation.prospect_quota`), never recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from planner.domain.models import Allocation, Bucket, Opportunity, ProspectQuota

if TYPE_CHECKING:
    from planner.domain.models import Status
    from planner.domain.parse import MoneyStyle
    from planner.domain.settings import Settings


def money(cents: int, style: MoneyStyle | None = None) -> str:
    """Cents in the database's currency and decimal convention (`Settings.money_style`): "12,500",
    "12,500.50", "12.500,50 €" — what the money parser reads back."""
    from planner.domain.parse import PLAIN_MONEY, format_money

    return format_money(cents, style or PLAIN_MONEY)


def money_whole(cents: int, style: MoneyStyle | None = None) -> str:
    """Rounded to whole units, for totals and forecasts (a weighted amount has no cents): "12,501"."""
    return money(round(cents / 100) * 100, style)


def day(value: date | None) -> str:
    """A day as ISO text, or "—" when there is none."""
    return value.isoformat() if value else "—"


def weekday_date(value: date) -> str:
    """"Fri 06 Mar": a day of this or next week."""
    return f"{value:%a %d %b}"


def long_date(value: date) -> str:
    """"Mon 07 Dec 2026": a day in a heading or a sentence of the screens."""
    return f"{value:%a %d %b %Y}"


def full_date(value: date) -> str:
    """"Monday 07 December 2026": today, at the head of a screen."""
    return f"{value:%A %d %B %Y}"


def due_text(due: date, today: date) -> str:
    """A due date as a person says it: today, tomorrow, Fri, Fri 27 Nov, 3 days overdue."""
    days = (due - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days < 7:
        return due.strftime("%a")
    if due.year == today.year:
        return f"{due.strftime('%a')} {due.day} {due.strftime('%b')}"
    return due.isoformat()


def card_due(due: date, today: date) -> str:
    """A due date in a card's few columns: today, tomorrow, 3d overdue, Fri, 13 Mar."""
    days = (due - today).days
    if days < 0:
        return f"{-days}d overdue"
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 7:
        return due.strftime("%a")
    if due.year == today.year:
        return f"{due.day} {due.strftime('%b')}"
    return due.isoformat()


def due_column(due: date | None, today: date) -> str:
    """A due date in a table for scripts: ISO, "today", or "2026-03-01 overdue"."""
    if due is None:
        return ""
    if due < today:
        return f"{due.isoformat()} overdue"
    return "today" if due == today else due.isoformat()


def clock(minute: int) -> str:
    """Minutes after midnight → "09:30"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def time_span(start_minute: int, minutes: int) -> str:
    """"09:00–10:30"."""
    return f"{clock(start_minute)}–{clock(start_minute + minutes)}"


def hours(value: float) -> str:
    """"3.5 h"."""
    return f"{value:.1f} h"


def whole_hours(value: float) -> str:
    """"15 h", "12.5 h": a number of hours the user typed."""
    return f"{value:g} h"


def decimals(*values: float, least: int = 1, most: int = 4) -> int:
    """How many decimals to show numbers judged against each other with (a coverage beside the 3×
    rule and beside what the user's own win rate asks, expected wins beside the goal): `least`, or
    as many more as it takes for none of them to round onto or past another, so a figure never
    contradicts the verdict beside it ("2.97×" below the 3× rule, never "3.0×"). Infinities are
    left out (they are said in words)."""
    import math
    from itertools import combinations

    def order(a: float, b: float) -> int:
        return (a > b) - (a < b)

    pairs = list(combinations([v for v in values if math.isfinite(v)], 2))
    for places in range(least, most):
        if all(order(round(a, places), round(b, places)) == order(a, b) for a, b in pairs):
            return places
    return most


def ratio(value: float, places: int = 1) -> str:
    """A multiple, "2.5×", with `places` decimals (`decimals` says how many beside a threshold)."""
    return f"{value:.{places}f}×"


def setting_text(value: float | int | str | None, key: str = "") -> str:
    """A setting as the user types it, exactly (1000000, not 1e+06): "auto" for measured-or-default,
    "none" for an amount not set (a money goal), "0.15", "60"."""
    from planner.domain.settings import format_setting

    return format_setting(value, key)


def setting_in_use(key: str, settings: Settings, status: Status, week_hours: float | None = None) -> str:
    """What the engine actually uses for a setting when it differs from what is typed in, short
    enough for the Profile's column and `planner config`: "58 days (18 wins)", "16 days (67 stays)",
    "0.53 (59 outcomes)", "default: 0.50", and this week's hours when the Week's H set them for
    this week only ("this week: 20 h"); "" when the setting is used as typed."""
    from planner.domain.settings import setting_value

    if key == "hours_per_week" and week_hours is not None:
        return f"this week: {whole_hours(week_hours)}"
    if key == "cycle_days" and status.cycle.source == "measured":
        wins = status.cycle.samples
        return f"{status.cycle.days:.0f} days ({wins} win{'s' if wins != 1 else ''})"
    group, _, bucket = key.partition(".")
    if group in ("residence_days", "pass_rate") and bucket:
        p = getattr(status.parameters, group)[Bucket(bucket)]
        value = f"{p.value:.0f} days" if group == "residence_days" else f"{p.value:.2f}"
        if p.source == "measured":
            return f"{value} ({p.samples} {'stays' if group == 'residence_days' else 'outcomes'})"
        if setting_value(settings, key) is None:
            return f"default: {value}"
    return ""


def percent_split(split: Mapping[Bucket, int]) -> str:
    """"Above 50 %, In 30 %, Best Few 20 %", top of the funnel first."""
    from planner.domain.models import OPEN_BUCKETS

    return ", ".join(f"{b.short_label} {split[b]} %" for b in OPEN_BUCKETS)


def quota(allocation: Allocation) -> int:
    """The week's prospecting quota: the engine's P rounded up once, the same number everywhere."""
    return allocation.prospect_quota


def prospects(n: int) -> str:
    """"1 new prospect", "4 new prospects"."""
    return f"{n} new prospect{'' if n == 1 else 's'}"


def prospects_a_week(n: int) -> str:
    """"1 new prospect a week", "4 new prospects a week": the quota kept week after week, as the
    Insights' chart and sentences and `planner status` say it."""
    return f"{prospects(n)} a week"


def quota_fills(n: int, fills: bool) -> str:
    """Whether keeping the quota fills a dry week: "4 new prospects a week fill it", "1 new
    prospect a week is not enough to fill it"."""
    if fills:
        return f"{prospects_a_week(n)} {'fills' if n == 1 else 'fill'} it"
    return f"{prospects_a_week(n)} {'is' if n == 1 else 'are'} not enough to fill it"


def quota_text(allocation: Allocation) -> str:
    """"4 new prospects this week (3.9 needed a week)"."""
    return f"{prospects(quota(allocation))} this week ({allocation.prospects_per_week:.1f} needed a week)"


def quota_progress(q: ProspectQuota) -> str:
    """The week's progress in a few cells (the Funnel's status line): "1 of 4"."""
    return f"{q.done_week} of {q.week}"


def quota_today_text(q: ProspectQuota) -> str:
    """Today's share of the week's prospecting quota and the week's progress, from the engine's
    `ProspectQuota`, as the Today screen and `planner status` say it:
    "1 of 2 today (3 working days left) · 4 of 6 new prospects this week", with "today's share is
    met" or "the week's quota is met" once it is."""
    week = f"{q.done_week} of {prospects(q.week)} this week"
    if q.week == 0:
        return f"{q.done_today} today · no new prospects needed this week"
    if q.done_week >= q.week:
        return f"{q.done_today} today · {week} — the week's quota is met"
    days = f"{q.working_days_left} working day{'' if q.working_days_left == 1 else 's'} left"
    if q.done_today >= q.today:
        return f"{q.done_today} of {q.today} today — today's share is met ({days}) · {week}"
    return f"{q.done_today} of {q.today} today ({days}) · {week}"


def streak_text(days: int) -> str:
    return f"{days}-day streak" if days else "no streak yet"


def quoted(deal: Opportunity) -> str:
    """How a change names its deal: “Website revamp”."""
    return f"“{deal.title}”"
