"""The floor for `planner import`: the same CSV rows checked (bucket, money, ISO dates) and
inserted with plain sqlite3 `executemany` in one transaction, each with its creation move, into a
database that already has the product's schema. `python -m bench.plain_import FILE.csv DB`."""

from __future__ import annotations

import csv
import sqlite3
import sys
from datetime import date, datetime, timezone

BUCKETS = {"above", "in", "best_few", "won", "lost"}


def day(text: str) -> str | None:
    return date.fromisoformat(text).isoformat() if text else None


def main(csv_path: str, db: str) -> int:
    today = date.today().isoformat()
    rows = []
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        for r in csv.DictReader(handle):
            bucket = (r.get("bucket") or "above").strip().lower()
            if bucket not in BUCKETS or not r["title"].strip():
                raise SystemExit(f"bad row: {r}")
            value_cents = round(float(r["value"] or 0) * 100)
            rows.append((
                r["title"].strip(), bucket, r["account"], r["contact"], value_cents, day(r["first_contact"]),
                day(r["expected_close"]), day(r["closed_on"]), r["next_action"], day(r["next_action_due"]),
                r["source"], r["notes"], today, today, today, 0, 0, 0, "",
            ))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN")
    (before,) = con.execute("SELECT coalesce(max(id), 0) FROM opportunity").fetchone()
    con.executemany(
        "INSERT INTO opportunity (title, bucket, account, contact, value_cents, first_contact, expected_close,"
        " closed_on, next_action, next_action_due, source, notes, created_on, entered_bucket_on, last_touched_on,"
        " money, authority, need, lost_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.execute(
        "INSERT INTO move (opportunity_id, from_bucket, to_bucket, at) SELECT id, NULL, bucket, ? FROM opportunity WHERE id > ?",
        (now, before),
    )
    con.execute("COMMIT")
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
