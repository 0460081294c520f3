"""The diagram model (proposal.md, "the diagram"): nodes, links, and per flow the hops, where it stops and why.

Each hop kind that can block is checked for the hop the diagram marks and the node it marks it at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from recommender.knowledge import KnowledgeBase
from tests.evaluation.conftest import base, group, run

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def diagram(doc: dict[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    from recommender.evaluation import evaluate, load_proposal

    return evaluate(load_proposal(doc, finding_ids=kb.findings), kb, diagram=True)["diagram"]


def blocked(d: dict[str, Any]) -> tuple[str, str | None, str]:
    """The first flow's blocking hop, the node it is at, and the reason."""
    f = d["flows"][0]
    assert f["reachable"] is False and f["blocked_at"] == len(f["hops"]) - 1
    return f["hops"][f["blocked_at"]], f["hop_nodes"][f["blocked_at"]], f["reason"]


def two_vpcs(doc: dict[str, Any]) -> dict[str, Any]:
    t = doc["topology"]
    t["vpcs"].append({"id": "vpc-b", "cidr": "10.1.0.0/16", "region": "us-east-1"})
    t["subnets"][1] = {"id": "subnet-db", "vpc": "vpc-b", "cidr": "10.1.2.0/24"}
    group(doc, "sg-db")["vpc"] = "vpc-b"
    return t


def test_a_passing_flow_has_every_hop_and_no_blocking_hop(kb: KnowledgeBase) -> None:
    d = diagram(base(), kb)
    assert d["flows"] == [{
        "from": "app", "to": "db", "port": 3306, "protocol": "tcp", "reachable": True,
        "hops": ["app", "sg-app outbound (default: all traffic)", "route: local in vpc-main", "sg-db inbound", "db"],
        "hop_nodes": ["app", "app", "vpc-main", "db", "db"],
        "blocked_at": None, "reason": None,
    }]  # fmt: skip


def test_nodes_nest_resources_in_subnets_in_vpcs(kb: KnowledgeBase) -> None:
    d = diagram(base(), kb)
    assert [(n["id"], n["kind"], n["parent"]) for n in d["nodes"]] == [
        ("vpc-main", "vpc", None),
        ("subnet-app", "subnet", "vpc-main"),
        ("subnet-db", "subnet", "vpc-main"),
        ("app", "ec2", "subnet-app"),
        ("db", "rds", "subnet-db"),
    ]
    assert d["nodes"][0]["label"] == "vpc-main 10.0.0.0/16 us-east-1"
    assert d["nodes"][1]["public"] is False
    assert d["links"] == []


def test_security_group_inbound_blocks_at_the_target(kb: KnowledgeBase) -> None:
    doc = base()
    group(doc, "sg-db")["inbound"] = []
    hop, node, reason = blocked(diagram(doc, kb))
    assert (hop, node) == ("sg-db inbound", "db") and "no rule allows tcp 3306" in reason


def test_security_group_outbound_blocks_at_the_source(kb: KnowledgeBase) -> None:
    doc = base()
    group(doc, "sg-app")["outbound"] = [{"protocol": "tcp", "ports": "443", "destination": "0.0.0.0/0"}]
    hop, node, reason = blocked(diagram(doc, kb))
    assert (hop, node) == ("sg-app outbound", "app") and "outbound (egress)" in reason


@pytest.mark.parametrize(("subnet", "direction", "hop"), [
    ("subnet-db", "inbound", "subnet-db NACL inbound"),
    ("subnet-app", "outbound", "subnet-app NACL outbound"),
])  # fmt: skip
def test_network_acl_blocks_at_its_subnet_both_ways(
    subnet: str, direction: str, hop: str, kb: KnowledgeBase
) -> None:
    doc = base()
    doc["topology"]["network_acls"] = [{"subnet": subnet, "inbound": [], "outbound": []}]
    got_hop, node, reason = blocked(diagram(doc, kb))
    assert (got_hop, node) == (hop, subnet) and f"network ACL (NACL) {direction} blocks" in reason


