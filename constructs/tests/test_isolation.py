"""The library's tests and examples stand on their own: nothing from the app repository around
them (`tests`, `stacks`, `agent`, `app`, ...), and examples use only the public API."""

from __future__ import annotations

import ast
from pathlib import Path

import agentcore_constructs

LIBRARY = Path(__file__).resolve().parents[1]
APP_PACKAGES = {"tests", "stacks", "agent", "app", "agentcore_invoke", "benchmarks", "scripts"}


def imported_modules(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every absolute import in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (LIBRARY / folder).rglob("*.py"))


def test_nothing_imports_the_app() -> None:
    offenders = [
        f"{path.relative_to(LIBRARY)}: {module}"
        for path in python_files("tests", "examples", "src")
        for module, _ in imported_modules(path)
        if module.split(".")[0] in APP_PACKAGES
    ]
    assert offenders == []


def test_examples_use_only_the_public_api() -> None:
    public = set(agentcore_constructs.__all__)
    offenders = [
        f"{path.relative_to(LIBRARY)}: {module} {names}"
        for path in python_files("examples")
        for module, names in imported_modules(path)
        if module.startswith("agentcore_constructs")
        and (module != "agentcore_constructs" or not set(names) <= public)
    ]
    assert offenders == []
    assert python_files("examples"), "no example found"
