"""The scoring engine: a validated profile and a knowledge base in, the recommendation document out.

Pure: no I/O, no clock, no randomness; the same profile and knowledge base give the same document.
Each option starts at its domain's base score; every rule that fires adds its weighted score (or excludes
the option), and every point is listed in the option's rationale.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from recommender import cost, plan
from recommender.errors import ProfileError
from recommender.knowledge import PRIORITIES, Domain, KnowledgeBase, Option, Rule, Size
from recommender.profile import Profile, load_profile, memory_per_vcpu
from recommender.text import render

API_VERSION = "v1"
_NO_ATTRIBUTES: Mapping[str, Any] = {}
_NO_REASONS: Mapping[str, str] = {}
MIN_LABEL_PREFIX = 8  # a label claiming 0.0.0.0/0 must never become a security-group source
CIDR_IN_LABEL = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3}/\d{1,2})(?![\d.])")


@dataclass(slots=True, eq=False)  # identity: the same option of one outcome
class ScoredOption:
    option: Option
    impacts: list[tuple[Rule, float]] = field(default_factory=list)
    exclusions: list[Rule] = field(default_factory=list)
    score: float = 0.0
    bound: float = 0.0  # the visible term that brings a score back within bounds
    size: Size | None = None  # instance families: the cheapest size that fits, in the profile's Region
    reasons: dict[str, str] | None = None  # computed rules: their reason, with this option's figures

    def reason(self, rule: Rule) -> str:
        return self.reasons[rule.id] if self.reasons and rule.id in self.reasons else rule.reason

    @property
    def price(self) -> float:
        """The hourly list price of the suggested size (the tie-break before the id); 0 outside families."""
        if self.size is None:
            return math.inf if self.option.sizes else 0.0
        return self.size.usd_per_hour if self.size.usd_per_hour is not None else math.inf


@dataclass
class DomainOutcome:
    """Everything the engine decided for one domain, before it is rendered (explanations reuse it)."""

    domain: Domain
    ranked: list[ScoredOption]
    excluded: list[ScoredOption]
    fired: set[str]
    not_evaluated: set[str]
    # Requirements no option meets: their exclusion rules (the options they alone ruled out are ranked).
    unmet: list[Rule] = field(default_factory=list)
    # A policy's `required` rules that hold for this profile (plans take their options)
    required: list[Rule] = field(default_factory=list)

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


def score_domain(
    domain: Domain, facts: Mapping[str, Any], kb: KnowledgeBase, host: Size | None = None
) -> DomainOutcome:
    """Rank one domain's options; `host` is the instance family's suggested type (EC2 launch-type prices)."""
    items = [ScoredOption(o, [], []) for o in domain.options]
    by_id = dict(zip(domain.option_ids, items, strict=True))
    weights = priority_weights(facts, kb)
    fired: set[str] = set()
    not_evaluated: set[str] = set()
    for rule, groups in _plan(domain):
        evaluate = rule.condition.evaluate
        hits: Sequence[str]
        if groups is None:
            result = evaluate(facts, _NO_ATTRIBUTES)
            if result is None:
                not_evaluated.add(rule.id)
            hits = rule.targets if result else ()
        else:
            results = [(members, evaluate(facts, attributes)) for attributes, members in groups]
            hits = [option_id for members, result in results if result for option_id in members]
            if groups and all(result is None for _, result in results):
                not_evaluated.add(rule.id)
        if not hits:
            continue
        fired.add(rule.id)
        if rule.exclude:
            for option_id in hits:
                by_id[option_id].exclusions.append(rule)
        else:
            impact = round(rule.score * weights[rule.priority], 2)
            if impact:
                hit = (rule, impact)  # one tuple, shared by every option the rule hits
                for option_id in hits:
                    by_id[option_id].impacts.append(hit)
    low, high = kb.score_bounds
    if domain.computed_rules:
        _computed_rules(domain, items, facts, kb, weights, fired, host)
    ranked, excluded = [], []
    for item in items:
        if item.exclusions:
            excluded.append(item)
            continue
        raw = round(domain.base + sum([i for _, i in item.impacts]), 2)  # inline: this runs for every option
        item.score = min(max(raw, low), high)
        item.bound = round(item.score - raw, 2)
        ranked.append(item)
    unmet: list[Rule] = []
    required: list[Rule] = []
    if domain.required:  # an organisation policy's required choices
        required = _require(domain, ranked, facts, fired, not_evaluated, low, high)
    if not ranked:
        ranked, excluded, unmet = _revive(excluded, domain.base, low, high)
    ranked.sort(key=_rank_order)
    return DomainOutcome(domain, ranked, excluded, fired, not_evaluated, unmet, required)


def _require(
    domain: Domain, ranked: list[ScoredOption], facts: Mapping[str, Any], fired: set[str],
    not_evaluated: set[str], low: float, high: float,
) -> list[Rule]:  # fmt: skip
    """A policy's required choices whose condition holds: in a plan domain the plan takes them (render);
    elsewhere the option goes first through a policy rationale entry of the points it lacks. An option a
    hard constraint excluded stays excluded: a policy never lifts one."""
    holding = []
    plans = domain.plans
    for rule in domain.required:
        result = rule.condition.evaluate(facts, _NO_ATTRIBUTES)
        if result is None:
            not_evaluated.add(rule.id)
        item = next((i for i in ranked if i.option.id == rule.targets[0]), None)
        if not result or item is None:
            continue
        fired.add(rule.id)
        holding.append(rule)
        best = max((i.score for i in ranked if i is not item), default=None)
        if plans or best is None or item.score > best:
            continue
        item.impacts = [*item.impacts, (rule, round(best - item.score + 1, 2))]
        _total(item, domain.base, low, high)
    return holding


def _rank_order(item: ScoredOption) -> tuple[float, float, int, str]:
    """Higher score first; equal scores go to the cheaper option, then the smaller size, then the id."""
    return (-item.score, item.price, item.size.vcpus if item.size else 0, item.option.id)


def _shortfalls(item: ScoredOption) -> list[str]:
    """Caveats of an option ranked again although requirements ruled it out (see _revive)."""
    return [f"Does not meet the requirement: {item.reason(rule)}" for rule in item.exclusions]


def _total(item: ScoredOption, base: float, low: float, high: float) -> None:
    raw = round(base + sum([i for _, i in item.impacts]), 2)
    item.score = min(max(raw, low), high)
    item.bound = round(item.score - raw, 2)


def _revive(
    excluded: list[ScoredOption], base: float, low: float, high: float
) -> tuple[list[ScoredOption], list[ScoredOption], list[Rule]]:
    """No option is left: rank again the options that only unmet requirements ruled out (exclusion rules with
    `unmet`), those that miss the fewest; of those, the best scored decides which requirements go unmet, and
    the options that miss exactly these are ranked, so the answer names the best achievable choice and what
    would meet the rest (an 8-GPU job outside the Regions of the GPU families gets them, with the Region as
    the unmet requirement, not a family without GPUs)."""
    candidates = [item for item in excluded if all(rule.unmet for rule in item.exclusions)]
    if not candidates:
        return [], excluded, []
    fewest = min(len(item.exclusions) for item in candidates)
    closest = [item for item in candidates if len(item.exclusions) == fewest]
    for item in closest:
        _total(item, base, low, high)
    unmet = min(closest, key=_rank_order).exclusions
    missed = {rule.id for rule in unmet}
    revived = [item for item in closest if {rule.id for rule in item.exclusions} == missed]
    return revived, [item for item in excluded if item not in revived], sorted(unmet, key=lambda r: r.id)


def _computed_rules(
    domain: Domain, items: list[ScoredOption], facts: Mapping[str, Any], kb: KnowledgeBase,
    weights: Mapping[str, float], fired: set[str], host: Size | None,
) -> None:  # fmt: skip
    """The rules worked out from the catalogue and the prices: a family with no fitting size in the Region is
    excluded; each doubling of an option's monthly estimate over the cheapest ranked option's costs points."""
    if domain.id == "instance_family":
        for item, size in zip(items, cost.family_sizes(domain.options, facts, domain.cache), strict=True):
            item.size = size
    for rule in domain.computed_rules:
        if rule.computes == "size_in_region":
            _exclude_unsized(rule, items, facts, fired)
        else:
            estimates = _monthly_estimates(domain, items, facts, kb, host)
            _weigh_prices(rule, estimates, weights[rule.priority], fired, domain.cache)


def _monthly_estimates(
    domain: Domain, items: list[ScoredOption], facts: Mapping[str, Any], kb: KnowledgeBase, host: Size | None
) -> list[tuple[ScoredOption, float, str]]:
    """(option, monthly estimate, what is priced) of each ranked option that has an estimate."""
    assert kb.prices is not None  # the loader requires prices for computed rules
    ranked = [item for item in items if not item.exclusions]
    if domain.id == "instance_family":
        if facts["workload.os"] != "linux":  # the catalogue has Linux list prices only: no price to weigh
            return []
        hours = facts["workload.count"] * kb.prices.hours_per_month
        return [(i, i.price * hours, i.size.name) for i in ranked if i.size and i.size.usd_per_hour]
    table = cost.estimate_table(domain.id, facts, kb, host)
    estimates = [(i, cost.estimate(domain.id, i.option.id, facts, kb, host, table)) for i in ranked]
    return [(i, e["monthly_usd"], i.option.name) for i, e in estimates if e and e["monthly_usd"]]


def _exclude_unsized(
    rule: Rule, items: list[ScoredOption], facts: Mapping[str, Any], fired: set[str]
) -> None:
    for item in items:
        if item.size is None and not item.exclusions:
            item.exclusions.append(rule)
            reason = rule.reason.format(
                option=item.option.name, region=facts["region"], requirement=_requirement(facts)
            )
            item.reasons = {rule.id: reason}
            fired.add(rule.id)


def _weigh_prices(
    rule: Rule, estimates: list[tuple[ScoredOption, float, str]], weight: float, fired: set[str],
    cache: dict[Any, Any],
) -> None:  # fmt: skip
    if not estimates:
        return
    _, cheapest, cheapest_name = min(estimates, key=lambda e: (e[1], e[0].option.id))
    key = (rule.id, weight, *[(name, monthly) for _, monthly, name in estimates])
    weighed = cost.memo(cache, key, price_impacts, rule, estimates, cheapest_name, cheapest, weight)
    for (item, _, _), (impact, reason) in zip(estimates, weighed, strict=True):
        if not impact:
            continue
        item.impacts = [*item.impacts, (rule, impact)]
        item.reasons = {**item.reasons, rule.id: reason} if item.reasons else {rule.id: reason}
        fired.add(rule.id)


def price_impacts(
    rule: Rule, estimates: list[tuple[ScoredOption, float, str]], cheapest_name: str, cheapest: float,
    weight: float,
) -> list[tuple[float, str]]:  # fmt: skip
    """(points, reason) of each estimate: each doubling over the cheapest costs the rule's score."""
    weighed = []
    for _, monthly, name in estimates:
        ratio = monthly / cheapest
        impact = round(max(rule.limit, round(rule.score * math.log2(ratio), 2)) * weight, 2)
        reason = rule.reason.format(
            option=name, monthly=cost.dollars(monthly), ratio=f"{ratio:.1f}", cheapest=cheapest_name,
            cheapest_monthly=cost.dollars(cheapest),
        )  # fmt: skip
        weighed.append((impact, reason))
    return weighed


