"""Proposal validation: field paths, cross-references with did-you-mean, lines, the JSON Schema metadata."""

from __future__ import annotations

from typing import Any

import pytest

from recommender.documents import load_yaml
from recommender.errors import ProposalError
from recommender.evaluation import ProposalSchema, evaluate, load_proposal
from recommender.evaluation.proposal import _SCHEMA, _fast_load
from tests.evaluation.conftest import base, group


def errors_of(doc: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ProposalError) as info:
        load_proposal(doc, **kwargs)
    return info.value.errors


def test_valid_proposal_is_frozen_with_indexes() -> None:
    proposal = load_proposal(base())
    assert proposal.topology.members["sg-db"] == frozenset({"db"})
    assert str(proposal.topology.subnets["subnet-db"].cidr) == "10.0.2.0/24"
    with pytest.raises(AttributeError):
        proposal.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(("change", "path", "words"), [
    (lambda d: group(d, "sg-db")["inbound"][0].update(ports="70000"), "topology.security_groups.1.inbound.0.ports", "0-65535"),
    (lambda d: group(d, "sg-db")["inbound"][0].update(ports="3306-22"), "topology.security_groups.1.inbound.0.ports", "low-high"),
    (lambda d: group(d, "sg-db")["inbound"][0].update(protocol="tcpp"), "topology.security_groups.1.inbound.0.protocol", "tcp"),
    (lambda d: group(d, "sg-db")["inbound"][0].update(source="sg-ap"), "topology.security_groups.1.inbound.0.source", "Did you mean 'sg-app'?"),
    (lambda d: group(d, "sg-db")["inbound"][0].update(sorce="x"), "topology.security_groups.1.inbound.0.sorce", "Unknown field"),
    (lambda d: d["topology"]["subnets"][0].update(vpc="vpc-mian"), "topology.subnets.0.vpc", "Did you mean 'vpc-main'?"),
    (lambda d: d["topology"]["subnets"][0].update(cidr="10.9.0.0/24"), "topology.subnets.0.cidr", "not inside vpc-main"),
    (lambda d: d["topology"]["vpcs"][0].update(cidr="10.0.0.0/33"), "topology.vpcs.0.cidr", "not a CIDR block"),
    (lambda d: d["topology"]["resources"][1].update(security_groups=["sg-dbb"]), "topology.resources.1.security_groups.0", "Did you mean 'sg-db'?"),
    (lambda d: d["topology"]["resources"][1].update(subnet="subnet-x"), "topology.resources.1.subnet", "Unknown subnet"),
    (lambda d: d["topology"]["resources"][0].pop("subnet"), "topology.resources.0.subnet", "runs in a subnet"),
    (lambda d: d["topology"]["resources"].append({"id": "erp", "type": "on_premises"}), "topology.resources.2.cidr", "address range"),
    (lambda d: d["topology"]["resources"].append({"id": "app", "type": "internet"}), "topology.resources.2.id", "Duplicate id 'app'"),
    (lambda d: d["topology"]["flows"][0].update(to="dbb"), "topology.flows.0.to", "Did you mean 'db'?"),
    (lambda d: d["topology"]["flows"][0].update(port="3306"), "topology.flows.0.port", "integer"),
    (lambda d: d["choices"].update(connectivity="peering"), "choices.connectivity", "Must be one of"),
    (lambda d: d["choices"].update(backup=["ami", "ami"]), "choices.backup", "only once"),
    (lambda d: d.update(profile={"network": {"source": {"type": "ec2"}}}), "profile.network.target", "required"),
    (lambda d: d.update(profile={"name": "x"}), "profile.name", "Unknown field"),
    (lambda d: d.update(acknowledgements=[{"finding": "sg-open-admin-port"}]), "acknowledgements.0.reason", "required"),
    (lambda d: d["topology"].update(peerings=[{"id": "pcx-1", "vpcs": ["vpc-main", "vpc-x"]}]), "topology.peerings.0.vpcs.1", "Unknown VPC"),
    (lambda d: d["topology"].update(vpns=[{"id": "vpn-1", "on_premises_cidr": "192.168.0.0/16"}]), "topology.vpns.0.vpc", "vpc"),
    (lambda d: d["topology"].update(network_acls=[{"subnet": "subnet-db", "inbound": [
        {"rule": 100, "protocol": "tcp", "ports": "1", "source": "0.0.0.0/0", "action": "allow"},
        {"rule": 100, "protocol": "tcp", "ports": "2", "source": "0.0.0.0/0", "action": "allow"}]}]),
     "topology.network_acls.0.inbound.1.rule", "Duplicate rule number"),
])  # fmt: skip
def test_invalid_field_is_named_with_the_reason(change: Any, path: str, words: str) -> None:
    doc = base()
    change(doc)
    errors = errors_of(doc)
    assert path in errors, errors
    assert any(words in message for message in errors[path]), errors[path]


