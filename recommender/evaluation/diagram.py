"""The `diagram` section of an evaluation (shared/spec/proposal.md, "Addition (v1, December 2026)").

The topology as the evaluation saw it, for drawing: nodes (VPCs, subnets, resources, transit gateways,
VPNs, on-premises networks, the internet), links (peerings, attachments, internet gateways) and, per flow,
the hops the reachability trace took, the hop that blocks and why. Nothing here decides reachability: the
flows come from the traces of reachability.py, the same ones the evaluation's `flows` are built from.

Ordering is deterministic: VPCs, subnets, gateways, on-premises networks, resources and the internet, each
group by id; links by kind then id; flows in the proposal's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from recommender.evaluation.proposal import Flow, Location, Topology, within
from recommender.evaluation.reachability import Trace

INTERNET = "internet"


def origin(at: Location) -> dict[str, Any] | None:
    """Where an imported element was declared (file, line, logical id); None for hand-written proposals."""
    if not at.origin:
        return None
    return {k: at.origin[k] for k in ("file", "line", "logical_id") if k in at.origin}


def _node(
    node_id: str, kind: str, label: str, parent: str | None, at: Location | None, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node_id, "kind": kind, "label": label, "parent": parent, **extra}
    where = origin(at) if at is not None else None
    if where:
        out["origin"] = where
    return out


def build_diagram(topology: Topology, traced: Sequence[tuple[Flow, Trace]]) -> dict[str, Any]:
    """The diagram of a topology and the traces of its flows."""
    t = topology
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for vpc in sorted(t.vpcs.values(), key=lambda v: v.id):
        region = f" {vpc.region}" if vpc.region else ""
        nodes.append(_node(vpc.id, "vpc", f"{vpc.id} {vpc.cidr}{region}", None, vpc.at, cidr=str(vpc.cidr)))
    for subnet in sorted(t.subnets.values(), key=lambda s: s.id):
        label = f"{subnet.id} {subnet.cidr} {'public' if subnet.public else 'private'}"
        nodes.append(_node(subnet.id, "subnet", label, subnet.vpc, subnet.at, cidr=str(subnet.cidr),
                           public=subnet.public, nat_gateway=subnet.nat_gateway))  # fmt: skip
    for tgw in sorted(t.transit_gateways, key=lambda g: g.id):
        nodes.append(_node(tgw.id, "transit_gateway", f"{tgw.id} transit gateway", None, tgw.at))
        for attached in sorted(tgw.attachments):
            if attached in t.vpcs:
                links.append({"id": f"{tgw.id}:{attached}", "kind": "attachment", "from": attached, "to": tgw.id,
                              "routes": tgw.routes})  # fmt: skip
    resources = sorted(t.resources.values(), key=lambda r: r.id)
    taken = {n["id"] for n in nodes} | {r.id for r in resources}
    for vpn in sorted(t.vpns, key=lambda v: v.id):
        kind = "Direct Connect" if vpn.kind == "direct_connect" else "VPN"
        nodes.append(_node(vpn.id, "vpn", f"{vpn.id} {kind}", None, vpn.at, cidr=str(vpn.on_premises_cidr)))
        ends = {vpn.vpc or vpn.transit_gateway or ""} | {
            g.id for g in t.transit_gateways if vpn.id in g.attachments
        }
        links += [
            {"id": f"{vpn.id}:{end}", "kind": "vpn", "from": end, "to": vpn.id} for end in sorted(ends - {""})
        ]
        sites = [
            r.id
            for r in resources
            if r.type == "on_premises" and r.cidr and within(r.cidr, vpn.on_premises_cidr)
        ]
        if not sites:  # the network the VPN reaches, drawn even when no resource of it is named
            site = _free(f"{vpn.id}-on-premises", taken)
            nodes.append(_node(site, "on_premises", f"on-premises {vpn.on_premises_cidr}", None, None,
                               cidr=str(vpn.on_premises_cidr)))  # fmt: skip
            sites = [site]
        links += [{"id": f"{vpn.id}:{site}", "kind": "vpn", "from": vpn.id, "to": site} for site in sites]
    for r in resources:
        extra: dict[str, Any] = {"cidr": str(r.cidr)} if r.cidr is not None else {}
        nodes.append(_node(r.id, r.type, r.id, r.subnet, r.at, **extra))
    internets = [r.id for r in resources if r.type == INTERNET]
    gateways = sorted(
        {t.subnets[s].vpc for s in t.subnets if t.subnets[s].public or t.subnets[s].nat_gateway}
    )
    if gateways and not internets:
        internets = [_free(INTERNET, taken)]
        nodes.append(_node(internets[0], INTERNET, "the internet", None, None))
    for vpc_id in gateways:
        links += [
            {"id": f"igw:{vpc_id}:{n}", "kind": "internet_gateway", "from": vpc_id, "to": n}
            for n in internets
        ]
    for peering in t.peerings:
        a, b = peering.vpcs
        links.append({"id": peering.id, "kind": "peering", "from": a, "to": b, "routes": peering.routes})
    links.sort(key=lambda link: (link["kind"], link["id"]))
    return {"nodes": nodes, "links": links, "flows": [diagram_flow(flow, trace) for flow, trace in traced]}


def diagram_flow(flow: Flow, trace: Trace) -> dict[str, Any]:
    """A flow's hops (those that passed, then the one that blocks), their nodes, and where it stops."""
    hops, hop_nodes = list(trace.path), list(trace.nodes)
    blocked_at = None
    if not trace.reachable:
        assert trace.blocked_hop is not None
        blocked_at = len(hops)
        hops.append(trace.blocked_hop[0])
        hop_nodes.append(trace.blocked_hop[1])
    return {
        "from": flow.source, "to": flow.target, "port": flow.port, "protocol": flow.protocol,
        "reachable": trace.reachable, "hops": hops, "hop_nodes": hop_nodes, "blocked_at": blocked_at,
        "reason": trace.blocked_by,
    }  # fmt: skip


def _free(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... when a proposal element already has that id."""
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}-{n}"
    taken.add(name)
    return name


def node_index(diagram: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {n["id"]: n for n in diagram["nodes"]}


def ancestors(node_id: str | None, index: Mapping[str, Mapping[str, Any]]) -> Iterable[str]:
    """The node, then its subnet and VPC (the containers it sits in)."""
    while node_id is not None and node_id in index:
        yield node_id
        node_id = index[node_id]["parent"]
