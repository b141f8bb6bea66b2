"""Switching in (SPEC §4): a consultant's funnel from Pipedrive, HubSpot, Salesforce, Zoho, Odoo,
Notion or an Excel sheet saved in a French or a German locale, imported as it comes.

Each fixture in tests/fixtures/imports is laid out as that tool writes its export (see the
sources in planner/importing/headers.py). The tests import it through `planner import` exactly as
a user would, with no flag, then check what the planner now holds: the deals per bucket, every
amount to the cent, names in every script, and the normal cycle measured from the won rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.cli import run

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
TODAY = "2026-03-04"


@pytest.fixture
def planner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("PLANNER_DB", str(tmp_path / "planner.db"))
    monkeypatch.setenv("PLANNER_TODAY", TODAY)

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


def imported(planner, name: str, *flags: str) -> tuple[dict, list[dict], str, str]:
    code, out, err = planner("import", str(FIXTURES / name), *flags)
    assert code == 0, err
    status = json.loads(planner("status", "--json")[1])
    deals = json.loads(planner("list", "--json")[1])
    return status, deals, out, err


def buckets(status: dict, deals: list[dict]) -> dict[str, tuple[int, float]]:
    """Open buckets from the status (count, value); won and lost counted from the list."""
    out = {b: (v["count"], v["value"]) for b, v in status["buckets"].items()}
    for closed in ("won", "lost"):
        out[closed] = sum(1 for d in deals if d["bucket"] == closed)
    return out


def by_title(deals: list[dict]) -> dict[str, dict]:
    return {d["title"]: d for d in deals}


CASES = {
    # fixture: (open buckets (count, value), won, lost, normal cycle days, checks on single deals)
    "pipedrive-deals.csv": (
        {"above": (2, 27000), "in": (2, 18200), "best_few": (1, 18500)}, 3, 2, 42,
        {"Pricing review": {"value": 12500.5, "closed_on": "2025-04-14", "first_contact": "2025-03-03"},
         "ERP audit": {"account": "北京明德咨询", "contact": "李娜", "expected_close": "2026-05-15"},
         "Helpdesk setup": {"bucket": "lost", "lost_reason": "No budget", "closed_on": "2025-05-20",
                            "contact": "Анна Соколова"}},
    ),
    "hubspot-deals.csv": (
        {"above": (1, 4200), "in": (3, 45800), "best_few": (1, 6400)}, 4, 1, 55,
        {"Churn analysis": {"value": 13750.25, "closed_on": "2025-09-30", "expected_close": None},
         "Market entry study": {"account": "東京商事", "contact": "佐藤 花子", "expected_close": "2026-05-29",
                                "first_contact": "2026-01-12"},
         "Sales training": {"lost_reason": "Chose an in-house trainer"}},
    ),
    "salesforce-report.csv": (
        {"above": (1, 12000), "in": (3, 69250), "best_few": (1, 27300)}, 3, 2, 65,
        {"Pyramid - Site survey": {"value": 31250.75, "first_contact": "2025-09-29", "closed_on": "2025-12-18"},
         "Grand Hotels - Guest app": {"next_action": "Redlines back from legal", "source": "Trade Show",
                                      "expected_close": "2026-03-20"}},
    ),
    "zoho-deals.csv": (
        {"above": (1, 14000), "in": (4, 102500), "best_few": (1, 38000)}, 3, 2, 50,
        {"ERP rollout": {"bucket": "lost", "lost_reason": "Competition", "closed_on": "2025-11-28"},
         "Fleet tracking": {"next_action": "Final terms", "expected_close": "2026-03-18"}},
    ),
    "notion-crm.csv": (
        {"above": (1, 4800), "in": (2, 24250), "best_few": (1, 9900)}, 3, 1, 67,
        {"Sales offsite": {"value": 7300.5, "first_contact": "2025-09-08", "closed_on": "2025-10-31"},
         "Hiring plan": {"notes": "🚀 priority", "expected_close": "2026-03-27"}},
    ),
    "odoo-crm.xlsx": (
        {"above": (1, 14500), "in": (2, 41875.5), "best_few": (0, 0)}, 3, 1, 46,
        {"Modular storage": {"contact": "王芳", "closed_on": "2025-10-09", "first_contact": "2025-08-04"},
         "Open space redesign": {"bucket": "lost", "lost_reason": "Too expensive"},
         "Design consulting": {"contact": "Владимир Петров"}},
    ),
    "excel-fr.csv": (
        {"above": (1, 3000), "in": (1, 7250.5), "best_few": (1, 18500)}, 3, 1, 42,
        {"Étude de marché": {"account": "Crèmerie Bénard", "contact": "Chloé Bénard", "closed_on": "2025-06-13",
                             "first_contact": "2025-05-02"},
         "Refonte du site": {"value": 18500, "expected_close": "2026-03-27", "next_action_due": "2026-03-06"}},
    ),
    "excel-de.csv": (
        {"above": (1, 2450.75), "in": (1, 3000), "best_few": (1, 18500)}, 3, 1, 42,
        {"Preisstrategie": {"value": 9800.5, "account": "Weingut Fröhlich", "closed_on": "2025-03-11"},
         "Vertriebscoaching": {"contact": "Ayşe Özdemir"},
         "Cloud-Migration": {"bucket": "lost", "value": 30000, "notes": "Zu teuer"}},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_tools_export_imports_as_it_comes(planner, name: str) -> None:
    open_buckets, won, lost, cycle, checks = CASES[name]
    status, deals, out, err = imported(planner, name)
    assert buckets(status, deals) == {**open_buckets, "won": won, "lost": lost}, out
    assert {k: status["cycle"][k] for k in ("days", "source", "measured", "samples")} == {
        "days": cycle, "source": f"median of {won} won deals", "measured": True, "samples": won}
    found = by_title(deals)
    for title, fields in checks.items():
        assert {k: found[title][k] for k in fields} == fields, title
    assert "warning: the normal cycle" not in err  # every won row had both days


def test_columns_with_no_field_are_kept_in_the_notes_and_listed(planner) -> None:
    _, deals, out, _ = imported(planner, "hubspot-deals.csv")
    assert "kept in the notes as 'Header: value': Record ID, Deal owner, Pipeline, Deal Type" in out
    study = by_title(deals)["Market entry study"]
    assert study["notes"] == (
        "Wants a Japanese and an English report.\nDecision in April.\n"
        "Record ID: 15520012346\nDeal owner: Ana Ruiz\nPipeline: Sales Pipeline\nDeal Type: newbusiness"
    )


def test_a_report_footer_is_skipped_and_said_so(planner) -> None:
    """Salesforce ends a report's CSV with its totals, then, below a blank line, the report's
    name, copyright, confidentiality and "Generated By" lines and the company's name: all of it
    is footer, even the two lines no pattern knows."""
    _, deals, out, _ = imported(planner, "salesforce-report.csv")
    assert len(deals) == 10 and not any("Total" in d["title"] or "Confidential" in d["title"] for d in deals)
    assert ("lines 13, 15–19 skipped: a report footer ('Grand Totals (10 records)', 'Opportunity Pipeline', "
            "'Copyright (c) 2000-2026 salesforce.com,…')") in out


def test_the_locale_of_the_sheet_becomes_the_databases_money(planner) -> None:
    _, _, out, err = imported(planner, "excel-de.csv")
    assert "amounts read with the decimal comma, as line 4 shows ('2.450,75 €')" in out
    assert planner("config", "currency")[1].strip() == "EUR"
    assert planner("config", "decimal_comma")[1].strip() == "on"
    # From now on amounts are read and shown as this user writes them.
    code, out, _ = planner("add", "Neues Projekt", "--value", "3.000")
    assert code == 0
    listed = planner("list")[1]
    assert "3.000 €" in listed and "18.500 €" in listed


def test_a_dry_run_says_what_the_import_would_do_to_the_settings(planner) -> None:
    """A dry run changes nothing, so it never says the database's currency "is now" anything: it
    says what the import would do; the import itself then says what it did."""
    code, out, _ = planner("import", str(FIXTURES / "excel-de.csv"), "--dry-run")
    assert code == 0
    said = out.splitlines()[-2:]
    assert said == [
        "  amounts are in EUR: the database's currency would become EUR (planner config currency)",
        "  amounts would be written with the decimal comma from then on (planner config decimal_comma off to change)",
    ]
    assert "is now" not in out and "from now on" not in out
    assert planner("config", "currency")[1].strip() == "none"
    assert planner("config", "decimal_comma")[1].strip() == "off"
    code, out, _ = planner("import", str(FIXTURES / "excel-de.csv"))
    assert out.splitlines()[-2:] == [
        "  amounts are in EUR: the database's currency is now EUR (planner config currency)",
        "  amounts are written with the decimal comma from now on (planner config decimal_comma off to change)",
    ]


def test_an_old_excel_save_is_read_as_windows_1252_and_said_so(planner) -> None:
    status, deals, out, err = imported(planner, "excel-fr.csv")
    assert "read as Windows-1252 text, semicolon-separated" in out
    assert "warning: the file is not UTF-8 (line 1 has the byte 0xE9); read it as Windows-1252" in err
    assert "dates read day first" in out


def test_the_odoo_workbook_reads_its_first_sheet_or_the_one_named(planner) -> None:
    _, _, out, err = imported(planner, "odoo-crm.xlsx", "--dry-run")
    assert "warning: the workbook has 2 sheets; read the first, 'Pipeline'" in out
    code, _, err = planner("import", str(FIXTURES / "odoo-crm.xlsx"), "--sheet", "Notes")
    assert code == 2 and "no column for the deal's title" in err
    code, _, err = planner("import", str(FIXTURES / "odoo-crm.xlsx"), "--sheet", "Forecast")
    assert code == 2 and "no sheet 'Forecast' in the workbook; its sheets are 'Pipeline', 'Notes'" in err


def test_dry_run_shows_the_mapping_and_changes_nothing(planner, tmp_path: Path) -> None:
    code, out, _ = planner("import", str(FIXTURES / "pipedrive-deals.csv"), "--dry-run")
    assert code == 0
    assert out.splitlines()[0] == (
        "would import 10 opportunities from " + str(FIXTURES / "pipedrive-deals.csv")
        + ": Above the Funnel 2, In the Funnel 2, Best Few 1, Won 3, Lost 2; nothing changed (dry run)"
    )
    assert "    Deal - Lost time → closed_on (when the first is empty)" in out
    assert "    Negotiations Started → best_few (1 row)" in out
    assert json.loads(planner("list", "--json")[1]) == []
    assert planner("config", "currency")[1].strip() == "none"
