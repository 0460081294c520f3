"""Auto Scaling groups and load balancers: where real templates put their compute. Their listeners and
target groups give flows (internet -> load balancer -> targets -> databases) that the evaluator checks."""

from __future__ import annotations

from typing import Any

import pytest

from recommender.evaluation import evaluate, load_proposal
from recommender.importers import import_source, to_proposal
from tests.importers.test_model import HCL, REGION, in_order, plan

WEB = """Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Igw: {Type: AWS::EC2::InternetGateway}
  Attach: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}}
  PublicRt: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  Default: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref PublicRt, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}}
  Public: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24}}
  PublicAssoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref Public, RouteTableId: !Ref PublicRt}}
  Private: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24}}
  LbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: lb
      VpcId: !Ref Vpc
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}]
      SecurityGroupEgress: [{IpProtocol: "-1", CidrIp: 0.0.0.0/0}]
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: APP_PORT, ToPort: APP_PORT, SourceSecurityGroupId: !Ref LbSg}]
      SecurityGroupEgress: [{IpProtocol: "-1", CidrIp: 0.0.0.0/0}]
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      VpcId: !Ref Vpc
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref AppSg}]
      SecurityGroupEgress: [{IpProtocol: "-1", CidrIp: 0.0.0.0/0}]
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: {InstanceType: m7g.large, SecurityGroupIds: [!Ref AppSg]}
  Tg: {Type: AWS::ElasticLoadBalancingV2::TargetGroup, Properties: {Port: 8080, Protocol: HTTP, VpcId: !Ref Vpc}}
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: [!Ref Public], SecurityGroups: [!Ref LbSg]}
  Https:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 443
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref Tg}]
  Asg:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "1"
      MaxSize: "2"
      VPCZoneIdentifier: [!Ref Private]
      LaunchTemplate: {LaunchTemplateId: !Ref Lt, Version: !GetAtt Lt.LatestVersionNumber}
      TargetGroupARNs: [!Ref Tg]
  DbGroup: {Type: AWS::RDS::DBSubnetGroup, Properties: {DBSubnetGroupDescription: db, SubnetIds: [!Ref Private]}}
  Db:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: postgres, DBSubnetGroupName: !Ref DbGroup, VPCSecurityGroups: [!Ref DbSg],
                 PubliclyAccessible: false, BackupRetentionPeriod: 7}
"""


def flows(result: dict[str, Any]) -> dict[tuple[str, str, int], Any]:
    return {(f["from"], f["to"], f["port"]): f["reachable"] for f in result["flows"]}


def test_an_alb_and_an_auto_scaling_group_give_flows_that_are_checked(kb: Any) -> None:
    proposal = to_proposal("cfn", WEB.replace("APP_PORT", "8080"), "web.yaml")
    resources = {r["id"]: r for r in proposal["topology"]["resources"]}
    assert resources["Alb"]["type"] == "load_balancer" and resources["Alb"]["subnet"] == "Public"
    assert resources["Asg"] == {
        **resources["Asg"],
        "type": "ec2",
        "subnet": "Private",
        "security_groups": ["AppSg"],
    }
    assert proposal["choices"]["instance_type"] == "m7g.large"  # from the launch template
    result = evaluate(load_proposal(proposal), kb)
    assert flows(result) == {
        ("internet", "Alb", 443): True,
        ("Alb", "Asg", 8080): True,
        ("Asg", "Db", 5432): True,
    }


def test_a_target_port_the_instances_do_not_open_is_an_unreachable_flow(kb: Any) -> None:
    result = evaluate(load_proposal(to_proposal("cfn", WEB.replace("APP_PORT", "9000"), "web.yaml")), kb)
    assert flows(result)[("Alb", "Asg", 8080)] is False
    assert any(f["id"] == "flow-unreachable" for f in result["findings"])


def test_the_same_web_tier_as_a_terraform_plan_gives_the_same_proposal() -> None:
    from_cfn = in_order(to_proposal("cfn", WEB.replace("APP_PORT", "8080"), "web.yaml"), REGION)
    from_terraform = in_order(import_source("terraform", str(HCL / "web" / "plan.json")))
    # a template's route and association are resources of their own; the plan's route is a block
    assert from_cfn == from_terraform


