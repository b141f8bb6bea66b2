"""Text planted in the database by another tool never drives the terminal (SPEC §6; issue 10 item 2).

The attack: a title, account, note or name written with plain `sqlite3` (a script, a colleague's
file) holding a clear-screen sequence, an OSC window-title sequence, bidi overrides that reorder
what a title appears to say, zero-width characters that make two titles look alike, and 8-bit
controls. Input cleaning never sees it. What is checked is what reaches the user: the CLI's output
and messages (on a pipe and on a real terminal), and the TUI's rendered screen on every screen and
dialog that shows user text. JSON stays exact; a CSV going to a file or pipe stays exact.
"""

from __future__ import annotations

import html
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import planner, planner_env

CLEAR = "\x1b[2J"
TITLE_SEQ = "\x1b]0;owned\x07"  # OSC 0: sets the terminal window's title to "owned"
RLO = "\u202e"  # right-to-left override: "Invoice" + RLO + "fdp.exe" shows as "Invoiceexe.pdf"
ISOLATE = "\u2066x\u2069"
INVISIBLE = "\u200b\u2060\ufeff"
C1 = "\x9b31m"  # 8-bit CSI


def hostile(word: str) -> str:
    return f"{CLEAR}{TITLE_SEQ}{word}{RLO}fdp.exe{INVISIBLE}{ISOLATE} {C1}C1\x07"


#: Code points that must never be shown: C0 but newline/tab, DEL and C1, bidi controls, zero-width.
FORBIDDEN = {
    *range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0),
    0x061C, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F), 0x2060, *range(0x2066, 0x206A), 0xFEFF,
}


def forbidden_in(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if ord(c) in FORBIDDEN})


def plant(db: Path) -> None:
    """Write hostile text into every text column the planner shows, behind its back."""
    con = sqlite3.connect(db)
    try:
        con.execute(
            "UPDATE opportunity SET title = ?, account = ?, contact = ?, next_action = ?, source = ?, notes = ?",
            (hostile("Title"), hostile("Account"), hostile("Contact"), hostile("Next"), hostile("Source"),
             hostile("Notes") + "\nsecond line"),
        )
        (deal_id,) = con.execute("SELECT min(id) FROM opportunity").fetchone()
        con.execute("INSERT INTO influence (opportunity_id, name, role, covered) VALUES (?, ?, 'economic', 0)",
                    (deal_id, hostile("Influence")))
        con.execute("INSERT INTO criterion (name, kind, weight) VALUES (?, 'demographic', 2)", (hostile("Criterion"),))
        con.execute(
            "INSERT INTO activity (opportunity_id, kind, minutes, day, note, bucket) VALUES (?, 'call', 30, ?, ?, 'in')",
            (deal_id, "2026-03-02", hostile("Activity")),
        )
        con.commit()
    finally:
        con.close()


_TEMPLATE: dict[str, bytes] = {}


@pytest.fixture
def hostile_db(home: Path) -> Path:
    """Deal 1 in Best Few, one Above, one In due today — then hostile text planted in all of them.
    Made once through the repository, then copied (making it is not what these tests are about)."""
    db = home / "planner.db"
    if "db" not in _TEMPLATE:
        from datetime import date

        from planner.domain.models import Bucket, Opportunity
        from planner.store import open_repository

        day = date(2026, 3, 2)
        with open_repository(str(db)) as repo:
            first = repo.add(Opportunity(title="Acme: website revamp", value_cents=100_000), on=day)
            repo.add(Opportunity(title="Second deal"), on=day)
            repo.add(Opportunity(title="A deal in the funnel", bucket=Bucket.IN, next_action="call",
                                 next_action_due=day), on=day)
            repo.move(first, Bucket.BEST_FEW, on=day)
        plant(db)
        _TEMPLATE["db"] = db.read_bytes()
        db.unlink()
    db.write_bytes(_TEMPLATE["db"])
    os.chmod(db, 0o600)
    return db


