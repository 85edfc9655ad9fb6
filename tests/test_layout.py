"""The layout's rules, read from the code itself.

- The runtime (``skill`` outside ``skill/web`` and ``skill/tools``) never imports the web
  extra or the tooling, not even inside a function (``tests/test_runtime.py`` proves the same
  of a running process).
- No module imports another module's private (``_underscore``) name.
- No constant is defined in two places: a module-level UPPER_CASE name is assigned in one
  module of ``skill`` only, and tests and scripts import it rather than define it again.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from skill.tools.lambda_zip import NOT_RUNTIME, PACKAGE_DIR, RUNTIME_MODULES
from skill.tools.paths import REPO_ROOT

SOURCES = sorted(
    p
    for folder in ("skill", "tests", "scripts", "lambda")
    for p in (REPO_ROOT / folder).rglob("*.py")
    if "node_modules" not in p.parts
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(tree: ast.AST) -> Iterator[tuple[int, str, str | None]]:
    """Every import anywhere in a module: (line, module, name or None)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, node.module, alias.name


def constants(tree: ast.Module) -> Iterator[str]:
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id.lstrip("_").isupper():
                yield target.id


TREES = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}


def rel(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


@pytest.mark.parametrize("module", RUNTIME_MODULES)
def test_the_runtime_never_imports_the_web_extra_or_the_tooling(module: str) -> None:
    path = next(p for p in SOURCES if module_name(p) == module)
    outside = tuple(f"skill.{name}" for name in NOT_RUNTIME)
    reaches = [
        f"{rel(path)}:{line}: imports {name}"
        for line, imported, what in imports(TREES[path])
        for name in [imported if what is None else f"{imported}.{what}"]
        if name.startswith(outside) or (imported == "skill" and what in NOT_RUNTIME)
    ]
    assert not reaches


def test_no_module_imports_another_modules_private_name() -> None:
    ours = ("skill", "tests", "scripts")
    reaches = [
        f"{rel(path)}:{line}: from {imported} import {what}"
        for path, tree in TREES.items()
        for line, imported, what in imports(tree)
        if what is not None and what.startswith("_") and not what.startswith("__")
        if imported.split(".")[0] in ours and imported != module_name(path)
    ]
    assert not reaches


def test_no_constant_is_defined_in_two_places() -> None:
    homes: dict[str, list[str]] = defaultdict(list)
    for path, tree in TREES.items():
        if path.is_relative_to(PACKAGE_DIR):
            for name in constants(tree):
                homes[name].append(rel(path))
    twice = {name: where for name, where in homes.items() if len(where) > 1}
    assert not twice, twice
    again = [
        f"{rel(path)}: defines {name}, which {homes[name][0]} defines; import it"
        for path, tree in TREES.items()
        if not path.is_relative_to(PACKAGE_DIR)
        for name in constants(tree)
        if name in homes
    ]
    assert not again
