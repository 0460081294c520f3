"""Each finding is raised when its condition holds and not raised when it does not (table-driven)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.evaluation.conftest import base, group, ids

Change = Callable[[dict[str, Any]], None]


def inbound(group_id: str, *rules: dict[str, Any]) -> Change:
    def change(doc: dict[str, Any]) -> None:
        group(doc, group_id)["inbound"] = list(rules)

    return change


def resource(resource_id: str, **values: Any) -> Change:
    def change(doc: dict[str, Any]) -> None:
        r = next(r for r in doc["topology"]["resources"] if r["id"] == resource_id)
        r.update(values)

    return change


def public_subnet(doc: dict[str, Any]) -> None:
    doc["topology"]["subnets"][1]["public"] = True


def peer_overlapping(doc: dict[str, Any], overlap: bool = True) -> None:
    doc["topology"]["vpcs"].append({"id": "vpc-b", "cidr": "10.0.0.0/16" if overlap else "10.9.0.0/16"})
    doc["topology"]["peerings"] = [{"id": "pcx-1", "vpcs": ["vpc-main", "vpc-b"], "routes": True}]


def tgw_overlapping(doc: dict[str, Any], overlap: bool = True) -> None:
    doc["topology"]["vpcs"].append({"id": "vpc-b", "cidr": "10.0.128.0/17" if overlap else "10.9.0.0/16"})
    doc["topology"]["transit_gateways"] = [
        {"id": "tgw-1", "attachments": ["vpc-main", "vpc-b"], "routes": True}
    ]


def no_backup(doc: dict[str, Any]) -> None:
    del doc["choices"]["backup"]


def choose_backup(*options: str) -> Change:
    def change(doc: dict[str, Any]) -> None:
        doc["choices"]["backup"] = list(options)

    return change


def world(port: str, protocol: str = "tcp", cidr: str = "0.0.0.0/0") -> dict[str, Any]:
    return {"protocol": protocol, "ports": port, "source": cidr}


QUARTERS = ("0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2")


def halves(
    port_a: str, port_b: str | None = None, *, protocol: str = "tcp", v6: bool = False
) -> list[dict[str, Any]]:
    low, high = ("::/1", "8000::/1") if v6 else ("0.0.0.0/1", "128.0.0.0/1")
    return [world(port_a, protocol, low), world(port_b or port_a, protocol, high)]


def cross_region_reference(doc: dict[str, Any]) -> None:
    doc["topology"]["vpcs"][0]["region"] = "us-east-1"
    doc["topology"]["vpcs"].append({"id": "vpc-eu", "cidr": "10.5.0.0/16", "region": "eu-west-1"})
    doc["topology"]["security_groups"].append({"id": "sg-eu", "vpc": "vpc-eu", "inbound": [
        {"protocol": "tcp", "ports": "3306", "source": "sg-app"}]})  # fmt: skip


RAISED: list[tuple[str, str, Change]] = [
    ("sg-all-traffic-open", "all protocols from the world", inbound("sg-db", world("all", "all"))),
    ("sg-all-traffic-open", "every tcp port from ::/0", inbound("sg-db", world("0-65535", cidr="::/0"))),
    ("sg-open-database-port", "3306 from 0.0.0.0/0", inbound("sg-db", world("3306"))),
    ("sg-open-database-port", "a range containing 5432", inbound("sg-db", world("5000-6000"))),
    ("sg-open-database-port", "6379 from ::/0", inbound("sg-db", world("6379", cidr="::/0"))),
    (
        "sg-open-database-port",
        "the database's own custom port",
        lambda d: (resource("db", port=13306)(d), inbound("sg-db", world("13306"))(d)),
    ),  # fmt: skip
    ("sg-open-admin-port", "SSH from the world", inbound("sg-app", world("22"))),
    ("sg-open-admin-port", "RDP in a range", inbound("sg-app", world("3000-4000"))),
    ("db-publicly-accessible", "publicly_accessible true", resource("db", publicly_accessible=True)),
    ("db-in-public-subnet", "database subnet is public", public_subnet),
    ("peering-overlapping-cidrs", "peered VPCs with one CIDR", peer_overlapping),
    ("tgw-overlapping-cidrs", "attached VPCs overlap", tgw_overlapping),
    ("backup-missing", "rds without a backup choice", no_backup),
    ("backup-missing", "rds covered only by an EC2 backup", choose_backup("ami")),
    (
        "backup-missing",
        "stateful ec2 without backup",
        lambda d: (resource("app", stateful=True)(d), choose_backup("rds_automated_backups")(d)),
    ),  # fmt: skip
    (
        "sg-broad-database-source",
        "3306 from the VPC's CIDR",
        inbound("sg-db", world("3306", cidr="10.0.0.0/16")),
    ),
    (
        "sg-broad-database-source",
        "3306 from a CIDR covering the VPC",
        inbound("sg-db", world("3306", cidr="10.0.0.0/8")),
    ),
    ("sg-reference-cross-region", "rule names a group of another Region", cross_region_reference),
    ("flow-unreachable", "database admits nothing", inbound("sg-db")),
    # a finding's world is a set: ranges that together cover 0.0.0.0/0 or ::/0 are the whole internet
    ("sg-open-admin-port", "SSH from two halves", inbound("sg-app", *halves("22"))),
    (
        "sg-open-admin-port",
        "SSH in one half, all ports in the other",
        inbound("sg-app", *halves("22", "0-65535")),
    ),
    (
        "sg-open-database-port",
        "3306 from four quarters",
        inbound("sg-db", *[world("3306", cidr=c) for c in QUARTERS]),
    ),
    ("sg-open-database-port", "3306 from the two IPv6 halves", inbound("sg-db", *halves("3306", v6=True))),
    (
        "sg-all-traffic-open",
        "all protocols from two halves",
        inbound("sg-db", *halves("all", protocol="all")),
    ),
    (
        "sg-broad-public-source",
        "SSH from one half of the internet",
        inbound("sg-app", world("22", cidr="0.0.0.0/1")),
    ),
    ("sg-broad-public-source", "3306 from a /4", inbound("sg-db", world("3306", cidr="64.0.0.0/4"))),
    (
        "sg-broad-public-source",
        "RDP from a /7 holding a private /8",
        inbound("sg-app", world("3389", cidr="10.0.0.0/7")),
    ),
    ("sg-broad-public-source", "5432 from 2000::/3", inbound("sg-db", world("5432", cidr="2000::/3"))),
]

NOT_RAISED: list[tuple[str, str, Change]] = [
    (
        "sg-all-traffic-open",
        "all ports from a private range",
        inbound("sg-db", world("all", "all", "10.0.0.0/16")),
    ),
    ("sg-all-traffic-open", "one port from the world", inbound("sg-app", world("443"))),
    ("sg-open-database-port", "3306 from the app's group", lambda d: None),
    ("sg-open-database-port", "443 from the world", inbound("sg-app", world("443"))),
    ("sg-open-database-port", "udp 3306 from the world", inbound("sg-db", world("3306", "udp"))),
    ("sg-open-admin-port", "SSH from an admin /32", inbound("sg-app", world("22", cidr="203.0.113.10/32"))),
    ("db-publicly-accessible", "publicly_accessible false", lambda d: None),
    ("db-in-public-subnet", "private database subnet", lambda d: None),
    ("peering-overlapping-cidrs", "distinct CIDRs", lambda d: peer_overlapping(d, overlap=False)),
    ("tgw-overlapping-cidrs", "distinct CIDRs", lambda d: tgw_overlapping(d, overlap=False)),
    ("backup-missing", "rds covered by rds_automated_backups", lambda d: None),
    ("backup-missing", "rds covered by aws_backup", choose_backup("aws_backup")),
    ("backup-missing", "stateless rds", lambda d: (no_backup(d), resource("db", stateful=False)(d))),
    ("backup-missing", "ec2 is stateless by default", lambda d: None),
    (
        "sg-broad-database-source",
        "an on-premises CIDR",
        inbound("sg-db", world("3306", cidr="192.168.0.0/16")),
    ),
    ("sg-broad-database-source", "a non-database port", inbound("sg-db", world("8080", cidr="10.0.0.0/16"))),
    ("sg-reference-cross-region", "reference in the same Region", lambda d: None),
    ("flow-unreachable", "the base proposal", lambda d: None),
    ("sg-open-admin-port", "halves on different ports", inbound("sg-app", *halves("22", "3389"))),
    ("sg-open-admin-port", "three quarters", inbound("sg-app", *[world("22", cidr=c) for c in QUARTERS[:3]])),
    (
        "sg-open-admin-port",
        "SSH halves, one udp",
        inbound("sg-app", world("22", cidr="0.0.0.0/1"), world("22", "udp", "128.0.0.0/1")),
    ),
    ("sg-all-traffic-open", "SSH from two halves", inbound("sg-app", *halves("22"))),
    ("sg-broad-public-source", "SSH from a /8", inbound("sg-app", world("22", cidr="11.0.0.0/8"))),
    (
        "sg-broad-public-source",
        "443 from half the internet",
        inbound("sg-app", world("443", cidr="0.0.0.0/1")),
    ),
    (
        "sg-broad-public-source",
        "3306 from the IPv6 private range",
        inbound("sg-db", world("3306", cidr="fc00::/7")),
    ),
    ("sg-broad-public-source", "SSH from the whole internet", inbound("sg-app", world("22"))),
    ("sg-broad-public-source", "halves already world-open", inbound("sg-app", *halves("22"))),
    (
        "sg-broad-database-source",
        "3306 from half the internet",
        inbound("sg-db", world("3306", cidr="0.0.0.0/1")),
    ),
]


@pytest.mark.parametrize(("finding", "case", "change"), RAISED, ids=[f"{f}: {c}" for f, c, _ in RAISED])
def test_raised(finding: str, case: str, change: Change, evaluate_doc: Any) -> None:
    doc = base()
    change(doc)
    assert finding in ids(evaluate_doc(doc))


@pytest.mark.parametrize(
    ("finding", "case", "change"), NOT_RAISED, ids=[f"{f}: {c}" for f, c, _ in NOT_RAISED]
)
def test_not_raised(finding: str, case: str, change: Change, evaluate_doc: Any) -> None:
    doc = base()
    change(doc)
    assert finding not in ids(evaluate_doc(doc))


def test_finding_shape_location_and_remediation(kb: Any) -> None:
    from recommender.documents import load_yaml
    from tests.evaluation.conftest import run

    text = b"""name: wide-open
