"""The full rule trace of a domain: which rules fired, which were evaluated and did not, which could not be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recommender.engine import DomainOutcome, rule_weight
from recommender.explain.scorer import rule_hits
from recommender.knowledge import KnowledgeBase, Rule


def domain_trace(outcome: DomainOutcome, facts: Mapping[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    """Every rule of the domain in exactly one of `fired`, `not_fired`, `not_evaluated`, in file order."""
    attributes = {option.id: option.attributes for option in outcome.domain.options}
    trace: dict[str, list[dict[str, Any]]] = {"fired": [], "not_fired": [], "not_evaluated": []}
    for rule in outcome.domain.computed_rules:
        trace["fired" if rule.id in outcome.fired else "not_fired"].append(computed_entry(rule, outcome))
    for rule in outcome.domain.rules:
        entry: dict[str, Any] = {
            "rule": rule.id,
            "reason": rule.reason,
            "fields": sorted(rule.condition.fields),
        }
        if rule.id in outcome.fired:
            entry["options"] = rule_hits(rule, facts, attributes)
            entry["effect"] = "exclude" if rule.exclude else "score"
            if not rule.exclude:
                entry["impact"] = round(rule.score * rule_weight(rule, facts, kb), 2)
            trace["fired"].append(entry)
        elif rule.id in outcome.not_evaluated:
            entry["missing"] = [f for f in entry["fields"] if f not in facts]
            trace["not_evaluated"].append(entry)
        else:
            trace["not_fired"].append(entry)
    return trace


def computed_entry(rule: Rule, outcome: DomainOutcome) -> dict[str, Any]:
    """A computed rule's trace entry: the options it applied to and, for a score rule, each one's impact
    (which depends on the option's price)."""
    entry: dict[str, Any] = {"rule": rule.id, "reason": rule.reason, "fields": [], "computed": rule.computes}
    if rule.id not in outcome.fired:
        return entry
    items = (*outcome.ranked, *outcome.excluded)
    if rule.exclude:
        entry["options"] = [i.option.id for i in items if rule in i.exclusions]
        entry["effect"] = "exclude"
    else:
        impacts = {i.option.id: impact for i in items for r, impact in i.impacts if r is rule}
        entry.update(options=list(impacts), effect="score", impacts=impacts)
    return entry
