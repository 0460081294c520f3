"""Choice review: each choice of a proposal against the engine's ranking for the proposal's profile."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from recommender.engine import DomainOutcome, ScoredOption, rationale, versus_top
from recommender.evaluation.checks import Hit, NetworkData
from recommender.evaluation.proposal import Location, Proposal
from recommender.knowledge import KnowledgeBase
from recommender.profile import SECTION_DOMAINS

# choice key -> the domain that ranks it, in the order choices are reported
CHOICE_DOMAINS = {
    "orchestrator": "orchestrator",
    "launch_type": "launch_type",
    "instance_type": "instance_family",
    "instance_family": "instance_family",
    "connectivity": "connectivity",
    "backup": "backup",
}
DOMAIN_SECTION = {d: s for s, ds in SECTION_DOMAINS.items() for d in ds}
OBJECTIVE_FACTS = {"backup.rpo_minutes": "rpo", "backup.rto_minutes": "rto"}


def _entry(domain: str, chosen: str, status: str, recommended: str | None, gap: float | None,
           reasons: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    return {"domain": domain, "chosen": chosen, "recommended": recommended, "status": status, "gap": gap,
            "reasons": reasons}  # fmt: skip


def _note(reason: str) -> list[dict[str, Any]]:
    return [{"rule": None, "reason": reason, "sources": []}]


def review_choices(
    proposal: Proposal, kb: KnowledgeBase, outcomes: Mapping[str, DomainOutcome], facts: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[Hit]]:
    entries: list[dict[str, Any]] = []
    hits: list[Hit] = []
    choices = proposal.choices
    for key, domain_id in CHOICE_DOMAINS.items():
        if key not in choices or (key == "instance_family" and "instance_type" in choices):
            continue
        values = choices[key] if key == "backup" else [choices[key]]
        for value in values:
            entry = _review_one(proposal, kb, outcomes, facts, key, domain_id, value)
            entries.append(entry)
            hit = _choice_hit(kb, key, entry, proposal.choice_lines.get(key))
            if hit:
                hits.append(hit)
    return entries, hits


def _review_one(
    proposal: Proposal, kb: KnowledgeBase, outcomes: Mapping[str, DomainOutcome], facts: Mapping[str, Any],
    key: str, domain_id: str, value: str,
) -> dict[str, Any]:  # fmt: skip
    section = DOMAIN_SECTION[domain_id]
    if proposal.profile is None or section not in proposal.profile.sections:
        return _entry(domain_id, value, "not_reviewed", None, None, _note(
            f"The proposal's profile has no '{section}' section, so the {domain_id} domain is not answered."))  # fmt: skip
    if domain_id not in kb.domains or domain_id not in outcomes:
        return _entry(domain_id, value, "not_reviewed", None, None,
                      _note(f"The knowledge base has no {domain_id} domain."))  # fmt: skip
    outcome = outcomes[domain_id]
    top = outcome.winner
    option_id = value.split(".")[0] if key == "instance_type" else value
    recommended = top.option.id if top else None
    excluded = next((s for s in outcome.excluded if s.option.id == option_id), None)
    if excluded is not None:
        reasons = [
            {
                "rule": r.id,
                "reason": r.reason,
                "sources": list(r.sources),
                **({"origin": "policy"} if r.policy else {}),
            }
            for r in excluded.exclusions
        ]
        return _entry(domain_id, value, "excluded", recommended, None, reasons)
    ranked = next((s for s in outcome.ranked if s.option.id == option_id), None)
    if ranked is None:
        return _entry(domain_id, value, "discouraged", recommended, None,
                      _note(_unknown_option(kb, domain_id, option_id)))  # fmt: skip
    assert top is not None
    gap = round(top.score - ranked.score, 2)
    size_problem = _size_problem(kb, value, facts) if key == "instance_type" else None
    if gap == 0 and not size_problem:
        reasons = [
            {k: e[k] for k in ("rule", "reason", "sources")} for e in rationale(ranked) if e["impact"] > 0
        ]
        return _entry(domain_id, value, "aligned", recommended, 0.0, reasons)
    reasons = _versus(ranked, top)
    if size_problem:
        reasons.insert(0, _note(size_problem)[0])
    status = "acceptable" if gap <= outcome.domain.acceptable_gap and not size_problem else "discouraged"
    return _entry(domain_id, value, status, recommended, gap, reasons)


def _versus(item: ScoredOption, top: ScoredOption) -> list[dict[str, Any]]:
    sources = {r.id: list(r.sources) for r, _ in [*item.impacts, *top.impacts]}
    return [
        {
            "rule": v["rule"],
            "reason": v["reason"],
            "sources": sources.get(v["rule"], []),
            "impact": v["impact"],
        }
        for v in versus_top(item, top)
        if v["favours"] == top.option.id
    ]


def _unknown_option(kb: KnowledgeBase, domain_id: str, option_id: str) -> str:
    if domain_id != "instance_family":
        return f"{option_id} is not an option of the knowledge base's {domain_id} domain."
    if option_id not in kb.catalogue:
        return (f"{option_id} is not a current-generation EC2 instance family (it is not in the catalogue of "
                f"current-generation families), so newer families give better price-performance.")  # fmt: skip
    return (
        f"{option_id} is a current-generation family but not among the knowledge base's candidate families."
    )


def _size_problem(kb: KnowledgeBase, instance_type: str, facts: Mapping[str, Any]) -> str | None:
    family = kb.catalogue.get(instance_type.split(".")[0])
    if family is None:
        return None
    size = next((s for s in family["sizes"] if s["name"] == instance_type), None)
    if size is None:
        names = ", ".join(s["name"] for s in family["sizes"][:8])
        return f"{instance_type} is not a size of {instance_type.split('.')[0]} (sizes: {names}, ...)."
    vcpus, memory, gpus = (facts.get(f"workload.{k}") for k in ("vcpus", "memory_gib", "gpus"))
    short = []
    if vcpus is not None and size["vcpus"] < vcpus:
        short.append(f"{size['vcpus']} vCPUs (the workload needs {vcpus})")
    if memory is not None and size["memory_gib"] < memory:
        short.append(f"{size['memory_gib']:g} GiB of memory (the workload needs {memory:g})")
    if gpus and size["accelerators"] < gpus:
        short.append(f"{size['accelerators']} accelerators (the workload needs {gpus})")
    return f"{instance_type} has only {' and '.join(short)}." if short else None


def _choice_hit(kb: KnowledgeBase, key: str, entry: Mapping[str, Any], at: Location | None) -> Hit | None:
    status = entry["status"]
    if status not in ("excluded", "discouraged"):
        return None
    domain = kb.domains.get(entry["domain"])
    recommended = entry["recommended"]
    option = domain.option(recommended) if domain and recommended else None
    resource = f"choices.{key}" + (f".{entry['chosen']}" if key == "backup" else "")
    values = {
        "domain": entry["domain"].replace("_", " "), "chosen": entry["chosen"],
        "reasons": " ".join(r["reason"] for r in entry["reasons"]),
        "recommended": recommended or "another option", "recommended_name": option.name if option else "",
        "gap": entry["gap"] if entry["gap"] is not None else "many",
    }  # fmt: skip
    return Hit("choice-excluded" if status == "excluded" else "choice-discouraged", resource, values, at)


def backup_objective_hits(
    proposal: Proposal, kb: KnowledgeBase, outcomes: Mapping[str, DomainOutcome], facts: Mapping[str, Any],
    data: NetworkData,
) -> Iterator[Hit]:  # fmt: skip
    """backup-objective-unmet: no chosen backup meets the profile's RPO and RTO.

    An option misses an objective when the backup domain excludes it by a rule on rpo/rto, or when its best
    achievable RPO/RTO (knowledge/findings.yaml, network.backup_best_minutes) is above the objective.
    """
    chosen = list(proposal.choices.get("backup") or [])
    if not chosen or proposal.profile is None or "backup" not in proposal.profile.sections:
        return
    objectives = {"rpo": facts["backup.rpo_minutes"], "rto": facts["backup.rto_minutes"]}
    misses: dict[str, list[str]] = {}
    missed: set[str] = set()
    for option in chosen:
        why = []
        outcome = outcomes.get("backup")
        excluded = next((s for s in outcome.excluded if s.option.id == option), None) if outcome else None
        for rule in excluded.exclusions if excluded else ():
            kinds = {OBJECTIVE_FACTS[f] for f in rule.condition.fields if f in OBJECTIVE_FACTS}
            if kinds:
                missed |= kinds
                why.append(rule.reason)
        best = data.backup_best.get(option, {})
        for kind, goal in objectives.items():
            if kind in best and best[kind] > goal:
                missed.add(kind)
                why.append(f"{option} reaches an {kind.upper()} of about {best[kind]} minutes at best.")
        if why:
            misses[option] = why
    if len(misses) < len(chosen):
        return
    words = {"rpo": f"an RPO of {objectives['rpo']} minutes", "rto": f"an RTO of {objectives['rto']} minutes"}
    alternatives = [o for o, best in data.backup_best.items()
                    if all(best.get(k, 0) <= v for k, v in objectives.items()) and o not in chosen]  # fmt: skip
    if "backup" in outcomes:
        ranked = [s.option.id for s in outcomes["backup"].ranked if s.option.id not in chosen]
        alternatives = [o for o in ranked if o in alternatives] or ranked
    yield Hit("backup-objective-unmet", "choices.backup", {
        "chosen": ", ".join(chosen), "objective": " and ".join(words[k] for k in ("rpo", "rto") if k in missed),
        "why": " ".join(dict.fromkeys(r for rs in misses.values() for r in rs)),
        "alternatives": ", ".join(alternatives) or "elastic_disaster_recovery",
    }, proposal.choice_lines.get("backup"))  # fmt: skip
