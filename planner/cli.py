"""The command line (SPEC §4): `planner <subcommand>`, or the TUI when no subcommand is given.

Start-up is a budget: this module imports only the standard library at the top. Each subcommand
imports what it needs when it runs; Textual is imported only to open the TUI, and nothing here
imports SQLModel / SQLAlchemy (the store runs on sqlite3).

Errors: one line on stderr, "planner: <message>"; exit 2 for bad input (unknown id, bucket, date,
number, usage), 1 for any other problem the user can act on, 130 on Ctrl-C. A traceback means a bug.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

from planner.errors import BadInput, PlannerError

if TYPE_CHECKING:
    from datetime import date

    from planner.core.core import Change, Core
    from planner.domain.models import Bucket, Opportunity, Status, WeekPlan

PROG = "planner"


class UsageError(BadInput):
    """The command line itself is wrong (argparse's complaints)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line and a hint, raised instead of printed + exit."""

    def error(self, message: str) -> NoReturn:
        import re

        message = " ".join(message.split())
        unknown = re.match(r"argument COMMAND: invalid choice: '(.*?)'", message)
        if unknown:
            message = f"unknown command {unknown.group(1)!r}; the commands are {', '.join(_COMMANDS)}"
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --- entry point ---------------------------------------------------------------------------------


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (without the program name); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        # A terminal that cannot show some character gets its escape (\u5ba2), never a traceback
        # and never a '?' that loses which character it was. Machine output avoids even that:
        # JSON escapes itself, CSV is written as UTF-8 bytes (see _print_json, cmd_export).
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    # Every message and every line of plain text goes through these: whatever a database holds,
    # no escape sequence, control, bidi or invisible character reaches the terminal (SPEC §6).
    # Machine output (JSON, a CSV or calendar going to a file or pipe) is written to the raw stream.
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _ShownStream(sys.stdout), _ShownStream(sys.stderr)
    args = None
    try:
        parser = build_parser(only=_requested_command(argv))
        try:
            args = parser.parse_args(_attach_dashed_values(argv, parser))
        except SystemExit as done:  # --help and --version
            return done.code if isinstance(done.code, int) else 0
        _refuse_empty_paths(args)
        if args.command is None:
            _need_terminal()
            return _open_tui(args.db)
        return args.handler(args) or 0
    except KeyboardInterrupt:
        return 130
    except PlannerError as error:
        _error(str(error))
        return error.exit_code
    except BrokenPipeError:
        # `planner export | head`: the reader left; say nothing more.
        _silence_stdout()
        return 1
    except OSError as error:
        # A path the system refuses somewhere we did not foresee: one line, never a traceback.
        from planner.files import os_error_text

        where = f"{error.filename}: " if error.filename else ""
        _error(f"{where}{os_error_text(error)}")
        return 1
    except Exception:
        # Not the planner's own error: a value another tool wrote that it cannot read (a date
        # 'soon', a blob as a title) says so in one line; anything else is a bug, raised as it is.
        problem = _unreadable_values(args)
        if problem is None:
            raise
        _error(str(problem))
        return problem.exit_code
    finally:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, _ShownStream):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
        sys.stdout, sys.stderr = saved


#: The options that name a file, as the user types them.
_PATH_OPTIONS = {"output": "-o", "ics": "--ics", "keep": "--keep", "file": ""}


def _refuse_empty_paths(args: argparse.Namespace) -> None:
    """An empty file name (`-o ''`, `--keep "$UNSET"`) is a mistake, never "not given": it used to
    open the demo's TUI instead of writing the file, or quietly skip the calendar."""
    for name, option in _PATH_OPTIONS.items():
        if getattr(args, name, None) == "":
            given = f" given to {option}" if option else ""
            raise BadInput(f"the file name{given} is empty; give a file name")


def _unreadable_values(args: argparse.Namespace | None) -> PlannerError | None:
    """`planner.core.core.unreadable_values` for the database the command used, if any."""
    if args is None or args.command in ("demo", "serve"):
        return None
    from planner.core.core import unreadable_values

    return unreadable_values(getattr(args, "db", None))


