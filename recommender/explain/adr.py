"""placeholder"""

from __future__ import annotations

from typing import Any


def render_adr(document: dict[str, Any], profile: Any) -> str:
    raise NotImplementedError
