"""What every importer fills in, and how it becomes a proposal (shared/spec/proposal.md).

An importer reads its source (a template, a plan, an account) into a `ProposalBuilder`: VPCs, subnets,
security groups, route tables, network ACLs, links and resources, each with the `origin` it came from.
`build()` then derives what no source states directly (which subnets are public, whether a peering or a
transit gateway has routes on both sides, candidate flows, choices) and returns the proposal dict, with
an `import` section that lists every assumption made and everything skipped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

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


def normalize_engine(engine: str) -> str | None:
    """The proposal's engine name for an RDS engine string ('sqlserver-ee' -> 'sqlserver'), or None."""
    engine = engine.lower()
    if engine == "aurora":
        return "aurora-mysql"
    for known in ("aurora-postgresql", "aurora-mysql", "mariadb", "mysql", "postgres", "sqlserver", "oracle"):
        if engine.startswith(known):
            return known
    return None


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
    return str(low) if low == high else f"{low}-{high}"


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
class NetworkAcl:
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
        self.acls: dict[str, NetworkAcl] = {}
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

    def add_rule(self, sg_id: str, direction: str, rule: dict[str, Any]) -> None:
        """Append a rule (inbound/outbound) to a group; a rule for a group outside the source is noted."""
        group = self.security_groups.get(sg_id)
        if group is None:
            where = rule["origin"].get("logical_id")
            self.skip(f"{where}: rule for security group {sg_id}, which is not part of this source")
            return
        group[direction].append(rule)

    def add_resource(self, resource: dict[str, Any]) -> None:
        self.resources[resource["id"]] = resource

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

    def _is_public(self, subnet_id: str) -> bool:
        return self._default_route_to(subnet_id, "igw") or subnet_id in self.map_public_ip

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
        computes = [r for r in self.resources.values() if r["type"] in COMPUTE_TYPES]
        databases = [r for r in self.resources.values() if r["type"] in DATABASE_TYPES and "port" in r]
        flows = [
            {"from": compute["id"], "to": database["id"], "port": database["port"]}
            for compute in computes
            for database in databases
        ]
        if flows:
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
        if instance_type:
            choices["instance_type"] = instance_type
        connectivity = self._connectivity(flows)
        if connectivity:
            choices["connectivity"] = connectivity
            self.assume(f"choices.connectivity is {connectivity}, read from the network links found")
        if self.backup:
            choices["backup"] = sorted(self.backup)
        return choices

    def build(self) -> dict[str, Any]:
        for subnet_id, subnet in self.subnets.items():
            subnet["public"] = self._is_public(subnet_id)
            if not subnet["public"] and self._default_route_to(subnet_id, "nat"):
                subnet["nat_gateway"] = True
            subnet["origin"] = subnet.pop("origin")
        for link in list(self.peerings.values()):
            if len(link.vpcs) != 2:
                self.skip(f"peering {link.id}: one of its two VPCs is unknown")
                del self.peerings[link.id]
        referenced = [s.get("vpc") for s in self.subnets.values()]
        referenced += [g.get("vpc") for g in self.security_groups.values()]
        referenced += [
            vpc for link in [*self.peerings.values(), *self.transit_gateways.values()] for vpc in link.vpcs
        ]
        for vpc in sorted({vpc for vpc in referenced if vpc and vpc not in self.vpcs}):
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
