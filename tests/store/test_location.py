"""SPEC §4: `--db PATH_OR_URL` beats PLANNER_DB, which beats the default file in the user data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import BadInput
from planner.store import open_repository
from planner.store.location import default_path, resolve


@pytest.fixture
def env(monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("PLANNER_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def test_default_is_planner_db_in_the_user_data_folder(env):
    assert resolve(None) == env / ".local" / "share" / "planner" / "planner.db"
    assert default_path() == resolve(None)


def test_planner_db_beats_the_default_and_db_beats_planner_db(env, monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNER_DB", str(tmp_path / "from-env.db"))
    assert resolve(None) == tmp_path / "from-env.db"
    assert resolve(str(tmp_path / "from-flag.db")) == tmp_path / "from-flag.db"
    monkeypatch.setenv("PLANNER_DB", "  ")  # blank: as if unset
    assert resolve(None) == env / ".local" / "share" / "planner" / "planner.db"


def test_open_repository_follows_the_same_order(env, monkeypatch, tmp_path):
    from datetime import date

    from planner.domain.models import Opportunity

    with open_repository() as repo:
        repo.add(Opportunity(title="in default"), on=date(2026, 11, 23))
    monkeypatch.setenv("PLANNER_DB", str(tmp_path / "env.db"))
    with open_repository() as repo:
        assert repo.path == tmp_path / "env.db" and repo.list() == []
    with open_repository(str(env / ".local/share/planner/planner.db")) as repo:
        assert [o.title for o in repo.list()] == ["in default"]


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("sqlite:///relative.db", "relative.db"),
        ("sqlite:///sub/dir/x.db", "sub/dir/x.db"),
        ("sqlite:////abs/olute.db", "/abs/olute.db"),
        ("sqlite+pysqlite:////abs/x.db", "/abs/x.db"),
        ("SQLITE:///x.db?check_same_thread=false", "x.db"),
        ("sqlite:///with%20space.db", "with space.db"),
        ("plain/path.db", "plain/path.db"),
        ("/abs/path.db", "/abs/path.db"),
    ],
)
def test_paths_and_sqlite_urls(env, spec, expected):
    assert resolve(spec) == Path(expected)


def test_home_is_expanded(env):
    assert resolve("~/deals.db") == env / "deals.db"
    assert resolve("sqlite:///~/deals.db") == env / "deals.db"


@pytest.mark.parametrize(
    "spec, words",
    [
        ("postgresql://user@host/db", "only SQLite"),
        ("mysql+pymysql://h/db", "only SQLite"),
        ("sqlite://", "names no database file"),
        ("sqlite:///:memory:", "names no database file"),
        ("sqlite://host/x.db", "sqlite:///"),
        ("", "empty"),
    ],
)
def test_unusable_specs_are_bad_input_in_one_line(env, spec, words):
    with pytest.raises(BadInput, match=words) as info:
        resolve(spec)
    assert "\n" not in str(info.value)


def test_a_relative_url_is_relative_to_the_working_folder(env, tmp_path):
    with open_repository("sqlite:///rel.db") as repo:
        assert repo.path.resolve() == (tmp_path / "rel.db").resolve()
    assert (tmp_path / "rel.db").is_file()
