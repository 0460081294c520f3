"""One importer model: the same infrastructure written as a CloudFormation template, as a Terraform plan
and as a live account gives the same proposal; AWS's defaults (default VPC, PubliclyAccessible, backup
retention) are applied in one place, and said so in `import.assumptions`."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recommender.evaluation import evaluate, load_proposal
from recommender.importers import import_source, import_sources, to_proposal
from recommender.importers.model import DEFAULT_SUBNET, DEFAULT_VPC

HCL = (
    Path(__file__).resolve().parent / "hcl"
)  # Terraform plans generated from HCL (scripts/generate-tf-plans)
REGION = "eu-central-1"  # the provider's region in hcl/provider.tf


@contextlib.contextmanager
def mocked_aws(region: str) -> Iterator[Any]:
    """A boto3 session in `region` on moto's mock of AWS: throwaway credentials, no profile, no network."""
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with pytest.MonkeyPatch.context() as monkeypatch, moto.mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.setenv(name, "testing")
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        yield boto3.Session(region_name=region)


def plan(*resources: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    """A `terraform show -json` document: each resource's known `id` is its name, so references by id
    become addresses (as they do for resources that already exist)."""
    items = [
        {
            "address": f"{kind}.{name}",
            "mode": "managed",
            "type": kind,
            "name": name,
            "values": {"id": name, **values},
        }
        for kind, name, values in resources
    ]
    return {"format_version": "1.2", "planned_values": {"root_module": {"resources": items}}}


def comparable(proposal: dict[str, Any]) -> dict[str, Any]:
    """Topology and choices with origins dropped and Terraform addresses (aws_x.Name) shortened to Name."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k != "origin"}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            return re.sub(r"^aws_[a-z0-9_]+\.", "", value)
        return value

    return clean({"topology": proposal["topology"], "choices": proposal.get("choices", {})})


def with_names(value: Any, names: dict[str, str]) -> Any:
    """A live account's proposal with its AWS ids (vpc-..., sg-...) replaced by the names a template or a plan
    gives the same elements, and the `account` fields dropped."""
    if isinstance(value, dict):
        return {k: with_names(v, names) for k, v in value.items() if k != "account"}
    if isinstance(value, list):
        return [with_names(v, names) for v in value]
    return names.get(value, value)


def in_order(proposal: dict[str, Any], region: str | None = None) -> dict[str, Any]:
    """comparable(), with each list of the topology in one order (a plan lists resources by address, a
    template in the order they are written); region: set on the VPCs (a template does not say it)."""
    result = comparable(proposal)
    if region:
        result["topology"]["vpcs"] = [{**vpc, "region": region} for vpc in result["topology"]["vpcs"]]
    for key, items in result["topology"].items():
        result["topology"][key] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return result


def skipped(proposal: dict[str, Any]) -> str:
    return "\n".join(proposal["import"]["skipped"])


def assumptions(proposal: dict[str, Any]) -> str:
    return "\n".join(proposal["import"]["assumptions"])


DEFAULT_VPC_TEMPLATE = """Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]
      SecurityGroupEgress: [{IpProtocol: "-1", CidrIp: 0.0.0.0/0}]
  App: {Type: AWS::EC2::Instance, Properties: {InstanceType: t3.micro, SecurityGroupIds: [!Ref Web]}}
  Db:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql, PubliclyAccessible: false, BackupRetentionPeriod: 7, VPCSecurityGroups: [!Ref Web]}
