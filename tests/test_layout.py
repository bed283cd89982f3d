"""The packages depend one way (DESIGN.md): inventory → catalogue, shop → both; the domain packages
import only shop.extensions from shop."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[str, set[str]]:
    """{file: modules it imports}, including imports inside functions."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        modules = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
        found[str(path.relative_to(ROOT))] = modules
    return found


@pytest.mark.parametrize(("package", "forbidden"), [("catalogue", ("inventory",)), ("inventory", ())])
def test_domain_packages_import_only_what_design_allows(package, forbidden):
    wrong = {
        path: sorted(m for m in modules
                     if m.split(".")[0] in forbidden or (m.split(".")[0] == "shop" and m != "shop.extensions"))
        for path, modules in imported_modules(package).items()
    }
    assert {path: mods for path, mods in wrong.items() if mods} == {}


def test_the_check_sees_imports_inside_functions(tmp_path, monkeypatch):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("def f():\n    from shop.orders import place_order\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert imported_modules("pkg") == {"pkg/m.py": {"shop.orders"}}