def test_network_acl_blocking_return_traffic_is_the_last_hop(kb: KnowledgeBase) -> None:
    doc = base()
    allow = [{"rule": 100, "protocol": "tcp", "ports": "3306", "source": "10.0.1.0/24", "action": "allow"}]
    doc["topology"]["network_acls"] = [{"subnet": "subnet-db", "inbound": allow, "outbound": []}]
    d = diagram(doc, kb)
    hop, node, reason = blocked(d)
    assert (hop, node) == ("return: subnet-db NACL outbound ephemeral", "subnet-db")
    assert "return traffic" in reason and "db" in d["flows"][0]["hops"][:-1]


def test_no_route_between_vpcs_blocks_at_the_source_vpc(kb: KnowledgeBase) -> None:
    doc = base()
    two_vpcs(doc)
    hop, node, reason = blocked(diagram(doc, kb))
    assert (hop, node) == ("route vpc-main -> vpc-b", "vpc-main") and reason.startswith("no route between")


def test_peering_without_routes_blocks_at_the_route_and_is_a_link(kb: KnowledgeBase) -> None:
    doc = base()
    two_vpcs(doc)["peerings"] = [{"id": "pcx-1", "vpcs": ["vpc-main", "vpc-b"], "routes": False}]
    d = diagram(doc, kb)
    assert blocked(d)[:2] == ("route vpc-main -> vpc-b via pcx-1", "vpc-main")
    assert d["links"] == [
        {"id": "pcx-1", "kind": "peering", "from": "vpc-main", "to": "vpc-b", "routes": False}
    ]


def test_transit_gateway_without_routes_blocks_at_the_transit_gateway(kb: KnowledgeBase) -> None:
    doc = base()
    two_vpcs(doc)["transit_gateways"] = [
        {"id": "tgw-1", "attachments": ["vpc-main", "vpc-b"], "routes": False}
    ]
    d = diagram(doc, kb)
    assert blocked(d)[:2] == ("route vpc-main -> vpc-b via tgw-1", "tgw-1")
    assert {"id": "tgw-1", "kind": "transit_gateway", "label": "tgw-1 transit gateway", "parent": None} in d[
        "nodes"
    ]
    assert [(link["from"], link["to"]) for link in d["links"]] == [("vpc-b", "tgw-1"), ("vpc-main", "tgw-1")]


def test_transit_gateway_with_routes_passes_through_it(kb: KnowledgeBase) -> None:
    doc = base()
    two_vpcs(doc)["transit_gateways"] = [
        {"id": "tgw-1", "attachments": ["vpc-main", "vpc-b"], "routes": True}
    ]
    f = diagram(doc, kb)["flows"][0]
    assert f["reachable"] is True and "tgw-1" in f["hop_nodes"]


def test_vpn_that_is_not_transitive_blocks_at_the_vpn(kb: KnowledgeBase) -> None:
    doc = base()
    t = two_vpcs(doc)
    t["resources"][0] = {"id": "erp", "type": "on_premises", "cidr": "192.168.1.0/24"}
    t["flows"] = [{"from": "erp", "to": "db", "port": 3306}]
    t["vpns"] = [{"id": "vpn-1", "vpc": "vpc-main", "on_premises_cidr": "192.168.0.0/16"}]
    t["peerings"] = [{"id": "pcx-1", "vpcs": ["vpc-main", "vpc-b"], "routes": True}]
    d = diagram(doc, kb)
    hop, node, reason = blocked(d)
    assert (hop, node) == ("route erp -> vpc-b via vpn-1", "vpn-1") and "not transitive" in reason
    kinds = {n["id"]: n["kind"] for n in d["nodes"]}
    assert kinds["vpn-1"] == "vpn" and kinds["erp"] == "on_premises"
    assert {(link["from"], link["to"]) for link in d["links"] if link["kind"] == "vpn"} == {
        ("vpc-main", "vpn-1"), ("vpn-1", "erp")}  # fmt: skip