"""

VPC_TEMPLATE = """Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Igw: {Type: AWS::EC2::InternetGateway}
  Attach: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}}
  A: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24}}
  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/24}}
  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x, VpcId: !Ref Vpc, SecurityGroupEgress: []}}
  Group: {Type: AWS::RDS::DBSubnetGroup, Properties: {DBSubnetGroupDescription: x, SubnetIds: [!Ref A, !Ref B]}}
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties: {Engine: aurora-postgresql, DBSubnetGroupName: !Ref Group, VpcSecurityGroupIds: [!Ref Sg],
                 BackupRetentionPeriod: 7}
  Member: {Type: AWS::RDS::DBInstance, Properties: {DBClusterIdentifier: !Ref Cluster, Engine: aurora-postgresql}}
  Stray: {Type: AWS::RDS::DBInstance, Properties: {DBClusterIdentifier: other-cluster, Engine: aurora-mysql}}
  Svc:
    Type: AWS::ECS::Service
    Properties:
      CapacityProviderStrategy: [{CapacityProvider: FARGATE_SPOT}]
      NetworkConfiguration: {AwsvpcConfiguration: {Subnets: [!Ref A], SecurityGroups: [!Ref Sg]}}
  Eks: {Type: AWS::EKS::Cluster, Properties: {ResourcesVpcConfig: {SubnetIds: [!Ref B], SecurityGroupIds: [!Ref Sg]}}}
  Nodes: {Type: AWS::EKS::Nodegroup, Properties: {InstanceTypes: [m5.large]}}
  Fn: {Type: AWS::Lambda::Function, Properties: {VpcConfig: {SubnetIds: [!Ref A], SecurityGroupIds: [!Ref Sg]}}}
  Outside: {Type: AWS::Lambda::Function, Properties: {}}
  Plan: {Type: AWS::Backup::BackupPlan, Properties: {}}
  Selection: {Type: AWS::Backup::BackupSelection, Properties: {}}
  Snapshots: {Type: AWS::DLM::LifecyclePolicy, Properties: {State: ENABLED}}