topology:
  vpcs: [{id: vpc-main, cidr: 10.0.0.0/16}]
  security_groups:
    - id: sg-db
      vpc: vpc-main
      inbound:
        - {protocol: tcp, ports: "443", source: 0.0.0.0/0}
        - {protocol: tcp, ports: "3306", source: 0.0.0.0/0}
"""
    finding = next(f for f in run(load_yaml(text), kb)["findings"] if f["id"] == "sg-open-database-port")
    assert finding["severity"] == "critical"
    assert finding["resource"] == "sg-db"
    assert finding["message"] == "sg-db allows port 3306 (MySQL/MariaDB) inbound from 0.0.0.0/0."
    assert "3306" in finding["remediation"] and "0.0.0.0/0" in finding["remediation"]
    assert finding["location"] == {"path": "topology.security_groups.0.inbound.1", "line": 9}
    assert (
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mysql_3306"
        in finding["references"]["prowler"]
    )
    assert finding["sources"][0].startswith("https://docs.aws.amazon.com/")


def test_imported_origin_is_preferred_for_locations(evaluate_doc: Any) -> None:
    doc = base()
    group(doc, "sg-db")["inbound"] = [
        {**world("22"), "origin": {"file": "stack.yaml", "line": 42, "logical_id": "DbSg"}}
    ]
    finding = next(f for f in evaluate_doc(doc)["findings"] if f["id"] == "sg-open-admin-port")
    assert finding["location"]["file"] == "stack.yaml"
    assert finding["location"]["line"] == 42 and finding["location"]["logical_id"] == "DbSg"


def test_profile_allowing_internet_exposure_warns(evaluate_doc: Any) -> None:
    doc = base()
    doc["profile"] = {"network": {"source": {"type": "internet"}, "target": {"type": "rds", "engine": "mysql"},
                                  "internet_exposure_allowed": True}}  # fmt: skip
    finding = next(f for f in evaluate_doc(doc)["findings"] if f["id"] == "db-internet-exposure-allowed")
    assert finding["severity"] == "medium"
    doc["profile"]["network"]["internet_exposure_allowed"] = False
    assert "db-internet-exposure-allowed" not in ids(evaluate_doc(doc))


def test_backup_objective_unmet_names_the_objective_and_an_alternative(evaluate_doc: Any) -> None:
    doc = base()
    doc["profile"] = {"backup": {"scope": ["databases"], "rpo_minutes": 1}}
    finding = next(f for f in evaluate_doc(doc)["findings"] if f["id"] == "backup-objective-unmet")
    assert "an RPO of 1 minutes" in finding["message"]
    assert "rds_automated_backups" in finding["message"]
    doc["profile"]["backup"]["rpo_minutes"] = 60
    assert "backup-objective-unmet" not in ids(evaluate_doc(doc))


def test_one_chosen_backup_meeting_the_objective_is_enough(evaluate_doc: Any) -> None:
    doc = base()
    doc["topology"]["resources"][0]["stateful"] = True
    doc["profile"] = {"backup": {"scope": ["whole_server"], "rpo_minutes": 0}}
    doc["choices"]["backup"] = ["ami", "elastic_disaster_recovery", "rds_automated_backups"]
    assert "backup-objective-unmet" not in ids(evaluate_doc(doc))
    doc["choices"]["backup"] = ["ami", "rds_automated_backups"]
    assert "backup-objective-unmet" in ids(evaluate_doc(doc))


def test_a_database_whose_automated_backups_are_off_is_not_covered_by_them(evaluate_doc: Any) -> None:
    doc = base()  # choices.backup: [rds_automated_backups]
    assert "backup-missing" not in ids(evaluate_doc(doc))
    resource("db", automated_backups=False)(doc)
    assert ("backup-missing", "db") in {(f["id"], f["resource"]) for f in evaluate_doc(doc)["findings"]}


def test_world_open_by_union_names_the_ranges_and_broad_public_counts_addresses(evaluate_doc: Any) -> None:
    doc = base()
    inbound("sg-app", *halves("22"), world("3389", cidr="0.0.0.0/1"))(doc)
    found = {f["id"]: f for f in evaluate_doc(doc)["findings"]}
    assert found["sg-open-admin-port"]["message"] == (
        "sg-app allows port 22 (SSH) inbound from 0.0.0.0/1 + 128.0.0.0/1 (together 0.0.0.0/0)."
    )
    assert found["sg-broad-public-source"]["severity"] == "high"
    assert found["sg-broad-public-source"]["message"].startswith(
        "sg-app allows port 3389 (RDP) inbound from 0.0.0.0/1, a public range of 2,147,483,648 addresses"
    )
