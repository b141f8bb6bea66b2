"""The repository: every read and write of the planner's data, returning domain objects.

CONTRACT (the CLI and the UI rely on these signatures; the store owns the bodies).
Runs on the standard-library `sqlite3` driver so start-up and `planner status` never pay for the ORM;
the SQLModel tables in `planner.store.tables` are the schema of record (creation and migrations).
Every public method that changes data is one transaction: it commits wholly or not at all.

Days are stored as ISO text. A move's instant is the user's day (which honours PLANNER_TODAY) at
the current UTC time of day: the day of a move is then always the day the user did it, and moves
made on one day keep their real order.
"""

from __future__ import annotations

import sqlite3
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from planner.domain.cycle import median_of_middle, middle_offset
from planner.domain.models import (
    OPEN_BUCKETS,
    Activity,
    ActivityKind,
    Bucket,
    BucketHistory,
    Criterion,
    CriterionKind,
    CycleBin,
    DealHistory,
    FunnelSnapshot,
    History,
    ImportBatch,
    ImportResult,
    Influence,
    Move,
    Opportunity,
    Role,
)
from planner.domain.settings import (
    SETTING_SPECS,
    Settings,
    settings_from_mapping,
    settings_to_mapping,
)
from planner.errors import BadInput, NotFound, Stale
from planner.store.connection import Database
from planner.domain.cycle import RECENT_WINS
from planner.store.migrations import (
    DENORMALISE_SQL,
    FINISHED_STAY_SQL,
    OUTCOME_COUNT,
    STAY_COUNT,
    WON_CYCLE_DAYS_SQL,
    WON_CYCLE_WHERE,
    derive_history,
    measure_stays,
    summary_indexes,
)


@dataclass(frozen=True, slots=True)
class DealState:
    """Everything about one opportunity at one moment (row, influences, criteria met, moves,
    activities), or its absence (`opportunity is None`), so any change can be undone by `restore`."""

    opportunity_id: int
    opportunity: Opportunity | None
    moves: tuple[Move, ...] = ()
    activities: tuple[Activity, ...] = ()


@dataclass(frozen=True, slots=True)
class CriterionState:
    """One ideal-customer criterion at one moment (or its absence), with the deals that meet it."""

    criterion_id: int
    criterion: Criterion | None
    met_by: frozenset[int] = frozenset()


def plain(opp: Opportunity | None) -> Opportunity | None:
    """The deal as its user and other instances change it: without the two days the store derives
    from its history (entered its bucket, last touched), which logging time elsewhere moves."""
    if opp is None:
        return None
    return replace(opp, entered_bucket_on=None, last_touched_on=None)


def same_deal(a: DealState, b: DealState, *, activities: bool) -> bool:
    """Whether nothing about the deal changed between `a` and `b`: its fields, influences,
    criteria met and moves (and its activities, when `activities`)."""
    if a.opportunity is None or b.opportunity is None:
        return a.opportunity is None and b.opportunity is None
    return (plain(a.opportunity) == plain(b.opportunity) and a.moves == b.moves
            and (not activities or a.activities == b.activities))


def week_hours_key(monday: date) -> str:
    """The setting that holds one week's selling hours when the user set them for that week only
    (SPEC §2 "Weekly plan"); the normal week stays `hours_per_week`."""
    return f"week_hours.{monday.isoformat()}"


