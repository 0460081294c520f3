"""The architecture proposal (shared/spec/proposal.md): cross-reference checks and the frozen `Proposal` with
the indexes the checks need, built once per proposal (the field-by-field schema is in proposal_schema.py).

`load_proposal(document)` validates a raw document (from `recommender.documents`) and raises ProposalError
with messages keyed by field path ("topology.security_groups.0.inbound.1.ports"). Every element keeps the
line it was written on (or its `origin`, for proposals imported from CloudFormation or Terraform).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from marshmallow import ValidationError

from recommender.documents import LineDict, line_at
from recommender.errors import ProposalError
from recommender.evaluation.proposal_schema import (
    ALL_PORTS,
    Identifier,
    Network,
    ProposalSchema,
    parse_cidr,
    parse_ports,
)
from recommender.loader import PLAIN_TYPES, NotFast, compile_loader
from recommender.profile import Profile, build_profile
from recommender.schema_fields import flatten_errors

# --------------------------------------------------------------------------------------------------------
# The frozen proposal


@dataclass(frozen=True, slots=True)
class Location:
    """Where an element was written: its field path, the line in the proposal file, or its import origin."""

    path: str
    line: int | None = None
    origin: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.line:
            out["line"] = self.line
        if self.origin:
            out.update({k: self.origin[k] for k in ("file", "line", "logical_id") if k in self.origin})
        return out


@dataclass(frozen=True, slots=True)
class Vpc:
    id: str
    cidr: Network
    region: str | None
    account: str | None
    at: Location


@dataclass(frozen=True, slots=True)
class Subnet:
    id: str
    vpc: str
    cidr: Network
    public: bool
    nat_gateway: bool
    at: Location


@dataclass(frozen=True, slots=True)
class Peering:
    id: str
    vpcs: tuple[str, str]
    routes: bool
    at: Location


@dataclass(frozen=True, slots=True)
class TransitGateway:
    id: str
    attachments: frozenset[str]
    routes: bool
    security_group_referencing: bool
    at: Location


@dataclass(frozen=True, slots=True)
class Vpn:
    id: str
    vpc: str | None
    transit_gateway: str | None
    on_premises_cidr: Network
    kind: str
    at: Location


@dataclass(frozen=True, slots=True)
class TrafficRule:
    """A security group rule (action always allow) or a network ACL entry."""

    protocol: str
    ports: tuple[int, int]
    cidr: Network | None  # the peer, when it is an address range
    group: str | None  # the peer, when it is a security group
    peer_text: str
    allow: bool
    number: int
    at: Location


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    id: str
    vpc: str
    inbound: tuple[TrafficRule, ...]
    outbound: tuple[TrafficRule, ...] | None  # None: the default, all traffic
    at: Location
    default: bool = False  # its VPC's default security group


@dataclass(frozen=True, slots=True)
class NetworkAcl:
    subnet: str
    inbound: tuple[TrafficRule, ...]  # sorted by rule number
    outbound: tuple[TrafficRule, ...]
    at: Location


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    type: str
    subnet: str | None
    security_groups: tuple[str, ...]
    cidr: Network | None
    engine: str | None
    port: int | None
    publicly_accessible: bool
    stateful: bool | None
    at: Location
    automated_backups: bool = True

    @property
    def is_database(self) -> bool:
        return self.type == "rds"


@dataclass(frozen=True, slots=True)
class Flow:
    source: str
    target: str
    port: int
    protocol: str
    at: Location


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    finding: str
    resource: str | None
    reason: str
    expires: date | None
    at: Location


@dataclass(frozen=True)
class Topology:
    vpcs: Mapping[str, Vpc] = field(default_factory=dict)
    subnets: Mapping[str, Subnet] = field(default_factory=dict)
    peerings: tuple[Peering, ...] = ()
    transit_gateways: tuple[TransitGateway, ...] = ()
    vpns: tuple[Vpn, ...] = ()
    security_groups: Mapping[str, SecurityGroup] = field(default_factory=dict)
    network_acls: Mapping[str, NetworkAcl] = field(default_factory=dict)  # by subnet
    resources: Mapping[str, Resource] = field(default_factory=dict)
    flows: tuple[Flow, ...] = ()
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)  # group id -> resource ids

    def vpc_of(self, resource: Resource) -> Vpc | None:
        subnet = self.subnets.get(resource.subnet or "")
        return self.vpcs[subnet.vpc] if subnet else None


@dataclass(frozen=True)
class Proposal:
    name: str | None
    profile: Profile | None
    profile_key: bytes | None  # the profile's canonical text, to reuse decisions made for it
    choices: Mapping[str, Any]
    choice_lines: Mapping[str, Location]
    topology: Topology
    acknowledgements: tuple[Acknowledgement, ...]
    has_topology: bool
    imported: Mapping[str, Any] | None = None


_SCHEMA = ProposalSchema()


def load_proposal(document: Any, *, finding_ids: Iterable[str] | None = None) -> Proposal:
    """Validate a raw proposal and return the frozen Proposal. Raises ProposalError (errors by field path).

    `finding_ids` (e.g. `kb.findings`) lets acknowledgements be checked against the known finding ids.
    """
    if not isinstance(document, Mapping):
        raise ProposalError("The proposal must be a mapping.", {"proposal": ["Must be an object."]})
    profile_key = _profile_key(document.get("profile"))
    profile = _PROFILES.get(profile_key) if profile_key else None
    loaded: dict[str, Any] | None = None
    try:  # a profile seen before (same text) is already validated: only the rest is loaded
        loaded = _fast_load({k: v for k, v in document.items() if k != "profile"} if profile else document)
    except (ValidationError, NotFast):
        profile = None
    try:
        loaded = loaded if loaded is not None else _SCHEMA.load(document)
    except ValidationError as exc:
        errors = flatten_errors(exc.messages, _SCHEMA)
        if "profile" in errors and not isinstance(exc.messages, list) and "profile" not in exc.messages:
            errors["proposal"] = errors.pop("profile")
        if isinstance(exc.valid_data, dict):  # the references of the valid elements too: one round, not two
            builder = _Builder(document, exc.valid_data, finding_ids, refused=errors)
            for path, messages in builder.reference_errors().items():
                errors.setdefault(path, []).extend(messages)
        raise _invalid(document, errors) from None
    if profile is None and "profile" in loaded:
        profile = build_profile(document.get("profile") or {}, loaded["profile"])
        if profile_key:
            _PROFILES[profile_key] = profile
            if len(_PROFILES) > PROFILE_CACHE_SIZE:
                _PROFILES.popitem(last=False)
    return _Builder(document, loaded, finding_ids).build(profile, profile_key if profile else None)


def _invalid(document: Any, errors: dict[str, list[str]]) -> ProposalError:
    """The error for a proposal, with the line each refused field was written on (YAML documents)."""
    lines = {path: line for path in errors if (line := line_at(document, path))}
    return ProposalError("The proposal is invalid.", errors, lines)


PROFILE_CACHE_SIZE = 512
_PROFILES: OrderedDict[bytes, Profile] = OrderedDict()


def _profile_key(raw: Any) -> bytes | None:
    """The profile's canonical text: proposals of one batch often share their profile."""
    if raw is None:
        return None
    try:
        return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None


