"""Every subcommand of SPEC §4, run in-process through `planner.cli.run` on a tmp database."""

from __future__ import annotations

import json
import sys
import types
from datetime import date
from pathlib import Path

import pytest

from planner.cli import _COMMANDS

from .conftest import TODAY


def new_deal(cli, *args: str) -> int:
    result = cli("add", *args)
    assert result.code == 0, result.err
    return int(result.out.strip())


def deals(cli, *args: str) -> list[dict]:
    result = cli("list", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


# --- add / list ----------------------------------------------------------------------------------


def test_add_prints_the_new_id_and_stores_every_field(cli) -> None:
    opp_id = new_deal(
        cli, "Website revamp", "--account", "Acme", "--contact", "Ana Ruiz", "--value", "12,500.50",
        "--close", "+3w", "--next", "Send proposal", "--due", "fri", "--source", "referral", "--notes", "big one",
    )
    [deal] = deals(cli)
    assert deal == {
        "id": opp_id,
        "title": "Website revamp",
        "account": "Acme",
        "contact": "Ana Ruiz",
        "value": 12500.5,
        "bucket": "above",
        "first_contact": TODAY,  # defaults to today so the cycle can be measured when it is won
        "expected_close": "2026-12-14",
        "closed_on": None,
        "next_action": "Send proposal",
        "next_action_due": "2026-11-27",
        "source": "referral",
        "notes": "big one",
        "lost_reason": "",
    }


def test_adding_straight_into_best_few_warns_like_a_move_would(cli) -> None:
    result = cli("add", "Audit", "--bucket", "bf")
    assert result.code == 0
    assert "warning: No Economic Buyer is recorded for this deal." in result.err
    assert deals(cli)[0]["bucket"] == "best_few"


def test_add_reads_amounts_as_written_and_keeps_one_currency(cli) -> None:
    """SPEC §4 "Amounts on input": `3.000` is refused with the reason until the decimal comma is
    chosen; `1,5` is one and a half; the first amount that names a currency makes it the
    database's, so a deal in another currency is refused rather than added up with it."""
    refused = cli("add", "Audit", "--value", "3.000")
    assert refused.code == 2 and refused.err_lines == [
        "planner: --value '3.000' is ambiguous (a '.' before three digits may separate thousands): 3000 or 3.0? "
        "write 3000 or 3.00, or choose the decimal comma (the decimal_comma setting, or --decimal-comma on import)"]
    new_deal(cli, "Half", "--value", "1,5")
    assert deals(cli)[0]["value"] == 1.5 and cli("config", "currency").out.strip() == "none"
    euros = cli("add", "Relaunch", "--value", "18 500,00 €")
    assert euros.code == 0 and euros.err_lines == [
        "note: the database's currency is now EUR, the one this amount names: an amount in another currency is "
        "refused (planner config currency to change it)"]
    assert cli("config", "currency").out.strip() == "EUR"
    dollars = cli("add", "Workshop", "--value", "$5,000")
    assert dollars.code == 2 and "--value '$5,000' is in $, but this database keeps amounts in EUR" in dollars.err
    assert cli("config", "decimal_comma", "on").code == 0
    new_deal(cli, "Coaching", "--value", "3.000")
    assert [d["value"] for d in deals(cli)] == [1.5, 18500, 3000]
    assert "18.500 €" in cli("list").out


def test_list_filters_by_bucket_and_open(cli) -> None:
    a = new_deal(cli, "A")
    b = new_deal(cli, "B", "--bucket", "in")
    c = new_deal(cli, "C")
    assert cli("move", str(c), "won").code == 0
    assert [d["id"] for d in deals(cli, "--bucket", "IN")] == [b]
    assert {d["id"] for d in deals(cli)} == {a, b, c}
    open_ids = {d["id"] for d in json.loads(cli("list", "--open", "--json").out)}
    assert open_ids == {a, b}


def test_list_table_keeps_columns_aligned_for_wide_scripts(cli) -> None:
    from rich.cells import cell_len

    new_deal(cli, "王小明的项目", "--account", "北京公司", "--value", "900")
    new_deal(cli, "Plain deal", "--account", "Acme", "--value", "12500", "--next", "Call", "--due", "-2d")
    result = cli("list")
    lines = result.out.splitlines()
    assert lines[0].split() == ["id", "bucket", "title", "account", "value", "next", "action", "due"]
    rows = {"900": next(line for line in lines if "王小明" in line), "12,500": next(line for line in lines if "Plain" in line)}
    value_ends = {cell_len(line[: line.index(v) + len(v)]) for v, line in rows.items()}
    assert len(value_ends) == 1, result.out  # the value column ends at the same cell on every row
    assert "2026-11-21 overdue" in result.out


def test_list_on_an_empty_database_says_how_to_start(cli) -> None:
    result = cli("list")
    assert result.code == 0 and "planner add" in result.out


# --- move / log ----------------------------------------------------------------------------------


def test_move_warns_on_stderr_but_moves_anyway(cli) -> None:
    opp_id = new_deal(cli, "Audit", "--account", "Acme")
    result = cli("move", str(opp_id), "in")
    assert result.code == 0
    assert result.err_lines == ["warning: No buying influence is covered yet, so the sale is not confirmed possible.",
                                "warning: Not qualified: Money, Authority and Need not confirmed."]
    assert "Above the Funnel → In the Funnel" in result.out
    assert deals(cli)[0]["bucket"] == "in"


def test_move_to_lost_takes_a_reason_and_only_lost_does(cli, db: Path) -> None:
    opp_id = new_deal(cli, "Audit")
    refused = cli("move", str(opp_id), "won", "--reason", "price")
    assert refused.code == 2 and refused.err_lines == ["planner: --reason is only for lost deals"]
    assert deals(cli)[0]["bucket"] == "above"
    assert cli("move", f"#{opp_id}", "Lost", "--reason", "went with a cheaper offer").code == 0
    from planner.store import open_repository

    with open_repository(str(db)) as repo:
        lost = repo.get(opp_id)
    assert (lost.bucket.value, lost.lost_reason, lost.closed_on) == ("lost", "went with a cheaper offer", date(2026, 11, 23))


def test_move_to_the_bucket_it_is_in_changes_nothing(cli) -> None:
    opp_id = new_deal(cli, "Audit")
    result = cli("move", str(opp_id), "above")
    assert result.code == 0 and "nothing changed" in result.out


def test_log_on_a_deal_and_on_prospecting_shows_in_the_week_plan(cli) -> None:
    opp_id = new_deal(cli, "Audit", "--bucket", "in")
    assert cli("log", str(opp_id), "--kind", "meeting", "--minutes", "1h30", "--note", "kick-off").code == 0
    result = cli("log", "--kind", "prospecting", "--minutes", "45")
    assert result.code == 0 and "Above the Funnel" in result.out
    assert cli("log", "--kind", "call", "--minutes", "30", "--on", "-1w").code == 0  # last week: not this week's
    plan = json.loads(cli("plan", "--json").out)
    assert plan["split"]["in"]["logged_hours"] == 1.5
    assert plan["split"]["above"]["logged_hours"] == 0.75


def test_log_on_a_weekday_name_is_the_one_just_gone(cli, db) -> None:
    # Today is a Monday: Friday's calls logged now land on the Friday just gone, never the next one.
    assert cli("log", "--kind", "call", "--minutes", "30", "--on", "fri").code == 0
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT day FROM activity").fetchall() == [("2026-11-20",)]
    refused = cli("log", "--kind", "call", "--minutes", "30", "--on", "tomorrow")
    assert refused.code == 2 and "after today" in refused.err


# --- status / plan -------------------------------------------------------------------------------


def test_status_on_a_new_database_reports_the_empty_top_as_critical(cli) -> None:
    status = json.loads(cli("status", "--json").out)
    assert status["today"] == TODAY
    assert status["cycle"] == {"days": 60.0, "source": "your setting", "measured": False, "samples": 0,
                               "setting_days": 60.0}
    assert status["buckets"]["above"] == {"label": "Above the Funnel", "count": 0, "value": 0}
    [empty] = [f for f in status["flags"] if f["code"] == "empty_top"]
    assert empty["severity"] == "critical" and empty["opportunity_id"] is None
    assert sum(status["allocation"][b]["percent"] for b in ("above", "in", "best_few")) == 100

    human = cli("status").out
    assert "Normal sales cycle: 60 days — your setting" in human
    assert "critical  Top of funnel is empty" in human


def funnel_of(cli, above: int, in_: int, best_few: int) -> dict:
    for bucket, count in (("above", above), ("in", in_), ("best_few", best_few)):
        for n in range(count):
            assert cli("add", f"{bucket} {n}", "--bucket", bucket).code == 0
    return json.loads(cli("status", "--json").out)["allocation"]


def test_worked_example_one_of_spec_3_3_through_the_command_line(cli) -> None:
    assert cli("config", "hours_per_week", "15").code == 0
    assert cli("config", "cycle_days", "60").code == 0
    allocation = funnel_of(cli, 0, 4, 2)
    assert [allocation[b]["percent"] for b in ("above", "in", "best_few")] == [42, 39, 19]
    assert [allocation[b]["hours"] for b in ("above", "in", "best_few")] == [6.33, 5.78, 2.89]
    assert [allocation[b]["demand_hours"] for b in ("above", "in", "best_few")] == [6.81, 6.22, 3.11]
    assert (allocation["overloaded_hours"], allocation["prospects_per_week"], allocation["prospect_quota"]) == (
        1.14, 3.89, 4)
    assert allocation["best_few"]["reason"].startswith(
        "Best Few: 2 deals × 4.0 h over ~18 days → 3.1 h/week asked, 2.9 h given")


def test_worked_example_two_of_spec_3_3_through_the_command_line(cli) -> None:
    assert cli("config", "prospecting_floor", "0.15").code == 0
    allocation = funnel_of(cli, 6, 15, 12)
    assert [allocation[b]["percent"] for b in ("above", "in", "best_few")] == [15, 47, 38]
    assert [allocation[b]["hours"] for b in ("above", "in", "best_few")] == [2.25, 7.08, 5.67]
    assert (allocation["overloaded_hours"], allocation["prospects_per_week"]) == (33.14, 1.94)
    assert allocation["floor_binds"] is True


def test_a_deal_added_straight_into_in_has_no_first_contact_and_a_prospect_has_today(cli) -> None:
    in_id = new_deal(cli, "Referral", "--bucket", "in")
    above_id = new_deal(cli, "Prospect")
    by_id = {d["id"]: d for d in deals(cli)}
    assert by_id[in_id]["first_contact"] in (None, "")
    assert by_id[above_id]["first_contact"] == TODAY


def test_quick_wins_added_straight_into_in_do_not_collapse_in_the_funnels_stay(cli, monkeypatch) -> None:
    # A consultant's first week: five deals that were already In the Funnel before the planner,
    # added on Monday and won on Thursday. How long each had been In is unknown, so the In stay is
    # not measured from them (it would read 3 days, and three open In deals would ask 42 h a week).
    monkeypatch.setenv("PLANNER_TODAY", "2026-11-23")
    quick = [new_deal(cli, f"Quick {n}", "--bucket", "in", "--value", "3000") for n in range(5)]
    monkeypatch.setenv("PLANNER_TODAY", "2026-11-26")
    for deal in quick:
        assert cli("move", str(deal), "won").code == 0
    for n in range(3):
        new_deal(cli, f"Open {n}", "--bucket", "in")
    status = json.loads(cli("status", "--json").out)
    # the default stay, 0.45 × 60 = 27 days: 3 deals × 6 h × 7 / 27
    assert status["allocation"]["in"]["demand_hours"] == 4.67
    assert status["allocation"]["overloaded_hours"] == 0
    assert "over ~27 days" in status["allocation"]["in"]["reason"]
    # One added on the day of its first contact was In from that day: its stay is measured.
    monkeypatch.setenv("PLANNER_TODAY", "2026-11-23")
    met = new_deal(cli, "Met and qualified", "--bucket", "in", "--first-contact", "today")
    monkeypatch.setenv("PLANNER_TODAY", "2026-11-26")
    assert cli("move", str(met), "best_few").code == 0
    from planner.domain.models import Bucket
    from planner.store import open_repository

    with open_repository(None) as repo:
        in_ = repo.history().bucket(Bucket.IN)
    assert (in_.stays, int(in_.median_dwell_days)) == (1, 3)  # 3 days and the time of day of the move


def test_status_json_carries_the_quota_the_own_split_the_forecast_and_the_projection(cli) -> None:
    new_deal(cli, "Prospect", "--value", "1000")
    new_deal(cli, "Rollout", "--bucket", "in", "--value", "5000", "--close", "+3w")
    new_deal(cli, "Contract", "--bucket", "best_few", "--value", "8000", "--close", "+1w")
    assert cli("config", "goal_value_per_month", "10,000").code == 0
    status = json.loads(cli("status", "--json").out)
    assert status["allocation"]["own_split"] is None
    assert status["quota"]["week"] == status["allocation"]["prospect_quota"] >= 1
    assert status["quota"]["done_week"] == 1 and status["quota"]["working_days_left"] == 5  # a Monday
    forecast = status["forecast"]
    assert forecast["horizon_days"] == 60
    assert (forecast["commit"], forecast["best_case"], forecast["pipeline"]) == (8000, 13000, 14000)
    assert forecast["goal_value"] == 20000 and forecast["coverage"] == 0.7
    assert forecast["rule_of_thumb"] == 3 and forecast["required_coverage"] == pytest.approx(4.17, abs=0.005)
    projection = status["projection"]
    assert {"weeks", "first_dry_week", "prospect_by", "too_late", "pull_forward"} <= set(projection)
    assert all({"start", "expected_wins", "with_quota", "goal", "dry"} <= set(w) for w in projection["weeks"])
    assert (projection["prospect_by"] is None) == projection["too_late"] or projection["first_dry_week"] is None

    from planner.store import open_repository
    from dataclasses import replace
    from planner.domain.models import Bucket

    with open_repository(None) as repo:  # the write path of `plan --split` is the core's; set it directly here
        repo.save_settings(replace(repo.settings(),
                                   user_split={Bucket.ABOVE: 80, Bucket.IN: 15, Bucket.BEST_FEW: 5}))
    status = json.loads(cli("status", "--json").out)
    own = status["allocation"]["own_split"]
    assert set(own) == {"above", "in", "best_few", "underserved"}
    assert set(own["in"]) == set(status["allocation"]["in"])  # the same keys as the suggestion
    assert own["best_few"]["percent"] == 5 and own["best_few"]["hours"] == 0.75
    assert own["underserved"] == ["best_few"]
    assert [f["code"] for f in status["flags"]].count("split_underserves") == 1

    plan = cli("plan")
    assert plan.code == 0
    assert "What your split does:" in plan.out and "Best Few: your 5 % = 0.8 h" in plan.out
    assert "split_underserves" in plan.out
    # The suggestion's reasons come under their own heading, never under the own split.
    mine, suggestion = plan.out.split("The suggestion (")
    assert "h/week asked," not in mine.split("What your split does:")[1]
    assert "h/week asked," in suggestion
    record = json.loads(cli("plan", "--json").out)
    assert record["is_custom"] and record["underserved"] == ["best_few"]
    assert record["split"]["best_few"]["reason"].startswith("Best Few: your 5 %")
    assert record["split"]["best_few"]["suggested_reason"].startswith("Best Few: 1 deal")


def test_a_dip_too_near_for_prospects_and_the_next_one_in_reach_through_the_command_line(cli) -> None:
    # Today is Monday 23 November; C = 60 days. Nothing closes in the week of 30 November (too near
    # for new prospects), nor in the week of 25 January (just over a cycle away).
    for n, close in enumerate(("2026-11-26", "2026-12-09", "2026-12-16", "2026-12-23", "2026-12-30", "2027-01-06",
                               "2027-01-13", "2027-01-20", "2027-02-03", "2027-02-10", "2027-02-17")):
        new_deal(cli, f"Deal {n}", "--bucket", "in", "--close", close)
    projection = json.loads(cli("status", "--json").out)["projection"]
    assert (projection["first_dry_week"], projection["too_late"], projection["prospect_by"]) == (
        "2026-11-30", True, None)
    assert projection["dry_run_weeks"] == 1
    assert (projection["next_dry_week"], projection["next_prospect_by"]) == ("2027-01-25", "2026-11-26")
    human = cli("status").out
    assert ("the first dry week new prospects can still reach is 2027-01-25: prospect by 2026-11-26 (4 new "
            "prospects a week fill it)") in human  # the quota in the Insights' words (planner.core.text)
    [dry] = [line for line in human.splitlines() if "Expected wins fall below" in line]
    assert dry.endswith("The first dry week new prospects can still reach is 2027-01-25: prospect by 2026-11-26")


def test_status_never_shows_a_coverage_rounded_onto_the_rule_it_misses(cli) -> None:
    """Three deals of 19,800 against a goal of 20,000 over the 60 days: 2.97×, below the 3× rule.
    The text says 2.97× (not 3.0×) and the thresholds in the same precision; JSON has the exact number."""
    for title in ("A", "B", "C"):
        new_deal(cli, title, "--bucket", "best_few", "--value", "19800", "--close", "+2w")
    assert cli("config", "goal_value_per_month", "10000").code == 0
    [line] = [line for line in cli("status").out.splitlines() if line.startswith("  coverage")]
    assert line.startswith("  coverage 2.97× (59,400 open against the goal's 20,000) beside the 3× rule of thumb and "
                           "the "), line
    forecast = json.loads(cli("status", "--json").out)["forecast"]
    assert forecast["coverage"] == pytest.approx(2.97) and forecast["coverage"] < forecast["rule_of_thumb"]
    assert f"the {forecast['required_coverage']:.2f}× your own win rate" in line


def test_status_json_schema(cli) -> None:
    new_deal(cli, "A", "--value", "1000")
    opp_id = new_deal(cli, "B", "--bucket", "in", "--value", "2,500.50", "--next", "Call", "--due", "-3d")
    status = json.loads(cli("status", "--json").out)
    assert {"today", "cycle", "buckets", "allocation", "flags"} <= set(status)
    assert set(status["cycle"]) >= {"days", "source", "samples"}
    assert status["buckets"]["in"]["count"] == 1 and status["buckets"]["in"]["value"] == 2500.5
    for bucket in ("above", "in", "best_few"):
        share = status["allocation"][bucket]
        assert isinstance(share["percent"], int) and isinstance(share["hours"], float) and share["reason"]
    assert {"overloaded_hours", "prospects_per_week"} <= set(status["allocation"])
    for flag in status["flags"]:
        assert set(flag) == {"code", "severity", "message", "opportunity_id"}
        assert flag["severity"] in ("critical", "warning", "info")
    assert {"code": "overdue_action", "opportunity_id": opp_id} in [
        {"code": f["code"], "opportunity_id": f["opportunity_id"]} for f in status["flags"]
    ]


def test_status_text_names_buckets_split_quota_and_flags(cli) -> None:
    new_deal(cli, "A", "--value", "1000", "--next", "Call", "--due", "today")
    out = cli("status").out
    for words in ("Above the Funnel", "In the Funnel", "Best Few", "Suggested split of your 15 h week",
                  "Prospecting quota:", "Flags:"):
        assert words in out


def test_plan_hours_set_this_week_only(cli) -> None:
    """SPEC §4: `--hours` overrides this week only; the normal week stays hours_per_week."""
    result = cli("plan", "--hours", "30", "--json")
    plan = json.loads(result.out)
    assert "Selling hours this week: 30 h (the normal week stays 15 h)" in result.err
    assert (plan["hours"], plan["normal_hours"], plan["hours_this_week_only"]) == (30, 15, True)
    assert sum(block["minutes"] for block in plan["blocks"]) == 30 * 60
    assert {block["day"] for block in plan["blocks"]} <= {f"2026-11-{d}" for d in range(23, 28)}
    assert cli("config", "hours_per_week").out.strip() == "15"
    text = cli("plan").out  # kept for the week, shown beside the normal week
    assert "30 h of selling time this week (normal week 15 h)" in text and "Time blocks:" in text
    assert json.loads(cli("status", "--json").out)["allocation"]["hours_per_week"] == 30
    assert cli("plan", "--hours", "lots").code == 2
    # `planner config` says what is in use beside the value, in the Profile's words.
    [hours] = [line for line in cli("config").out.splitlines() if line.startswith("hours_per_week ")]
    assert " 15 " in hours and hours.endswith("— in use: this week: 30 h")
    assert cli("plan", "--hours", "0").code == 2
    assert "normal week" in cli("plan", "--hours", "normal").err
    assert json.loads(cli("plan", "--json").out)["hours"] == 15


def test_plan_split_sets_and_clears_the_own_split(cli) -> None:
    """SPEC §4: `--split 20/40/40` (Above/In/Best Few) sets the user's own split, `suggested` clears it."""
    result = cli("plan", "--split", "20/40/40", "--json")
    split = json.loads(result.out)["split"]
    assert {b: split[b]["percent"] for b in split} == {"above": 20, "in": 40, "best_few": 40}
    assert "Your split: Above 20 %, In 40 %, Best Few 40 %" in result.err
    assert json.loads(cli("plan", "--json").out)["is_custom"] is True
    low = cli("plan", "--split", "10/50/40")
    assert low.code == 0 and "prospecting floor" in low.err
    for bad in ("20/40", "20/40/50", "a/b/c", "-10/70/40"):
        refused = cli("plan", "--split", bad)
        assert refused.code == 2 and len(refused.err_lines) == 1, bad
    assert json.loads(cli("plan", "--json").out)["split"]["above"]["percent"] == 10
    cli("plan", "--split", "suggested")
    assert json.loads(cli("plan", "--json").out)["is_custom"] is False


def test_plan_writes_the_blocks_as_icalendar(cli, tmp_path: Path) -> None:
    from icalendar import Calendar

    target = tmp_path / "week.ics"
    result = cli("plan", "--ics", str(target))
    assert result.code == 0 and "wrote" in result.err
    events = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    plan = json.loads(cli("plan", "--json").out)
    assert len(events) == len(plan["blocks"]) > 0


def test_plan_ics_to_stdout_is_the_calendar_alone(cli) -> None:
    result = cli("plan", "--ics", "-")
    assert result.code == 0
    assert result.out.startswith("BEGIN:VCALENDAR") and result.out.rstrip().endswith("END:VCALENDAR")
    refused = cli("plan", "--ics", "-", "--json")
    assert refused.code == 2 and "stdout" in refused.err


# --- config --------------------------------------------------------------------------------------


def test_config_lists_reads_and_saves_settings(cli) -> None:
    listing = cli("config").out
    assert "hours_per_week" in listing and "selling hours available per week" in listing
    assert cli("config", "hours_per_week", "20").out.strip() == "hours_per_week = 20"
    assert cli("config", "hours_per_week").out.strip() == "20"
    assert "hours_per_week             20 *" in cli("config").out
    assert json.loads(cli("status", "--json").out)["allocation"]["hours_per_week"] == 20
    assert cli("config", "pass_rate.in", "0.4").code == 0
    assert cli("config", "pass_rate.in", "auto").out.strip() == "pass_rate.in = auto"
    refused = cli("config", "hours_per_week", "500")
    assert refused.code == 2 and "between" in refused.err
    assert cli("config", "hours_per_week").out.strip() == "20"


# --- import / export / backup --------------------------------------------------------------------


def test_import_lists_every_bad_row_and_imports_nothing(cli, tmp_path: Path) -> None:
    csv = tmp_path / "deals.csv"
    csv.write_text('title,value,bucket,notes\nGood,10,in,\nBad,ten,,"two\nlines"\n,5,above,\nAlso bad,1,middle,\n',
                   encoding="utf-8")
    result = cli("import", str(csv))
    assert result.code == 2
    assert result.err_lines == [
        f"planner: nothing imported: 3 problems in {csv}",
        "  line 3: value 'ten' is not an amount; use a plain amount like 12500, 12,500.50 or 1.5k",
        "  line 5: title is empty",
        "  line 6: unknown bucket 'middle'; use above, in, best_few (or bf), won or lost",
    ]
    assert deals(cli) == []


def test_import_dry_run_then_for_real(cli, tmp_path: Path) -> None:
    csv = tmp_path / "deals.csv"
    csv.write_bytes("\ufefftitle,bucket,first_contact,closed_on\nA,in,,\nOld win,won,2026-01-05,2026-03-01\n".encode())
    dry = cli("import", str(csv), "--dry-run")
    assert dry.out.splitlines() == [
        f"would import 2 opportunities from {csv}: In the Funnel 1, Won 1; nothing changed (dry run)",
        "  read as UTF-8 with BOM text, comma-separated",
        "  columns:",
        "    title → title",
        "    bucket → bucket",
        "    first_contact → first_contact",
        "    closed_on → closed_on",
    ]
    assert deals(cli) == []
    assert cli("import", str(csv)).out.splitlines()[0] == f"imported 2 opportunities from {csv}: In the Funnel 1, Won 1"
    assert [(d["title"], d["bucket"], d["closed_on"]) for d in deals(cli)] == [
        ("A", "in", None), ("Old win", "won", "2026-03-01")
    ]


def test_export_then_import_into_a_fresh_database_round_trips(cli, tmp_path: Path) -> None:
    new_deal(cli, "=cmd|' /C calc'!A0", "--account", "客户 🚀", "--value", "1.5k", "--notes", "-minus")
    new_deal(cli, "Second", "--bucket", "in", "--next", "Call", "--due", "fri", "--close", "2027-01-31")
    csv_out = cli("export")
    assert csv_out.code == 0
    assert csv_out.out.splitlines()[1].startswith("1,'=cmd")  # neutralised for spreadsheets
    target = tmp_path / "out.csv"
    assert cli("export", "-o", str(target)).out.strip() == f"exported 2 opportunities to {target}"
    assert target.read_text(encoding="utf-8") == csv_out.out
    before = deals(cli)
    fresh = tmp_path / "fresh.db"
    assert cli("--db", str(fresh), "import", str(target)).code == 0
    after = json.loads(cli("list", "--json", "--db", str(fresh)).out)
    assert after == before
    # The same file again would duplicate every deal: refused by id, nothing imported.
    again = cli("import", str(target), "--db", str(fresh))
    assert again.code == 2 and "lines 2–3: id 1 already exists" in again.err and "(also 2)" in again.err


def test_a_complete_export_into_a_database_with_its_own_settings_says_they_stay(cli, tmp_path: Path) -> None:
    """The file's settings are not applied over a database's own; a dry run says they would not be."""
    new_deal(cli, "Theirs")
    new_deal(cli, "Also theirs")
    assert cli("config", "currency", "EUR").code == 0
    export = json.loads(cli("export", "--format", "json").out)
    export["deals"] = export["deals"][1:]  # only deal 2: the other database has a deal 1 of its own
    target = tmp_path / "theirs.json"
    target.write_text(json.dumps(export), encoding="utf-8")
    mine = tmp_path / "mine.db"
    new_deal(cli, "Mine", "--db", str(mine))
    own = "this database has deals and settings of its own (planner config)"
    dry = cli("import", str(target), "--dry-run", "--db", str(mine))
    assert dry.code == 0 and dry.out.splitlines()[-1] == f"  the settings in the file would not be applied: {own}"
    done = cli("import", str(target), "--db", str(mine))
    assert done.code == 0 and done.out.splitlines()[-1] == f"  the settings in the file were not applied: {own}"
    assert cli("config", "currency", "--db", str(mine)).out.strip() == "none"


def test_export_json_by_flag_and_by_file_name(cli, tmp_path: Path) -> None:
    new_deal(cli, "A", "--value", "99.95")
    export = json.loads(cli("export", "--format", "json").out)
    [record] = export["deals"]
    assert export["format"] == "funnel-planner export" and export["version"] == 1
    assert record["value"] == 99.95 and record["title"] == "A"
    assert [m["to"] for m in record["moves"]] == ["above"]
    target = tmp_path / "deals.json"
    assert cli("export", "-o", str(target)).code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == export


def test_backup_beside_the_database_or_where_asked(cli, db: Path, tmp_path: Path) -> None:
    import sqlite3

    new_deal(cli, "Keep me")
    result = cli("backup")
    assert result.code == 0
    copy = Path(result.out.strip())
    assert copy.parent == db.parent and copy.name.startswith("planner-backup-") and copy.suffix == ".db"
    assert (copy.stat().st_mode & 0o777) == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT title FROM opportunity").fetchall() == [("Keep me",)]
    target = tmp_path / "mine.db"
    assert cli("backup", "-o", str(target)).out.strip() == str(target)
    refused = cli("backup", "-o", str(target))
    assert refused.code == 2 and "already exists" in refused.err


def test_dash_is_stdout_for_text_and_refused_for_a_database_file(cli, db: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`export -o -` and `plan --ics -` write to stdout, as documented; a backup and the demo's
    --keep are database files: `-` is refused in one line saying how to choose a file, and no file
    called "-" appears."""
    monkeypatch.chdir(tmp_path)
    new_deal(cli, "Keep me")
    exported = cli("export", "-o", "-")
    assert exported.code == 0 and exported.out.splitlines()[1].startswith("1,Keep me,")
    assert json.loads(cli("export", "-o", "-", "--format", "json").out)["deals"][0]["title"] == "Keep me"
    calendar = cli("plan", "--ics", "-")
    assert calendar.code == 0 and calendar.out.startswith("BEGIN:VCALENDAR")
    refused = cli("backup", "-o", "-")
    assert refused.code == 2 and refused.err_lines == [
        "planner: a backup is a database file and is not written to stdout; choose the file with -o FILE, or leave "
        "-o out for a timestamped copy beside the database"]
    refused = cli("demo", "--keep", "-")
    assert refused.code == 2 and refused.err_lines == [
        "planner: --keep writes a database file, not stdout; name the file, e.g. --keep demo.db"]
    assert not (tmp_path / "-").exists()


# --- the command line itself ---------------------------------------------------------------------


@pytest.mark.parametrize("command", list(_COMMANDS))
def test_every_subcommand_has_help(cli, command: str) -> None:
    result = cli(command, "--help")
    assert result.code == 0 and result.out.startswith(f"usage: planner {command}")


def test_db_after_the_subcommand_beats_planner_db(cli, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    new_deal(cli, "In the default", "--db", str(other))
    assert deals(cli) == []
    assert [d["title"] for d in deals(cli, "--db", str(other))] == ["In the default"]


def test_usage_mistakes_are_one_line_with_a_hint(cli) -> None:
    result = cli("move", "1")
    assert result.code == 2
    assert result.err_lines == ["planner: the following arguments are required: bucket (see 'planner move --help')"]
    unknown = cli("stats")
    assert unknown.err_lines[0].startswith("planner: unknown command 'stats'; the commands are add, list")


def test_an_unusable_database_is_exit_1(cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    result = cli("status", "--db", str(junk))
    assert result.code == 1 and len(result.err_lines) == 1 and result.err_lines[0].startswith("planner: ")
    assert junk.read_bytes() == b"this is not a database" * 100


def test_ctrl_c_exits_130_quietly(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.cli, "cmd_status", interrupted)
    result = cli("status")
    assert (result.code, result.out, result.err) == (130, "", "")


class FakeApp:
    opened: list[str | None] = []

    def __init__(self, db: str | None = None) -> None:
        self.db = db

    def run(self) -> None:
        FakeApp.opened.append(self.db)


@pytest.fixture
def fake_tui(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The app stands in for itself, on what it takes for a terminal."""
    import planner.cli

    FakeApp.opened = []
    monkeypatch.setitem(sys.modules, "planner.app", types.SimpleNamespace(PlannerApp=FakeApp))
    monkeypatch.setattr(planner.cli, "_has_terminal", lambda: True)
    return FakeApp.opened


def test_no_subcommand_opens_the_tui_on_the_chosen_database(cli, fake_tui: list, tmp_path: Path) -> None:
    assert cli().code == 0
    assert cli("--db", str(tmp_path / "x.db")).code == 0
    assert fake_tui == [None, str(tmp_path / "x.db")]  # None: the app resolves PLANNER_DB like the CLI


def test_demo_opens_the_tui_on_a_temporary_database_never_the_users(cli, fake_tui: list, db: Path) -> None:
    assert cli("demo").code == 0
    [opened] = fake_tui
    assert opened is not None and Path(opened) != db
    assert not Path(opened).exists()  # the temporary demo is cleaned up when the UI closes
    assert not db.exists()


def test_without_a_terminal_the_app_is_refused_in_one_line_pointing_to_the_commands(
        cli, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`planner > out.txt`, a pipe, cron: the app would start and wait for keys forever. Under
    pytest stdin and stdout are not a terminal: refused (exit 1), nothing opened or created."""
    import planner.cli

    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    FakeApp.opened = []
    monkeypatch.setitem(sys.modules, "planner.app", types.SimpleNamespace(PlannerApp=FakeApp))
    said = ("planner: the app needs a terminal (stdin and stdout are not one here); in scripts and cron use the "
            "commands: planner status, planner list, planner plan (--json for machines; planner --help lists them all)")
    for args in ((), ("demo",)):
        result = cli(*args)
        assert (result.code, result.out, result.err_lines) == (1, "", [said])
    assert FakeApp.opened == [] and not db.exists()
    assert cli("demo", "--keep", str(db)).code == 0  # writes the file, opens nothing: no terminal needed
    assert not planner.cli._has_terminal()


def test_a_driver_chosen_in_the_environment_needs_no_terminal(cli, fake_tui: list, monkeypatch) -> None:
    """`planner serve` runs each tab's app under textual-serve's web driver (TEXTUAL_DRIVER), on pipes."""
    import planner.cli

    monkeypatch.setattr(planner.cli, "_has_terminal", lambda: False)
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    assert cli().code == 0 and fake_tui == [None]


def test_demo_keep_refuses_to_overwrite(cli, db: Path) -> None:
    db.write_bytes(b"precious")
    result = cli("demo", "--keep", str(db))
    assert result.code == 2 and "already exists" in result.err
    assert db.read_bytes() == b"precious"
