"""The scoring engine: a validated profile and a knowledge base in, the recommendation document out.

Pure: no I/O, no clock, no randomness; the same profile and knowledge base give the same document.
Each option starts at its domain's base score; every rule that fires adds its weighted score (or excludes
the option), and every point is listed in the option's rationale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recommender.knowledge import Domain, KnowledgeBase, Option, Rule
from recommender.profile import Profile, load_profile
from recommender.text import render

API_VERSION = "v1"
CIDR_IN_LABEL = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3}/\d{1,2})(?![\d.])")


@dataclass
class ScoredOption:
    option: Option
    impacts: list[tuple[Rule, float]] = field(default_factory=list)
    exclusions: list[Rule] = field(default_factory=list)
    score: float = 0.0
    bound: float = 0.0  # the visible term that brings a score back within bounds


@dataclass
class DomainOutcome:
    """Everything the engine decided for one domain, before it is rendered (explanations reuse it)."""

    domain: Domain
    ranked: list[ScoredOption]
    excluded: list[ScoredOption]
    fired: set[str]
    not_evaluated: set[str]

    @property
    def winner(self) -> ScoredOption | None:
        return self.ranked[0] if self.ranked else None


def rule_weight(rule: Rule, facts: Mapping[str, Any], kb: KnowledgeBase) -> float:
    if rule.priority == "fit":
        return 1.0
    return kb.priority_weights[facts[f"priorities.{rule.priority}"]]


def score_domain(domain: Domain, facts: Mapping[str, Any], kb: KnowledgeBase) -> DomainOutcome:
    scored = {o.id: ScoredOption(o) for o in domain.options}
    fired: set[str] = set()
    not_evaluated: set[str] = set()
    for rule in domain.rules:
        hits: list[str] = []
        if rule.condition.uses_option:
            unknown = True
            for option_id in rule.targets:
                result = rule.condition(facts, scored[option_id].option.attributes)
                unknown = unknown and result is None
                if result:
                    hits.append(option_id)
            if unknown and rule.targets:
                not_evaluated.add(rule.id)
        else:
            result = rule.condition(facts)
            if result is None:
                not_evaluated.add(rule.id)
            elif result:
                hits = list(rule.targets)
        if not hits:
            continue
        fired.add(rule.id)
        if rule.exclude:
            for option_id in hits:
                scored[option_id].exclusions.append(rule)
        else:
            impact = round(rule.score * rule_weight(rule, facts, kb), 2)
            if impact:
                for option_id in hits:
                    scored[option_id].impacts.append((rule, impact))
    low, high = kb.score_bounds
    ranked, excluded = [], []
    for item in scored.values():
        if item.exclusions:
            excluded.append(item)
            continue
        raw = round(domain.base + sum(i for _, i in item.impacts), 2)
        item.score = min(max(raw, low), high)
        item.bound = round(item.score - raw, 2)
        ranked.append(item)
    ranked.sort(key=lambda s: (-s.score, s.option.id))
    return DomainOutcome(domain, ranked, excluded, fired, not_evaluated)


def confidence(outcome: DomainOutcome, kb: KnowledgeBase) -> str:
    if len(outcome.ranked) < 2:
        return "high" if outcome.ranked else "low"
    gap = outcome.ranked[0].score - outcome.ranked[1].score
    if gap >= kb.confidence["high"]:
        return "high"
    return "medium" if gap >= kb.confidence["medium"] else "low"


def _rationale_entry(rule: Rule, impact: float) -> dict[str, Any]:
    return {"rule": rule.id, "impact": impact, "reason": rule.reason, "sources": list(rule.sources)}


def rationale(item: ScoredOption) -> list[dict[str, Any]]:
    entries = [
        _rationale_entry(r, i) for r, i in sorted(item.impacts, key=lambda ri: (-abs(ri[1]), ri[0].id))
    ]
    if item.bound:
        entries.append(
            {"rule": "score-bounds", "impact": item.bound,
             "reason": "Scores are reported between 0 and 100; the rules above add up to more, so the excess is cut.",
             "sources": []}
        )  # fmt: skip
    return entries


def versus_top(item: ScoredOption, top: ScoredOption) -> list[dict[str, Any]]:
    """The rules that separate an option from the winner: positive = in the winner's favour."""
    gaps: dict[str, float] = {}
    rules: dict[str, Rule] = {}
    for rule, impact in top.impacts:
        gaps[rule.id] = gaps.get(rule.id, 0.0) + impact
        rules[rule.id] = rule
    for rule, impact in item.impacts:
        gaps[rule.id] = gaps.get(rule.id, 0.0) - impact
        rules[rule.id] = rule
    reasons = {rid: rule.reason for rid, rule in rules.items()}
    if round(top.bound - item.bound, 2):  # scores cut at the bounds: the cut is part of the gap too
        gaps["score-bounds"] = top.bound - item.bound
        reasons["score-bounds"] = "Scores are reported between 0 and 100; the excess beyond them is cut."
    return [
        {
            "rule": rid,
            "impact": round(gap, 2),
            "reason": reasons[rid],
            "favours": top.option.id if gap > 0 else item.option.id,
        }
        for rid, gap in sorted(gaps.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
        if round(gap, 2)
    ]


def suggested_size(option: Option, facts: Mapping[str, Any]) -> dict[str, Any] | None:
    vcpus, memory, gpus = facts["workload.vcpus"], facts["workload.memory_gib"], facts["workload.gpus"]
    fits = [
        s
        for s in option.sizes
        if s["vcpus"] >= vcpus and s["memory_gib"] >= memory and s["accelerators"] >= gpus
    ]
    if facts.get("workload.free_tier"):
        fits = [s for s in fits if s["free_tier"]] or fits
    if not fits:
        return None
    size = fits[0]
    suggestion = {"name": size["name"], "vcpus": size["vcpus"], "memory_gib": size["memory_gib"]}
    if size["accelerators"]:
        suggestion["accelerators"] = size["accelerators"]
    return suggestion


def render_domain(outcome: DomainOutcome, facts: Mapping[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    is_family = outcome.domain.id == "instance_family"
    top = outcome.winner
    options = []
    for rank, item in enumerate(outcome.ranked, start=1):
        entry: dict[str, Any] = {
            "id": item.option.id,
            "name": item.option.name,
            "rank": rank,
            "score": item.score,
            "base": outcome.domain.base,
            "rationale": rationale(item),
            "caveats": list(item.option.caveats)
            + [r.caveat for r, _ in item.impacts if r.caveat and r.caveat not in item.option.caveats],
        }
        if is_family:
            entry["category"] = item.option.attributes["category"]
            entry["suggested_instance_type"] = suggested_size(item.option, facts)
        if top is not None and item is not top:
            entry["versus_top"] = versus_top(item, top)
        options.append(entry)
    excluded = []
    for item in sorted(outcome.excluded, key=lambda s: s.option.id):
        entry = {
            "id": item.option.id,
            "name": item.option.name,
            "reasons": [
                {"rule": r.id, "reason": r.reason, "sources": list(r.sources)} for r in item.exclusions
            ],
        }
        if is_family:
            entry["category"] = item.option.attributes["category"]
        excluded.append(entry)
    return {"options": options, "excluded": excluded, "confidence": confidence(outcome, kb)}


def complete_facts(profile: Profile, kb: KnowledgeBase) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Facts that need the knowledge base: the target's port from its engine, CIDRs written in labels."""
    facts = dict(profile.facts)
    assumptions: list[dict[str, Any]] = []
    if "network" in profile.sections:
        engine = facts.get("network.target.engine")
        if "network.target.port" not in facts:
            if engine is not None:
                port = kb.database_engines[engine]["port"]
                reason = f"default port of {kb.database_engines[engine]['name']}"
            else:
                port, reason = 3306, "no engine given: MySQL's port assumed"
            facts["network.target.port"] = port
            assumptions.append({"field": "network.target.port", "value": port, "reason": reason})
        facts["network.target.engine_name"] = (
            kb.database_engines[engine]["name"] if engine else "the database"
        )
        for side in ("source", "target"):
            cidr = next(
                (
                    m[1]
                    for key in ("subnet", "vpc")
                    if (m := CIDR_IN_LABEL.search(str(facts.get(f"network.{side}.{key}", ""))))
                ),
                None,
            )
            facts[f"network.{side}.cidr"] = cidr or f"<{side} CIDR>"
    return facts, assumptions


def security_group_rules(outcome: DomainOutcome, facts: Mapping[str, Any]) -> list[dict[str, str]]:
    top = outcome.winner
    if top is None:
        return []
    rules = []
    for template in outcome.domain.security_group_rules:
        if top.option.id in template.options and template.condition(facts):
            rules.append({key: render(value, facts) for key, value in template.rule.items()})
    return rules


def profile_findings(facts: Mapping[str, Any], kb: KnowledgeBase) -> list[dict[str, Any]]:
    findings = []
    for finding in kb.findings.values():
        if finding.condition is not None and finding.condition(facts):
            findings.append(
                {
                    "id": finding.id,
                    "severity": finding.severity,
                    "resource": render(finding.resource or "profile", facts),
                    "message": render(finding.message, facts),
                    "remediation": render(finding.remediation, facts),
                    "sources": list(finding.sources),
                }
            )
    return findings


def decide(
    profile: Profile, kb: KnowledgeBase
) -> tuple[dict[str, Any], dict[str, DomainOutcome], list[dict[str, Any]]]:
    """Score every answered domain. Returns the completed facts, the outcomes and extra assumptions."""
    facts, assumptions = complete_facts(profile, kb)
    outcomes = {d: score_domain(kb.domains[d], facts, kb) for d in profile.domains if d in kb.domains}
    return facts, outcomes, assumptions


EXPLAIN_LEVELS = ("changes", "full")


def recommend(
    profile: Profile | Mapping[str, Any], kb: KnowledgeBase, *, explain: str | None = None
) -> dict[str, Any]:
    """The recommendation document of shared/spec/response.md for one profile.

    explain="changes" adds each domain's `what_would_change`; "full" adds that and the rule trace.
    """
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    facts, outcomes, extra = decide(profile, kb)
    document: dict[str, Any] = {
        "api_version": API_VERSION,
        "name": profile.name,
        "knowledge_base": kb.identity,
        "recommendations": {d: render_domain(o, facts, kb) for d, o in outcomes.items()},
    }
    if "connectivity" in outcomes:
        document["security_group_rules"] = security_group_rules(outcomes["connectivity"], facts)
    document["findings"] = profile_findings(facts, kb)
    document["assumptions"] = [*profile.assumptions, *extra]
    if explain:
        from recommender.explain import annotate

        annotate(document, profile, facts, outcomes, kb, explain)
    return document
