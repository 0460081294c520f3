"""How the user's priorities weigh in: where AWS says the trade-off is real, different priorities give
different answers; hard constraints do not bend to priorities."""

from __future__ import annotations

from typing import Any

from recommender.engine import recommend
from recommender.knowledge import KnowledgeBase


def top(kb: KnowledgeBase, profile: dict[str, Any], domain: str) -> str:
    return str(recommend(profile, kb)["recommendations"][domain]["options"][0]["id"])


def with_priorities(profile: dict[str, Any], **levels: int) -> dict[str, Any]:
    return {**profile, "priorities": levels}


STEADY_SERVICE = {
    "platform": {"manage_servers": "acceptable"},
    "workload": {"kind": "api", "utilization": "steady"},
}


def test_steady_load_cost_first_runs_on_ec2_simplicity_first_on_fargate(kb: KnowledgeBase) -> None:
    assert top(kb, with_priorities(STEADY_SERVICE, cost=5, simplicity=0), "launch_type") == "ec2"
    assert top(kb, with_priorities(STEADY_SERVICE, cost=0, simplicity=5), "launch_type") == "fargate"


def test_two_vpcs_cost_first_peer_security_first_use_privatelink(kb: KnowledgeBase) -> None:
    two_vpcs = {
        "network": {
            "source": {"type": "container", "vpc": "vpc-a", "region": "eu-west-1"},
            "target": {"type": "rds", "engine": "postgres", "vpc": "vpc-b", "region": "eu-west-1"},
        }
    }
    assert top(kb, with_priorities(two_vpcs, cost=5, security=1), "connectivity") == "vpc_peering"
    assert (
        top(kb, with_priorities(two_vpcs, cost=0, simplicity=0, security=5), "connectivity") == "privatelink"
    )


def test_priority_zero_removes_a_rules_points_from_the_rationale(kb: KnowledgeBase) -> None:
    answer = recommend(with_priorities(STEADY_SERVICE, cost=0), kb)["recommendations"]["launch_type"]
    rules = {e["rule"] for o in answer["options"] for e in o["rationale"]}
    assert "LCH-012" not in rules  # cost-tagged: weighs nothing at level 0


def test_priorities_do_not_override_a_hard_constraint(kb: KnowledgeBase) -> None:
    gpu = {"platform": {"manage_servers": "prefer_not"}, "workload": {"kind": "ml_inference", "gpus": 1}}
    answer = recommend(with_priorities(gpu, simplicity=5, cost=0, performance=0), kb)
    launch = answer["recommendations"]["launch_type"]
    assert [o["id"] for o in launch["options"]] == ["ec2"]
    assert [r["rule"] for r in launch["excluded"][0]["reasons"]] == ["LCH-001"]


def test_every_family_suggests_the_smallest_size_that_fits(kb: KnowledgeBase) -> None:
    answer = recommend({"workload": {"kind": "api", "vcpus": 3, "memory_gib": 10}}, kb)
    for option in answer["recommendations"]["instance_family"]["options"]:
        size = option["suggested_instance_type"]
        assert size["vcpus"] >= 3 and size["memory_gib"] >= 10
        sizes = kb.domains["instance_family"].option(option["id"]).sizes  # type: ignore[union-attr]
        fitting = [s for s in sizes if s.vcpus >= 3 and s.memory_gib >= 10]
        assert size["name"] == fitting[0].name


def test_self_managed_databases_with_an_rpo_of_seconds_get_disaster_recovery_but_rds_ones_do_not(
    kb: KnowledgeBase,
) -> None:
    wanted = {"backup": {"scope": ["databases"], "rpo_minutes": 1, "database_service": "self_managed"}}
    backup = recommend(wanted, kb)["recommendations"]["backup"]
    assert backup["options"][0]["id"] == "elastic_disaster_recovery"
    on_rds = recommend({"backup": {**wanted["backup"], "database_service": "rds"}}, kb)["recommendations"][
        "backup"
    ]
    excluded = {e["id"]: [r["rule"] for r in e["reasons"]] for e in on_rds["excluded"]}
    assert "BAK-006" in excluded["elastic_disaster_recovery"]
