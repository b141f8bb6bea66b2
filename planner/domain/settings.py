"""The user's settings (SPEC §3.1): defaults, keys as the CLI names them, validation.

Stored by the store as key → text; parsed here so every entry point validates the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from planner.domain.models import OPEN_BUCKETS, Bucket
from planner.domain.parse import MoneyStyle, currency_of
from planner.errors import BadInput

DEFAULT_EFFORT_HOURS = {Bucket.ABOVE: 1.5, Bucket.IN: 6.0, Bucket.BEST_FEW: 4.0}
#: Residence defaults as fractions of the normal cycle C when history is too thin (SPEC §3.1).
DEFAULT_RESIDENCE_SHARE = {Bucket.ABOVE: 0.25, Bucket.IN: 0.45, Bucket.BEST_FEW: 0.30}
DEFAULT_PASS_RATE = {Bucket.ABOVE: 0.5, Bucket.IN: 0.6, Bucket.BEST_FEW: 0.8}


@dataclass(frozen=True, slots=True)
class Settings:
    hours_per_week: float = 15.0
    cycle_days: int = 60
    goal_wins_per_month: float = 2.0
    # Revenue wanted per month, in money units (not cents); None: no money goal (SPEC §3.1).
    goal_value_per_month: float | None = None
    effort_hours: Mapping[Bucket, float] = field(default_factory=lambda: dict(DEFAULT_EFFORT_HOURS))
    prospect_hours: float = 1.0
    # None: measured from history when there is enough of it, else the default share of C.
    residence_days: Mapping[Bucket, float | None] = field(
        default_factory=lambda: {b: None for b in OPEN_BUCKETS}
    )
    pass_rate: Mapping[Bucket, float | None] = field(default_factory=lambda: {b: None for b in OPEN_BUCKETS})
    prospecting_floor: float = 0.15
    # The user's own split of the week in percent (Week view); None follows the suggestion.
    user_split: Mapping[Bucket, int] | None = None
    # The selling day, for the week's time blocks (hours of day, local time): when it starts and
    # ends, and the lunch break inside it (lunch_minutes 0: no lunch break).
    day_start_hour: int = 9
    day_end_hour: int = 18
    lunch_hour: int = 12
    lunch_minutes: int = 60
    # How many browser tabs `planner serve` runs at once (each tab is one app process).
    serve_connections: int = 4
    # Money (SPEC §4 "Amounts on input"): the one currency of this database ("" = none shown) and
    # whether amounts are written with the decimal comma (12.500,50) rather than the point.
    currency: str = ""
    decimal_comma: bool = False

    @property
    def money_style(self) -> MoneyStyle:
        """How this database shows and reads amounts."""
        return MoneyStyle(self.currency, self.decimal_comma)


@dataclass(frozen=True, slots=True)
class SettingSpec:
    key: str
    kind: type  # int, float, bool (on/off) or str (a currency)
    minimum: float
    maximum: float
    help: str
    optional: bool = False  # accepts "auto" / "" to go back to measured-or-default
    money: bool = False  # an amount, read as amounts are everywhere (12,500 · 12.5k · €12 500)
    label: str = ""  # the setting's name in words, as the Profile screen shows it

    @property
    def name(self) -> str:
        """The human name ("Typical stay in Best Few (days)"); the key when there is none."""
        return self.label or self.key

    @property
    def meaning(self) -> str:
        """The help as a sentence on its own ("Selling hours available per week")."""
        return self.help[:1].upper() + self.help[1:]

    @property
    def accepts(self) -> str:
        """What may be typed, for help lines: "1 to 3650", "on or off", "a currency code or sign…"."""
        if self.kind is bool:
            return "on or off"
        if self.kind is str:
            return "a currency code or sign (EUR, USD, CHF, €, $, £), or none"
        return f"{self.minimum:g} to {self.maximum:g}" + (", or auto" if self.optional else "")


def _bucket_specs(prefix: str, kind: type, lo: float, hi: float, help_: str, optional: bool,
                  label: str) -> list[SettingSpec]:
    return [SettingSpec(f"{prefix}.{b.value}", kind, lo, hi, f"{help_} ({b.label})", optional,
                        label=label.format(bucket=b.label)) for b in OPEN_BUCKETS]


SETTING_SPECS: dict[str, SettingSpec] = {
    s.key: s
    for s in [
        SettingSpec("hours_per_week", float, 0.5, 100,
                    "selling hours available per week (a normal week; the Week's H changes one week only)",
                    label="Selling hours, normal week"),
        SettingSpec("cycle_days", int, 1, 3650, "sales cycle in days, used while fewer than 3 won deals can be measured",
                    label="Normal sales cycle (days)"),
        SettingSpec("goal_wins_per_month", float, 0.1, 1000, "wins wanted per month: the flow the split and the forecast aim for", label="Wins wanted per month"),
        SettingSpec("goal_value_per_month", float, 0, 1e12,
                    "revenue wanted per month (money forecast and coverage); 'none' = no money goal",
                    optional=True, money=True, label="Revenue wanted per month"),
        *_bucket_specs("effort_hours", float, 0.1, 500, "hours of work one deal needs during its whole stay", False,
                       "Hours per deal, {bucket}"),
        SettingSpec("prospect_hours", float, 0.1, 100, "hours to find and first-contact one new prospect",
                    label="Hours to find one prospect"),
        *_bucket_specs("residence_days", float, 1, 3650, "days a deal stays before it moves on; 'auto' = measured or default", True,
                       "Typical stay in {bucket} (days)"),
        *_bucket_specs("pass_rate", float, 0.01, 1, "share of its deals that move on (or win); 'auto' = measured or default", True,
                       "Pass rate {bucket}"),
        SettingSpec("prospecting_floor", float, 0, 0.9, "share of the week never taken from prospecting, however full the funnel",
                    label="Prospecting floor (share)"),
        # The selling day the week's time blocks are laid out in (and exported to a calendar).
        SettingSpec("day_start_hour", int, 0, 23, "hour the selling day starts; the week's time blocks begin then",
                    label="Selling day starts (hour)"),
        SettingSpec("day_end_hour", int, 1, 24,
                    "hour the selling day ends; a day with more work starts earlier", label="Selling day ends (hour)"),
        SettingSpec("lunch_hour", int, 0, 23, "hour the lunch break starts; no time block runs through it",
                    label="Lunch starts (hour)"),
        SettingSpec("lunch_minutes", int, 0, 240, "length of the lunch break in minutes; 0 = no lunch break",
                    label="Lunch break (minutes)"),
        SettingSpec("serve_connections", int, 1, 64, "browser tabs 'planner serve' runs at once",
                    label="Browser tabs served at once"),
        # Money: one currency per database, and how amounts are written (SPEC §4).
        SettingSpec("currency", str, 0, 0, "the currency of every amount, shown beside them ('none' to show none)",
                    label="Currency"),
        SettingSpec("decimal_comma", bool, 0, 1, "amounts are written 12.500,50 (on) rather than 12,500.50 (off)",
                    label="Decimal comma"),
    ]
}

_AUTO = {"", "auto", "none", "default", "off"}
_ON = {"on", "yes", "true", "1"}
_OFF = {"off", "no", "false", "0"}

SettingValue = float | int | bool | str | None


def parse_setting(key: str, raw: str) -> SettingValue:
    """Validate one setting given as text; raise BadInput with a one-line reason."""
    spec = SETTING_SPECS.get(key)
    if spec is None:
        raise BadInput(f"unknown setting {key!r}; known: {', '.join(SETTING_SPECS)}")
    text = raw.strip()
    if spec.kind is bool:
        if text.lower() in _ON | _OFF:
            return text.lower() in _ON
        raise BadInput(f"{key} must be on or off, not {raw!r}")
    if spec.kind is str:
        if text.lower() in _AUTO:
            return ""
        currency = currency_of(text)
        if currency is None:
            raise BadInput(f"{key} must be a currency code or sign (EUR, USD, CHF, €, $, £) or none, not {raw!r}")
        return currency
    if spec.optional and text.lower() in _AUTO:
        return None
    if spec.money:
        from planner.domain.parse import parse_money

        cents = parse_money(text, what=key)
        if not spec.minimum <= cents / 100 <= spec.maximum:
            raise BadInput(f"{key} must be between {spec.minimum:g} and {spec.maximum:g}, not {raw!r}")
        return cents / 100
    try:
        number = float(text.replace(",", "")) if spec.kind is float else int(text)
    except ValueError:
        what = "a whole number" if spec.kind is int else "a number"
        raise BadInput(f"{key} must be {what}, not {raw!r}") from None
    if number != number or not spec.minimum <= number <= spec.maximum:  # NaN fails too
        raise BadInput(f"{key} must be between {spec.minimum:g} and {spec.maximum:g}, not {raw!r}")
    return number


def format_setting(value: SettingValue, key: str = "") -> str:
    """A setting's value as `planner config` and the Profile screen show it (parse_setting reads it back)."""
    if value is None:
        spec = SETTING_SPECS.get(key)
        return "none" if spec is not None and spec.money else "auto"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value or "none"
    return format_number(value)  # exact: 1000000, not 1e+06