# --- the CLI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["list"], ["list", "--bucket", "best_few"], ["status"], ["plan"], ["move", "1", "in"], ["log", "1", "--kind", "call",
     "--minutes", "5"], ["move", "1", "lost", "--reason", "gone"], ["config"]],
    ids=lambda c: " ".join(c),
)
def test_cli_output_and_messages_never_carry_escapes_or_invisible_characters(hostile_db, home, command):
    run = planner(hostile_db, *command, home=home)
    assert run.code == 0, run.err
    for name, text in (("stdout", run.out), ("stderr", run.err)):
        assert not forbidden_in(text), f"{command} {name}: {forbidden_in(text)}"
        assert "owned" not in text and "[2J" not in text, f"{command} {name} shows the sequence's remains: {text!r}"
    if command[0] == "list":
        assert "Titlefdp.exe" in run.out  # the text itself is still there, in stored order


def test_an_error_naming_a_hostile_path_is_one_clean_line(home):
    bad = home / f"{CLEAR}{TITLE_SEQ}x{RLO}.db"
    bad.write_bytes(b"not a database at all")
    run = planner(bad, "list", home=home)
    assert run.code == 1 and len(run.err_lines) == 1, run.err
    assert not forbidden_in(run.err) and "owned" not in run.err


def test_a_file_named_with_a_line_break_is_named_on_one_line(hostile_db, home):
    """`export -o`, `backup -o`, `plan --ics` and `restore` say where they wrote on one line, with
    no escape, whatever the file is called (a name may hold a line break or an escape sequence)."""
    name = f"deals\n{TITLE_SEQ}x"
    for command, target in ((["export", "-o"], home / f"{name}.csv"), (["backup", "-o"], home / f"{name}.db"),
                            (["plan", "--ics"], home / f"{name}.ics"), (["restore"], home / f"{name}.db")):
        run = planner(hostile_db, *command, str(target), home=home)
        assert run.code == 0, run.err
        said = [line for line in (run.out + run.err).splitlines() if "deals" in line]
        assert said and all("x." in line for line in said), f"{command}: {run.out}{run.err}"
        assert not forbidden_in(run.out + run.err) and "owned" not in run.out + run.err


def test_machine_output_stays_exact_and_json_escapes_what_a_terminal_would_act_on(hostile_db, home):
    listed = planner(hostile_db, "list", "--json", home=home)
    assert listed.code == 0, listed.err
    assert not forbidden_in(listed.out), "raw controls in JSON text"
    titles = {d["title"] for d in json.loads(listed.out)}
    assert hostile("Title") in titles  # the same value, exactly
    exported = planner(hostile_db, "export", "--format", "json", home=home)
    assert not forbidden_in(exported.out)
    assert hostile("Notes") + "\nsecond line" in {d["notes"] for d in json.loads(exported.out)["deals"]}
    # A CSV to a pipe or a file is data: exactly what is stored (and formula-safe, tested elsewhere).
    piped = planner(hostile_db, "export", home=home)
    assert hostile("Title") in piped.out
    out = home / "deals.csv"
    assert planner(hostile_db, "export", "-o", str(out), home=home).code == 0
    assert hostile("Title") in out.read_text(encoding="utf-8")


def _on_a_terminal(db: Path, home: Path, *args: str) -> str:
    """Run the CLI with a pseudo-terminal as stdout and return what it wrote there."""
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "planner", "--db", str(db), *args],
            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=planner_env(home), cwd=home,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=30) == 0
    finally:
        os.close(master)
    # The terminal driver itself turns each newline into CR LF (onlcr): that CR is not the planner's.
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.parametrize("command", [["export"], ["list"], ["status"]], ids=lambda c: " ".join(c))
def test_on_a_real_terminal_nothing_planted_reaches_it(hostile_db, home, command):
    shown = _on_a_terminal(hostile_db, home, *command)
    assert "Title" in shown
    assert not forbidden_in(shown), f"{command} on a terminal: {forbidden_in(shown)}"
    assert "owned" not in shown


# --- the TUI ---------------------------------------------------------------------------------------


def _screen_text(app) -> str:
    """Everything the app has drawn on its screen (every layer: dialogs and toasts included)."""
    return html.unescape(app.export_screenshot())


def _check(app, where: str, seen: dict[str, str]) -> None:
    seen[where] = _screen_text(app)