def test_security_group_of_another_vpc_is_refused() -> None:
    doc = base()
    doc["topology"]["vpcs"].append({"id": "vpc-b", "cidr": "10.1.0.0/16"})
    group(doc, "sg-db")["vpc"] = "vpc-b"
    assert (
        "a resource's security groups are in its VPC"
        in errors_of(doc)["topology.resources.1.security_groups.0"][0]
    )


def test_acknowledged_finding_id_is_checked_against_the_knowledge_base(kb: Any) -> None:
    doc = base()
    doc["acknowledgements"] = [{"finding": "sg-open-admin-prt", "reason": "bastion"}]
    errors = errors_of(doc, finding_ids=kb.findings)
    assert errors["acknowledgements.0.finding"] == [
        "Unknown finding 'sg-open-admin-prt'. Did you mean 'sg-open-admin-port'?"
    ]


def test_not_a_mapping() -> None:
    assert errors_of([1, 2]) == {"proposal": ["Must be an object."]}


def test_lines_are_kept_for_each_element() -> None:
    text = b"""name: lines
topology:
  vpcs: [{id: vpc-main, cidr: 10.0.0.0/16}]
  security_groups:
    - id: sg-db
      vpc: vpc-main
      inbound:
        - {protocol: tcp, ports: "3306", source: 10.0.0.0/16}
"""
    proposal = load_proposal(load_yaml(text))
    sg = proposal.topology.security_groups["sg-db"]
    assert sg.at.line == 5
    assert sg.inbound[0].at.line == 8 and sg.inbound[0].at.path == "topology.security_groups.0.inbound.0"


def test_fast_loader_equals_marshmallow(kb: Any) -> None:
    from tests.evaluation.test_scenarios import CASES

    for document in [case["proposal"] for case in CASES]:
        assert _fast_load(document) == _SCHEMA.load(document)


def test_schema_fields_carry_titles_for_the_json_schema() -> None:
    schema = ProposalSchema()
    for name in ("name", "profile", "choices", "topology", "acknowledgements"):
        assert schema.fields[name].metadata["title"] and schema.fields[name].metadata["description"]
    assert "origin" in schema.fields["topology"].schema.fields["vpcs"].inner.schema.fields


def rds_without_subnet(doc: dict[str, Any]) -> dict[str, Any]:
    db = doc["topology"]["resources"][1]
    db.pop("subnet")
    db["security_groups"] = []
    doc["topology"]["flows"] = []
    return doc


