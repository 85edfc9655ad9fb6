"""Walk a JSON Schema's properties, for the tests that require a description on each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def schema_properties(node: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every property of a schema, nested ones too, with its place."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.properties.{name}", sub
        for key, sub in node.items():
            yield from schema_properties(sub, f"{path}.{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from schema_properties(sub, f"{path}[{i}]")
