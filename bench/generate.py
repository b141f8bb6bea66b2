"""Databases of a consultant with years of history, at any size, fast.

    .venv/bin/python -m bench.generate --deals 10000 -o bench/.data/deals-10000.db
    .venv/bin/python -m bench.generate --csv 100000 -o bench/.data/import-100000.csv

Size N means N closed deals (won or lost) plus N/20 open ones (at least 20) and 10·N activities,
so the "big" database of the issue (--deals 10000) holds 500 open deals, 10,000 closed deals and
100,000 activities. Every count is a parameter (--open, --activities, --years).

The deals go in through the product's own bulk import (`Repository.import_opportunities`, one
transaction), so the rows are exactly what the product writes. Their history (creation dates,
moves along the funnel, activities, the denormalised `entered_bucket_on` / `last_touched_on`) is
then written with plain `executemany` in one transaction, matching `planner/store/tables.py`.
The result is a database the product opens without migrating. Deterministic for a given --seed
and --today.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

TODAY = date(2026, 11, 23)  # the benchmark's PLANNER_TODAY: fixed so every run sees the same funnel

KINDS = ("call", "meeting", "email", "proposal", "research", "other")
ACCOUNTS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
    "Soylent", "Tyrell", "Cyberdyne", "Vandelay", "Wonka", "Gringotts", "北京咨询", "Café Müller",
)
TOPICS = (
    "website revamp", "data audit", "CRM rollout", "pricing workshop", "cloud migration",
    "security review", "team coaching", "ERP selection", "dashboard", "process mapping",
)
FIRST = ("Ana", "Ben", "Chloé", "Dev", "Eun-ji", "Farah", "Gus", "Hiro", "Iris", "Jonas", "Kemal", "Lea")
SOURCES = ("referral", "LinkedIn", "conference", "website", "cold call", "former client")
ROLES = ("economic", "user", "technical", "coach")
# Typical stays (days) and the chance of moving on, close to the method's defaults for C = 60.
STAY = {"above": 15, "in": 27, "best_few": 18}
PASS = {"above": 0.5, "in": 0.6, "best_few": 0.8}
NEXT = {"above": "in", "in": "best_few", "best_few": "won"}


@dataclass(frozen=True)
class Sizes:
    closed: int
    open: int
    activities: int
    years: float = 5.0

    @classmethod
    def for_deals(cls, deals: int, *, open_: int | None = None, activities: int | None = None, years: float = 5.0) -> "Sizes":
        return cls(
            closed=deals,
            open=open_ if open_ is not None else max(20, deals // 20),
            activities=activities if activities is not None else 10 * deals,
            years=years,
        )


@dataclass
class Deal:
    bucket: str
    created: date
    path: list[tuple[str | None, str, date]]  # (from, to, day) moves, the creation first
    first_contact: date
    closed_on: date | None
    value_cents: int
    title: str
    account: str
    contact: str
    source: str
    expected_close: date | None
    next_action: str
    next_action_due: date | None
    lost_reason: str = ""
    last_touched: date | None = None


def _stay(rng: random.Random, bucket: str) -> int:
    return max(1, int(rng.gammavariate(2.0, STAY[bucket] / 2.0)))


def _closed_deal(rng: random.Random, created: date, n: int) -> Deal:
    bucket, day = "above", created
    path: list[tuple[str | None, str, date]] = [(None, "above", created)]
    while True:
        day = day + timedelta(days=_stay(rng, bucket))
        if rng.random() < PASS[bucket]:
            to = NEXT[bucket]
        else:
            to = "lost"
        if rng.random() < 0.05 and bucket != "above" and to != "lost":
            to = "above" if bucket == "in" else "in"  # a step back now and then
        path.append((bucket, to, day))
        if to in ("won", "lost"):
            break
        bucket = to
    account = rng.choice(ACCOUNTS)
    return Deal(
        bucket=to, created=created, path=path, first_contact=created, closed_on=day,
        value_cents=rng.randrange(1_000, 60_000) * 100, title=f"{account}: {rng.choice(TOPICS)} #{n}",
        account=account, contact=rng.choice(FIRST), source=rng.choice(SOURCES),
        expected_close=day, next_action="", next_action_due=None,
        lost_reason=rng.choice(("price", "timing", "went with a competitor", "no budget")) if to == "lost" else "",
    )


def _open_deal(rng: random.Random, today: date, n: int) -> Deal:
    bucket = rng.choices(("above", "in", "best_few"), weights=(45, 35, 20))[0]
    order = ["above", "in", "best_few"]
    steps = order[: order.index(bucket) + 1]
    stays = [_stay(rng, b) for b in steps[:-1]] + [rng.randrange(0, 2 * STAY[bucket])]
    created = today - timedelta(days=sum(stays))
    path: list[tuple[str | None, str, date]] = [(None, "above", created)]
    day = created
    for previous, stay, to in zip(steps, stays, steps[1:]):
        day = day + timedelta(days=stay)
        path.append((previous, to, day))
    account = rng.choice(ACCOUNTS)
    due = today + timedelta(days=rng.randrange(-10, 21)) if rng.random() < 0.85 else None
    return Deal(
        bucket=bucket, created=created, path=path, first_contact=created, closed_on=None,
        value_cents=rng.randrange(1_000, 60_000) * 100, title=f"{account}: {rng.choice(TOPICS)} #{n}",
        account=account, contact=rng.choice(FIRST), source=rng.choice(SOURCES),
        expected_close=today + timedelta(days=rng.randrange(5, 90)) if bucket != "above" else None,
        next_action=rng.choice(("call back", "send proposal", "book demo", "intro to CFO", "follow up")) if due else "",
        next_action_due=due,
    )


def make_deals(sizes: Sizes, today: date, seed: int) -> list[Deal]:
    rng = random.Random(seed)
    span = int(sizes.years * 365)
    deals = []
    for n in range(sizes.closed):
        # spread creation over the years, leaving room for the deal to close before today
        created = today - timedelta(days=rng.randrange(120, span + 120))
        deal = _closed_deal(rng, created, n + 1)
        if deal.closed_on >= today:  # keep all history in the past
            deal = _shift(deal, -((deal.closed_on - today).days + 1))
        deals.append(deal)
    for n in range(sizes.open):
        deals.append(_open_deal(rng, today, sizes.closed + n + 1))
    return deals


def _shift(deal: Deal, days: int) -> Deal:
    d = timedelta(days=days)
    deal.created += d
    deal.first_contact += d
    deal.closed_on = deal.closed_on + d if deal.closed_on else None
    deal.expected_close = deal.expected_close + d if deal.expected_close else None
    deal.path = [(a, b, day + d) for a, b, day in deal.path]
    return deal


def _instant(day: date, rng: random.Random) -> str:
    return datetime(day.year, day.month, day.day, rng.randrange(8, 19), rng.randrange(60), tzinfo=timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def _bucket_on(deal: Deal, day: date) -> str:
    bucket = "above"
    for _from, to, when in deal.path:
        if when <= day:
            bucket = to
    return bucket if bucket in ("above", "in", "best_few") else deal.path[-1][0] or "above"


def generate_database(path: str | Path, sizes: Sizes, *, today: date = TODAY, seed: int = 1) -> dict[str, int]:
    """Write a fresh database at `path`; return the row counts written."""
    from planner.domain.models import Bucket, Influence, Opportunity, Role
    from planner.store import open_repository

    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + 1)
    deals = make_deals(sizes, today, seed)

    repo = open_repository(str(path))
    try:
        from planner.domain.models import Criterion, CriterionKind

        criteria = [
            repo.save_criterion(Criterion(name, kind, weight))
            for name, kind, weight in (
                ("10–200 employees", CriterionKind.DEMOGRAPHIC, 2),
                ("Budget over 20k", CriterionKind.DEMOGRAPHIC, 3),
                ("Within 2 h travel", CriterionKind.DEMOGRAPHIC, 1),
                ("Values quality over price", CriterionKind.PSYCHOGRAPHIC, 3),
                ("Open to innovation", CriterionKind.PSYCHOGRAPHIC, 2),
            )
        ]
        opps = []
        for deal in deals:
            influences: tuple[Influence, ...] = ()
            if deal.bucket in ("in", "best_few") or rng.random() < 0.3:
                roles = rng.sample(ROLES, rng.randrange(1, 5))
                influences = tuple(
                    Influence(f"{rng.choice(FIRST)} ({role})", Role(role), covered=rng.random() < 0.7) for role in roles
                )
            opps.append(
                Opportunity(
                    title=deal.title, bucket=Bucket(deal.bucket), account=deal.account, contact=deal.contact,
                    value_cents=deal.value_cents, first_contact=deal.first_contact,
                    expected_close=deal.expected_close, closed_on=deal.closed_on,
                    next_action=deal.next_action, next_action_due=deal.next_action_due, source=deal.source,
                    notes="Met at the spring fair; wants a fixed-price offer." if rng.random() < 0.2 else "",
                    money=rng.random() < 0.6, authority=rng.random() < 0.5, need=rng.random() < 0.8,
                    lost_reason=deal.lost_reason,
                    criteria_met=frozenset(c for c in criteria if rng.random() < 0.6),
                    influences=influences,
                )
            )
        ids = repo.import_opportunities(opps, on=today)
    finally:
        repo.close()

    # History: replace the import's creation moves with each deal's real path, spread activities
    # over each deal's life, and keep the denormalised columns true.
    activities: list[tuple] = []
    weights = [max(1, ((d.closed_on or today) - d.created).days) for d in deals]
    per_deal = rng.choices(range(len(deals)), weights=weights, k=int(sizes.activities * 0.85))
    for index in per_deal:
        deal = deals[index]
        end = deal.closed_on or today
        day = deal.created + timedelta(days=rng.randrange(0, max(1, (end - deal.created).days + 1)))
        activities.append((ids[index], rng.choice(KINDS), rng.choice((15, 30, 30, 45, 60, 90, 120)), day.isoformat(),
                           "", _bucket_on(deal, day)))
        if deal.last_touched is None or day > deal.last_touched:
            deal.last_touched = day
    span = int(sizes.years * 365)
    for _ in range(sizes.activities - len(activities)):  # prospecting on no deal counts as Above
        day = today - timedelta(days=rng.randrange(0, span))
        activities.append((None, "research", rng.choice((30, 60, 90)), day.isoformat(), "prospecting", "above"))
    activities.sort(key=lambda row: row[3])

    moves = []
    updates = []
    for opp_id, deal in zip(ids, deals):
        previous: datetime | None = None
        for from_bucket, to_bucket, day in deal.path:
            at = _instant(day, rng)
            when = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ")
            # the stay this move ended, in days (NULL for the creation move), as the store measures it
            stay = None if from_bucket is None or previous is None else max(0.0, (when - previous).total_seconds() / 86400)
            moves.append((opp_id, from_bucket, to_bucket, at, stay))
            previous = when
        last_move = deal.path[-1][2]
        touched = max(d for d in (deal.created, last_move, deal.last_touched) if d is not None)
        updates.append((deal.created.isoformat(), last_move.isoformat(), touched.isoformat(), opp_id))
    moves.sort(key=lambda row: row[3])

    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("BEGIN")
        con.execute("DELETE FROM move")  # a fresh database: only the import's creation moves are there
        move_columns = {row[1] for row in con.execute("PRAGMA table_info(move)")}
        if "stay_days" in move_columns:  # schema version 2 keeps each finished stay's length on its move
            con.executemany(
                "INSERT INTO move (opportunity_id, from_bucket, to_bucket, at, stay_days) VALUES (?, ?, ?, ?, ?)", moves
            )
        else:
            con.executemany("INSERT INTO move (opportunity_id, from_bucket, to_bucket, at) VALUES (?, ?, ?, ?)",
                            [row[:4] for row in moves])
        con.executemany(
            "INSERT INTO activity (opportunity_id, kind, minutes, day, note, bucket) VALUES (?, ?, ?, ?, ?, ?)",
            activities,
        )
        con.executemany(
            "UPDATE opportunity SET created_on = ?, entered_bucket_on = ?, last_touched_on = ? WHERE id = ?", updates
        )
        if "top_bucket" in {row[1] for row in con.execute("PRAGMA table_info(opportunity)")}:
            from planner.store.migrations import derive_history

            derive_history(con)  # schema version 3: where each deal entered, its top bucket, lost from
        con.execute("COMMIT")
        con.execute("ANALYZE")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return {"deals": len(ids), "open": sizes.open, "closed": sizes.closed, "moves": len(moves),
            "activities": len(activities)}


CSV_COLUMNS = ("id", "title", "account", "contact", "value", "bucket", "first_contact", "expected_close",
               "closed_on", "next_action", "next_action_due", "source", "notes")


def generate_csv(path: str | Path, rows: int, *, today: date = TODAY, seed: int = 2) -> int:
    """A spreadsheet of `rows` deals as a user would import it: mostly closed history (won/lost
    with first contact and close dates), the rest open, notes with commas, quotes and non-Latin text."""
    closed = rows - max(1, rows // 21)
    sizes = Sizes(closed=closed, open=rows - closed, activities=0)
    deals = make_deals(sizes, today, seed)
    rng = random.Random(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for deal in deals:
            writer.writerow((
                "", deal.title, deal.account, deal.contact, f"{deal.value_cents / 100:.2f}", deal.bucket,
                deal.first_contact.isoformat(), deal.expected_close.isoformat() if deal.expected_close else "",
                deal.closed_on.isoformat() if deal.closed_on else "", deal.next_action,
                deal.next_action_due.isoformat() if deal.next_action_due else "", deal.source,
                rng.choice(("", "", "Asked for a quote, \"urgent\"", "Intro by Ana, met twice", "预算已批准 ✅")),
            ))
    return len(deals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, help="the database (or CSV) file to write")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--deals", type=int, help="closed deals (history); open deals and activities follow")
    what.add_argument("--csv", type=int, metavar="ROWS", help="write a CSV of ROWS deals for `planner import`")
    parser.add_argument("--open", type=int, help="open deals (default: deals/20, at least 20)")
    parser.add_argument("--activities", type=int, help="activities (default: 10 × deals)")
    parser.add_argument("--years", type=float, default=5.0, help="how far back the history goes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=TODAY)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.csv is not None:
        written = generate_csv(args.output, args.csv, today=args.today, seed=args.seed)
        print(f"{args.output}: {written} rows in {time.perf_counter() - start:.1f} s")
        return 0
    sizes = Sizes.for_deals(args.deals, open_=args.open, activities=args.activities, years=args.years)
    counts = generate_database(args.output, sizes, today=args.today, seed=args.seed)
    print(f"{args.output}: {counts} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
