"""Can a flow pass? Traced hop by hop with AWS semantics (docs/evaluation.md, "Reachability").

Outbound: the source's security groups (stateful, allow-only), the source subnet's network ACL (stateless,
ascending rule numbers, first match wins, implicit deny), the route between the two networks (local,
peering, transit gateway, VPN / Direct Connect, internet gateway), then inbound the target subnet's ACL and
the target's security groups. Return traffic skips the security groups (stateful) but must pass both ACLs
on the ephemeral ports 1024-65535. The first element that blocks is reported, naming what it is and why.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from recommender.evaluation.proposal import (
    Network,
    NetworkAcl,
    Resource,
    Topology,
    TrafficRule,
    Vpc,
    covers,
    overlaps,
    within,
)

WORLD_V4 = ipaddress.ip_network("0.0.0.0/0")
EPHEMERAL = (1024, 65535)  # the default; the evaluation passes the knowledge base's ephemeral_ports


@dataclass(frozen=True, slots=True)
class Address:
    """Where traffic comes from or goes to: an address range, or the whole internet."""

    cidr: Network | None  # None: the internet (any public address)
    label: str

    @property
    def is_world(self) -> bool:
        return self.cidr is None

    def within(self, rule_cidr: Network | None) -> bool:
        """True when the rule's CIDR covers every address of this one."""
        if rule_cidr is None:
            return False
        if self.cidr is None:
            return rule_cidr.prefixlen == 0
        return within(self.cidr, rule_cidr)


@dataclass
class Trace:
    reachable: bool = True
    path: list[str] = field(default_factory=list)
    blocked_by: str | None = None
    fix: str | None = None
    return_blocked: tuple[str, str, str] | None = None  # (subnet, direction, address) of a return-traffic ACL
    # For the diagram: the node (VPC, subnet, resource, gateway) each hop of `path` happens at, and the hop
    # that blocks (its label and node); `path` itself lists only the hops that passed.
    nodes: list[str | None] = field(default_factory=list)
    blocked_hop: tuple[str, str | None] | None = None

    def passed(self, hop: str, node: str | None) -> None:
        self.path.append(hop)
        self.nodes.append(node)

    def block(self, why: str, fix: str, *, at: tuple[str, str | None]) -> Trace:
        self.reachable, self.blocked_by, self.fix, self.blocked_hop = False, why, fix, at
        return self


@dataclass(frozen=True, slots=True)
class Route:
    hop: str
    references_ok: bool  # may a security group rule reference the other side's group?
    reference_note: str = ""
    node: str | None = None  # the diagram node the route goes through (VPC, gateway, or the outside end)
    inbound_only: bool = False  # references match only in inbound rules (a transit gateway)

    def outbound(self) -> Route:
        """The route as the source's outbound rules see it."""
        if not self.inbound_only or not self.references_ok:
            return self
        return Route(self.hop, False, f"{self.node} supports security group references only in inbound rules "
                     f"(an outbound rule cannot name a group across a transit gateway)", self.node)  # fmt: skip


def protocol_matches(rule: TrafficRule, protocol: str) -> bool:
    return rule.protocol == "all" or rule.protocol == protocol


def _ports_text(protocol: str, ports: tuple[int, int]) -> str:
    if protocol in ("icmp", "icmpv6", "all"):
        return protocol
    low, high = ports
    return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"


