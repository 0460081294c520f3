"""The ECS deployment judged by the recommender itself: deploy/ecs/proposal.yaml describes it, and must
mirror security-groups.json, pass, and reach everything it needs."""

from __future__ import annotations

from typing import Any

import pytest

from recommender.documents import load_yaml
from recommender.evaluation import evaluate
from recommender.knowledge import KnowledgeBase
from tests.deploy.deployables import ECS, load_json


@pytest.fixture(scope="module")
def proposal() -> Any:
    return load_yaml((ECS / "proposal.yaml").read_text(encoding="utf-8"))


def rules(permissions: list[dict[str, Any]], peer: str) -> list[dict[str, str]]:
    """security-groups.json's IpPermissions as proposal rules (peer: 'source' or 'destination')."""
    found = []
    for permission in permissions:
        ports = (
            f"{permission['FromPort']}"
            if permission["FromPort"] == permission["ToPort"]
            else (f"{permission['FromPort']}-{permission['ToPort']}")
        )
        peers = [r["CidrIp"] for r in permission.get("IpRanges", [])]
        peers += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
        peers += [pair["GroupId"] for pair in permission.get("UserIdGroupPairs", [])]
        found += [{"protocol": permission["IpProtocol"], "ports": ports, peer: p} for p in peers]
    return found


def test_proposal_mirrors_the_security_groups_json(proposal: Any) -> None:
    groups = load_json("security-groups.json")
    described = {g["id"]: g for g in proposal["topology"]["security_groups"]}
    for call, direction, peer in [
        ("AuthorizeSecurityGroupIngress", "inbound", "source"),
        ("AuthorizeSecurityGroupEgress", "outbound", "destination"),
    ]:
        for entry in groups[call]:
            assert [dict(r) for r in described[entry["GroupId"]][direction]] == rules(
                entry["IpPermissions"], peer
            )
    service = load_json("service.json")["networkConfiguration"]["awsvpcConfiguration"]
    (tasks,) = [r for r in proposal["topology"]["resources"] if r["type"] == "ecs_service"]
    assert tasks["security_groups"] == service["securityGroups"]
    assert tasks["subnet"] in service["subnets"]


def test_recommender_passes_its_own_deployment(proposal: Any, kb: KnowledgeBase) -> None:
    result = evaluate(proposal, kb)
    assert result["findings"] == []
    assert result["verdict"] == "pass"
    assert [(f["from"], f["to"], f["reachable"]) for f in result["flows"]] == [
        ("corporate-clients", "alb", True),
        ("alb", "recommender", True),
        ("recommender", "aws-apis", True),
    ]
    assert {c["domain"]: c["status"] for c in result["choices"]} == {
        "orchestrator": "aligned",
        "launch_type": "aligned",
    }


def test_tasks_are_unreachable_without_the_load_balancer_rule(proposal: Any, kb: KnowledgeBase) -> None:
    groups = [dict(g) for g in proposal["topology"]["security_groups"]]
    tasks = next(g for g in groups if g["id"] == "sg-0bbbbbbbbbbbbbbb2")
    tasks["inbound"] = []
    broken = {**proposal, "topology": {**proposal["topology"], "security_groups": groups}}
    result = evaluate(broken, kb)
    assert result["verdict"] == "fail"
    assert [f["id"] for f in result["findings"]] == ["flow-unreachable"]
    assert "sg-0bbbbbbbbbbbbbbb2" in result["findings"][0]["message"]
