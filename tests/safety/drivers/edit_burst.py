"""A user's burst of edits through the real Repository, one action after another.

    python edit_burst.py DB TAG COUNT [--wait] [--hold]

Each action is one transaction (add; every other deal also moved and given logged time). After an
action returns, a line `done <kind> <id> <title>` is printed and flushed: the action is committed,
so it must survive whatever happens to this process next. With --wait, a line on stdin starts the
burst (so two drivers can start together); with --hold, the driver prints `holding` after the
burst and keeps the database open until another line arrives. Errors are printed as `error <type>: <message>`.
"""

from __future__ import annotations

import sys
from datetime import date

from planner.domain.models import Activity, ActivityKind, Bucket, Opportunity
from planner.errors import PlannerError
from planner.store import open_repository


def main() -> int:
    db, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    day = date(2026, 3, 2)
    repo = open_repository(db)
    print("ready", flush=True)
    if "--wait" in sys.argv:
        sys.stdin.readline()
    try:
        for i in range(count):
            title = f"{tag}-{i:04d}"
            opp_id = repo.add(Opportunity(title=title, account=f"{tag} account", value_cents=100 * i, notes="n" * 300), on=day)
            print(f"done add {opp_id} {title}", flush=True)
            if i % 2 == 0:
                repo.move(opp_id, Bucket.IN, on=day)
                print(f"done move {opp_id} {title}", flush=True)
                repo.log(Activity(kind=ActivityKind.CALL, minutes=15, on=day, opportunity_id=opp_id, note=title))
                print(f"done log {opp_id} {title}", flush=True)
        if "--hold" in sys.argv:
            print("holding", flush=True)
            sys.stdin.readline()
    except PlannerError as error:
        print(f"error {type(error).__name__}: {error}", flush=True)
        return 1
    finally:
        repo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