def test_vpn_without_a_named_site_draws_its_on_premises_network(kb: KnowledgeBase) -> None:
    doc = base()
    doc["topology"]["vpns"] = [{"id": "vpn-1", "vpc": "vpc-main", "on_premises_cidr": "192.168.0.0/16"}]
    nodes = {n["id"]: n for n in diagram(doc, kb)["nodes"]}
    assert nodes["vpn-1-on-premises"]["kind"] == "on_premises"
    assert nodes["vpn-1-on-premises"]["cidr"] == "192.168.0.0/16"


def test_internet_to_a_private_subnet_blocks_at_the_subnet(kb: KnowledgeBase) -> None:
    doc = base()
    doc["topology"]["resources"][0] = {"id": "users", "type": "internet"}
    doc["topology"]["flows"] = [{"from": "users", "to": "db", "port": 3306}]
    hop, node, reason = blocked(diagram(doc, kb))
    assert (hop, node) == ("route internet -> vpc-main", "subnet-db") and "private subnet" in reason


def test_public_subnets_link_their_vpc_to_the_internet(kb: KnowledgeBase) -> None:
    doc = base()
    doc["topology"]["subnets"][0]["public"] = True
    d = diagram(doc, kb)
    assert d["nodes"][-1] == {"id": "internet", "kind": "internet", "label": "the internet", "parent": None}
    assert d["links"] == [{"id": "igw:vpc-main:internet", "kind": "internet_gateway", "from": "vpc-main",
                           "to": "internet"}]  # fmt: skip


def test_imported_elements_carry_their_origin(kb: KnowledgeBase) -> None:
    doc = base()
    doc["topology"]["vpcs"][0]["origin"] = {"file": "main.tf", "line": 3, "logical_id": "aws_vpc.main"}
    doc["topology"]["resources"][1]["origin"] = {"file": "main.tf", "line": 40}
    nodes = {n["id"]: n for n in diagram(doc, kb)["nodes"]}
    assert nodes["vpc-main"]["origin"] == {"file": "main.tf", "line": 3, "logical_id": "aws_vpc.main"}
    assert nodes["db"]["origin"] == {"file": "main.tf", "line": 40}
    assert "origin" not in nodes["app"]


def test_ordering_does_not_depend_on_the_order_written(kb: KnowledgeBase) -> None:
    doc = base()
    reordered = base()
    reordered["topology"]["subnets"].reverse()
    reordered["topology"]["resources"].reverse()
    assert diagram(doc, kb)["nodes"] == diagram(reordered, kb)["nodes"]


def test_only_asked_for(kb: KnowledgeBase) -> None:
    assert "diagram" not in run(base(), kb)


def _scenarios() -> list[Any]:
    cases = yaml.safe_load((SCENARIOS / "proposals-public.yaml").read_text())
    cases += yaml.safe_load((Path(__file__).parent / "realistic-proposals.yaml").read_text())
    return [pytest.param(c["proposal"], id=c["id"]) for c in cases]


@pytest.mark.parametrize("proposal", _scenarios())
def test_diagram_agrees_with_the_evaluation_flows(proposal: dict[str, Any], kb: KnowledgeBase) -> None:
    from recommender.evaluation import evaluate, load_proposal

    result = evaluate(load_proposal(proposal, finding_ids=kb.findings), kb, diagram=True)
    d = result["diagram"]
    ids = [n["id"] for n in d["nodes"]]
    assert len(ids) == len(set(ids))
    t = proposal.get("topology") or {}
    for key in ("vpcs", "subnets", "resources"):
        assert {item["id"] for item in t.get(key, [])} <= set(ids)
    assert all(n["parent"] is None or n["parent"] in ids for n in d["nodes"])
    assert all(link["from"] in ids and link["to"] in ids for link in d["links"])
    assert len(d["flows"]) == len(result["flows"])
    for flow, drawn in zip(result["flows"], d["flows"], strict=True):
        assert drawn["reason"] == flow["blocked_by"]
        assert drawn["hops"][: len(flow["path"])] == flow["path"]
        assert len(drawn["hop_nodes"]) == len(drawn["hops"])
        assert all(n is None or n in ids for n in drawn["hop_nodes"])
        assert drawn["blocked_at"] == (None if flow["reachable"] else len(flow["path"]))
