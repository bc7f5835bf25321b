"""Imports go down the layers only (DESIGN.md, "Modules"); api and web never touch store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).parents[1] / "src" / "casevault"
LAYERS = {
    "domain": 0, "store": 1, "audit": 2, "access": 3,
    "shield": 4, "watch": 4, "breach": 4, "share": 4, "synth": 4,
    "api": 5, "web": 5, "cli": 5,
}
SHARED = {"errors", "settings", "logs", "__init__"}
ALLOWED_SIDEWAYS = {("breach", "shield"), ("cli", "api"), ("api", "web")}
"""The command line is the process entry point: ``casevault serve`` starts the API; the API's
app is the one ASGI app served, so it mounts the console (which never imports the API)."""
NEVER = {("api", "store"), ("web", "store")}


def _module_of(path: Path) -> str:
    return path.relative_to(SOURCE).parts[0].removesuffix(".py")


def _imported_modules(source: str) -> set[str]:
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name.split(".")[1] for name in names
            if name.startswith("casevault.") and len(name.split(".")) > 1}


def _source_files() -> list[tuple[str, str, str]]:
    return [(str(path.relative_to(SOURCE)), _module_of(path), path.read_text(encoding="utf-8"))
            for path in sorted(SOURCE.rglob("*.py"))]


def _violations(files: list[tuple[str, str, str]]) -> list[str]:
    found = []
    for name, importer, source in files:
        if importer in SHARED:
            continue
        for imported in _imported_modules(source) - SHARED - {importer}:
            pair = (importer, imported)
            upward = LAYERS[imported] > LAYERS[importer]
            sideways = LAYERS[imported] == LAYERS[importer] and pair not in ALLOWED_SIDEWAYS
            if upward or sideways or pair in NEVER:
                found.append(f"{name} imports casevault.{imported}")
    return found


def test_every_module_folder_has_a_layer() -> None:
    folders = {p.name for p in SOURCE.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(LAYERS)


def test_imports_go_down_the_layers_only() -> None:
    assert _violations(_source_files()) == []


@pytest.mark.parametrize(("importer", "imported"), [("domain", "store"), ("store", "access"),
                                                    ("api", "store"), ("watch", "shield")])
def test_the_rule_catches_a_wrong_import(importer: str, imported: str) -> None:
    """The checker itself can fail: a planted bad import is reported."""
    planted = (f"{importer}/planted.py", importer, f"from casevault.{imported}.x import y\n")
    assert _violations([*_source_files(), planted]) == [f"{importer}/planted.py imports "
                                                       f"casevault.{imported}"]
