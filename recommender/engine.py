"""The scoring engine: a validated profile and a knowledge base in, the recommendation document out.

Pure: no I/O, no clock, no randomness; the same profile and knowledge base give the same document.
Each option starts at its domain's base score; every rule that fires adds its weighted score (or excludes
the option), and every point is listed in the option's rationale.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recommender.knowledge import PRIORITIES, Domain, KnowledgeBase, Option, Rule
from recommender.profile import Profile, load_profile
from recommender.text import render

API_VERSION = "v1"
_NO_ATTRIBUTES: Mapping[str, Any] = {}
MIN_LABEL_PREFIX = 8  # a label claiming 0.0.0.0/0 must never become a security-group source
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


def priority_weights(facts: Mapping[str, Any], kb: KnowledgeBase) -> dict[str, float]:
    """The multiplier of each rule priority tag for this profile (`fit` is never weighed)."""
    weights = {p: kb.priority_weights[facts[f"priorities.{p}"]] for p in PRIORITIES}
    weights["fit"] = 1.0
    return weights


def score_domain(domain: Domain, facts: Mapping[str, Any], kb: KnowledgeBase) -> DomainOutcome:
    scored = {o.id: ScoredOption(o) for o in domain.options}
    weights = priority_weights(facts, kb)
    fired: set[str] = set()
    not_evaluated: set[str] = set()
    for rule in domain.rules:
        evaluate = rule.condition.evaluate
        if rule.condition.uses_option:
            results = [
                (option_id, evaluate(facts, scored[option_id].option.attributes))
                for option_id in rule.targets
            ]
            hits = [option_id for option_id, result in results if result]
            if rule.targets and all(result is None for _, result in results):
                not_evaluated.add(rule.id)
        else:
            result = evaluate(facts, _NO_ATTRIBUTES)
            if result is None:
                not_evaluated.add(rule.id)
            hits = list(rule.targets) if result else []
        if not hits:
            continue
        fired.add(rule.id)
        if rule.exclude:
            for option_id in hits:
                scored[option_id].exclusions.append(rule)
        else:
            impact = round(rule.score * weights[rule.priority], 2)
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


def _totals(item: ScoredOption) -> dict[str, tuple[float, Rule]]:
    totals: dict[str, tuple[float, Rule]] = {}
    for rule, impact in item.impacts:
        totals[rule.id] = (totals.get(rule.id, (0.0, rule))[0] + impact, rule)
    return totals


def versus_top(
    item: ScoredOption, top: ScoredOption, top_totals: dict[str, tuple[float, Rule]] | None = None
) -> list[dict[str, Any]]:
    """The rules that separate an option from the winner: positive = in the winner's favour."""
    totals = top_totals if top_totals is not None else _totals(top)
    gaps = {rid: impact for rid, (impact, _) in totals.items()}
    reasons = {rid: rule.reason for rid, (_, rule) in totals.items()}
    for rule, impact in item.impacts:
        gaps[rule.id] = gaps.get(rule.id, 0.0) - impact
        reasons[rule.id] = rule.reason
    if round(top.bound - item.bound, 2):  # scores cut at the bounds: the cut is part of the gap too
        gaps["score-bounds"] = top.bound - item.bound
        reasons["score-bounds"] = "Scores are reported between 0 and 100; the excess beyond them is cut."
    winner, loser = top.option.id, item.option.id
    return [
        {"rule": rid, "impact": rounded, "reason": reasons[rid], "favours": winner if gap > 0 else loser}
        for rid, gap in sorted(gaps.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
        if (rounded := round(gap, 2))
    ]


def suggested_size(option: Option, facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """The smallest size of the family with enough vCPUs, memory and accelerators (free tier first if asked)."""
    vcpus, memory, gpus = facts["workload.vcpus"], facts["workload.memory_gib"], facts["workload.gpus"]
    fits = (s for s in option.sizes if s.vcpus >= vcpus and s.memory_gib >= memory and s.accelerators >= gpus)
    size = next(fits, None)
    if size is not None and facts.get("workload.free_tier") and not size.free_tier:
        size = next((s for s in fits if s.free_tier), size)
    if size is None:
        return None
    suggestion = {"name": size.name, "vcpus": size.vcpus, "memory_gib": size.memory_gib}
    if size.accelerators:
        suggestion["accelerators"] = size.accelerators
    return suggestion


def render_domain(outcome: DomainOutcome, facts: Mapping[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    is_family = outcome.domain.id == "instance_family"
    top = outcome.winner
    top_totals = _totals(top) if top is not None else {}
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
            entry["versus_top"] = versus_top(item, top, top_totals)
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
            labels = (str(facts.get(f"network.{side}.{key}", "")) for key in ("subnet", "vpc"))
            cidr = next((c for label in labels if (c := cidr_in_label(label))), None)
            facts[f"network.{side}.cidr"] = cidr or f"<{side} CIDR>"
    return facts, assumptions


def cidr_in_label(label: str) -> str | None:
    """A network range written in a label ("onprem-10.50.0.0/16"); never one wider than a /8."""
    match = CIDR_IN_LABEL.search(label)
    if not match:
        return None
    try:
        network = ipaddress.ip_network(match[1], strict=False)
    except ValueError:
        return None
    return str(network) if network.prefixlen >= MIN_LABEL_PREFIX else None


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