"""


def test_a_template_and_a_plan_of_the_same_infrastructure_give_the_same_proposal() -> None:
    """The same for Terraform plans generated from HCL: tests/importers/test_generated_plans.py (every case
    under tests/importers/hcl); here the two proposals are also valid ones."""
    for case in ("default-vpc", "services"):
        load_proposal(import_sources("cfn", [str(HCL / case / "template.yaml")]))
        load_proposal(import_source("terraform", str(HCL / case / "plan.json")))


def test_what_each_resource_kind_becomes() -> None:
    proposal = to_proposal("cfn", VPC_TEMPLATE, "stack.yaml")
    resources = {r["id"]: r for r in comparable(proposal)["topology"]["resources"]}
    assert resources["Cluster"] == {"id": "Cluster", "type": "rds", "engine": "aurora-postgresql", "port": 5432,
                                    "subnet": "A", "security_groups": ["Sg"], "publicly_accessible": False,
                                    "stateful": True}  # fmt: skip
    assert resources["Svc"]["type"] == "ecs_service" and resources["Eks"]["type"] == "eks_pod"
    assert resources["Fn"] == {"id": "Fn", "type": "lambda", "subnet": "A", "security_groups": ["Sg"]}
    assert "Outside" not in resources and "Member" not in resources and "Stray" not in resources
    # ECS (FARGATE_SPOT: fargate) and EKS with a nodegroup (ec2): several of each, so neither is chosen
    assert "orchestrator" not in proposal["choices"] and "launch_type" not in proposal["choices"]
    assert "orchestrator is not set in choices: the source uses several (ecs, eks)" in assumptions(proposal)
    assert "launch_type is not set in choices: the source uses several (ec2, fargate)" in assumptions(
        proposal
    )
    assert proposal["choices"]["instance_type"] == "m5.large"
    assert set(proposal["choices"]["backup"]) == {"aws_backup", "ebs_snapshots", "rds_automated_backups"}
    # the intended behaviour of both importers: a member of a cluster outside the source is not evaluated
    assert "Stray: instance of cluster other-cluster, which is not part of this source" in skipped(proposal)
    assert "Member: instance of cluster Cluster, evaluated as part of it" in skipped(proposal)


def test_without_a_vpc_the_default_vpc_is_an_explicit_assumption(kb: Any) -> None:
    proposal = to_proposal(
        "cfn", DEFAULT_VPC_TEMPLATE.replace("PubliclyAccessible: false, ", ""), "stack.yaml"
    )
    topology = proposal["topology"]
    assert {"id": DEFAULT_VPC, "cidr": "172.31.0.0/16"} in topology["vpcs"]
    assert {"id": DEFAULT_SUBNET, "vpc": DEFAULT_VPC, "cidr": "172.31.0.0/20", "public": True} in topology[
        "subnets"
    ]
    assert topology["security_groups"][0]["vpc"] == DEFAULT_VPC
    resources = {r["id"]: r for r in topology["resources"]}
    assert resources["App"]["subnet"] == resources["Db"]["subnet"] == DEFAULT_SUBNET
    # no DB subnet group and no PubliclyAccessible in a default VPC with an internet gateway: public
    assert resources["Db"]["publicly_accessible"] is True
    text = assumptions(proposal)
    assert (
        "stack.yaml:2: Web: its VPC or subnet is not given or not known: the Region's default VPC is assumed"
        in text
    )
    assert (
        "Db: PubliclyAccessible not set: AWS's default applies, its VPC default-vpc has an internet gateway"
        in text
    )
    found = {f["id"] for f in evaluate(load_proposal(proposal), kb)["findings"]}
    assert {"sg-open-admin-port", "db-publicly-accessible"} <= found


@pytest.mark.parametrize(
    ("change", "public", "why"),
    [
        ("", True, "its VPC Vpc has an internet gateway: public"),
        ("  Attach: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref Vpc}}\n", False,
         "its VPC Vpc has no internet gateway: private"),
    ],
)  # fmt: skip
def test_publicly_accessible_not_set_follows_aws_default_for_the_subnet_groups_vpc(
    change: str, public: bool, why: str
) -> None:
    template = VPC_TEMPLATE.replace(
        "Engine: aurora-postgresql, DBSubnetGroupName", "Engine: postgres, DBSubnetGroupName"
    )
    if change:
        template = re.sub(r"  Attach: .*\n", change, template)
    proposal = to_proposal("cfn", template, "stack.yaml")
    cluster = next(r for r in proposal["topology"]["resources"] if r["id"] == "Cluster")
    assert cluster["publicly_accessible"] is public
    assert why in assumptions(proposal)


def test_aurora_is_private_unless_an_instance_says_otherwise() -> None:
    proposal = to_proposal("cfn", VPC_TEMPLATE, "stack.yaml")
    assert (
        next(r for r in proposal["topology"]["resources"] if r["id"] == "Cluster")["publicly_accessible"]
        is False
    )
    public = VPC_TEMPLATE.replace(
        "DBClusterIdentifier: !Ref Cluster,", "DBClusterIdentifier: !Ref Cluster, PubliclyAccessible: true,"
    )
    proposal = to_proposal("cfn", public, "stack.yaml")
    assert (
        next(r for r in proposal["topology"]["resources"] if r["id"] == "Cluster")["publicly_accessible"]
        is True
    )


def test_terraform_sends_its_providers_default_so_publicly_accessible_is_always_known() -> None:
    proposal = import_source("terraform", str(HCL / "default-vpc" / "plan.json"))  # Db does not set it
    database = next(r for r in proposal["topology"]["resources"] if r["id"] == "aws_db_instance.Db")
    assert database["publicly_accessible"] is False
    assert "PubliclyAccessible not set" not in assumptions(proposal)


def test_a_subnet_known_only_at_deploy_time_is_placed_in_the_default_vpc_and_said_so() -> None:
    template = """Parameters:
  Subnet: {Type: AWS::EC2::Subnet::Id}
Resources:
  App: {Type: AWS::EC2::Instance, Properties: {InstanceType: t3.micro, SubnetId: !Ref Subnet}}
  Other: {Type: AWS::EC2::Instance, Properties: {InstanceType: t3.micro, SubnetId: subnet-0abc}}
"""
    proposal = to_proposal("cfn", template, "stack.yaml")
    assert [r["subnet"] for r in proposal["topology"]["resources"]] == [DEFAULT_SUBNET, DEFAULT_SUBNET]
    text = assumptions(proposal)
    assert "App.SubnetId left out: parameter Subnet has no Default" in text
    assert "Other: subnet subnet-0abc is not part of this source, so: its VPC or subnet" in text
    load_proposal(proposal)


def test_a_security_group_defined_elsewhere_keeps_the_rules_the_source_adds(kb: Any) -> None:
    template = """Resources:
  App: {Type: AWS::EC2::Instance, Properties: {InstanceType: t3.micro, SecurityGroupIds: [sg-0123]}}
  Ssh:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: sg-0123, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
  Db: {Type: AWS::RDS::DBInstance, Properties: {Engine: mysql, VPCSecurityGroups: [sg-0db], PubliclyAccessible: false}}