def _requirement(facts: Mapping[str, Any]) -> str:
    parts = [f"{facts['workload.vcpus']} vCPUs", f"{facts['workload.memory_gib']:g} GiB"]
    if facts["workload.gpus"]:
        parts.append(f"{facts['workload.gpus']} GPUs")
    if facts["workload.gpu_memory_gib"]:
        parts.append(f"{facts['workload.gpu_memory_gib']:g} GiB of GPU memory")
    return ", ".join(parts)


# A rule of the plan: the rule, and for a rule that reads option attributes, its targets grouped by the values
# of the attributes it reads (one group member's attributes, the group's option ids): one evaluation a group.
PlannedRule = tuple[Rule, tuple[tuple[Mapping[str, Any], tuple[str, ...]], ...] | None]


def _plan(domain: Domain) -> tuple[PlannedRule, ...]:
    """How score_domain goes through a domain's rules, worked out once per (immutable) domain."""
    cached: tuple[PlannedRule, ...] | None = domain.cache.get("plan")
    if cached is not None:
        return cached
    attributes = {option.id: option.attributes for option in domain.options}
    plan: list[PlannedRule] = []
    for rule in domain.rules:
        if not rule.condition.uses_option:
            plan.append((rule, None))
            continue
        names = sorted(_option_attributes(rule.condition.source))
        groups: dict[tuple[Any, ...], list[str]] = {}
        for option_id in rule.targets:
            key = tuple((type(v), v) for v in (attributes[option_id].get(name) for name in names))
            groups.setdefault(key, []).append(option_id)
        plan.append((rule, tuple((attributes[ids[0]], tuple(ids)) for ids in groups.values())))
    domain.cache["plan"] = tuple(plan)
    return domain.cache["plan"]


