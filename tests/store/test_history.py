"""The history summaries (SPEC §1 normal cycle, §3.1 measured R_s and p_s, §2 Insights distribution).

The store hands the engine counts and medians computed in SQL, never one row per past deal or
stay. These tests check them against the plain definition computed from every row, on a generated
consultant's history, with and without the summary indexes.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import Sizes, generate_database
from planner.domain.models import OPEN_BUCKETS, Bucket, Opportunity
from planner.store import migrations, open_repository
from planner.ui.widgets.chart import cycle_histogram

RANK = {"above": 0, "in": 1, "best_few": 2}
OPEN = ("above", "in", "best_few")


def plain_median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def finished(left: str, entered: str) -> bool:
    return entered in ("won", "lost") or RANK.get(entered, -1) > RANK.get(left, 3)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def known_stays(path: list[tuple], created: str, first: str | None) -> list[tuple[str, str, float]]:
    """(bucket left, bucket entered, days) of each stay whose start is known, from the deal's moves
    in order: a stay starts at the move before it (the day the deal was added when none is kept).
    The first stay of a deal added straight into In or Best Few started on an unknown day before
    the planner knew of it (censored), unless its first contact is the day it was added or later."""
    out = []
    previous = instant(f"{created}T00:00:00Z")
    first_stay = True
    for left, entered, at in path:
        if left is not None:
            censored = first_stay and left in ("in", "best_few") and not (first and first >= created)
            if not censored:
                out.append((left, entered, max(0.0, (instant(at) - previous).total_seconds() / 86400)))
            first_stay = False
        previous = instant(at)
    return out


def every_row(path: Path) -> dict:
    """The history as SPEC §3.2 defines it, from every deal and move, in plain Python: the cycle
    over the 25 most recent measurable wins, one outcome per closed deal per bucket it went
    through, and every finished stay whose start is known (stays are measured here from the moves'
    times, not read from the store)."""
    con = sqlite3.connect(path)
    try:
        deals = con.execute("SELECT id, bucket, first_contact, closed_on, created_on FROM opportunity").fetchall()
        moves: dict[int, list[tuple]] = {}
        for opp_id, left, entered, at in con.execute(
                "SELECT opportunity_id, from_bucket, to_bucket, at FROM move ORDER BY at, id"):
            moves.setdefault(opp_id, []).append((left, entered, at))
    finally:
        con.close()
    known = {opp_id: known_stays(moves.get(opp_id, []), created, first)
             for opp_id, _, first, _, created in deals}
    wins = []
    passed = dict.fromkeys(OPEN, 0)
    failed = dict.fromkeys(OPEN, 0)
    for opp_id, bucket, first, closed, created in deals:
        path = moves.get(opp_id, [])
        entry = (path[0][1] if path[0][0] is None else path[0][0]) if path else bucket
        start = first or (created if entry == "above" else None)
        if bucket == "won" and start and closed and closed >= start:
            wins.append((closed, opp_id, (date.fromisoformat(closed) - date.fromisoformat(start)).days))
        seen = [b for step in path for b in step[:2] if b in RANK] + ([bucket] if bucket in RANK else [])
        if bucket not in ("won", "lost") or not seen:
            continue  # open deals are pending; a deal never open has no outcome
        top = min(RANK[b] for b in seen)
        if bucket == "won":
            for b in OPEN[top:]:
                passed[b] += 1
        else:
            lost_from = [left for left, entered, _ in path if entered == "lost"][-1:]
            if lost_from and lost_from[0] in RANK and RANK[lost_from[0]] >= top:
                for b in OPEN[top:RANK[lost_from[0]]]:
                    passed[b] += 1
                failed[lost_from[0]] += 1
    recent = [days for _, _, days in sorted(wins, reverse=True)[:25]]
    stays = {b: [stay for path in known.values() for left, entered, stay in path
                 if left == b and finished(left, entered)] for b in OPEN}
    return {"cycles": recent, "measurable": len(wins), "passed": passed, "failed": failed, "stays": stays}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history") / "consultant.db"
    generate_database(path, Sizes(closed=301, open=20, activities=300))
    return path


def assert_matches_every_row(history, rows) -> None:
    assert history.cycle_samples == len(rows["cycles"]) == 25 < rows["measurable"]
    assert history.measurable_wins == 26  # counted only as far as "more than the 25 measured"
    assert history.median_cycle_days == plain_median(rows["cycles"])
    for bucket in OPEN_BUCKETS:
        summary = history.bucket(bucket)
        assert (summary.passed, summary.failed) == (rows["passed"][bucket.value], rows["failed"][bucket.value])
        assert summary.outcomes > 5
        stays = rows["stays"][bucket.value]
        assert summary.stays == len(stays) > 5
        assert summary.median_dwell_days == plain_median([round(days, 4) for days in stays])


def test_history_summaries_equal_the_medians_and_counts_of_every_row(generated):
    with open_repository(str(generated)) as repo:
        history = repo.history()
    assert_matches_every_row(history, every_row(generated))


def test_without_the_summary_indexes_the_numbers_are_the_same(generated, tmp_path, monkeypatch):
    # As on a read-only file written before the indexes existed: the same queries, unindexed.
    copy = tmp_path / "copy.db"
    copy.write_bytes(generated.read_bytes())
    drop_summaries(copy)
    monkeypatch.setattr(migrations, "ensure_summary_indexes", lambda db: None)
    with open_repository(str(copy)) as repo:
        history, distribution = repo.history(), repo.cycle_distribution()
    with open_repository(str(generated)) as repo:
        assert history == repo.history() and distribution == repo.cycle_distribution()


def test_medians_of_even_counts_are_the_mean_of_the_two_middle_values(repo):
    for n, days in enumerate((30, 35, 50, 61)):
        first = date(2026, 1, 1)
        deal = repo.add(Opportunity(title=f"won {n}", bucket=Bucket.BEST_FEW, first_contact=first), on=first)
        repo.move(deal, Bucket.WON, on=date.fromordinal(first.toordinal() + days))
    history = repo.history()
    assert (history.cycle_samples, history.median_cycle_days) == (4, 42.5)
    assert history.bucket(Bucket.BEST_FEW).median_dwell_days == 42.5


def stays_of(repo) -> dict[str, tuple[int, float | None]]:
    history = repo.history()
    return {b.value: (history.bucket(b).stays, history.bucket(b).median_dwell_days) for b in OPEN_BUCKETS}


def test_the_first_stay_of_a_deal_added_straight_into_in_or_best_few_is_censored(repo, db_path):
    """SPEC §3.2 residence: a stay whose start is unknown is no finished stay. A deal added into In
    or Best Few had been there for an unknown time; a deal added Above starts its stay that day;
    every stay after a move the planner saw is measured."""
    monday = date(2026, 3, 2)
    on = lambda days: date.fromordinal(monday.toordinal() + days)  # noqa: E731
    for n in range(5):  # quick wins of a first week: In for who knows how long, won on Thursday
        repo.move(repo.add(Opportunity(title=f"quick {n}", bucket=Bucket.IN), on=monday), Bucket.WON, on=on(3))
    sure = repo.add(Opportunity(title="introduction", bucket=Bucket.BEST_FEW), on=monday)
    repo.move(sure, Bucket.WON, on=on(2))
    assert stays_of(repo) == {"above": (0, None), "in": (0, None), "best_few": (0, None)}

    prospect = repo.add(Opportunity(title="prospect", first_contact=monday), on=monday)
    repo.move(prospect, Bucket.IN, on=on(10))  # Above from the day it was added: 10 days
    repo.move(prospect, Bucket.BEST_FEW, on=on(30))  # In from a move the planner saw: 20 days
    back = repo.add(Opportunity(title="back and forth", bucket=Bucket.IN), on=monday)
    repo.move(back, Bucket.ABOVE, on=on(4))  # censored and not finished either: it moved back
    repo.move(back, Bucket.IN, on=on(12))  # Above from the move back: 8 days
    repo.move(back, Bucket.BEST_FEW, on=on(36))  # In again, from a seen move: 24 days
    counts = stays_of(repo)
    assert {b: n for b, (n, _) in counts.items()} == {"above": 2, "in": 2, "best_few": 0}
    assert [round(m) for _, m in (counts["above"], counts["in"])] == [9, 22]

    con = sqlite3.connect(db_path)
    try:
        censored = con.execute("SELECT count(*) FROM move WHERE censored = 1 AND stay_days IS NULL").fetchone()[0]
        kept = dict(((f, t), n) for f, t, n in con.execute("SELECT from_bucket, to_bucket, n FROM stay_count"))
    finally:
        con.close()
    assert censored == 7  # five quick wins, the introduction, the first stay of "back and forth"
    assert kept.get(("in", "won"), 0) == 0 and kept.get(("best_few", "won"), 0) == 0


def test_a_first_contact_on_the_day_a_deal_was_added_dates_its_first_stay(repo):
    """A deal cannot be In before it was first contacted: added into In on the day of its first
    contact (or learnt so later), its first stay began that day. A first contact before the day it
    was added says nothing of when it entered In."""
    monday = date(2026, 3, 2)
    deal = repo.add(Opportunity(title="met and qualified", bucket=Bucket.IN, first_contact=monday), on=monday)
    repo.move(deal, Bucket.BEST_FEW, on=date(2026, 3, 12))
    assert stays_of(repo)["in"] == (1, pytest.approx(10, abs=1))
    earlier = repo.add(Opportunity(title="met before", bucket=Bucket.IN, first_contact=date(2026, 2, 1)), on=monday)
    repo.move(earlier, Bucket.BEST_FEW, on=date(2026, 3, 5))
    assert stays_of(repo)["in"][0] == 1

    state = repo.capture(earlier)
    repo.edit_deal(earlier, {"first_contact": monday})  # learnt: it was met the day it was added
    assert stays_of(repo)["in"][0] == 2
    repo.edit_deal(deal, {"first_contact": None})  # cleared: its first stay is unknown again
    assert stays_of(repo)["in"][0] == 1
    repo.restore(state)  # undo puts the first contact back, and the stay is censored again
    assert stays_of(repo)["in"][0] == 0


def test_a_deal_closed_before_its_first_contact_is_not_a_cycle_sample(repo):
    repo.import_opportunities([
        Opportunity(title="ok", bucket=Bucket.WON, first_contact=date(2025, 1, 1), closed_on=date(2025, 1, 31)),
        Opportunity(title="typo", bucket=Bucket.WON, first_contact=date(2025, 3, 1), closed_on=date(2025, 2, 1)),
        Opportunity(title="lost", bucket=Bucket.LOST, first_contact=date(2025, 1, 1), closed_on=date(2025, 1, 5)),
    ], on=date(2026, 1, 1))
    history = repo.history()
    assert (history.cycle_samples, history.median_cycle_days) == (1, 30)
    assert [(b.low, b.high, b.count) for b in repo.cycle_distribution()] == [(30, 30, 1)]


def test_no_history_no_medians(repo):
    history = repo.history()
    assert (history.cycle_samples, history.median_cycle_days) == (0, None)
    assert all(history.bucket(b).median_dwell_days is None and history.bucket(b).outcomes == 0 for b in OPEN_BUCKETS)
    assert repo.cycle_distribution() == ()


def test_cycle_distribution_counts_the_measured_wins_in_the_charts_ranges(generated):
    cycles = every_row(generated)["cycles"]
    with open_repository(str(generated)) as repo:
        distribution = repo.cycle_distribution()
    assert sum(b.count for b in distribution) == len(cycles)
    for b in distribution:
        assert b.count == sum(1 for c in cycles if b.low <= c <= b.high)
    # the same picture the chart draws from every cycle length
    from planner.ui.widgets.chart import bins_histogram

    assert bins_histogram(distribution).plain == cycle_histogram(cycles).plain


def test_opening_a_writable_database_adds_the_summary_indexes_without_a_schema_version(generated, tmp_path):
    copy = tmp_path / "copy.db"
    copy.write_bytes(generated.read_bytes())
    drop_summaries(copy)
    with open_repository(str(copy)):
        pass
    con = sqlite3.connect(copy)
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        version = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    assert set(migrations.SUMMARY_INDEXES) <= names
    assert version == migrations.SCHEMA_VERSION
    assert kept_counts(copy) == counted(copy) and counted(copy)  # filled from the moves already there
    assert kept_outcomes(copy) == counted_outcomes(copy) and counted_outcomes(copy)


def drop_summaries(path: Path) -> None:
    """The file as a planner that predates the summaries left it."""
    con = sqlite3.connect(path)
    for name in migrations.SUMMARY_INDEXES:
        con.execute(f"DROP INDEX IF EXISTS {name}")
    for table in ("stay_count", "outcome_count"):
        for trigger in ("insert", "delete", "update"):
            con.execute(f"DROP TRIGGER IF EXISTS {table}_{trigger}")
        con.execute(f"DROP TABLE IF EXISTS {table}")
    con.commit()
    con.close()


def kept_counts(path: Path) -> dict[tuple[str, str], int]:
    con = sqlite3.connect(path)
    try:
        return {(f, t): n for f, t, n in con.execute("SELECT from_bucket, to_bucket, n FROM stay_count") if n}
    finally:
        con.close()


def counted(path: Path) -> dict[tuple[str, str], int]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT from_bucket, to_bucket, count(*) FROM move WHERE stay_days IS NOT NULL "
            "AND from_bucket IS NOT NULL GROUP BY 1, 2"
        )
        return {(f, t): n for f, t, n in rows}
    finally:
        con.close()


def kept_outcomes(path: Path) -> dict[tuple[str, str, str], int]:
    con = sqlite3.connect(path)
    try:
        return {(t, b, f): n for t, b, f, n in con.execute("SELECT top_bucket, bucket, lost_from, n FROM outcome_count")
                if n}
    finally:
        con.close()


def counted_outcomes(path: Path) -> dict[tuple[str, str, str], int]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT top_bucket, bucket, COALESCE(lost_from, ''), count(*) FROM opportunity "
            "WHERE bucket IN ('won', 'lost') AND top_bucket IS NOT NULL GROUP BY 1, 2, 3")
        return {(t, b, f): n for t, b, f, n in rows}
    finally:
        con.close()


def derived_columns(path: Path) -> dict[int, tuple]:
    con = sqlite3.connect(path)
    try:
        return {r[0]: r[1:] for r in con.execute("SELECT id, entry_bucket, top_bucket, lost_from FROM opportunity")}
    finally:
        con.close()


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "add-in", "add-best-few", "add-in-met-today", "first-contact", "on", "skip", "back",
                         "won", "lost", "reopen", "delete", "undo", "import", "sql-update", "sql-delete"]),
        st.integers(min_value=0, max_value=50),
        st.integers(min_value=1, max_value=40),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_kept_counts_always_equal_the_moves_and_the_deals(tmp_path_factory, steps):
    """Whatever is done to the deals (moves either way, closing, deleting with the history
    cascading, undo putting a deal back with its moves, imports, edits made outside the planner),
    the history reads the same counts as counting every move and every deal, and the numbers the
    engine learns from are those of SPEC §3.2 computed from every row."""
    path = tmp_path_factory.mktemp("counts") / "planner.db"
    day = date(2026, 1, 5)
    with open_repository(str(path)) as repo:
        ids: list[int] = []
        captured = []
        outside = False  # another program has rewritten moves
        for action, pick, days in steps:
            day = date.fromordinal(day.toordinal() + days)
            deal = ids[pick % len(ids)] if ids else None
            if action == "add" or deal is None:
                ids.append(repo.add(Opportunity(title=f"deal {len(ids)}", first_contact=day), on=day))
            elif action == "add-in":  # straight into In, first contact unknown: its first stay is censored
                ids.append(repo.add(Opportunity(title=f"deal {len(ids)}", bucket=Bucket.IN), on=day))
            elif action == "add-best-few":  # straight into Best Few, first contact before it was added
                ids.append(repo.add(Opportunity(title=f"deal {len(ids)}", bucket=Bucket.BEST_FEW,
                                                first_contact=date.fromordinal(day.toordinal() - 20)), on=day))
            elif action == "add-in-met-today":  # straight into In on the day of first contact: a known start
                ids.append(repo.add(Opportunity(title=f"deal {len(ids)}", bucket=Bucket.IN, first_contact=day), on=day))
            elif action == "first-contact":  # the first contact learnt (the day it was added) or cleared
                current = repo.get(deal)
                captured.append(repo.capture(deal))
                repo.edit_deal(deal, {"first_contact": None if current.first_contact else current.created_on})
            elif action in ("on", "skip", "back", "won", "lost", "reopen"):
                current = repo.get(deal).bucket
                target = {"on": current.next(), "back": current.previous(),
                          "skip": Bucket.BEST_FEW if current is Bucket.ABOVE else Bucket.WON,
                          "won": Bucket.WON, "lost": Bucket.LOST, "reopen": Bucket.IN}[action]
                if action == "reopen" and not current.is_open:
                    captured.append(repo.capture(deal))
                    repo.move(deal, target, on=day)
                elif target is not None and current.is_open and target is not current:
                    captured.append(repo.capture(deal))
                    repo.move(deal, target, on=day)
            elif action == "delete":
                captured.append(repo.delete(deal))
                ids.remove(deal)
            elif action == "undo" and captured:
                state = captured.pop()
                repo.restore(state)
                if state.opportunity is not None and state.opportunity_id not in ids:
                    ids.append(state.opportunity_id)
            elif action == "import":
                ids += repo.import_opportunities(
                    [Opportunity(title="imported", bucket=Bucket.WON, first_contact=day, closed_on=day)], on=day)
            elif action in ("sql-update", "sql-delete"):
                if not outside:  # the planner's own writes so far give SPEC §3.2's numbers
                    assert_as_every_row_says(repo.history(), path)
                    outside = True
                con = sqlite3.connect(path)
                if action == "sql-update":
                    con.execute("UPDATE move SET stay_days = stay_days + 1, to_bucket = 'lost' WHERE id = "
                                "(SELECT max(id) FROM move WHERE from_bucket IS NOT NULL)")
                else:
                    con.execute("DELETE FROM move WHERE id = (SELECT min(id) FROM move WHERE stay_days IS NOT NULL)")
                con.commit()
                con.close()
        history = repo.history()
        live = derived_columns(path)
    assert kept_counts(path) == counted(path)
    assert kept_outcomes(path) == counted_outcomes(path)
    if outside:
        # Another program rewrote moves: the triggers kept the counts right (above), but the
        # deals' derived columns, like entered_bucket_on, follow only the planner's own writes
        # (checked against every row up to the first such write).
        return
    # The columns kept move by move are those derived from the whole history.
    con = sqlite3.connect(path)
    migrations.derive_history(con)
    con.commit()
    con.close()
    assert derived_columns(path) == live
    assert_as_every_row_says(history, path)


def assert_as_every_row_says(history, path: Path) -> None:
    """The history the store summarises is SPEC §3.2's, computed from every row in plain Python:
    the cycle, one outcome per deal per bucket, and the finished stays whose start is known."""
    rows = every_row(path)
    assert history.cycle_samples == len(rows["cycles"]) and history.median_cycle_days == plain_median(rows["cycles"])
    for bucket in OPEN_BUCKETS:
        summary = history.bucket(bucket)
        assert (summary.passed, summary.failed) == (rows["passed"][bucket.value], rows["failed"][bucket.value])
        assert summary.stays == len(rows["stays"][bucket.value])
        assert summary.median_dwell_days == pytest.approx(plain_median(rows["stays"][bucket.value]), abs=1e-3)
