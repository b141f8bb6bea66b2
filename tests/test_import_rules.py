"""The rules of import a switcher meets (SPEC §4): stages mapped or listed once, the file's date
order and decimal convention decided from the whole file, one currency, messages said once with
their lines, --update all or nothing, the complete JSON export read back as the same funnel, and
reading that stays exact and bounded whatever the file (issue: hostile files, item 6)."""

from __future__ import annotations

import json
import sqlite3
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from planner.cli import run
from planner.domain.models import Bucket
from planner.errors import BadInput
from planner.importing import ImportOptions, ImportProblem, parse_map, parse_stage, read_import
from planner.importing.reading import MAX_COLUMNS

TODAY = date(2026, 3, 4)


def plan(text: str | bytes, **options):
    return read_import(text, TODAY, ImportOptions(**options))


def problems(text: str | bytes, **options) -> list[str]:
    with pytest.raises(ImportProblem) as caught:
        plan(text, **options)
    return caught.value.problems


# --- stages -----------------------------------------------------------------------------------


def test_stages_with_no_bucket_are_listed_once_with_their_counts() -> None:
    text = "Deal Name,Stage\n" + "".join(f"D{n},{stage}\n" for n, stage in enumerate(
        ["Contract Sent", "Demo", "Contract Sent", "Scoping", "Contract Sent", "Closed Won", "Demo"]))
    assert problems(text.replace("Contract Sent", "Contract Out")) == [
        "lines 2, 4–6: Stage values with no bucket: 'Contract Out' (3 rows), 'Scoping' (1 row); map each with "
        "--stage 'Contract Out=BUCKET' (above, in, best_few, won or lost)"
    ]
    stages = dict([parse_stage("Contract Out=best_few"), parse_stage("scoping = in")])
    found = plan(text.replace("Contract Sent", "Contract Out"), stages=stages)
    assert [o.bucket for o in found.new] == [Bucket.BEST_FEW, Bucket.IN, Bucket.BEST_FEW, Bucket.IN, Bucket.BEST_FEW,
                                             Bucket.WON, Bucket.IN]


def test_a_status_column_closes_a_deal_whatever_its_last_stage() -> None:
    text = "Deal - Title,Deal - Stage,Deal - Status\nA,Proposal Made,won\nB,Proposal Made,lost\nC,Proposal Made,open\n"
    assert [o.bucket for o in plan(text).new] == [Bucket.WON, Bucket.LOST, Bucket.IN]


def test_salesforce_won_and_closed_flags_and_odoo_inactive() -> None:
    flags = "Opportunity Name,Stage,Won,Closed\nA,Negotiation,TRUE,TRUE\nB,Negotiation,FALSE,TRUE\nC,Negotiation,FALSE,FALSE\n"
    assert [o.bucket for o in plan(flags).new] == [Bucket.WON, Bucket.LOST, Bucket.BEST_FEW]
    odoo = "Opportunity,Stage,Active\nA,Qualified,False\nB,Won,True\nC,Qualified,True\n"
    assert [o.bucket for o in plan(odoo).new] == [Bucket.LOST, Bucket.WON, Bucket.IN]


def test_map_names_any_column_and_leaves_one_out_on_purpose() -> None:
    text = "Projekt,Kunde X,Geheim\nAudit,Acme,secret\n"
    [opp] = plan(text, maps=dict([parse_map("Projekt=title"), parse_map("Kunde X=account"), parse_map("geheim=")])).new
    assert (opp.title, opp.account, opp.notes) == ("Audit", "Acme", "")
    assert "--map names 'nope', which is not a column" in problems(text, maps=dict([parse_map("Nope=title")]))[0]
    with pytest.raises(BadInput, match="'size' is not a field"):
        parse_map("Projekt=size")


# --- dates ------------------------------------------------------------------------------------


def test_numeric_dates_take_their_order_from_the_whole_file() -> None:
    text = "title,first_contact\nA,03/04/2025\nB,24/07/2025\n"
    assert [o.first_contact for o in plan(text).new] == [date(2025, 4, 3), date(2025, 7, 24)]
    us = "title,first_contact\nA,03/04/2025\nB,7/24/2025\n"
    assert [o.first_contact for o in plan(us).new] == [date(2025, 3, 4), date(2025, 7, 24)]