def test_an_internal_load_balancer_gets_no_flow_from_the_internet() -> None:
    text = WEB.replace("APP_PORT", "8080").replace(
        "Properties: {Subnets: [!Ref Public]", "Properties: {Scheme: internal, Subnets: [!Ref Public]"
    )
    proposal = to_proposal("cfn", text, "web.yaml")
    assert not any(f["from"] == "internet" for f in proposal["topology"]["flows"])


CLASSIC = """Resources:
  Elb:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      AvailabilityZones: !GetAZs ""
      Listeners: [{LoadBalancerPort: "80", InstancePort: "8080", Protocol: HTTP}]
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 8080, ToPort: 8080,
           SourceSecurityGroupOwnerId: !GetAtt Elb.SourceSecurityGroup.OwnerAlias,
           SourceSecurityGroupName: !GetAtt Elb.SourceSecurityGroup.GroupName}
  Config: {Type: AWS::AutoScaling::LaunchConfiguration, Properties: {InstanceType: t3.small, SecurityGroups: [!Ref Web]}}
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {AvailabilityZones: !GetAZs "", LaunchConfigurationName: !Ref Config, LoadBalancerNames: [!Ref Elb],
                 MinSize: "1", MaxSize: "2"}
"""


def test_a_classic_elb_in_the_default_vpc_gets_elbs_group_and_its_instances_allow_it(kb: Any) -> None:
    proposal = to_proposal("cfn", CLASSIC, "classic.yaml")
    groups = {g["id"]: g for g in proposal["topology"]["security_groups"]}
    assert [(r["ports"], r["source"]) for r in groups["Elb-default-elb"]["inbound"]] == [("80", "0.0.0.0/0")]
    assert groups["Web"]["inbound"][0]["source"] == "Elb-default-elb"
    result = evaluate(load_proposal(proposal), kb)
    assert flows(result) == {("internet", "Elb", 80): True, ("Elb", "Group", 8080): True}
    assert "ELB's default_elb group (Elb-default-elb)" in "\n".join(proposal["import"]["assumptions"])


def test_an_auto_scaling_group_whose_groups_are_parameters_gets_no_unchecked_flows() -> None:
    text = "Parameters:\n  Groups: {Type: 'List<AWS::EC2::SecurityGroup::Id>'}\n" + CLASSIC.replace(
        "SecurityGroups: [!Ref Web]", "SecurityGroups: !Ref Groups"
    )
    proposal = to_proposal("cfn", text, "classic.yaml")
    assert [(f["from"], f["to"]) for f in proposal["topology"]["flows"]] == [("internet", "Elb")]
    assert "the security groups of Group are not all known" in "\n".join(proposal["import"]["assumptions"])


@pytest.mark.parametrize("kind", ["aws_lb", "aws_alb"])
def test_terraform_load_balancers_of_both_names_are_read(kind: str) -> None:
    document = plan(
        ("aws_security_group", "Sg", {"ingress": [], "egress": []}),
        (kind, "Lb", {"internal": True, "security_groups": ["Sg"]}),
    )
    resources = to_proposal("terraform", document, "plan.json")["topology"]["resources"]
    assert [(r["id"], r["type"], r["subnet"]) for r in resources] == [
        (f"{kind}.Lb", "load_balancer", "default-vpc-subnet")
    ]


def test_terraform_attachments_rules_classic_elbs_and_launch_configurations() -> None:
    """Targets registered by attachment resources and a listener rule (hcl/attachments/main.tf)."""
    proposal = import_source("terraform", str(HCL / "attachments" / "plan.json"))
    found = {
        (f["from"].rsplit(".", 1)[-1], f["to"].rsplit(".", 1)[-1], f["port"])
        for f in proposal["topology"]["flows"]
    }
    assert found == {
        ("internet", "Classic", 80), ("Classic", "Web", 8080),  # the classic ELB is internet-facing
        ("Alb", "Workers", 9000), ("Alb", "Web", 9001),  # internal: no flow from the internet
    }  # fmt: skip
    workers = next(r for r in proposal["topology"]["resources"] if r["id"] == "aws_autoscaling_group.Workers")
    assert workers["security_groups"] == ["aws_security_group.Sg"]  # from its launch configuration