# An rds resource without a subnet (a topology given for backup review only): accepted, network checks
# skipped and said so in `notes`; a flow to it, or security groups on it, still need the subnet.
RDS_WITHOUT_SUBNET: list[tuple[str, Any, str | None]] = [
    ("backup review only", lambda d: None, None),
    ("with a flow to it", lambda d: d["topology"].update(flows=[{"from": "app", "to": "db", "port": 3306}]),
     "topology.flows.0.to"),
    ("with security groups", lambda d: d["topology"]["resources"][1].update(security_groups=["sg-db"]),
     "topology.resources.1.security_groups.0"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "change", "refused_at"), RDS_WITHOUT_SUBNET, ids=[c for c, _, _ in RDS_WITHOUT_SUBNET]
)
def test_rds_without_a_subnet(case: str, change: Any, refused_at: str | None, kb: Any) -> None:
    doc = rds_without_subnet(base())
    doc["choices"] = {}
    change(doc)
    if refused_at:
        assert refused_at in errors_of(doc)
        return
    result = evaluate(load_proposal(doc, finding_ids=kb.findings), kb)
    assert result["notes"] == [
        "db has no subnet: its network checks (security groups, subnet, reachability) are skipped; only its "
        "backups and settings are reviewed"
    ]
    assert {f["id"] for f in result["findings"]} == {"backup-missing"}


BROKEN_TWICE = b"""name: broken
topology:
  vpcs:
    - {id: vpc-main, cidr: 10.0.0.0/16}
    - {id: vpc-data, cidr: 10.1.0.0/33}
  subnets:
    - {id: subnet-app, vpc: vpc-main, cidr: 10.0.1.0/24}
    - {id: subnet-db, vpc: vpc-data, cidr: 10.1.1.0/24}
  security_groups:
    - {id: sg-db, vpc: vpc-data, inbound: [{protocol: tcp, ports: 99999, source: sg-app}]}
  resources:
    - {id: app, type: ec2, subnet: subnet-ap}
    - {id: db, type: rds, engine: postgress, subnet: subnet-db, security_groups: [sg-db]}
  flows:
    - {from: app, to: db, port: 5432}
    - {from: app, to: cache, port: 6379}
"""


def test_schema_and_reference_errors_come_in_one_round() -> None:
    """A wrong CIDR and an unknown subnet are both named at once, each with its line; nothing is said about
    references to the elements the schema refused (subnet-db's VPC, db's group, the flow to db)."""
    with pytest.raises(ProposalError) as info:
        load_proposal(load_yaml(BROKEN_TWICE))
    errors, lines = info.value.errors, info.value.lines
    assert set(errors) == {
        "topology.vpcs.1.cidr",  # the schema's
        "topology.security_groups.0.inbound.0.ports",
        "topology.resources.1.engine",
        "topology.resources.0.subnet",  # the references'
        "topology.flows.1.to",
    }
    assert errors["topology.resources.0.subnet"] == ["Unknown subnet 'subnet-ap'. Did you mean 'subnet-app'?"]
    assert errors["topology.flows.1.to"] == ["Unknown resource 'cache'."]
    assert lines == {
        "topology.vpcs.1.cidr": 5,
        "topology.security_groups.0.inbound.0.ports": 10,
        "topology.resources.1.engine": 13,
        "topology.resources.0.subnet": 12,
        "topology.flows.1.to": 16,
    }


def test_a_list_the_schema_refuses_leaves_its_references_alone() -> None:
    doc = base()
    doc["topology"]["subnets"] = "subnet-app"  # not a list: every subnet reference is unsure
    doc["topology"]["flows"][0]["to"] = "dbb"
    errors = errors_of(doc)
    assert set(errors) == {"topology.subnets", "topology.flows.0.to"}


def test_a_missing_field_is_placed_on_its_element_and_json_has_no_lines() -> None:
    text = b"name: x\ntopology:\n  vpcs:\n    - id: vpc-main\n      region: us-east-1\n"
    with pytest.raises(ProposalError) as info:
        load_proposal(load_yaml(text))
    assert info.value.lines == {"topology.vpcs.0.cidr": 4}
    with pytest.raises(ProposalError) as info:
        load_proposal({"name": "x", "topology": {"vpcs": [{"id": "vpc-main"}]}})
    assert info.value.errors and info.value.lines == {}
