"""The settings' layout: one module per concern, each setting imported by name into asyncpizza.settings (no
star import hides where one comes from), and only asyncpizza/settings/env.py reads the environment."""

import ast
from pathlib import Path

import asyncpizza.settings

SETTINGS_DIR = Path(asyncpizza.settings.__file__).parent


def defined_settings(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names.update(target.id for target in targets if isinstance(target, ast.Name) and target.id.isupper())
    return names


def test_every_setting_of_every_module_reaches_django():
    missing = {
        path.name: sorted(name for name in defined_settings(path) if not hasattr(asyncpizza.settings, name))
        for path in SETTINGS_DIR.glob("*.py") if path.name not in {"__init__.py", "env.py"}
    }
    assert {module: names for module, names in missing.items() if names} == {}


def test_no_star_imports_and_no_environment_read_outside_env_py():
    offenders = []
    for path in SETTINGS_DIR.glob("*.py"):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
                offenders.append(f"{path.name}: import *")
        if path.name != "env.py" and ("os.environ" in source or "getenv" in source):
            offenders.append(f"{path.name}: reads the environment")
    assert offenders == []
