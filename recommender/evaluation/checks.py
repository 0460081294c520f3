"""Security and resilience checks over a proposal's topology and choices.

Each check yields `Hit`s: a finding id (its severity, texts and sources live in knowledge/findings.yaml),
the resource it is about, the values its message template needs, and where it was written.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from recommender.evaluation.proposal import (
    Location,
    Network,
    Proposal,
    Resource,
    SecurityGroup,
    Topology,
    TrafficRule,
    covers,
    overlaps,
    within,
)

WORLD: tuple[Network, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


@dataclass(frozen=True)
class Hit:
    finding: str
    resource: str
    values: Mapping[str, Any]
    at: Location | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkData:
    """The `network:` data of knowledge/findings.yaml, read once per knowledge base."""

    database_ports: Mapping[int, str]
    admin_ports: Mapping[int, str]
    backup_coverage: Mapping[str, tuple[str, ...]]
    stateful_by_default: frozenset[str]
    backup_best: Mapping[str, Mapping[str, int]]
    world_cidrs: tuple[Network, ...] = WORLD
    ephemeral_ports: tuple[int, int] = (1024, 65535)
    private_cidrs: tuple[Network, ...] = ()
    broad_public_prefix: int = 8  # a public range shorter than this (fewer prefix bits) is "very broad"

    @classmethod
    def from_kb(cls, network: Mapping[str, Any]) -> NetworkData:
        low, high = network.get("ephemeral_ports") or (1024, 65535)
        return cls(
            world_cidrs=_networks(network.get("world_cidrs") or ("0.0.0.0/0", "::/0")),
            ephemeral_ports=(int(low), int(high)),
            private_cidrs=_networks(network.get("private_cidrs") or ()),
            broad_public_prefix=int(network.get("broad_public_prefix") or 8),
            database_ports={int(k): str(v) for k, v in (network.get("database_ports") or {}).items()},
            admin_ports={int(k): str(v) for k, v in (network.get("admin_ports") or {}).items()},
            backup_coverage={str(k): tuple(v) for k, v in (network.get("backup_coverage") or {}).items()},
            stateful_by_default=frozenset(network.get("stateful_by_default") or ()),
            backup_best={str(k): dict(v) for k, v in (network.get("backup_best_minutes") or {}).items()},
        )


def _networks(texts: Iterable[Any]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(str(t), strict=False) for t in texts)


def _world_of(cidr: Network | None, data: NetworkData) -> Network | None:
    """The world range (0.0.0.0/0, ::/0) this rule's range is, if it is one."""
    if cidr is None:
        return None
    return next((w for w in data.world_cidrs if within(w, cidr)), None)


def _tcp_ports_in(rule: TrafficRule, ports: Mapping[int, str]) -> list[int]:
    if rule.protocol not in ("tcp", "all"):
        return []
    low, high = rule.ports
    return sorted(p for p in ports if low <= p <= high)


def _describe(ports: list[int], names: Mapping[int, str]) -> str:
    shown = [f"{p} ({names[p]})" if p in names else str(p) for p in ports[:6]]
    more = f" and {len(ports) - 6} more" if len(ports) > 6 else ""
    return ("port " if len(ports) == 1 else "ports ") + ", ".join(shown) + more


def _is_all_traffic(rule: TrafficRule) -> bool:
    return rule.protocol == "all" or (rule.protocol in ("tcp", "udp") and rule.ports == (0, 65535))


def database_ports_of_group(
    topology: Topology, group: SecurityGroup, known: Mapping[int, str]
) -> dict[int, str]:
    """The known database ports, plus the ports of the databases this group protects."""
    ports = dict(known)
    for resource_id in topology.members.get(group.id, ()):
        resource = topology.resources[resource_id]
        if resource.is_database and resource.port is not None and resource.port not in ports:
            ports[resource.port] = f"{resource.id}'s port"
    return ports


def security_group_hits(proposal: Proposal, data: NetworkData) -> Iterator[Hit]:
    t = proposal.topology
    for group in t.security_groups.values():
        db_ports = database_ports_of_group(t, group, data.database_ports)
        vpc = t.vpcs.get(group.vpc)
        open_ports: set[int] = set()
        for rule in group.inbound:
            if _world_of(rule.cidr, data) is not None:
                yield from _world_rule_hits(t, group, rule, db_ports, data)
                open_ports |= _open_ports(rule, db_ports, data)
        for combined in _world_by_union(group, db_ports, data):
            yield from _world_rule_hits(t, group, combined, db_ports, data)
            open_ports |= _open_ports(combined, db_ports, data)
        yield from _broad_public_hits(group, db_ports, data, open_ports)
        for rule in group.inbound:
            if rule.cidr is not None and vpc is not None and _world_of(rule.cidr, data) is None \
                    and not _broad_public(rule.cidr, data):  # fmt: skip
                ports = _tcp_ports_in(rule, db_ports)
                inside = _aws_network_in(t, rule.cidr, vpc.region)
                if ports and inside:
                    yield Hit("sg-broad-database-source", group.id, {
                        "group": group.id, "ports": _describe(ports, db_ports), "cidr": rule.peer_text,
                        "network": inside, "first_port": ports[0],
                    }, rule.at)  # fmt: skip
            if rule.group is not None and vpc is not None:
                peer = t.security_groups.get(rule.group)
                peer_vpc = t.vpcs.get(peer.vpc) if peer else None
                if peer_vpc and vpc.region and peer_vpc.region and vpc.region != peer_vpc.region:
                    yield Hit("sg-reference-cross-region", group.id, {
                        "group": group.id, "peer_group": rule.group, "peer_region": peer_vpc.region,
                        "region": vpc.region, "peer_cidr": str(peer_vpc.cidr),
                    }, rule.at)  # fmt: skip


