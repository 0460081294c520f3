"""Properties of the engine over generated valid profiles."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from recommender.engine import recommend
from recommender.knowledge import KnowledgeBase
from recommender.serialize import to_json
from tests.strategies import profiles

SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(profile=profiles)
def test_scores_add_up_rank_in_order_and_repeat_byte_for_byte(
    kb: KnowledgeBase, profile: dict[str, Any]
) -> None:
    first = recommend(profile, kb)
    assert to_json(first) == to_json(recommend(profile, kb))
    for result in first["recommendations"].values():
        options = result["options"]
        for option in options:
            total = option["base"] + sum(r["impact"] for r in option["rationale"])
            assert abs(total - option["score"]) <= 0.01
            assert 0 <= option["score"] <= 100
            assert all(r["sources"] for r in option["rationale"] if r["rule"] != "score-bounds")
        assert [o["rank"] for o in options] == list(range(1, len(options) + 1))
        assert options == sorted(options, key=lambda o: (-o["score"], *hourly_price(o), o["id"]))
        for item in result["excluded"]:
            assert item["reasons"], item


LEVELS = ["none", "some", "expert"]


@SETTINGS
@given(profile=profiles)
def test_more_kubernetes_experience_never_lowers_eks(kb: KnowledgeBase, profile: dict[str, Any]) -> None:
    if "platform" not in profile:
        return
    scores = []
    for level in LEVELS:
        changed = {**profile, "team": {**profile.get("team", {}), "kubernetes_experience": level}}
        options = recommend(changed, kb)["recommendations"]["orchestrator"]["options"]
        scores.append(next(o["score"] for o in options if o["id"] == "eks"))
    assert scores == sorted(scores)


@SETTINGS
@given(profile=profiles)
def test_gpus_always_exclude_fargate(kb: KnowledgeBase, profile: dict[str, Any]) -> None:
    if "platform" not in profile or "workload" not in profile or profile["workload"].get("gpus", 0) == 0:
        return
    launch = recommend(profile, kb)["recommendations"]["launch_type"]
    assert "fargate" in {e["id"] for e in launch["excluded"]}
    assert "fargate" not in {o["id"] for o in launch["options"]}


@SETTINGS
@given(profile=profiles)
def test_overlapping_cidrs_always_exclude_peering_and_transit_gateway(
    kb: KnowledgeBase, profile: dict[str, Any]
) -> None:
    if "network" not in profile:
        return
    profile = {**profile, "network": {**profile["network"], "overlapping_cidrs": True}}
    connectivity = recommend(profile, kb)["recommendations"]["connectivity"]
    ranked = {o["id"] for o in connectivity["options"]}
    assert not ranked & {"vpc_peering", "transit_gateway"}


def hourly_price(option: dict[str, Any]) -> tuple[float, int]:
    """Equal scores rank the cheaper instance family first, then the one with fewer vCPUs (other domains:
    by id)."""
    size = option.get("suggested_instance_type")
    if not size:
        return (0.0 if "suggested_instance_type" not in option else float("inf"), 0)
    return (size["usd_per_hour"] if size["usd_per_hour"] is not None else float("inf"), size["vcpus"])
