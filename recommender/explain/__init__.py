"""Explanations beyond the rationale: tipping points, full traces, comparisons, decision records."""

from __future__ import annotations

from typing import Any


def annotate(document: dict[str, Any], profile: Any, facts: Any, outcomes: Any, kb: Any, level: str) -> None:
    """Add `what_would_change` (and, for level "full", the rule trace) to each domain of `document`."""
    raise NotImplementedError("explanations are not built yet")
