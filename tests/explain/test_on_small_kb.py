"""Tipping points, traces and choice review on tests/kb_small, whose rules are written for these tests:
orchestrator base 50, ECS +10 (TST-001, simplicity), EKS +15 for Kubernetes experts (TST-002), +12 for the
Kubernetes ecosystem (TST-003); launch type base 40, Fargate +20 (TST-104, simplicity) and excluded by GPUs
(TST-101), privileged containers (TST-102) and more than 16 vCPUs (TST-103)."""

from __future__ import annotations

from typing import Any

import pytest

from recommender import recommend
from recommender.evaluation import evaluate, load_proposal
from recommender.explain.tipping import candidate_changes, levers
from recommender.knowledge import KnowledgeBase, load_knowledge
from recommender.profile import load_profile
from tests.conftest import ROOT
from tests.explain.conftest import winner, with_change

PLATFORM = {"platform": {"manage_servers": "prefer_not"}}


@pytest.fixture(scope="module")
def small() -> KnowledgeBase:
    return load_knowledge(ROOT / "tests" / "kb_small")


def points(document: dict[str, Any], domain: str) -> dict[str, dict[str, Any]]:
    return {p["field"]: p for p in document["recommendations"][domain]["what_would_change"]}


def test_each_fit_rule_is_a_tipping_point_with_its_margin(small: KnowledgeBase) -> None:
    document = recommend(PLATFORM, small, explain="changes")
    assert winner(document, "orchestrator") == "ecs"  # 60 against 50
    found = points(document, "orchestrator")
    assert list(found) == [
        "team.kubernetes_experience",
        "platform.kubernetes_ecosystem",
    ]  # larger margin first
    expert, ecosystem = found.values()
    assert (expert["to"], expert["winner"], expert["margin"], expert["step"]) == ("expert", "eks", 5.0, 1)
    assert (ecosystem["to"], ecosystem["winner"], ecosystem["margin"]) == (True, "eks", 2.0)
    flipped = recommend(with_change(PLATFORM, "platform.kubernetes_ecosystem", True), small)
    assert [o["score"] for o in flipped["recommendations"]["orchestrator"]["options"]] == [62.0, 60.0]


def test_an_exclusion_is_named_as_the_reason(small: KnowledgeBase) -> None:
    point = points(recommend(PLATFORM, small, explain="changes"), "launch_type")[
        "platform.privileged_containers"
    ]
    assert (point["winner"], point["excludes"], point["margin"]) == ("ec2", ["fargate"], None)
    assert "exclude AWS Fargate" in point["summary"]


def test_numeric_thresholds_come_from_the_rules(small: KnowledgeBase) -> None:
    """TST-103 excludes Fargate above 16 vCPU: from 16 vCPU the nearest value across is 17, one step."""
    profile = {**PLATFORM, "workload": {"kind": "web", "vcpus": 16, "memory_gib": 32}}
    loaded = load_profile(profile)
    changes = candidate_changes(levers(small.domains["launch_type"], small), loaded.facts, loaded.sections)
    vcpus = [(c.value, c.step) for c in changes if c.field == "workload.vcpus"]
    assert (17, 1) in vcpus and all(value != 16 for value, _ in vcpus)
    assert winner(recommend(profile, small), "launch_type") == "fargate"
    assert winner(recommend(with_change(profile, "workload.vcpus", 17), small), "launch_type") == "ec2"


def test_rules_on_an_absent_section_are_not_evaluated(small: KnowledgeBase) -> None:
    trace = recommend({"platform": {}}, small, explain="full")["recommendations"]["launch_type"]["trace"]
    not_evaluated = {e["rule"]: e for e in trace["not_evaluated"]}
    assert set(not_evaluated) == {"TST-101", "TST-103"}
    assert not_evaluated["TST-101"]["missing"] == ["workload.gpus"]
    assert not_evaluated["TST-101"]["reason"] == "Fargate has no GPUs."
    assert [e["rule"] for e in trace["fired"]] == ["TST-104"]  # unconditional
    assert [(e["rule"], e["fields"]) for e in trace["not_fired"]] == [
        ("TST-102", ["platform.privileged_containers"])
    ]


@pytest.mark.parametrize(
    ("domain", "chosen", "status", "gap"),
    [
        ("orchestrator", "ecs", "aligned", 0.0),
        ("orchestrator", "eks", "acceptable", 10.0),  # the tolerance is 10 points
        ("launch_type", "ec2", "discouraged", 20.0),
    ],
)
def test_a_choice_is_reviewed_by_its_gap_to_the_winner(
    small: KnowledgeBase, domain: str, chosen: str, status: str, gap: float
) -> None:
    proposal = load_proposal({"profile": PLATFORM, "choices": {domain: chosen}}, finding_ids=small.findings)
    (review,) = evaluate(proposal, small)["choices"]
    assert (review["domain"], review["status"], review["gap"]) == (domain, status, gap)
