"""What the TUI remembers outside the database, in the user's config directory (where `planner
serve` keeps its token: ~/.config/planner on Linux): the theme chosen in the palette, and the
keymap file that rebinds keys by action id (docs/keys.md).

Not under planner/ui: the UI writes no file itself (tests/test_import_hygiene.py); the app calls this.
Neither ever blocks start-up: a file that cannot be read or makes no sense is reported in one line
(a notice in the app) and ignored.
"""

from __future__ import annotations

from pathlib import Path

#: Keys rebound by action id: `"funnel.delete" = "D"`, or `[funnel]` then `delete = "D"`.
KEYMAP_FILENAME = "keys.toml"
#: The theme chosen in the palette: one line, its name. Written by the app.
THEME_FILENAME = "theme"


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("planner", appauthor=False))


def keymap_path() -> Path:
    return config_dir() / KEYMAP_FILENAME


def theme_path() -> Path:
    return config_dir() / THEME_FILENAME


def _flatten(table: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _valid_keys(value: object) -> str | None:
    """A comma-separated list of Textual key names ("D", "ctrl+z", "f2,ctrl+d"), normalised; None if not."""
    if not isinstance(value, str):
        return None
    keys = [k.strip() for k in value.split(",")]
    if not keys or any(not k or len(k) > 40 or any(c.isspace() for c in k) for k in keys):
        return None
    return ",".join(keys)


def read_keymap(path: Path, known: set[str]) -> tuple[dict[str, str], str | None]:
    """(keymap, problem): the file's bindings by action id, or ({}, one line saying why it is
    ignored). No file is no problem."""
    shown = str(path)
    try:
        if not path.exists():
            return {}, None
        if not path.is_file():
            return {}, f"Keymap {shown} ignored: it is not a plain file"
        raw = path.read_bytes()
    except OSError as error:
        return {}, f"Keymap {shown} ignored: {error.strerror or error}"
    if len(raw) > 64_000:
        return {}, f"Keymap {shown} ignored: too large for a keymap"
    import tomllib  # only for a keymap that exists: most starts have none

    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return {}, f"Keymap {shown} ignored: not UTF-8 text"
    except tomllib.TOMLDecodeError as error:
        return {}, f"Keymap {shown} ignored: not valid TOML ({str(error).splitlines()[0]})"
    keymap: dict[str, str] = {}
    for action_id, value in _flatten(table).items():
        if action_id not in known:
            return {}, f"Keymap {shown} ignored: no action is called {action_id!r} (see docs/keys.md)"
        keys = _valid_keys(value)
        if keys is None:
            return {}, f"Keymap {shown} ignored: {action_id} needs keys as text, like \"ctrl+d\" or \"d,delete\""
        keymap[action_id] = keys
    return keymap, None


def read_theme(path: Path) -> str | None:
    """The remembered theme's name, or None (no file, or one that cannot be read)."""
    try:
        if not path.is_file():
            return None
        text = path.read_bytes()[:200].decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def write_theme(path: Path, name: str) -> None:
    """Remember `name` (PlannerError when the config directory cannot take it)."""
    from planner.errors import PlannerError
    from planner.files import write_file

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise PlannerError(f"cannot create {path.parent}: {error.strerror or error}") from None
    write_file(path, f"{name}\n".encode(), database=None, replace_link=True)
