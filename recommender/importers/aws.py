"""A live AWS account (one region) -> proposal, through read-only Describe calls.

boto3 is optional: it is imported only here, and only when an account is read. Ids are the account's
own (vpc-..., sg-..., the DB identifier); each element's origin names its ARN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from recommender.errors import InputError
from recommender.importers.model import (
    Database,
    ImportedNetworkAcl,
    Link,
    ProposalBuilder,
    Route,
    RouteTable,
    port_range,
    protocol_name,
)

DEFAULT_NACL_RULE = 32767  # the implicit final deny of every network ACL


def client_factory(session_or_factory: Any, region: str) -> Callable[[str], Any]:
    """A function service -> client, from a boto3 Session or from a callable(service, region_name=...)."""
    if hasattr(session_or_factory, "client"):
        return lambda service: session_or_factory.client(service, region_name=region)
    if callable(session_or_factory):
        return lambda service: session_or_factory(service, region_name=region)
    raise InputError("expected a boto3 Session or a client factory")


def default_session(profile: str | None = None) -> Any:
    try:
        import boto3
    except ImportError:
        raise InputError(
            "reading an AWS account needs boto3, which is not installed (pip install boto3)"
        ) from None
    return boto3.Session(profile_name=profile) if profile else boto3.Session()


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def _rules(permissions: list[dict[str, Any]], direction: str, origin: dict[str, Any]) -> list[dict[str, Any]]:
    peer_key = "source" if direction == "inbound" else "destination"
    rules = []
    for permission in permissions:
        protocol = protocol_name(permission.get("IpProtocol", "-1"))
        ports = port_range(protocol, permission.get("FromPort"), permission.get("ToPort"))
        peers = [ip_range["CidrIp"] for ip_range in permission.get("IpRanges", [])]
        peers += [ip_range["CidrIpv6"] for ip_range in permission.get("Ipv6Ranges", [])]
        peers += [pair["GroupId"] for pair in permission.get("UserIdGroupPairs", []) if pair.get("GroupId")]
        rules += [
            {"protocol": protocol, "ports": ports, peer_key: peer, "origin": dict(origin)} for peer in peers
        ]
    return rules


class AccountImporter:
    def __init__(self, client: Callable[[str], Any], region: str):
        self.client, self.region = client, region
        self.account = ""
        self.builder = ProposalBuilder("aws", f"aws:{region}", f"aws-{region}")

    def arn(self, service: str, kind: str, resource_id: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{kind}/{resource_id}"

    def origin(self, service: str, kind: str, resource_id: str) -> dict[str, Any]:
        return self.builder.origin(self.arn(service, kind, resource_id))

    def run(self) -> dict[str, Any]:
        ec2 = self.client("ec2")
        vpcs = list(_pages(ec2, "describe_vpcs", "Vpcs"))
        self.account = next((vpc.get("OwnerId", "") for vpc in vpcs), "")
        for vpc in vpcs:
            origin = self.origin("ec2", "vpc", vpc["VpcId"])
            self.builder.add_vpc(
                vpc["VpcId"], vpc.get("CidrBlock"), origin, region=self.region, account=vpc.get("OwnerId")
            )
        for subnet in _pages(ec2, "describe_subnets", "Subnets"):
            origin = self.origin("ec2", "subnet", subnet["SubnetId"])
            public_ip = bool(subnet.get("MapPublicIpOnLaunch"))
            self.builder.add_subnet(
                subnet["SubnetId"], subnet.get("VpcId"), subnet.get("CidrBlock"), origin, public_ip
            )
        self.route_tables(ec2)
        self.security_groups(ec2)
        self.network_acls(ec2)
        self.peerings(ec2)
        self.transit_gateways(ec2)
        self.vpns(ec2)
        self.instances(ec2)
        self.databases(self.client("rds"))
        return self.builder.build()

    def route_tables(self, ec2: Any) -> None:
        for table in _pages(ec2, "describe_route_tables", "RouteTables"):
            table_id = table["RouteTableId"]
            associations = table.get("Associations", [])
            model = RouteTable(
                table_id,
                table.get("VpcId"),
                main=any(association.get("Main") for association in associations),
            )
            for route in table.get("Routes", []):
                destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or ""
                gateway = route.get("GatewayId", "")
                if route.get("VpcPeeringConnectionId"):
                    model.routes.append(Route(destination, "pcx", route["VpcPeeringConnectionId"]))
                elif route.get("TransitGatewayId"):
                    model.routes.append(Route(destination, "tgw", route["TransitGatewayId"]))
                elif route.get("NatGatewayId"):
                    model.routes.append(Route(destination, "nat", route["NatGatewayId"]))
                elif gateway.startswith(("igw-", "vgw-")):
                    model.routes.append(Route(destination, gateway[:3], gateway))
            self.builder.route_tables[table_id] = model
            for association in associations:
                if association.get("SubnetId"):
                    self.builder.route_table_of[association["SubnetId"]] = table_id

    def security_groups(self, ec2: Any) -> None:
        for group in _pages(ec2, "describe_security_groups", "SecurityGroups"):
            origin = self.origin("ec2", "security-group", group["GroupId"])
            model = self.builder.add_security_group(group["GroupId"], group.get("VpcId"), origin)
            model["inbound"] = _rules(group.get("IpPermissions", []), "inbound", origin)
            model["outbound"] = _rules(group.get("IpPermissionsEgress", []), "outbound", origin)

    def network_acls(self, ec2: Any) -> None:
        for acl in _pages(ec2, "describe_network_acls", "NetworkAcls"):
            acl_id = acl["NetworkAclId"]
            model = ImportedNetworkAcl(acl_id, acl.get("VpcId"), self.origin("ec2", "network-acl", acl_id))
            for entry in sorted(acl.get("Entries", []), key=lambda entry: entry.get("RuleNumber", 0)):
                if entry.get("RuleNumber") == DEFAULT_NACL_RULE:
                    continue
                protocol = protocol_name(entry.get("Protocol", "-1"))
                ports = entry.get("PortRange") or {}
                egress = bool(entry.get("Egress"))
                (model.outbound if egress else model.inbound).append(
                    {
                        "rule": entry["RuleNumber"],
                        "protocol": protocol,
                        "ports": port_range(protocol, ports.get("From"), ports.get("To")),
                        "destination" if egress else "source": entry.get("CidrBlock")
                        or entry.get("Ipv6CidrBlock"),
                        "action": str(entry.get("RuleAction", "deny")).lower(),
                        "origin": dict(model.origin),
                    }
                )
            self.builder.acls[acl_id] = model
            for association in acl.get("Associations", []):
                self.builder.acl_of[association["SubnetId"]] = acl_id

    def peerings(self, ec2: Any) -> None:
        for peering in _pages(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections"):
            peering_id = peering["VpcPeeringConnectionId"]
            status = (peering.get("Status") or {}).get("Code", "")
            if status != "active":
                self.builder.skip(f"peering {peering_id}: status {status}, not active")
                continue
            vpcs = [peering.get(side, {}).get("VpcId") for side in ("RequesterVpcInfo", "AccepterVpcInfo")]
            origin = self.origin("ec2", "vpc-peering-connection", peering_id)
            self.builder.peerings[peering_id] = Link(peering_id, origin, [vpc for vpc in vpcs if vpc])

    def transit_gateways(self, ec2: Any) -> None:
        for attachment in _pages(ec2, "describe_transit_gateway_attachments", "TransitGatewayAttachments"):
            if attachment.get("ResourceType") != "vpc" or attachment.get("State") not in ("available", None):
                continue
            tgw = attachment["TransitGatewayId"]
            if tgw not in self.builder.transit_gateways:
                self.builder.transit_gateways[tgw] = Link(tgw, self.origin("ec2", "transit-gateway", tgw))
            self.builder.transit_gateways[tgw].vpcs.append(attachment["ResourceId"])

    def vpns(self, ec2: Any) -> None:
        gateway_vpc = {
            gateway["VpnGatewayId"]: attachment["VpcId"]
            for gateway in ec2.describe_vpn_gateways().get("VpnGateways", [])
            for attachment in gateway.get("VpcAttachments", [])
            if attachment.get("State") == "attached"
        }
        for vpn in ec2.describe_vpn_connections().get("VpnConnections", []):
            vpn_id, state = vpn["VpnConnectionId"], vpn.get("State")
            vpc = gateway_vpc.get(vpn.get("VpnGatewayId", ""))
            if state in ("deleted", "deleting") or vpc is None:
                self.builder.skip(
                    f"VPN {vpn_id}: {state}, or not attached to a VPC through a virtual private gateway"
                )
                continue
            model: dict[str, Any] = {"id": vpn_id, "vpc": vpc}
            cidrs = [
                route["DestinationCidrBlock"]
                for route in vpn.get("Routes", [])
                if route.get("DestinationCidrBlock")
            ]
            if cidrs:
                model["on_premises_cidr"] = cidrs[0]
            else:
                self.builder.assume(
                    f"VPN {vpn_id}: no static route names the on-premises CIDR (dynamic BGP routing)"
                )
            model["origin"] = self.origin("ec2", "vpn-connection", vpn_id)
            self.builder.vpns.append(model)

    def instances(self, ec2: Any) -> None:
        for reservation in _pages(ec2, "describe_instances", "Reservations"):
            for instance in reservation.get("Instances", []):
                if (instance.get("State") or {}).get("Name") in ("terminated", "shutting-down"):
                    continue
                instance_id = instance["InstanceId"]
                groups = [group["GroupId"] for group in instance.get("SecurityGroups", [])]
                self.builder.add_instance(
                    instance_id, instance_id, self.origin("ec2", "instance", instance_id),
                    [instance.get("SubnetId")], groups, instance.get("InstanceType"),
                )  # fmt: skip

    def databases(self, rds: Any) -> None:
        subnet_groups = {
            group["DBSubnetGroupName"]: [subnet["SubnetIdentifier"] for subnet in group.get("Subnets", [])]
            for group in _pages(rds, "describe_db_subnet_groups", "DBSubnetGroups")
        }
        for name, subnets in subnet_groups.items():
            self.builder.add_db_subnet_group([name], subnets)
        for cluster in _pages(rds, "describe_db_clusters", "DBClusters"):
            cluster_id = cluster["DBClusterIdentifier"]
            self.builder.add_database(self._database(cluster_id, cluster, cluster.get("Port"),
                                               cluster.get("DBSubnetGroup", ""), cluster.get("DBClusterArn")))  # fmt: skip
        for instance in _pages(rds, "describe_db_instances", "DBInstances"):
            db_id = instance["DBInstanceIdentifier"]
            if instance.get("DBClusterIdentifier"):
                accessible = bool(instance.get("PubliclyAccessible"))
                self.builder.add_cluster_member(db_id, instance["DBClusterIdentifier"], accessible)
                continue
            port = (instance.get("Endpoint") or {}).get("Port") or instance.get("DbInstancePort")
            group = (instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName", "")
            self.builder.add_database(
                self._database(db_id, instance, port, group, instance.get("DBInstanceArn"))
            )
            if group not in subnet_groups:
                subnets = [
                    subnet["SubnetIdentifier"]
                    for subnet in (instance.get("DBSubnetGroup") or {}).get("Subnets", [])
                ]
                self.builder.add_db_subnet_group([group], subnets)

    def _database(
        self, db_id: str, described: dict[str, Any], port: Any, group: str, arn: str | None
    ) -> Database:
        """A live database: everything is known (the account applied AWS's defaults already)."""
        return Database(
            db_id, db_id, self.builder.origin(arn or self.arn("rds", "db", db_id)),
            engine=described.get("Engine"), port=port, subnet_group=group,
            security_groups=[group["VpcSecurityGroupId"] for group in described.get("VpcSecurityGroups", [])],
            publicly_accessible=bool(described.get("PubliclyAccessible")),
            retention=int(described.get("BackupRetentionPeriod") or 0),
            cluster="DBClusterIdentifier" in described and "DBInstanceIdentifier" not in described,
        )  # fmt: skip


def import_account(session_or_client_factory: Any, region: str) -> dict[str, Any]:
    return AccountImporter(client_factory(session_or_client_factory, region), region).run()
