"""The live-account importer against moto's mock of AWS: real boto3 calls, no network."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from recommender.errors import InputError
from recommender.importers import import_aws
from recommender.importers.aws import default_session
from tests.importers.test_model import mocked_aws

pytest.importorskip("boto3")
pytest.importorskip("moto")

REGION = "eu-central-1"


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, Any]]:
    """Two VPCs peered with routes on both sides; an app server; a public MySQL without backups."""
    with mocked_aws(REGION) as session:
        ec2, rds = session.client("ec2"), session.client("rds")
        app_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        data_vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
        app_subnet = ec2.create_subnet(VpcId=app_vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
        data_subnets = [
            ec2.create_subnet(VpcId=data_vpc, CidrBlock=f"10.2.{n}.0/24", AvailabilityZone=f"{REGION}{zone}")[
                "Subnet"
            ]["SubnetId"]
            for n, zone in ((1, "a"), (2, "b"))
        ]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=data_vpc)
        peering = ec2.create_vpc_peering_connection(VpcId=app_vpc, PeerVpcId=data_vpc)["VpcPeeringConnection"]
        peering_id = peering["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peering_id)
        app_routes = ec2.create_route_table(VpcId=app_vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(
            RouteTableId=app_routes, DestinationCidrBlock="10.2.0.0/16", VpcPeeringConnectionId=peering_id
        )
        ec2.associate_route_table(RouteTableId=app_routes, SubnetId=app_subnet)
        data_routes = ec2.create_route_table(VpcId=data_vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(
            RouteTableId=data_routes, DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=peering_id
        )
        ec2.create_route(RouteTableId=data_routes, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        ec2.associate_route_table(RouteTableId=data_routes, SubnetId=data_subnets[0])
        app_sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=app_vpc)["GroupId"]
        db_sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=data_vpc)["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=db_sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 3306,
                    "ToPort": 3306,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                },
                {
                    "IpProtocol": "tcp",
                    "FromPort": 3306,
                    "ToPort": 3306,
                    "UserIdGroupPairs": [{"GroupId": app_sg}],
                },
            ],
        )
        instance = ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="c6g.large",
            SubnetId=app_subnet, SecurityGroupIds=[app_sg],
        )["Instances"][0]["InstanceId"]  # fmt: skip
        rds.create_db_subnet_group(
            DBSubnetGroupName="data", DBSubnetGroupDescription="data", SubnetIds=data_subnets
        )
        rds.create_db_instance(
            DBInstanceIdentifier="orders", Engine="mysql", DBInstanceClass="db.t3.micro",
            DBSubnetGroupName="data", VpcSecurityGroupIds=[db_sg], PubliclyAccessible=True,
            BackupRetentionPeriod=0, MasterUsername="admin", MasterUserPassword="not-a-secret-1",
        )  # fmt: skip
        yield {
            "session": session, "app_vpc": app_vpc, "data_vpc": data_vpc, "app_subnet": app_subnet,
            "data_subnets": data_subnets, "peering": peering_id, "app_sg": app_sg, "db_sg": db_sg,
            "instance": instance,
        }  # fmt: skip


def test_account_is_imported_with_its_own_ids(account: dict[str, Any]) -> None:
    proposal = import_aws(account["session"], REGION)
    topology = proposal["topology"]
    vpcs = {vpc["id"]: vpc for vpc in topology["vpcs"]}
    assert vpcs[account["app_vpc"]]["cidr"] == "10.1.0.0/16"
    assert vpcs[account["app_vpc"]]["region"] == REGION
    assert vpcs[account["app_vpc"]]["origin"]["logical_id"].startswith(f"arn:aws:ec2:{REGION}:")
    subnets = {subnet["id"]: subnet for subnet in topology["subnets"]}
    assert subnets[account["data_subnets"][0]]["public"] is True  # default route to the internet gateway
    assert subnets[account["data_subnets"][1]]["public"] is False
    peering = next(p for p in topology["peerings"] if p["id"] == account["peering"])
    assert sorted(peering["vpcs"]) == sorted([account["app_vpc"], account["data_vpc"]])
    assert peering["routes"] is True
    groups = {group["id"]: group for group in topology["security_groups"]}
    assert {rule["source"] for rule in groups[account["db_sg"]]["inbound"]} == {
        "0.0.0.0/0",
        account["app_sg"],
    }
    resources = {resource["id"]: resource for resource in topology["resources"]}
    database = resources["orders"]
    assert (database["engine"], database["port"], database["publicly_accessible"]) == ("mysql", 3306, True)
    assert database["subnet"] == account["data_subnets"][0]  # of its subnet group, the public one
    assert resources[account["instance"]]["security_groups"] == [account["app_sg"]]
    assert {"from": account["instance"], "to": "orders", "port": 3306} in topology["flows"]
    assert proposal["choices"]["instance_type"] == "c6g.large"
    assert "backup" not in proposal["choices"]  # retention 0: no automated backups


def test_a_client_factory_works_as_well_as_a_session(account: dict[str, Any]) -> None:
    session = account["session"]
    assert import_aws(session.client, REGION) == import_aws(session, REGION)


def test_imported_account_evaluates(account: dict[str, Any], kb: Any) -> None:
    from tests.importers.test_import import evaluated

    result = evaluated(import_aws(account["session"], REGION), kb)
    ids = {(finding["id"], finding["resource"]) for finding in result["findings"]}
    assert {
        ("sg-open-database-port", account["db_sg"]),
        ("db-publicly-accessible", "orders"),
        ("db-in-public-subnet", "orders"),
        ("backup-missing", "orders"),
    } <= ids
    flow = next(f for f in result["flows"] if f["from"] == account["instance"])
    assert flow["reachable"] is True


def test_missing_boto3_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(InputError, match="needs boto3"):
        default_session()


ACCOUNT_AS_TEMPLATE = """Resources:
  AppVpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}
  DataVpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.2.0.0/16}}
  AppSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref AppVpc, CidrBlock: 10.1.1.0/24}}
  DataSubnetA: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref DataVpc, CidrBlock: 10.2.1.0/24}}
  DataSubnetB: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref DataVpc, CidrBlock: 10.2.2.0/24}}
  Igw: {Type: AWS::EC2::InternetGateway}
  Attach: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref DataVpc, InternetGatewayId: !Ref Igw}}
  Peering: {Type: AWS::EC2::VPCPeeringConnection, Properties: {VpcId: !Ref AppVpc, PeerVpcId: !Ref DataVpc}}
  AppRoutes: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref AppVpc}}
  AppToData:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref AppRoutes, DestinationCidrBlock: 10.2.0.0/16, VpcPeeringConnectionId: !Ref Peering}
  AppAssoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref AppSubnet, RouteTableId: !Ref AppRoutes}}
  DataRoutes: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref DataVpc}}
  DataToApp:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref DataRoutes, DestinationCidrBlock: 10.1.0.0/16, VpcPeeringConnectionId: !Ref Peering}
  DataDefault: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref DataRoutes, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}}
  DataAssoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref DataSubnetA, RouteTableId: !Ref DataRoutes}}
  AppSg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: app, VpcId: !Ref AppVpc}}
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      VpcId: !Ref DataVpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 3306, ToPort: 3306, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 3306, ToPort: 3306, SourceSecurityGroupId: !Ref AppSg}
  Instance:
    Type: AWS::EC2::Instance
    Properties: {InstanceType: c6g.large, SubnetId: !Ref AppSubnet, SecurityGroupIds: [!Ref AppSg]}
  Data: {Type: AWS::RDS::DBSubnetGroup, Properties: {DBSubnetGroupDescription: data, SubnetIds: [!Ref DataSubnetA, !Ref DataSubnetB]}}
  orders:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql, DBSubnetGroupName: !Ref Data, VPCSecurityGroups: [!Ref DbSg], PubliclyAccessible: true,
                 BackupRetentionPeriod: 0}
