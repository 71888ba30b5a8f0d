"""The dependency direction of DESIGN.md, read from the source: directory ← orders ←
triage / assessment ← web / api. A cycle is a design question (move the shared part down, or
hand the work to the worker), never a function-local import that hides it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "hotline"

# What each part of the product may import (besides itself). The top (web, api, demo, urls,
# cli, settings) may import anything below it.
ALLOWED = {
    "errors": set(),
    # hash chains (canonical values, a link's hash): every trace's, a leaf
    "chain": set(),
    "periods": {"errors"},
    "csvfile": {"errors"},
    "exports": {"errors"},
    # form widgets (Django only) for the staff pages and the public part
    "widgets": set(),
    "directory": {"errors", "periods", "csvfile", "widgets", "chain"},
    # the transactional outbox sits below orders (orders' actions write its rows)
    "outbox": {"errors", "directory"},
    "orders": {"directory", "errors", "periods", "csvfile", "outbox", "chain"},
    # the shared security log; its admin reuses the orders' read-only admin
    "audit": {"directory", "orders", "errors", "periods"},
    "triage": {"orders", "directory", "audit", "errors", "periods", "csvfile", "exports"},
    # the assessment hears of upheld unreasonable requests through the outbox (assessment.restate)
    # (and keeps the trace of score appeals with the shared hash chain)
    "assessment": {"orders", "directory", "audit", "outbox", "errors", "periods", "csvfile", "exports", "chain"},
    # the city platform link: orders in through the actions, updates out through the outbox
    "citylink": {"orders", "directory", "outbox", "errors"},
    # GeoReport v2 beside the JSON API: its keys authenticate a post (api.keys)
    "open311": {"orders", "directory", "api", "errors"},
    # notifications: told of orders' events through the outbox; the supervisors of the warnings
    "notify": {"orders", "directory", "outbox", "assessment", "errors", "periods", "widgets"},
    # hotspots (derived data): orders read, its own tables written; bursts told through notify and the outbox
    "governance": {"orders", "directory", "triage", "assessment", "outbox", "notify", "errors", "periods", "csvfile",
                   "exports", "chain"},
    # the citizens' part: intake and callbacks through the actions, figures from the assessment
    "public": {"orders", "directory", "triage", "assessment", "notify", "audit", "errors", "periods", "csvfile",
               "exports", "open311", "widgets"},
}
PAGE_MODULES = {"views", "map_views", "task_views", "change_views", "templatetags", "urls"}
# Known edges being removed on other branches: remove each entry when its fix is merged.
KNOWN: set[tuple[str, str]] = set()


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, ast.AST, bool]]:
    """(imported module, node, inside a function) for every import of the project's own code."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            local.update(id(n) for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names = [".".join(base + ([node.module] if node.module else []))]
            else:
                names = [node.module or ""]
        else:
            continue
        if isinstance(node, ast.ImportFrom):  # `from hotline import periods` imports hotline.periods
            names = [f"{names[0]}.{a.name}" if _is_module(f"{names[0]}.{a.name}") else names[0] for a in node.names]
        out.extend((n, node, id(node) in local) for n in names if n == "hotline" or n.startswith("hotline."))
    return out


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _sources() -> list[Path]:
    # Migrations are checked on their own below; a management command is an entry point (like
    # the CLI), the top of the layering whichever app it sits in.
    return [p for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.parts and "commands" not in p.parts]


def test_every_part_imports_only_the_parts_below_it():
    wrong = []
    for path in _sources():
        module = _module(path)
        app = _app(module)
        # An app's pages (views, template tags, URLs) are the top layer like web itself: they may
        # share web's page helpers (roles_required, the number formats).
        if app not in ALLOWED or PAGE_MODULES & set(module.split(".")[2:3]):
            continue
        for target, node, _local in _imports(path):
            other = _app(target)
            if other != app and other not in ALLOWED[app] and (module, other) not in KNOWN:
                wrong.append(f"{module}:{node.lineno} imports {target}")
    assert wrong == []


@pytest.mark.parametrize("folder", ["assessment", "directory", "orders"])
def test_no_function_hides_an_import_of_the_projects_own_code(folder):
    # apps.py is the exception Django makes: an AppConfig may not import models at load time.
    wrong = [f"{_module(path)}:{node.lineno} imports {target}"
             for path in sorted((ROOT / folder).rglob("*.py"))
             if "migrations" not in path.parts and "commands" not in path.parts and path.name != "apps.py"
             for target, node, local in _imports(path) if local and (_module(path), _app(target)) not in KNOWN]
    assert wrong == []


def test_a_migration_imports_no_application_code():
    # orders 0001 names State.RECEIVED as a default (written by makemigrations); left as it is,
    # since an applied migration is not edited.
    known = {"hotline.orders.migrations.0001_initial"}
    wrong = [f"{_module(path)}:{node.lineno} imports {target}"
             for path in sorted(ROOT.rglob("migrations/*.py")) if _module(path) not in known
             for target, node, _local in _imports(path)]
    assert wrong == []


def test_the_stats_package_keeps_modules_small():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "assessment" / "stats").glob("*.py")}
    assert set(sizes) >= {"__init__.py", "sql.py", "compute.py", "store.py", "read.py"}
    assert max(sizes.values()) <= 300, sizes
