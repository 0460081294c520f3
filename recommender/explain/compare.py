"""What changed between two recommendations: two profiles on one knowledge base, or one profile on two.

Both sides are scored by engine.decide(); the comparison is made on the engine's outcomes, per domain:
the winner before and after, every option whose score moved, rules that started or stopped firing, rules
whose impact changed (a priority moved, or the knowledge base re-weighed them), options newly excluded
or no longer excluded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recommender.engine import DomainOutcome, confidence, decide, ec2_host, option_estimate
from recommender.errors import ProfileError
from recommender.knowledge import KnowledgeBase
from recommender.profile import Profile, load_profile

SIDES = ("before", "after")


def compare(
    before: Profile | Mapping[str, Any], after: Profile | Mapping[str, Any], kb: KnowledgeBase
) -> dict[str, Any]:
    """Compare the recommendations of two profiles. Invalid input raises ProfileError with field paths
    prefixed by the side ("before.workload.vcpus")."""
    profiles = [_profile(doc, side) for doc, side in zip((before, after), SIDES, strict=True)]
    runs = [decide(p, kb) for p in profiles]
    return {
        "before": {"name": profiles[0].name, "knowledge_base": kb.identity},
        "after": {"name": profiles[1].name, "knowledge_base": kb.identity},
        "changed_fields": _changed_fields(profiles[0].facts, profiles[1].facts),
        **_compare_outcomes(runs[0], runs[1], kb, kb),
    }


def compare_knowledge(
    profile: Profile | Mapping[str, Any], kb_old: KnowledgeBase, kb_new: KnowledgeBase
) -> dict[str, Any]:
    """Compare the recommendations one profile gets from two versions of the knowledge base."""
    loaded = _profile(profile, None)
    old, new = decide(loaded, kb_old), decide(loaded, kb_new)
    return {
        "before": {"name": loaded.name, "knowledge_base": kb_old.identity},
        "after": {"name": loaded.name, "knowledge_base": kb_new.identity},
        "changed_fields": [],
        **_compare_outcomes(old, new, kb_old, kb_new),
    }


def _profile(document: Profile | Mapping[str, Any], side: str | None) -> Profile:
    if isinstance(document, Profile):
        return document
    try:
        return load_profile(document)
    except ProfileError as exc:
        if side is None:
            raise
        errors = {f"{side}.{path}" if path != "profile" else side: msgs for path, msgs in exc.errors.items()}
        raise ProfileError(f"The '{side}' profile is invalid.", errors) from None


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": key, "before": _plain(before.get(key)), "after": _plain(after.get(key))}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) and key != "name"  # the name is a label, not an answer
    ]


Run = tuple[Mapping[str, Any], Mapping[str, DomainOutcome], Any]  # what engine.decide() returns


def _compare_outcomes(
    run_before: Run, run_after: Run, kb_before: KnowledgeBase, kb_after: KnowledgeBase
) -> dict[str, Any]:
    before, after = run_before[1], run_after[1]
    domains = {}
    for domain_id in [*before, *(d for d in after if d not in before)]:
        domains[domain_id] = _compare_domain(before.get(domain_id), after.get(domain_id), kb_before, kb_after)
        domains[domain_id]["monthly_usd"] = {
            side: _winner_monthly(domain_id, run, kb) for side, run, kb in (
                ("before", run_before, kb_before), ("after", run_after, kb_after))
        }  # fmt: skip
    return {
        "winner_changed": any(d["winner_changed"] for d in domains.values()),
        "domains": domains,
    }


def _compare_domain(
    before: DomainOutcome | None,
    after: DomainOutcome | None,
    kb_before: KnowledgeBase,
    kb_after: KnowledgeBase,
) -> dict[str, Any]:
    winners = [_winner(o) for o in (before, after)]
    scores = [_scores(o) for o in (before, after)]
    exclusions = [_exclusions(o) for o in (before, after)]
    fired = [o.fired if o else set() for o in (before, after)]
    impacts = [_impacts(o) for o in (before, after)]
    reasons = _reasons(before, after)
    options = [*scores[0], *(o for o in scores[1] if o not in scores[0])]
    options += sorted((set(exclusions[0]) | set(exclusions[1])) - set(options))
    return {
        "answered": {"before": before is not None, "after": after is not None},
        "winner": {"before": winners[0], "after": winners[1]},
        "winner_changed": winners[0] != winners[1],
        "confidence": {
            "before": confidence(before, kb_before) if before else None,
            "after": confidence(after, kb_after) if after else None,
        },
        "scores": [
            {
                "option": option,
                "before": scores[0].get(option),
                "after": scores[1].get(option),
                "change": _delta(scores[0].get(option), scores[1].get(option)),
            }
            for option in options
            if scores[0].get(option) != scores[1].get(option)
        ],
        "rules_started_firing": [
            {"rule": r, "reason": reasons[r]} for r in sorted(fired[1] - fired[0])
        ],
        "rules_stopped_firing": [
            {"rule": r, "reason": reasons[r]} for r in sorted(fired[0] - fired[1])
        ],
        "impact_changes": [
            {"rule": rule, "option": option, "before": impacts[0][rule, option], "after": impacts[1][rule, option]}
            for rule, option in sorted(set(impacts[0]) & set(impacts[1]))
            if impacts[0][rule, option] != impacts[1][rule, option]
        ],
        "newly_excluded": [
            {"option": option, "reasons": [{"rule": r, "reason": reasons[r]} for r in exclusions[1][option]]}
            for option in sorted(set(exclusions[1]) - set(exclusions[0]))
        ],
        "no_longer_excluded": [
            {"option": option, "reasons": [{"rule": r, "reason": reasons[r]} for r in exclusions[0][option]]}
            for option in sorted(set(exclusions[0]) - set(exclusions[1]))
        ],
    }  # fmt: skip


def _winner_monthly(domain_id: str, run: Run, kb: KnowledgeBase) -> float | None:
    """The monthly estimate of the domain's winner on one side (None: no winner, or no estimate)."""
    facts, outcomes, _ = run
    outcome = outcomes.get(domain_id)
    if outcome is None or outcome.winner is None:
        return None
    estimate = option_estimate(domain_id, outcome.winner, facts, kb, ec2_host(outcomes))
    return estimate["monthly_usd"] if estimate else None


