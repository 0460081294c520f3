"""Tipping points: the smallest single changes that would make another option win, checked by re-running."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from recommender import recommend
from recommender.explain.tipping import Search, candidate_changes, levers
from recommender.knowledge import KnowledgeBase, load_knowledge
from recommender.profile import fact_types, load_profile
from tests.explain.conftest import winner, with_change
from tests.strategies import profiles

# hs-01's team (no Kubernetes, minimal ops), a little closer to the line: some Kubernetes, a platform team.
NEAR_EKS = {
    "name": "near-eks",
    "team": {"kubernetes_experience": "some", "ops_capacity": "dedicated"},
    "platform": {"manage_servers": "acceptable"},
}


def points(document: dict[str, Any], domain: str) -> list[dict[str, Any]]:
    return document["recommendations"][domain]["what_would_change"]


def test_kubernetes_ecosystem_flips_ecs_to_eks(kb: KnowledgeBase) -> None:
    document = recommend(NEAR_EKS, kb, explain="changes")
    assert winner(document, "orchestrator") == "ecs"
    by_field = {p["field"]: p for p in points(document, "orchestrator")}
    point = by_field["platform.kubernetes_ecosystem"]
    assert (point["from"], point["to"], point["winner"], point["step"]) == (False, True, "eks", 1)
    changed = recommend(with_change(NEAR_EKS, point["field"], point["to"]), kb)
    eks, ecs = changed["recommendations"]["orchestrator"]["options"][:2]
    assert eks["id"] == "eks" and point["margin"] == round(eks["score"] - ecs["score"], 2)
    assert "Amazon EKS" in point["summary"] and "platform.kubernetes_ecosystem" in point["summary"]


def test_points_are_ordered_by_step_then_margin_one_per_field(kb: KnowledgeBase) -> None:
    for profile in (NEAR_EKS, {"priorities": {"portability": 3, "simplicity": 2}, **NEAR_EKS}):
        found = points(recommend(profile, kb, explain="changes"), "orchestrator")
        assert found, profile
        keys = [(p["step"], -(p["margin"] if p["margin"] is not None else float("inf"))) for p in found]
        assert keys == sorted(keys)
        assert len({p["field"] for p in found}) == len(found) <= 5


def test_a_priority_tips_at_the_nearest_level(kb: KnowledgeBase) -> None:
    document = recommend(NEAR_EKS, kb, explain="changes")
    by_field = {p["field"]: p for p in points(document, "orchestrator")}
    point = by_field["priorities.simplicity"]
    for level in range(0, 6):
        flipped = winner(recommend(with_change(NEAR_EKS, "priorities.simplicity", level), kb), "orchestrator")
        if abs(level - point["from"]) < point["step"]:
            assert flipped == "ecs", level
    assert (
        winner(recommend(with_change(NEAR_EKS, "priorities.simplicity", point["to"]), kb), "orchestrator")
        == "eks"
    )


def test_a_decisive_win_has_no_tipping_point_from_scores(kb: KnowledgeBase) -> None:
    """hs-01: ECS leads by over 30 points; no single answer or priority moves that far."""
    hs01 = {
        "priorities": {"cost": 3, "simplicity": 5, "portability": 1, "security": 3, "performance": 2},
        "team": {"kubernetes_experience": "none", "ops_capacity": "minimal", "existing_platform": "none"},
        "platform": {"multi_cloud": False, "on_premises": False, "kubernetes_ecosystem": False,
                     "manage_servers": "prefer_not", "service_count": 4},
    }  # fmt: skip
    assert points(recommend(hs01, kb, explain="changes"), "orchestrator") == []


def test_explain_levels(kb: KnowledgeBase) -> None:
    plain = recommend(NEAR_EKS, kb)
    changes = recommend(NEAR_EKS, kb, explain="changes")
    full = recommend(NEAR_EKS, kb, explain="full")
    for domain in plain["recommendations"]:
        assert "what_would_change" not in plain["recommendations"][domain]
        assert "trace" not in changes["recommendations"][domain]
        assert (
            full["recommendations"][domain]["what_would_change"]
            == changes["recommendations"][domain]["what_would_change"]
        )
        assert "trace" in full["recommendations"][domain]
    with pytest.raises(ValueError, match="explain must be one of"):
        recommend(NEAR_EKS, kb, explain="everything")


SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


KB = load_knowledge()  # not the fixture: Hypothesis would print the whole knowledge base on failure


@SETTINGS
@given(profile=profiles)
def test_every_tipping_point_flips_and_nothing_nearer_does(profile: dict[str, Any]) -> None:
    """Applied to the raw profile and recommended from scratch, each point gives its winner and margin;
    no change in the searched space that is nearer on the same field changes the winner; and a field
    with no point has no change that flips (when fewer than 5 points were kept)."""
    kb = KB
    document = recommend(profile, kb, explain="changes")
    loaded = load_profile(profile)
    for domain_id, result in document["recommendations"].items():
        before = winner(document, domain_id)
        found = {p["field"]: p for p in result["what_would_change"]}
        for point in found.values():
            changed = recommend(with_change(profile, point["field"], point["to"]), kb)
            options = changed["recommendations"][domain_id]["options"]
            assert options[0]["id"] == point["winner"] != before
            margin = round(options[0]["score"] - options[1]["score"], 2) if len(options) > 1 else None
            assert margin == point["margin"]
        facts = recommend_facts(loaded, kb)
        for change in candidate_changes(levers(kb.domains[domain_id], kb), facts, loaded.sections):
            point = found.get(change.field)
            if point is not None and change.step >= point["step"]:
                continue
            if point is None and len(found) >= 5:
                continue
            changed = recommend(with_change(profile, change.field, change.value), kb)
            # a change that rules every option out is not a tipping point: no other option wins
            assert winner(changed, domain_id) in (before, None), (domain_id, change)


def recommend_facts(profile: Any, kb: KnowledgeBase) -> dict[str, Any]:
    from recommender.engine import complete_facts

    return complete_facts(profile, kb)[0]


FACT_TYPES = fact_types()


@SETTINGS
@given(profile=profiles)
def test_changed_facts_match_a_profile_rebuilt_from_the_changed_document(profile: dict[str, Any]) -> None:
    """The search applies each change to the facts directly (deriving only what follows from the changed
    field); that must give the very facts a user would get by editing the document and loading it again."""
    kb = KB
    loaded = load_profile(profile)
    facts = recommend_facts(loaded, kb)
    search = Search(loaded, facts, kb)
    for domain_id in loaded.domains:
        for change in candidate_changes(levers(kb.domains[domain_id], kb), facts, loaded.sections):
            changed, diff = search.changed_facts(change)
            expected = recommend_facts(load_profile(with_change(profile, change.field, change.value)), kb)
            assert changed == expected, change
            moved = {k for k in expected.keys() | facts.keys() if expected.get(k) != facts.get(k)}
            assert diff == moved & FACT_TYPES.keys(), change
