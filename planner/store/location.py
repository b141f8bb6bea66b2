"""Where the database lives (SPEC §4): `--db` beats `PLANNER_DB`, which beats the default file
`planner.db` in the user data directory (platformdirs). Paths and SQLAlchemy SQLite URLs are accepted.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

from planner.errors import BadInput

ENV_VAR = "PLANNER_DB"
DEFAULT_FILENAME = "planner.db"

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)$", re.DOTALL)


def default_path() -> Path:
    """`planner.db` in the per-user data directory (e.g. ~/.local/share/planner on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("planner", appauthor=False)) / DEFAULT_FILENAME


def resolve(cli_value: str | None) -> Path:
    """The database file to use: the `--db` value, else `PLANNER_DB`, else the default file.

    Raise BadInput (one line) for an empty value or a URL that is not SQLite.
    """
    if cli_value is not None:
        return parse_spec(cli_value, origin="--db")
    env_value = os.environ.get(ENV_VAR, "")
    if env_value.strip():
        return parse_spec(env_value, origin=ENV_VAR)
    return default_path()


def parse_spec(spec: str, *, origin: str = "database") -> Path:
    """A path (`~` expanded) or an SQLAlchemy URL `sqlite:///relative.db` / `sqlite:////abs.db`
    (also `sqlite+pysqlite://…`; a `?query` is ignored) → the file path."""
    text = spec.strip()
    if not text:
        raise BadInput(f"{origin} is empty: give a file path or a sqlite:/// URL")
    match = _URL.match(text)
    if match is None:
        if text == ":memory:" or text.lower().startswith("file:"):
            # SQLite's own forms would otherwise become files named ":memory:" or "file:x.db?…"
            # in the current folder: litter, and (for :memory:) nothing kept.
            hint = "an in-memory database keeps nothing" if text == ":memory:" else "SQLite's file: URIs are not accepted"
            raise BadInput(f"{origin}: {text!r} — {hint}; give a file path or a sqlite:/// URL")
        return _expand(text, origin)
    scheme = match["scheme"].lower()
    if scheme != "sqlite" and not scheme.startswith("sqlite+"):
        raise BadInput(f"{origin}: only SQLite databases are supported, not {scheme!r} (use a file path or sqlite:///file.db)")
    rest = match["rest"].split("?", 1)[0]
    if rest in ("", "/"):  # SQLAlchemy's in-memory database: nothing would be kept
        raise BadInput(f"{origin}: the SQLite URL {spec.strip()!r} names no database file")
    # sqlite:///x.db → rest "/x.db": the URL's empty host, then the relative path x.db;
    # sqlite:////abs.db → rest "//abs.db" → absolute /abs.db.
    if not rest.startswith("/"):
        raise BadInput(f"{origin}: a SQLite URL looks like sqlite:///relative.db or sqlite:////absolute.db, not {spec.strip()!r}")
    path = unquote(rest[1:])
    if not path or path == ":memory:" or path.lower().startswith("file:") or "\x00" in path:
        raise BadInput(f"{origin}: the SQLite URL {spec.strip()!r} names no database file")
    return _expand(path, origin)


def _expand(text: str, origin: str) -> Path:
    if "\x00" in text:
        raise BadInput(f"{origin}: a path cannot contain a NUL character")
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise BadInput(f"{origin}: cannot expand {text!r}: your home folder is unknown; give a full path") from None
