"""The layout's rules, checked on the source: `orders` (the domain) never imports `workflow` (the process),
none of orders, workflow, api and core imports `batches`, and no app names a django-q2 task by a string
(every task is queued through its function)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["orders", "workflow", "api", "trainer", "asyncpizza", "console", "batches", "storefront", "core", "shop"]


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


def workflow_imports(path: Path) -> set[str]:
    """The workflow modules `path` imports, at the top or inside a function (both close a circle)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                names.add(node.module.split(".")[0])
            elif node.level == 0 and node.module and node.module.startswith("workflow."):
                names.add(node.module.split(".")[1])
    return names


def test_no_import_circles_inside_workflow_but_the_store_step_rescheduling_itself():
    """Each step owns its task and its enqueue functions; the only way back is the store step's outcome
    scheduling the next attempt (attempt) or the wait for the shop's callback (callbacks). The old-path
    aliases (workflow/tasks.py) import every step and nothing imports them."""
    graph = {path.stem: workflow_imports(path) for path in modules("workflow") if path.parent.name == "workflow"}
    allowed = {("outcomes", "attempt"), ("outcomes", "callbacks")}
    for module, target in allowed:
        graph[module].discard(target)
    circles = []

    def visit(module, trail):
        for target in sorted(graph.get(module, ())):
            if target in trail:
                circles.append(trail[trail.index(target):] + [target])
            elif target in graph:
                visit(target, trail + [target])

    for module in graph:
        visit(module, [module])
    assert circles == []


def test_orders_imports_no_other_app_of_the_repo():
    """The domain stands on Django alone: not even the shared plumbing (core), which serves the apps around it."""
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"asyncpizza"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path) if name.split(".")[0] in apps - {"orders"})
        for path in modules("orders")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_no_app_below_batches_imports_it():
    """Bulk orders depend on orders, workflow and api; none of them on bulk orders (its routes are mounted on
    the API from BatchesConfig.ready())."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path) if name.split(".")[0] == "batches")
        for app in ("orders", "workflow", "api", "core")
        for path in modules(app)
    }
    assert {path: names for path, names in offenders.items() if names} == {}
