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
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert warning.startswith("line 2: question marks where letters were (like '??????')") and "'CSV UTF-8'" in warning


def test_won_deals_that_cannot_be_measured_are_warned_about() -> None:
    found = plan("title,bucket,first_contact,closed_on\nA,won,,2025-01-01\nB,won,2024-12-01,\nC,won,2024-11-01,2025-01-02\n")
    assert found.warnings == [
        "the normal cycle can't be measured from 2 won deals (no first contact on line 2; no close day on line 3): "
        "map the columns that hold those days with --map 'Their header=first_contact' or --map 'Their header=close_date' "
        "(the day won and lost deals closed, the expected close of open ones)"
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
            "checkins": conn.execute("SELECT day FROM checkin ORDER BY day").fetchall(),
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
    assert document["checkins"] and any(d["lost_reason"] for d in document["deals"])
    fresh = tmp_path / "fresh.db"
    # The file's settings become the empty database's, and the summary says which (a dry run: would).
    settings = ", ".join(f"{key} {value}" for key, value in sorted(document["settings"].items()))
    assert "currency EUR" in settings
    code, out, err = planner(fresh, "import", str(export), "--dry-run")
    assert code == 0 and f"  the settings in the file would be applied: {settings} (planner config shows them)" in (
        out.splitlines()), out
    assert planner(fresh, "config", "currency")[1].strip() == "none"
    code, out, err = planner(fresh, "import", str(export))
    assert code == 0, err
    assert f"  the settings in the file were applied: {settings} (planner config shows them)" in out.splitlines(), out
    assert _dump(fresh) == _dump(source)
    assert planner(fresh, "status", "--json")[1] == planner(source, "status", "--json")[1]
    code, _, err = planner(fresh, "import", str(export))  # again: every deal is already there
    assert code == 2 and "already in this database" in err and "--update" in err


def test_ids_already_here_or_missing_are_counted_in_words_that_agree(planner, tmp_path: Path) -> None:
    """One id is "the deal 1 is", several are "the deals 1, 2 are"; the same for --update's ids."""
    db = tmp_path / "p.db"
    assert planner(db, "add", "Audit")[0] == 0
    export = tmp_path / "all.json"
    assert planner(db, "export", "-o", str(export))[0] == 0
    code, _, err = planner(db, "import", str(export))
    assert code == 2 and err.splitlines() == [
        "planner: nothing imported: the deal 1 is already in this database; import a complete export into an empty "
        "database (--db NEW.db), or use --update to update it"]
    document = json.loads(export.read_text(encoding="utf-8"))
    document["deals"].append({**document["deals"][0], "id": 9})
    export.write_text(json.dumps(document), encoding="utf-8")
    code, _, err = planner(db, "import", str(export), "--update")
    assert code == 2 and err.splitlines() == ["planner: nothing imported: --update: the id 9 is not in this database"]
    assert planner(db, "add", "Workshop")[0] == 0
    document["deals"][1]["id"] = 2
    export.write_text(json.dumps(document), encoding="utf-8")
    code, _, err = planner(db, "import", str(export))
    assert code == 2 and "the deals 1, 2 are already in this database" in err and "update those deals" in err


def test_counts_in_problems_agree_with_their_nouns() -> None:
    from planner.importing.problems import MAX_LISTED, Problems

    assert problems("title\nA,b\n") == ["line 2: 2 cells but the header names 1 column"]
    found = Problems()
    for number in range(MAX_LISTED + 1):
        found.add(number + 2, f"problem {'x' * number}")
    assert found.lines()[-1] == "… and 1 other problem"


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


# --- what the trial with each tool's own export showed --------------------------------------------


def test_the_headers_of_newer_exports_are_known_by_what_they_qualify() -> None:
    """HubSpot's `Associated Company (Primary)`; Pipedrive's field names without the object
    (`Organization`, `Contact person`), with a qualifier (`Deal - Stage (pipeline)`, stage values
    `Proposal Made (Sales)`) or with it once more (`Deal - Closed on`). Another tool's id stays
    in the notes: it is not the planner's."""
    hubspot = ("Deal Name,Deal Stage,Amount,Associated Company (Primary),Associated Contact\n"
               "Audit,Contract Sent,5000,東京商事,佐藤 花子\n")
    [opp] = plan(hubspot).new
    assert (opp.account, opp.contact, opp.bucket) == ("東京商事", "佐藤 花子", Bucket.BEST_FEW)
    pipedrive = ("Deal - ID,Deal - Title,Deal - Value,Deal - Currency of value,Organization,Contact person,"
                 "Deal - Stage (pipeline),Deal - Status,Deal - Creation date,Deal - Closed on\n"
                 "301,Audit,7200,EUR,北京明德咨询,李娜,Proposal Made (Sales),Open,2026-01-14 09:12:44,\n"
                 "302,Workshop,3000,USD,Acme,Анна,Proposal Made (Sales),Won,2025-03-03 10:00:00,2025-04-14 16:03:11\n")
    assert "the amounts are in 2 currencies: EUR (line 2), USD (line 3)" in problems(pipedrive)[0]
    audit, workshop = plan(pipedrive.replace("USD", "EUR")).new
    assert (audit.id, audit.account, audit.contact, audit.bucket) == (None, "北京明德咨询", "李娜", Bucket.IN)
    assert audit.notes == "Deal - ID: 301" and audit.first_contact == date(2026, 1, 14)
    assert (workshop.bucket, workshop.first_contact, workshop.closed_on) == (Bucket.WON, date(2025, 3, 3), date(2025, 4, 14))


def test_every_line_of_a_salesforce_footer_is_skipped_and_a_last_deal_is_kept() -> None:
    """Below a blank line, the report's name and the company's name are footer too when a known
    footer line is among them; a deal with only a title at the end of the data is not."""
    data = '"Opportunity Owner","Opportunity Name","Stage","Amount"\n"Ana","Audit","Closed Won","5,000.00"\n"Ana","Tail","",""\n'
    footer = ('\n\n"Opportunity Pipeline"\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
              '"Confidential Information - Do Not Distribute"\n"Generated By:  Ana Ruiz  3/4/2026 10:15 AM"\n'
              '"Ruiz Consulting Ltd"\n')
    found = plan(data + footer)
    assert [o.title for o in found.new] == ["Audit", "Tail"]
    assert found.notices[0] == ("lines 6–10 skipped: a report footer ('Opportunity Pipeline', 'Copyright (c) 2000-2026 "
                                "salesforce.com,…', 'Confidential Information - Do Not Distr…')")
    # No blank line between the data and a single-cell line: that line is a deal, not a footer.
    assert problems('Opportunity Owner,Opportunity Name\nAna,Audit\nRuiz Consulting Ltd\n"Confidential"\n') == [
        "line 3: Opportunity Name is empty"]


def test_an_expected_close_date_is_the_close_day_of_won_and_lost_deals_when_nothing_else_is() -> None:
    """A Notion database keeps one date, "Expected close date", up to the day a deal is won: with
    no other close day in the file, it is that day, and the won rows measure the normal cycle."""
    text = ('Name,Status,Expected close date,Created time\n'
            'Podcast,Lead,"June 30, 2026","February 24, 2026 9:05 AM"\n'
            'Brand refresh,Closed Won,"August 22, 2025","June 16, 2025 10:00 AM"\n'
            'Content plan,Closed Lost,"November 14, 2025","September 29, 2025 1:00 PM"\n')
    found = plan(text)
    podcast, brand, content = found.new
    assert (podcast.expected_close, podcast.closed_on) == (date(2026, 6, 30), None)
    assert (brand.bucket, brand.first_contact, brand.closed_on) == (Bucket.WON, date(2025, 6, 16), date(2025, 8, 22))
    assert content.closed_on == date(2025, 11, 14)
    assert "Expected close date is read as the day 2 won and lost deals closed (lines 3–4): the file has no other close day" in found.notices
    assert found.warnings == []


def test_open_deals_no_stage_places_are_said_to_start_above_the_funnel() -> None:
    status_only = plan("Deal - Title,Deal - Status\nA,Open\nB,Won\nC,open\n")
    assert [o.bucket for o in status_only.new] == [Bucket.ABOVE, Bucket.WON, Bucket.ABOVE]
    assert ("no column says which stage the open deals are in (a stage or bucket): the 2 open deals start Above the "
            "Funnel; --map 'Their header=stage' names such a column") in status_only.notices
    assert "line 3: Stage is empty: this open deal starts Above the Funnel" in plan(
        "Title,Stage\nA,Lead\nB,\nC,Won\n").notices
    assert not any("Above the Funnel" in n for n in plan("Title,Stage\nA,Lead\nC,Won\n").notices)


def test_a_french_sheet_saved_as_windows_1252_keeps_its_amounts_and_says_which_names_it_lost() -> None:
    """Excel's older "CSV (séparateur: point-virgule)" save writes Windows-1252: the narrow
    no-break space between thousands becomes '?', and so do letters outside it (Chinese, Arabic,
    Cyrillic, emoji). The amounts are still exact; the names that lost letters are warned about."""
    sheet = ("Titre;Société;Contact;Montant;Étape\n"
             "Refonte du site;Boulangerie Dupré;Amélie Dupré;18\u202f500,00\u00a0€;Négociation\n"
             "Audit ERP;北京明德咨询;李娜;7\u202f250,50\u00a0€;Qualifié\n"
             "Coaching;ООО «Северный ветер»;Анна;1\u202f234\u202f567,89\u00a0€;Prospect\n"
             "Étude;Crèmerie;Ahmed أحمد;950,00\u00a0€;Qualifié\n")
    saved = sheet.encode("cp1252", errors="replace")
    assert b"18?500,00\xa0\x80" in saved
    found = plan(saved)
    assert [o.value_cents for o in found.new] == [1_850_000, 725_050, 123_456_789, 95_000]
    assert found.new[0].contact == "Amélie Dupré"
    encoding, lossy = found.warnings
    assert encoding.startswith("the file is not UTF-8 (line 1 has the byte 0xE9); read it as Windows-1252")
    assert lossy.startswith("lines 3–5: question marks where letters were (like '??????')")


def test_a_workbooks_number_format_names_its_currency(tmp_path: Path) -> None:
    """An .xlsx made in a German Excel (openpyxl writes the same formats): `[$€-407]`,
    `[$€-x-euro2]` and `"€"` are euros, never the `$` of the bracket; `[$-409]` names none."""
    import openpyxl

    def workbook(fmt: str) -> Path:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Titel", "Betrag", "Phase", "Erstkontakt", "Abschlussdatum"])
        sheet.append(["Preisstrategie", 9800.5, "Gewonnen", date(2025, 2, 3), date(2025, 3, 11)])
        sheet.append(["Vertriebscoaching", 18500.0, "Verhandlung", date(2026, 1, 12), date(2026, 4, 30)])
        for row in sheet.iter_rows(min_row=2):
            row[1].number_format = fmt
        path = tmp_path / "sheet.xlsx"
        book.save(path)
        return path

    for fmt in ('#,##0.00 [$€-407]', '[$€-x-euro2] #,##0.00', '#,##0.00 "€"', '#,##0.00\\ [$€-1]'):
        found = read_import(workbook(fmt), TODAY)
        assert [o.value_cents for o in found.new] == [980_050, 1_850_000], fmt
        assert found.settings == {"currency": "EUR"}, fmt
    found = read_import(workbook("[$-409]#,##0.00"), TODAY)
    assert found.settings == {} and found.new[1].expected_close == date(2026, 4, 30)


_LOCALES = {  # how a spreadsheet in each locale writes 1234567.89: (thousands, decimal), its delimiter
    "en": (",", ".", ","), "de": (".", ",", ";"), "fr": ("\u202f", ",", ";"), "ch": ("'", ".", ","),
}


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.tuples(st.integers(0, 9_999_999), st.sampled_from([0, 0, 5, 50, 99])), min_size=1, max_size=6),
    locale=st.sampled_from(sorted(_LOCALES)),
    currency=st.sampled_from(["", " €", "€", "$", " EUR"]),
)
def test_no_amount_an_import_accepts_is_off_by_a_power_of_ten(amounts, locale, currency) -> None:
    """A file of amounts as one locale's spreadsheet writes them, with or without cents: the
    importer decides the decimal separator from the whole file and either reads every amount
    exactly or refuses the file, saying why. Never a thousandth or a thousand times."""
    group, decimal, delimiter = _LOCALES[locale]
    cells = []
    for units, cents in amounts:
        text = f"{units:,}".replace(",", group) + (f"{decimal}{cents:02d}" if cents else "")
        text = currency.strip() + text if currency and not currency.startswith(" ") else text + currency
        cells.append(f'"{text}"')
    sheet = f"title{delimiter}value\n" + "".join(f"D{n}{delimiter}{cell}\n" for n, cell in enumerate(cells))
    try:
        found = plan(sheet)
    except ImportProblem as refused:
        assert all("ambiguous" in p or "could be" in p for p in refused.problems), refused.problems
        return
    assert [o.value_cents for o in found.new] == [units * 100 + cents for units, cents in amounts], sheet