def _world_rule_hits(
    t: Topology, group: SecurityGroup, rule: TrafficRule, db_ports: Mapping[int, str], data: NetworkData
) -> Iterator[Hit]:
    cidr = rule.peer_text
    if _is_all_traffic(rule):
        what = "all traffic" if rule.protocol == "all" else f"every {rule.protocol} port"
        yield Hit("sg-all-traffic-open", group.id, {"group": group.id, "what": what, "cidr": cidr}, rule.at)
    ports = _tcp_ports_in(rule, db_ports)
    if ports:
        clients = sorted(
            {g for member in t.members.get(group.id, ()) for g in _client_groups(t, member)} - {group.id}
        )
        yield Hit("sg-open-database-port", group.id, {
            "group": group.id, "ports": _describe(ports, db_ports), "cidr": cidr, "first_port": ports[0],
            "app_groups": f" ({', '.join(clients)})" if clients else "",
        }, rule.at)  # fmt: skip
    admin = _tcp_ports_in(rule, data.admin_ports)
    if admin:
        yield Hit("sg-open-admin-port", group.id, {
            "group": group.id, "ports": _describe(admin, data.admin_ports), "cidr": cidr, "first_port": admin[0],
        }, rule.at)  # fmt: skip


def _open_ports(rule: TrafficRule, db_ports: Mapping[int, str], data: NetworkData) -> set[int]:
    return set(_tcp_ports_in(rule, db_ports)) | set(_tcp_ports_in(rule, data.admin_ports))


def _world_by_union(
    group: SecurityGroup, db_ports: Mapping[int, str], data: NetworkData
) -> Iterator[TrafficRule]:
    """Rules that are world-open only together (0.0.0.0/1 + 128.0.0.0/1 on one port), each set as one rule
    whose peer names its parts. Probed on the database and admin ports and on all traffic."""
    probes: list[tuple[str, int]] = [("all", 0), ("tcp", -1)]
    probes += [("tcp", p) for p in sorted(set(db_ports) | set(data.admin_ports))]
    for world in data.world_cidrs:
        parts = [r for r in group.inbound if r.cidr is not None and within(r.cidr, world) and r.cidr != world]
        if not covers((r.cidr for r in parts if r.cidr is not None), world):
            continue
        single = [r for r in group.inbound if r.cidr is not None and r.cidr == world]
        seen: list[tuple[TrafficRule, ...]] = []
        for protocol, port in probes:

            def opens(rule: TrafficRule, protocol: str = protocol, port: int = port) -> bool:
                if protocol == "all":
                    return rule.protocol == "all"
                if port < 0:
                    return _is_all_traffic(rule) and rule.protocol in ("tcp", "all")
                return rule.protocol in ("tcp", "all") and rule.ports[0] <= port <= rule.ports[1]

            if any(opens(r) for r in single):
                continue
            together = tuple(r for r in parts if opens(r))
            if together in seen or not covers((r.cidr for r in together if r.cidr is not None), world):
                continue
            seen.append(together)
            low = max(r.ports[0] for r in together)
            high = min(r.ports[1] for r in together)
            yield TrafficRule(
                protocol="all" if all(r.protocol == "all" for r in together) else "tcp",
                ports=(low, high), cidr=world, group=None, allow=True, number=0, at=together[0].at,
                peer_text=" + ".join(r.peer_text for r in together) + f" (together {world})",
            )  # fmt: skip


def _broad_public(cidr: Network, data: NetworkData) -> bool:
    """Shorter than the knowledge base's prefix (/8), outside private space, and not the whole internet."""
    if cidr.prefixlen >= data.broad_public_prefix or _world_of(cidr, data) is not None:
        return False
    return not any(within(cidr, p) for p in data.private_cidrs)


def _broad_public_hits(
    group: SecurityGroup, db_ports: Mapping[int, str], data: NetworkData, world_open: set[int]
) -> Iterator[Hit]:
    """A database or admin port open to a public range shorter than /8 (but not the whole internet)."""
    names = {**db_ports, **data.admin_ports}
    for rule in group.inbound:
        cidr = rule.cidr
        if cidr is None or not _broad_public(cidr, data):
            continue
        ports = sorted(_open_ports(rule, db_ports, data) - world_open)
        if ports:
            yield Hit("sg-broad-public-source", group.id, {
                "group": group.id, "ports": _describe(ports, names), "cidr": rule.peer_text,
                "addresses": f"{cidr.num_addresses:,}", "prefix": data.broad_public_prefix, "first_port": ports[0],
            }, rule.at)  # fmt: skip