"""
    proposal = to_proposal("cfn", template, "stack.yaml")
    groups = {g["id"]: g for g in proposal["topology"]["security_groups"]}
    assert groups["sg-0123"]["inbound"][0]["source"] == "0.0.0.0/0" and "outbound" not in groups["sg-0123"]
    assert "flows" not in proposal["topology"]  # the groups' other rules are unknown: nothing to check
    assert "security group sg-0db is not part of this source" in assumptions(proposal)
    found = {(f["id"], f["resource"]) for f in evaluate(load_proposal(proposal), kb)["findings"]}
    assert ("sg-open-admin-port", "sg-0123") in found


@pytest.mark.parametrize("source", ["cfn", "terraform"])
def test_a_database_without_backups_is_a_finding_even_when_another_has_them(source: str, kb: Any) -> None:
    if source == "cfn":
        text = """Resources:
  Kept: {Type: AWS::RDS::DBInstance, Properties: {Engine: mysql, PubliclyAccessible: false, BackupRetentionPeriod: 7}}
  Lost: {Type: AWS::RDS::DBInstance, Properties: {Engine: mysql, PubliclyAccessible: false, BackupRetentionPeriod: 0}}
"""
        proposal, lost = to_proposal("cfn", text, "stack.yaml"), "Lost"
    else:  # Db keeps 7 days, NoBackups sets 0
        proposal = import_source("terraform", str(HCL / "default-vpc" / "plan.json"))
        lost = "aws_db_instance.NoBackups"
    assert proposal["choices"]["backup"] == ["rds_automated_backups"]
    missing = {
        f["resource"]
        for f in evaluate(load_proposal(proposal), kb)["findings"]
        if f["id"] == "backup-missing"
    }
    assert missing == {lost}


NETWORK_TEMPLATE = """Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Other: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}
  Igw: {Type: AWS::EC2::InternetGateway}
  IgwAttach: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}}
  Sn: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24}}
  OtherSn: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Other, CidrBlock: 10.1.1.0/24}}
  Rt: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  ToWorld: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref Rt, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}}
  ToOther: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref Rt, DestinationCidrBlock: 10.1.0.0/16, TransitGatewayId: !Ref Tgw}}
  Assoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref Sn, RouteTableId: !Ref Rt}}
  OtherRt: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Other}}
  Back: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref OtherRt, DestinationCidrBlock: 10.0.0.0/16, TransitGatewayId: !Ref Tgw}}
  OtherAssoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref OtherSn, RouteTableId: !Ref OtherRt}}
  Tgw: {Type: AWS::EC2::TransitGateway}
  AttA: {Type: AWS::EC2::TransitGatewayVpcAttachment, Properties: {TransitGatewayId: !Ref Tgw, VpcId: !Ref Vpc, SubnetIds: [!Ref Sn]}}
  AttB: {Type: AWS::EC2::TransitGatewayVpcAttachment, Properties: {TransitGatewayId: !Ref Tgw, VpcId: !Ref Other, SubnetIds: [!Ref OtherSn]}}
  Vpn: {Type: AWS::EC2::VPNConnection, Properties: {VpnGatewayId: !Ref Vgw, CustomerGatewayId: !Ref Cgw, Type: ipsec.1}}
  Vgw: {Type: AWS::EC2::VPNGateway, Properties: {Type: ipsec.1}}
  VgwAttach: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref Vpc, VpnGatewayId: !Ref Vgw}}
  Cgw: {Type: AWS::EC2::CustomerGateway, Properties: {Type: ipsec.1, IpAddress: 203.0.113.1, BgpAsn: 65000}}
  VpnRoute: {Type: AWS::EC2::VPNConnectionRoute, Properties: {VpnConnectionId: !Ref Vpn, DestinationCidrBlock: 192.168.0.0/16}}
  Acl: {Type: AWS::EC2::NetworkAcl, Properties: {VpcId: !Ref Vpc}}
  AclIn:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 6, RuleAction: allow, Egress: false,
                 CidrBlock: 0.0.0.0/0, PortRange: {From: 443, To: 443}}
  AclAssoc: {Type: AWS::EC2::SubnetNetworkAclAssociation, Properties: {SubnetId: !Ref Sn, NetworkAclId: !Ref Acl}}
  Cluster: {Type: AWS::ECS::Cluster}
  Profile: {Type: AWS::EKS::FargateProfile, Properties: {}}