def _option_attributes(node: Any) -> set[str]:
    """The option attributes a condition tree compares facts with (`option:` leaves)."""
    if isinstance(node, Mapping):
        names = {str(node["option"])} if "option" in node else set()
        for key in ("all", "any", "not"):
            if key in node:
                names |= _option_attributes(node[key])
        return names
    if isinstance(node, list):
        return set().union(*(_option_attributes(item) for item in node))
    return set()


def confidence(outcome: DomainOutcome, kb: KnowledgeBase) -> str:
    """From the gap between the first two options; low when one option is left or a requirement is unmet."""
    if len(outcome.ranked) < 2 or outcome.unmet:
        return "low"
    gap = outcome.ranked[0].score - outcome.ranked[1].score
    if gap >= kb.confidence["high"]:
        return "high"
    return "medium" if gap >= kb.confidence["medium"] else "low"


def rationale(item: ScoredOption, cache: dict[Any, Any] | None = None) -> list[dict[str, Any]]:
    """The option's score, point by point; with a cache (the domain's), entries of rules with their fixed
    reason are built once per rule and impact and shared between answers (they are never mutated)."""
    # sorted by size, then rule id (unique within an option, so the rules themselves are never compared)
    order = sorted([(-abs(impact), rule.id, impact, rule) for rule, impact in item.impacts])
    reasons = item.reasons or _NO_REASONS
    entries = []
    for _, rid, impact, rule in order:
        if cache is None or rid in reasons:
            entries.append(
                _rationale_entry(rid, impact, reasons.get(rid, rule.reason), rule.sources, rule.policy)
            )
            continue
        entry = cache.get((rid, impact))
        if entry is None:
            entry = cost.memo(
                cache, (rid, impact), _rationale_entry, rid, impact, rule.reason, rule.sources, rule.policy
            )
        entries.append(entry)
    if item.bound:
        entries.append(
            {"rule": "score-bounds", "impact": item.bound,
             "reason": "Scores are reported between 0 and 100; the rules above add up to more, so the excess is cut.",
             "sources": []}
        )  # fmt: skip
    return entries


