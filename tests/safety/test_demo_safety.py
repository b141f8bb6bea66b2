"""`planner demo` never touches the user's database (SPEC §4 "opens the TUI on a fresh demo
database; never touches the user's"), whichever way the user's database is chosen.
"""

from __future__ import annotations

import stat

from .conftest import fingerprint, make_database, run_cli


def test_demo_keep_writes_a_new_private_file_and_leaves_the_users_database_alone(home):
    user_db = make_database(home, "My real deal")
    before = fingerprint(user_db)
    kept = home / "demo-copy.db"
    run = run_cli("--db", str(user_db), "demo", "--keep", str(kept), home=home, umask=0o022)
    assert run.code == 0, run.err
    assert fingerprint(user_db) == before
    assert kept.exists() and stat.S_IMODE(kept.stat().st_mode) == 0o600
    listed = run_cli("--db", str(kept), "list", "--json", home=home)
    assert listed.code == 0 and "My real deal" not in listed.out and listed.out.count('"id"') > 5


def test_demo_does_not_overwrite_an_existing_file(home):
    user_db = make_database(home, "My real deal")
    before = fingerprint(user_db)
    run = run_cli("demo", "--keep", str(user_db), home=home)
    assert run.code == 2 and "already exists" in run.err
    assert fingerprint(user_db) == before


def test_the_demo_tui_opens_a_temporary_database_not_the_users(home, monkeypatch, capsys):
    import planner.cli as cli

    user_db = make_database(home, "My real deal")
    before = fingerprint(user_db)
    opened: list[str] = []

    def fake_tui(db):  # stands in for the TUI: look at the database it would open
        from planner.store import open_repository

        opened.append(db)
        with open_repository(db) as repo:
            assert "My real deal" not in {o.title for o in repo.list()}
        return 0

    monkeypatch.setattr(cli, "_open_tui", fake_tui)
    monkeypatch.setattr(cli, "_has_terminal", lambda: True)  # as in a terminal, where the demo opens
    monkeypatch.setenv("PLANNER_DB", str(user_db))  # the user's database chosen by the environment
    assert cli.run(["demo"]) == 0
    [db] = opened
    assert db != str(user_db) and "demo" in db
    assert fingerprint(user_db) == before