def test_dates_no_row_can_settle_are_refused_as_ambiguous_with_the_way_out() -> None:
    text = "title,first_contact\n" + "".join(f"D{n},0{n % 9 + 1}/0{n % 7 + 1}/2025\n" for n in range(30))
    [problem] = problems(text)
    assert problem.startswith("lines 9–31: dates like '08/01/2025' could be day/month or month/day")
    assert problem.endswith("use --date-format dmy (day first) or --date-format mdy")
    assert plan(text, date_format="mdy").new[1].first_contact == date(2025, 2, 2)
    both = "title,first_contact\nA,24/07/2025\nB,7/24/2025\n"
    assert "both day first (line 2: '24/07/2025') and month first (line 3: '7/24/2025')" in problems(both)[0]


def test_a_date_with_a_time_keeps_its_day() -> None:
    text = "title,first_contact,expected_close\nA,2025-06-02T23:30:00-05:00,June 2 2026 10:15 PM\n"
    [opp] = plan(text).new
    assert (opp.first_contact, opp.expected_close) == (date(2025, 6, 2), date(2026, 6, 2))


def test_one_bad_date_on_many_lines_is_said_once_with_its_lines() -> None:
    text = "title,first_contact\n" + "".join(f"D{n},someday {n}\n" for n in range(62))
    [problem] = problems(text)
    assert problem.startswith("lines 2–63: first_contact 'someday 0' is not a date")
    assert "(also 'someday 1', 'someday 2', 'someday 3' …)" in problem


# --- amounts ----------------------------------------------------------------------------------


def test_an_ambiguous_amount_is_refused_unless_the_file_or_the_user_says_the_decimal_comma() -> None:
    text = "title,value\nA,3.000\nB,18.500\n"
    [problem] = problems(text)
    assert problem.startswith("lines 2–3: value '3.000' is ambiguous (a '.' before three digits may separate thousands)")
    assert "(also '18.500')" in problem
    assert [o.value_cents for o in plan(text, decimal_comma=True).new] == [300_000, 1_850_000]
    assert [o.value_cents for o in plan(text, decimal_comma_setting=True).new] == [300_000, 1_850_000]
    shown = "title,value\nA,3.000\nB,\"1.250,50\"\n"  # a decimal comma elsewhere in the file says which
    assert [o.value_cents for o in plan(shown).new] == [300_000, 125_050]
    semicolons = "title;value\nA;3.000\nB;18.500\n"  # a ;-separated sheet: the decimal comma's locale
    assert [o.value_cents for o in plan(semicolons).new] == [300_000, 1_850_000]
    english = "title;value\nA;3.000\nB;1,250.50\n"  # …unless its amounts show a decimal point
    assert "ambiguous" in problems(english)[0]


def test_a_file_of_several_currencies_is_refused_with_the_currencies_found() -> None:
    text = "title,value\nA,$1200\nB,€900\nC,1.200 USD\nD,£5\n"
    [problem] = problems(text, decimal_comma=True)
    assert problem.startswith("the amounts are in 3 currencies: USD (lines 2, 4), EUR (line 3), GBP (line 5)")
    assert problem.endswith("import each currency into its own database (--db)")
    assert "keeps amounts in EUR" in problems("title,value\nA,USD 5\n", currency="EUR")[0]
    assert plan("title,value\nA,$5\nB,USD 7\n").settings == {"currency": "USD"}
    pipedrive = "Deal - Title,Deal - Value,Deal - Currency\nA,5,EUR\nB,6,USD\n"
    assert "2 currencies" in problems(pipedrive)[0]


def test_cells_are_quoted_as_the_user_sees_them_never_with_python_escapes() -> None:
    [problem] = problems("title,value\nA,\"18\u00a0500,00\u00a0€ x\"\n")
    assert "'18 500,00 € x'" in problem and "\\xa0" not in problem


def test_question_marks_where_names_were_are_warned_about() -> None:
    found = plan("title,contact\n??????,????\nAcme,Ana\nWhat?,Lee\n")
    assert len(found.new) == 3
    [warning] = found.warnings
    assert warning.startswith("line 2: text that is only question marks") and "'CSV UTF-8'" in warning


def test_won_deals_that_cannot_be_measured_are_warned_about() -> None:
    found = plan("title,bucket,first_contact,closed_on\nA,won,,2025-01-01\nB,won,2024-12-01,\nC,won,2024-11-01,2025-01-02\n")
    assert found.warnings == [
        "the normal cycle can't be measured from 2 won deals (no first contact on line 2; no close day on line 3): "
        "map the columns that hold those days with --map 'Their header=first_contact' or --map 'Their header=closed_on'"
    ]


# --- reading exact and bounded ------------------------------------------------------------------


def test_an_unclosed_quote_is_an_error_at_its_line_not_a_swallowed_file() -> None:
    text = 'title,notes\nA,fine\nB,"never closed\nC,x\nD,y\n'
    assert problems(text) == [
        'line 3: a quote opened on this line is never closed (the rest of the file, to line 5, would be one cell); '
        'close it, or double a quote that belongs to the text ("")'
    ]


