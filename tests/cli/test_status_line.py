"""`planner status --line`: one short line for a tmux status bar or a shell prompt."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import subprocess_env


def test_the_line_on_a_new_database_says_the_top_is_empty(cli) -> None:
    result = cli("status", "--line")
    assert result.code == 0 and result.err == ""
    quota = json.loads(cli("status", "--json").out)["quota"]
    assert quota["today"] == 1
    assert result.out == "▲ top empty · 1 prospect to find · BF 0\n"


def test_the_line_counts_overdue_actions_and_best_few(cli) -> None:
    for n in range(3):
        assert cli("add", f"Best {n}", "--bucket", "best_few", "--next", "Call", "--due", "2026-11-20").code == 0
    for n in range(8):
        assert cli("add", f"Prospect {n}", "--next", "Write", "--due", "2026-11-30").code == 0
    line = cli("status", "--line").out
    assert line.count("\n") == 1 and len(line) <= 60
    assert "3 overdue" in line and line.endswith(" · BF 3\n")
    assert "top empty" not in line
    codes = [f["code"] for f in json.loads(cli("status", "--json").out)["flags"]]
    assert codes.count("overdue_action") == 3  # the same count as the full status


def test_the_line_is_plain_ascii_on_a_terminal_that_is_not_utf8(tmp_path) -> None:
    env = subprocess_env(tmp_path, PLANNER_DB=str(tmp_path / "p.db"), PYTHONIOENCODING="ascii")
    proc = subprocess.run([sys.executable, "-m", "planner", "status", "--line"], capture_output=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode("ascii").startswith("^ top empty | ")


def test_line_and_json_are_one_or_the_other(cli) -> None:
    result = cli("status", "--line", "--json")
    assert result.code == 2 and result.out == ""
    assert "not allowed with argument" in result.err


def test_the_line_imports_neither_the_ui_nor_the_orm(tmp_path) -> None:
    """As fast as `status --json` (bench/ measures both): the same reading, nothing more."""
    script = ("import json, sys\nfrom planner.cli import run\nassert run(['status', '--line']) == 0\n"
              "print('MODULES=' + json.dumps(sorted(sys.modules)))")
    env = subprocess_env(tmp_path, PLANNER_DB=str(tmp_path / "p.db"))
    # The database exists already, as it does under a prompt (making one creates the schema with the ORM).
    subprocess.run([sys.executable, "-m", "planner", "status", "--json"], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stdout.split("MODULES=", 1)[1]))
    assert not {m for m in modules if m.startswith(("textual", "sqlmodel", "sqlalchemy", "planner.ui", "planner.app"))}


def test_the_projection_lines_word_the_kept_quota_as_the_insights_do() -> None:
    """`planner status` says the quota kept from today in the words of the Insights' sentences
    and chart legend (planner.core.text): "with 1 new prospect a week, …"."""
    from datetime import date
    from types import SimpleNamespace

    from planner.cli import projection_lines
    from planner.domain.models import Projection

    def lines(**kw) -> list[str]:
        projection = Projection(weeks=(), first_dry_week=date(2026, 12, 7), prospect_by=date(2026, 11, 30), **kw)
        return projection_lines(SimpleNamespace(projection=projection))

    assert "  with 1 new prospect a week, no week falls below half the goal" in lines(quota=1)
    assert "  with 3 new prospects a week, the first dry week is 2027-01-04" in lines(
        quota=3, first_dry_week_with_quota=date(2027, 1, 4))
