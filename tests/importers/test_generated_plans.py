"""Real Terraform plans: tests/importers/hcl/<case>/main.tf turned into plan.json by the local `terraform`
(scripts/generate-tf-plans; the JSON is committed, these tests never run terraform). Each case's
template.yaml describes the same infrastructure in CloudFormation: both give the same proposal, except
where AWS, CloudFormation and the Terraform provider really behave differently (DIFFERENCES, each asserted)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from recommender.evaluation import load_proposal
from recommender.importers import import_aws, import_source, import_sources
from tests.importers.test_model import HCL, REGION, in_order, mocked_aws, with_names

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
    "rds": [provider_sends_publicly_accessible_false(["Primary"])],
}


def test_every_case_has_a_generated_plan() -> None:
    cases = sorted(p.parent.name for p in HCL.glob("*/main.tf"))
    assert set(CASES) <= set(cases) and len(cases) >= 11
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


def test_a_read_replica_names_its_source_by_identifier() -> None:
    """replicate_source_db = aws_db_instance.Primary.identifier: a known name, not the id, in the plan."""
    proposal = plan_of("rds")
    replica = resource(proposal, "aws_db_instance.Replica")
    assert replica["subnet"] == resource(proposal, "aws_db_instance.Primary")["subnet"] == "aws_subnet.A"
    assert (
        "aws_db_instance.Replica: read replica of aws_db_instance.Primary, placed in its source's subnet group"
        in proposal["import"]["assumptions"]
    )


@pytest.fixture(scope="module")
def rds_account() -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """hcl/rds/main.tf created in moto's mock of AWS through the API: (the imported account, its ids ->
    the plan's names)."""
    with mocked_aws(REGION) as session:
        ec2, rds = session.client("ec2"), session.client("rds")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{REGION}{zone}")[
                "Subnet"
            ]["SubnetId"]
            for n, zone in ((1, "a"), (2, "b"))
        ]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnets[0])
        group = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])  # fmt: skip
        rds.create_db_subnet_group(
            DBSubnetGroupName="group", DBSubnetGroupDescription="group", SubnetIds=subnets
        )
        common = {"MasterUsername": "admin", "MasterUserPassword": "not-a-secret-1", "DBSubnetGroupName": "group",
                  "VpcSecurityGroupIds": [group]}  # fmt: skip
        # publicly_accessible not written in main.tf: the provider sends false, so the account is given false
        rds.create_db_instance(DBInstanceIdentifier="primary", Engine="postgres", DBInstanceClass="db.t4g.medium",
                               AllocatedStorage=20, BackupRetentionPeriod=7, PubliclyAccessible=False, **common)  # fmt: skip
        rds.create_db_instance_read_replica(DBInstanceIdentifier="replica", SourceDBInstanceIdentifier="primary",
            DBInstanceClass="db.t4g.medium", VpcSecurityGroupIds=[group], PubliclyAccessible=False)  # fmt: skip
        rds.create_db_instance(DBInstanceIdentifier="lost", Engine="mysql", DBInstanceClass="db.t3.micro",
            AllocatedStorage=20, PubliclyAccessible=True, BackupRetentionPeriod=0, **common)  # fmt: skip
        rds.create_db_cluster(
            DBClusterIdentifier="aurora", Engine="aurora-mysql", BackupRetentionPeriod=1, **common
        )
        rds.create_db_instance(DBInstanceIdentifier="writer", DBClusterIdentifier="aurora", Engine="aurora-mysql",
                               DBInstanceClass="db.r6g.large", PubliclyAccessible=True)  # fmt: skip
        names = {vpc: "Vpc", subnets[0]: "A", subnets[1]: "B", group: "Db", "primary": "Primary",
                 "replica": "Replica", "lost": "Lost", "aurora": "Aurora"}  # fmt: skip
        yield import_aws(session, REGION), names


def test_the_live_account_agrees_with_the_generated_plan(
    rds_account: tuple[dict[str, Any], dict[str, str]],
) -> None:
    account, names = rds_account

    def kept(proposal: dict[str, Any]) -> dict[str, Any]:
        """What both describe: the account also has moto's default VPC, and each VPC's default group,
        main route table and default network ACL."""
        topology = proposal["topology"]
        known = set(names.values())
        return {
            key: [item for item in topology.get(key, []) if item.get("id") in known]
            for key in ("vpcs", "subnets", "security_groups", "resources")
        } | {"choices": proposal["choices"]}

    from_account = kept(in_order(with_names(account, names)))
    from_plan = kept(in_order(plan_of("rds")))
    # a live replica has its source's engine and port; the plan, like a template, does not state them
    replica = next(r for r in from_account["resources"] if r["id"] == "Replica")
    assert (replica.pop("engine"), replica.pop("port")) == ("postgres", 5432)
    assert from_account == from_plan


def test_a_counted_child_module_is_read_through_its_inputs_and_outputs() -> None:
    """hcl/modules: module.network[0] gets its CIDR from an input; the root uses its outputs."""
    proposal = plan_of("modules")
    topology = proposal["topology"]
    vpc, subnet = "module.network.0.aws_vpc.this", "module.network.0.aws_subnet.this"
    assert [(v["id"], v["cidr"]) for v in topology["vpcs"]] == [(vpc, "10.4.0.0/16")]
    assert [(s["id"], s["vpc"], s["cidr"]) for s in topology["subnets"]] == [(subnet, vpc, "10.4.1.0/24")]
    assert resource(proposal, "aws_instance.App")["subnet"] == subnet
    assert {g["id"]: g["vpc"] for g in topology["security_groups"]}["aws_security_group.App"] == vpc
    # egress { security_groups = [module.network[0].db_group_id] }: a module output inside a block
    assert [
        (r["ports"], r["destination"]) for r in group(proposal, "aws_security_group.App")["outbound"]
    ] == [("5432", "module.network.0.aws_security_group.db")]
    assert [
        (r["ports"], r["source"])
        for r in group(proposal, "module.network.0.aws_security_group.db")["inbound"]
    ] == [("5432", "module.network.0.aws_security_group.lb")]


def test_blocks_whose_references_cannot_be_told_apart_are_left_out_and_said_so() -> None:
    proposal = plan_of("modules")
    assert group(proposal, "module.network.0.aws_security_group.cache")["inbound"] == []
    assert (
        "module.network[0].aws_security_group.cache.ingress: several blocks have a security_groups known only "
        "after apply (aws_security_group.db, aws_security_group.lb), which cannot be told apart in the plan: "
        "left out" in proposal["import"]["assumptions"]
    )
