"""Reachability rules, one at a time, on the base proposal (app -> db:3306 in one VPC)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from recommender.knowledge import DEFAULT_PATH, load_knowledge
from tests.evaluation.conftest import base, group, run


def flow(result: dict[str, Any]) -> dict[str, Any]:
    return result["flows"][0]


def acl(subnet: str, inbound: list[dict[str, Any]], outbound: list[dict[str, Any]]) -> dict[str, Any]:
    return {"subnet": subnet, "inbound": inbound, "outbound": outbound}


def rule(
    number: int, ports: str, cidr: str, action: str = "allow", protocol: str = "tcp", *, out: bool = False
) -> dict[str, Any]:
    return {
        "rule": number,
        "protocol": protocol,
        "ports": ports,
        ("destination" if out else "source"): cidr,
        "action": action,
    }


def two_vpcs(doc: dict[str, Any], region_b: str = "us-east-1") -> None:
    t = doc["topology"]
    t["vpcs"].append({"id": "vpc-b", "cidr": "10.1.0.0/16", "region": region_b})
    t["subnets"][1] = {"id": "subnet-db", "vpc": "vpc-b", "cidr": "10.1.2.0/24"}
    group(doc, "sg-db")["vpc"] = "vpc-b"


def test_same_vpc_across_subnets_path(evaluate_doc: Any) -> None:
    f = flow(evaluate_doc(base()))
    assert f["reachable"] is True and f["blocked_by"] is None
    assert f["path"] == [
        "app",
        "sg-app outbound (default: all traffic)",
        "route: local in vpc-main",
        "sg-db inbound",
        "db",
    ]


@pytest.mark.parametrize(("routes", "reachable"), [(True, True), (False, False)])
def test_peering_with_and_without_routes(routes: bool, reachable: bool, evaluate_doc: Any) -> None:
    doc = base()
    two_vpcs(doc)
    doc["topology"]["peerings"] = [{"id": "pcx-1", "vpcs": ["vpc-main", "vpc-b"], "routes": routes}]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is reachable
    if reachable:
        assert "route vpc-main -> vpc-b via pcx-1" in f["path"]
    else:
        assert "pcx-1" in f["blocked_by"] and "no routes" in f["blocked_by"]


def test_peering_routes_default_to_absent(evaluate_doc: Any) -> None:
    doc = base()
    two_vpcs(doc)
    doc["topology"]["peerings"] = [{"id": "pcx-1", "vpcs": ["vpc-main", "vpc-b"]}]
    assert "no routes" in flow(evaluate_doc(doc))["blocked_by"]


def test_transit_gateway_routes_and_security_group_referencing(evaluate_doc: Any) -> None:
    doc = base()
    two_vpcs(doc)
    doc["topology"]["transit_gateways"] = [
        {"id": "tgw-1", "attachments": ["vpc-main", "vpc-b"], "routes": True}
    ]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is True and "route vpc-main -> vpc-b via tgw-1" in f["path"]
    doc["topology"]["transit_gateways"][0]["security_group_referencing"] = False
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is False
    assert "sg-db inbound" in f["blocked_by"] and "security group referencing" in f["blocked_by"]


@pytest.mark.parametrize(("route", "destination", "reachable"), [
    ("tgw", "sg-db", False),  # AWS: security group references over a transit gateway work inbound only
    ("tgw", "10.1.0.0/16", True),
    ("peering", "sg-db", True),  # a same-Region peering allows them in outbound rules too
])  # fmt: skip
def test_outbound_group_reference_across_a_transit_gateway_does_not_match(
    route: str, destination: str, reachable: bool, evaluate_doc: Any
) -> None:
    doc = base()
    two_vpcs(doc)
    if route == "tgw":
        doc["topology"]["transit_gateways"] = [
            {"id": "tgw-1", "attachments": ["vpc-main", "vpc-b"], "routes": True}
        ]
    else:
        doc["topology"]["peerings"] = [{"id": "pcx-1", "vpcs": ["vpc-main", "vpc-b"], "routes": True}]
    group(doc, "sg-app")["outbound"] = [{"protocol": "tcp", "ports": "3306", "destination": destination}]
    result = evaluate_doc(doc)
    f = flow(result)
    assert f["reachable"] is reachable
    if not reachable:
        assert f["blocked_by"] == (
            "sg-app outbound (egress): no rule allows tcp 3306 to db (10.1.2.0/24 (subnet-db), sg-db): the rule "
            "naming sg-db does not apply: tgw-1 supports security group references only in inbound rules (an "
            "outbound rule cannot name a group across a transit gateway)"
        )
        unreachable = next(x for x in result["findings"] if x["id"] == "flow-unreachable")
        assert (
            unreachable["remediation"] == "Add an outbound rule to sg-app allowing tcp 3306 to 10.1.0.0/16."
        )
        assert "https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html" in unreachable["sources"]


def test_transit_gateway_is_regional(evaluate_doc: Any) -> None:
    doc = base()
    two_vpcs(doc, region_b="eu-west-1")
    doc["topology"]["transit_gateways"] = [
        {"id": "tgw-1", "attachments": ["vpc-main", "vpc-b"], "routes": True}
    ]
    assert "regional" in flow(evaluate_doc(doc))["blocked_by"]


def test_cross_region_peering_group_reference_is_blocked_cidr_is_not(evaluate_doc: Any) -> None:
    doc = base()
    two_vpcs(doc, region_b="eu-west-1")
    doc["topology"]["peerings"] = [{"id": "pcx-1", "vpcs": ["vpc-main", "vpc-b"], "routes": True}]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is False and "security group reference across regions" in f["blocked_by"]
    group(doc, "sg-db")["inbound"] = [{"protocol": "tcp", "ports": "3306", "source": "10.0.0.0/16"}]
    assert flow(evaluate_doc(doc))["reachable"] is True


def test_nacl_return_traffic_blocked_on_ephemeral_ports(evaluate_doc: Any) -> None:
    doc = base()
    doc["topology"]["network_acls"] = [
        acl("subnet-db", [rule(100, "3306", "10.0.1.0/24")], [rule(100, "3306", "10.0.1.0/24", out=True)])
    ]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is False
    assert f["blocked_by"].startswith(
        "subnet-db network ACL (NACL) outbound blocks return traffic tcp 1024-65535 (ephemeral)"
    )
    assert "db" in f["path"]  # the request got through; the answer did not
    doc["topology"]["network_acls"][0]["outbound"] = [rule(100, "1024-65535", "10.0.0.0/16", out=True)]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is True and "return: subnet-db NACL outbound ephemeral" in f["path"]


def test_nacl_on_the_source_subnet_checks_its_inbound_return(evaluate_doc: Any) -> None:
    doc = base()
    doc["topology"]["network_acls"] = [
        acl(
            "subnet-app",
            [rule(100, "22", "10.0.0.0/16")],
            [rule(100, "all", "0.0.0.0/0", protocol="all", out=True)],
        )
    ]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is False and "subnet-app network ACL (NACL) inbound" in f["blocked_by"]


def test_custom_nacl_without_rules_denies_everything(evaluate_doc: Any) -> None:
    doc = base()
    doc["topology"]["network_acls"] = [{"subnet": "subnet-db"}]
    f = flow(evaluate_doc(doc))
    assert "subnet-db network ACL (NACL) inbound" in f["blocked_by"] and "implicit deny" in f["blocked_by"]


def test_nacl_does_not_apply_within_one_subnet(evaluate_doc: Any) -> None:
    doc = base()
    doc["topology"]["resources"][1]["subnet"] = "subnet-app"
    doc["topology"]["network_acls"] = [{"subnet": "subnet-app"}]
    assert flow(evaluate_doc(doc))["reachable"] is True


@pytest.mark.parametrize(("deny_number", "reachable"), [(90, False), (110, True)])
def test_nacl_rules_in_ascending_order_first_match_wins(
    deny_number: int, reachable: bool, evaluate_doc: Any
) -> None:
    doc = base()
    inbound = [
        rule(deny_number, "3306", "10.0.1.0/24", "deny"),
        rule(100, "all", "0.0.0.0/0", protocol="all"),
    ]
    outbound = [rule(100, "all", "0.0.0.0/0", protocol="all", out=True)]
    doc["topology"]["network_acls"] = [acl("subnet-db", inbound, outbound)]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is reachable
    if not reachable:
        assert f"deny rule {deny_number} matches tcp 3306" in f["blocked_by"]


def test_restricted_egress_to_the_database_group(evaluate_doc: Any) -> None:
    doc = base()
    group(doc, "sg-app")["outbound"] = [{"protocol": "tcp", "ports": "3306", "destination": "sg-db"}]
    assert flow(evaluate_doc(doc))["path"][1] == "sg-app outbound"
    group(doc, "sg-app")["outbound"] = []
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is False and f["blocked_by"].startswith(
        "sg-app outbound (egress): no rule allows tcp 3306 to db"
    )


def test_default_security_group_admits_only_its_members(evaluate_doc: Any) -> None:
    doc = base()
    doc["topology"]["resources"][1]["security_groups"] = []
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is False and "default security group" in f["blocked_by"]
    doc["topology"]["resources"][0]["security_groups"] = []
    assert flow(evaluate_doc(doc))["reachable"] is True


def test_vpn_from_on_premises_and_overlap(evaluate_doc: Any) -> None:
    doc = base()
    t = doc["topology"]
    t["resources"][0] = {"id": "app", "type": "on_premises", "cidr": "192.168.1.0/24"}
    group(doc, "sg-db")["inbound"] = [{"protocol": "tcp", "ports": "3306", "source": "192.168.0.0/16"}]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is False and "no VPN or Direct Connect" in f["blocked_by"]
    t["vpns"] = [{"id": "vpn-1", "vpc": "vpc-main", "on_premises_cidr": "192.168.0.0/16"}]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is True and "route app -> vpc-main via vpn-1" in f["path"]
    t["resources"][0]["cidr"] = "10.0.5.0/24"
    t["vpns"][0]["on_premises_cidr"] = "10.0.0.0/8"
    assert "overlaps" in flow(evaluate_doc(doc))["blocked_by"]


@pytest.mark.parametrize(("public", "accessible", "reachable", "words"), [
    (False, False, False, "private subnet"),
    (True, False, False, "not publicly accessible"),
    (True, True, True, None),
])  # fmt: skip
def test_internet_reaches_only_public_resources(public: bool, accessible: bool, reachable: bool, words: str | None,
                                                evaluate_doc: Any) -> None:  # fmt: skip
    doc = base()
    t = doc["topology"]
    t["resources"][0] = {"id": "app", "type": "internet"}
    t["subnets"][1]["public"] = public
    t["resources"][1]["publicly_accessible"] = accessible
    group(doc, "sg-db")["inbound"] = [{"protocol": "tcp", "ports": "3306", "source": "203.0.113.0/24"},
                                      {"protocol": "tcp", "ports": "3306", "source": "0.0.0.0/0"}]  # fmt: skip
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is reachable
    if words:
        assert words in f["blocked_by"]


@pytest.mark.parametrize(
    ("subnet", "reachable"), [({"public": True}, True), ({"nat_gateway": True}, True), ({}, False)]
)
def test_outbound_internet_needs_an_internet_or_nat_gateway(subnet: dict[str, Any], reachable: bool,
                                                            evaluate_doc: Any) -> None:  # fmt: skip
    doc = base()
    doc["topology"]["subnets"][0].update(subnet)
    doc["topology"]["resources"].append({"id": "saas", "type": "internet"})
    doc["topology"]["flows"] = [{"from": "app", "to": "saas", "port": 443}]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is reachable
    if not reachable:
        assert "NAT gateway" in f["blocked_by"]


@pytest.mark.parametrize(("sources", "reachable"), [
    (["0.0.0.0/1", "128.0.0.0/1"], True),
    (["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"], True),
    (["0.0.0.0/1", "192.0.0.0/2"], False),
])  # fmt: skip
def test_rules_that_together_cover_the_internet_admit_it(sources: list[str], reachable: bool,
                                                          evaluate_doc: Any) -> None:  # fmt: skip
    doc = base()
    t = doc["topology"]
    t["resources"][0] = {"id": "app", "type": "internet"}
    t["subnets"][1]["public"] = True
    t["resources"][1]["publicly_accessible"] = True
    group(doc, "sg-db")["inbound"] = [{"protocol": "tcp", "ports": "3306", "source": s} for s in sources]
    f = flow(evaluate_doc(doc))
    assert f["reachable"] is reachable
    assert ("sg-db inbound" in f["path"]) is reachable


@pytest.mark.parametrize(("ephemeral", "reachable", "message"), [
    ("[1024, 65535]", False, "(tcp ephemeral ports 1024-65535 to 10.0.1.0/24 (subnet-app))"),
    ("[32768, 60999]", True, None),
])  # fmt: skip
def test_ephemeral_ports_are_read_from_the_knowledge_base(ephemeral: str, reachable: bool, message: str | None,
                                                          tmp_path: Path) -> None:  # fmt: skip
    root = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_PATH, root, ignore=shutil.ignore_patterns("README.md", "schema"))
    findings = root / "findings.yaml"
    findings.write_text(
        findings.read_text().replace("ephemeral_ports: [1024, 65535]", f"ephemeral_ports: {ephemeral}")
    )
    doc = base()
    doc["topology"]["network_acls"] = [
        acl(
            "subnet-db",
            [rule(100, "3306", "10.0.1.0/24")],
            [rule(100, "32768-60999", "10.0.1.0/24", out=True)],
        )
    ]
    result = run(doc, load_knowledge(root))
    assert flow(result)["reachable"] is reachable
    found = {f["id"]: f["message"] for f in result["findings"]}
    assert (
        (message in found.get("nacl-blocks-return-traffic", ""))
        if message
        else "flow-unreachable" not in found
    )