def setting_value(settings: Settings, key: str) -> SettingValue:
    """The current value of a setting by its CLI key."""
    if "." in key:
        group, bucket = key.split(".", 1)
        return getattr(settings, group)[Bucket(bucket)]
    return getattr(settings, key)


def with_setting(settings: Settings, key: str, value: SettingValue) -> Settings:
    """A copy of `settings` with one key changed (value already parsed)."""
    if "." in key:
        group, bucket = key.split(".", 1)
        mapping = dict(getattr(settings, group))
        mapping[Bucket(bucket)] = value
        return replace(settings, **{group: mapping})
    return replace(settings, **{key: value})


def settings_from_mapping(stored: Mapping[str, str]) -> Settings:
    """Build Settings from what the store keeps (key → text). Unknown or invalid stored values are
    ignored so an old or hand-edited database still opens with defaults."""
    settings = Settings()
    for key, raw in stored.items():
        if key == "user_split":
            settings = replace(settings, user_split=parse_user_split(raw))
            continue
        try:
            settings = with_setting(settings, key, parse_setting(key, raw))
        except BadInput:
            continue
    return settings


def settings_to_mapping(settings: Settings) -> dict[str, str]:
    """Everything that differs from the defaults, as key → text, for the store."""
    defaults = Settings()
    out: dict[str, str] = {}
    for key in SETTING_SPECS:
        value = setting_value(settings, key)
        if value != setting_value(defaults, key):
            out[key] = format_setting(value)
    if settings.user_split is not None:
        out["user_split"] = format_user_split(settings.user_split)
    return out


def format_number(value: float | int) -> str:
    """A setting's number as text, exactly and without an exponent (20000, 0.15, 1234567.5)."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def format_user_split(split: Mapping[Bucket, int]) -> str:
    return ",".join(f"{b.value}={split[b]}" for b in OPEN_BUCKETS)


def parse_user_split(raw: str) -> Mapping[Bucket, int] | None:
    """"above=40,in=30,best_few=30" → mapping; anything malformed → None (follow the suggestion)."""
    try:
        parts = dict(p.split("=", 1) for p in raw.split(",") if p.strip())
        split = {b: int(parts[b.value]) for b in OPEN_BUCKETS}
    except (KeyError, ValueError):
        return None
    if sum(split.values()) != 100 or any(v < 0 for v in split.values()):
        return None
    return split
