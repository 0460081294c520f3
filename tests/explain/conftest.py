from __future__ import annotations

import copy
from typing import Any


def with_change(document: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """The raw profile with one dotted field set, as a user would edit it."""
    changed = copy.deepcopy(document)
    node = changed
    *path, last = field.split(".")
    for name in path:
        node = node.setdefault(name, {})
    node[last] = value
    return changed


def winner(document: dict[str, Any], domain: str) -> str | None:
    options = document["recommendations"][domain]["options"]
    return options[0]["id"] if options else None
