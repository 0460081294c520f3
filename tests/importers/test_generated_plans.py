"""Real Terraform plans: tests/importers/hcl/<case>/main.tf turned into plan.json by the local `terraform`
(scripts/generate-tf-plans; the JSON is committed, these tests never run terraform). Each case's
template.yaml describes the same infrastructure in CloudFormation: both give the same proposal, except
where AWS, CloudFormation and the Terraform provider really behave differently (DIFFERENCES, each asserted)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from recommender.evaluation import load_proposal
from recommender.importers import import_source, import_sources
from tests.importers.test_model import HCL, REGION, in_order

CASES = sorted(p.parent.name for p in HCL.glob("*/template.yaml"))
ALL_EGRESS = {"protocol": "all", "ports": "all", "destination": "0.0.0.0/0"}


def plan_of(case: str) -> dict[str, Any]:
    return import_source("terraform", str(HCL / case / "plan.json"))


def template_of(case: str) -> dict[str, Any]:
    """The template, deployed in the plan's region (a template does not say where it is deployed)."""
    return import_sources("cfn", [str(HCL / case / "template.yaml")], [REGION])


def notes(proposal: dict[str, Any], key: str) -> list[str]:
    """The import's assumptions or skipped elements without what only says where (file:line, aws_x.)."""
    return sorted(
        re.sub(r"\baws_[a-z0-9_]+\.", "", re.sub(r"^[^ ]+\.(yaml|json)(:\d+)?: ", "", note))
        .replace("a cloudformation source", "a source")
        .replace("a terraform source", "a source")
        for note in proposal["import"][key]
    )


def group(proposal: dict[str, Any], group_id: str) -> dict[str, Any]:
    return next(g for g in proposal["topology"]["security_groups"] if g["id"] == group_id)


def resource(proposal: dict[str, Any], resource_id: str) -> dict[str, Any]:
    return next(r for r in proposal["topology"]["resources"] if r["id"] == resource_id)


def no_default_egress(groups: list[str]) -> Any:
    """A group with no egress written: AWS gives it an allow-all egress rule, and CloudFormation keeps it;
    the Terraform provider removes it (aws_security_group: "Terraform will remove this default rule")."""

    def difference(from_template: dict[str, Any], from_plan: dict[str, Any]) -> None:
        for group_id in groups:
            assert group(from_template, group_id)["outbound"] == [ALL_EGRESS]
            assert group(from_plan, group_id)["outbound"] == []
            group(from_template, group_id)["outbound"] = []

    return difference


def provider_sends_publicly_accessible_false(databases: list[str]) -> Any:
    """PubliclyAccessible not written: CloudFormation leaves it to AWS, whose default in a VPC with an
    internet gateway is public; the Terraform provider always sends its own default, false."""

    def difference(from_template: dict[str, Any], from_plan: dict[str, Any]) -> None:
        for database in databases:
            assert resource(from_template, database)["publicly_accessible"] is True
            assert resource(from_plan, database)["publicly_accessible"] is False
            resource(from_template, database)["publicly_accessible"] = False

    return difference


DIFFERENCES: dict[str, list[Any]] = {
    "default-vpc": [provider_sends_publicly_accessible_false(["Db"])],
    "services": [no_default_egress(["Sg"])],
    "attachments": [no_default_egress(["Sg"])],
    "database-like": [no_default_egress(["Sg"])],
    "prefix-lists": [no_default_egress(["Sg", "Standalone"])],
}


def test_every_case_has_a_generated_plan() -> None:
    cases = sorted(p.parent.name for p in HCL.glob("*/main.tf"))
    assert set(CASES) <= set(cases) and len(cases) >= 9
    for case in cases:
        document = json.loads((HCL / case / "plan.json").read_text())
        assert (
            document["terraform_version"] and "resource_changes" in document and "configuration" in document
        )
        assert "timestamp" not in document  # the one value the script removes (it changes on every run)


@pytest.mark.parametrize("case", CASES)
def test_a_template_and_the_generated_plan_of_the_same_infrastructure_agree(case: str) -> None:
    from_template, from_plan = in_order(template_of(case)), in_order(plan_of(case))
    for difference in DIFFERENCES.get(case, []):
        difference(from_template, from_plan)
    assert from_template == from_plan
    assert notes(template_of(case), "skipped") == notes(plan_of(case), "skipped")
    load_proposal(plan_of(case))  # the importer's own output is a valid proposal


def test_the_documented_differences_are_said_in_the_import_notes() -> None:
    assert (
        "Db: PubliclyAccessible not set: AWS's default applies, its VPC default-vpc has an internet gateway: "
        "public" in notes(template_of("default-vpc"), "assumptions")
    )
    assert not any("PubliclyAccessible" in note for note in notes(plan_of("default-vpc"), "assumptions"))


def test_references_inside_attribute_blocks_are_resolved() -> None:
    """In a real plan, `ingress { security_groups = [aws_security_group.lb.id] }` has one expression for
    the whole `ingress` list and the group's id is missing from the planned block; the same for a route's
    gateway and a rule's prefix list."""
    web = plan_of("web")
    assert group(web, "aws_security_group.AppSg")["inbound"][0]["source"] == "aws_security_group.LbSg"
    assert next(s for s in web["topology"]["subnets"] if s["id"] == "aws_subnet.Public")["public"] is True
    prefix_lists = plan_of("prefix-lists")
    for group_id in ("aws_security_group.Sg", "aws_security_group.Standalone"):
        rules = group(prefix_lists, group_id)["inbound"]
        assert sorted(rule["source"] for rule in rules) == ["0.0.0.0/1", "128.0.0.0/1"]