_OPP_COLUMNS = (
    "o.id, o.title, o.bucket, o.account, o.contact, o.value_cents, o.first_contact, o.expected_close, "
    "o.closed_on, o.next_action, o.next_action_due, o.source, o.notes, o.money, o.authority, o.need, "
    "o.lost_reason, o.created_on, o.entered_bucket_on, o.last_touched_on, o.criteria_reviewed"
)
_INSERT_OPP = (
    "INSERT INTO opportunity (id, title, bucket, account, contact, value_cents, first_contact, expected_close, "
    "closed_on, next_action, next_action_due, source, notes, money, authority, need, lost_reason, created_on, "
    "entered_bucket_on, last_touched_on, entry_bucket, top_bucket, lost_from, criteria_reviewed) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_MOVE = "INSERT INTO move (id, opportunity_id, from_bucket, to_bucket, at) VALUES (?,?,?,?,?)"
_INSERT_ACTIVITY = (
    "INSERT INTO activity (id, opportunity_id, kind, minutes, day, note, bucket) VALUES (?,?,?,?,?,?,?)"
)
_INSERT_INFLUENCE = "INSERT INTO influence (id, opportunity_id, name, role, covered) VALUES (?,?,?,?,?)"
_INSERT_MET = (
    "INSERT OR IGNORE INTO opportunity_criterion (opportunity_id, criterion_id) "
    "SELECT ?, id FROM criterion WHERE id = ?"
)
# Funnel order, then what is due first (no date last), then age.
_ORDER = (
    "CASE o.bucket WHEN 'above' THEN 0 WHEN 'in' THEN 1 WHEN 'best_few' THEN 2 WHEN 'won' THEN 3 ELSE 4 END, "
    "o.next_action_due IS NULL, o.next_action_due, o.id"
)
_OPEN_SQL = "o.bucket IN ('above', 'in', 'best_few')"
_SETTING_KEYS = (*SETTING_SPECS, "user_split")
_SUMMARY_BUCKETS = tuple(b.value for b in OPEN_BUCKETS)
# Deals kept built between reads (a funnel holds at most a few hundred open deals).
_OPPORTUNITY_CACHE = 5_000
# The open buckets top first (a deal's outcome in each follows from its top bucket and where it closed).
_RANK = {"above": 0, "in": 1, "best_few": 2}


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_DAYS: dict[str, date] = {}


def _parse_day(text: str | None) -> date | None:
    # Reading a big funnel parses hundreds of thousands of day strings with few distinct values.
    if not text:
        return None
    day = _DAYS.get(text)
    if day is None:
        if len(_DAYS) > 100_000:
            _DAYS.clear()
        day = _DAYS[text] = date.fromisoformat(text)
    return day


def _instant(on: date) -> str:
    """The user's day at the current UTC time of day, as sortable ISO text."""
    now = datetime.now(UTC)
    return f"{on.isoformat()}T{now:%H:%M:%S.%f}Z"


def _format_instant(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _week_hours(text: str | None) -> float | None:
    """A week's stored hours, or None when unset or not valid (then the normal week applies)."""
    if text is None:
        return None
    from planner.domain.settings import parse_setting

    try:
        return float(parse_setting("hours_per_week", text))
    except BadInput:
        return None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _opp_row(opp: Opportunity, opp_id: int | None, *, created: str, entered: str | None, touched: str | None) -> tuple:
    """The row of `_INSERT_OPP`. A new deal entered the planner in its bucket; that is also the
    highest it has been (none if it came in closed); the history columns of a deal put back by
    `restore` are derived from its moves afterwards."""
    return (
        opp_id,
        opp.title,
        opp.bucket.value,
        opp.account,
        opp.contact,
        opp.value_cents,
        _day(opp.first_contact),
        _day(opp.expected_close),
        _day(opp.closed_on),
        opp.next_action,
        _day(opp.next_action_due),
        opp.source,
        opp.notes,
        int(bool(opp.money)),
        int(bool(opp.authority)),
        int(bool(opp.need)),
        opp.lost_reason,
        created,
        entered,
        touched,
        opp.bucket.value,  # entry_bucket
        opp.bucket.value if opp.bucket.is_open else None,  # top_bucket
        None,  # lost_from
        int(bool(opp.criteria_reviewed)),
    )


_BUCKETS = {b.value: b for b in Bucket}
_NO_CRITERIA: frozenset[int] = frozenset()


def _to_opportunity(row: tuple, influences: Sequence[Influence], met: Iterable[int]) -> Opportunity:
    # Positional, in the field order of Opportunity: this runs once per deal on every snapshot.
    return Opportunity(
        row[1],  # title
        row[0],  # id
        _BUCKETS[row[2]],
        row[3],  # account
        row[4],  # contact
        row[5],  # value_cents
        _parse_day(row[6]),  # first_contact
        _parse_day(row[7]),  # expected_close
        _parse_day(row[8]),  # closed_on
        row[9],  # next_action
        _parse_day(row[10]),  # next_action_due
        row[11],  # source
        row[12],  # notes
        row[13] == 1,  # money
        row[14] == 1,  # authority
        row[15] == 1,  # need
        row[16],  # lost_reason
        frozenset(met) if met else _NO_CRITERIA,
        tuple(influences),
        _parse_day(row[17]),  # created_on
        _parse_day(row[18]),  # entered_bucket_on
        _parse_day(row[19]),  # last_touched_on
        row[20] == 1,  # criteria_reviewed
    )


_BUCKET_ORDER = {Bucket.ABOVE: 0, Bucket.IN: 1, Bucket.BEST_FEW: 2, Bucket.WON: 3}


def _open_order(opp: Opportunity) -> tuple:
    """The sort key of _ORDER (ISO day text sorts as the dates do)."""
    due = opp.next_action_due
    return (_BUCKET_ORDER.get(opp.bucket, 4), due is None, due or date.min, opp.id)


def _move_row(m: Move, opp_id: int) -> tuple:
    return (m.id, opp_id, m.from_bucket.value if m.from_bucket else None, m.to_bucket.value, _format_instant(m.at))


def _activity_row(a: Activity, opp_id: int | None) -> tuple:
    return (a.id, opp_id, a.kind.value, a.minutes, a.on.isoformat(), a.note, a.bucket.value)


def _finished(left: str, entered: str) -> bool:
    """A stay that left forward (further down, or won) or was lost: finished (SPEC §3.2). The
    same test as migrations.FINISHED_STAY_SQL."""
    return entered in ("won", "lost") or _RANK.get(entered, -1) > _RANK.get(left, 3)


def _pass_counts(outcomes: Iterable[tuple]) -> tuple[dict[str, int], dict[str, int]]:
    """Per open bucket, closed deals that passed it and deals lost from it (SPEC §3.2), from the
    number of closed deals per (top bucket, won/lost, bucket lost from). A won deal passed every
    bucket from its top down, skipped ones included; a lost deal passed those above the bucket it
    was lost from and failed there; the buckets below, which it left by moving back up, count
    nothing (a move back is neither). A deal never open, or lost from no open bucket, counts nowhere."""
    passed = dict.fromkeys(_SUMMARY_BUCKETS, 0)
    failed = dict.fromkeys(_SUMMARY_BUCKETS, 0)
    for top, closed, lost_from, n in outcomes:
        first = _RANK.get(top)
        if first is None or not n:
            continue
        if closed == "won":
            last = len(_SUMMARY_BUCKETS)
        elif closed == "lost" and lost_from in _RANK and _RANK[lost_from] >= first:
            last = _RANK[lost_from]
            failed[lost_from] += n
        else:
            continue
        for bucket in _SUMMARY_BUCKETS[first:last]:
            passed[bucket] += n
    return passed, failed


def _to_move(row: tuple) -> Move:
    return Move(
        id=row[0],
        opportunity_id=row[1],
        from_bucket=Bucket(row[2]) if row[2] else None,
        to_bucket=Bucket(row[3]),
        at=_parse_instant(row[4]),
    )


def _to_activity(row: tuple) -> Activity:
    return Activity(
        id=row[0],
        opportunity_id=row[1],
        kind=ActivityKind(row[2]),
        minutes=row[3],
        on=date.fromisoformat(row[4]),
        note=row[5],
        bucket=Bucket(row[6]),
    )


class Repository:
    """Open with `planner.store.open_repository(spec)`; close with `close()` (or use as a context manager)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._summary_indexes: set[str] | None = None  # which of migrations.SUMMARY_INDEXES exist
        self._opportunities: dict[tuple, Opportunity] = {}  # rows read → the deal built from them
        # The stored settings as `settings()` last read them (or `save_settings` last wrote them):
        # what a caller's copy was made from, so saving it writes only the keys the caller changed.
        self._settings_base: dict[str, str] | None = None

    @property
    def path(self) -> Path:
        """The database file."""
        return self._db.path

    @property
    def read_only(self) -> bool:
        """True when the file (or its folder) is not writable: reads work, writes raise DatabaseProblem."""
        return self._db.read_only

    @property
    def notice(self) -> str | None:
        """A one-line note about how the file was opened, for the user (e.g. read-only because its
        disk is full: reads, exports and backups to another disk still work); None as usual."""
        return self._db.notice

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- settings ---------------------------------------------------------------------------
    def settings(self) -> Settings:
        with self._db.read() as conn:
            mapping = dict(conn.execute("SELECT key, value FROM setting").fetchall())
        self._settings_base = {k: v for k, v in mapping.items() if k in _SETTING_KEYS}
        return settings_from_mapping(mapping)

    @staticmethod
    def _settings(conn: sqlite3.Connection) -> Settings:
        return settings_from_mapping(dict(conn.execute("SELECT key, value FROM setting").fetchall()))

    def save_settings(self, settings: Settings) -> None:
        """Store what differs from the defaults; keys back at their default are removed.

        Only the keys that differ from the copy `settings()` last returned are written: another
        instance may have changed other settings since that copy was read (SPEC §6, two instances)."""
        mapping = settings_to_mapping(settings)
        base = self._settings_base
        keys = [k for k in _SETTING_KEYS if base is None or mapping.get(k) != base.get(k)]
        if keys:
            with self._db.write() as conn:
                conn.execute(f"DELETE FROM setting WHERE key IN ({','.join('?' * len(keys))})", keys)
                conn.executemany("INSERT INTO setting (key, value) VALUES (?, ?)",
                                 [(k, mapping[k]) for k in keys if k in mapping])
        self._settings_base = mapping

    # --- opportunities ----------------------------------------------------------------------
    def add(self, opp: Opportunity, *, on: date) -> int:
        """Insert (with its influences and criteria met) and record the creation move; return the id."""
        with self._db.write() as conn:
            return self._insert_new(conn, opp, on)

    def _insert_new(self, conn: sqlite3.Connection, opp: Opportunity, on: date) -> int:
        day = on.isoformat()
        closed = _day(opp.closed_on or on) if not opp.bucket.is_open else None
        row = _opp_row(opp, None, created=day, entered=day, touched=day)
        row = row[:8] + (closed,) + row[9:]
        cur = conn.execute(_INSERT_OPP, row)
        opp_id = cur.lastrowid
        conn.execute(_INSERT_MOVE, (None, opp_id, None, opp.bucket.value, _instant(on)))
        self._write_influences(conn, opp_id, opp.influences, keep_ids=set())
        conn.executemany(_INSERT_MET, [(opp_id, c) for c in sorted(opp.criteria_met)])
        return opp_id

    def get(self, opp_id: int) -> Opportunity:
        """Raise NotFound (a BadInput) for an unknown id."""
        with self._db.read() as conn:
            found = self._load(conn, "o.id = ?", (opp_id,))
        if not found:
            raise NotFound(f"no opportunity with id {opp_id}")
        return found[0]

    def update(self, opp: Opportunity) -> None:
        """Write every field, influences and criteria met of an existing opportunity (not its bucket).

        Changing which criteria it meets marks its criteria reviewed (SPEC §3.4), as does
        `opp.criteria_reviewed`; an update never un-reviews a deal."""
        if opp.id is None:
            raise NotFound("cannot update an opportunity that has no id")
        with self._db.write() as conn:
            self._require(conn, opp.id)
            stored = {r[0] for r in conn.execute(
                "SELECT criterion_id FROM opportunity_criterion WHERE opportunity_id = ?", (opp.id,))}
            first = conn.execute("SELECT first_contact FROM opportunity WHERE id = ?", (opp.id,)).fetchone()[0]
            self._write_fields(conn, opp, reviewed=self._reviewed(conn, opp, stored))
            if first != _day(opp.first_contact):
                measure_stays(conn, opp.id)  # it can say when the deal's first stay began (censored or not)
            self._replace_influences(conn, opp.id, opp.influences)
            self._replace_met(conn, opp.id, opp.criteria_met)

    @staticmethod
    def _reviewed(conn: sqlite3.Connection, opp: Opportunity, stored_met: set[int]) -> bool:
        """Whether the deal's criteria count as reviewed after a change (SPEC §3.4): when it says so,
        when it was already, or when the change touches which criteria it meets. A change never
        un-reviews a deal; only undo puts the mark back as it was (`restore_deal`)."""
        row = conn.execute("SELECT criteria_reviewed FROM opportunity WHERE id = ?", (opp.id,)).fetchone()
        return bool(opp.criteria_reviewed) or bool(row and row[0]) or stored_met != set(opp.criteria_met)

    @staticmethod
    def _write_fields(conn: sqlite3.Connection, opp: Opportunity, *, reviewed: bool) -> None:
        conn.execute(
            "UPDATE opportunity SET title=?, account=?, contact=?, value_cents=?, first_contact=?, "
            "expected_close=?, closed_on=?, next_action=?, next_action_due=?, source=?, notes=?, money=?, "
            "authority=?, need=?, lost_reason=?, criteria_reviewed=? WHERE id=?",
            (
                opp.title,
                opp.account,
                opp.contact,
                opp.value_cents,
                _day(opp.first_contact),
                _day(opp.expected_close),
                _day(opp.closed_on),
                opp.next_action,
                _day(opp.next_action_due),
                opp.source,
                opp.notes,
                int(bool(opp.money)),
                int(bool(opp.authority)),
                int(bool(opp.need)),
                opp.lost_reason,
                int(reviewed),
                opp.id,
            ),
        )

    def delete(self, opp_id: int) -> DealState:
        """Delete with its influences, moves and activities; return what was there (for undo)."""
        with self._db.write() as conn:
            state = self._capture(conn, opp_id)
            if state.opportunity is None:
                raise NotFound(f"no opportunity with id {opp_id}")
            conn.execute("DELETE FROM opportunity WHERE id = ?", (opp_id,))
            return state

    def list(self, bucket: Bucket | None = None, *, search: str = "") -> list[Opportunity]:
        """Opportunities ordered by bucket then next_action_due (None last) then id.

        `search` matches title, account, contact, next action, source and notes (case-insensitive for ASCII)."""
        where, params = ["1"], []
        if bucket is not None:
            where.append("o.bucket = ?")
            params.append(bucket.value)
        if search.strip():
            pattern = _like(search.strip())
            fields = ("title", "account", "contact", "next_action", "source", "notes")
            where.append("(" + " OR ".join(f"o.{f} LIKE ? ESCAPE '\\'" for f in fields) + ")")
            params.extend([pattern] * len(fields))
        with self._db.read() as conn:
            return self._load(conn, " AND ".join(where), tuple(params))

    def closed_deals(self, *, outcome: Bucket | None = None, search: str = "",
                     limit: int = 500) -> tuple[list[Opportunity], int]:
        """Won and lost deals (or only `outcome`'s), the latest closed first, at most `limit` of
        them; and how many match in all. `search` matches title, account, contact, lost reason,
        source and notes (case-insensitive for ASCII)."""
        buckets = [outcome.value] if outcome is not None else [Bucket.WON.value, Bucket.LOST.value]
        # `+o.bucket`: read the table in one pass rather than through the bucket index, which
        # would be a lookup per row for what is most of the table (3× faster with 100,000 closed).
        where = [f"+o.bucket IN ({','.join('?' * len(buckets))})"]
        params: list = list(buckets)
        if search.strip():
            pattern = _like(search.strip())
            fields = ("title", "account", "contact", "lost_reason", "source", "notes")
            where.append("(" + " OR ".join(f"o.{f} LIKE ? ESCAPE '\\'" for f in fields) + ")")
            params.extend([pattern] * len(fields))
        matching = " AND ".join(where)
        order = "o.closed_on DESC, o.id DESC"
        with self._db.read() as conn:
            if search.strip():  # one pass counts the matches and keeps the latest
                rows = conn.execute(f"SELECT o.id, count(*) OVER () FROM opportunity o WHERE {matching} "
                                    f"ORDER BY {order} LIMIT ?", (*params, max(1, limit))).fetchall()
                total = rows[0][1] if rows else 0
            else:  # counted from the bucket index
                rows = conn.execute(f"SELECT o.id FROM opportunity o WHERE {matching} ORDER BY {order} LIMIT ?",
                                    (*params, max(1, limit))).fetchall()
                total = conn.execute(f"SELECT count(*) FROM opportunity WHERE bucket IN "
                                     f"({','.join('?' * len(buckets))})", buckets).fetchone()[0]
            shown = [row[0] for row in rows[:max(0, limit)]]
            if not shown:
                return [], total
            return self._load(conn, f"o.id IN ({','.join('?' * len(shown))})", tuple(shown), order=order), total

    def closed_totals(self) -> dict[Bucket, tuple[int, int]]:
        """Won and lost: (number of deals, their value in cents)."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT bucket, count(*), coalesce(sum(value_cents), 0) FROM opportunity "
                                "WHERE bucket IN ('won', 'lost') GROUP BY bucket").fetchall()
        totals = {Bucket.WON: (0, 0), Bucket.LOST: (0, 0)}
        totals.update({Bucket(bucket): (count, value) for bucket, count, value in rows})
        return totals

    def open_deals(self) -> list[Opportunity]:
        with self._db.read() as conn:
            return self._load(conn, _OPEN_SQL, ())

    def move(self, opp_id: int, to: Bucket, *, on: date, reason: str = "") -> Move:
        """Change bucket, record the move; won/lost set closed_on (and lost_reason).

        Moving back to an open bucket reopens the deal (closed_on and lost_reason cleared).
        Moving to the bucket it is already in is BadInput (it would split the stay in two)."""
        with self._db.write() as conn:
            row = conn.execute("SELECT bucket FROM opportunity WHERE id = ?", (opp_id,)).fetchone()
            if row is None:
                raise NotFound(f"no opportunity with id {opp_id}")
            before = Bucket(row[0])
            if before is to:
                raise BadInput(f"opportunity {opp_id} is already in {to.label}")
            return self._move(conn, opp_id, before, to, on=on, reason=reason)

    @staticmethod
    def _move(conn: sqlite3.Connection, opp_id: int, before: Bucket, to: Bucket, *, on: date, reason: str = "",
              closed_on: date | None = None) -> Move:
        day = on.isoformat()
        at = _instant(on)
        top = conn.execute("SELECT top_bucket FROM opportunity WHERE id = ?", (opp_id,)).fetchone()[0]
        if to.is_open and (top is None or _RANK[to.value] < _RANK.get(top, 3)):
            top = to.value  # the highest bucket it has been in (migrations.DERIVE_HISTORY_SQL)
        cur = conn.execute(_INSERT_MOVE, (None, opp_id, before.value, to.value, at))
        measure_stays(conn, opp_id)
        conn.execute(
            "UPDATE opportunity SET bucket = ?, closed_on = ?, lost_reason = ?, entered_bucket_on = ?, "
            "last_touched_on = MAX(COALESCE(last_touched_on, ''), ?), top_bucket = ?, lost_from = ? WHERE id = ?",
            (
                to.value,
                None if to.is_open else _day(closed_on or on),
                reason if to is Bucket.LOST else "",
                day,
                day,
                top,
                before.value if to is Bucket.LOST else None,
                opp_id,
            ),
        )
        return Move(opportunity_id=opp_id, from_bucket=before, to_bucket=to, at=_parse_instant(at), id=cur.lastrowid)

    # --- influences, criteria ---------------------------------------------------------------
    def set_influences(self, opp_id: int, influences: Sequence[Influence]) -> None:
        """Replace the deal's buying influences (ids of its own influences are kept)."""
        with self._db.write() as conn:
            self._require(conn, opp_id)
            self._replace_influences(conn, opp_id, influences)

    def criteria(self) -> list[Criterion]:
        with self._db.read() as conn:
            return self._criteria(conn)

    @staticmethod
    def _criteria(conn: sqlite3.Connection) -> list[Criterion]:
        return [
            Criterion(id=r[0], name=r[1], kind=CriterionKind(r[2]), weight=r[3])
            for r in conn.execute("SELECT id, name, kind, weight FROM criterion ORDER BY id")
        ]

    def save_criterion(self, criterion: Criterion) -> int:
        """Insert a new criterion (id None) or update an existing one; return its id."""
        values = (criterion.name, criterion.kind.value, criterion.weight)
        with self._db.write() as conn:
            if criterion.id is None:
                return conn.execute("INSERT INTO criterion (name, kind, weight) VALUES (?, ?, ?)", values).lastrowid
            cur = conn.execute("UPDATE criterion SET name = ?, kind = ?, weight = ? WHERE id = ?", (*values, criterion.id))
            if cur.rowcount == 0:
                raise NotFound(f"no ideal-customer criterion with id {criterion.id}")
            return criterion.id

    def delete_criterion(self, criterion_id: int) -> None:
        with self._db.write() as conn:
            if conn.execute("DELETE FROM criterion WHERE id = ?", (criterion_id,)).rowcount == 0:
                raise NotFound(f"no ideal-customer criterion with id {criterion_id}")

    def set_criteria_met(self, opp_id: int, criterion_ids: Iterable[int]) -> None:
        ids = sorted(set(criterion_ids))
        with self._db.write() as conn:
            self._require(conn, opp_id)
            known = {r[0] for r in conn.execute("SELECT id FROM criterion")}
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise NotFound(f"no ideal-customer criterion with id {unknown[0]}")
            self._replace_met(conn, opp_id, ids)
            conn.execute("UPDATE opportunity SET criteria_reviewed = 1 WHERE id = ?", (opp_id,))

    def set_criteria_reviewed(self, opp_id: int, reviewed: bool = True) -> None:
        """Mark the deal's ideal-customer criteria as reviewed (or not): until they are, its fit is
        "not assessed" and it is never flagged `poor_fit` (SPEC §3.4)."""
        with self._db.write() as conn:
            self._require(conn, opp_id)
            conn.execute("UPDATE opportunity SET criteria_reviewed = ? WHERE id = ?", (int(reviewed), opp_id))

    # --- activities and history -------------------------------------------------------------
    def log(self, activity: Activity) -> int:
        """Insert; `activity.bucket` is filled from the deal's bucket (Above for no deal)."""
        with self._db.write() as conn:
            return self._log(conn, activity)

    @staticmethod
    def _log(conn: sqlite3.Connection, activity: Activity) -> int:
        day = activity.on.isoformat()
        bucket = Bucket.ABOVE
        if activity.opportunity_id is not None:
            row = conn.execute("SELECT bucket FROM opportunity WHERE id = ?", (activity.opportunity_id,)).fetchone()
            if row is None:
                raise NotFound(f"no opportunity with id {activity.opportunity_id}")
            bucket = Bucket(row[0])
            conn.execute(
                "UPDATE opportunity SET last_touched_on = MAX(COALESCE(last_touched_on, ''), ?) WHERE id = ?",
                (day, activity.opportunity_id),
            )
        cur = conn.execute(
            _INSERT_ACTIVITY,
            (None, activity.opportunity_id, activity.kind.value, activity.minutes, day, activity.note, bucket.value),
        )
        return cur.lastrowid

    def delete_activity(self, activity_id: int) -> None:
        with self._db.write() as conn:
            row = conn.execute("SELECT opportunity_id FROM activity WHERE id = ?", (activity_id,)).fetchone()
            if row is None:
                raise NotFound(f"no activity with id {activity_id}")
            conn.execute("DELETE FROM activity WHERE id = ?", (activity_id,))
            if row[0] is not None:
                conn.execute(DENORMALISE_SQL + " WHERE id = ?", (row[0],))

    def activities(self, opp_id: int | None = None, *, limit: int = 200) -> list[Activity]:
        """The latest activities first: of one deal, or of all work when `opp_id` is None."""
        sql = "SELECT id, opportunity_id, kind, minutes, day, note, bucket FROM activity"
        params: tuple = ()
        if opp_id is not None:
            sql += " WHERE opportunity_id = ?"
            params = (opp_id,)
        sql += " ORDER BY day DESC, id DESC LIMIT ?"
        with self._db.read() as conn:
            return [_to_activity(r) for r in conn.execute(sql, (*params, limit))]

    def moves(self, opp_id: int) -> list[Move]:
        """The deal's moves, oldest first (the first one is its creation)."""
        with self._db.read() as conn:
            return self._moves(conn, opp_id)

    @staticmethod
    def _moves(conn: sqlite3.Connection, opp_id: int) -> list[Move]:
        rows = conn.execute(
            "SELECT id, opportunity_id, from_bucket, to_bucket, at FROM move WHERE opportunity_id = ? ORDER BY at, id",
            (opp_id,),
        )
        return [_to_move(r) for r in rows]

    def minutes_by_bucket(self, start: date, end: date) -> dict[Bucket, int]:
        """Minutes logged with start <= on < end, per open bucket."""
        with self._db.read() as conn:
            return self._minutes(conn, start, end)

    @staticmethod
    def _minutes(conn: sqlite3.Connection, start: date, end: date) -> dict[Bucket, int]:
        out = {b: 0 for b in OPEN_BUCKETS}
        rows = conn.execute(
            "SELECT bucket, SUM(minutes) FROM activity WHERE day >= ? AND day < ? GROUP BY bucket",
            (start.isoformat(), end.isoformat()),
        )
        for bucket, minutes in rows:
            if bucket in out:
                out[Bucket(bucket)] = int(minutes)
        return out

    def history(self) -> History:
        """What the funnel's own past says (SPEC §1 normal cycle, §3.1 measured R_s and p_s)."""
        with self._db.read() as conn:
            return self._history(conn)

    def _history(self, conn: sqlite3.Connection) -> History:
        """SPEC §3.2 as summaries: a few statements and a few dozen rows whatever the length of the
        history. The cycle is the median over the most recent 25 measurable wins; pass rates count
        one outcome per closed deal per bucket (kept in `outcome_count`, from each deal's top
        bucket and where it closed); stays are the finished ones (left forward or lost), counted in
        `stay_count`. SQLite has no median aggregate, so each median is read from the middle of an
        index ordered by the value (LIMIT 1 or 2 OFFSET (n-1)/2; migrations.SUMMARY_INDEXES)."""
        present = self._present(conn)
        recent = self._recent_wins(conn, RECENT_WINS + 1, "1")
        measurable = conn.execute(f"SELECT count(*) FROM ({recent})").fetchone()[0]
        cycle_samples = min(RECENT_WINS, measurable)
        if STAY_COUNT in present:  # kept by triggers: a dozen rows
            pairs = conn.execute("SELECT from_bucket, to_bucket, n FROM stay_count").fetchall()
        else:
            pairs = conn.execute(
                f"SELECT from_bucket, to_bucket, count(*) FROM move WHERE from_bucket IS NOT NULL "
                f"AND stay_days IS NOT NULL GROUP BY 1, 2").fetchall()
        stays = dict.fromkeys(_SUMMARY_BUCKETS, 0)
        for left, entered, n in pairs:
            if left in stays and _finished(left, entered):
                stays[left] += n
        if OUTCOME_COUNT in present:  # kept by triggers: a dozen rows
            outcomes = conn.execute("SELECT top_bucket, bucket, lost_from, n FROM outcome_count").fetchall()
        else:
            outcomes = conn.execute(
                "SELECT top_bucket, bucket, COALESCE(lost_from, ''), count(*) FROM opportunity "
                "WHERE bucket IN ('won', 'lost') AND top_bucket IS NOT NULL GROUP BY 1, 2, 3").fetchall()
        passed, failed = _pass_counts(outcomes)

        # (key, select of the ordered values, how many): the cycle ('') and each bucket's stays
        samples = [("", f"SELECT v FROM ({self._recent_wins(conn, RECENT_WINS, f'{WON_CYCLE_DAYS_SQL} AS v')})",
                    cycle_samples)] + [
            (b, f"SELECT stay_days AS v FROM move WHERE from_bucket = '{b}' AND {FINISHED_STAY_SQL}", stays[b])
            for b in _SUMMARY_BUCKETS
        ]
        parts, params = [], []
        for key, values, n in samples:
            if n:
                offset, limit = middle_offset(n)
                parts.append(f"SELECT * FROM (SELECT '{key}', v FROM ({values}) ORDER BY v LIMIT ? OFFSET ?)")
                params += [limit, offset]
        middles: dict[str, list[float]] = defaultdict(list)
        if parts:
            for key, value in conn.execute(" UNION ALL ".join(parts), params):
                # Stays are rounded as they always were (rounding keeps their order, so the middle
                # values are the same).
                middles[key].append(value if key == "" else round(value, 4))
        buckets = {
            Bucket(b): BucketHistory(
                passed=passed[b],
                failed=failed[b],
                stays=stays[b],
                median_dwell_days=median_of_middle(middles[b]) if stays[b] else None,
            )
            for b in _SUMMARY_BUCKETS
        }
        return History(
            cycle_samples=cycle_samples,
            median_cycle_days=median_of_middle(middles[""]) if cycle_samples else None,
            measurable_wins=measurable,
            buckets=buckets,
        )

    def _present(self, conn: sqlite3.Connection) -> set[str]:
        """Which summary indexes and tables the file has (checked once)."""
        if self._summary_indexes is None:
            self._summary_indexes = summary_indexes(conn)
        return self._summary_indexes

    def _recent_wins(self, conn: sqlite3.Connection, limit: int, columns: str) -> str:
        """The most recent measurable won deals (SPEC §3.2), latest first, as a SELECT of `columns`;
        through the index of recent wins when the file has it (SQLite's planner would otherwise
        pick the bucket index and sort every won deal)."""
        source = "opportunity"
        if "ix_opportunity_won_recent" in self._present(conn):
            source = "opportunity INDEXED BY ix_opportunity_won_recent"
        return f"SELECT {columns} FROM {source} WHERE {WON_CYCLE_WHERE} ORDER BY closed_on DESC, id DESC LIMIT {int(limit)}"

    def cycle_distribution(self, max_bins: int = 8) -> tuple[CycleBin, ...]:
        """The normal cycle's distribution for the Insights screen (SPEC §2): the won deals the
        cycle is measured over (the most recent 25 measurable ones) counted per range of cycle
        length (`cycle_bin_edges`)."""
        from planner.domain.forecast import cycle_bin_edges

        with self._db.read() as conn:
            days = [r[0] for r in conn.execute(self._recent_wins(conn, RECENT_WINS, f"{WON_CYCLE_DAYS_SQL} AS v"))]
        if not days:
            return ()
        edges = cycle_bin_edges(min(days), max(days), max_bins)
        return tuple(CycleBin(a, b, sum(1 for d in days if a <= d <= b)) for a, b in edges)

    def snapshot(self, today: date, *, since: FunnelSnapshot | None = None,
                 changed: Iterable[int] = ()) -> FunnelSnapshot:
        """All the engine needs for `today`, in a handful of queries (no per-row queries).

        With `since` (an earlier snapshot of the same day) and `changed` (every deal written since
        then), only those deals are read again and the other open deals are taken from `since`:
        after one change the funnel's thousands of open deals are not re-read. The counts,
        history and settings are always read afresh. Writes to other deals made meanwhile (another
        instance) are not seen: re-read without `since` for those."""
        monday = today - timedelta(days=today.weekday())
        next_monday = monday + timedelta(days=7)
        month_start = today.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        with self._db.read() as conn:
            stored = dict(conn.execute("SELECT key, value FROM setting").fetchall())
            settings = settings_from_mapping(stored)
            week_hours = _week_hours(stored.get(week_hours_key(monday)))
            if since is not None and since.today == today:
                ids = sorted(set(changed))
                fresh = self._load(conn, f"o.id IN ({','.join('?' * len(ids))}) AND {_OPEN_SQL}", tuple(ids)) \
                    if ids else []
                gone = set(ids)
                kept = [d for d in since.open_deals if d.id not in gone]  # still in the order of _ORDER
                for deal in fresh:  # each put back in its place of _ORDER
                    insort(kept, deal, key=_open_order)
                open_deals = tuple(kept)
            else:
                open_deals = tuple(self._load(conn, _OPEN_SQL, ()))
            history = self._history(conn)
            criteria = tuple(self._criteria(conn))
            week_minutes = self._minutes(conn, monday, next_monday)
            # New prospects: deals that entered the planner Above the Funnel (a move back up is not one).
            prospects, prospects_today = conn.execute(
                "SELECT count(DISTINCT opportunity_id), count(DISTINCT CASE WHEN at >= ? THEN opportunity_id END) "
                "FROM move WHERE to_bucket = 'above' AND from_bucket IS NULL AND at >= ? AND at < ?",
                (today.isoformat(), monday.isoformat(), next_monday.isoformat()),
            ).fetchone()
            won = conn.execute(
                "SELECT count(*) FROM opportunity WHERE bucket = 'won' AND closed_on >= ? AND closed_on < ?",
                (month_start.isoformat(), next_month.isoformat()),
            ).fetchone()[0]
            streak, checked_today = self._streak(conn, today)
        return FunnelSnapshot(
            today=today,
            settings=settings,
            open_deals=open_deals,
            history=history,
            criteria=criteria,
            week_minutes=week_minutes,
            prospects_this_week=prospects,
            prospects_today=min(prospects_today, prospects),
            won_this_month=won,
            checkin_streak=streak,
            checked_in_today=checked_today,
            week_hours=week_hours,
        )

    # --- daily check-in ---------------------------------------------------------------------
    def record_checkin(self, day: date) -> None:
        """Remember that the morning check-in was finished on `day` (idempotent)."""
        with self._db.write() as conn:
            conn.execute("INSERT OR IGNORE INTO checkin (day) VALUES (?)", (day.isoformat(),))

    def checkin_days(self) -> list[date]:
        """Every day the check-in was finished, oldest first (for the complete export)."""
        with self._db.read() as conn:
            return [date.fromisoformat(day) for (day,) in conn.execute("SELECT day FROM checkin ORDER BY day")]

    def checkin_streak(self, today: date) -> int:
        """Consecutive check-in days ending today, or yesterday when today's is not done yet."""
        with self._db.read() as conn:
            return self._streak(conn, today)[0]

    @staticmethod
    def _streak(conn: sqlite3.Connection, today: date) -> tuple[int, bool]:
        rows = conn.execute("SELECT day FROM checkin WHERE day <= ? ORDER BY day DESC", (today.isoformat(),))
        first = rows.fetchone()
        if first is None:
            return 0, False
        expected = date.fromisoformat(first[0])
        checked_today = expected == today
        if not checked_today and expected != today - timedelta(days=1):
            return 0, False
        streak = 0
        for (text,) in [first, *rows]:
            if date.fromisoformat(text) != expected:
                break
            streak += 1
            expected -= timedelta(days=1)
        return streak, checked_today

    # --- undo -------------------------------------------------------------------------------
    def capture(self, opp_id: int) -> DealState:
        """The deal as it is now (or its absence), to hand to `restore` later."""
        with self._db.read() as conn:
            return self._capture(conn, opp_id)

    def _capture(self, conn: sqlite3.Connection, opp_id: int, *, activities: bool = True) -> DealState:
        found = self._load(conn, "o.id = ?", (opp_id,))
        if not found:
            return DealState(opportunity_id=opp_id, opportunity=None)
        logged = tuple(
            _to_activity(r)
            for r in conn.execute(
                "SELECT id, opportunity_id, kind, minutes, day, note, bucket FROM activity "
                "WHERE opportunity_id = ? ORDER BY id",
                (opp_id,),
            )
        ) if activities else ()
        return DealState(
            opportunity_id=opp_id,
            opportunity=found[0],
            moves=tuple(self._moves(conn, opp_id)),
            activities=logged,
        )

    def restore(self, state: DealState) -> None:
        """Put the opportunity back exactly as captured (same id), or remove it if it did not exist."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM opportunity WHERE id = ?", (state.opportunity_id,))  # cascades to its history
            if state.opportunity is not None:
                self._insert_state(conn, state)

    @staticmethod
    def _insert_state(conn: sqlite3.Connection, state: DealState) -> None:
        """Insert a captured deal with every id it had: row, influences, criteria met, moves, activities."""
        opp_id, opp = state.opportunity_id, state.opportunity
        assert opp is not None
        created = _day(opp.created_on) or _day(opp.entered_bucket_on) or date.today().isoformat()
        conn.execute(
            _INSERT_OPP,
            _opp_row(opp, opp_id, created=created, entered=_day(opp.entered_bucket_on), touched=_day(opp.last_touched_on)),
        )
        conn.executemany(
            _INSERT_INFLUENCE, [(i.id, opp_id, i.name, i.role.value, int(i.covered)) for i in opp.influences]
        )
        conn.executemany(_INSERT_MET, [(opp_id, c) for c in sorted(opp.criteria_met)])
        conn.executemany(_INSERT_MOVE, [_move_row(m, opp_id) for m in state.moves])
        conn.executemany(_INSERT_ACTIVITY, [_activity_row(a, opp_id) for a in state.activities])
        measure_stays(conn, opp_id)
        derive_history(conn, opp_id)

    # --- changes the core can take back and make again (planner.core) ------------------------
    # Each is one transaction that first checks the records it changes are what the caller
    # expects (Stale otherwise, nothing written), and returns what undo and redo need.

    @contextmanager
    def together(self) -> Iterator[None]:
        """One transaction around several of these changes: they commit together, or none of
        them does when one raises (Stale, a database problem). Let the error out of the block."""
        with self._db.write():
            yield

    def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: changes whenever another connection (another planner, the
        CLI) commits to the file, never for this connection's own writes. Costs no read of data."""
        return int(self._db.pragma("data_version") or 0)

    def add_deal(self, opp: Opportunity, *, on: date) -> DealState:
        """`add`, returning the new deal as stored (with its creation move)."""
        with self._db.write() as conn:
            return self._capture(conn, self._insert_new(conn, opp, on))

    def move_deal(self, opp_id: int, to: Bucket, *, on: date, reason: str = "", expected_from: Bucket | None = None,
                  closed_on: date | None = None, value_cents: int | None = None) -> tuple[DealState, DealState]:
        """`move` in one transaction that returns the deal before and after. With `expected_from`
        (the bucket the screen showed), a deal that is elsewhere now is Stale and stays as it is.
        Won or lost: `closed_on` is the day the sale closed (default `on`), `value_cents` its final value."""
        with self._db.write() as conn:
            before = self._capture(conn, opp_id, activities=False)
            deal = before.opportunity
            if deal is None:
                if expected_from is not None:
                    raise Stale(current=None)  # the screen showed it: deleted since
                raise NotFound(f"no opportunity with id {opp_id}")
            if expected_from is not None and deal.bucket is not expected_from:
                raise Stale(current=deal)
            if deal.bucket is to:
                return before, before  # nothing to do (a move to the same bucket would split its stay)
            self._move(conn, opp_id, deal.bucket, to, on=on, reason=reason, closed_on=closed_on)
            if value_cents is not None and value_cents != deal.value_cents:
                conn.execute("UPDATE opportunity SET value_cents = ? WHERE id = ?", (value_cents, opp_id))
            return before, self._capture(conn, opp_id, activities=False)

    def edit_deal(self, opp_id: int, changes: dict, *, base: Opportunity | None = None) -> tuple[DealState, DealState]:
        """Set some fields of a deal (any of Opportunity's but its id, bucket and the derived days;
        `influences` and `criteria_met` too) in one transaction; return the deal before and after.
        With `base` (the deal as the screen showed it), a deal changed since is Stale."""
        with self._db.write() as conn:
            before = self._capture(conn, opp_id, activities=False)
            deal = before.opportunity
            if deal is None:
                if base is not None:
                    raise Stale(current=None)
                raise NotFound(f"no opportunity with id {opp_id}")
            if base is not None and plain(deal) != plain(base):
                raise Stale(current=deal)
            updated = replace(deal, **changes)
            self._write_fields(conn, updated, reviewed=self._reviewed(conn, updated, set(deal.criteria_met)))
            if updated.first_contact != deal.first_contact:
                measure_stays(conn, opp_id)  # it can say when the deal's first stay began (censored or not)
            if "influences" in changes:
                self._replace_influences(conn, opp_id, updated.influences)
            if "criteria_met" in changes:
                known = {r[0] for r in conn.execute("SELECT id FROM criterion")}
                unknown = sorted(set(updated.criteria_met) - known)
                if unknown:
                    raise NotFound(f"no ideal-customer criterion with id {unknown[0]}")
                self._replace_met(conn, opp_id, updated.criteria_met)
            return before, self._capture(conn, opp_id, activities=False)

    def delete_deal(self, opp_id: int, *, base: Opportunity | None = None) -> DealState:
        """Delete with its whole history; return all of it (for undo). With `base`, Stale when changed since."""
        with self._db.write() as conn:
            state = self._capture(conn, opp_id)
            if state.opportunity is None:
                if base is not None:
                    raise Stale(current=None)
                raise NotFound(f"no opportunity with id {opp_id}")
            if base is not None and plain(state.opportunity) != plain(base):
                raise Stale(current=state.opportunity)
            conn.execute("DELETE FROM opportunity WHERE id = ?", (opp_id,))
            return state

    def restore_deal(self, expect: DealState, to: DealState) -> DealState:
        """Take a deal from `expect` to `to` (undo, redo), only if it is still as `expect` says:
        else Stale and nothing changes. Its fields, influences, criteria met and moves become
        `to`'s, with their ids, so the move history has no gap; its activities stay as they are,
        unless the deal goes (then they must be `expect`'s: nobody else's work is deleted) or comes
        back (then `to`'s return with it). Returns the deal as it is now."""
        opp_id = expect.opportunity_id
        with self._db.write() as conn:
            current = self._capture(conn, opp_id)
            if not same_deal(current, expect, activities=to.opportunity is None):
                raise Stale(current=current.opportunity)
            if to.opportunity is None:
                conn.execute("DELETE FROM opportunity WHERE id = ?", (opp_id,))
                return DealState(opp_id, None)
            if current.opportunity is None:
                self._insert_state(conn, to)
            else:
                opp = to.opportunity
                conn.execute("UPDATE opportunity SET bucket = ?, created_on = ? WHERE id = ?",
                             (opp.bucket.value, _day(opp.created_on) or _day(current.opportunity.created_on), opp_id))
                self._write_fields(conn, replace(opp, id=opp_id), reviewed=opp.criteria_reviewed)  # exactly as it was
                conn.execute("DELETE FROM influence WHERE opportunity_id = ?", (opp_id,))
                conn.executemany(
                    _INSERT_INFLUENCE, [(i.id, opp_id, i.name, i.role.value, int(i.covered)) for i in opp.influences]
                )
                self._replace_met(conn, opp_id, opp.criteria_met)
                wanted = {m.id: m for m in to.moves}
                stale = [m.id for m in current.moves if wanted.get(m.id) != m]
                if stale:
                    conn.execute(f"DELETE FROM move WHERE id IN ({','.join('?' * len(stale))})", stale)
                kept = {m.id for m in current.moves} - set(stale)
                conn.executemany(_INSERT_MOVE, [_move_row(m, opp_id) for m in to.moves if m.id not in kept])
                measure_stays(conn, opp_id)
                derive_history(conn, opp_id)  # entry, top and lost-from buckets follow the moves
            conn.execute(DENORMALISE_SQL + " WHERE id = ?", (opp_id,))
            return self._capture(conn, opp_id, activities=False)

    def log_activity(self, activity: Activity) -> tuple[Activity, Opportunity | None]:
        """`log` in one transaction, returning the activity as stored (its id, the bucket it counts
        for) and the deal it is on (None for prospecting)."""
        with self._db.write() as conn:
            activity_id = self._log(conn, activity)
            row = conn.execute("SELECT id, opportunity_id, kind, minutes, day, note, bucket FROM activity WHERE id = ?",
                               (activity_id,)).fetchone()
            deal = None
            if activity.opportunity_id is not None:
                deal = self._load(conn, "o.id = ?", (activity.opportunity_id,))[0]
            return _to_activity(row), deal

    def remove_activity(self, expect: Activity) -> None:
        """Delete a logged activity (undo) if it is still exactly as logged; else Stale."""
        with self._db.write() as conn:
            row = conn.execute("SELECT id, opportunity_id, kind, minutes, day, note, bucket FROM activity WHERE id = ?",
                               (expect.id,)).fetchone()
            if row is None or _to_activity(row) != expect:
                raise Stale(current=_to_activity(row) if row else None)
            conn.execute("DELETE FROM activity WHERE id = ?", (expect.id,))
            if expect.opportunity_id is not None:
                conn.execute(DENORMALISE_SQL + " WHERE id = ?", (expect.opportunity_id,))

    def put_back_activity(self, activity: Activity) -> None:
        """Insert an activity with its own id again (redo); Stale if its deal is gone or the id is taken."""
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM activity WHERE id = ?", (activity.id,)).fetchone() is not None:
                raise Stale()
            if activity.opportunity_id is not None:
                if conn.execute("SELECT 1 FROM opportunity WHERE id = ?", (activity.opportunity_id,)).fetchone() is None:
                    raise Stale()
            conn.execute(_INSERT_ACTIVITY, _activity_row(activity, activity.opportunity_id))
            if activity.opportunity_id is not None:
                conn.execute(DENORMALISE_SQL + " WHERE id = ?", (activity.opportunity_id,))

    def setting_texts(self, keys: Iterable[str]) -> dict[str, str | None]:
        """The stored text of each setting key (None: not stored, the default)."""
        keys = list(keys)
        with self._db.read() as conn:
            return self._setting_texts(conn, keys)

    @staticmethod
    def _setting_texts(conn: sqlite3.Connection, keys: list[str]) -> dict[str, str | None]:
        found = dict(conn.execute(f"SELECT key, value FROM setting WHERE key IN ({','.join('?' * len(keys))})", keys))
        return {k: found.get(k) for k in keys}

    def write_settings(self, new: dict[str, str | None], *,
                       expect: dict[str, str | None] | None = None) -> dict[str, str | None]:
        """Store settings as text (None removes the key: its default applies) in one transaction,
        only those keys; return what they were. With `expect`, Stale unless they are still that."""
        keys = list(new)
        with self._db.write() as conn:
            before = self._setting_texts(conn, keys)
            if expect is not None and any(before[k] != expect.get(k) for k in keys):
                raise Stale(current=before)
            conn.execute(f"DELETE FROM setting WHERE key IN ({','.join('?' * len(keys))})", keys)
            conn.executemany("INSERT INTO setting (key, value) VALUES (?, ?)",
                             [(k, v) for k, v in new.items() if v is not None])
        return before

    def add_checkin(self, day: date) -> tuple[bool, int]:
        """Record the check-in of `day`: whether it was new (False: already recorded, nothing
        written) and the streak it makes."""
        with self._db.write() as conn:
            new = conn.execute("INSERT OR IGNORE INTO checkin (day) VALUES (?)", (day.isoformat(),)).rowcount == 1
            return new, self._streak(conn, day)[0]

    def remove_checkin(self, day: date) -> None:
        """Take back the check-in of `day` (undo); Stale when it is not there."""
        with self._db.write() as conn:
            if conn.execute("DELETE FROM checkin WHERE day = ?", (day.isoformat(),)).rowcount == 0:
                raise Stale()

    def _criterion_state(self, conn: sqlite3.Connection, criterion_id: int) -> CriterionState:
        row = conn.execute("SELECT id, name, kind, weight FROM criterion WHERE id = ?", (criterion_id,)).fetchone()
        if row is None:
            return CriterionState(criterion_id, None)
        met = frozenset(r[0] for r in conn.execute(
            "SELECT opportunity_id FROM opportunity_criterion WHERE criterion_id = ?", (criterion_id,)))
        return CriterionState(criterion_id, Criterion(id=row[0], name=row[1], kind=CriterionKind(row[2]), weight=row[3]),
                              met)

    def add_criterion(self, criterion: Criterion) -> CriterionState:
        with self._db.write() as conn:
            new_id = conn.execute("INSERT INTO criterion (name, kind, weight) VALUES (?, ?, ?)",
                                  (criterion.name, criterion.kind.value, criterion.weight)).lastrowid
            return self._criterion_state(conn, new_id)

    def edit_criterion(self, criterion: Criterion, *, base: Criterion | None = None) -> tuple[CriterionState, CriterionState]:
        """Rename, reweigh or re-kind a criterion; Stale when it is not `base` any more."""
        assert criterion.id is not None
        with self._db.write() as conn:
            before = self._criterion_state(conn, criterion.id)
            if before.criterion is None:
                raise NotFound(f"no ideal-customer criterion with id {criterion.id}")
            if base is not None and before.criterion != base:
                raise Stale(current=before.criterion)
            conn.execute("UPDATE criterion SET name = ?, kind = ?, weight = ? WHERE id = ?",
                         (criterion.name, criterion.kind.value, criterion.weight, criterion.id))
            return before, self._criterion_state(conn, criterion.id)

    def delete_criterion_state(self, criterion_id: int, *, base: Criterion | None = None) -> CriterionState:
        """Delete a criterion (deals lose it from what they meet); return it and who met it."""
        with self._db.write() as conn:
            before = self._criterion_state(conn, criterion_id)
            if before.criterion is None:
                raise NotFound(f"no ideal-customer criterion with id {criterion_id}")
            if base is not None and before.criterion != base:
                raise Stale(current=before.criterion)
            conn.execute("DELETE FROM criterion WHERE id = ?", (criterion_id,))
            return before

    def restore_criterion(self, expect: CriterionState, to: CriterionState) -> CriterionState:
        """Take a criterion from `expect` to `to` (undo, redo), only if it is still `expect`: its
        name, kind and weight, and the deals meeting it when it goes or comes back."""
        criterion_id = expect.criterion_id
        with self._db.write() as conn:
            current = self._criterion_state(conn, criterion_id)
            comes_or_goes = current.criterion is None or to.criterion is None
            if current.criterion != expect.criterion or (comes_or_goes and current.met_by != expect.met_by):
                raise Stale(current=current.criterion)
            if to.criterion is None:
                conn.execute("DELETE FROM criterion WHERE id = ?", (criterion_id,))
            elif current.criterion is None:
                c = to.criterion
                conn.execute("INSERT INTO criterion (id, name, kind, weight) VALUES (?, ?, ?, ?)",
                             (criterion_id, c.name, c.kind.value, c.weight))
                conn.executemany(  # deals deleted meanwhile are not brought back
                    "INSERT OR IGNORE INTO opportunity_criterion (opportunity_id, criterion_id) "
                    "SELECT id, ? FROM opportunity WHERE id = ?", [(criterion_id, d) for d in sorted(to.met_by)])
            else:
                c = to.criterion
                conn.execute("UPDATE criterion SET name = ?, kind = ?, weight = ? WHERE id = ?",
                             (c.name, c.kind.value, c.weight, criterion_id))
            return self._criterion_state(conn, criterion_id)

    def history_and_settings(self) -> tuple[History, Settings]:
        """What the normal cycle is measured from, in one read."""
        with self._db.read() as conn:
            return self._history(conn), self._settings(conn)

    # --- bulk -------------------------------------------------------------------------------
    def import_opportunities(self, opps: Sequence[Opportunity], *, on: date) -> list[int]:
        """New deals only, all or nothing (see `apply_import`); return their ids."""
        return list(self.apply_import(ImportBatch(new=tuple(opps)), on=on).added)

    def apply_import(self, batch: ImportBatch, *, on: date) -> ImportResult:
        """One import, all or nothing, in one transaction (SPEC §4).

        New deals get fresh ids and a creation move on `on`; won/lost rows keep their
        first_contact and closed_on (the history the normal cycle is measured from). Updates change
        only the fields named with each deal, and a change of bucket is a move on `on`. Deals of a
        complete export come with their moves, activities, influences and criteria met, under
        their own ids when those were never used here (an empty database), else under new ones.
        Criteria are matched to those already here by name and kind; settings are written as given."""
        day = on.isoformat()
        at = _instant(on)
        with self._db.write() as conn:
            criteria = self._import_criteria(conn, batch.criteria)
            seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'opportunity'").fetchone()
            top = conn.execute("SELECT MAX(id) FROM opportunity").fetchone()[0]
            first = max(seq[0] if seq else 0, top or 0) + 1
            added = self._import_histories(conn, batch, criteria, first, day)
            first = max([first - 1, *added]) + 1
            # Ids are handed out here, inside the write lock, so the rows, moves and influences can
            # all go in with executemany (no per-row round trip for lastrowid).
            opps = batch.new
            ids = list(range(first, first + len(opps)))
            rows = []
            for opp_id, opp in zip(ids, opps):
                row = _opp_row(opp, opp_id, created=day, entered=day, touched=day)
                if opp.bucket.is_open and opp.closed_on is not None:
                    row = row[:8] + (None,) + row[9:]
                rows.append(row)
            conn.executemany(_INSERT_OPP, rows)
            conn.executemany(_INSERT_MOVE, [(None, opp_id, None, opp.bucket.value, at) for opp_id, opp in zip(ids, opps)])
            influences = [
                (None, opp_id, i.name, i.role.value, int(i.covered))
                for opp_id, opp in zip(ids, opps)
                for i in opp.influences
            ]
            if influences:
                conn.executemany(_INSERT_INFLUENCE, influences)
            met = [(opp_id, c) for opp_id, opp in zip(ids, opps) for c in sorted(opp.criteria_met)]
            if met:
                conn.executemany(_INSERT_MET, met)
            updated = [self._import_update(conn, opp, fields, criteria, day, at) for opp, fields in batch.updates]
            if batch.prospecting:
                conn.executemany(
                    _INSERT_ACTIVITY,
                    [(None, None, a.kind.value, a.minutes, a.on.isoformat(), a.note, a.bucket.value) for a in batch.prospecting],
                )
            if batch.settings:
                conn.executemany("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", sorted(batch.settings.items()))
            if batch.checkins:
                conn.executemany("INSERT OR IGNORE INTO checkin (day) VALUES (?)", [(d.isoformat(),) for d in batch.checkins])
            return ImportResult(added=tuple(added) + tuple(ids), updated=tuple(updated))

    @staticmethod
    def _import_criteria(conn: sqlite3.Connection, criteria: Sequence[Criterion]) -> dict[int, int]:
        """The file's criterion ids → ids here: the same name and kind is the same criterion."""
        out: dict[int, int] = {}
        if not criteria:
            return out
        here = {(r[1].casefold(), r[2]): r[0] for r in conn.execute("SELECT id, name, kind FROM criterion")}
        free = conn.execute("SELECT COUNT(*) FROM criterion").fetchone()[0] == 0
        for c in criteria:
            key = (c.name.casefold(), c.kind.value)
            if key not in here:
                cur = conn.execute(
                    "INSERT INTO criterion (id, name, kind, weight) VALUES (?, ?, ?, ?)",
                    (c.id if free else None, c.name, c.kind.value, c.weight),
                )
                here[key] = cur.lastrowid
            if c.id is not None:
                out[c.id] = here[key]
        return out

    def _import_histories(self, conn: sqlite3.Connection, batch: ImportBatch, criteria: dict[int, int],
                          first: int, day: str) -> list[int]:
        histories = batch.histories
        if not histories:
            return []
        keep = min(h.opportunity.id or 0 for h in histories) >= first
        ids = [h.opportunity.id if keep else first + n for n, h in enumerate(histories)]
        for opp_id, history in zip(ids, histories):
            opp = history.opportunity
            met = {criteria[c] for c in opp.criteria_met if c in criteria}
            created = _day(opp.created_on) or day
            conn.execute(_INSERT_OPP, _opp_row(opp, opp_id, created=created, entered=_day(opp.entered_bucket_on),
                                               touched=_day(opp.last_touched_on)))
            conn.executemany(_INSERT_INFLUENCE, [(None, opp_id, i.name, i.role.value, int(i.covered)) for i in opp.influences])
            conn.executemany(_INSERT_MET, [(opp_id, c) for c in sorted(met)])
            moves = history.moves or (Move(opp_id, None, opp.bucket, datetime.fromisoformat(f"{created}T00:00:00+00:00")),)
            conn.executemany(
                _INSERT_MOVE,
                [(None, opp_id, m.from_bucket.value if m.from_bucket else None, m.to_bucket.value, _format_instant(m.at))
                 for m in moves],
            )
            conn.executemany(
                _INSERT_ACTIVITY,
                [(None, opp_id, a.kind.value, a.minutes, a.on.isoformat(), a.note, a.bucket.value) for a in history.activities],
            )
            measure_stays(conn, opp_id)
            derive_history(conn, opp_id)  # where it entered, how far it got, where it was lost from
            if opp.entered_bucket_on is None or opp.last_touched_on is None:
                conn.execute(DENORMALISE_SQL + " WHERE id = ?", (opp_id,))
        return ids

    _UPDATABLE = {
        "title": "title", "account": "account", "contact": "contact", "value_cents": "value_cents",
        "first_contact": "first_contact", "expected_close": "expected_close", "next_action": "next_action",
        "next_action_due": "next_action_due", "source": "source", "notes": "notes", "money": "money",
        "authority": "authority", "need": "need",
    }

    def _import_update(self, conn: sqlite3.Connection, opp: Opportunity, fields: frozenset[str],
                       criteria: dict[int, int], day: str, at: str) -> int:
        opp_id = opp.id
        row = conn.execute("SELECT bucket, closed_on FROM opportunity WHERE id = ?", (opp_id,)).fetchone()
        if row is None:
            raise NotFound(f"no opportunity with id {opp_id} to update")
        sets: dict[str, object] = {}
        for name in fields & self._UPDATABLE.keys():
            value = getattr(opp, name)
            sets[self._UPDATABLE[name]] = _day(value) if isinstance(value, date) else int(value) if isinstance(value, bool) else value
        before = Bucket(row[0])
        bucket = opp.bucket if "bucket" in fields else before
        if bucket is not before:
            conn.execute(_INSERT_MOVE, (None, opp_id, before.value, bucket.value, at))
            sets["bucket"] = bucket.value
            sets["entered_bucket_on"] = day
        if bucket.is_open:
            sets["closed_on"] = None
            if bucket is not before:
                sets["lost_reason"] = ""
        elif "closed_on" in fields or bucket is not before:
            sets["closed_on"] = _day(opp.closed_on) or (row[1] if bucket is before else None) or day
        if "lost_reason" in fields and bucket is Bucket.LOST:
            sets["lost_reason"] = opp.lost_reason
        if sets:
            conn.execute(f"UPDATE opportunity SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
                         (*sets.values(), opp_id))
        if bucket is not before or "first_contact" in sets:
            measure_stays(conn, opp_id)  # a new stay, or a first contact saying when the first began
        if bucket is not before:
            conn.execute(DENORMALISE_SQL + " WHERE id = ?", (opp_id,))
        if "influences" in fields:
            self._replace_influences(conn, opp_id, opp.influences)
        if "criteria_met" in fields:
            met = {criteria.get(c, c) for c in opp.criteria_met} if criteria else set(opp.criteria_met)
            known = {r[0] for r in conn.execute("SELECT id FROM criterion")}
            self._replace_met(conn, opp_id, met & known)
        return opp_id

    def export_histories(self) -> tuple[list[DealHistory], list[Activity]]:
        """Every deal with its moves and activities (oldest deal first), and the work logged on no
        deal: what a complete export holds (SPEC §4). A few set-based queries, not one per deal."""
        with self._db.read() as conn:
            opps = self._load(conn, "1", (), order="o.id")
            moves: dict[int, list[Move]] = defaultdict(list)
            for r in conn.execute("SELECT id, opportunity_id, from_bucket, to_bucket, at FROM move ORDER BY opportunity_id, at, id"):
                moves[r[1]].append(_to_move(r))
            activities: dict[int | None, list[Activity]] = defaultdict(list)
            for r in conn.execute(
                "SELECT id, opportunity_id, kind, minutes, day, note, bucket FROM activity ORDER BY opportunity_id, day, id"
            ):
                activities[r[1]].append(_to_activity(r))
        histories = [DealHistory(o, tuple(moves.get(o.id, ())), tuple(activities.get(o.id, ()))) for o in opps]
        return histories, list(activities.get(None, ()))

    def settings_mapping(self) -> dict[str, str]:
        """The stored settings as key → text (what a complete export holds)."""
        with self._db.read() as conn:
            return {k: v for k, v in conn.execute("SELECT key, value FROM setting") if k in _SETTING_KEYS}

    def opportunity_ids(self) -> set[int]:
        """Every deal's id (an import checks the ids of its rows against them)."""
        with self._db.read() as conn:
            return {r[0] for r in conn.execute("SELECT id FROM opportunity")}

    def is_empty(self) -> bool:
        """No deal, no logged work and no criterion yet: a database a funnel can be brought into whole."""
        with self._db.read() as conn:
            return not any(
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in ("opportunity", "activity", "criterion")
            )

    def export_rows(self) -> Iterable[Opportunity]:
        """Every opportunity, oldest first."""
        with self._db.read() as conn:
            return self._load(conn, "1", (), order="o.id")

    def backup(self, path: str) -> Path:
        """A consistent owner-only copy at `path`, written through `planner.files` (never through
        a link, never over the database); returns the path written."""
        return self._db.backup_to(Path(path))

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it, so the file alone holds
        everything (`planner serve` does it when it stops). Best effort: a busy reader keeps it
        from finishing, and the next close or open catches up."""
        from planner.errors import PlannerError

        try:
            self._db.pragma("wal_checkpoint(TRUNCATE)")
        except PlannerError:
            pass

    def close(self) -> None:
        self._db.close()

    # --- helpers (run inside a transaction opened by the public method) ------------------------
    @staticmethod
    def _require(conn: sqlite3.Connection, opp_id: int) -> None:
        if conn.execute("SELECT 1 FROM opportunity WHERE id = ?", (opp_id,)).fetchone() is None:
            raise NotFound(f"no opportunity with id {opp_id}")

    def _load(self, conn: sqlite3.Connection, where: str, params: tuple, *, order: str = _ORDER) -> list[Opportunity]:
        """Opportunities matching `where` (on alias `o`) with influences and criteria met: three
        set-based queries whatever the number of deals, each driven by the matching deals (so the
        funnel's few hundred open deals never scan the influences of ten thousand closed ones)."""
        rows = conn.execute(f"SELECT {_OPP_COLUMNS} FROM opportunity o WHERE {where} ORDER BY {order}", params).fetchall()
        if not rows:
            return []
        influences: dict[int, list[tuple]] = defaultdict(list)
        met: dict[int, list[int]] = defaultdict(list)
        for row in conn.execute(
            "SELECT i.opportunity_id, i.id, i.name, i.role, i.covered FROM opportunity o "
            f"CROSS JOIN influence i ON i.opportunity_id = o.id WHERE {where} ORDER BY i.id",
            params,
        ):
            influences[row[0]].append(row)
        for opp_id, criterion_id in conn.execute(
            "SELECT oc.opportunity_id, oc.criterion_id FROM opportunity o "
            f"CROSS JOIN opportunity_criterion oc ON oc.opportunity_id = o.id WHERE {where} ORDER BY 1, 2",
            params,
        ):
            met[opp_id].append(criterion_id)
        # A deal whose rows did not change since the last read is the same (immutable) object:
        # re-reading the funnel after a change to one deal builds one Opportunity, not hundreds,
        # and the screen's "did this card change" test stops at identity.
        cache = self._opportunities
        if len(cache) > _OPPORTUNITY_CACHE:
            cache.clear()
        out = []
        for row in rows:
            opp_id = row[0]
            own = tuple(influences.get(opp_id, ()))
            criteria = tuple(met.get(opp_id, ()))
            key = (row, own, criteria)
            opp = cache.get(key)
            if opp is None:
                people = [Influence(name=r[2], role=Role(r[3]), covered=bool(r[4]), id=r[1]) for r in own]
                opp = cache[key] = _to_opportunity(row, people, criteria)
            out.append(opp)
        return out

    @staticmethod
    def _write_influences(
        conn: sqlite3.Connection, opp_id: int, influences: Sequence[Influence], *, keep_ids: set[int]
    ) -> None:
        conn.executemany(
            _INSERT_INFLUENCE,
            [
                (i.id if i.id in keep_ids else None, opp_id, i.name, i.role.value, int(bool(i.covered)))
                for i in influences
            ],
        )

    def _replace_influences(self, conn: sqlite3.Connection, opp_id: int, influences: Sequence[Influence]) -> None:
        # An influence keeps its id only if it already belonged to this deal (ids are never shared).
        own = {r[0] for r in conn.execute("SELECT id FROM influence WHERE opportunity_id = ?", (opp_id,))}
        conn.execute("DELETE FROM influence WHERE opportunity_id = ?", (opp_id,))
        self._write_influences(conn, opp_id, influences, keep_ids=own)

    @staticmethod
    def _replace_met(conn: sqlite3.Connection, opp_id: int, criterion_ids: Iterable[int]) -> None:
        conn.execute("DELETE FROM opportunity_criterion WHERE opportunity_id = ?", (opp_id,))
        conn.executemany(_INSERT_MET, [(opp_id, c) for c in sorted(set(criterion_ids))])
