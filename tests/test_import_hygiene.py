"""Layers depend one way: domain ← store ← core ← ui / cli (STYLE.md). Each check imports a module in a fresh
interpreter and looks at what it pulled in, the way harlequin's import-hygiene test does."""

import json
import subprocess
import sys

import pytest


def imported_by(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in json.loads(out)} | set(json.loads(out))


DOMAIN_MODULES = [
    "planner.domain.models",
    "planner.domain.settings",
    "planner.domain.status",
    "planner.domain.parse",
    "planner.domain.agenda",
    "planner.domain.weekplan",
    "planner.domain.forecast",
]


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_domain_imports_neither_textual_nor_the_orm_nor_the_store(module):
    loaded = imported_by(module)
    assert not {"textual", "sqlmodel", "sqlalchemy", "sqlite3"} & loaded
    assert not any(name.startswith(("planner.store", "planner.ui", "planner.app", "planner.cli")) for name in loaded)


def test_store_does_not_import_textual_or_the_ui():
    loaded = imported_by("planner.store.repository")
    assert "textual" not in loaded
    assert not any(name.startswith(("planner.ui", "planner.app", "planner.cli")) for name in loaded)


def test_package_import_is_light():
    loaded = imported_by("planner")
    assert not {"textual", "sqlmodel", "sqlalchemy", "pendulum", "sqlite3"} & loaded


def test_cli_module_does_not_import_textual_or_the_orm():
    loaded = imported_by("planner.cli")
    assert not {"textual", "sqlmodel", "sqlalchemy"} & loaded


def test_the_importer_touches_no_database_and_loads_openpyxl_only_for_a_workbook():
    for module in ("planner.importing", "planner.importing.rows", "planner.importing.complete", "planner.csvio"):
        loaded = imported_by(module)
        assert not {"textual", "sqlmodel", "sqlalchemy", "sqlite3", "openpyxl"} & loaded, module
        assert not any(name.startswith(("planner.store", "planner.ui", "planner.app", "planner.cli")) for name in loaded)


# --- the core and the UI (docs/architecture.md: domain ← store ← core ← ui / cli) ---------------

CORE_MODULES = ["planner.core", "planner.core.core", "planner.core.text"]
UI_MODULES = [
    "planner.ui.actions",
    "planner.ui.screens.funnel",
    "planner.ui.screens.today",
    "planner.ui.screens.week",
    "planner.ui.screens.insights",
    "planner.ui.screens.profile",
    "planner.ui.screens.deal",
    "planner.ui.screens.modals",
    "planner.ui.screens.today_forms",
    "planner.ui.screens.problem",
    "planner.ui.widgets.banner",
    "planner.ui.widgets.bucket_list",
    "planner.ui.widgets.bars",
    "planner.ui.widgets.chart",
    "planner.ui.widgets.footer",
    "planner.ui.delivery",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_the_core_never_imports_textual_the_orm_or_the_ui(module):
    loaded = imported_by(module)
    assert not {"textual", "rich", "sqlmodel", "sqlalchemy"} & loaded
    assert not any(name.startswith(("planner.ui", "planner.app", "planner.cli")) for name in loaded)


def test_the_core_package_and_its_text_do_not_pull_in_the_store():
    # The UI formats numbers with planner.core.text: that must not bring SQLite along.
    for module in ("planner.core", "planner.core.text"):
        loaded = imported_by(module)
        assert not any(name.startswith("planner.store") for name in loaded), module
        assert "sqlite3" not in loaded, module


@pytest.mark.parametrize("module", UI_MODULES)
def test_the_ui_never_imports_the_store_or_the_app(module):
    loaded = imported_by(module)
    assert not any(name.startswith(("planner.store", "planner.app", "planner.cli")) for name in loaded)
    assert not {"sqlite3", "sqlmodel", "sqlalchemy"} & loaded


def test_screens_reach_data_only_through_the_core():
    """Screens and widgets never hold the repository: they call `app.core` (or what their
    constructor is given); nothing in planner/ui names the repository or writes a file."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "planner" / "ui"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\.repo\b", r"\bRepository\b", r"open_repository", r"write_file\(", r"import .*write_file",
                        r"\bopen\(", r"write_(text|bytes)\("):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(root)}: {pattern}")
    assert offenders == []


def test_the_cli_changes_nothing_except_through_the_core():
    """Every command that writes the user's data or a file for the user goes through `Core` (its
    use cases, its writer of files): the command line opens no repository, restores no file and
    writes no file itself."""
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "planner" / "cli.py").read_text(encoding="utf-8")
    offenders = [pattern for pattern in (r"open_repository", r"\bRepository\b", r"\brepo\.", r"restore_database",
                                         r"write_file\(", r"\breplacing\(", r"apply_import", r"build_demo")
                 if re.search(pattern, source)]
    assert offenders == []


def test_the_ui_imports_the_store_the_app_or_the_cli_nowhere_not_even_inside_a_function():
    """The subprocess checks above see what importing a module pulls in; an import inside a
    function runs later. Read every module of planner/ui: the store, the app and the CLI are
    named only for type checking (`if TYPE_CHECKING:`)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "planner" / "ui"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                       for statement in block.body for node in ast.walk(statement)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{alias.name}" for alias in node.names] if node.module == "planner" \
                    else [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith(("planner.store", "planner.app", "planner.cli")) and id(node) not in typing_only:
                    offenders.append(f"{path.relative_to(root)}:{node.lineno} imports {name}")
    assert offenders == []
