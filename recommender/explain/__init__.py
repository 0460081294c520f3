"""Explanations beyond the rationale: tipping points, full traces, comparisons, decision records.

annotate(document, profile, facts, outcomes, kb, level)  called by recommender.recommend(..., explain=level)
compare(before, after, kb) / compare_knowledge(profile, kb_old, kb_new)  what changed between two runs
render_adr(document, profile)  a markdown Architecture Decision Record
"""

from __future__ import annotations

from recommender.compiled import use_checkout_build

use_checkout_build(__path__, "explain")  # the search's compiled modules (recommender/compiled.py)

from collections.abc import Mapping
from typing import Any

from recommender.engine import DomainOutcome
from recommender.explain.adr import render_adr
from recommender.explain.compare import compare, compare_knowledge
from recommender.explain.tipping import Search, TippingPoint
from recommender.explain.trace import domain_trace
from recommender.knowledge import Domain, KnowledgeBase
from recommender.profile import Profile

__all__ = ["annotate", "compare", "compare_knowledge", "render_adr", "what_would_change"]


def annotate(
    document: dict[str, Any],
    profile: Profile,
    facts: Mapping[str, Any],
    outcomes: Mapping[str, DomainOutcome],
    kb: KnowledgeBase,
    level: str,
) -> None:
    """Add `what_would_change` (and, for level "full", the rule `trace`) to each domain of `document`."""
    search = Search(profile, facts, kb, outcomes)
    for domain_id, outcome in outcomes.items():
        result = document["recommendations"][domain_id]
        result["what_would_change"] = what_would_change(search, outcome)
        if level == "full":
            result["trace"] = domain_trace(outcome, facts, kb)


def what_would_change(search: Search, outcome: DomainOutcome) -> list[dict[str, Any]]:
    return [_render_point(point, outcome.domain) for point in search.tipping_points(outcome)]


def _render_point(point: TippingPoint, domain: Domain) -> dict[str, Any]:
    change = point.change
    return {
        "field": change.field,
        "from": _plain(point.current),
        "to": _plain(change.value),
        "step": change.step,
        "winner": point.winner,
        "margin": point.margin,
        "excludes": list(point.excluded),
        "summary": _summary(point, domain),
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple | list) else value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "not set" if value is None else str(value)


def _summary(point: TippingPoint, domain: Domain) -> str:
    """One sentence a user can act on: what to change, and what would then be recommended."""
    change = point.change
    if change.field.startswith("priorities."):
        what = f"Moving the {change.field.split('.', 1)[1]} priority from {point.current} to {change.value}"
    else:
        what = f"Setting {change.field} to {_show(change.value)} (now {_show(point.current)})"
    winner = domain.option(point.winner)
    name = winner.name if winner else point.winner
    lead = f", ahead by {point.margin:g} points" if point.margin is not None else ", as the only option left"
    names = [o.name if (o := domain.option(i)) else i for i in point.excluded]
    because = f"; it would exclude {', '.join(names)}" if names else ""
    return f"{what} would make {name} the recommendation{lead}{because}."