def test_an_old_excel_file_or_a_web_page_saved_as_xls_is_refused_saying_what_to_save() -> None:
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    assert problems(old) == ["this is a workbook in Excel's old format (.xls): open it and save it as .xlsx or "
                             "'CSV UTF-8', or export it from its tool as CSV, and import that"]
    page = b"<html><body><table><tr><td>Opportunity Name</td></tr></table></body></html>"
    assert "web page or XML, not a table" in problems(page)[0]


def test_a_notion_relation_comes_in_as_the_titles_of_the_pages_it_links() -> None:
    """Notion's export writes a relation (a CRM's Company) as links: `Title (https://www.notion.so/…)`
    or, in older exports, paths to the pages' Markdown files. The deal keeps the titles."""
    text = ('Name,Company,Contact,Status\n'
            'A,"Acme Corp (https://www.notion.so/Acme-Corp-2e94ae45e5a748078004f261e2ef5504?pvs=21)",Ana,Lead\n'
            'B,"../Companies%202e94ae45e5a748078004f261e2ef5504/Globex%20Ltd%2030c4fe04a118409ea8563041a7a70fb2.md, '
            '../Companies%202e94ae45e5a748078004f261e2ef5504/%E5%8C%97%E4%BA%AC%2030c4fe04a118409ea8563041a7a70fb3.md",'
            'Bo,Lead\n'
            'C,Plain text (see notes.md),Cy,Lead\n')
    found = plan(text)
    assert [o.account for o in found.new] == ["Acme Corp", "Globex Ltd, 北京", "Plain text (see notes.md)"]
    assert ("links to Notion pages read as the pages' titles ('Acme Corp (https://www.notion.so/Acme-Corp-2e94ae…' → "
            "'Acme Corp')") in found.notices