def _rationale_entry(
    rule_id: str, impact: float, reason: str, sources: Sequence[str], policy: bool = False
) -> dict[str, Any]:
    entry = {"rule": rule_id, "impact": impact, "reason": reason, "sources": list(sources)}
    if policy:
        entry["origin"] = "policy"
    return entry


def _totals(item: ScoredOption) -> dict[str, tuple[float, str]]:
    """Points and reason by rule id (score_domain gives an option at most one impact per rule)."""
    reasons = item.reasons or _NO_REASONS
    return {rule.id: (impact, reasons.get(rule.id, rule.reason)) for rule, impact in item.impacts}


def versus_top(
    item: ScoredOption, top: ScoredOption, top_totals: dict[str, tuple[float, str]] | None = None
) -> list[dict[str, Any]]:
    """The rules that separate an option from the winner: positive = in the winner's favour."""
    totals = top_totals if top_totals is not None else _totals(top)
    own = _totals(item)
    # (-size, rule id, the winner's points minus this option's rounded, reason); rules giving both the same left
    # out. Impacts are rounded to cents already: only differences of two of them are rounded again.
    gaps = []
    for rid, (impact, reason) in totals.items():
        other = own.pop(rid, None)
        if other is None:
            gaps.append((-abs(impact), rid, impact, reason))
        elif other[0] != impact:
            gap = impact - other[0]  # with the option's own reason (computed rules: its own figures)
            gaps.append((-abs(gap), rid, round(gap, 2), other[1]))
    gaps += [(-abs(impact), rid, -impact, reason) for rid, (impact, reason) in own.items()]
    if round(top.bound - item.bound, 2):  # scores cut at the bounds: the cut is part of the gap too
        gap = top.bound - item.bound
        gaps.append((-abs(gap), "score-bounds", round(gap, 2), BOUNDS_GAP_REASON))
    gaps.sort()  # by size, then rule id (unique): the reasons are never compared
    winner, loser = top.option.id, item.option.id
    return [
        {"rule": rid, "impact": gap, "reason": reason, "favours": winner if gap > 0 else loser}
        for _, rid, gap, reason in gaps
        if gap
    ]


