"""Which package of the repo imports which (migrations aside), read from the source: `python -m tests.import_graph`.
docs/ARCHITECTURE.md shows its output; the closing notes of layout changes show it before and after."""

import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"tests", "bench"}


def package_graph() -> dict[str, set[str]]:
    packages = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in SKIP)
    graph = collections.defaultdict(set)
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in packages and top != package:
                        graph[package].add(top)
    return {package: graph[package] for package in packages}


if __name__ == "__main__":
    for package, imports in package_graph().items():
        print(f"{package} -> {', '.join(sorted(imports)) or '(none)'}")
