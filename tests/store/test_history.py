"""The history summaries (SPEC §1 normal cycle, §3.1 measured R_s and p_s, §2 Insights distribution).

The store hands the engine counts and medians computed in SQL, never one row per past deal or
stay. These tests check them against the plain definition computed from every row, on a generated
consultant's history, with and without the summary indexes.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import Sizes, generate_database
from planner.domain.models import OPEN_BUCKETS, Bucket, Opportunity
from planner.store import migrations, open_repository
from planner.ui.widgets.chart import cycle_histogram

NEXT = {Bucket.ABOVE: "in", Bucket.IN: "best_few", Bucket.BEST_FEW: "won"}


def plain_median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def every_row(path: Path) -> dict:
    """The history as the planner defined it before it was summarised: every won deal and stay."""
    con = sqlite3.connect(path)
    try:
        cycles = [
            (date.fromisoformat(closed) - date.fromisoformat(first)).days
            for first, closed in con.execute(
                "SELECT first_contact, closed_on FROM opportunity WHERE bucket = 'won' AND first_contact IS NOT NULL "
                "AND closed_on IS NOT NULL"
            )
            if closed >= first
        ]
        stays = {b: con.execute("SELECT to_bucket, stay_days FROM move WHERE from_bucket = ? AND stay_days IS NOT NULL",
                                (b.value,)).fetchall() for b in OPEN_BUCKETS}
    finally:
        con.close()
    return {"cycles": cycles, "stays": stays}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history") / "consultant.db"
    generate_database(path, Sizes(closed=301, open=20, activities=300))
    return path


def assert_matches_every_row(history, rows) -> None:
    assert history.won_deals == len(rows["cycles"]) > 3
    assert history.median_cycle_days == plain_median(rows["cycles"])
    for bucket in OPEN_BUCKETS:
        stays = rows["stays"][bucket]
        summary = history.bucket(bucket)
        assert summary.exits == summary.stays == len(stays) > 5
        assert summary.passed == sum(1 for to, _ in stays if to == NEXT[bucket])
        assert summary.median_dwell_days == plain_median([round(days, 4) for _, days in stays])


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
    assert (history.won_deals, history.median_cycle_days) == (4, 42.5)
    assert history.bucket(Bucket.BEST_FEW).median_dwell_days == 42.5


def test_a_deal_closed_before_its_first_contact_is_not_a_cycle_sample(repo):
    repo.import_opportunities([
        Opportunity(title="ok", bucket=Bucket.WON, first_contact=date(2025, 1, 1), closed_on=date(2025, 1, 31)),
        Opportunity(title="typo", bucket=Bucket.WON, first_contact=date(2025, 3, 1), closed_on=date(2025, 2, 1)),
        Opportunity(title="lost", bucket=Bucket.LOST, first_contact=date(2025, 1, 1), closed_on=date(2025, 1, 5)),
    ], on=date(2026, 1, 1))
    history = repo.history()
    assert (history.won_deals, history.median_cycle_days) == (1, 30)
    assert [(b.low, b.high, b.count) for b in repo.cycle_distribution()] == [(30, 30, 1)]


def test_no_history_no_medians(repo):
    history = repo.history()
    assert (history.won_deals, history.median_cycle_days) == (0, None)
    assert all(history.bucket(b).median_dwell_days is None and history.bucket(b).exits == 0 for b in OPEN_BUCKETS)
    assert repo.cycle_distribution() == ()


def test_cycle_distribution_counts_every_won_deal_in_the_charts_ranges(generated):
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
    assert version == migrations.SCHEMA_VERSION == 2
    assert kept_counts(copy) == counted(copy) and counted(copy)  # filled from the moves already there


def drop_summaries(path: Path) -> None:
    """The file as a planner that predates the summaries left it."""
    con = sqlite3.connect(path)
    for name in migrations.SUMMARY_INDEXES:
        con.execute(f"DROP INDEX IF EXISTS {name}")
    for trigger in ("stay_count_insert", "stay_count_delete", "stay_count_update"):
        con.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    con.execute("DROP TABLE IF EXISTS stay_count")
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


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "on", "back", "won", "lost", "delete", "undo", "import", "sql-update", "sql-delete"]),
        st.integers(min_value=0, max_value=50),
        st.integers(min_value=1, max_value=40),
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_kept_stay_counts_always_equal_the_moves(tmp_path_factory, steps):
    """Whatever is done to the deals (moves either way, closing, deleting with the history
    cascading, undo putting a deal back with its moves, imports, edits made outside the planner),
    the history reads the same counts as counting every move."""
    path = tmp_path_factory.mktemp("counts") / "planner.db"
    day = date(2026, 1, 5)
    with open_repository(str(path)) as repo:
        ids: list[int] = []
        captured = []
        for action, pick, days in steps:
            day = date.fromordinal(day.toordinal() + days)
            deal = ids[pick % len(ids)] if ids else None
            if action == "add" or deal is None:
                ids.append(repo.add(Opportunity(title=f"deal {len(ids)}", first_contact=day), on=day))
            elif action in ("on", "back", "won", "lost"):
                current = repo.get(deal).bucket
                target = {"on": current.next(), "back": current.previous(),
                          "won": Bucket.WON, "lost": Bucket.LOST}[action]
                if target is not None and current.is_open:
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
                con = sqlite3.connect(path)
                if action == "sql-update":
                    con.execute("UPDATE move SET stay_days = stay_days + 1, to_bucket = 'lost' WHERE id = "
                                "(SELECT max(id) FROM move WHERE from_bucket IS NOT NULL)")
                else:
                    con.execute("DELETE FROM move WHERE id = (SELECT min(id) FROM move WHERE stay_days IS NOT NULL)")
                con.commit()
                con.close()
        history = repo.history()
    rows = counted(path)
    assert kept_counts(path) == rows
    for bucket in OPEN_BUCKETS:
        assert history.bucket(bucket).stays == sum(n for (f, _), n in rows.items() if f == bucket.value)
        assert history.bucket(bucket).passed == rows.get((bucket.value, NEXT[bucket]), 0)