class _ShownStream:
    """A text stream whose writes are made safe to show (`planner.domain.text.shown`, keeping
    line breaks and tabs); everything else (buffer, fileno, isatty, encoding…) is the stream's own."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        from planner.domain.text import shown

        self.raw.write(shown(text, multiline=True))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def _raw(stream: Any) -> Any:
    """The stream machine output is written to: `stream` without the shown-text filter."""
    return getattr(stream, "raw", stream) if isinstance(stream, _ShownStream) else stream


def _error(message: str) -> None:
    from planner.domain.text import shortened

    print(f"{PROG}: {shortened(' '.join(message.split()))}", file=sys.stderr)


def _one_line(text: object) -> str:
    """A path (or a line naming one) kept on its line: a file may be named with a line break."""
    from planner.domain.text import shown_line

    return shown_line(str(text))


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# --- the parser ----------------------------------------------------------------------------------

_DB_HELP = "database file or sqlite:/// URL (default: $PLANNER_DB, else planner.db in your user data directory)"


def _args_add(p: argparse.ArgumentParser) -> None:
    p.add_argument("title", help="what the sale is, e.g. 'Website revamp'")
    p.add_argument("--account", default="", help="the customer organisation")
    p.add_argument("--contact", default="", help="your contact there")
    p.add_argument("--value", help="expected value, e.g. 12500, 12,500.50 or 12.5k")
    p.add_argument("--bucket", default="above", help="above (default), in or best_few")
    p.add_argument("--first-contact", metavar="DATE",
                   help="day of first contact (default: today for a deal Above the Funnel; unknown for one "
                        "added straight into In or Best Few, which then does not count towards the normal cycle)")
    p.add_argument("--close", metavar="DATE", help="expected close date")
    p.add_argument("--next", metavar="TEXT", default="", help="next action")
    p.add_argument("--due", metavar="DATE", help="when the next action is due")
    p.add_argument("--source", default="", help="where the lead came from")
    p.add_argument("--notes", default="", help="free notes")


def _args_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bucket", help="only this bucket: above, in, best_few, won or lost")
    p.add_argument("--open", action="store_true", help="only open deals (above, in, best_few)")
    p.add_argument("--json", action="store_true", help="print JSON keyed like the CSV columns")


def _args_move(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", help="the opportunity's id (see 'planner list')")
    p.add_argument("bucket", help="above, in, best_few (bf), won or lost; an open bucket reopens a closed deal")
    p.add_argument("--reason", default="", help="why it was lost (only with lost)")
    p.add_argument("--on", metavar="DATE", help="won or lost: the day it closed (default: today)")
    p.add_argument("--value", help="won or lost: its final value, e.g. 12,500")


def _args_log(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", nargs="?", help="the opportunity's id; leave out for prospecting work")
    p.add_argument("--kind", required=True, help="call, meeting, email, proposal, research (prospecting) or other")
    p.add_argument("--minutes", required=True, help="how long: 90, 90m, 1h30 or 1.5h")
    p.add_argument("--note", default="", help="what was done")
    p.add_argument("--on", metavar="DATE", help="the day it happened (default: today)")


def _args_status(p: argparse.ArgumentParser) -> None:
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print one JSON object")
    form.add_argument("--line", action="store_true",
                      help="print one short line, for a tmux status bar or a shell prompt (e.g. '▲ top empty · 2 overdue · BF 3')")


def _args_plan(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hours", help="selling hours of this week only ('normal': back to hours_per_week)")
    p.add_argument("--split", metavar="A/I/B",
                   help="your own split of the week in percent, Above/In/Best Few (20/40/40); 'suggested' clears it")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--ics", metavar="FILE", help="also write the time blocks as an iCalendar file ('-' for stdout)")
    p.add_argument("--include-past", action="store_true",
                   help="with --ics: also the days of this week already past (default: from today on)")


def _args_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("key", nargs="?", help="a setting, e.g. hours_per_week")
    p.add_argument("value", nargs="?", help="its new value")


def _args_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a .csv / .tsv file (any delimiter and usual encoding), an .xlsx workbook, or a .json export")
    p.add_argument("--dry-run", action="store_true",
                   help="check the file and show what would be imported: the mapping, the counts, every warning")
    p.add_argument("--map", action="append", default=[], metavar="'HEADER=FIELD'",
                   help="read the column HEADER as FIELD (title, account, value, stage, close_date…; nothing after = leaves it out)")
    p.add_argument("--stage", action="append", default=[], metavar="'STAGE=BUCKET'",
                   help="put deals in stage STAGE into BUCKET (above, in, best_few, won, lost)")
    p.add_argument("--date-format", choices=("dmy", "mdy", "ymd"), help="how numeric dates are written: 24/07/2025 is dmy")
    p.add_argument("--decimal-comma", action="store_true", help="amounts are written 12.500,50 (a comma before the cents)")
    p.add_argument("--update", action="store_true", help="rows with an id update that deal (the others are added)")
    p.add_argument("--sheet", metavar="NAME", help="the sheet of an .xlsx workbook to read (default: the first)")


def _args_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("csv", "json"), help="csv (default, or from the -o file name) or json")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout ('-' for stdout)")


def _args_backup(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="FILE",
                   help="the copy, a new file (default: a timestamped file beside the database; never stdout)")


def _args_restore(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the backup to restore (made by 'planner backup' or before an upgrade)")


def _args_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keep", metavar="PATH", help="write the demo database to PATH (a new file) and exit without the UI")
    p.add_argument("--seed", type=int, default=7, help=argparse.SUPPRESS)


def _args_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only; see docs/serve.md)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
    p.add_argument("--connections", type=int, metavar="N", help="browser tabs at once (default: the serve_connections setting, 4)")
    p.add_argument("--new-token", action="store_true", help="replace the access token (every browser has to open the new address)")
    p.add_argument("--no-token", action="store_true", help="serve unlocked; only allowed on 127.0.0.1, ::1 or localhost")


def cmd_serve(args: argparse.Namespace) -> int:
    """`planner serve [--host H] [--port P] [--connections N] [--new-token] [--no-token]`: the TUI
    in a browser (planner.serve; the optional serve extra is imported only here)."""
    from planner.serve import serve

    return serve(
        args.db,
        host=args.host,
        port=args.port,
        connections=args.connections,
        renew_token=args.new_token,
        locked=not args.no_token,
    )


#: name → (arguments, handler name, help, description). Handlers are looked up by name when the
#: parser is built so this table can sit above them.
_COMMANDS: dict[str, tuple[Any, str, str, str | None]] = {
    "add": (_args_add, "cmd_add", "add an opportunity and print its id", None),
    "list": (_args_list, "cmd_list", "list opportunities as a table or JSON", None),
    "move": (
        _args_move,
        "cmd_move",
        "move an opportunity to another bucket, or mark it won or lost",
        "Move an opportunity along the funnel. Moving warns (on stderr) when the method's entry "
        "conditions are not met, but never blocks.",
    ),
    "log": (
        _args_log,
        "cmd_log",
        "log selling time",
        "Log selling time on an opportunity, or with no id on prospecting (counts as Above the Funnel).",
    ),
    "status": (_args_status, "cmd_status", "today's picture: buckets, normal cycle, suggested split, flags", None),
    "plan": (_args_plan, "cmd_plan", "this week's plan: split, planned against logged hours, time blocks", None),
    "config": (
        _args_config,
        "cmd_config",
        "show or change settings",
        "Without arguments, list every setting with its value and meaning; with KEY, print it; "
        "with KEY VALUE, check and save it ('auto' resets the measured-or-default ones).",
    ),
    "import": (
        _args_import,
        "cmd_import",
        "import deals from a CSV, Excel or JSON file (all or nothing)",
        "Import a file with a header row, as Pipedrive, HubSpot, Salesforce, Zoho, Odoo, Notion or a "
        "spreadsheet write it; only a column for the deal's title is required. Any problem and nothing "
        "is imported: every problem is listed with its lines. Columns with no field are kept in the notes.",
    ),
    "export": (_args_export, "cmd_export", "export every opportunity as CSV or JSON", None),
    "backup": (_args_backup, "cmd_backup", "copy the database safely and print where", None),
    "restore": (
        _args_restore,
        "cmd_restore",
        "put a backup in place of the database (a copy of the current one is kept)",
        "Check that FILE is a whole planner database, keep a copy of the current database beside it, "
        "and put FILE in its place, leaving no stale -wal/-shm behind. Close other planners first.",
    ),
    "demo": (
        _args_demo,
        "cmd_demo",
        "try the planner on a fresh demo database (never yours)",
        "Build a believable consultant's year relative to today in a temporary database and open the "
        "terminal UI on it. Your own database is never touched (so there is no --db here).",
    ),
    "serve": (
        _args_serve,
        "cmd_serve",
        "the planner in a browser tab, locked by an access token",
        "Serve the terminal UI to a web browser (needs the serve extra: pip install 'funnel-planner[serve]'). "
        "Prints the address to open, with its access token; every request without the token is refused. "
        "Same database as the other commands. See docs/serve.md for phones, tunnels and TLS.",
    ),
}
_NO_DB = {"demo"}


def _requested_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in argv, when it can be told without parsing (skips `--db X`)."""
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--db":
            index += 2
            continue
        if token.startswith("-"):
            if token.startswith("--db="):
                index += 1
                continue
            return None  # --help, --version or a mistake: build everything
        return token if token in _COMMANDS else None
    return None


