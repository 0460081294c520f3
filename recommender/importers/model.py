"""What every importer fills in, and how it becomes a proposal (shared/spec/proposal.md).

An importer reads its source (a template, a plan, an account) into a `ProposalBuilder`: VPCs, subnets,
security groups, route tables, network ACLs, links and resources, each with the `origin` it came from.
`build()` then derives what no source states directly (which subnets are public, whether a peering or a
transit gateway has routes on both sides, candidate flows, choices) and returns the proposal dict, with
an `import` section that lists every assumption made and everything skipped.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from recommender.errors import InputError

COMPUTE_TYPES = ("ec2", "ecs_service", "eks_pod", "lambda")
DATABASE_TYPES = ("rds",)
WORLD = ("0.0.0.0/0", "::/0")

# Default ports of RDS engines (what AWS uses when Port is not set).
ENGINE_PORTS = {
    "mysql": 3306,
    "mariadb": 3306,
    "aurora-mysql": 3306,
    "postgres": 5432,
    "aurora-postgresql": 5432,
    "sqlserver": 1433,
    "oracle": 1521,
}


SHAPE_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError)


def is_shape_error(exc: BaseException) -> bool:
    """An exception raised by a value of the input having an unexpected type or form (a list where a
    number was expected), not by a bug of the importer (a missing attribute of its own objects)."""
    if isinstance(exc, AttributeError):
        return isinstance(getattr(exc, "obj", None), (dict, list, str, int, float, bool, type(None)))
    return isinstance(exc, SHAPE_ERRORS)


def normalize_engine(engine: str) -> str | None:
    """The proposal's engine name for an RDS engine string ('sqlserver-ee' -> 'sqlserver'), or None."""
    engine = engine.lower()
    if engine == "aurora":
        return "aurora-mysql"
    for known in ("aurora-postgresql", "aurora-mysql", "mariadb", "mysql", "postgres", "sqlserver", "oracle"):
        if engine.startswith(known):
            return known
    return None


MODELLED_PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "all")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")


def port_number(value: Any) -> int:
    """A port 0-65535; anything else raises ValueError (the importer then names the resource)."""
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is not within 0-65535")
    return port


def rule_number(value: Any) -> int:
    """A network ACL rule number 1-32766 (ValueError otherwise)."""
    number = int(value)
    if not 1 <= number <= 32766:
        raise ValueError(f"rule number {number} is not within 1-32766")
    return number