def _problems(seen: dict[str, str]) -> dict[str, list[str]]:
    found = {}
    for where, text in seen.items():
        bad = forbidden_in(text) + [remains for remains in ("owned", "[2J") if remains in text]
        if bad:
            found[where] = bad
    return found


async def _walk_every_screen(db: Path) -> dict[str, str]:
    from planner.app import PlannerApp

    seen: dict[str, str] = {}
    app = PlannerApp(db=str(db))
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        _check(app, "funnel", seen)
        # Best Few holds deal 1 (the hostile one): its details, then its edit form.
        await pilot.press("l", "l")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        _check(app, "deal details", seen)
        await pilot.press("escape", "e")
        await pilot.pause()
        _check(app, "edit dialog", seen)
        await pilot.press("escape")
        await pilot.pause()
        for key, where in (("t", "log time dialog"), ("n", "next action dialog"), ("x", "lost reason dialog")):
            await pilot.press(key)
            await pilot.pause()
            _check(app, where, seen)
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("<")  # a change: its notification and the top bar's latest change quote the title
        await pilot.pause()
        _check(app, "funnel after a move (toast, top bar)", seen)
        for key, where in (("2", "today"), ("3", "week"), ("4", "insights"), ("5", "profile")):
            await pilot.press(key)
            await pilot.pause(0.2)
            _check(app, where, seen)
        await pilot.press("q")
    return seen


def test_tui_never_draws_escapes_bidi_or_invisible_characters(hostile_db):
    import asyncio

    seen = asyncio.run(_walk_every_screen(hostile_db))
    assert not _problems(seen), f"drawn on screen: {_problems(seen)}"
    # The walk really showed the planted deal where it claims to: its words are on those screens.
    assert "Title" in seen["funnel"] and "Notes" in seen["deal details"] and "Influence" in seen["deal details"]
    assert "Titlefdp.exe" in seen["edit dialog"] and "Criterion" in seen["profile"]
    assert "Title" in seen["log time dialog"] and "Title" in seen["funnel after a move (toast, top bar)"]
    assert "Title" in seen["today"]


def test_text_functions_keep_real_scripts_and_emoji():
    from planner.domain.text import shown, shown_line

    for text in ("北京咨询 Café Müller", "👩\u200d💻 dev team", "נתניה – Haifa", "❤️\u200d🔥", "Tab\tand  two spaces"):
        assert shown(text, multiline=True) == text
    assert shown_line("a\nb\tc") == "a b c"
    assert shown(hostile("x")) == "xfdp.exex C1"
    assert shown("Ac\u200dme") == "Acme"  # a joiner between ASCII letters only disguises


def test_the_edit_form_on_planted_text_changes_only_what_the_user_types(hostile_db):
    """The form shows planted text cleaned; that cleaning is not the user's change. Escape used to
    ask "Discard your changes to this deal?" on a form nobody had touched, and saving a new value
    rewrote every cleaned field (the other walk above pressed keys into that question instead of
    the dialogs it meant to look at)."""
    import asyncio

    from planner.app import PlannerApp
    from planner.ui.screens.deal import EditDealScreen
    from planner.ui.screens.funnel import FunnelScreen

    async def run() -> None:
        app = PlannerApp(db=str(hostile_db))
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.pause()
            await pilot.press("l", "l", "e")  # deal 1, in Best Few
            await pilot.pause()
            assert isinstance(app.screen, EditDealScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, FunnelScreen), f"escape on an untouched form opened {app.screen!r}"
            await pilot.press("e")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, EditDealScreen)
            form.query_one("#value").value = "2,500"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, FunnelScreen)
            await pilot.press("q")

    before = _columns(hostile_db)
    asyncio.run(run())
    after = _columns(hostile_db)
    assert after["value_cents"] == 250_000
    assert {k: v for k, v in after.items() if k != "value_cents"} == {k: v for k, v in before.items() if k != "value_cents"}


def _columns(db: Path) -> dict:
    con = sqlite3.connect(db)
    try:
        con.row_factory = sqlite3.Row
        return dict(con.execute("SELECT * FROM opportunity WHERE id = 1").fetchone())
    finally:
        con.close()
