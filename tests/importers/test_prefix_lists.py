"""Prefix-list peers: a list the source defines gives one rule per entry (so a list that holds the whole
internet is a world-open finding); a list whose contents are unknown (AWS-managed, pl-0abc) is an import
assumption naming it, never a silent skip."""

from __future__ import annotations

from typing import Any

import pytest

from recommender.evaluation import evaluate, load_proposal
from recommender.importers import import_source, to_proposal
from tests.evaluation.conftest import TODAY
from tests.importers.test_model import HCL

HALVES = ["0.0.0.0/1", "128.0.0.0/1"]


def cfn(peer: str, *, standalone: bool = False) -> str:
    head = (
        "Resources:\n"
        "  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
        "  Admins: {Type: AWS::EC2::PrefixList, Properties: {PrefixListName: admins, AddressFamily: IPv4,"
        " MaxEntries: 2, Entries: [{Cidr: 0.0.0.0/1}, {Cidr: 128.0.0.0/1}]}}\n"
    )
    rule = f"{{IpProtocol: tcp, FromPort: 22, ToPort: 22, SourcePrefixListId: {peer}}}"
    if standalone:
        return head + (
            "  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: ssh, VpcId: !Ref Vpc}}\n"
            "  In: {Type: AWS::EC2::SecurityGroupIngress, Properties: {GroupId: !Ref Sg, IpProtocol: tcp,"
            f" FromPort: 22, ToPort: 22, SourcePrefixListId: {peer}}}}}\n"
        )
    return head + (
        "  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: ssh, VpcId: !Ref Vpc,"
        f" SecurityGroupIngress: [{rule}]}}}}\n"
    )


CASES: list[tuple[str, str, Any, list[str] | None]] = [
    ("a list of the template", "cfn", cfn("!Ref Admins"), HALVES),
    ("a list of the template, standalone rule", "cfn", cfn("!GetAtt Admins.PrefixListId", standalone=True), HALVES),
    ("an existing list", "cfn", cfn("pl-0abc1234"), None),
]  # fmt: skip


@pytest.mark.parametrize(("case", "kind", "source", "cidrs"), CASES, ids=[c[0] for c in CASES])
def test_prefix_list_peers(case: str, kind: str, source: Any, cidrs: list[str] | None, kb: Any) -> None:
    proposal = to_proposal(kind, source, "t.yaml" if kind == "cfn" else "plan.json")
    group = next(g for g in proposal["topology"]["security_groups"] if g["id"].lower().endswith("sg"))
    assert sorted(r["source"] for r in group["inbound"]) == (cidrs or [])
    notes = proposal["import"]
    if cidrs is None:
        assert any("prefix list pl-" in a and "left out" in a for a in notes["assumptions"])
        assert not any("prefix list" in s for s in notes.get("skipped", []))
        return
    result = evaluate(load_proposal(proposal, finding_ids=kb.findings), kb, today=TODAY)
    admin = [f for f in result["findings"] if f["id"] == "sg-open-admin-port"]
    assert admin and "0.0.0.0/1 + 128.0.0.0/1 (together 0.0.0.0/0)" in admin[0]["message"]


def test_prefix_list_peers_in_a_terraform_plan(kb: Any) -> None:
    """hcl/prefix-lists: aws_ec2_managed_prefix_list used inline (with an AWS-managed list beside it) and by
    aws_vpc_security_group_ingress_rule."""
    proposal = import_source("terraform", str(HCL / "prefix-lists" / "plan.json"))
    groups = {g["id"]: g for g in proposal["topology"]["security_groups"]}
    for group in ("aws_security_group.Sg", "aws_security_group.Standalone"):
        assert sorted((r["ports"], r["source"]) for r in groups[group]["inbound"]) == [
            ("22", c) for c in HALVES
        ]
    assert any("prefix list pl-6ea54007" in a and "left out" in a for a in proposal["import"]["assumptions"])
    result = evaluate(load_proposal(proposal, finding_ids=kb.findings), kb, today=TODAY)
    admin = {f["resource"]: f for f in result["findings"] if f["id"] == "sg-open-admin-port"}
    assert set(admin) == {"aws_security_group.Sg", "aws_security_group.Standalone"}
    assert "0.0.0.0/1 + 128.0.0.0/1 (together 0.0.0.0/0)" in admin["aws_security_group.Sg"]["message"]