_fast_load = compile_loader(_SCHEMA, {**PLAIN_TYPES, Identifier: str})


def _line(node: Any, index: int | None = None) -> int | None:
    if index is not None:
        lines = getattr(node, "item_lines", None)
        if lines and index < len(lines):
            item = node[index]
            return getattr(item, "line", None) or lines[index]
        return None
    return getattr(node, "line", None)


def _suggest(name: str, known: Iterable[str]) -> str:
    guess = difflib.get_close_matches(name, list(known), n=1)
    return f" Did you mean '{guess[0]}'?" if guess else ""


# The topology list a kind of reference points into (for references the schema could not settle).
_SECTION_OF = {"VPC": "vpcs", "subnet": "subnets", "transit gateway": "transit_gateways",
               "security group": "security_groups", "resource": "resources"}  # fmt: skip


class _Builder:
    """Turns the loaded data into frozen elements, checking every cross-reference.

    `refused`: the schema's errors, when `loaded` is only the part of the document the schema accepted
    (marshmallow's valid_data). The elements with an error are then skipped, and a reference is reported
    unknown only when it cannot be to one of them (their ids still count, and a whole list the schema refused
    makes every reference into it unsure), so `reference_errors()` adds no error that fixing the schema's
    errors would take away.
    """

    def __init__(
        self,
        raw: Mapping[str, Any],
        loaded: dict[str, Any],
        finding_ids: Iterable[str] | None,
        refused: Mapping[str, Any] | None = None,
    ):
        self.raw = raw
        self.loaded = loaded
        self.finding_ids = set(finding_ids) if finding_ids is not None else None
        self.errors: dict[str, list[str]] = {}
        refused = refused or {}
        parts = [path.split(".") for path in refused]
        self.refused = {".".join(p[:n]) for p in parts for n in range(1, len(p) + 1)}  # and their parents
        self.refused_ids: set[str] = set()
        self.unsure: set[str] = set()  # topology lists refused as a whole
        raw_topology = raw.get("topology")
        if self.refused and isinstance(raw_topology, Mapping):
            topology = loaded.get("topology") or {}
            for key, raw_list in raw_topology.items():
                if key not in topology or f"topology.{key}" in refused:
                    self.unsure.add(str(key))
                elif isinstance(raw_list, list):
                    self.refused_ids.update(
                        item["id"] for i, item in enumerate(raw_list)
                        if f"topology.{key}.{i}" in self.refused and isinstance(item, Mapping)
                        and isinstance(item.get("id"), str)
                    )  # fmt: skip

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def doubtful(self, value: str, *sections: str) -> bool:
        """An unknown reference that may be to an element the schema refused: not reported."""
        return value in self.refused_ids or any(s in self.unsure for s in sections)

    def reference_errors(self) -> dict[str, list[str]]:
        """The cross-reference errors of the elements the schema accepted (see the class)."""
        if self.loaded.get("topology") is not None:
            self.topology()
        self.acknowledgements()
        return self.errors

    def items(self, section: str, key: str) -> Iterable[tuple[Any, dict[str, Any], Location]]:
        """(raw element, loaded element, location) of each element of a list (but those the schema refused)."""
        raw_list = (self.raw.get(section) or {}).get(key) if section else self.raw.get(key)
        loaded = (self.loaded.get(section) or {}).get(key, []) if section else self.loaded.get(key, [])
        for i, item in enumerate(loaded):
            path = f"{section}.{key}.{i}" if section else f"{key}.{i}"
            if path in self.refused:
                continue
            raw_item = raw_list[i] if isinstance(raw_list, list) and i < len(raw_list) else None
            yield raw_item, item, Location(path, _line(raw_list, i), item.get("origin"))

    def build(self, profile: Profile | None, profile_key: bytes | None) -> Proposal:
        topo_data = self.loaded.get("topology")
        topology = self.topology() if topo_data is not None else Topology()
        acknowledgements = self.acknowledgements()
        choices = self.loaded.get("choices") or {}
        raw_choices = self.raw.get("choices")
        choice_lines = {
            key: Location(
                f"choices.{key}", raw_choices.line_of(key) if isinstance(raw_choices, LineDict) else None
            )
            for key in choices
        }
        if self.errors:
            raise _invalid(self.raw, self.errors)
        return Proposal(
            name=self.loaded.get("name"),
            profile=profile,
            profile_key=profile_key,
            choices=choices,
            choice_lines=choice_lines,
            topology=topology,
            acknowledgements=acknowledgements,
            has_topology=topo_data is not None,
            imported=self.loaded.get("imported"),
        )

    def unique(self, seen: dict[str, str], element_id: str, path: str) -> None:
        if element_id in seen:
            self.error(f"{path}.id", f"Duplicate id '{element_id}' (also {seen[element_id]}).")
        seen[element_id] = path

    def ref(self, known: Mapping[str, Any], value: str, path: str, what: str) -> bool:
        if value in known:
            return True
        if not self.doubtful(value, _SECTION_OF[what]):
            self.error(path, f"Unknown {what} '{value}'.{_suggest(value, known)}")
        return False

    def topology(self) -> Topology:
        seen: dict[str, str] = {}
        vpcs: dict[str, Vpc] = {}
        for _, d, at in self.items("topology", "vpcs"):
            self.unique(seen, d["id"], at.path)
            vpcs[d["id"]] = Vpc(d["id"], parse_cidr(d["cidr"]), d.get("region"), d.get("account"), at)
        subnets: dict[str, Subnet] = {}
        for _, d, at in self.items("topology", "subnets"):
            self.unique(seen, d["id"], at.path)
            cidr = parse_cidr(d["cidr"])
            if self.ref(vpcs, d["vpc"], f"{at.path}.vpc", "VPC"):
                vpc = vpcs[d["vpc"]]
                if cidr.version != vpc.cidr.version or not cidr.subnet_of(vpc.cidr):  # type: ignore[arg-type]
                    self.error(f"{at.path}.cidr", f"{d['cidr']} is not inside {vpc.id}'s CIDR {vpc.cidr}.")
            subnets[d["id"]] = Subnet(d["id"], d["vpc"], cidr, d["public"], d["nat_gateway"], at)
        peerings = []
        for _, d, at in self.items("topology", "peerings"):
            self.unique(seen, d["id"], at.path)
            for j, vpc_id in enumerate(d["vpcs"]):
                self.ref(vpcs, vpc_id, f"{at.path}.vpcs.{j}", "VPC")
            if d["vpcs"][0] == d["vpcs"][1]:
                self.error(f"{at.path}.vpcs", "A peering joins two different VPCs.")
            peerings.append(Peering(d["id"], (d["vpcs"][0], d["vpcs"][1]), d["routes"], at))
        vpn_ids = {v["id"] for _, v, _ in self.items("topology", "vpns")}
        tgws = []
        for _, d, at in self.items("topology", "transit_gateways"):
            self.unique(seen, d["id"], at.path)
            for j, attached in enumerate(d["attachments"]):
                if (
                    attached not in vpcs
                    and attached not in vpn_ids
                    and not self.doubtful(attached, "vpcs", "vpns")
                ):
                    self.error(f"{at.path}.attachments.{j}",
                               f"Unknown VPC or VPN '{attached}'.{_suggest(attached, [*vpcs, *vpn_ids])}")  # fmt: skip
            tgws.append(
                TransitGateway(
                    d["id"], frozenset(d["attachments"]), d["routes"], d["security_group_referencing"], at
                )
            )
        tgw_ids = {t.id for t in tgws}
        vpns = []
        for _, d, at in self.items("topology", "vpns"):
            self.unique(seen, d["id"], at.path)
            if "vpc" in d:
                self.ref(vpcs, d["vpc"], f"{at.path}.vpc", "VPC")
            if "transit_gateway" in d:
                self.ref(
                    {t: 1 for t in tgw_ids},
                    d["transit_gateway"],
                    f"{at.path}.transit_gateway",
                    "transit gateway",
                )
            vpns.append(Vpn(d["id"], d.get("vpc"), d.get("transit_gateway"), parse_cidr(d["on_premises_cidr"]),
                            d["type"], at))  # fmt: skip
        groups_data = list(self.items("topology", "security_groups"))
        group_ids = {d["id"] for _, d, _ in groups_data}
        groups: dict[str, SecurityGroup] = {}
        for raw_group, d, at in groups_data:
            self.unique(seen, d["id"], at.path)
            self.ref(vpcs, d["vpc"], f"{at.path}.vpc", "VPC")
            inbound = tuple(self.sg_rule(r, "source", f"{at.path}.inbound.{j}", group_ids, raw_group, j, "inbound")
                            for j, r in enumerate(d["inbound"]))  # fmt: skip
            outbound = None
            if "outbound" in d:
                outbound = tuple(
                    self.sg_rule(
                        r, "destination", f"{at.path}.outbound.{j}", group_ids, raw_group, j, "outbound"
                    )
                    for j, r in enumerate(d["outbound"])
                )
            is_default = bool(d.get("default", d["id"] == "default"))
            groups[d["id"]] = SecurityGroup(d["id"], d["vpc"], inbound, outbound, at, is_default)
        acls: dict[str, NetworkAcl] = {}
        for raw_acl, d, at in self.items("topology", "network_acls"):
            if self.ref(subnets, d["subnet"], f"{at.path}.subnet", "subnet") and d["subnet"] in acls:
                self.error(
                    f"{at.path}.subnet", f"{d['subnet']} already has a network ACL: a subnet has exactly one."
                )
            directions = {}
            for direction, peer in (("inbound", "source"), ("outbound", "destination")):
                rules = []
                numbers: set[int] = set()
                for j, r in enumerate(d[direction]):
                    path = f"{at.path}.{direction}.{j}"
                    if r["rule"] in numbers:
                        self.error(f"{path}.rule", f"Duplicate rule number {r['rule']} in {direction} rules.")
                    numbers.add(r["rule"])
                    rules.append(TrafficRule(r["protocol"], _ports(r), parse_cidr(r[peer]), None, r[peer], r["action"] == "allow",
                                      r["rule"], self.child(raw_acl, direction, j, path, r)))  # fmt: skip
                directions[direction] = tuple(sorted(rules, key=lambda x: x.number))
            acls[d["subnet"]] = NetworkAcl(d["subnet"], directions["inbound"], directions["outbound"], at)
        resources: dict[str, Resource] = {}
        members: dict[str, set[str]] = {}
        for _, d, at in self.items("topology", "resources"):
            self.unique(seen, d["id"], at.path)
            subnet = d.get("subnet")
            if subnet is not None and self.ref(subnets, subnet, f"{at.path}.subnet", "subnet"):
                for j, group_id in enumerate(d["security_groups"]):
                    gpath = f"{at.path}.security_groups.{j}"
                    if (
                        self.ref(groups, group_id, gpath, "security group")
                        and groups[group_id].vpc != subnets[subnet].vpc
                    ):
                        self.error(gpath, f"{group_id} belongs to {groups[group_id].vpc}, but {subnet} is in "
                                          f"{subnets[subnet].vpc}: a resource's security groups are in its VPC.")  # fmt: skip
            elif subnet is None:
                for j in range(len(d["security_groups"])):
                    self.error(
                        f"{at.path}.security_groups.{j}", "Security groups need a subnet: give 'subnet'."
                    )
            for group_id in d["security_groups"]:
                members.setdefault(group_id, set()).add(d["id"])
            stateful = d.get("stateful")
            resources[d["id"]] = Resource(
                d["id"], d["type"], subnet, tuple(d["security_groups"]), parse_cidr(d["cidr"]) if "cidr" in d else None,
                d.get("engine"), d.get("port"), d["publicly_accessible"], stateful, at,
                d.get("automated_backups", True),
            )  # fmt: skip
        flows = []
        for _, d, at in self.items("topology", "flows"):
            ok = self.ref(resources, d["source"], f"{at.path}.from", "resource")
            ok = self.ref(resources, d["target"], f"{at.path}.to", "resource") and ok
            if ok and d["source"] == d["target"]:
                self.error(f"{at.path}.to", "A flow goes from one resource to another.")
            for end, key in ((d["source"], "from"), (d["target"], "to")):
                if ok and resources[end].type == "rds" and resources[end].subnet is None:
                    ok = False
                    self.error(f"{at.path}.{key}", f"{end} has no subnet: give its 'subnet' to check a flow to or "
                                                   f"from it (without one only its backups are reviewed).")  # fmt: skip
            flows.append(Flow(d["source"], d["target"], d["port"], d["protocol"], at))
        return Topology(
            vpcs=vpcs, subnets=subnets, peerings=tuple(peerings), transit_gateways=tuple(tgws), vpns=tuple(vpns),
            security_groups=groups, network_acls=acls, resources=resources, flows=tuple(flows),
            members={k: frozenset(v) for k, v in members.items()},
        )  # fmt: skip

    def child(self, raw_parent: Any, key: str, index: int, path: str, data: Mapping[str, Any]) -> Location:
        raw_list = raw_parent.get(key) if isinstance(raw_parent, Mapping) else None
        return Location(path, _line(raw_list, index) if raw_list is not None else None, data.get("origin"))

    def sg_rule(
        self, r: Mapping[str, Any], peer: str, path: str, group_ids: set[str], raw_group: Any, index: int,
        direction: str,
    ) -> TrafficRule:  # fmt: skip
        text = r[peer]
        cidr = group = None
        try:
            cidr = parse_cidr(text) if text[:1].isdigit() or ":" in text else None
        except ValueError:
            cidr = None
        if cidr is None:
            group = text.split("/")[-1] if re.match(r"^\d{12}/", text) else text
            if group not in group_ids and not self.doubtful(group, "security_groups"):
                self.error(f"{path}.{peer}", f"'{text}' is neither a CIDR block nor a known security group."
                                             f"{_suggest(group, group_ids)}")  # fmt: skip
        return TrafficRule(r["protocol"], _ports(r), cidr, group, text, True, 0,
                    self.child(raw_group, direction, index, path, r))  # fmt: skip

    def acknowledgements(self) -> tuple[Acknowledgement, ...]:
        acks = []
        for _, d, at in self.items("", "acknowledgements"):
            if self.finding_ids is not None and d["finding"] not in self.finding_ids:
                self.error(
                    f"{at.path}.finding",
                    f"Unknown finding '{d['finding']}'.{_suggest(d['finding'], self.finding_ids)}",
                )
            acks.append(Acknowledgement(d["finding"], d.get("resource"), d["reason"], d.get("expires"), at))
        return tuple(acks)


