"""Reading a JSON export back (SPEC §4 "Export is complete"): everything, checked like any input.

A complete export (`planner export --format json`) is an object holding the deals with their
whole history, the prospecting work, the settings and the criteria. A JSON list of deals keyed
like the CSV columns (`planner list --json`, older exports) is read as rows of a table.
Every value goes through the same parsers as typed input; any problem and nothing is imported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from planner.domain.models import (
    Activity,
    ActivityKind,
    Bucket,
    Criterion,
    CriterionKind,
    DealHistory,
    Influence,
    Move,
    Opportunity,
    Role,
)
from planner.domain.parse import MAX_FIELD, MAX_NOTES, clean_text, clean_title, quoted, read_amount
from planner.domain.settings import SETTING_SPECS, parse_setting, parse_user_split
from planner.errors import BadInput
from planner.importing.export import FORMAT, VERSION
from planner.importing.problems import ImportProblem, Problems
from planner.importing.reading import MAX_FILE_BYTES, Table
from planner.importing.rows import IdsSource, ImportOptions, ImportPlan, read_table


def looks_like_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def read_json(data: bytes, today: date, options: ImportOptions, existing_ids: IdsSource) -> ImportPlan:
    if len(data) > MAX_FILE_BYTES:
        raise ImportProblem([f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB"])
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportProblem(["the JSON file is not UTF-8 text"]) from None
    except json.JSONDecodeError as error:
        raise ImportProblem([f"line {error.lineno}: this is not valid JSON ({error.msg})"]) from None
    except RecursionError:
        raise ImportProblem(["the JSON is nested too deeply to be an export"]) from None
    if isinstance(document, list):
        return _rows(document, today, options, existing_ids)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportProblem(
            ["this JSON is not a planner export (made by 'planner export --format json') nor a list of deals"]
        )
    if not isinstance(document.get("version"), int) or document["version"] > VERSION:
        raise ImportProblem([f"this export is version {document.get('version')!s}; this planner reads version {VERSION}"])
    return _complete(document, options, existing_ids)


def _rows(items: list, today: date, options: ImportOptions, existing_ids: IdsSource) -> ImportPlan:
    """A list of deals keyed like the CSV columns, read as a table (item N = the Nth deal)."""
    header: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            raise ImportProblem(["a JSON list to import holds one object per deal"])
        for key in item:
            if key not in header and isinstance(key, str):
                header.append(key)

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float, str)):
            return str(value)
        return json.dumps(value, ensure_ascii=False)

    records = iter([(1, header)] + [(n, [cell(item.get(k)) for k in header]) for n, item in enumerate(items, start=2)])
    return read_table(Table(records, "json", "JSON", ","), today, options, existing_ids)


def _complete(document: Mapping[str, Any], options: ImportOptions, existing_ids: IdsSource) -> ImportPlan:
    problems = Problems("deal")
    criteria = _criteria(document.get("criteria", []), problems)
    known_criteria = {c.id for c in criteria}
    histories: list[DealHistory] = []
    deals = document.get("deals", [])
    if not isinstance(deals, list):
        raise ImportProblem(["'deals' must be a list"])
    seen: dict[int, int] = {}
    for number, raw in enumerate(deals, start=1):
        try:
            history = _deal(raw, known_criteria)
        except BadInput as error:
            problems.add(number, str(error))
            continue
        opp_id = history.opportunity.id
        if opp_id in seen:
            problems.add(number, f"id {opp_id} is also deal {seen[opp_id]}")
            continue
        seen[opp_id] = number
        histories.append(history)
    prospecting: list[Activity] = []
    for number, raw in enumerate(document.get("prospecting", []) or [], start=1):
        try:
            prospecting.append(_activity(raw, None))
        except BadInput as error:
            problems.whole_file(f"prospecting activity {number}: {error}")
    settings = _settings(document.get("settings", {}), problems)
    checkins = _checkins(document.get("checkins", []) or [], problems)
    problems.raise_if_any()

    plan = ImportPlan(source="a complete planner export (JSON)")
    existing = existing_ids() if callable(existing_ids) else existing_ids
    clashing = [h.opportunity.id for h in histories if h.opportunity.id in existing]
    if options.update:
        unknown = [h.opportunity.id for h in histories if h.opportunity.id not in existing]
        if unknown:
            shown = ", ".join(str(i) for i in unknown[:5]) + (" …" if len(unknown) > 5 else "")
            ids = f"the id {shown} is" if len(unknown) == 1 else f"the ids {shown} are"
            raise ImportProblem([f"--update: {ids} not in this database"])
        fields = frozenset({"title", "account", "contact", "value_cents", "bucket", "first_contact", "expected_close",
                            "closed_on", "next_action", "next_action_due", "source", "notes", "lost_reason", "money",
                            "authority", "need", "criteria_met", "criteria_reviewed", "influences"})
        plan.updates = [(h.opportunity, fields) for h in histories]
        plan.notices.append("--update changes the deals' fields, influences and criteria met; their moves and "
                            "activities stay as they are in the database")
        return plan
    if clashing:
        shown = ", ".join(str(i) for i in clashing[:5]) + (" …" if len(clashing) > 5 else "")
        deals, those = (f"the deal {shown} is", "it") if len(clashing) == 1 else (f"the deals {shown} are", "those deals")
        raise ImportProblem(
            [f"{deals} already in this database; import a complete export into an empty database (--db NEW.db), or "
             f"use --update to update {those}"]
        )
    plan.batch_extra = {"histories": histories, "prospecting": prospecting, "criteria": criteria, "checkins": checkins}
    if options.database_is_empty:
        plan.settings = settings
        if settings:
            listed = ", ".join(f"{key} {value}" for key, value in sorted(settings.items()))
            plan.setting_notices.append((f"the settings in the file were applied: {listed} (planner config shows them)",
                                         f"the settings in the file would be applied: {listed} (planner config shows "
                                         "them)"))
    elif settings:
        own = "this database has deals and settings of its own (planner config)"
        plan.setting_notices.append((f"the settings in the file were not applied: {own}",
                                     f"the settings in the file would not be applied: {own}"))
    return plan


def _text(value: Any, limit: int, what: str, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{what} must be text")
    return clean_text(value, limit, multiline=multiline, what=what)


def _day(value: Any, what: str) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadInput(f"{what} must be a day written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{what} {quoted(value)} is not a day written YYYY-MM-DD") from None


def _enum(kind: type, value: Any, what: str):
    try:
        return kind(value)
    except ValueError:
        raise BadInput(f"{what} {quoted(str(value))} is not one of {', '.join(m.value for m in kind)}") from None


def _deal(raw: Any, known_criteria: set[int | None]) -> DealHistory:
    if not isinstance(raw, dict):
        raise BadInput("a deal is an object")
    opp_id = raw.get("id")
    if not isinstance(opp_id, int) or isinstance(opp_id, bool) or not 0 < opp_id < 2**63:
        raise BadInput("a deal of a complete export has a positive whole id")
    value = raw.get("value", 0)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadInput("value must be a number")
    cents = read_amount(str(value)).cents if not isinstance(value, float) else read_amount(repr(value)).cents
    bucket = _enum(Bucket, raw.get("bucket", "above"), "bucket")
    met = raw.get("criteria_met", []) or []
    if not isinstance(met, list) or not all(isinstance(c, int) for c in met):
        raise BadInput("criteria_met must be a list of criterion ids")
    unknown = [c for c in met if c not in known_criteria]
    if unknown:
        raise BadInput(f"criteria_met names criterion {unknown[0]}, which is not among the file's criteria")
    influences = []
    for item in raw.get("influences", []) or []:
        if not isinstance(item, dict):
            raise BadInput("an influence is an object with name, role and covered")
        name = _text(item.get("name"), MAX_FIELD, "influence name")
        if not name:
            raise BadInput("an influence has no name")
        influences.append(Influence(name=name, role=_enum(Role, item.get("role"), "influence role"),
                                    covered=bool(item.get("covered", False))))
    opp = Opportunity(
        id=opp_id,
        title=clean_title(raw.get("title") if isinstance(raw.get("title"), str) else ""),
        bucket=bucket,
        account=_text(raw.get("account"), MAX_FIELD, "account"),
        contact=_text(raw.get("contact"), MAX_FIELD, "contact"),
        value_cents=cents,
        first_contact=_day(raw.get("first_contact"), "first_contact"),
        expected_close=_day(raw.get("expected_close"), "expected_close"),
        closed_on=_day(raw.get("closed_on"), "closed_on") if not bucket.is_open else None,
        next_action=_text(raw.get("next_action"), MAX_FIELD, "next_action"),
        next_action_due=_day(raw.get("next_action_due"), "next_action_due"),
        source=_text(raw.get("source"), MAX_FIELD, "source"),
        notes=_text(raw.get("notes"), MAX_NOTES, "notes", multiline=True),
        money=bool(raw.get("money", False)),
        authority=bool(raw.get("authority", False)),
        need=bool(raw.get("need", False)),
        lost_reason=_text(raw.get("lost_reason"), MAX_FIELD, "lost_reason") if bucket is Bucket.LOST else "",
        criteria_met=frozenset(met),
        # A deal with criteria ticked was reviewed (exports made before the mark existed).
        criteria_reviewed=bool(raw.get("criteria_reviewed", bool(met))),
        influences=tuple(influences),
        created_on=_day(raw.get("created_on"), "created_on"),
        entered_bucket_on=_day(raw.get("entered_bucket_on"), "entered_bucket_on"),
        last_touched_on=_day(raw.get("last_touched_on"), "last_touched_on"),
    )
    moves = []
    for item in raw.get("moves", []) or []:
        if not isinstance(item, dict):
            raise BadInput("a move is an object with from, to and at")
        start = item.get("from")
        at = item.get("at")
        try:
            instant = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(f"move time {quoted(str(at))} is not an ISO instant") from None
        moves.append(Move(opportunity_id=opp_id, from_bucket=_enum(Bucket, start, "move from") if start else None,
                          to_bucket=_enum(Bucket, item.get("to"), "move to"),
                          at=instant if instant.tzinfo else instant.replace(tzinfo=UTC)))
    if moves and moves[-1].to_bucket is not bucket:
        raise BadInput(f"its last move goes to {moves[-1].to_bucket.value}, but the deal is in {bucket.value}")
    activities = tuple(_activity(item, opp_id) for item in raw.get("activities", []) or [])
    return DealHistory(opp, tuple(moves), activities)


def _activity(raw: Any, opp_id: int | None) -> Activity:
    if not isinstance(raw, dict):
        raise BadInput("an activity is an object with kind, minutes, on, note and bucket")
    minutes = raw.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440:
        raise BadInput("an activity's minutes are a whole number from 1 to 1440")
    on = _day(raw.get("on"), "activity day")
    if on is None:
        raise BadInput("an activity has a day")
    return Activity(kind=_enum(ActivityKind, raw.get("kind"), "activity kind"), minutes=minutes, on=on,
                    opportunity_id=opp_id, note=_text(raw.get("note"), MAX_NOTES, "activity note", multiline=True),
                    bucket=_enum(Bucket, raw.get("bucket", "above"), "activity bucket"))


def _criteria(raw: Any, problems: Problems) -> list[Criterion]:
    out = []
    if not isinstance(raw, list):
        problems.whole_file("'criteria' must be a list")
        return out
    for number, item in enumerate(raw, start=1):
        try:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                raise BadInput("a criterion is an object with id, name, kind and weight")
            weight = item.get("weight", 1)
            if not isinstance(weight, int) or not 1 <= weight <= 3:
                raise BadInput("a criterion's weight is 1, 2 or 3")
            out.append(Criterion(id=item["id"], name=clean_title(str(item.get("name", "")), what="criterion name"),
                                 kind=_enum(CriterionKind, item.get("kind", "demographic"), "criterion kind"),
                                 weight=weight))
        except BadInput as error:
            problems.whole_file(f"criterion {number}: {error}")
    return out


def _checkins(raw: Any, problems: Problems) -> list[date]:
    if not isinstance(raw, list):
        problems.whole_file("'checkins' must be a list of days")
        return []
    days = []
    for value in raw:
        try:
            day = _day(value, "check-in day")
        except BadInput as error:
            problems.whole_file(str(error))
            continue
        if day is not None:
            days.append(day)
    return days


def _settings(raw: Any, problems: Problems) -> dict[str, str]:
    if not isinstance(raw, dict):
        problems.whole_file("'settings' must be an object")
        return {}
    out = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            problems.whole_file(f"setting {quoted(str(key))} must be text")
            continue
        if key == "user_split":
            if parse_user_split(value) is None:
                problems.whole_file(f"setting user_split {quoted(value)} is not a split")
                continue
        elif key in SETTING_SPECS:
            try:
                parse_setting(key, value)
            except BadInput as error:
                problems.whole_file(str(error))
                continue
        else:
            problems.whole_file(f"unknown setting {quoted(str(key))}")
            continue
        out[key] = value
    return out