BOUNDS_GAP_REASON = "Scores are reported between 0 and 100; the excess beyond them is cut."


def suggested_size(size: Size | None) -> dict[str, Any] | None:
    if size is None:
        return None
    suggestion: dict[str, Any] = {"name": size.name, "vcpus": size.vcpus, "memory_gib": size.memory_gib}
    if size.accelerators:
        suggestion["accelerators"] = size.accelerators
    if size.gpu_memory_gib:
        suggestion["gpu_memory_gib"] = size.gpu_memory_gib
    suggestion["usd_per_hour"] = size.usd_per_hour
    return suggestion


def option_estimate(
    domain_id: str, item: ScoredOption, facts: Mapping[str, Any], kb: KnowledgeBase, host: Size | None,
    table: dict[Any, Any] | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """The option's monthly cost estimate (None when the knowledge base has no prices); `table` is
    cost.estimate_table(domain_id, facts, kb, host)."""
    if kb.prices is None:
        return None
    if domain_id == "instance_family":
        return cost.instance_estimate(item.size, facts, kb, table)
    return cost.estimate(domain_id, item.option.id, facts, kb, host, table)


def render_domain(
    outcome: DomainOutcome, facts: Mapping[str, Any], kb: KnowledgeBase, host: Size | None = None
) -> dict[str, Any]:
    """One domain's answer; `host` is the instance family's suggested type (EC2 hosts are priced with it)."""
    domain_id = outcome.domain.id
    is_family = domain_id == "instance_family"
    top = outcome.winner
    # rendered entries that depend only on the knowledge base, shared between answers (bounded: the rules,
    # their weighted impacts and the combinations of exclusion rules are finite)
    entries: dict[Any, Any] = outcome.domain.cache.setdefault("entries", {})
    top_totals = _totals(top) if top is not None else {}
    table = cost.estimate_table(domain_id, facts, kb, host) if kb.prices is not None else None
    options = []
    for rank, item in enumerate(outcome.ranked, start=1):
        entry: dict[str, Any] = {
            "id": item.option.id,
            "name": item.option.name,
            "rank": rank,
            "score": item.score,
            "base": outcome.domain.base,
            "rationale": rationale(item, entries),
            "caveats": list(item.option.caveats)
            + [r.caveat for r, _ in item.impacts if r.caveat and r.caveat not in item.option.caveats]
            + (_shortfalls(item) if item.exclusions else []),
        }
        if is_family:
            entry["category"] = item.option.attributes["category"]
            entry["suggested_instance_type"] = cost.memo(
                entries, item.size and item.size.name, suggested_size, item.size
            )
        estimate = option_estimate(domain_id, item, facts, kb, host, table)
        if estimate is not None:
            entry["cost"] = estimate
        if top is not None and item is not top:
            entry["versus_top"] = versus_top(item, top, top_totals)
        options.append(entry)
    excluded = []
    for item in sorted(outcome.excluded, key=lambda s: s.option.id):
        if item.reasons:  # computed reasons, with this option's figures
            excluded.append(_excluded_entry(item, is_family))
            continue
        key = (item.option.id, *[r.id for r in item.exclusions])
        excluded.append(cost.memo(entries, key, _excluded_entry, item, is_family))
    answer: dict[str, Any] = {"options": options, "excluded": excluded, "confidence": confidence(outcome, kb)}
    unmet: list[dict[str, Any]] = [_unmet_entry(rule, outcome, facts) for rule in outcome.unmet]
    if outcome.winner is not None and outcome.domain.plans:
        answer["plan"], shortfalls = _combined_plan(outcome, facts, kb)
        planned = {u["requirement"] for u in shortfalls}  # per scope: they replace the domain-wide entries
        unmet = shortfalls + [u for u in unmet if u["requirement"] not in planned]
    if unmet:
        answer["unmet"] = unmet
        answer["confidence"] = "low"
    return answer


def _excluded_entry(item: ScoredOption, is_family: bool) -> dict[str, Any]:
    entry = {
        "id": item.option.id,
        "name": item.option.name,
        "reasons": [_exclusion_reason(item, r) for r in item.exclusions],
    }
    if is_family:
        entry["category"] = item.option.attributes["category"]
    return entry


def _exclusion_reason(item: ScoredOption, rule: Rule) -> dict[str, Any]:
    reason = {"rule": rule.id, "reason": item.reason(rule), "sources": list(rule.sources)}
    if rule.policy:
        reason["origin"] = "policy"
    return reason


def _combined_plan(
    outcome: DomainOutcome, facts: Mapping[str, Any], kb: KnowledgeBase
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The domain's plan (recommender.plan) and the requirements it cannot meet."""
    revivable = [i for i in outcome.excluded if all(rule.unmet for rule in i.exclusions)]
    candidates = [i.option for i in (*outcome.ranked, *revivable)]
    required = tuple(rule.targets[0] for rule in outcome.required)  # a policy's required options are in it
    key = ("plan", *[o.id for o in candidates], *[facts[f] for f in plan.INPUTS], "required", *required)
    chosen, covers, uncovered = cost.memo(outcome.domain.cache, key, plan.plan, candidates, facts, required)
    answer: dict[str, Any] = {"options": [o.id for o in chosen], "covers": covers}
    if outcome.required:
        answer["required"] = [
            {"option": rule.targets[0], "rule": rule.id, "reason": rule.reason, "sources": list(rule.sources),
             "origin": "policy"}
            for rule in outcome.required
        ]  # fmt: skip
    if chosen and kb.prices is not None:
        table = cost.estimate_table(outcome.domain.id, facts, kb)
        costs = [cost.estimate(outcome.domain.id, o.id, facts, kb, None, table) for o in chosen]
        if all(costs):  # one plan of these options for these facts: its total is kept beside their estimates
            plan_key = ("plan", *answer["options"])
            answer["cost"] = cost.memo(table, plan_key, cost.plan_estimate, [c for c in costs if c])
    shortfalls = []
    for need in uncovered:
        field = need[1]
        best = plan.best_achieved(candidates, need, facts)
        # the advice of the rule that ruled out an option protecting this scope for this requirement
        rule = min(
            (r for i in (*outcome.ranked, *outcome.excluded)  # ranked ones may have been ranked again
             if i.option.achieves and plan.protects(i.option.achieves, need, facts)
             for r in i.exclusions if r.unmet and r.unmet.requirement == field),
            key=lambda r: r.id, default=None,
        )  # fmt: skip
        shortfalls.append({
            "requirement": f"backup.scope:{need[0]}" if field == "backup.scope" else field,
            "wanted": _plain(facts.get(field)),
            "best": {"option": best[0], "achieves": best[1]} if best else None,
            "advice": rule.unmet.advice if rule and rule.unmet else f"No option meets {field} for {need[0]}.",
            "sources": list(rule.unmet.sources) if rule and rule.unmet else [],
            "scope": need[0],
        })  # fmt: skip
    return answer, shortfalls


def _unmet_entry(rule: Rule, outcome: DomainOutcome, facts: Mapping[str, Any]) -> dict[str, Any]:
    assert rule.unmet is not None and outcome.winner is not None
    best = next((i for i in outcome.ranked if rule in i.exclusions), outcome.winner)
    return {
        "requirement": rule.unmet.requirement,
        "wanted": _plain(facts.get(rule.unmet.requirement)),
        "best": {"option": best.option.id, "achieves": rule.unmet.achieves},
        "advice": rule.unmet.advice,
        "sources": list(rule.unmet.sources),
        "rule": rule.id,
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def complete_facts(profile: Profile, kb: KnowledgeBase) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Facts that need the knowledge base: memory for a cache's data set with its headroom, the target's port
    from its engine, CIDRs written in labels."""
    facts = dict(profile.facts)
    assumptions: list[dict[str, Any]] = []
    if kb.policy is not None:
        policy_facts(profile, kb.policy, facts, assumptions)
    sized = size_memory(facts, kb)
    if sized is not None:
        assumptions.append(sized)
    if "network" in profile.sections:
        engine = facts.get("network.target.engine")
        if "network.target.port" not in facts:
            if engine is not None:
                port = kb.database_engines[engine]["port"]
                reason = f"default port of {kb.database_engines[engine]['name']}"
            else:
                port, reason = kb.database_engines["mysql"]["port"], "no engine given: MySQL's port assumed"
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


def size_memory(facts: dict[str, Any], kb: KnowledgeBase) -> dict[str, Any] | None:
    """Memory for a cache's data set: the data plus what the software sets aside (the kind's headroom), where
    that is more than the memory given (facts updated; the assumption to list is returned)."""
    headroom = kb.memory_headroom.get(facts.get("workload.kind", ""))
    if headroom is None or not facts["workload.dataset_gib"]:
        return None
    data, memory = facts["workload.dataset_gib"], facts["workload.memory_gib"]
    sized = round(data / (1 - headroom.percent / 100), 2)
    if sized <= memory:
        return None
    facts["workload.memory_gib"] = sized
    facts["workload.memory_per_vcpu"] = memory_per_vcpu(sized, facts["workload.vcpus"])
    reason = f"{data:g} GiB of data with {headroom.percent:g}% headroom: {headroom.reason}"
    return {"field": "workload.memory_gib", "value": sized, "reason": reason}


def policy_facts(
    profile: Profile, policy: Any, facts: dict[str, Any], assumptions: list[dict[str, Any]]
) -> None:
    """A policy's Region (its first allowed one, where the profile names none and the default is not allowed),
    priority defaults (where the profile says nothing) and floors (never less), each listed in the assumptions
    with `origin: "policy"`."""
    defaulted = {a["field"] for a in profile.assumptions if a.get("reason") == "default"}
    if "region" in defaulted and policy.regions is not None and facts["region"] not in policy.regions:
        facts["region"] = policy.regions[0]
        why = f"first Region allowed by {policy.label()} (the profile names none)"
        assumptions.append({"field": "region", "value": facts["region"], "reason": why, "origin": "policy"})
    for priority in PRIORITIES:
        path, level = f"priorities.{priority}", facts[f"priorities.{priority}"]
        reason: str | None = None
        if path in defaulted and priority in policy.defaults:
            level, reason = policy.defaults[priority], f"default of {policy.label()}"
        floor = policy.floors.get(priority)
        if floor is not None and level < floor:
            asked = "the default" if path in defaulted and reason is None else f"{level}"
            level, reason = floor, f"floor of {policy.label()} (the profile asked for {asked})"
        if reason is not None:
            facts[path] = level
            assumptions.append({"field": path, "value": level, "reason": reason, "origin": "policy"})


def check_region(profile: Profile, policy: Any) -> None:
    """A profile's Region must be one the policy allows (ProfileError naming the policy: HTTP 422, CLI 2)."""
    region = profile.facts["region"]
    defaulted = any(
        a["field"] == "region" for a in profile.assumptions
    )  # the policy's Region is used instead
    if policy.regions is not None and region not in policy.regions and not defaulted:
        message = (
            f"Region '{region}' is not allowed by {policy.label()}: use one of {', '.join(policy.regions)}."
        )
        raise ProfileError("The profile breaks the organisation policy.", {"region": [message]})


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
    answered = [d for d in profile.domains if d in kb.domains]
    outcomes: dict[str, DomainOutcome] = {}
    for domain_id in kb.decision_order or answered:  # EC2 hosts are priced with the instance family's winner
        if domain_id in answered:
            outcomes[domain_id] = outcome = score_domain(kb.domains[domain_id], facts, kb, ec2_host(outcomes))
            if outcome.winner is not None:  # later rules may read it (`decision.<domain>`)
                facts[f"decision.{domain_id}"] = outcome.winner.option.id
    return facts, {d: outcomes[d] for d in answered}, assumptions


def ec2_host(outcomes: Mapping[str, DomainOutcome]) -> Size | None:
    """The instance family's suggested type: what EC2 hosts are priced with."""
    family = outcomes.get("instance_family")
    return family.winner.size if family is not None and family.winner is not None else None


class Recommendation(NamedTuple):
    """The response document and what it was computed from (what recommender.explain reads)."""

    document: dict[str, Any]
    profile: Profile
    facts: dict[str, Any]
    outcomes: dict[str, DomainOutcome]


def recommend(profile: Profile | Mapping[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    """The recommendation document of shared/spec/response.md for one profile, without explanations
    (recommender.recommend(profile, kb, explain=...) adds them)."""
    return recommendation(profile, kb).document


def recommendation(profile: Profile | Mapping[str, Any], kb: KnowledgeBase) -> Recommendation:
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    if kb.policy is not None:
        check_region(profile, kb.policy)
    facts, outcomes, extra = decide(profile, kb)
    document: dict[str, Any] = {
        "api_version": API_VERSION,
        "name": profile.name,
        "knowledge_base": kb.identity,
        "recommendations": {d: render_domain(o, facts, kb, ec2_host(outcomes)) for d, o in outcomes.items()},
    }
    for domain_id, condition in kb.conditional.items():  # answers that matter only if another goes one way
        other = outcomes.get(condition["domain"])
        if domain_id in outcomes and other and other.winner and other.winner.option.id != condition["option"]:
            document["recommendations"][domain_id]["conditional_on"] = dict(condition)
    if "connectivity" in outcomes:
        document["security_group_rules"] = security_group_rules(outcomes["connectivity"], facts)
    document["findings"] = profile_findings(facts, kb)
    if kb.policy is not None:  # the policy's values replace the profile's defaults of the same fields
        replaced = {a["field"] for a in extra if a.get("origin") == "policy"}
        document["assumptions"] = [*(a for a in profile.assumptions if a["field"] not in replaced), *extra]
    else:
        document["assumptions"] = [*profile.assumptions, *extra]
    return Recommendation(document, profile, facts, outcomes)
