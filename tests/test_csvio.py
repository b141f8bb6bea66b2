"""CSV import (all-or-nothing, errors by editor line) and formula-safe export (SPEC §4)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.csvio import COLUMNS, ImportProblem, csv_text, read_csv, write_json
from planner.domain.models import Bucket, Opportunity
from planner.domain.parse import MAX_NOTES, MAX_TITLE, clean_text

TODAY = date(2026, 11, 23)
HEADER = ",".join(COLUMNS)


def problems_of(text: str | bytes, **kwargs) -> list[str]:
    with pytest.raises(ImportProblem) as caught:
        read_csv(text, TODAY, **kwargs)
    return caught.value.problems


def test_reads_every_column() -> None:
    text = (
        HEADER + "\n"
        '7,Website revamp,Acme,Ana Ruiz,"12,500.50",bf,2026-09-01,2026-12-05,,Send proposal,fri,referral,"two\nlines"\n'
    )
    [opp] = read_csv(text, TODAY)
    assert opp == Opportunity(
        id=7,
        title="Website revamp",
        account="Acme",
        contact="Ana Ruiz",
        value_cents=1_250_050,
        bucket=Bucket.BEST_FEW,
        first_contact=date(2026, 9, 1),
        expected_close=date(2026, 12, 5),
        next_action="Send proposal",
        next_action_due=date(2026, 11, 27),
        source="referral",
        notes="two\nlines",
    )


def test_only_title_is_required_and_columns_may_come_in_any_order_and_case() -> None:
    text = "Value,TITLE,Expected Close\n900,Audit,2027-01-10\n,Second,\n"
    opps = read_csv(text, TODAY)
    assert [(o.title, o.value_cents, o.bucket, o.expected_close) for o in opps] == [
        ("Audit", 90_000, Bucket.ABOVE, date(2027, 1, 10)),
        ("Second", 0, Bucket.ABOVE, None),
    ]


def test_accepts_a_byte_order_mark_and_windows_line_ends() -> None:
    data = "\ufefftitle,value\r\nAcme,10\r\n\r\nBeta,20\r\n".encode()
    assert [o.title for o in read_csv(data, TODAY)] == ["Acme", "Beta"]


def test_reads_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("title\nAcme\n", encoding="utf-8")
    assert [o.title for o in read_csv(path, TODAY)] == ["Acme"]


def test_a_won_row_with_both_dates_is_history() -> None:
    [opp] = read_csv("title,bucket,first_contact,closed_on\nOld win,won,2026-01-05,2026-03-01\n", TODAY)
    assert (opp.bucket, opp.first_contact, opp.closed_on) == (Bucket.WON, date(2026, 1, 5), date(2026, 3, 1))


def test_every_bad_row_is_reported_with_the_line_an_editor_shows() -> None:
    text = (
        "title,value,bucket,notes,next_action_due\n"  # line 1
        'Good,10,above,"a note\n'  # line 2
        'over two lines",\n'  # line 3
        "Bad value,abc,,,\n"  # line 4
        "\n"  # line 5 (blank: skipped)
        ',5,in,,\n'  # line 6: empty title
        'Bad bucket,1,funnel,"spans\n\nthree lines",\n'  # lines 7-9
        "Bad date,1,in,,2026-02-30\n"  # line 10
        "Two wrongs,-3,nowhere,,\n"  # line 11
    )
    assert problems_of(text) == [
        "line 4: value 'abc' is not an amount; use a plain amount like 12500, 12,500.50 or 1.5k",
        "line 6: title is empty",
        "lines 7, 11: unknown bucket 'funnel'; use above, in, best_few (or bf), won or lost (also 'nowhere')",
        "line 10: next_action_due '2026-02-30' is not a day of the calendar",
        "line 11: value '-3' is negative; amounts are zero or more",
    ]


def test_header_problems_name_the_column() -> None:
    [problem] = problems_of("account,valu\nAcme,1\n")
    assert problem.startswith("line 1: no column for the deal's title among 'account', 'valu'")
    assert "--map 'Their header=title'" in problem
    [problem] = problems_of("title,Title\nA,B\n")
    assert "column 'Title' appears twice (columns 1 and 2)" in problem
    [problem] = problems_of("")
    assert "empty" in problem


def test_a_column_with_no_field_is_kept_in_the_notes_never_dropped() -> None:
    [opp] = read_csv("name,valu,notes\nAcme,1,own note\n", TODAY)
    assert (opp.title, opp.notes) == ("Acme", "own note\nvalu: 1")


def test_a_file_that_is_not_utf8_is_read_as_windows_1252_with_a_warning() -> None:
    from planner.importing import read_import

    data = "title\nCafé €5\n".encode("cp1252")
    plan = read_import(data, TODAY)
    assert [o.title for o in plan.new] == ["Café €5"]
    assert plan.warnings == [
        "the file is not UTF-8 (line 2 has the byte 0xE9); read it as Windows-1252, the encoding of Excel's older "
        "'CSV' save: check the names with accents, or save it as 'CSV UTF-8'"
    ]
    assert "neither UTF-8 nor Windows-1252" in problems_of(b"title\nbad \x81\x9d\n")[0]


def test_duplicate_and_existing_ids_are_refused() -> None:
    text = "id,title\n4,A\n5,B\n4,C\nx,D\n"
    assert problems_of(text, existing_ids={5}) == [
        "line 3: id 5 already exists; clear the id cell to import it as a new one, or use --update to update that deal",
        "line 4: id 4 is also on line 2",
        "line 5: id 'x' is not a positive whole number",
    ]


def test_over_long_text_control_characters_and_extra_cells_are_refused() -> None:
    text = f"title,notes\n{'x' * (MAX_TITLE + 1)},\nEvil\x1b[31m,\nA,b,c\nB,ok,,\n"
    assert problems_of(text) == [
        f"line 2: title is too long ({MAX_TITLE + 1} characters; at most {MAX_TITLE})",
        "line 3: title contains control characters (U+001B)",
        "line 4: 3 cells but the header names 2 columns",
    ]


def test_closed_dates_must_make_sense() -> None:
    text = "title,bucket,first_contact,closed_on\nA,in,,2026-01-01\nB,won,2026-05-01,2026-04-01\n"
    assert problems_of(text) == [
        "line 2: closed_on is set but the deal is open (in); only won or lost deals are closed",
        "line 3: closed_on 2026-04-01 is before first_contact 2026-05-01",
    ]


def test_export_neutralises_formulas_and_import_reads_them_back() -> None:
    opps = [
        Opportunity(id=1, title="=HYPERLINK(\"http://x\")", account="+1 555", contact="@ana", notes="-5 days"),
        Opportunity(id=2, title="'=already quoted", account="'plain apostrophe", notes="@ mention"),
    ]
    text = csv_text(opps)
    lines = text.splitlines()
    assert lines[1].startswith('1,"\'=HYPERLINK(')
    assert ",'+1 555,'@ana," in lines[1]
    assert lines[2].startswith("2,''=already quoted,'plain apostrophe,")
    back = read_csv(text, TODAY)
    assert [(o.title, o.account, o.contact, o.notes) for o in back] == [
        ("=HYPERLINK(\"http://x\")", "+1 555", "@ana", "-5 days"),
        ("'=already quoted", "'plain apostrophe", "", "@ mention"),
    ]


clean_line = st.text(max_size=40).map(lambda t: clean_text(t, 10_000))
clean_notes = st.text(max_size=80).map(lambda t: clean_text(t, MAX_NOTES, multiline=True))
opportunities = st.builds(
    Opportunity,
    title=clean_line.filter(bool),
    id=st.integers(min_value=1, max_value=2**63 - 1),
    bucket=st.sampled_from(list(Bucket)),
    account=clean_line,
    contact=clean_line,
    value_cents=st.integers(min_value=0, max_value=10**14),
    first_contact=st.none() | st.dates(max_value=date(2026, 1, 1)),
    expected_close=st.none() | st.dates(),
    next_action=clean_line,
    next_action_due=st.none() | st.dates(),
    source=clean_line,
    notes=clean_notes,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(opportunities, max_size=4, unique_by=lambda o: o.id))
def test_export_then_import_round_trips_without_loss(opps: list[Opportunity]) -> None:
    opps = [o for o in opps if len(o.title) <= MAX_TITLE]
    back = read_csv(csv_text(opps), TODAY)
    assert back == opps


def test_json_export_is_keyed_like_the_csv_columns() -> None:
    out = io.StringIO()
    write_json([Opportunity(id=3, title="A", value_cents=1_250_050, expected_close=date(2027, 1, 2))], out)
    [record] = json.loads(out.getvalue())
    assert list(record) == list(COLUMNS)
    assert record["value"] == 12500.5
    assert record["expected_close"] == "2027-01-02"
    assert record["closed_on"] is None
    assert record["bucket"] == "above"


def test_the_sample_file_in_data_imports_cleanly() -> None:
    sample = Path(__file__).resolve().parent.parent / "data" / "sample-import.csv"
    opps = read_csv(sample, TODAY)
    assert len(opps) == 9
    assert opps[0].notes == "Wants a fixed price.\nDecision by the board on the 2nd."
    won = [o for o in opps if o.bucket is Bucket.WON]
    assert len(won) == 3 and all(o.first_contact and o.closed_on for o in won)


def test_the_ids_already_there_are_asked_for_only_when_a_row_has_an_id() -> None:
    asked: list[bool] = []

    def existing() -> set[int]:
        asked.append(True)
        return {5}

    assert [o.title for o in read_csv("title\nA\nB\n", TODAY, existing_ids=existing)] == ["A", "B"]
    assert asked == []
    assert problems_of("id,title\n,A\n5,B\n6,C\n", existing_ids=existing) == [
        "line 3: id 5 already exists; clear the id cell to import it as a new one, or use --update to update that deal"
    ]
    assert asked == [True]


def test_short_rows_unnamed_columns_and_written_out_values_still_read() -> None:
    """Rows that miss the plain-row fast path: short, under a header with an unnamed column,
    amounts and buckets as people type them, an escaped formula."""
    text = "title,value,bucket,,first_contact\nA,1.5k,Best-Few,,today\nB,12\n'=C,\"1,200.50\",IN,,\n"
    read = [(o.title, o.value_cents, o.bucket, o.first_contact) for o in read_csv(text, TODAY)]
    assert read == [("A", 150_000, Bucket.BEST_FEW, TODAY), ("B", 1200, Bucket.ABOVE, None), ("=C", 120_050, Bucket.IN, None)]
    [opp] = [o for o in read_csv(text + "D,1,in,x,\n", TODAY) if o.title == "D"]
    assert opp.notes == "Column 4: x"  # a cell under no header is kept, with where it was