class Tracer:
    """Reachability over one proposal's topology; the indexes are built once and shared by its flows."""

    def __init__(self, topology: Topology, ephemeral: tuple[int, int] = EPHEMERAL):
        self.t = topology
        self.ephemeral = ephemeral  # knowledge/findings.yaml network.ephemeral_ports
        self.peerings: dict[frozenset[str], list] = {}
        for peering in topology.peerings:
            self.peerings.setdefault(frozenset(peering.vpcs), []).append(peering)
        self.neighbours: dict[str, set[str]] = {}
        for peering in topology.peerings:
            a, b = peering.vpcs
            self.neighbours.setdefault(a, set()).add(b)
            self.neighbours.setdefault(b, set()).add(a)
        for tgw in topology.transit_gateways:
            attached = [v for v in tgw.attachments if v in topology.vpcs]
            for v in attached:
                self.neighbours.setdefault(v, set()).update(x for x in attached if x != v)

    # -- addresses -------------------------------------------------------------------------------------

    def address(self, resource: Resource) -> Address:
        if resource.type == "internet" or (resource.type == "lambda" and resource.subnet is None):
            return Address(
                None, "the internet" if resource.type == "internet" else f"{resource.id} (outside any VPC)"
            )
        if resource.type == "on_premises":
            assert resource.cidr is not None
            return Address(resource.cidr, f"{resource.cidr} ({resource.id})")
        subnet = self.t.subnets[resource.subnet or ""]
        return Address(subnet.cidr, f"{subnet.cidr} ({subnet.id})")

    def in_vpc(self, resource: Resource) -> bool:
        return resource.subnet is not None

    # -- the trace -------------------------------------------------------------------------------------

    def trace(self, source: Resource, target: Resource, port: int, protocol: str) -> Trace:
        tr = Trace(path=[source.id], nodes=[source.id])
        src, dst = self.address(source), self.address(target)
        service = _ports_text(protocol, (port, port))
        if not self.in_vpc(source) and not self.in_vpc(target):
            tr.passed("outside AWS: not modelled", None)
            tr.passed(target.id, target.id)
            return tr
        if target.type == "lambda" and target.subnet is None:
            return tr.block(f"{target.id} is a Lambda function outside any VPC: it accepts no inbound connections",
                            f"Invoke {target.id} through its API (or an API Gateway / function URL) instead.",
                            at=(f"{target.id} inbound", target.id))  # fmt: skip
        route = self.route(source, target)
        if isinstance(route, Trace):
            route.path, route.nodes = tr.path, tr.nodes
            return route
        if self.in_vpc(source) and not self.security_groups_out(
            tr, source, target, dst, port, protocol, route, service
        ):
            return tr
        same_subnet = source.subnet is not None and source.subnet == target.subnet
        if (
            self.in_vpc(source)
            and not same_subnet
            and not self.acl(
                tr, source.subnet, "outbound", dst, (port, port), protocol, f"{service} to {dst.label}"
            )
        ):
            return tr
        tr.passed(route.hop, route.node)
        if (
            self.in_vpc(target)
            and not same_subnet
            and not self.acl(
                tr, target.subnet, "inbound", src, (port, port), protocol, f"{service} from {src.label}"
            )
        ):
            return tr
        if self.in_vpc(target) and not self.security_groups_in(
            tr, source, target, src, port, protocol, route, service
        ):
            return tr
        tr.passed(target.id, target.id)
        if same_subnet:
            return tr
        back = _ports_text(protocol, self.ephemeral)
        if self.in_vpc(target) and not self.acl(
            tr, target.subnet, "outbound", src, self.ephemeral, protocol, f"return traffic {back} (ephemeral) to {src.label}",
            returning=True,
        ):  # fmt: skip
            return tr
        if self.in_vpc(source) and not self.acl(
            tr, source.subnet, "inbound", dst, self.ephemeral, protocol,
            f"return traffic {back} (ephemeral) from {dst.label}", returning=True,
        ):  # fmt: skip
            return tr
        return tr

    # -- routing ---------------------------------------------------------------------------------------

    def route(self, source: Resource, target: Resource) -> Route | Trace:
        t = self.t
        if self.in_vpc(source) and self.in_vpc(target):
            a, b = t.vpc_of(source), t.vpc_of(target)
            assert a is not None and b is not None
            if a.id == b.id:
                return Route(f"route: local in {a.id}", True, node=a.id)
            return self.vpc_to_vpc(a, b)
        if self.in_vpc(target):
            return self.outside_to_vpc(source, target, inbound=True)
        return self.outside_to_vpc(target, source, inbound=False)

    def vpc_to_vpc(self, a: Vpc, b: Vpc) -> Route | Trace:
        overlap = overlaps(a.cidr, b.cidr)
        blockers: list[Trace] = []
        for peering in self.peerings.get(frozenset((a.id, b.id)), []):
            if overlap:
                blockers.append(Trace().block(
                    f"{peering.id} cannot route between {a.id} and {b.id}: their CIDRs overlap ({a.cidr} and {b.cidr})",
                    "Re-address one VPC so the CIDRs do not overlap, or use AWS PrivateLink.",
                    at=(f"route {a.id} -> {b.id} via {peering.id}", a.id),
                ))  # fmt: skip
            elif not peering.routes:
                blockers.append(Trace().block(
                    f"{peering.id} joins {a.id} and {b.id} but has no routes (routes: false): neither route table "
                    f"sends the peer CIDR to the peering",
                    f"Add a route to {b.cidr} via {peering.id} in {a.id}'s route table and to {a.cidr} in {b.id}'s.",
                    at=(f"route {a.id} -> {b.id} via {peering.id}", a.id),
                ))  # fmt: skip
            else:
                same_region = a.region is None or b.region is None or a.region == b.region
                note = "" if same_region else (
                    f"security group reference across regions (cross-region peering): {a.id} is in {a.region} and "
                    f"{b.id} in {b.region}, "
                    f"and AWS allows security group references over a peering only within one Region"
                )  # fmt: skip
                return Route(f"route {a.id} -> {b.id} via {peering.id}", same_region, note, node=b.id)
        for tgw in self.t.transit_gateways:
            if a.id not in tgw.attachments or b.id not in tgw.attachments:
                continue
            if overlap:
                blockers.append(Trace().block(
                    f"{tgw.id} cannot route between {a.id} and {b.id}: their CIDRs overlap ({a.cidr} and {b.cidr})",
                    "Re-address one VPC so the CIDRs do not overlap, or use AWS PrivateLink.",
                    at=(f"route {a.id} -> {b.id} via {tgw.id}", tgw.id),
                ))  # fmt: skip
            elif a.region and b.region and a.region != b.region:
                blockers.append(Trace().block(
                    f"{tgw.id} is regional: {a.id} ({a.region}) and {b.id} ({b.region}) cannot both attach to it",
                    "Give each Region its own transit gateway and peer the transit gateways.",
                    at=(f"route {a.id} -> {b.id} via {tgw.id}", tgw.id),
                ))  # fmt: skip
            elif not tgw.routes:
                blockers.append(Trace().block(
                    f"{tgw.id} attaches {a.id} and {b.id} but has no routes (routes: false)",
                    f"Route {b.cidr} to {tgw.id} in {a.id}'s route tables (and back), and associate and propagate "
                    f"both attachments in the transit gateway route table.",
                    at=(f"route {a.id} -> {b.id} via {tgw.id}", tgw.id),
                ))  # fmt: skip
            else:
                note = "" if tgw.security_group_referencing else (
                    f"{tgw.id} does not have security group referencing enabled"
                )  # fmt: skip
                return Route(
                    f"route {a.id} -> {b.id} via {tgw.id}",
                    tgw.security_group_referencing,
                    note,
                    node=tgw.id,
                    inbound_only=True,
                )
        if blockers:
            return blockers[0]
        chain = self.transitive_chain(a.id, b.id)
        if chain:
            return Trace().block(
                f"no route between {a.id} and {b.id}: {a.id} reaches {b.id} only through {' -> '.join(chain)}, "
                f"and VPC peering is not transitive (no edge-to-edge routing through another VPC)",
                f"Add a peering between {a.id} and {b.id}, or attach both to a transit gateway.",
                at=(f"route {a.id} -> {b.id}", a.id),
            )
        return Trace().block(
            f"no route between {a.id} and {b.id}: no peering, transit gateway or VPN connects them",
            f"Connect {a.id} and {b.id} with a VPC peering (with routes) or a transit gateway.",
            at=(f"route {a.id} -> {b.id}", a.id),
        )

    def transitive_chain(self, start: str, goal: str) -> list[str]:
        """The VPCs a path through other VPCs would take (empty when there is none)."""
        previous: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for nxt in sorted(self.neighbours.get(current, ())):
                if nxt not in previous:
                    previous[nxt] = current
                    if nxt == goal:
                        chain: list[str] = []
                        node: str | None = goal
                        while node is not None:
                            chain.append(node)
                            node = previous[node]
                        return chain[::-1]
                    queue.append(nxt)
        return []

    def outside_to_vpc(self, outside: Resource, inside: Resource, *, inbound: bool) -> Route | Trace:
        """A route between a resource outside AWS (or outside any VPC) and one in a VPC."""
        vpc = self.t.vpc_of(inside)
        subnet = self.t.subnets[inside.subnet or ""]
        assert vpc is not None
        arrow = (lambda x, y: f"{x} -> {y}") if inbound else (lambda x, y: f"{y} -> {x}")
        if outside.type == "on_premises":
            assert outside.cidr is not None
            return self.on_premises(outside, vpc, arrow, outside.id if inbound else vpc.id)
        to_internet = f"route {arrow('internet', vpc.id)}"
        # the internet, or a Lambda function outside any VPC
        if inbound:
            if not subnet.public:
                return Trace().block(
                    f"{inside.id} is not reachable from the internet: {subnet.id} is a private subnet "
                    f"(not public: no route to an internet gateway)",
                    f"Put an internet-facing load balancer in a public subnet in front of {inside.id}, or reach it privately.",
                    at=(to_internet, subnet.id),
                )  # fmt: skip
            if inside.is_database and not inside.publicly_accessible:
                return Trace().block(
                    f"{inside.id} is not reachable from the internet: it is not publicly accessible "
                    f"(publicly_accessible: false)",
                    f"Reach {inside.id} privately (attach the client to the VPC, or use a VPN); a public database "
                    f"is a last resort.",
                    at=(f"{inside.id} public access", inside.id),
                )  # fmt: skip
            return Route(f"route internet -> {vpc.id} via internet gateway", False, node=vpc.id)
        if subnet.public:
            return Route(f"route {vpc.id} -> internet via internet gateway", False, node=outside.id)
        if subnet.nat_gateway:
            return Route(f"route {vpc.id} -> internet via NAT gateway", False, node=outside.id)
        return Trace().block(
            f"no route from {subnet.id} to the internet: it is a private subnet without a NAT gateway",
            f"Add a NAT gateway route to {subnet.id}'s route table, or use VPC endpoints for AWS services.",
            at=(to_internet, subnet.id),
        )

    def on_premises(self, outside: Resource, vpc: Vpc, arrow: object, near: str) -> Route | Trace:
        """`near`: the source side's node, where a missing route stops the traffic."""
        assert outside.cidr is not None and callable(arrow)
        cidr = outside.cidr
        hop = f"route {arrow(outside.id, vpc.id)}"
        if overlaps(cidr, vpc.cidr):
            return Trace().block(
                f"{outside.id} ({cidr}) overlaps {vpc.id}'s CIDR {vpc.cidr}: traffic to the overlapping range "
                f"stays inside the VPC",
                "Re-address one side, or translate addresses (NAT) at the edge.",
                at=(hop, near),
            )
        covering = [v for v in self.t.vpns
                    if within(cidr, v.on_premises_cidr)]  # fmt: skip
        others: list[str] = []
        for vpn in covering:
            if vpn.vpc == vpc.id:
                return Route(f"{hop} via {vpn.id}", False, node=vpn.id)
            for tgw in self.t.transit_gateways:
                attached = vpn.transit_gateway == tgw.id or vpn.id in tgw.attachments
                if attached and vpc.id in tgw.attachments:
                    if not tgw.routes:
                        return Trace().block(
                            f"{tgw.id} attaches {vpn.id} and {vpc.id} but has no routes (routes: false)",
                            f"Route {cidr} to {tgw.id} in {vpc.id}'s route tables and propagate {vpn.id}'s routes.",
                            at=(f"{hop} via {vpn.id} and {tgw.id}", tgw.id),
                        )
                    return Route(f"{hop} via {vpn.id} and {tgw.id}", False, node=tgw.id)
            others.append(vpn.vpc or vpn.transit_gateway or "")
        if covering:
            return Trace().block(
                f"no route between {outside.id} ({cidr}) and {vpc.id}: {covering[0].id} reaches "
                f"{', '.join(others)} only, and a VPN does not extend over peering to other VPCs "
                f"(not transitive: no edge-to-edge routing)",
                f"Terminate the VPN on a transit gateway that {vpc.id} is attached to, or add a VPN to {vpc.id}.",
                at=(f"{hop} via {covering[0].id}", covering[0].id),
            )
        return Trace().block(
            f"no route between {outside.id} ({cidr}) and {vpc.id}: no VPN or Direct Connect connects "
            f"{cidr} to {vpc.id}",
            f"Add a Site-to-Site VPN (or Direct Connect) from {cidr} to {vpc.id} or to a transit gateway it is attached to.",
            at=(hop, near),
        )  # fmt: skip

    # -- security groups -------------------------------------------------------------------------------

    def _groups(self, resource: Resource) -> list[str]:
        return list(resource.security_groups)

    def member(self, resource: Resource, group: str) -> bool:
        return resource.id in self.t.members.get(group, ())

    def security_groups_out(
        self, tr: Trace, source: Resource, target: Resource, dst: Address, port: int, protocol: str, route: Route,
        service: str,
    ) -> bool:  # fmt: skip
        groups = self._groups(source)
        if not groups:
            tr.passed(f"{source.id} default security group outbound (all traffic)", source.id)
            return True
        route = route.outbound()
        for group_id in groups:
            group = self.t.security_groups[group_id]
            if group.outbound is None:
                tr.passed(f"{group_id} outbound (default: all traffic)", source.id)
                return True
            for rule in group.outbound:
                if self._sg_match(rule, port, protocol, dst, target, route):
                    tr.passed(f"{group_id} outbound", source.id)
                    return True
            if self._world_by_union(group.outbound, dst, port, protocol):
                tr.passed(f"{group_id} outbound", source.id)
                return True
        names = ", ".join(groups)
        tr.block(
            f"{names} outbound (egress): no rule allows {service} to {target.id} ({self._peer_text(dst, target)})"
            + self._reference_hint(groups, target, route, outbound=True),
            f"Add an outbound rule to {groups[0]} allowing {service} to {self._suggested_peer(target, route, dst)}.",
            at=(f"{names} outbound", source.id),
        )
        return False

    def security_groups_in(
        self, tr: Trace, source: Resource, target: Resource, src: Address, port: int, protocol: str, route: Route,
        service: str,
    ) -> bool:  # fmt: skip
        groups = self._groups(target)
        if not groups:
            if source.subnet is not None and not source.security_groups and route.references_ok and \
                    self.t.vpc_of(source) == self.t.vpc_of(target):  # fmt: skip
                tr.passed(
                    f"{target.id} default security group inbound (members of the default group)", target.id
                )
                return True
            tr.block(
                f"{target.id} has no security group listed, so its VPC's default security group applies: it allows "
                f"inbound traffic only from its own members",
                f"Give {target.id} a security group that allows {service} from {self._suggested_peer(source, route, src)}.",
                at=(f"{target.id} default security group inbound", target.id),
            )  # fmt: skip
            return False
        for group_id in groups:
            for rule in self.t.security_groups[group_id].inbound:
                if self._sg_match(rule, port, protocol, src, source, route):
                    tr.passed(f"{group_id} inbound", target.id)
                    return True
        for group_id in groups:
            if self._world_by_union(self.t.security_groups[group_id].inbound, src, port, protocol):
                tr.passed(f"{group_id} inbound", target.id)
                return True
        names = ", ".join(groups)
        hint = self._reference_hint(groups, source, route, outbound=False)
        tr.block(
            f"{names} inbound: " + (hint.lstrip(": ") if hint else
                                    f"no rule allows {service} from {source.id} ({self._peer_text(src, source)})"),
            f"Add an inbound rule to {groups[0]} allowing {service} from {self._suggested_peer(source, route, src)}.",
            at=(f"{names} inbound", target.id),
        )  # fmt: skip
        return False

    def _sg_match(self, rule: TrafficRule, port: int, protocol: str, peer: Address, peer_resource: Resource,
                  route: Route) -> bool:  # fmt: skip
        if not protocol_matches(rule, protocol):
            return False
        if rule.protocol not in ("all", "icmp", "icmpv6") and not rule.ports[0] <= port <= rule.ports[1]:
            return False
        if rule.group is not None:
            return route.references_ok and self.member(peer_resource, rule.group)
        return peer.within(rule.cidr)

    def _world_by_union(self, rules: Iterable[TrafficRule], peer: Address, port: int, protocol: str) -> bool:
        """The internet is matched by rules that only together cover it (0.0.0.0/1 + 128.0.0.0/1)."""
        if not peer.is_world:
            return False
        ranges = [r.cidr for r in rules if r.cidr is not None and protocol_matches(r, protocol)
                  and (r.protocol in ("all", "icmp", "icmpv6") or r.ports[0] <= port <= r.ports[1])]  # fmt: skip
        return covers(ranges, WORLD_V4)

    def _reference_hint(self, groups: Iterable[str], peer: Resource, route: Route, *, outbound: bool) -> str:
        """Why a rule that names the peer's security group does not apply (cross-Region, or TGW)."""
        if route.references_ok:
            return ""
        rules = (r for g in groups for r in (
            (self.t.security_groups[g].outbound or ()) if outbound else self.t.security_groups[g].inbound))  # fmt: skip
        for rule in rules:
            if rule.group is not None and self.member(peer, rule.group):
                what = route.reference_note or "the peer is outside AWS or outside the VPC"
                return f": the rule naming {rule.group} does not apply: {what}"
        return ""

    def _peer_text(self, address: Address, resource: Resource) -> str:
        groups = ", ".join(resource.security_groups)
        return f"{address.label}" + (f", {groups}" if groups else "")

    def _suggested_peer(self, resource: Resource, route: Route, address: Address) -> str:
        if route.references_ok and resource.security_groups:
            return f"its security group {resource.security_groups[0]}"
        if address.is_world:
            return "the clients' addresses"
        assert address.cidr is not None
        vpc = self.t.vpc_of(resource)
        return str(vpc.cidr if vpc and not route.references_ok and route.reference_note else address.cidr)

    # -- network ACLs ----------------------------------------------------------------------------------

    def acl(
        self, tr: Trace, subnet_id: str | None, direction: str, peer: Address, ports: tuple[int, int], protocol: str,
        what: str, *, returning: bool = False,
    ) -> bool:  # fmt: skip
        acl = self.t.network_acls.get(subnet_id or "")
        label = f"{'return: ' if returning else ''}{subnet_id} NACL {direction}{' ephemeral' if returning else ''}"
        if acl is None:
            return True
        blocker = evaluate_acl(acl, direction, peer, ports, protocol)
        if blocker is None:
            tr.passed(label, subnet_id)
            return True
        tr.block(
            f"{subnet_id} network ACL (NACL) {direction} blocks {what}: {blocker}",
            f"Add an {direction} rule to {subnet_id}'s network ACL allowing {what}, numbered before any deny "
            f"rule that matches it.",
            at=(label, subnet_id),
        )
        if returning:
            tr.return_blocked = (subnet_id or "", direction, peer.label)
        return False


def evaluate_acl(
    acl: NetworkAcl, direction: str, peer: Address, ports: tuple[int, int], protocol: str
) -> str | None:
    """None when every port of `ports` passes; otherwise what blocks them (a deny rule, or the implicit deny).

    Rules are taken in ascending number and the first rule that matches a port decides it.
    """
    rules = acl.inbound if direction == "inbound" else acl.outbound
    undecided = [ports]
    for rule in rules:
        if not undecided:
            return None
        if not protocol_matches(rule, protocol) or not peer.within(rule.cidr):
            continue
        low, high = rule.ports
        remaining = []
        for a, b in undecided:
            if b < low or a > high:
                remaining.append((a, b))
                continue
            if not rule.allow:
                covered = _ports_text(protocol, (max(a, low), min(b, high)))
                return f"deny rule {rule.number} matches {covered} {'from' if direction == 'inbound' else 'to'} {rule.peer_text}"
            if a < low:
                remaining.append((a, low - 1))
            if b > high:
                remaining.append((high + 1, b))
        undecided = remaining
    if not undecided:
        return None
    gap = _ports_text(protocol, undecided[0])
    return f"no rule allows {gap} (implicit deny)"
