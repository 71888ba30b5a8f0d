"""The dependency direction of DESIGN.md: orders is below triage, so no module of
hotline.orders imports hotline.triage, not even inside a function (a hidden cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import hotline.orders

ORDERS = Path(hotline.orders.__file__).parent


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_no_module_of_orders_imports_triage_anywhere():
    offenders = {
        str(p.relative_to(ORDERS)): sorted(m for m in _imports(p) if m.startswith("hotline.triage"))
        for p in ORDERS.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
