"""The layout's rules, checked on the source: `orders` (the domain) never imports `workflow` (the process),
nor does any of orders, workflow and api import `batches`, and no app names a django-q2 task by a string (every task is queued through its function)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["orders", "workflow", "api", "batches", "trainer", "asyncpizza", "console"]


def modules(app: str):
    return [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_orders_never_imports_workflow():
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path) if name.split(".")[0] == "workflow")
        for path in modules("orders")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_no_task_is_named_by_a_string():
    task_string = re.compile(r"^\w+\.tasks\.\w+$")
    offenders = []
    for app in APPS:
        for path in modules(app):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and task_string.match(node.value):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert offenders == []


def test_no_app_below_batches_imports_it():
    """Bulk orders depend on orders, workflow and api; none of them on bulk orders (its routes are mounted on
    the API from BatchesConfig.ready())."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path) if name.split(".")[0] == "batches")
        for app in ("orders", "workflow", "api")
        for path in modules(app)
    }
    assert {path: names for path, names in offenders.items() if names} == {}
