"""Filling `{placeholders}` in knowledge-base texts (messages, remediations, security-group rules)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")


def placeholders(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def render(template: str, values: Mapping[str, Any]) -> str:
    """Replace each `{name}` by its value; an unknown name is left as written."""
    return PLACEHOLDER.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], template)