def _client_groups(t: Topology, resource_id: str) -> list[str]:
    """Security groups of the resources that have a flow to this one."""
    return [g for f in t.flows if f.target == resource_id for g in t.resources[f.source].security_groups]


def _aws_network_in(t: Topology, cidr: Network, region: str | None) -> str | None:
    """Which VPC of the same Region (unknown Regions count as the same) the range overlaps, if any."""
    for vpc in t.vpcs.values():
        same_region = region is None or vpc.region is None or vpc.region == region
        if same_region and overlaps(vpc.cidr, cidr):
            return (
                f"inside {vpc.id} ({vpc.cidr})"
                if within(cidr, vpc.cidr)
                else f"covering {vpc.id} ({vpc.cidr})"
            )
    return None


def database_hits(proposal: Proposal) -> Iterator[Hit]:
    t = proposal.topology
    for resource in t.resources.values():
        if not resource.is_database:
            continue
        if resource.publicly_accessible:
            yield Hit("db-publicly-accessible", resource.id, {"resource": resource.id}, resource.at)
        subnet = t.subnets.get(resource.subnet or "")
        if subnet is not None and subnet.public:
            yield Hit(
                "db-in-public-subnet",
                resource.id,
                {"resource": resource.id, "subnet": subnet.id},
                resource.at,
            )


def overlap_hits(proposal: Proposal) -> Iterator[Hit]:
    t = proposal.topology
    for peering in t.peerings:
        a, b = (t.vpcs[v] for v in peering.vpcs)
        if overlaps(a.cidr, b.cidr):
            yield Hit("peering-overlapping-cidrs", peering.id, {
                "peering": peering.id, "vpc_a": a.id, "cidr_a": str(a.cidr), "vpc_b": b.id, "cidr_b": str(b.cidr),
            }, peering.at)  # fmt: skip
    for tgw in t.transit_gateways:
        attached = [t.vpcs[v] for v in sorted(tgw.attachments) if v in t.vpcs]
        for i, a in enumerate(attached):
            for b in attached[i + 1 :]:
                if overlaps(a.cidr, b.cidr):
                    yield Hit("tgw-overlapping-cidrs", tgw.id, {
                        "tgw": tgw.id, "vpc_a": a.id, "cidr_a": str(a.cidr), "vpc_b": b.id, "cidr_b": str(b.cidr),
                    }, tgw.at)  # fmt: skip


# Resources AWS gives the VPC's default security group when none is named (EC2 RunInstances, RDS, ELBv2,
# ECS awsvpc tasks, Lambda in a VPC).
DEFAULT_GROUP_TYPES = frozenset({"ec2", "rds", "load_balancer", "ecs_service", "lambda"})


def default_group_hits(proposal: Proposal) -> Iterator[Hit]:
    """A resource that uses its VPC's default security group: named (a group with `default: true` or id
    `default`), or implied (a resource in a subnet that lists no security group)."""
    t = proposal.topology
    for resource in t.resources.values():
        vpc = t.vpc_of(resource)
        if vpc is None:
            continue
        used = [g for g in resource.security_groups if t.security_groups[g].default]
        if not resource.security_groups and resource.type in DEFAULT_GROUP_TYPES:
            yield Hit("sg-default-in-use", resource.id, {
                "resource": resource.id, "vpc": vpc.id, "how": "lists no security group, so it gets",
            }, resource.at)  # fmt: skip
        for group in used:
            yield Hit("sg-default-in-use", resource.id, {
                "resource": resource.id, "vpc": vpc.id, "how": f"uses {group},",
            }, resource.at)  # fmt: skip


def is_stateful(resource: Resource, data: NetworkData) -> bool:
    if resource.stateful is not None:
        return resource.stateful
    return resource.type in data.stateful_by_default


def backup_missing_hits(proposal: Proposal, data: NetworkData) -> Iterator[Hit]:
    chosen = list(proposal.choices.get("backup") or [])
    for resource in proposal.topology.resources.values():
        if not is_stateful(resource, data):
            continue
        covering = data.backup_coverage.get(resource.type, ())
        if not resource.automated_backups:  # this database's own automated backups are off
            covering = tuple(option for option in covering if option != "rds_automated_backups")
        if any(option in covering for option in chosen):
            continue
        yield Hit("backup-missing", resource.id, {
            "resource": resource.id, "type": resource.type,
            "chosen": f" (chosen: {', '.join(chosen)})" if chosen else " (no backup is chosen)",
            "options": ", ".join(covering) or "a backup of its data",
        }, resource.at)  # fmt: skip
