"""Domains are decided in the knowledge base's `decision_order`, and a rule may read the winner of a domain
decided before its own (`decision.<domain>`); the tipping-point search decides those again for each change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recommender import recommend as explained
from recommender.engine import recommend
from recommender.errors import KnowledgeError
from recommender.knowledge import load_knowledge
from tests.knowledge.test_broken_knowledge import broken_copy

KB = load_knowledge()
BATCH = {"kind": "batch", "vcpus": 2, "memory_gib": 4, "interruptible": True}
SERVERS = {"scope": ["whole_server"], "retention_days": 7}


def answer(platform: dict[str, Any]) -> dict[str, Any]:
    profile = {"platform": platform, "workload": BATCH, "backup": SERVERS}
    return recommend(profile, KB)["recommendations"]


def rules_of(domain: dict[str, Any], option: str) -> set[str]:
    return {r["rule"] for o in domain["options"] if o["id"] == option for r in o["rationale"]}


def test_fargate_spot_counts_only_when_ecs_is_the_orchestrator() -> None:
    ecs, eks = answer({}), answer({"kubernetes_ecosystem": True})
    assert ecs["orchestrator"]["options"][0]["id"] == "ecs"
    assert "LCH-042" in rules_of(ecs["launch_type"], "fargate")
    assert eks["orchestrator"]["options"][0]["id"] == "eks"
    assert "LCH-042" not in rules_of(eks["launch_type"], "fargate")  # EKS Fargate has no Spot
    assert eks["launch_type"]["options"][0]["id"] == "ec2"  # so interruptible work goes to EC2 Spot there


def test_server_images_lose_points_when_fargate_is_the_launch_type() -> None:
    fargate, ec2 = answer({}), answer({"kubernetes_ecosystem": True})
    assert fargate["launch_type"]["options"][0]["id"] == "fargate"
    for option in ("ami", "ebs_snapshots", "elastic_disaster_recovery"):
        assert "BAK-063" in rules_of(fargate["backup"], option)
        assert "BAK-063" not in rules_of(ec2["backup"], option)


def test_a_tipping_point_that_moves_an_earlier_winner_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("recommender.explain.tipping.MAX_PER_DOMAIN", 50)  # all of them, not the nearest five
    profile = {"platform": {}, "workload": BATCH, "backup": SERVERS}
    points = explained(profile, KB, explain="changes")["recommendations"]["launch_type"]["what_would_change"]
    # the Kubernetes ecosystem flips the orchestrator, which takes Fargate Spot away from the launch type
    flips = {p["field"] for p in points if p["winner"] == "ec2"}
    assert {"platform.kubernetes_ecosystem", "platform.multi_cloud", "team.existing_platform"} <= flips


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        # an orchestrator rule may not read the backup winner: backup is decided after it
        (
            "orchestrator.yaml",
            "    when: {field: platform.multi_cloud, op: eq, value: true}",
            "    when: {field: decision.backup, op: eq, value: ami}",
            "unknown field 'decision.backup'",
        ),
        # a launch-type rule may read the orchestrator's winner, but only by its option ids
        (
            "launch_type.yaml",
            "    when: {field: workload.interruptible, op: eq, value: true}\n    options: [ec2]",
            "    when: {field: decision.orchestrator, op: eq, value: ecss}\n    options: [ec2]",
            "ecss",
        ),
    ],
)
def test_a_rule_reading_a_later_decision_is_refused(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    root = broken_copy(tmp_path, file, old, new)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    assert any(expected in str(p) for p in caught.value.problems)


def test_decision_order_must_list_every_domain_once(tmp_path: Path) -> None:
    root = broken_copy(tmp_path, "knowledge.yaml", "decision_order: [instance_family, ", "decision_order: [")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    assert any("decision_order must list each domain" in str(p) for p in caught.value.problems)


def test_memory_stays_a_lever_of_the_launch_type_beside_its_headroom(monkeypatch: pytest.MonkeyPatch) -> None:
    """workload.memory_gib is completed from a data set's headroom, and is still a field the user can change:
    above Fargate's 120 GB a task needs EC2."""
    monkeypatch.setattr("recommender.explain.tipping.MAX_PER_DOMAIN", 50)
    profile = {
        "platform": {"manage_servers": "prefer_not"},
        "workload": {"kind": "api", "vcpus": 4, "memory_gib": 16},
    }
    points = explained(profile, KB, explain="changes")["recommendations"]["launch_type"]["what_would_change"]
    assert {"field": "workload.memory_gib", "to": 121, "winner": "ec2"}.items() <= next(
        p for p in points if p["field"] == "workload.memory_gib"
    ).items()