def test_a_quote_closed_rows_too_late_is_said_not_swallowed() -> None:
    text = ('title,account,value,notes\nA,Acme,1,"starts here\nB,Beta,2,fine\nC,Gamma,3,fine\nD,Delta,4,ends here"\n'
            'E,Eps,5,"a note, with commas,\nover two lines"\n')
    assert problems(text) == ["line 2: the quoted cell that starts on this line runs on over lines that look like rows "
                              "of their own; is a closing quote missing?"]
    assert [o.title for o in plan(text.split("\nA,")[0] + "\nE,Eps,5,\"a note, with commas,\nover two lines\"\n").new] == ["E"]


def test_a_quote_closed_one_row_too_late_in_a_narrow_file_is_said_not_swallowed() -> None:
    """Three columns, one row swallowed: too few to look like rows of their own, but a title
    holding "Beta,Acme,2" after a line break can only come from a misplaced quote. A title typed
    over two lines, and notes over several lines with commas, still import."""
    text = 'title,account,value\nA,Acme,1\n"B,Acme,2\nC,Gamma,3\nD",Delta,4\nE,Eps,5\n'
    assert problems(text) == ["line 3: the quoted cell that starts on this line runs on over lines that look like rows "
                              "of their own; is a closing quote missing?"]
    fine = 'title,account,notes\n"Website\nrevamp",Acme,"a, b\nc, d"\nB,Beta,x\n'
    assert [o.title for o in plan(fine).new] == ["Website revamp", "B"]


def test_a_header_of_a_million_columns_is_refused_in_one_short_line() -> None:
    header = ",".join(f"c{n}" for n in range(1_000_000))
    [problem] = problems((header + "\nx\n").encode())
    assert problem.startswith("line 1: the header names 1,000,000 columns ('c0', 'c1', 'c2', …)")
    assert len(problem) < 300
    wide = ",".join(["title"] + [f"c{n}" for n in range(MAX_COLUMNS)])
    [problem] = problems(wide + "\nx\n")
    assert problem == f"line 1: the header names {MAX_COLUMNS + 1} columns ('title', 'c0', 'c1', …); at most {MAX_COLUMNS}"
    names = "title," + ",".join("n" * 300 + str(n) for n in range(5))
    [problem] = problems(names + "\nx\n")
    assert problem.startswith("line 1: column names longer than 200 characters: 'nnnn") and problem.endswith("and 2 more")


def test_memory_stays_bounded_on_a_huge_line_and_a_huge_file(tmp_path: Path) -> None:
    long_line = tmp_path / "line.csv"
    with long_line.open("wb") as handle:
        handle.write(b"title\n")
        for _ in range(60):
            handle.write(b"x" * 1_000_000)  # one 60 MB line
        handle.write(b"\n")
    tracemalloc.start()
    with pytest.raises(ImportProblem, match="line 2 is longer than 1,000,000 characters"):
        read_import(long_line, TODAY)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 25 * 2**20, f"{peak / 2**20:.0f} MiB held to refuse a 60 MB line"
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.write(b"title\nA\n")
        handle.truncate(3 * 2**30)  # a 3 GiB file (sparse: made in no time)
    with pytest.raises(ImportProblem, match="the file is 3,072 MiB; the planner imports files up to 512 MiB"):
        read_import(huge, TODAY)


# --- update and the complete export, through the CLI --------------------------------------------