"""


def test_the_account_and_the_same_infrastructure_as_a_template_give_the_same_proposal(
    account: dict[str, Any],
) -> None:
    from recommender.importers import to_proposal
    from tests.importers.test_model import comparable, with_names

    names = {
        account["app_vpc"]: "AppVpc", account["data_vpc"]: "DataVpc", account["app_subnet"]: "AppSubnet",
        account["data_subnets"][0]: "DataSubnetA", account["data_subnets"][1]: "DataSubnetB",
        account["peering"]: "Peering", account["app_sg"]: "AppSg", account["db_sg"]: "DbSg",
        account["instance"]: "Instance",
    }  # fmt: skip

    def kept(proposal: dict[str, Any]) -> dict[str, Any]:
        """What both describe: the account also has moto's default VPC, default groups and default ACLs."""
        topology = proposal["topology"]
        known = set(names.values()) | {"orders"}
        return {
            key: sorted(
                (item for item in topology.get(key, []) if item.get("id") in known), key=lambda i: i["id"]
            )
            for key in ("vpcs", "subnets", "security_groups", "peerings", "resources")
        } | {"flows": topology["flows"], "choices": proposal["choices"]}

    from_account = kept(comparable(with_names(import_aws(account["session"], REGION), names)))
    from_template = kept(
        comparable(to_proposal("cfn", ACCOUNT_AS_TEMPLATE.replace("AWS::Region", REGION), "t.yaml"))
    )
    from_template["vpcs"] = [
        {**vpc, "region": REGION} for vpc in from_template["vpcs"]
    ]  # a template has no region
    assert from_account == from_template