"""


def test_network_links_acls_and_vpns_read_the_same_from_a_template_and_a_plan() -> None:
    from_cfn = to_proposal("cfn", NETWORK_TEMPLATE, "stack.yaml")
    from_terraform = import_source("terraform", str(HCL / "network-links" / "plan.json"))
    from_generated_case = import_sources("cfn", [str(HCL / "network-links" / "template.yaml")])
    assert comparable(from_cfn) == comparable(from_generated_case)  # the template of the generated plan
    # the same as the plan's but for the order (a plan lists resources by address) and the region
    assert in_order(from_generated_case, REGION) == in_order(from_terraform)
    topology = comparable(from_cfn)["topology"]
    assert topology["transit_gateways"] == [{"id": "Tgw", "attachments": ["Vpc", "Other"], "routes": True}]
    assert topology["vpns"] == [{"id": "Vpn", "vpc": "Vpc", "on_premises_cidr": "192.168.0.0/16"}]
    assert topology["network_acls"][0]["inbound"] == [
        {"rule": 100, "protocol": "tcp", "ports": "443", "source": "0.0.0.0/0", "action": "allow"}
    ]
    assert [s["public"] for s in topology["subnets"]] == [True, False]
    assert comparable(from_cfn)["choices"] == {
        "orchestrator": "ecs",
        "launch_type": "fargate",
        "connectivity": "transit_gateway",
    }


def test_a_vpc_given_as_a_parameter_gets_the_block_of_its_subnets_and_esp_rules_are_skipped() -> None:
    template = """Parameters:
  VpcId: {Type: AWS::EC2::VPC::Id}
Resources:
  A: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-0abc, CidrBlock: 10.8.1.0/24}}
  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-0abc, CidrBlock: 10.8.2.0/24}}
  Lost: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref VpcId, CidrBlock: 10.9.1.0/24}}
  Vpn:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ipsec
      VpcId: vpc-0abc
      SecurityGroupIngress:
        - {IpProtocol: "50", CidrIp: 203.0.113.0/24}
        - {IpProtocol: udp, FromPort: 500, ToPort: 500, CidrIp: 203.0.113.0/24}
  App: {Type: AWS::EC2::Instance, Properties: {InstanceType: t3.micro, SubnetId: !Ref Lost, SecurityGroupIds: [!Ref Vpn]}}
"""
    proposal = to_proposal("cfn", template, "stack.yaml")
    topology = proposal["topology"]
    assert {"id": "vpc-0abc", "cidr": "10.8.0.0/22"} in topology["vpcs"]  # holds 10.8.1.0/24 and 10.8.2.0/24
    assert [s["id"] for s in topology["subnets"]] == ["A", "B"]
    assert "subnet Lost: its vpc not known: left out" in skipped(proposal)
    assert topology["security_groups"][0]["inbound"] == [
        {
            "protocol": "udp",
            "ports": "500",
            "source": "203.0.113.0/24",
            "origin": topology["security_groups"][0]["inbound"][0]["origin"],
        }
    ]
    assert "a rule for IP protocol 50 left out: not modelled" in skipped(proposal)
    app = next(r for r in topology["resources"] if r["id"] == "App")
    assert app["subnet"] == "A"  # a subnet of its security group's VPC, said so
    assert "App: subnet Lost is not part of this source: placed in A, a subnet of vpc-0abc (the VPC of its " \
           "security groups)" in assumptions(proposal)  # fmt: skip
    load_proposal(proposal)