@pytest.fixture
def planner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("PLANNER_TODAY", TODAY.isoformat())

    def call(db: Path, *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(["--db", str(db), *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


def _dump(db: Path) -> dict:
    """Everything a funnel is, without the row ids of moves, activities and influences."""
    with sqlite3.connect(db) as conn:
        return {
            "deals": conn.execute("SELECT * FROM opportunity ORDER BY id").fetchall(),
            "influences": conn.execute("SELECT opportunity_id, name, role, covered FROM influence ORDER BY 1, 2").fetchall(),
            "met": conn.execute(
                "SELECT oc.opportunity_id, c.name FROM opportunity_criterion oc JOIN criterion c ON c.id = oc.criterion_id "
                "ORDER BY 1, 2").fetchall(),
            "criteria": conn.execute("SELECT id, name, kind, weight FROM criterion ORDER BY id").fetchall(),
            "moves": conn.execute("SELECT opportunity_id, from_bucket, to_bucket, at, stay_days FROM move ORDER BY 1, 4").fetchall(),
            "activities": conn.execute(
                "SELECT opportunity_id, kind, minutes, day, note, bucket FROM activity ORDER BY 1, 4, 2, 3").fetchall(),
            "settings": conn.execute("SELECT key, value FROM setting ORDER BY key").fetchall(),
        }


def test_the_complete_json_export_imports_into_an_empty_database_as_the_same_funnel(planner, tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    assert planner(demo, "config", "currency", "EUR")[0] == 0
    assert run(["demo", "--keep", str(tmp_path / "built.db")]) == 0
    source = tmp_path / "built.db"
    assert planner(source, "config", "currency", "EUR")[0] == 0
    assert planner(source, "log", "--kind", "research", "--minutes", "45", "--note", "LinkedIn")[0] == 0
    export = tmp_path / "all.json"
    code, out, err = planner(source, "export", "-o", str(export))
    assert code == 0, err
    document = json.loads(export.read_text(encoding="utf-8"))
    assert document["criteria"] and document["prospecting"] and any(d["influences"] for d in document["deals"])
    assert any(d["activities"] for d in document["deals"]) and any(d["money"] for d in document["deals"])
    fresh = tmp_path / "fresh.db"
    code, out, err = planner(fresh, "import", str(export))
    assert code == 0, err
    assert _dump(fresh) == _dump(source)
    assert planner(fresh, "status", "--json")[1] == planner(source, "status", "--json")[1]
    code, _, err = planner(fresh, "import", str(export))  # again: every deal is already there
    assert code == 2 and "already in this database" in err and "--update" in err


def test_an_edited_complete_export_updates_its_deals(planner, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert planner(db, "add", "Audit", "--value", "100", "--bucket", "in")[0] == 0
    export = tmp_path / "all.json"
    assert planner(db, "export", "-o", str(export))[0] == 0
    document = json.loads(export.read_text(encoding="utf-8"))
    document["deals"][0].update(title="Audit, phase 2", money=True,
                                influences=[{"name": "Dana", "role": "economic", "covered": True}])
    export.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = planner(db, "import", str(export), "--update")
    assert code == 0, err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT title, money FROM opportunity").fetchall() == [("Audit, phase 2", 1)]
        assert conn.execute("SELECT name, role, covered FROM influence").fetchall() == [("Dana", "economic", 1)]
        assert conn.execute("SELECT COUNT(*) FROM move").fetchone() == (1,)


def test_update_matches_rows_on_id_and_changes_them_all_or_nothing(planner, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    for title in ("Audit", "Workshop"):
        assert planner(db, "add", title, "--value", "100")[0] == 0
    exported = tmp_path / "deals.csv"
    assert planner(db, "export", "-o", str(exported))[0] == 0
    rows = exported.read_text(encoding="utf-8").splitlines()
    edited = [rows[0], rows[1].replace("Audit", "Audit (phase 2)").replace(",100,", ",2500,"),
              rows[2].replace(",above,", ",won,"), ",New one,,,5,in,,,,,,,,"]
    exported.write_text("\n".join(edited) + "\n", encoding="utf-8")
    before = _dump(db)
    code, out, err = planner(db, "import", str(exported))
    assert code == 2 and "already exists" in err and "--update" in err
    assert _dump(db) == before
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(edited + ["99,Ghost,,,1,in,,,,,,,,"]) + "\n", encoding="utf-8")
    code, out, err = planner(db, "import", str(broken), "--update")
    assert code == 2 and "line 5: id 99 is not in this database" in err
    assert _dump(db) == before  # one bad row: nothing updated, nothing added
    code, out, err = planner(db, "import", str(exported), "--update")
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"imported 1 opportunity, updated 2 from {exported}")
    deals = {d["id"]: d for d in json.loads(planner(db, "list", "--json")[1])}
    assert (deals[1]["title"], deals[1]["value"], deals[1]["bucket"]) == ("Audit (phase 2)", 2500, "above")
    assert (deals[2]["bucket"], deals[2]["closed_on"]) == ("won", TODAY.isoformat())
    assert deals[3]["title"] == "New one" and len(deals) == 3
    with sqlite3.connect(db) as conn:  # the change of bucket is a move, kept as history
        assert conn.execute("SELECT from_bucket, to_bucket FROM move WHERE opportunity_id = 2 ORDER BY at").fetchall() == [
            (None, "above"), ("above", "won")]


def test_a_reports_title_lines_above_the_header_are_skipped_and_said_so() -> None:
    found = plan("Opportunity Pipeline\nAs of 3/2/2026\n\nOpportunity Name,Amount,Stage\nA,5,Closed Won\n")
    assert [(o.title, o.bucket) for o in found.new] == [("A", Bucket.WON)]
    assert found.notices == ["lines 1–2 above the header skipped: a report's title ('Opportunity Pipeline', 'As of 3/2/2026')"]
