"""CSV and JSON export (SPEC §4 "CSV columns", "Export is complete").

CSV holds the deals, one row each in COLUMNS order. Export neutralises spreadsheet formula
injection: a text cell that a spreadsheet would run as a formula (it starts with = + - @, a tab
or a carriage return) is written with a leading apostrophe, the convention spreadsheets use for
"this is text"; import strips exactly that apostrophe again, so export → import gives back the
same text.

JSON holds everything: every deal with its buying influences, Money/Authority/Need, criteria met,
moves and activities, the prospecting work logged on no deal, the settings, the criteria and the
days of the check-in streak.
`planner import` of that file into an empty database gives the same funnel.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, UTC
from typing import IO, Any

from planner.domain.models import Activity, Criterion, DealHistory, Move, Opportunity
from planner.importing.headers import COLUMNS

#: The format of a complete export, and its version (what `planner import` reads back).
FORMAT = "funnel-planner export"
VERSION = 1

_TEXT_COLUMNS = ("title", "account", "contact", "next_action", "source", "notes", "lost_reason")
# A cell a spreadsheet would evaluate; any apostrophes before the trigger are part of the text, so
# the escape is one more apostrophe and unescaping removes exactly one (a bijection).
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def _plain_money(cents: int) -> str:
    """Cents → "12500" / "12500.50": no thousands separator, so spreadsheets read a number."""
    units, rest = divmod(cents, 100)
    return str(units) if rest == 0 else f"{units}.{rest:02d}"


def _escape(text: str) -> str:
    return "'" + text if _FORMULA.match(text) else text


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def opportunity_record(opp: Opportunity) -> dict[str, Any]:
    """One opportunity keyed like the CSV columns, for JSON (value as a number, dates ISO or null)."""
    units, rest = divmod(opp.value_cents, 100)
    return {
        "id": opp.id,
        "title": opp.title,
        "account": opp.account,
        "contact": opp.contact,
        "value": units if rest == 0 else opp.value_cents / 100,
        "bucket": opp.bucket.value,
        "first_contact": _iso(opp.first_contact),
        "expected_close": _iso(opp.expected_close),
        "closed_on": _iso(opp.closed_on),
        "next_action": opp.next_action,
        "next_action_due": _iso(opp.next_action_due),
        "source": opp.source,
        "notes": opp.notes,
        "lost_reason": opp.lost_reason,
    }


def csv_row(opp: Opportunity) -> list[str]:
    """One opportunity as CSV cells in COLUMNS order, text cells formula-safe."""
    record = opportunity_record(opp)
    row: list[str] = []
    for column in COLUMNS:
        if column == "value":
            row.append(_plain_money(opp.value_cents))
        elif column in _TEXT_COLUMNS:
            row.append(_escape(record[column]))
        else:
            value = record[column]
            row.append("" if value is None else str(value))
    return row


def write_csv(opps: Iterable[Opportunity], file: IO[str]) -> int:
    """Write a header and one row per opportunity to a text file opened with newline="";
    return the number of rows written."""
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for opp in opps:
        writer.writerow(csv_row(opp))
        count += 1
    return count


def csv_text(opps: Iterable[Opportunity]) -> str:
    buffer = io.StringIO(newline="")
    write_csv(opps, buffer)
    return buffer.getvalue()


def write_json(opps: Iterable[Opportunity], file: IO[str], *, ascii_only: bool = False) -> int:
    """A JSON list of deals keyed like the CSV columns (what `planner list --json` prints)."""
    records = [opportunity_record(opp) for opp in opps]
    json.dump(records, file, ensure_ascii=ascii_only, indent=2)
    file.write("\n")
    return len(records)


def _instant(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _activity(activity: Activity) -> dict[str, Any]:
    return {
        "kind": activity.kind.value,
        "minutes": activity.minutes,
        "on": activity.on.isoformat(),
        "note": activity.note,
        "bucket": activity.bucket.value,
    }


def _move(move: Move) -> dict[str, Any]:
    return {"from": move.from_bucket.value if move.from_bucket else None, "to": move.to_bucket.value,
            "at": _instant(move.at)}


def deal_record(history: DealHistory) -> dict[str, Any]:
    """One deal of a complete export: the CSV keys, then what the CSV cannot hold."""
    opp = history.opportunity
    return {
        **opportunity_record(opp),
        "money": opp.money,
        "authority": opp.authority,
        "need": opp.need,
        "criteria_met": sorted(opp.criteria_met),
        "criteria_reviewed": opp.criteria_reviewed,
        "influences": [{"name": i.name, "role": i.role.value, "covered": i.covered} for i in opp.influences],
        "created_on": _iso(opp.created_on),
        "entered_bucket_on": _iso(opp.entered_bucket_on),
        "last_touched_on": _iso(opp.last_touched_on),
        "moves": [_move(m) for m in history.moves],
        "activities": [_activity(a) for a in history.activities],
    }


def complete_export(
    histories: Iterable[DealHistory],
    prospecting: Sequence[Activity],
    criteria: Sequence[Criterion],
    settings: Mapping[str, str],
    today: date,
    checkins: Sequence[date] = (),
) -> dict[str, Any]:
    """Everything in the database as one JSON object (SPEC §4 "Export is complete")."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_on": today.isoformat(),
        "settings": dict(sorted(settings.items())),
        "criteria": [{"id": c.id, "name": c.name, "kind": c.kind.value, "weight": c.weight} for c in criteria],
        "deals": [deal_record(h) for h in histories],
        "prospecting": [_activity(a) for a in prospecting],
        "checkins": [day.isoformat() for day in checkins],
    }


def write_complete_json(export: Mapping[str, Any], file: IO[str], *, ascii_only: bool = False) -> int:
    """Write a complete export; return the number of deals. `ascii_only` writes non-ASCII
    characters as \\uXXXX escapes (the same JSON), for a stream that is not UTF-8."""
    json.dump(export, file, ensure_ascii=ascii_only, indent=2)
    file.write("\n")
    return len(export["deals"])