def _winner(outcome: DomainOutcome | None) -> str | None:
    return outcome.winner.option.id if outcome and outcome.winner else None


def _scores(outcome: DomainOutcome | None) -> dict[str, float]:
    return {item.option.id: item.score for item in outcome.ranked} if outcome else {}


def _exclusions(outcome: DomainOutcome | None) -> dict[str, list[str]]:
    if outcome is None:
        return {}
    return {item.option.id: [r.id for r in item.exclusions] for item in outcome.excluded}


def _impacts(outcome: DomainOutcome | None) -> dict[tuple[str, str], float]:
    if outcome is None:
        return {}
    return {
        (rule.id, item.option.id): impact
        for item in (*outcome.ranked, *outcome.excluded)
        for rule, impact in item.impacts
    }


def _reasons(*outcomes: DomainOutcome | None) -> dict[str, str]:
    """Rule id -> reason; the newer knowledge base's wording wins when both have the rule."""
    return {rule.id: rule.reason for o in outcomes if o is not None for rule in o.domain.all_rules}


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else round(after - before, 2)


def render_comparison(diff: Mapping[str, Any], fmt: str) -> str:
    """A comparison as a terminal table ("table") or markdown ("markdown")."""
    markdown = fmt == "markdown"
    before, after = diff["before"], diff["after"]
    out = []
    if before["knowledge_base"] != after["knowledge_base"]:
        head = f"knowledge base {before['knowledge_base']['version']} -> {after['knowledge_base']['version']}"
        if before["knowledge_base"]["version"] == after["knowledge_base"]["version"]:
            head += (
                f" ({before['knowledge_base']['digest'][:19]} -> {after['knowledge_base']['digest'][:19]})"
            )
    else:
        head = f"{before['name'] or 'before'} -> {after['name'] or 'after'}"
    out.append(f"# Comparison: {head}" if markdown else f"Comparison: {head}")
    bullet = "- " if markdown else "  "
    if diff["changed_fields"]:
        out += ["", "## Changed fields", ""] if markdown else ["", "Changed fields"]
        out += [
            f"{bullet}{c['field']}: {_text(c['before'])} -> {_text(c['after'])}"
            for c in diff["changed_fields"]
        ]
    for domain_id, d in diff["domains"].items():
        won = d["winner"]
        status = (
            f"{_text(won['before'])} -> {_text(won['after'])}"
            if d["winner_changed"]
            else f"{_text(won['after'])} (unchanged)"
        )
        out += ["", f"## {domain_id}: {status}" if markdown else f"{domain_id}: {status}"]
        lines = [f"{bullet}{s['option']}: {_text(s['before'])} -> {_text(s['after'])}" for s in d["scores"]]
        money = d["monthly_usd"]
        if money["before"] != money["after"]:
            lines.append(
                f"{bullet}monthly estimate of the winner: {_usd(money['before'])} -> {_usd(money['after'])}"
            )
        lines += [
            f"{bullet}now excluded: {x['option']} ({', '.join(r['rule'] for r in x['reasons'])})"
            for x in d["newly_excluded"]
        ]
        lines += [f"{bullet}no longer excluded: {x['option']}" for x in d["no_longer_excluded"]]
        lines += [f"{bullet}started firing: {r['rule']}: {r['reason']}" for r in d["rules_started_firing"]]
        lines += [f"{bullet}stopped firing: {r['rule']}: {r['reason']}" for r in d["rules_stopped_firing"]]
        lines += [
            f"{bullet}impact of {c['rule']} on {c['option']}: {c['before']:+g} -> {c['after']:+g}"
            for c in d["impact_changes"]
        ]
        out += (["", *lines] if markdown else lines) if lines else []
    if not diff["changed_fields"] and not any(
        d["scores"] or d["winner_changed"] or d["monthly_usd"]["before"] != d["monthly_usd"]["after"] or d["newly_excluded"] or d["no_longer_excluded"]
        or d["rules_started_firing"] or d["rules_stopped_firing"] or d["impact_changes"]
        for d in diff["domains"].values()
    ):  # fmt: skip
        out += ["", "No differences."]
    return "\n".join(out) + "\n"


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)