def _attach_dashed_values(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """`--due -3d` → `--due=-3d`: argparse takes a value starting with "-" for an option unless it
    looks like a negative number, and relative dates (-3d, -1w) and notes ("-5% off") do."""
    takes_value: set[str] = set()
    parsers = [parser]
    while parsers:
        current = parsers.pop()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            elif action.option_strings and action.nargs is None:
                takes_value.update(action.option_strings)
    out: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            out.extend(argv[index:])
            break
        following = argv[index + 1] if index + 1 < len(argv) else None
        if token in takes_value and following and following.startswith("-") and not following.startswith("--"):
            out.append(f"{token}={following}")
            index += 2
            continue
        out.append(token)
        index += 1
    return out


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every subcommand of SPEC §4, each with its --help. With `only`, the other subcommands are
    registered without their arguments: `planner status` should not pay for building them all."""
    from planner import __version__

    parser = _Parser(
        prog=PROG,
        description="Plan your selling week with Miller & Heiman's sales funnel. "
        "Without a subcommand, opens the terminal UI.",
        epilog="Dates: YYYY-MM-DD, today, tomorrow, +3d, +2w, or a weekday (fri = the next Friday). "
        "Buckets: above, in, best_few (bf), won, lost. PLANNER_TODAY=YYYY-MM-DD fixes today.",
    )
    parser.add_argument("--db", metavar="PATH", default=None, help=_DB_HELP)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    handlers = globals()
    for name, (add_arguments, handler, help_, description) in _COMMANDS.items():
        sub = commands.add_parser(name, help=help_, description=description or help_)
        if only is not None and name != only:
            continue
        if name not in _NO_DB:
            # Also accepted after the subcommand; SUPPRESS keeps an absent one from hiding the global one.
            sub.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=_DB_HELP)
        add_arguments(sub)
        sub.set_defaults(handler=handlers[handler])
    return parser


# --- shared helpers ------------------------------------------------------------------------------


def _today() -> date:
    from planner.clock import plain_today

    return plain_today()


@contextmanager
def _core(args: argparse.Namespace) -> Iterator[Core]:
    """The application core on the command's database: every change goes through it."""
    from planner.core.core import Core

    core = Core.open(args.db)
    try:
        yield core
    finally:
        core.close()
    if core.notice:
        _warn(core.notice)  # e.g. read-only because the disk is full (a refused change says so itself)


def _parse_id(text: str) -> int:
    raw = text.strip().lstrip("#")
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise BadInput(f"id {text!r} is not an opportunity id (a positive whole number; see 'planner list')")
    return int(raw)


def _money(cents: int, style: Any = None) -> str:
    from planner.core.text import money

    return money(cents, style)


def _stdout_is_utf8() -> bool:
    import codecs

    try:
        return codecs.lookup(sys.stdout.encoding or "ascii").name == "utf-8"
    except LookupError:
        return False


def _print_json(value: Any) -> None:
    import json

    # Readable UTF-8 where stdout takes it; \uXXXX escapes (the same JSON value) where it does not.
    out = _JsonStream(_raw(sys.stdout))
    json.dump(value, out, ensure_ascii=not _stdout_is_utf8(), indent=2)
    out.write("\n")


class _JsonStream:
    """JSON text with every character that is not printable — C1 controls, DEL, bidi and other
    invisible format characters, line separators — written as its \\uXXXX escape. JSON escapes
    C0 controls itself, and outside strings it is ASCII, so this is the same JSON value, exactly
    (SPEC §4), and safe to show on a terminal."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        if not text.replace("\n", "").isprintable():
            text = "".join(ch if ch.isprintable() or ch == "\n" else _json_escape(ch) for ch in text)
        self.raw.write(text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:  # as a UTF-16 surrogate pair, as JSON writes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _name(opp: Opportunity) -> str:
    from planner.domain.flags import deal_name  # named as in every message of the engine
    from planner.domain.text import shown_line

    return shown_line(deal_name(opp))


def _has_terminal() -> bool:
    """Whether stdin and stdout are both a terminal, which the TUI draws on and reads keys from."""
    try:
        return bool(sys.stdin and sys.stdin.isatty() and _raw(sys.stdout).isatty())
    except (OSError, ValueError):  # a closed stream
        return False


def _need_terminal() -> None:
    """The TUI on a pipe, a file or under cron would start and wait for keys forever: refuse in one
    line (exit 1) and point to the commands. A driver named in the environment draws elsewhere
    (textual-serve's web driver for `planner serve`'s tabs, whose stdin and stdout are pipes)."""
    if os.environ.get("TEXTUAL_DRIVER") or _has_terminal():
        return
    raise PlannerError("the app needs a terminal (stdin and stdout are not one here); in scripts and cron use "
                       "the commands: planner status, planner list, planner plan (--json for machines; "
                       "planner --help lists them all)")


def _open_tui(db: str | None) -> int:
    import gc

    # Start-up makes a few hundred thousand objects (modules, classes, styles, widgets, the open
    # deals) and keeps nearly all of them; the cycle collector walked them again and again while
    # they were made (~50 ms of the first frame, a 25 ms full pass among them). It stays off until
    # the first frame is on screen, then collects once (`planner.app._freeze_what_is_loaded`).
    gc.disable()
    from planner.app import PlannerApp
    from planner.ui.signals import exit_on_signals

    app = PlannerApp(db=db)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _raw(sys.stdout), _raw(sys.stderr)  # the TUI draws on the terminal itself
    try:
        with exit_on_signals(app):
            app.run()
    finally:
        sys.stdout, sys.stderr = saved
    problem = getattr(app, "exit_problem", None)
    if problem:
        _error(problem)  # the app ended on a problem it could not show (PlannerApp._handle_exception)
    return getattr(app, "return_code", None) or 0


# --- add / list / move / log --------------------------------------------------------------------


def cmd_add(args: argparse.Namespace) -> int:
    """`planner add TITLE …` → prints the new id (SPEC §4)."""
    from dataclasses import replace

    from planner.domain.models import Opportunity
    from planner.domain.parse import (
        MAX_FIELD,
        MAX_NOTES,
        clean_text,
        clean_title,
        parse_bucket,
        parse_date,
        parse_money_in,
    )

    today = _today()
    currency = ""
    bucket = parse_bucket(args.bucket, open_only=True)
    opp = Opportunity(
        title=clean_title(args.title),
        bucket=bucket,
        account=clean_text(args.account, MAX_FIELD, what="--account"),
        contact=clean_text(args.contact, MAX_FIELD, what="--contact"),
        # None: the core's default (today Above the Funnel, unknown lower down; SPEC §3.2).
        first_contact=parse_date(args.first_contact, today, what="--first-contact") if args.first_contact else None,
        expected_close=parse_date(args.close, today, what="--close") if args.close else None,
        next_action=clean_text(args.next, MAX_FIELD, what="--next"),
        next_action_due=parse_date(args.due, today, what="--due") if args.due else None,
        source=clean_text(args.source, MAX_FIELD, what="--source"),
        notes=clean_text(args.notes, MAX_NOTES, multiline=True, what="--notes"),
    )
    with _core(args) as core:
        if args.value is not None:
            # Read in the database's decimal convention and currency (SPEC §4 "Amounts on input").
            value, currency = parse_money_in(args.value, core.settings().money_style, what="--value")
            opp = replace(opp, value_cents=value)
        change = core.add(opp, currency=currency)  # entering the funnel lower down warns as moving there would
    _warnings(change)
    print(change.value)
    return 0


def _warnings(change: Change) -> None:
    """The method's warnings, then what else the change did (a currency adopted), on stderr."""
    for warning in change.warnings:
        _warn(warning)
    for notice in change.notices:
        print(f"note: {notice}", file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    """`planner list [--bucket B] [--json]`: a table aligned for any script, or JSON (SPEC §4)."""
    from planner.domain.parse import parse_bucket

    from planner.core.text import due_column

    bucket = parse_bucket(args.bucket) if args.bucket else None
    with _core(args) as core:
        opps = core.deals(bucket)
        style = core.settings().money_style if opps and not args.json else None
    if args.open:
        opps = [o for o in opps if o.is_open]
    if args.json:
        from planner.csvio import opportunity_record

        _print_json([opportunity_record(o) for o in opps])
        return 0
    if not opps:
        print("no opportunities" + (f" in {bucket.label}" if bucket else "") + "; add one with 'planner add TITLE'")
        return 0
    today = _today()
    rows = [
        [
            str(o.id),
            o.bucket.short_label,
            o.title,
            o.account,
            _money(o.value_cents, style),
            o.next_action,
            due_column(o.next_action_due, today),
        ]
        for o in opps
    ]
    print(_table(["id", "bucket", "title", "account", "value", "next action", "due"], rows, right={0, 4}, flexible=(2, 5, 3)))
    return 0


def _table(header: list[str], rows: list[list[str]], *, right: set[int], flexible: tuple[int, ...]) -> str:
    """Columns aligned by terminal cell width (wide CJK and emoji count two), the `flexible`
    columns shortened with "…" (first listed shrinks last) when the table is wider than the terminal."""
    import shutil

    from rich.cells import cell_len, set_cell_size

    rows = [[" ".join(cell.split()) for cell in row] for row in rows]  # one line per row
    widths = [max(cell_len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    available = shutil.get_terminal_size((120, 24)).columns - 2 * (len(header) - 1)
    for column in reversed(flexible):
        excess = sum(widths) - available
        if excess <= 0:
            break
        widths[column] = max(len(header[column]), 8, widths[column] - excess)

    def fit(text: str, width: int, align_right: bool) -> str:
        if cell_len(text) > width:
            text = set_cell_size(text, width - 1) + "…"
        pad = " " * (width - cell_len(text))
        return pad + text if align_right else text + pad

    lines = [
        "  ".join(fit(cell, widths[i], i in right) for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def cmd_move(args: argparse.Namespace) -> int:
    """`planner move ID BUCKET [--reason R] [--on DATE] [--value N]`: warns on stderr when the
    method's entry conditions are not met, and moves anyway (SPEC §2). An open bucket reopens a
    won or lost deal."""
    from planner.domain.models import Bucket
    from planner.domain.parse import MAX_FIELD, clean_text, parse_bucket, parse_date, parse_money_in

    opp_id = _parse_id(args.id)
    to = parse_bucket(args.bucket)
    reason = clean_text(args.reason, MAX_FIELD, what="--reason")
    if reason and to is not Bucket.LOST:
        raise BadInput("--reason is only for lost deals")
    if (args.on or args.value is not None) and to.is_open:
        raise BadInput("--on and --value are only for won or lost deals")
    today = _today()
    closed_on = parse_date(args.on, today, what="--on") if args.on else None
    with _core(args) as core:
        value, currency = None, ""
        if args.value is not None:  # read in the database's decimal convention and currency
            value, currency = parse_money_in(args.value, core.settings().money_style, what="--value")
        before = core.deal(opp_id)
        change = core.move(opp_id, to, reason=reason, closed_on=closed_on, value_cents=value, currency=currency)
    if not change.changed:
        print(f"{opp_id} {_name(before)} is already in {to.label}; nothing changed")
        return 0
    _warnings(change)
    print(f"moved {opp_id} {_name(before)}: {before.bucket.label} → {to.label}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """`planner log [ID] --kind K --minutes N [--on DATE] [--note T]` (SPEC §2 "Log activities")."""
    from planner.domain.models import Activity
    from planner.domain.parse import MAX_NOTES, clean_text, parse_kind, parse_minutes, parse_past_day

    today = _today()
    opp_id = _parse_id(args.id) if args.id is not None else None
    activity = Activity(
        kind=parse_kind(args.kind),
        minutes=parse_minutes(args.minutes, what="--minutes"),
        on=parse_past_day(args.on, today, what="--on") if args.on else today,
        opportunity_id=opp_id,
        note=clean_text(args.note, MAX_NOTES, multiline=True, what="--note"),
    )
    with _core(args) as core:
        change = core.log_time(activity)
    target = f"on {_name(change.deal)}" if change.deal is not None else "on no deal (Above the Funnel)"
    print(f"logged {activity.minutes} min of {activity.kind.label} {target}")
    return 0


# --- status / plan -------------------------------------------------------------------------------


def status_record(status: Status) -> dict[str, Any]:
    """`planner status --json` (SPEC §4 schema, plus the engine's v2 data: each bucket's demand,
    the quota and today's share, the user's own split, the forecast and the projection)."""
    from planner.domain.models import OPEN_BUCKETS

    alloc = status.allocation
    quota = status.quota
    own = status.own_split
    forecast = status.forecast
    projection = status.projection
    cycle = status.cycle
    return {
        "today": status.today.isoformat(),
        "cycle": {
            "days": round(cycle.days, 1),
            "source": cycle.description,
            "measured": cycle.source == "measured",
            "samples": cycle.samples,
            "setting_days": cycle.setting_days,
        },
        "buckets": {
            b.value: {"label": b.label, "count": status.counts[b], "value": _number(status.values_cents[b])}
            for b in OPEN_BUCKETS
        },
        "allocation": {
            **{b.value: _share_record(alloc[b]) for b in OPEN_BUCKETS},
            "hours_per_week": alloc.hours_per_week,
            "demand_hours": round(alloc.demanded_hours, 2),
            "overloaded_hours": round(alloc.overloaded_hours, 2),
            "floor_binds": alloc.floor_binds,
            "prospects_per_week": round(alloc.prospects_per_week, 2),
            "prospect_quota": alloc.prospect_quota,
            "own_split": None if own is None else {
                **{b.value: _share_record(own[b]) for b in OPEN_BUCKETS},
                "underserved": [b.value for b in own.underserved],
            },
        },
        "quota": None if quota is None else {
            "week": quota.week,
            "done_week": quota.done_week,
            "today": quota.today,
            "done_today": quota.done_today,
            "working_days_left": quota.working_days_left,
        },
        "forecast": {
            "horizon_days": forecast.horizon_days,
            "expected_wins": round(forecast.expected_wins, 2),
            "goal_wins": round(forecast.goal_wins, 2),
            "weighted_value": _number(forecast.weighted_value_cents),
            "commit": _number(forecast.commit_cents),
            "best_case": _number(forecast.best_case_cents),
            "pipeline": _number(forecast.pipeline_cents),
            "goal_value": None if forecast.goal_value_cents is None else _number(forecast.goal_value_cents),
            # Exact: a script compares them with rule_of_thumb as the screens do (2.997 is below 3).
            "coverage": forecast.coverage,
            "coverage_deals": forecast.coverage_deals,
            "rule_of_thumb": forecast.rule_of_thumb,
            "required_coverage": _finite(forecast.required_coverage),
            "beyond_horizon": {"count": forecast.beyond_count, "value": _number(forecast.beyond_value_cents)},
            "half_weight": forecast.half_weight,
            "categories": [
                {
                    "name": c.name,
                    "bucket": c.bucket.value,
                    "count": c.count,
                    "value": _number(c.value_cents),
                    "win_probability": round(c.win_probability, 4),
                    "weighted_value": _number(c.weighted_value_cents),
                    "expected_wins": round(c.expected_wins, 2),
                }
                for c in forecast.categories
            ],
        },
        "projection": {
            "weeks": [
                {
                    "start": w.start.isoformat(),
                    "expected_wins": round(w.expected_wins, 3),
                    "with_quota": round(w.with_quota, 3),
                    "goal": round(w.goal, 3),
                    "judged": w.judged,
                    "dry": w.dry,
                }
                for w in projection.weeks
            ],
            "first_dry_week": _iso(projection.first_dry_week),
            "prospect_by": _iso(projection.prospect_by),
            "too_late": projection.too_late,
            "pull_forward": list(projection.pull_forward),
            "first_dry_week_with_quota": _iso(projection.first_dry_week_with_quota),
            "dry_run_weeks": projection.dry_run,
            "next_dry_week": _iso(projection.next_dry_week),
            "next_prospect_by": _iso(projection.next_prospect_by),
            "quota": projection.quota,
            "lead_days": projection.lead_days,
            "half_weight": {"slipped": projection.slipped, "stale": projection.stale},
        },
        "flags": [
            {"code": f.code, "severity": f.severity.value, "message": f.message, "opportunity_id": f.opportunity_id}
            for f in status.flags
        ],
    }


def _share_record(share: Any) -> dict[str, Any]:
    return {
        "percent": share.percent,
        "hours": round(share.hours, 2),
        "demand_hours": round(share.demanded_hours, 2),
        "demanded_hours": round(share.demanded_hours, 2),  # the name version 1 of this output used
        "reason": share.reason,
    }


def _finite(value: float) -> float | None:
    import math

    return value if math.isfinite(value) else None


def _number(cents: int) -> int | float:
    units, rest = divmod(cents, 100)
    return units if rest == 0 else cents / 100


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _hours(value: float) -> str:
    from planner.core.text import hours

    return hours(value)


def cmd_status(args: argparse.Namespace) -> int:
    """`planner status [--json]`: buckets, normal cycle, suggested split, quota, forecast,
    projection, flags (SPEC §4)."""
    with _core(args) as core:
        snapshot, status = core.snapshot(), core.status()
    if args.json:
        _print_json(status_record(status))
        return 0
    if args.line:
        print(status_line(status, ascii_only=not _stdout_is_utf8()))
        return 0
    print("\n".join(status_lines(status, snapshot.settings.money_style)))
    return 0


def status_line(status: Status, *, ascii_only: bool = False) -> str:
    """`planner status --line`: what needs doing first, in one short line (no user text in it):
    the top of the funnel empty or thin, overdue next actions, today's prospects still to find, then
    the Best Few count. "ok" when nothing needs doing."""
    from planner.domain.models import Bucket

    codes = [f.code for f in status.flags]
    alert, dot = ("^", " | ") if ascii_only else ("▲", " · ")
    parts: list[str] = []
    if "empty_top" in codes:
        parts.append(f"{alert} top empty")
    elif "thin_top" in codes:
        parts.append(f"{alert} top thin")
    overdue = codes.count("overdue_action")
    if overdue:
        parts.append(f"{overdue} overdue")
    quota = status.quota
    if quota is not None and quota.today > quota.done_today:
        left = quota.today - quota.done_today
        parts.append(f"{left} prospect{'s' if left != 1 else ''} to find")
    if not parts:
        parts.append("ok")
    parts.append(f"BF {status.counts[Bucket.BEST_FEW]}")
    return dot.join(parts)


def status_lines(status: Status, style: Any = None) -> list[str]:
    """What `planner status` prints, line by line."""
    from planner.core.text import whole_hours
    from planner.domain.models import OPEN_BUCKETS, PRIORITY
    from planner.domain.text import shown_line

    alloc = status.allocation
    out = [
        f"Today {status.today.isoformat()} ({status.today.strftime('%A')})",
        f"Normal sales cycle: {status.cycle.days:.0f} days — {status.cycle.description}",
        "",
    ]
    label_width = max(len(b.label) for b in OPEN_BUCKETS)
    values = {b: _money(status.values_cents[b], style) for b in OPEN_BUCKETS}
    value_width = max(len(v) for v in values.values())
    for b in OPEN_BUCKETS:
        count = status.counts[b]
        out.append(f"  {b.label:<{label_width}}  {count:>3} deal{'' if count == 1 else 's'}  {values[b]:>{value_width}}")
    asked = alloc.demanded_hours
    out += ["", f"Suggested split of your {whole_hours(alloc.hours_per_week)} week ({_hours(asked)} asked, priority order):"]
    for b in PRIORITY:
        share = alloc[b]
        out.append(f"  {b.label:<{label_width}}  {share.percent:>3} %  {_hours(share.hours):>7}  {share.reason}")
    if alloc.overloaded_hours > 0:
        out.append(f"  Overloaded by {_hours(alloc.overloaded_hours)}: the funnel asks for more than your week.")
    if status.own_split is not None:
        own = status.own_split
        split = "/".join(str(own[b].percent) for b in OPEN_BUCKETS)
        out += ["", f"Your own split ({split} Above/In/Best Few) is in use; what it does:"]
        for b in PRIORITY:
            share = own[b]
            out.append(f"  {b.label:<{label_width}}  {share.percent:>3} %  {_hours(share.hours):>7}  {share.reason}")
    out += ["", *quota_lines(status)]
    out += forecast_lines(status, style)
    out += projection_lines(status)
    out.append("")
    if status.flags:
        out.append("Flags:")
        width = max(len(f.severity.value) for f in status.flags)
        for f in status.flags:
            where = f"#{f.opportunity_id} " if f.opportunity_id is not None else ""
            out.append(f"  {f.severity.value:<{width}}  {where}{shown_line(f.message)}")
    else:
        out.append("No flags: the funnel looks healthy.")
    return out


def quota_lines(status: Status) -> list[str]:
    """The week's prospecting quota and today's share, in the words of the Today screen."""
    from planner.core.text import quota_text, quota_today_text

    quota = status.quota
    if quota is None:
        return []
    return [f"Prospecting quota: {quota_text(status.allocation)}", f"  {quota_today_text(quota)}"]


def forecast_lines(status: Status, style: Any = None) -> list[str]:
    from planner.core.text import decimals, ratio

    f = status.forecast
    # Enough decimals that no figure rounds onto or past the one it is judged against ("2.97×", not "3.0×").
    wins = decimals(f.expected_wins, f.goal_wins)
    lines = [
        f"Forecast over the next {f.horizon_days} days: {f.expected_wins:.{wins}f} expected wins against a goal of "
        f"{f.goal_wins:.{wins}f}; weighted {_money_whole(f.weighted_value_cents, style)} (commit {_money(f.commit_cents, style)} … "
        f"best case {_money(f.best_case_cents, style)})",
    ]
    if f.coverage is not None and f.goal_value_cents is not None:
        p = decimals(f.coverage, f.rule_of_thumb, f.required_coverage)
        lines.append(f"  coverage {ratio(f.coverage, p)} ({_money(f.pipeline_cents, style)} open against the goal's "
                     f"{_money(f.goal_value_cents, style)}) beside the {f.rule_of_thumb:g}× rule of thumb and the "
                     f"{_ratio(f.required_coverage, p)} your own win rate from Above asks")
    else:
        p = decimals(f.coverage_deals, f.rule_of_thumb, f.required_coverage)
        lines.append(f"  coverage {ratio(f.coverage_deals, p)} in deals beside the {f.rule_of_thumb:g}× rule of thumb "
                     f"and the {_ratio(f.required_coverage, p)} your own win rate asks (set goal_value_per_month for "
                     "money)")
    if f.beyond_count:
        lines.append(f"  not counted: {f.beyond_count} deal{'s' if f.beyond_count != 1 else ''} "
                     f"({_money(f.beyond_value_cents, style)}) expected to close after the {f.horizon_days} days")
    return lines


def _money_whole(cents: int, style: Any = None) -> str:
    """A weighted amount in whole money units: its cents are arithmetic, not a price."""
    from planner.core.text import money_whole

    return money_whole(cents, style)


def _ratio(value: float, places: int = 1) -> str:
    import math

    from planner.core.text import ratio

    return ratio(value, places) if math.isfinite(value) else "unbounded"


def projection_lines(status: Status) -> list[str]:
    from planner.core.text import prospects_a_week, quota_fills

    p = status.projection
    if p.first_dry_week is None:
        return ["Projection: no week below half your weekly goal in the next "
                f"{len(p.weeks)} weeks."]
    line = f"Projection: first dry week is the week of {p.first_dry_week.isoformat()}"
    if p.dry_run > 1:
        line += f" ({p.dry_run} dry weeks in a row)"
    if p.prospect_by is not None:
        line += f"; prospect by {p.prospect_by.isoformat()} to fill it"
    else:
        line += f"; too late for new prospects (about {p.lead_days} days to close)"
        if p.pull_forward:
            line += f"; In the Funnel deals to pull forward: {', '.join(f'#{i}' for i in p.pull_forward[:5])}"
    lines = [line]
    if p.next_dry_week is not None and p.next_prospect_by is not None:
        later = p.week(p.next_dry_week)
        fills = "" if later is None or not p.quota else f" ({quota_fills(p.quota, not later.dry_with_quota)})"
        lines.append(f"  the first dry week new prospects can still reach is {p.next_dry_week.isoformat()}: prospect by "
                     f"{p.next_prospect_by.isoformat()}{fills}")
    # The quota's words are the Insights' (planner.core.text): "with 4 new prospects a week, …".
    if p.first_dry_week_with_quota is None:
        lines.append(f"  with {prospects_a_week(p.quota)}, no week falls below half the goal")
    elif p.first_dry_week_with_quota != p.first_dry_week:
        lines.append(f"  with {prospects_a_week(p.quota)}, the first dry week is {p.first_dry_week_with_quota.isoformat()}")
    if p.half_weight:
        lines.append(f"  at half weight: {p.slipped} slipped, {p.stale} stale (of {p.half_weight} "
                     f"deal{'s' if p.half_weight != 1 else ''})")
    return lines


def plan_record(plan: WeekPlan, status: Status, snapshot: Any = None) -> dict[str, Any]:
    """`planner plan --json`: the split in use (the user's own, else the suggestion) beside the
    suggestion, each bucket's demand, and the reason of the split in use (with the own split: what
    it does to the bucket; the suggestion's own reason is `suggested_reason`), this week's hours
    beside the normal week's."""
    from planner.domain.models import PRIORITY

    own = status.own_split if plan.is_custom else None
    return {
        "week_start": plan.week_start.isoformat(),
        "hours": plan.hours,
        "normal_hours": snapshot.settings.hours_per_week if snapshot is not None else plan.hours,
        "hours_this_week_only": snapshot is not None and snapshot.week_hours is not None,
        "is_custom": plan.is_custom,
        "overloaded_hours": round(status.allocation.overloaded_hours, 2),
        "prospects_per_week": round(status.allocation.prospects_per_week, 2),
        "prospect_quota": status.allocation.prospect_quota,
        "underserved": [b.value for b in own.underserved] if own is not None else [],
        "split": {
            b.value: {
                "percent": plan.split[b],
                "suggested_percent": plan.suggested[b],
                "planned_hours": round(plan.planned_hours[b], 2),
                "suggested_hours": round(status.allocation[b].hours, 2),
                "demand_hours": round(status.allocation[b].demanded_hours, 2),
                "logged_hours": round(plan.logged_hours[b], 2),
                "reason": own[b].reason if own is not None else status.allocation[b].reason,
                "suggested_reason": status.allocation[b].reason,
            }
            for b in PRIORITY
        },
        "blocks": [
            {
                "day": block.day.isoformat(),
                "start": _clock(block.start_minute),
                "end": _clock(block.start_minute + block.minutes),
                "minutes": block.minutes,
                "bucket": block.bucket.value,
                "title": block.title,
            }
            for block in plan.blocks
        ],
    }


def plan_lines(plan: WeekPlan, status: Status, snapshot: Any = None) -> list[str]:
    """What `planner plan` prints: this week's hours (beside the normal week's when they differ),
    the split in use beside the suggestion, planned against logged hours, why (with the own split:
    what it does to each bucket, and the suggestion's reasons under their own heading), the time
    blocks."""
    from planner.core.text import quota_text, time_span, weekday_date, whole_hours
    from planner.domain.models import PRIORITY

    alloc = status.allocation
    own = status.own_split if plan.is_custom else None
    whose = "your own split" if plan.is_custom else "suggested split"
    note = ""
    if snapshot is not None and snapshot.week_hours is not None:
        note = f" this week (normal week {whole_hours(snapshot.settings.hours_per_week)})"
    out = [f"Week of {plan.week_start.isoformat()}: {whole_hours(plan.hours)} of selling time{note}, {whose}", ""]
    label_width = max(len(b.label) for b in PRIORITY)
    header = f"  {'':<{label_width}}  {'split':>5}"
    if own is not None:
        header += f"  {'suggested':>9}"
    header += f"  {'asked':>8}  {'planned':>8}  {'logged':>8}"
    out.append(header)
    for b in PRIORITY:
        line = f"  {b.label:<{label_width}}  {plan.split[b]:>3} %"
        if own is not None:
            line += f"  {plan.suggested[b]:>7} %"
        line += (f"  {_hours(alloc[b].demanded_hours):>8}  {_hours(plan.planned_hours[b]):>8}  "
                 f"{_hours(plan.logged_hours[b]):>8}")
        out.append(line)
    if own is not None:
        out += ["", "What your split does:"]
        out += [f"  {own[b].reason}" for b in PRIORITY]
        for b in own.underserved:
            out.append(f"  ! {b.label} gets under half of what its deals ask (split_underserves)")
        suggested = "/".join(str(plan.suggested[b]) for b in PRIORITY)
        out += ["", f"The suggestion ({suggested} Best Few/Above/In) because:"]
    else:
        out += ["", "Why:"]
    out += [f"  {alloc[b].reason}" for b in PRIORITY]
    if alloc.overloaded_hours > 0:
        out.append(f"  Overloaded by {_hours(alloc.overloaded_hours)}.")
    out.append(f"  Prospecting quota: {quota_text(alloc)}.")
    out += ["", "Time blocks:"]
    if not plan.blocks:
        out.append("  none (no selling hours this week)")
    for block in plan.blocks:
        out.append(f"  {weekday_date(block.day)}  {time_span(block.start_minute, block.minutes)}  {block.title}")
    return out


def _clock(minute: int) -> str:
    from planner.core.text import clock

    return clock(minute)


def cmd_plan(args: argparse.Namespace) -> int:
    """`planner plan [--hours N] [--split A/I/B | --split suggested] [--json] [--ics FILE]`: this
    week's plan (SPEC §2 "Weekly plan"). --hours sets the selling hours of this week only (the normal
    week stays hours_per_week; 'normal' goes back to it); --split sets or clears your own split.
    Both are saved, as the Week screen's H, e and r do."""
    from planner.core.core import parse_split_text

    if args.ics == "-" and args.json:
        raise BadInput("--ics - and --json would both write to stdout; write the calendar to a file")
    if args.ics and args.ics != "-":
        _refuse_database_target(args.ics, args.db)  # before anything is read or written
    split: Any = None
    if args.split is not None:
        split = None if args.split.strip().lower() == "suggested" else parse_split_text(args.split)
    notes: list[str] = []
    with _core(args) as core:
        # Checked before either is saved: a bad --split leaves --hours unsaved too.
        if args.hours is not None:
            from planner.domain.settings import parse_setting

            if args.hours.strip().lower() not in ("normal", "auto"):
                parse_setting("hours_per_week", args.hours)
        for change in (
            core.set_week_hours(args.hours) if args.hours is not None else None,
            core.set_own_split(split) if args.split is not None else None,
        ):
            if change is not None:
                notes.append(change.description)
                notes.extend(f"warning: {w}" for w in change.warnings)
        snapshot, status, plan = core.snapshot(), core.status(), core.week_plan()
        if args.ics and args.ics != "-":
            written = core.write_week_calendar(args.ics, include_past=args.include_past)
            notes.append(_one_line(written.description[:1].lower() + written.description[1:]))  # "wrote 12 time blocks to …"
        calendar = core.week_calendar(include_past=args.include_past) if args.ics == "-" else b""
    for note in notes:
        print(note, file=sys.stderr)
    if args.ics == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(calendar)
        sys.stdout.buffer.flush()
        return 0  # the calendar went to stdout; do not mix text into it
    if args.json:
        _print_json(plan_record(plan, status, snapshot))
        return 0
    print("\n".join(plan_lines(plan, status, snapshot)))
    return 0


def _refuse_database_target(target: str, db: str | None) -> None:
    from planner.files import refuse_database_target
    from planner.store.location import resolve

    refuse_database_target(target, resolve(db))


# --- config -------------------------------------------------------------------------------------


def _format_setting(value: Any, key: str = "") -> str:
    from planner.core.text import setting_text

    return setting_text(value, key)


def _print_settings(settings: Any, core: Core) -> None:
    """Every setting with its value and meaning, and what the engine uses when that differs from
    the value (a measured stay or pass rate, the measured cycle, this week's hours): the Profile's
    "In use" column, in its words."""
    from planner.core.text import setting_in_use
    from planner.domain.settings import SETTING_SPECS, Settings, setting_value

    status, week_hours = core.status(), core.snapshot().week_hours
    defaults = Settings()
    width = max(len(k) for k in SETTING_SPECS)
    values = {k: _format_setting(setting_value(settings, k), k) for k in SETTING_SPECS}
    value_width = max(len(v) for v in values.values())
    for key, spec in SETTING_SPECS.items():
        changed = " " if setting_value(settings, key) == setting_value(defaults, key) else "*"
        in_use = setting_in_use(key, settings, status, week_hours)
        note = f" — in use: {in_use}" if in_use else ""
        print(f"{key:<{width}}  {values[key]:>{value_width}} {changed} {spec.help}{note}")
    print("(* changed from the default; set with 'planner config KEY VALUE', 'auto' resets the optional ones)")


def cmd_config(args: argparse.Namespace) -> int:
    """`planner config [KEY [VALUE]]`: the settings of SPEC §3.1."""
    from planner.domain.settings import SETTING_SPECS, parse_setting, setting_value

    if args.key is not None and args.key not in SETTING_SPECS:
        parse_setting(args.key, "")  # raises the BadInput that lists the known keys
    with _core(args) as core:
        if args.key is None:
            _print_settings(core.settings(), core)
            return 0
        if args.value is None:
            print(_format_setting(setting_value(core.settings(), args.key), args.key))
            return 0
        change = core.set_setting(args.key, args.value)
    print(f"{args.key} = {_format_setting(change.value, args.key)}")  # the key as typed: scripts read this line
    return 0


# --- import / export / backup --------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    """`planner import FILE [--dry-run] [--map …] [--stage …] [--date-format] [--decimal-comma]
    [--update] [--sheet]`: all or nothing, every problem listed by line (SPEC §4)."""
    from planner.files import check_readable_file
    from planner.importing import ImportProblem, parse_map, parse_stage

    check_readable_file(args.file, what="file to import")  # before the database is opened
    maps = dict(parse_map(text) for text in args.map)
    stages = dict(parse_stage(text) for text in args.stage)
    with _core(args) as core:
        try:
            change = core.import_file(args.file, dry_run=args.dry_run, maps=maps, stages=stages,
                                      date_format=args.date_format, decimal_comma=args.decimal_comma,
                                      update=args.update, sheet=args.sheet)
        except ImportProblem as problem:
            if len(problem.problems) == 1:
                raise
            _error(f"nothing imported: {len(problem.problems)} problems in {args.file}")
            for line in problem.problems:
                print(f"  {line}", file=sys.stderr)
            return problem.exit_code
    plan = change.value
    print("\n".join(import_summary(plan, args.file, dry_run=args.dry_run)))
    if not args.dry_run:
        for warning in plan.warnings:
            _warn(warning)
    return 0


def import_summary(plan: Any, name: str, *, dry_run: bool) -> list[str]:
    """What an import did (or, dry, would do): counts per bucket, how the file was read, what went
    to the notes, what it does to the settings, and with --dry-run the whole mapping and every
    warning (a dry run says what it would do, never that something changed)."""
    from planner.domain.models import Bucket

    counts = plan.counts
    added = len(plan.new) + len(plan.batch_extra.get("histories", ()))
    updated = len(plan.updates)
    what = f"{added} opportunit{'y' if added == 1 else 'ies'}"
    if updated:
        what += f" and update {updated}" if dry_run else f", updated {updated}"
    verb = "would import" if dry_run else "imported"
    by_bucket = ", ".join(f"{b.label} {counts[b]}" for b in Bucket if counts[b])
    lines = [f"{verb} {what} from {name}" + (f": {by_bucket}" if by_bucket else "")
             + ("; nothing changed (dry run)" if dry_run else "")]
    lines.append(f"  read as {plan.source}")
    if dry_run and plan.mapping:
        lines.append("  columns:")
        lines += [f"    {header} → {target}" for header, target in plan.mapping]
    if dry_run and plan.stage_map:
        lines.append("  stages:")
        lines += [f"    {stage} → {bucket.value} ({n} row{'s' if n != 1 else ''})" for stage, bucket, n in plan.stage_map]
    if plan.kept_in_notes:
        lines.append(f"  kept in the notes as 'Header: value': {', '.join(plan.kept_in_notes)}")
    lines += [f"  {notice}" for notice in plan.notices]
    lines += [f"  {would if dry_run else done}" for done, would in plan.setting_notices]
    if dry_run:
        lines += [f"  warning: {warning}" for warning in plan.warnings]
    return lines


def cmd_export(args: argparse.Namespace) -> int:
    """`planner export [--format csv|json] [-o FILE]`: every deal as CSV, or everything as JSON
    (SPEC §4 "Export is complete"); stdout by default. A file goes through the core's one writer."""
    from planner.csvio import csv_text, write_csv

    fmt = args.format or ("json" if args.output and args.output.lower().endswith(".json") else "csv")
    to_stdout = args.output in (None, "-")
    if not to_stdout:
        _refuse_database_target(args.output, args.db)  # before the database is opened
        with _core(args) as core:
            count = core.write_export(fmt, args.output).value.count
        print(f"exported {count} opportunit{'y' if count == 1 else 'ies'} to {_one_line(args.output)}")
        return 0
    with _core(args) as core:
        records = core.export_records(fmt)
    if fmt == "json":
        from planner.importing.export import write_complete_json

        write_complete_json(records, _JsonStream(_raw(sys.stdout)), ascii_only=not _stdout_is_utf8())
        return 0
    if _raw(sys.stdout).isatty():
        write_csv(records, sys.stdout)  # read on a terminal: shown text, like every other output there
        return 0
    if _stdout_is_utf8():
        write_csv(records, _raw(sys.stdout))  # to a file or a pipe: exactly what is stored
        return 0
    # The CSV is UTF-8 by contract (SPEC §4), whatever the terminal's encoding: `planner export
    # > deals.csv` in a latin-1 locale must not turn characters into escapes or '?'.
    sys.stdout.flush()
    sys.stdout.buffer.write(csv_text(records).encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """`planner backup [-o FILE]`: a consistent copy of the database; prints its path."""
    from planner.core.core import backup_path_for
    from planner.files import check_target
    from planner.store.connection import file_status
    from planner.store.location import resolve

    if args.output == "-":  # not stdout, unlike export's -o -: a database is a file, never a stream of text
        raise BadInput("a backup is a database file and is not written to stdout; choose the file with -o FILE, "
                       "or leave -o out for a timestamped copy beside the database")
    source = resolve(args.db)
    if file_status(source) is None:  # checked before opening, which would create it
        raise BadInput(f"no database at {source} yet; nothing to back up")
    target = check_target(args.output, database=source) if args.output else backup_path_for(source)
    if file_status(target) is not None or os.path.lexists(target):
        raise BadInput(f"{target} already exists; choose another name")
    with _core(args) as core:
        core.backup(target)
    print(_one_line(target))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """`planner restore FILE`: check the backup, keep a copy of the current database, put the
    backup in its place with no stale -wal/-shm (SPEC §4)."""
    from planner.core.core import Core

    done = Core.restore(args.file, args.db).value
    deals = f"{done.deals} deal{'' if done.deals == 1 else 's'}"
    print(f"restored {deals} from {_one_line(args.file)} into {_one_line(done.database)}")
    if done.kept is not None:
        print(f"the database as it was before is kept in {_one_line(done.kept)}")
    return 0


# --- demo ----------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    """`planner demo [--keep PATH]`: a fresh demo database in a temporary folder, never the user's;
    the TUI opens on it, or with --keep it is written to PATH (a new file) and the command exits."""
    import shutil
    import tempfile
    from pathlib import Path

    from planner.demo import write_demo
    from planner.files import check_target
    from planner.store.connection import file_status

    if args.keep == "-":
        raise BadInput("--keep writes a database file, not stdout; name the file, e.g. --keep demo.db")
    if not args.keep:
        _need_terminal()  # before the demo is built: without --keep it opens the app
    keep = check_target(args.keep, database=None) if args.keep else None
    if keep is not None and file_status(keep) is not None:
        raise BadInput(f"{args.keep} already exists; --keep writes a new file")
    today = _today()
    folder = Path(tempfile.mkdtemp(prefix="planner-demo-"))
    try:
        db = folder / "demo.db"
        write_demo(db, today, seed=args.seed, keep=keep)
        if keep is not None:
            print(f"demo database written to {_one_line(keep)}")
            return 0
        return _open_tui(str(db))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
