"""Layers depend one way: domain ← store ← ui / cli (STYLE.md). Each check imports a module in a fresh
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