def overlaps(a: Network, b: Network) -> bool:
    return a.version == b.version and a.overlaps(b)


def within(inner: Network, outer: Network) -> bool:
    """True when every address of `inner` is in `outer`."""
    if inner.version != outer.version or inner.prefixlen < outer.prefixlen:  # a larger range is never inside
        return False
    return outer.prefixlen == 0 or inner.subnet_of(outer)  # type: ignore[arg-type]  # (/0 holds them all)


def covers(cidrs: Iterable[Network], whole: Network) -> bool:
    """True when the ranges together hold every address of `whole` (0.0.0.0/1 + 128.0.0.0/1 cover 0.0.0.0/0)."""
    inside = [c for c in cidrs if within(c, whole)]
    # ranges that add up to fewer addresses than `whole` cannot cover it (most groups): nothing to merge
    if sum(1 << (c.max_prefixlen - c.prefixlen) for c in inside) < 1 << (
        whole.max_prefixlen - whole.prefixlen
    ):
        return False
    return any(c == whole for c in ipaddress.collapse_addresses(inside))  # type: ignore[type-var]


def _ports(rule: Mapping[str, Any]) -> tuple[int, int]:
    if rule["protocol"] in ("all", "icmp", "icmpv6"):
        return ALL_PORTS
    return parse_ports(rule["ports"])
