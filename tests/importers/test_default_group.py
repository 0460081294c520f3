"""sg-default-in-use: a resource on its VPC's default security group, written in a proposal, a CloudFormation
template (GetAtt Vpc.DefaultSecurityGroup, or the name `default` in the default VPC) or a Terraform plan
(aws_default_security_group); a resource with a group of its own is not."""

from __future__ import annotations

from typing import Any

import pytest

from recommender.evaluation import evaluate, load_proposal
from recommender.importers import import_source, to_proposal
from tests.evaluation.conftest import TODAY, base
from tests.importers.test_model import HCL

VPC = "  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
SUBNET = "  Net: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24}}\n"
OWN = ("  Own: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: own, VpcId: !Ref Vpc,"
       " SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}]}}\n")  # fmt: skip


def template(groups: str, *, vpc: bool = True) -> str:
    where = "SubnetId: !Ref Net, SecurityGroupIds" if vpc else "SecurityGroups"
    head = "Resources:\n" + (VPC + SUBNET + OWN if vpc else "")
    return head + f"  Web: {{Type: AWS::EC2::Instance, Properties: {{ImageId: ami-1, {where}: {groups}}}}}\n"


CASES: list[tuple[str, str, Any, bool]] = [
    ("cfn", "GetAtt Vpc.DefaultSecurityGroup", template("[!GetAtt Vpc.DefaultSecurityGroup]"), True),
    ("cfn", "the name default in the default VPC", template("[default]", vpc=False), True),
    ("cfn", "a group of its own", template("[!Ref Own]"), False),
]


def findings(proposal: dict[str, Any], kb: Any) -> dict[str, dict[str, Any]]:
    result = evaluate(load_proposal(proposal, finding_ids=kb.findings), kb, today=TODAY)
    return {f["id"]: f for f in result["findings"]}


@pytest.mark.parametrize(
    ("kind", "case", "source", "raised"), CASES, ids=[f"{k}: {c}" for k, c, _, _ in CASES]
)
def test_imported_default_group(kind: str, case: str, source: Any, raised: bool, kb: Any) -> None:
    proposal = to_proposal(kind, source, "t.yaml" if kind == "cfn" else "plan.json")
    assert ("sg-default-in-use" in findings(proposal, kb)) is raised
    if raised:
        assert any(g.get("default") for g in proposal["topology"]["security_groups"])
        assert "default security group" in "\n".join(proposal["import"]["assumptions"])


def test_a_terraform_plan_that_adopts_the_default_group(kb: Any) -> None:
    """hcl/default-group: Web on aws_default_security_group, Api on a group of its own."""
    proposal = import_source("terraform", str(HCL / "default-group" / "plan.json"))
    assert [g["id"] for g in proposal["topology"]["security_groups"] if g.get("default")] == [
        "aws_default_security_group.Default"
    ]
    result = evaluate(load_proposal(proposal, finding_ids=kb.findings), kb, today=TODAY)
    assert {f["resource"] for f in result["findings"] if f["id"] == "sg-default-in-use"} == {
        "aws_instance.Web"
    }


def in_proposal(change: Any) -> dict[str, Any]:
    doc = base()
    change(doc)
    return doc


def groups_of(resource: str, groups: list[str]) -> Any:
    def change(doc: dict[str, Any]) -> None:
        next(r for r in doc["topology"]["resources"] if r["id"] == resource)["security_groups"] = groups

    return change


def add_group(group: dict[str, Any]) -> Any:
    return lambda doc: doc["topology"]["security_groups"].append(group)


PROPOSALS: list[tuple[str, Any, str | None]] = [
    ("a group with default: true", lambda d: (add_group({"id": "sg-0d", "vpc": "vpc-main", "default": True})(d),
                                              groups_of("app", ["sg-app", "sg-0d"])(d)), "app uses sg-0d,"),
    ("a group whose id is default", lambda d: (add_group({"id": "default", "vpc": "vpc-main"})(d),
                                               groups_of("app", ["default"])(d)), "app uses default,"),
    ("no security group listed", groups_of("db", []), "db lists no security group, so it gets"),
    ("default: false on a group named default", lambda d: (
        add_group({"id": "default", "vpc": "vpc-main", "default": False})(d), groups_of("app", ["default"])(d)), None),
    ("groups of their own", lambda d: None, None),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "words"), PROPOSALS, ids=[c for c, _, _ in PROPOSALS])
def test_default_group_in_a_proposal(case: str, change: Any, words: str | None, kb: Any) -> None:
    found = findings(in_proposal(change), kb)
    if words is None:
        assert "sg-default-in-use" not in found
        return
    finding = found["sg-default-in-use"]
    assert finding["severity"] == "low" and words in finding["message"]
    assert "vpc-main's default security group" in finding["message"]