def protocol_name(protocol: Any) -> str:
    """'tcp' | 'udp' | 'icmp' | 'all' | the IANA number as text, from an AWS protocol value."""
    text = str(protocol).lower()
    return {"-1": "all", "all": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(text, text)


def port_range(protocol: str, low: Any, high: Any) -> str:
    """The proposal's `ports` text for a rule: 'all', '22' or '1024-65535'."""
    if protocol in ("all", "icmp", "icmpv6") or low is None and high is None:
        return "all"
    low = int(low) if low is not None else int(high)
    high = int(high) if high is not None else low
    if low in (-1, 0) and high in (-1, 65535):
        return "all" if low == -1 else "0-65535"
    if not 0 <= low <= high <= 65535:
        raise ValueError(f"ports {low} to {high} are not a range within 0-65535")
    return str(low) if low == high else f"{low}-{high}"


# The Region's default VPC, as AWS creates it: where a security group without a VPC, or an instance or
# database without a subnet, is placed. https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html
# ("a size /16 IPv4 CIDR block (172.31.0.0/16)", "a size /20 default subnet in each Availability Zone",
# "an internet gateway", "a route that points all traffic (0.0.0.0/0) to the internet gateway", and
# "instances launched into a default subnet receive both a public IPv4 address and a private one").
DEFAULT_VPC, DEFAULT_SUBNET, DEFAULT_VPC_CIDR, DEFAULT_SUBNET_CIDR = (
    "default-vpc", "default-vpc-subnet", "172.31.0.0/16", "172.31.0.0/20",
)  # fmt: skip


@dataclass
class Database:
    """What an importer read about one RDS DB instance or cluster. The builder applies AWS's defaults to
    what was not set (None): the engine's port, the default VPC, PubliclyAccessible, backup retention."""

    id: str
    where: str  # how messages name it: "file:line: LogicalId", a Terraform address, an ARN
    origin: dict[str, Any]
    engine: Any = None  # as written: mysql, aurora-postgresql, sqlserver-ee
    port: Any = None
    subnet_group: Any = None  # its name or id; None: not given (the default VPC)
    subnets: list[Any] | None = None  # when the source lists the subnets themselves (a live account)
    security_groups: list[Any] = field(default_factory=list)
    publicly_accessible: bool | None = None  # None: not set, AWS's documented default applies
    retention: Any = None  # automated backup retention in days; None: not set (AWS's default, 1 day)
    cluster: bool = False
    replica_of: Any = None  # a read replica's source: it inherits the source's subnet group
    service: str = "rds"  # rds, docdb, neptune or elasticache (database-like, modelled as type rds)


# Database-like services other than RDS, imported as `type: rds` with their port and backup settings.
# Default ports and backup retention (days) when not set: DocumentDB (CreateDBCluster: 27017, 1 day),
# Neptune (8182, 1 day), ElastiCache (CreateReplicationGroup/CreateCacheCluster: SnapshotRetentionLimit 0,
# i.e. no automatic backups; Memcached has none and holds no durable state). None has a public endpoint.
SERVICES = {
    "docdb": ("Amazon DocumentDB cluster", 27017, 1),
    "neptune": ("Amazon Neptune cluster", 8182, 1),
    "elasticache": ("Amazon ElastiCache", None, 0),
}
CACHE_PORTS = {"redis": 6379, "valkey": 6379, "memcached": 11211}


def default_group_id(vpc: str | None) -> str:
    """The id a VPC's default security group gets here ('default' when its VPC is the Region's default)."""
    return f"{vpc}-default-sg" if vpc else "default"


INTERNET = "internet"  # the resource that stands for clients on the internet, in derived flows


def classic_elb_group(balancer_id: str) -> str:
    """The id of the security group ELB gives a Classic Load Balancer in the default VPC."""
    return f"{balancer_id}-default-elb"


@dataclass
class LoadBalancer:
    """A load balancer's listeners and targets, for the flows derived from them."""

    internet_facing: bool
    has_groups: bool
    listener_ports: list[int] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    classic: list[tuple[int, int]] = field(default_factory=list)  # (listener port, instance port)
    classic_targets: list[str] = field(default_factory=list)


@dataclass
class TargetGroup:
    port: int | None
    targets: list[tuple[str, int | None]] = field(default_factory=list)  # (resource, port or the group's)


@dataclass
class Route:
    destination: str  # a CIDR, or "" when unknown
    target_kind: str  # igw | nat | pcx | tgw | vgw | other
    target: str


ROUTE_TARGET_KINDS = ("pcx", "tgw", "nat", "")  # peering, transit gateway, NAT, any other gateway


def route_to(
    destination: str, targets: tuple[Any, Any, Any, Any], internet_gateways: Any, vpn_gateways: Any
) -> Route:
    """A route from its possible targets, in the order of ROUTE_TARGET_KINDS (the first one set wins); a
    plain gateway is an internet gateway (igw-...) or a VPN gateway, else unknown."""
    for target, kind in zip(targets, ROUTE_TARGET_KINDS, strict=True):
        if target:
            if not kind:
                igw = target in internet_gateways or str(target).startswith("igw-")
                kind = "igw" if igw else "vgw" if target in vpn_gateways else "other"
            return Route(destination, kind, target)
    return Route(destination, "other", "")


@dataclass
class RouteTable:
    id: str
    vpc: str | None
    routes: list[Route] = field(default_factory=list)
    main: bool = False


@dataclass
class ImportedNetworkAcl:
    id: str
    vpc: str | None
    origin: dict[str, Any]
    inbound: list[dict[str, Any]] = field(default_factory=list)
    outbound: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Link:
    """A peering or a transit gateway: the VPCs it joins; routes are derived from route tables."""

    id: str
    origin: dict[str, Any]
    vpcs: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class ProposalBuilder:
    """Collects the topology found in one source and turns it into a proposal."""

    def __init__(self, source: str, file: str, name: str):
        self.source, self.file, self.name = source, file, name
        self.vpcs: dict[str, dict[str, Any]] = {}
        self.subnets: dict[str, dict[str, Any]] = {}
        self.map_public_ip: set[str] = set()
        self.security_groups: dict[str, dict[str, Any]] = {}
        self.route_tables: dict[str, RouteTable] = {}
        self.route_table_of: dict[str, str] = {}  # subnet -> route table
        self.acls: dict[str, ImportedNetworkAcl] = {}
        self.acl_of: dict[str, str] = {}  # subnet -> network ACL
        self.peerings: dict[str, Link] = {}
        self.transit_gateways: dict[str, Link] = {}
        self.vpns: list[dict[str, Any]] = []
        self.resources: dict[str, dict[str, Any]] = {}
        self.backup: set[str] = set()
        self.orchestrators: set[str] = set()
        self.launch_types: set[str] = set()
        self.instance_types: set[str] = set()
        self.assumptions: list[str] = []
        self.skipped: list[str] = []
        self.internet_gateway_vpcs: set[str] = set()  # VPCs with an internet gateway attached
        self.db_subnet_groups: dict[str, list[Any]] = {}
        self.databases: list[Database] = []
        self.cluster_members: list[tuple[str, Any, bool | None]] = []  # (who, cluster, publicly accessible)
        self.backup_plans: list[str] = []
        self.backup_selections = 0
        self.launch_templates: dict[
            str, tuple[list[Any], Any]
        ] = {}  # name -> (security groups, instance type)
        self.load_balancers: dict[str, LoadBalancer] = {}
        self.unknown_groups: set[str] = set()  # resources (and launch templates) whose groups are not known
        self.prefix_lists: dict[str, list[str]] = {}  # managed prefix list id -> its entries' CIDRs
        self.external_groups: set[str] = set()  # security groups used here, defined outside the source
        self.defaulted_groups: dict[str, str] = {}  # security groups without a known VPC -> who
        self.unplaced: dict[str, str] = {}  # resources without a known subnet -> who
        self.target_groups: dict[str, TargetGroup] = {}

    def origin(self, logical_id: str, line: int | None = None, file: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = {"file": file or self.file}
        if line:
            result["line"] = line
        result["logical_id"] = logical_id
        return result

    def add_vpn(self, vpn_id: str, vpn: dict[str, Any], cidrs: list[str]) -> None:
        """A VPN connection with the on-premises range its static routes name (the first, if several)."""
        if cidrs:
            vpn["on_premises_cidr"] = cidrs[0]
            if len(cidrs) > 1:
                self.assume(f"VPN {vpn_id}: only the first on-premises CIDR ({cidrs[0]}) is kept")
        else:
            self.assume(f"VPN {vpn_id}: no static route names the on-premises CIDR (dynamic BGP routing)")
        vpn["origin"] = vpn.pop("origin")
        self.vpns.append(vpn)

    def assume(self, message: str) -> None:
        if message not in self.assumptions:
            self.assumptions.append(message)

    def skip(self, message: str) -> None:
        if message not in self.skipped:
            self.skipped.append(message)

    def add_vpc(self, vpc_id: str, cidr: str | None, origin: dict[str, Any], **labels: str | None) -> None:
        vpc: dict[str, Any] = {"id": vpc_id}
        if cidr:
            vpc["cidr"] = cidr
        vpc.update({key: value for key, value in labels.items() if value})
        vpc["origin"] = origin
        self.vpcs[vpc_id] = vpc

    def add_subnet(
        self, subnet_id: str, vpc: str | None, cidr: str | None, origin: dict[str, Any], map_public_ip: bool
    ) -> None:
        subnet: dict[str, Any] = {"id": subnet_id, "vpc": vpc}
        if cidr:
            subnet["cidr"] = cidr
        subnet["origin"] = origin
        self.subnets[subnet_id] = subnet
        if map_public_ip:
            self.map_public_ip.add(subnet_id)

    def add_security_group(self, sg_id: str, vpc: str | None, origin: dict[str, Any]) -> dict[str, Any]:
        group: dict[str, Any] = {"id": sg_id, "vpc": vpc, "inbound": [], "outbound": [], "origin": origin}
        self.security_groups[sg_id] = group
        return group

    def add_rule(self, sg_id: Any, direction: str, rule: dict[str, Any]) -> None:
        """Append a rule (inbound/outbound) to a group. A group outside the source (sg-12345) is modelled
        with the rules the source adds to it, so a world-open rule on it is still found."""
        if not sg_id:
            self.skip(f"{rule['origin'].get('logical_id')}: a rule for a security group that is not known")
            return
        group = self.security_groups.get(str(sg_id)) or self._external_group(str(sg_id))
        if direction == "outbound" and str(sg_id) in self.external_groups and "outbound" not in group:
            group["outbound"] = []
        group[direction].append(rule)

    def _external_group(self, sg_id: str) -> dict[str, Any]:
        """A security group that is used or changed by the source but defined elsewhere: its other rules
        are unknown, so flows through it are not derived. Its VPC is set in build()."""
        self.external_groups.add(sg_id)
        group: dict[str, Any] = {"id": sg_id, "vpc": None, "inbound": []}  # outbound omitted: AWS's default
        self.security_groups[sg_id] = group
        return group

    def add_prefix_list(self, list_id: str, cidrs: list[Any]) -> None:
        """A managed prefix list of the source with its entries (more entries may be added later)."""
        self.prefix_lists.setdefault(str(list_id), []).extend(str(c) for c in cidrs if c)

    def prefix_list_rules(
        self, list_id: Any, rule: dict[str, Any], key: str, who: str
    ) -> list[dict[str, Any]]:
        """A rule whose peer is a prefix list: one rule per entry when the source defines the list; its
        contents unknown (an AWS-managed or existing list, pl-0abc), the rule is left out and said so."""
        entries = self.prefix_lists.get(str(list_id)) if list_id else None
        if not entries:
            self.assume(f"{who}: a {key} rule names prefix list {list_id or '(unknown)'}, whose entries are not part "
                        "of this source: left out (the addresses it allows are not known)")  # fmt: skip
            return []
        return [{**rule, key: cidr} for cidr in entries]

    def _default_group(self, group_id: str, user: dict[str, Any]) -> None:
        """A VPC's default security group named by a resource (GetAtt Vpc.DefaultSecurityGroup, the name
        'default'): modelled with the rules AWS creates it with, all traffic from its own members and all
        outbound, and said so."""
        vpc = next((v for v in self.vpcs if default_group_id(v) == group_id), None)
        if vpc is None and group_id != default_group_id(None):
            return
        group = self.add_security_group(group_id, vpc, user.get("origin") or {})
        group["inbound"] = [{"protocol": "all", "ports": "all", "source": group_id}]
        del group["outbound"]
        group["default"] = True
        if vpc is None:
            self.defaulted_groups[group_id] = f"{user['id']}'s security group default"
        self.assume(f"{group_id} is {'the' if vpc is None else vpc + chr(39) + 's'} default security group: "
                    f"modelled with AWS's default rules (all traffic from its members, all outbound)")  # fmt: skip

    def add_resource(self, resource: dict[str, Any]) -> None:
        self.resources[resource["id"]] = resource

    # ---- AWS semantics shared by every importer: each one reads its format and calls these --------------

    def default_vpc(self, who: str) -> str:
        """The Region's default VPC (and one public default subnet) for `who`, which names none; said so."""
        if DEFAULT_VPC not in self.vpcs:
            self.vpcs[DEFAULT_VPC] = {"id": DEFAULT_VPC, "cidr": DEFAULT_VPC_CIDR}
            self.add_subnet(DEFAULT_SUBNET, DEFAULT_VPC, DEFAULT_SUBNET_CIDR, {}, map_public_ip=True)
            table = RouteTable(f"{DEFAULT_VPC}-main", DEFAULT_VPC, main=True)
            table.routes.append(Route("0.0.0.0/0", "igw", f"{DEFAULT_VPC}-igw"))
            self.route_tables[table.id] = table
            self.internet_gateway_vpcs.add(DEFAULT_VPC)
        self.assume(
            f"{who}: its VPC or subnet is not given or not known: the Region's default VPC is assumed ({DEFAULT_VPC}, "
            f"{DEFAULT_VPC_CIDR}; {DEFAULT_SUBNET} {DEFAULT_SUBNET_CIDR}, public, with an internet gateway)"
        )
        return DEFAULT_VPC

    def add_group(self, sg_id: str, vpc: Any, origin: dict[str, Any], who: str) -> dict[str, Any]:
        """A security group; without a known VPC it goes with the resources that use it, else it is in the
        Region's default VPC (as AWS creates it without a VpcId)."""
        if not vpc:  # its VPC is decided in build(): the VPC of what uses it, else the default VPC
            self.defaulted_groups[sg_id] = who
        return self.add_security_group(sg_id, vpc or None, origin)

    def placement(self, who: str, subnets: list[Any], groups: list[Any]) -> dict[str, Any]:
        """`subnet` (the first of several, said so) and `security_groups` of a resource."""
        subnets = [subnet for subnet in subnets if subnet]
        placement: dict[str, Any] = {}
        if subnets:
            placement["subnet"] = subnets[0]
            if len(subnets) > 1:
                self.assume(f"{who} spans subnets {', '.join(map(str, subnets))}: placed in {subnets[0]}")
        placement["security_groups"] = [group for group in groups if group]
        return placement

    def add_compute(
        self, kind: str, resource_id: str, who: str, origin: dict[str, Any], subnets: list[Any] | None,
        groups: list[Any],
    ) -> None:  # fmt: skip
        """An ec2 / ecs_service / eks_pod / lambda resource. Without a known subnet (none given, or only
        values known at deploy time) it is placed in build(): in a subnet of its security groups' VPC when
        that is known, else in the default VPC's public subnet, and said so."""
        placement = self.placement(who, [subnet for subnet in subnets or [] if subnet], groups)
        if "subnet" not in placement:  # placed in build(), once the VPCs of its groups are known
            self.unplaced[resource_id] = who
        self.add_resource({"id": resource_id, "type": kind, **placement, "origin": origin})

    def add_instance(
        self, resource_id: str, who: str, origin: dict[str, Any], subnets: list[Any] | None,
        groups: list[Any], instance_type: Any,
    ) -> None:  # fmt: skip
        self.add_compute("ec2", resource_id, who, origin, subnets, groups)
        if instance_type:
            self.instance_types.add(str(instance_type))

    def ecs_launch_type(self, who: str, launch_type: Any, capacity_providers: list[Any]) -> None:
        """The launch type of an ECS service: LaunchType, else its capacity providers (FARGATE* = fargate)."""
        self.orchestrators.add("ecs")
        launch = str(launch_type or "").upper()
        providers = [str(provider or "").upper() for provider in capacity_providers]
        if launch == "FARGATE" or providers and all(p.startswith("FARGATE") for p in providers):
            self.launch_types.add("fargate")
        elif launch == "EC2" or providers:
            self.launch_types.add("ec2")
        else:
            self.assume(f"{who}: no launch type or capacity provider: the cluster's default strategy decides")

    def add_ecs_service(
        self, service_id: str, who: str, origin: dict[str, Any], launch_type: Any, capacity_providers: list[Any],
        awsvpc: tuple[list[Any], list[Any]] | None,
    ) -> None:  # fmt: skip
        """An ECS service; only awsvpc networking places its tasks in subnets with security groups."""
        self.ecs_launch_type(who, launch_type, capacity_providers)
        if awsvpc is None:
            self.skip(f"{who}: not awsvpc networking: placement unknown")
            return
        self.add_compute("ecs_service", service_id, who, origin, awsvpc[0], awsvpc[1])

    def add_eks_cluster(
        self, cluster_id: str, who: str, origin: dict[str, Any], subnets: list[Any], groups: list[Any]
    ) -> None:
        self.orchestrators.add("eks")
        self.assume(f"{who}: its pods are modelled with the cluster's subnets and security groups "
                    "(the cluster security group EKS creates is not)")  # fmt: skip
        self.add_compute("eks_pod", cluster_id, who, origin, subnets, groups)

    def add_eks_nodegroup(self, instance_types: list[Any]) -> None:
        self.launch_types.add("ec2")
        self.instance_types.update(str(kind) for kind in instance_types if kind)

    def add_eks_fargate_profile(self) -> None:
        self.launch_types.add("fargate")

    def add_lambda(
        self,
        function_id: str,
        who: str,
        origin: dict[str, Any],
        vpc_config: tuple[list[Any], list[Any]] | None,
    ) -> None:
        if vpc_config is None:
            self.skip(f"{who}: Lambda function outside any VPC")
            return
        self.add_compute("lambda", function_id, who, origin, vpc_config[0], vpc_config[1])

    def add_launch_template(self, names: list[Any], groups: list[Any], instance_type: Any) -> None:
        """A launch template or launch configuration, known by each of its names (id, name)."""
        unknown = any(str(name) in self.unknown_groups for name in names if name)
        for name in names:
            if name:
                self.launch_templates[str(name)] = ([group for group in groups if group], instance_type)
                if unknown:
                    self.unknown_groups.add(str(name))

    def add_auto_scaling_group(
        self, group_id: str, who: str, origin: dict[str, Any], subnets: list[Any] | None, template: Any,
        target_groups: list[Any], classic_load_balancers: list[Any],
    ) -> None:  # fmt: skip
        """An Auto Scaling group: ec2 instances in its subnets with its launch template's (or launch
        configuration's) security groups, registered with its target groups and classic load balancers."""
        groups, instance_type = (
            self.launch_templates.get(str(template), ([], None)) if template else ([], None)
        )
        if not template:
            self.assume(f"{who}: its launch template or configuration is not known: security groups unknown")
        elif str(template) not in self.launch_templates:
            self.assume(
                f"{who}: launch template {template} is not part of this source: security groups unknown"
            )
        if not template or str(template) not in self.launch_templates or str(template) in self.unknown_groups:
            self.unknown_groups.add(group_id)
        self.add_instance(group_id, who, origin, subnets, groups, instance_type)
        self.register_targets(group_id, target_groups, classic_load_balancers)

    def register_targets(
        self, resource_id: str, target_groups: list[Any], classic_load_balancers: list[Any], port: Any = None
    ) -> None:
        """A resource (an Auto Scaling group, an ECS service, an instance) behind load balancers."""
        for group in target_groups:
            if group:
                target = self.target_groups.setdefault(str(group), TargetGroup(None))
                target.targets.append((resource_id, port_number(port) if port else None))
        for balancer in classic_load_balancers:
            if str(balancer) in self.load_balancers:
                self.load_balancers[str(balancer)].classic_targets.append(resource_id)

    def add_load_balancer(
        self, balancer_id: str, who: str, origin: dict[str, Any], subnets: list[Any] | None, groups: list[Any],
        internet_facing: bool, classic: bool = False,
    ) -> None:  # fmt: skip
        """An Application, Network, Gateway or Classic Load Balancer (internet-facing unless internal).

        A Classic Load Balancer in the default VPC without security groups gets the one ELB creates there,
        which allows all traffic on the listener ports ("default_elb_<id>"; see
        https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-vpc-security-groups.html);
        in another VPC it gets the VPC's default group (no `security_groups`)."""
        known = [subnet for subnet in subnets or [] if subnet]
        if not known and classic and not [group for group in groups if group]:
            known = [DEFAULT_SUBNET] if self.default_vpc(who) else []  # only the default VPC's ELBs have none
        if classic and not [group for group in groups if group] and known == [DEFAULT_SUBNET]:
            group_id = classic_elb_group(balancer_id)
            group = self.add_security_group(group_id, DEFAULT_VPC, origin)
            group["outbound"].append(
                {"protocol": "all", "ports": "all", "destination": "0.0.0.0/0", "origin": origin}
            )
            self.assume(f"{who}: a Classic Load Balancer in the default VPC without security groups: ELB's "
                        f"default_elb group ({group_id}) allows all traffic on its listener ports")  # fmt: skip
            groups = [group_id]
        internet_subnets = (
            [s for s in known if s in self.subnets and self.is_public(s)] if internet_facing else []
        )
        ordered = internet_subnets[:1] + [s for s in known if s not in internet_subnets[:1]]
        placement = self.placement(who, ordered, groups)
        if "subnet" not in placement:  # placed in build(), with the VPC of its groups
            self.unplaced[balancer_id] = who
        self.add_resource({"id": balancer_id, "type": "load_balancer", **placement, "origin": origin})
        self.load_balancers[balancer_id] = LoadBalancer(internet_facing, bool(placement["security_groups"]))
        if not placement["security_groups"]:
            self.assume(f"{who}: no security groups (a Network Load Balancer passes clients' traffic to its "
                        "targets): no flow from the internet to it is derived")  # fmt: skip

    def register_targets_of(self, balancer: str, resources: list[Any]) -> None:
        """Instances registered with a classic load balancer by the load balancer itself."""
        if balancer in self.load_balancers:
            self.load_balancers[balancer].classic_targets.extend(str(r) for r in resources if r)

    def add_listener(self, balancer: Any, port: Any, target_groups: list[Any]) -> None:
        lb = self.load_balancers.get(str(balancer))
        if lb is None or port in (None, ""):
            return
        lb.listener_ports.append(port_number(port))
        lb.target_groups.extend(str(group) for group in target_groups if group)

    def add_classic_listener(
        self, balancer: str, port: Any, instance_port: Any, origin: dict[str, Any]
    ) -> None:
        lb = self.load_balancers.get(balancer)
        if lb is not None and port not in (None, ""):
            lb.classic.append(
                (port_number(port), port_number(instance_port if instance_port not in (None, "") else port))
            )
            group = self.security_groups.get(classic_elb_group(balancer))
            if group is not None:
                rule = {"protocol": "tcp", "ports": str(int(port)), "source": "0.0.0.0/0", "origin": origin}
                group["inbound"].append(rule)

    def add_target_group(self, group_id: str, port: Any, targets: list[tuple[Any, Any]]) -> None:
        """A target group with its port and its registered targets [(resource id, port or None)]."""
        group = self.target_groups.setdefault(group_id, TargetGroup(None))
        group.port = port_number(port) if port not in (None, "") else None
        group.targets.extend((str(target), port_number(p) if p else None) for target, p in targets if target)

    def _balancer_flows(self) -> list[dict[str, Any]]:
        """internet -> each internet-facing load balancer on its listener ports; load balancer -> each
        of its targets (instances, Auto Scaling groups, ECS services) on the target port."""
        flows: list[dict[str, Any]] = []

        def flow(source: str, target: str, port: int | None) -> None:
            item = {"from": source, "to": target, "port": port}
            if port is not None and target in self.resources and item not in flows:
                flows.append(item)

        for lb_id, lb in self.load_balancers.items():
            public = lb.internet_facing and lb.has_groups
            for port in [*lb.listener_ports, *(listener for listener, _ in lb.classic)]:
                if public:
                    flow(INTERNET, lb_id, port)
            for group_id in lb.target_groups:
                group = self.target_groups.get(group_id)
                if group is None:
                    self.assume(
                        f"{lb_id}: target group {group_id} is not part of this source: its targets are unknown"
                    )
                    continue
                for target, target_port in group.targets:
                    flow(lb_id, target, target_port or group.port)
            for target in lb.classic_targets:
                for _, instance_port in lb.classic:
                    flow(lb_id, target, instance_port)
        if any(item["from"] == INTERNET for item in flows) and INTERNET not in self.resources:
            self.add_resource({"id": INTERNET, "type": "internet"})
        if flows:
            self.assume("flows to load balancers (from the internet, when internet-facing, on their listener ports) "
                        "and from them to their targets (on the target group's port) are derived from listeners and "
                        "target groups")  # fmt: skip
        return flows

    def add_backup_plan(self, plan_id: str) -> None:
        self.backup_plans.append(plan_id)

    def add_backup_selection(self) -> None:
        self.backup_selections += 1

    def add_lifecycle_policy(self, who: str, state: Any) -> None:
        """A DLM policy: EBS snapshots unless its state is DISABLED."""
        if str(state or "ENABLED").upper() == "DISABLED":
            self.skip(f"{who}: lifecycle policy is DISABLED")
            return
        self.backup.add("ebs_snapshots")

    def add_db_subnet_group(self, names: list[Any], subnets: list[Any]) -> None:
        for name in names:
            if name:
                self.db_subnet_groups[str(name)] = list(subnets)

    def add_database(self, database: Database) -> None:
        """An RDS DB instance or cluster; placed and given AWS's defaults in build(), once the subnets,
        route tables and internet gateways of the whole source are known."""
        self.databases.append(database)
        self.resources[database.id] = {"id": database.id, "type": "rds"}  # keeps the order of the source

    def add_cluster_member(self, who: str, cluster: Any, publicly_accessible: bool | None) -> None:
        """A DB instance of a cluster: evaluated as part of its cluster (public when any member is). An
        instance of a cluster that is not part of the source is skipped: the cluster holds its network
        placement and backups, so it cannot be evaluated alone."""
        self.cluster_members.append((who, cluster, publicly_accessible))

    # ---- derivations -------------------------------------------------------------------------------

    def _routes_of_vpc(self, vpc: str) -> list[Route]:
        return [route for table in self.route_tables.values() if table.vpc == vpc for route in table.routes]

    def _subnet_routes(self, subnet_id: str) -> list[Route]:
        table_id = self.route_table_of.get(subnet_id)
        if table_id is None:
            vpc = self.subnets[subnet_id].get("vpc")
            table_id = next((t.id for t in self.route_tables.values() if t.main and t.vpc == vpc), None)
        table = self.route_tables.get(table_id) if table_id else None
        return table.routes if table else []

    def _default_route_to(self, subnet_id: str, kind: str) -> bool:
        return any(r.target_kind == kind and r.destination in WORLD for r in self._subnet_routes(subnet_id))

    def is_public(self, subnet_id: str) -> bool:
        """A route to an internet gateway for 0.0.0.0/0 (or ::/0), or public IPs on launch."""
        return self._default_route_to(subnet_id, "igw") or subnet_id in self.map_public_ip

    def _has_internet_gateway(self, vpc: Any) -> bool | None:
        """True / False when the source says whether an internet gateway is attached to the VPC; None when
        the VPC is not part of the source."""
        if vpc in self.internet_gateway_vpcs:
            return True
        if vpc not in self.vpcs or "cidr" not in self.vpcs[vpc]:
            return None
        return any(route.target_kind == "igw" for route in self._routes_of_vpc(vpc))

    def _resolve_database(self, db: Database) -> dict[str, Any]:
        resource = self.resources[db.id]
        if db.service != "rds":
            return self._resolve_database_like(db, resource)
        engine = normalize_engine(str(db.engine)) if db.engine else None
        if engine:
            resource["engine"] = engine
        port = db.port if db.port not in (None, "") else ENGINE_PORTS.get(engine or "")
        if port is not None:
            resource["port"] = int(port)
        else:
            self.assume(f"{db.where}: engine {db.engine} and port unknown: no flows to it are derived")
        self._place_database(db, resource)
        resource["publicly_accessible"] = self._publicly_accessible(db, engine, resource.get("subnet"))
        resource["stateful"] = True
        retention = db.retention
        if retention is None and db.replica_of is None:
            self.assume(f"{db.where}: no backup retention period: AWS's default of 1 day assumed")
            retention = 1
        if retention is not None and int(retention) > 0:
            self.backup.add("rds_automated_backups")
        elif retention is not None:
            resource["automated_backups"] = False  # retention 0: this database has none
        resource["origin"] = db.origin
        return resource

    def _resolve_database_like(self, db: Database, resource: dict[str, Any]) -> dict[str, Any]:
        """DocumentDB, Neptune, ElastiCache: placed like an RDS database, never public (none of them has a
        public endpoint), with the service's port and backup retention defaults, each said so."""
        name, port, retention = SERVICES[db.service]
        engine = str(db.engine).lower() if db.engine else None
        if db.service == "elasticache":
            engine = engine or "redis"
            name = f"{name} ({engine})"
            port = CACHE_PORTS.get(engine)
        resource["description"] = f"{name}, modelled as a database (type rds)"
        if db.port not in (None, ""):
            port = int(db.port)
        if port is not None:
            resource["port"] = int(port)
        self._place_database(db, resource)
        resource["publicly_accessible"] = False
        if engine == "memcached":  # no backups, no durable state
            resource["stateful"] = False
            self.assume(f"{db.where}: Memcached holds no durable state and has no backups: not stateful")
        else:
            resource["stateful"] = True
            if db.retention in (None, ""):
                self.assume(
                    f"{db.where}: no backup retention set: {name}'s default of {retention} day(s) assumed"
                )
            days = int(db.retention) if db.retention not in (None, "") else retention
            if days > 0:
                self.backup.add("rds_automated_backups")
                self.assume(
                    f"{db.where}: its automated backups ({days} day(s)) count as rds_automated_backups"
                )
            else:
                resource["automated_backups"] = False
        resource["origin"] = db.origin
        return resource

    def _place_database(self, db: Database, resource: dict[str, Any]) -> None:
        group, subnets = db.subnet_group or None, db.subnets
        source = self.resources.get(str(db.replica_of)) if db.replica_of else None
        if subnets is None and group is None and source is not None and "subnet" in source:
            subnets = [source["subnet"]]  # a read replica in its source's subnet group
            self.assume(f"{db.where}: read replica of {db.replica_of}, placed in its source's subnet group")
        elif subnets is None and group is not None:
            subnets = self.db_subnet_groups.get(str(group))
            if subnets is None:
                self.assume(
                    f"{db.where}: DB subnet group {group} is not part of this source: its subnets are unknown"
                )
                subnets = []
        group_vpcs = {self.security_groups[g]["vpc"] for g in db.security_groups
                      if g in self.security_groups and g not in self.defaulted_groups and g not in self.external_groups}  # fmt: skip
        in_vpc = [s for s in self.subnets if len(group_vpcs) == 1 and self.subnets[s]["vpc"] in group_vpcs]
        if not subnets and in_vpc:
            subnets = in_vpc[:1]
            self.assume(f"{db.where}: its subnets are not known: placed in {in_vpc[0]}, a subnet of the VPC of its "
                        "security groups")  # fmt: skip
        if not subnets:
            subnets = [DEFAULT_SUBNET] if self.default_vpc(db.where) else []
        public = [s for s in subnets if s in self.subnets and self.is_public(s)]
        ordered = public[:1] + [s for s in subnets if s not in public[:1]]
        resource.update(self.placement(db.where, ordered, db.security_groups))

    def _publicly_accessible(self, db: Database, engine: str | None, subnet: Any) -> bool:
        """PubliclyAccessible, or AWS's default when it is not set (RDS API reference, CreateDBInstance
        and CreateDBCluster, PubliclyAccessible: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html):
        without a DB subnet group, public when the default VPC has an internet gateway (it does, as AWS
        creates it); with one, public when the subnets' VPC has an internet gateway attached. Aurora DB
        instances are private unless set (the cluster is public when any of its instances is)."""
        if db.publicly_accessible is not None:
            return db.publicly_accessible
        if engine and engine.startswith("aurora"):
            return False
        vpc = self.subnets.get(subnet, {}).get("vpc") if subnet else None
        attached = self._has_internet_gateway(vpc) if vpc else None
        if attached is None:
            self.assume(f"{db.where}: PubliclyAccessible not set and whether its VPC has an internet gateway is "
                        "unknown: public assumed (AWS's default when it has one); set PubliclyAccessible")  # fmt: skip
            return True
        reason = "has an internet gateway: public" if attached else "has no internet gateway: private"
        self.assume(f"{db.where}: PubliclyAccessible not set: AWS's default applies, its VPC {vpc} {reason}")
        return attached

    def _resolve_cluster_members(self) -> None:
        for who, cluster, accessible in self.cluster_members:
            resource = self.resources.get(str(cluster)) if cluster else None
            if resource is None or resource.get("type") != "rds":
                self.skip(
                    f"{who}: instance of cluster {cluster}, which is not part of this source: not evaluated"
                )
                continue
            if accessible:
                resource["publicly_accessible"] = True
            self.skip(f"{who}: instance of cluster {cluster}, evaluated as part of it")

    def _has_route(self, vpc: str, target: str) -> bool:
        return any(route.target == target for route in self._routes_of_vpc(vpc))

    def _link_routes(self, link: Link, kind: str) -> bool:
        missing = [vpc for vpc in link.vpcs if not self._has_route(vpc, link.id)]
        outside = [vpc for vpc in missing if not any(t.vpc == vpc for t in self.route_tables.values())]
        if outside:
            self.assume(
                f"{kind} {link.id}: no route table of {', '.join(outside)} is part of this source; "
                "routes: false assumed for that side"
            )
        return not missing

    def _derive_flows(self) -> list[dict[str, Any]]:
        balancer_flows = self._balancer_flows()
        computes = [r for r in self.resources.values() if r["type"] in COMPUTE_TYPES]
        databases = [r for r in self.resources.values() if r["type"] in DATABASE_TYPES and "port" in r]
        flows = [
            {"from": compute["id"], "to": database["id"], "port": database["port"]}
            for compute in computes
            for database in databases
        ]
        unknown = sorted(r for r in self.unknown_groups if r in self.resources)
        if unknown:
            self.assume(f"the security groups of {', '.join(unknown)} are not all known (known only at deploy time, "
                        "or defined outside this source): flows to and from them are not derived, so not checked")  # fmt: skip
        balancer_flows = [f for f in balancer_flows if f["from"] not in unknown and f["to"] not in unknown]
        flows = [f for f in flows if f["from"] not in unknown and f["to"] not in unknown]
        flows = balancer_flows + flows
        if len(flows) > len(balancer_flows):
            self.assume(
                f"a {self.source} source declares no traffic flows: every compute resource is assumed to connect to "
                "every database on the database's port"
            )
        return flows

    def _single(self, values: set[str], what: str) -> str | None:
        if len(values) == 1:
            return next(iter(values))
        if values:
            self.assume(
                f"{what} is not set in choices: the source uses several ({', '.join(sorted(values))})"
            )
        return None

    def _connectivity(self, flows: list[dict[str, Any]]) -> str | None:
        if self.peerings:
            return "vpc_peering"
        if self.transit_gateways:
            return "transit_gateway"
        if self.vpns:
            return "site_to_site_vpn"
        flows = [
            flow for flow in flows if self.resources[flow["to"]]["type"] in DATABASE_TYPES
        ]  # app -> database
        vpcs = {self._vpc_of(self.resources[end]) for flow in flows for end in (flow["from"], flow["to"])}
        if flows and len(vpcs) == 1 and None not in vpcs:
            return "same_vpc"
        return None

    def _vpc_of(self, resource: dict[str, Any]) -> str | None:
        subnet = self.subnets.get(resource.get("subnet", ""))
        return subnet.get("vpc") if subnet else None

    def _choices(self, flows: list[dict[str, Any]]) -> dict[str, Any]:
        choices: dict[str, Any] = {}
        orchestrator = self._single(self.orchestrators, "orchestrator")
        if orchestrator:
            choices["orchestrator"] = orchestrator
        launch_type = self._single(self.launch_types, "launch_type")
        if launch_type:
            choices["launch_type"] = launch_type
        instance_type = self._single(self.instance_types, "instance_type")
        if instance_type and not INSTANCE_TYPE.match(instance_type):
            self.assume(f"instance type {instance_type} is not an EC2 instance type name: not set in choices")
        elif instance_type:
            choices["instance_type"] = instance_type
        connectivity = self._connectivity(flows)
        if connectivity:
            choices["connectivity"] = connectivity
            self.assume(f"choices.connectivity is {connectivity}, read from the network links found")
        if self.backup:
            choices["backup"] = sorted(self.backup)
        return choices

    def _drop_unplaceable_subnets(self) -> None:
        """A subnet whose VPC or CIDR is not known cannot be checked: it is left out (said so), and what
        runs in it is placed in the default VPC like a resource whose subnet is not part of the source."""
        for subnet_id, subnet in list(self.subnets.items()):
            missing = [key for key in ("vpc", "cidr") if not subnet.get(key)]
            if missing:
                self.skip(f"subnet {subnet_id}: its {' and '.join(missing)} not known: left out")
                del self.subnets[subnet_id]
        self.acl_of = {subnet: acl for subnet, acl in self.acl_of.items() if subnet in self.subnets}

    def _external_vpc_cidr(self, vpc: str) -> str | None:
        """The smallest block that holds the subnets the source creates in a VPC it does not define."""
        try:
            networks = [ipaddress.IPv4Network(s["cidr"], strict=False) for s in self.subnets.values()
                        if s["vpc"] == vpc and ":" not in str(s["cidr"])]  # fmt: skip
        except ValueError:  # a subnet's CIDR is not one: the proposal's validation names it
            return None
        if not networks:
            return None
        block = networks[0]
        while not all(n.subnet_of(block) for n in networks):
            block = block.supernet()
        return str(block)

    def _drop_unmodelled_protocols(self) -> None:
        """Rules for IP protocols the proposal does not model (ESP 50, GRE 47, ...) carry no traffic the
        evaluator checks: they are left out and listed in `skipped`."""

        def kept(rules: list[dict[str, Any]], owner: str) -> list[dict[str, Any]]:
            result = []
            for rule in rules:
                if rule.get("protocol") in MODELLED_PROTOCOLS:
                    result.append(rule)
                    continue
                origin = rule.get("origin") or {}
                where = f"{origin.get('file')}:{origin.get('line')}: " if origin.get("line") else ""
                self.skip(
                    f"{where}{owner}: a rule for IP protocol {rule.get('protocol')} left out: not modelled"
                )
            return result

        for group in self.security_groups.values():
            for direction in ("inbound", "outbound"):
                if direction in group:
                    group[direction] = kept(group[direction], group["id"])
        for acl in self.acls.values():
            acl.inbound, acl.outbound = kept(acl.inbound, acl.id), kept(acl.outbound, acl.id)

    def _group_vpc(self, resource: dict[str, Any]) -> str | None:
        """The one VPC the source gives the resource's security groups, if it gives exactly one."""
        vpcs = {self.security_groups[g]["vpc"] for g in resource.get("security_groups") or []
                if g in self.security_groups and g not in self.defaulted_groups and g not in self.external_groups}  # fmt: skip
        return next(iter(vpcs)) if len(vpcs) == 1 and None not in vpcs else None

    def _place(self, resource: dict[str, Any], who: str, reason: str = "its subnet is not known") -> None:
        """A resource whose subnet is not known: a subnet of its groups' VPC, else the default VPC's."""
        vpc = self._group_vpc(resource)
        candidates = [s for s in self.subnets if vpc and self.subnets[s]["vpc"] == vpc]
        if candidates:
            resource["subnet"] = candidates[0]
            self.assume(f"{who}: {reason}: placed in {candidates[0]}, a subnet of {vpc} (the VPC of its "
                        "security groups)")  # fmt: skip
        else:
            plain = reason == "its subnet is not known"  # default_vpc's own message says so
            resource["subnet"] = (
                DEFAULT_SUBNET if self.default_vpc(who if plain else f"{who}: {reason}, so") else None
            )
        order = list(resource)  # keep the usual key order: subnet after type
        for key in [k for k in order if k not in ("id", "type", "subnet")]:
            resource[key] = resource.pop(key)

    def _home_groups(self) -> None:
        """A security group without a known VPC goes with the first resource that uses it, else it is in the
        default VPC (where AWS creates a group without a VpcId)."""
        for resource in self.resources.values():
            subnet = self.subnets.get(resource.get("subnet") or "")
            for group_id in resource.get("security_groups") or []:
                group = self.security_groups.get(group_id)
                if (
                    subnet
                    and group is not None
                    and group_id in self.defaulted_groups
                    and group["vpc"] is None
                ):
                    group["vpc"] = subnet["vpc"]
                    if subnet["vpc"] == DEFAULT_VPC:
                        self.default_vpc(self.defaulted_groups[group_id])
                    else:
                        self.assume(f"{self.defaulted_groups[group_id]}: its VPC is not known: placed in "
                                    f"{subnet['vpc']}, the VPC of {resource['id']}, which uses it")  # fmt: skip
        for group_id, who in self.defaulted_groups.items():
            if self.security_groups[group_id]["vpc"] is None:
                self.security_groups[group_id]["vpc"] = self.default_vpc(who)

    def build(self) -> dict[str, Any]:
        self._drop_unplaceable_subnets()
        self._drop_unmodelled_protocols()
        for database in self.databases:
            try:
                self._resolve_database(database)
            except SHAPE_ERRORS as exc:
                if not is_shape_error(exc):
                    raise
                where = f"{database.origin.get('file')}:{database.origin.get('line') or 1}: {database.id}"
                raise InputError(
                    f"{where}: a value has a shape this importer does not read ({type(exc).__name__}: {exc})",
                    {database.id: ["Unsupported shape."]},
                ) from None
        self._resolve_cluster_members()
        for resource in self.resources.values():
            subnet = resource.get("subnet")
            if resource["type"] in ("on_premises", "internet"):
                continue
            if resource["id"] in self.unplaced:
                self._place(resource, self.unplaced[resource["id"]])
            elif subnet and subnet not in self.subnets:
                self._place(resource, resource["id"], f"subnet {subnet} is not part of this source")
            for group in resource.get("security_groups") or []:
                if group not in self.security_groups:
                    self._default_group(group, resource)
                if group not in self.security_groups or group in self.external_groups:
                    self.unknown_groups.add(resource["id"])
                    external = self.security_groups.get(group) or self._external_group(group)
                    if external["vpc"] is None and resource.get("subnet") in self.subnets:
                        external["vpc"] = self.subnets[resource["subnet"]]["vpc"]
        self._home_groups()
        for group_id in sorted(self.external_groups):
            group = self.security_groups[group_id]
            where = "in the default VPC" if group["vpc"] is None else f"in {group['vpc']}"
            group["vpc"] = group["vpc"] or self.default_vpc(f"security group {group_id}")
            self.assume(f"security group {group_id} is not part of this source: modelled {where} with only the "
                        "rules this source adds to it; flows through it are not derived")  # fmt: skip
        if self.backup_selections:
            self.backup.add("aws_backup")
        elif self.backup_plans:
            self.assume(f"backup plan {', '.join(self.backup_plans)} selects no resources: not counted")
        for subnet_id, subnet in self.subnets.items():
            subnet["public"] = self.is_public(subnet_id)
            if not subnet["public"] and self._default_route_to(subnet_id, "nat"):
                subnet["nat_gateway"] = True
            origin = subnet.pop("origin")
            if origin:  # the default VPC's subnet has none: it is not written anywhere
                subnet["origin"] = origin
        for link in list(self.peerings.values()):
            if len(link.vpcs) != 2:
                self.skip(f"peering {link.id}: one of its two VPCs is unknown")
                del self.peerings[link.id]
        referenced = [s.get("vpc") for s in self.subnets.values()]
        referenced += [g.get("vpc") for g in self.security_groups.values()]
        referenced += [
            vpc for link in [*self.peerings.values(), *self.transit_gateways.values()] for vpc in link.vpcs
        ]
        for vpc_id, vpc_item in self.vpcs.items():
            cidr = None if "cidr" in vpc_item else self._external_vpc_cidr(vpc_id)
            if cidr:
                self.assume(f"VPC {vpc_id}: its CIDR is not known: assumed to be {cidr}, the smallest block that "
                            "holds its subnets")  # fmt: skip
                vpc_item["cidr"] = cidr
                vpc_item["origin"] = vpc_item.pop("origin")
        for vpc in sorted({vpc for vpc in referenced if vpc and vpc not in self.vpcs}):
            cidr = self._external_vpc_cidr(vpc)
            if cidr:
                self.assume(f"VPC {vpc} is not part of this source: its CIDR is assumed to be {cidr}, the smallest "
                            "block that holds the subnets created in it; its region and account are unknown")  # fmt: skip
                self.vpcs[vpc] = {"id": vpc, "cidr": cidr}
                continue
            self.assume(f"VPC {vpc} is not part of this source: its CIDR, region and account are unknown")
            self.vpcs[vpc] = {"id": vpc}
        peerings = [
            {"id": link.id, "vpcs": link.vpcs, "routes": self._link_routes(link, "peering"), **link.extra,
             "origin": link.origin}
            for link in self.peerings.values()
        ]  # fmt: skip
        transit_gateways = [
            {"id": link.id, "attachments": link.vpcs, "routes": self._link_routes(link, "transit gateway"),
             "origin": link.origin}
            for link in self.transit_gateways.values()
        ]  # fmt: skip
        network_acls = []
        for subnet_id, acl_id in sorted(self.acl_of.items()):
            acl = self.acls.get(acl_id)
            if acl is None:
                self.skip(f"subnet {subnet_id}: network ACL {acl_id} is not part of this source")
                continue
            entry = {
                "subnet": subnet_id,
                "inbound": acl.inbound,
                "outbound": acl.outbound,
                "origin": acl.origin,
            }
            network_acls.append(copy.deepcopy(entry))
        flows = self._derive_flows()
        topology: dict[str, Any] = {
            "vpcs": list(self.vpcs.values()),
            "subnets": list(self.subnets.values()),
            "security_groups": list(self.security_groups.values()),
            "network_acls": network_acls,
            "peerings": peerings,
            "transit_gateways": transit_gateways,
            "vpns": self.vpns,
            "resources": list(self.resources.values()),
            "flows": flows,
        }
        proposal: dict[str, Any] = {"name": self.name}
        choices = self._choices(flows)
        if choices:
            proposal["choices"] = choices
        proposal["topology"] = {key: value for key, value in topology.items() if value}
        proposal["import"] = {
            "source": self.source,
            "file": self.file,
            "assumptions": self.assumptions,
            "skipped": self.skipped,
        }
        return proposal
