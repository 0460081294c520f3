"""The architecture proposal (shared/spec/proposal.md): marshmallow schema, cross-reference checks, and the
frozen `Proposal` with the indexes the checks need, built once per proposal.

`load_proposal(document)` validates a raw document (from `recommender.documents`) and raises ProposalError
with messages keyed by field path ("topology.security_groups.0.inbound.1.ports"). Every element keeps the
line it was written on (or its `origin`, for proposals imported from CloudFormation or Terraform).
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from marshmallow import ValidationError, fields, validate, validates_schema

from recommender.documents import LineDict
from recommender.errors import ProposalError
from recommender.profile import DATABASE_ENGINES, Profile, ProfileSchema, build_profile
from recommender.schema_fields import (
    PLAIN_TYPES,
    Label,
    NotFast,
    StrictBoolean,
    StrictInteger,
    StrictSchema,
    compile_loader,
    flatten_errors,
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

RESOURCE_TYPES = (
    "ec2",
    "ecs_service",
    "eks_pod",
    "lambda",
    "rds",
    "load_balancer",
    "on_premises",
    "internet",
)
IN_SUBNET = ("ec2", "ecs_service", "eks_pod", "load_balancer")  # must name a subnet
# An rds resource may leave out its subnet (a topology given for backup review only): its network checks
# are skipped and the evaluation says so; a flow to or from it is refused.
PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6", "all": "all", "-1": "all",
             "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}  # fmt: skip
ALL_PORTS = (0, 65535)
PORTS_RE = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,254}$")
CHOICE_OPTIONS = {
    "orchestrator": ("ecs", "eks"),
    "launch_type": ("fargate", "ec2"),
    "connectivity": ("same_vpc", "vpc_peering", "transit_gateway", "privatelink", "public_endpoint",
                     "site_to_site_vpn", "direct_connect"),
    "backup": ("ami", "ebs_snapshots", "aws_backup", "s3_copy", "rds_automated_backups",
               "elastic_disaster_recovery"),
}  # fmt: skip


def _meta(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description}


class Identifier(fields.String):
    """An element id (vpc-app, sg-db, orders-db): letters, digits and . _ : / -, at most 255 characters."""

    def __init__(self, **kwargs: Any):
        super().__init__(validate=validate.Regexp(ID_RE, error="Must be an id: letters, digits, . _ : / -."),
                         **kwargs)  # fmt: skip


class Cidr(fields.String):
    """An IPv4 or IPv6 CIDR block (a plain address means a /32 or /128)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            _net(text)
        except ValueError:
            raise ValidationError(f"'{text}' is not a CIDR block such as 10.0.0.0/16.") from None
        return text


class Ports(fields.Field):
    """ "3306", 3306, "1000-2000", "0-65535" or "all"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValidationError("Must be a port (3306), a range (1024-65535) or 'all'.")
        parse_ports(value)
        return value


def parse_ports(text: str) -> tuple[int, int]:
    text = text.strip()
    if text in ("all", "-1"):
        return ALL_PORTS
    match = PORTS_RE.match(text)
    if not match:
        raise ValidationError("Must be a port (3306), a range (1024-65535) or 'all'.")
    low = int(match[1])
    high = int(match[2]) if match[2] else low
    if high > 65535 or low > high:
        raise ValidationError(f"'{text}' is not a port range within 0-65535 (low-high).")
    return low, high


class Protocol(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = super()._deserialize(value, attr, data, **kwargs).lower()
        if text not in PROTOCOLS:
            raise ValidationError("Must be one of: tcp, udp, icmp, icmpv6, all (or -1).")
        return PROTOCOLS[text]


class DateField(fields.Date):
    """An ISO date; YAML reads an unquoted 2027-03-31 as a date already."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, date):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class OriginSchema(StrictSchema):
    file = fields.String(validate=validate.Length(min=1, max=1000), metadata=_meta("File", "Source file."))
    line = StrictInteger(validate=validate.Range(min=1), metadata=_meta("Line", "Line in that file."))
    logical_id = fields.String(
        validate=validate.Length(max=255),
        metadata=_meta("Logical id", "CloudFormation logical id or Terraform address."),
    )


def _origin() -> Any:
    return fields.Nested(
        OriginSchema,
        metadata=_meta("Origin", "Where an imported element was declared (file, line, logical id)."),
    )


class VpcSchema(StrictSchema):
    id = Identifier(required=True, metadata=_meta("Id", "VPC id, e.g. vpc-app."))
    cidr = Cidr(required=True, metadata=_meta("CIDR", "The VPC's primary CIDR block."))
    region = Label(validate=validate.Length(max=64), metadata=_meta("Region", "AWS Region, e.g. us-east-1."))
    account = Label(validate=validate.Length(max=64), metadata=_meta("Account", "AWS account id."))
    origin = _origin()


class SubnetSchema(StrictSchema):
    id = Identifier(required=True, metadata=_meta("Id", "Subnet id."))
    vpc = Identifier(required=True, metadata=_meta("VPC", "Id of the VPC the subnet belongs to."))
    cidr = Cidr(required=True, metadata=_meta("CIDR", "The subnet's CIDR block, inside its VPC's."))
    public = StrictBoolean(
        load_default=False, metadata=_meta("Public", "The route table has a route to an internet gateway.")
    )
    nat_gateway = StrictBoolean(
        load_default=False,
        metadata=_meta(
            "NAT gateway", "A private subnet whose route table sends internet traffic to a NAT gateway."
        ),
    )
    origin = _origin()


class PeeringSchema(StrictSchema):
    id = Identifier(required=True, metadata=_meta("Id", "Peering connection id, e.g. pcx-1."))
    vpcs = fields.List(
        Identifier(), required=True, validate=validate.Length(equal=2),
        metadata=_meta("VPCs", "The two peered VPCs."),
    )  # fmt: skip
    routes = StrictBoolean(
        load_default=False,
        metadata=_meta("Routes", "Routes to the peer CIDR were added in both VPCs' route tables."),
    )
    origin = _origin()


class TransitGatewaySchema(StrictSchema):
    id = Identifier(required=True, metadata=_meta("Id", "Transit gateway id."))
    attachments = fields.List(
        Identifier(), required=True, metadata=_meta("Attachments", "Ids of the attached VPCs and VPNs.")
    )
    routes = StrictBoolean(
        load_default=False,
        metadata=_meta("Routes", "The VPC route tables and the transit gateway route table route between the attachments."),
    )  # fmt: skip
    security_group_referencing = StrictBoolean(
        load_default=True,
        metadata=_meta("Security group referencing",
                       "Rules may name security groups of other attached VPCs (same Region); false when the "
                       "transit gateway has the option turned off."),
    )  # fmt: skip
    origin = _origin()


class VpnSchema(StrictSchema):
    id = Identifier(required=True, metadata=_meta("Id", "VPN (or Direct Connect) connection id."))
    vpc = Identifier(metadata=_meta("VPC", "The VPC whose virtual private gateway terminates it."))
    transit_gateway = Identifier(metadata=_meta("Transit gateway", "The transit gateway that terminates it."))
    on_premises_cidr = Cidr(
        required=True, metadata=_meta("On-premises CIDR", "The on-premises address range.")
    )
    type = fields.String(
        load_default="site_to_site_vpn", validate=validate.OneOf(("site_to_site_vpn", "direct_connect")),
        metadata=_meta("Type", "site_to_site_vpn or direct_connect."),
    )  # fmt: skip
    origin = _origin()

    @validates_schema
    def _attached(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "vpc" not in data and "transit_gateway" not in data:
            raise ValidationError("A VPN terminates on a 'vpc' or a 'transit_gateway'; give one.", "vpc")


class _SgRuleSchema(StrictSchema):
    protocol = Protocol(
        load_default="tcp",
        metadata={
            **_meta("Protocol", "tcp (default), udp, icmp, icmpv6, or all (-1)."),
            "enum": list(PROTOCOLS),
        },
    )
    ports = Ports(
        load_default="all", metadata={**_meta("Ports", "A port, a range low-high, or all."), "type": "string"}
    )
    description = fields.String(validate=validate.Length(max=255), metadata=_meta("Description", "Why."))
    origin = _origin()


class SgInboundRuleSchema(_SgRuleSchema):
    source = fields.String(
        required=True, validate=validate.Length(min=1, max=255),
        metadata=_meta("Source", "A CIDR block or a security group id (account/sg-id across accounts)."),
    )  # fmt: skip


class SgOutboundRuleSchema(_SgRuleSchema):
    destination = fields.String(
        required=True, validate=validate.Length(min=1, max=255),
        metadata=_meta("Destination", "A CIDR block or a security group id."),
    )  # fmt: skip


class SecurityGroupSchema(StrictSchema):
    id = Identifier(required=True, metadata=_meta("Id", "Security group id."))
    vpc = Identifier(required=True, metadata=_meta("VPC", "The VPC the group belongs to."))
    description = fields.String(validate=validate.Length(max=255), metadata=_meta("Description", "What for."))
    inbound = fields.List(
        fields.Nested(SgInboundRuleSchema), load_default=list,
        metadata=_meta("Inbound", "Allow rules for incoming traffic (none: nothing comes in)."),
    )  # fmt: skip
    outbound = fields.List(
        fields.Nested(SgOutboundRuleSchema),
        metadata=_meta("Outbound", "Allow rules for outgoing traffic (omitted: all traffic, as AWS creates it)."),
    )  # fmt: skip
    default = StrictBoolean(
        metadata=_meta(
            "Default", "true for its VPC's default security group (the one AWS creates, named default); "
            "a group whose id is 'default' is one too.",
        )
    )  # fmt: skip
    origin = _origin()


class _NaclRuleSchema(StrictSchema):
    rule = StrictInteger(
        required=True, validate=validate.Range(min=1, max=32766),
        metadata=_meta("Rule number", "Rules are evaluated in ascending number; the first match wins."),
    )  # fmt: skip
    protocol = Protocol(
        load_default="tcp",
        metadata={
            **_meta("Protocol", "tcp (default), udp, icmp, icmpv6, or all (-1)."),
            "enum": list(PROTOCOLS),
        },
    )
    ports = Ports(
        load_default="all", metadata={**_meta("Ports", "A port, a range, or all."), "type": "string"}
    )
    action = fields.String(
        required=True, validate=validate.OneOf(("allow", "deny")), metadata=_meta("Action", "allow or deny.")
    )
    origin = _origin()


class NaclInboundRuleSchema(_NaclRuleSchema):
    source = Cidr(required=True, metadata=_meta("Source", "A CIDR block."))


class NaclOutboundRuleSchema(_NaclRuleSchema):
    destination = Cidr(required=True, metadata=_meta("Destination", "A CIDR block."))


class NetworkAclSchema(StrictSchema):
    id = Identifier(metadata=_meta("Id", "Network ACL id."))
    subnet = Identifier(required=True, metadata=_meta("Subnet", "The subnet the ACL is associated with."))
    inbound = fields.List(
        fields.Nested(NaclInboundRuleSchema), load_default=list,
        metadata=_meta("Inbound", "Numbered rules; anything no rule allows is denied."),
    )  # fmt: skip
    outbound = fields.List(
        fields.Nested(NaclOutboundRuleSchema), load_default=list,
        metadata=_meta("Outbound", "Numbered rules; anything no rule allows is denied (return traffic too)."),
    )  # fmt: skip
    origin = _origin()


class ResourceSchema(StrictSchema):
    id = Identifier(required=True, metadata=_meta("Id", "Resource id, e.g. orders-db."))
    type = fields.String(
        required=True, validate=validate.OneOf(RESOURCE_TYPES),
        metadata=_meta("Type", "ec2, ecs_service, eks_pod, lambda, rds, load_balancer, on_premises or internet."),
    )  # fmt: skip
    subnet = Identifier(
        metadata=_meta(
            "Subnet", "The subnet it runs in (not for on_premises and internet). Optional for rds: "
            "without it only the database's backups are reviewed and its network checks are skipped (said so).",
        )
    )  # fmt: skip
    security_groups = fields.List(
        Identifier(), load_default=list,
        metadata=_meta("Security groups", "Its security groups (none: the VPC's default group)."),
    )  # fmt: skip
    cidr = Cidr(metadata=_meta("CIDR", "on_premises: its address range."))
    engine = fields.String(
        validate=validate.OneOf(DATABASE_ENGINES),
        metadata=_meta("Engine", "rds: the database engine."),
    )  # fmt: skip
    port = StrictInteger(
        validate=validate.Range(min=1, max=65535),
        metadata=_meta("Port", "rds: port (default: the engine's)."),
    )
    publicly_accessible = StrictBoolean(
        load_default=False,
        metadata=_meta("Publicly accessible", "rds: the endpoint resolves to a public IP."),
    )
    stateful = StrictBoolean(
        metadata=_meta(
            "Stateful", "Holds data that must be backed up (default: true for rds, false otherwise)."
        )
    )
    automated_backups = StrictBoolean(
        metadata=_meta(
            "Automated backups",
            "rds: false when this database's automated backups are off (retention 0 days), so "
            "rds_automated_backups in choices.backup does not cover it (default: on).",
        )
    )
    description = fields.String(
        validate=validate.Length(max=255), metadata=_meta("Description", "What it is.")
    )
    origin = _origin()

    @validates_schema
    def _placement(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("type")
        if kind in IN_SUBNET and "subnet" not in data:
            raise ValidationError(f"A {kind} resource runs in a subnet; give 'subnet'.", "subnet")
        if kind == "on_premises" and "cidr" not in data:
            raise ValidationError("An on_premises resource needs its address range in 'cidr'.", "cidr")
        if kind in ("on_premises", "internet"):
            for key in ("subnet", "security_groups"):
                if data.get(key):
                    raise ValidationError(f"A {kind} resource is outside AWS: remove '{key}'.", key)


class FlowSchema(StrictSchema):
    source = Identifier(
        required=True,
        data_key="from",
        metadata=_meta("From", "Id of the resource that opens the connection."),
    )
    target = Identifier(
        required=True, data_key="to", metadata=_meta("To", "Id of the resource it connects to.")
    )
    port = StrictInteger(
        required=True, validate=validate.Range(min=0, max=65535), metadata=_meta("Port", "Destination port.")
    )
    protocol = Protocol(load_default="tcp", metadata=_meta("Protocol", "tcp (default), udp or icmp."))
    description = fields.String(validate=validate.Length(max=255), metadata=_meta("Description", "What for."))


class TopologySchema(StrictSchema):
    vpcs = fields.List(fields.Nested(VpcSchema), load_default=list, metadata=_meta("VPCs", "The VPCs."))
    subnets = fields.List(
        fields.Nested(SubnetSchema), load_default=list, metadata=_meta("Subnets", "Subnets.")
    )
    peerings = fields.List(
        fields.Nested(PeeringSchema),
        load_default=list,
        metadata=_meta("Peerings", "VPC peering connections."),
    )
    transit_gateways = fields.List(
        fields.Nested(TransitGatewaySchema), load_default=list, metadata=_meta("Transit gateways", "Hubs.")
    )
    vpns = fields.List(
        fields.Nested(VpnSchema), load_default=list,
        metadata=_meta("VPNs", "Site-to-Site VPN or Direct Connect links to on-premises networks."),
    )  # fmt: skip
    security_groups = fields.List(
        fields.Nested(SecurityGroupSchema), load_default=list, metadata=_meta("Security groups", "Stateful.")
    )
    network_acls = fields.List(
        fields.Nested(NetworkAclSchema), load_default=list,
        metadata=_meta("Network ACLs", "Stateless subnet ACLs (a subnet without one allows everything)."),
    )  # fmt: skip
    resources = fields.List(
        fields.Nested(ResourceSchema), load_default=list, metadata=_meta("Resources", "What runs where.")
    )
    flows = fields.List(
        fields.Nested(FlowSchema), load_default=list, metadata=_meta("Flows", "Traffic that must work.")
    )


class ChoicesSchema(StrictSchema):
    orchestrator = fields.String(validate=validate.OneOf(CHOICE_OPTIONS["orchestrator"]),
                                 metadata=_meta("Orchestrator", "ecs or eks."))  # fmt: skip
    launch_type = fields.String(validate=validate.OneOf(CHOICE_OPTIONS["launch_type"]),
                                metadata=_meta("Launch type", "fargate or ec2."))  # fmt: skip
    instance_type = fields.String(
        validate=validate.Regexp(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$", error="Must be an instance type such as m7g.large."),
        metadata=_meta("Instance type", "An EC2 instance type, e.g. m7g.large."),
    )  # fmt: skip
    instance_family = fields.String(
        validate=validate.Regexp(r"^[a-z][a-z0-9-]*$", error="Must be an instance family such as m7g."),
        metadata=_meta("Instance family", "An EC2 instance family, e.g. m7g."),
    )  # fmt: skip
    connectivity = fields.String(validate=validate.OneOf(CHOICE_OPTIONS["connectivity"]),
                                 metadata=_meta("Connectivity", "How the application reaches the database."))  # fmt: skip
    backup = fields.List(
        fields.String(validate=validate.OneOf(CHOICE_OPTIONS["backup"])),
        validate=validate.Length(min=1, max=len(CHOICE_OPTIONS["backup"])),
        metadata=_meta("Backup", "Backup options chosen (one or more)."),
    )  # fmt: skip

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        backup = data.get("backup") or []
        if len(set(backup)) != len(backup):
            raise ValidationError("Each backup option may appear only once.", "backup")
        kind, family = data.get("instance_type"), data.get("instance_family")
        if kind and family and kind.split(".")[0] != family:
            raise ValidationError(
                f"instance_type {kind} is not of instance_family {family}.", "instance_family"
            )


class AcknowledgementSchema(StrictSchema):
    finding = fields.String(required=True, metadata=_meta("Finding", "Id of the accepted finding."))
    resource = fields.String(
        validate=validate.Length(min=1, max=255),
        metadata=_meta("Resource", "The finding's resource (omitted: every resource)."),
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata=_meta("Reason", "Why it is accepted."),
    )
    expires = DateField(metadata=_meta("Expires", "Date (YYYY-MM-DD) after which the finding counts again."))


class ImportSchema(StrictSchema):
    """Where an imported proposal came from (written by `recommender import`), echoed in the result."""

    source = fields.String(
        required=True, validate=validate.OneOf(("cloudformation", "terraform", "aws")),
        metadata=_meta("Source", "What the proposal was imported from."),
    )  # fmt: skip
    file = fields.String(validate=validate.Length(max=4096), metadata=_meta("File", "The imported file."))
    files = fields.List(
        fields.String(validate=validate.Length(max=4096)), metadata=_meta("Files", "Every imported file.")
    )
    assumptions = fields.List(
        fields.String(validate=validate.Length(max=2000)), load_default=list,
        metadata=_meta("Assumptions", "What the importer could not resolve statically and assumed."),
    )  # fmt: skip
    skipped = fields.List(
        fields.String(validate=validate.Length(max=2000)), load_default=list,
        metadata=_meta("Skipped", "Resources the importer does not model."),
    )  # fmt: skip


class ProposalProfileSchema(ProfileSchema):
    class Meta:
        exclude = ("name",)


class ProposalSchema(StrictSchema):
    name = fields.String(
        validate=validate.Length(min=1, max=100), metadata=_meta("Name", "Label echoed back.")
    )
    description = fields.String(
        validate=validate.Length(max=2000), metadata=_meta("Description", "What it is.")
    )
    profile = fields.Nested(
        ProposalProfileSchema,
        metadata=_meta("Profile", "The workload profile (profile.md) without its name."),
    )
    choices = fields.Nested(ChoicesSchema, metadata=_meta("Choices", "What the proposal chose, per domain."))
    topology = fields.Nested(
        TopologySchema,
        metadata=_meta("Topology", "Network and resources, for security and reachability checks."),
    )
    acknowledgements = fields.List(
        fields.Nested(AcknowledgementSchema), load_default=list,
        metadata=_meta("Acknowledgements", "Accepted risks: reported, not counted until they expire."),
    )  # fmt: skip
    imported = fields.Nested(
        ImportSchema, data_key="import",
        metadata=_meta("Import", "Set by `recommender import`: the source and what was assumed."),
    )  # fmt: skip


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
class Rule:
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
    inbound: tuple[Rule, ...]
    outbound: tuple[Rule, ...] | None  # None: the default, all traffic
    at: Location
    default: bool = False  # its VPC's default security group


@dataclass(frozen=True, slots=True)
class NetworkAcl:
    subnet: str
    inbound: tuple[Rule, ...]  # sorted by rule number
    outbound: tuple[Rule, ...]
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
        raise ProposalError("The proposal is invalid.", errors) from None
    if profile is None and "profile" in loaded:
        profile = build_profile(document.get("profile") or {}, loaded["profile"])
        if profile_key:
            _PROFILES[profile_key] = profile
            if len(_PROFILES) > PROFILE_CACHE_SIZE:
                _PROFILES.popitem(last=False)
    return _Builder(document, loaded, finding_ids).build(profile, profile_key if profile else None)


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


class _Builder:
    """Turns the loaded data into frozen elements, checking every cross-reference."""

    def __init__(self, raw: Mapping[str, Any], loaded: dict[str, Any], finding_ids: Iterable[str] | None):
        self.raw = raw
        self.loaded = loaded
        self.finding_ids = set(finding_ids) if finding_ids is not None else None
        self.errors: dict[str, list[str]] = {}

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def items(self, section: str, key: str) -> Iterable[tuple[Any, dict[str, Any], Location]]:
        """(raw element, loaded element, location) of each element of a list."""
        raw_list = (self.raw.get(section) or {}).get(key) if section else self.raw.get(key)
        loaded = (self.loaded.get(section) or {}).get(key, []) if section else self.loaded.get(key, [])
        for i, item in enumerate(loaded):
            path = f"{section}.{key}.{i}" if section else f"{key}.{i}"
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
            raise ProposalError("The proposal is invalid.", self.errors)
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
        self.error(path, f"Unknown {what} '{value}'.{_suggest(value, known)}")
        return False

    def topology(self) -> Topology:
        seen: dict[str, str] = {}
        vpcs: dict[str, Vpc] = {}
        for _, d, at in self.items("topology", "vpcs"):
            self.unique(seen, d["id"], at.path)
            vpcs[d["id"]] = Vpc(d["id"], _net(d["cidr"]), d.get("region"), d.get("account"), at)
        subnets: dict[str, Subnet] = {}
        for _, d, at in self.items("topology", "subnets"):
            self.unique(seen, d["id"], at.path)
            cidr = _net(d["cidr"])
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
        vpn_ids = {v["id"] for v in (self.loaded.get("topology") or {}).get("vpns", [])}
        tgws = []
        for _, d, at in self.items("topology", "transit_gateways"):
            self.unique(seen, d["id"], at.path)
            for j, attached in enumerate(d["attachments"]):
                if attached not in vpcs and attached not in vpn_ids:
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
            vpns.append(Vpn(d["id"], d.get("vpc"), d.get("transit_gateway"), _net(d["on_premises_cidr"]),
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
                    rules.append(Rule(r["protocol"], _ports(r), _net(r[peer]), None, r[peer], r["action"] == "allow",
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
                d["id"], d["type"], subnet, tuple(d["security_groups"]), _net(d["cidr"]) if "cidr" in d else None,
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
    ) -> Rule:  # fmt: skip
        text = r[peer]
        cidr = group = None
        try:
            cidr = _net(text) if text[:1].isdigit() or ":" in text else None
        except ValueError:
            cidr = None
        if cidr is None:
            group = text.split("/")[-1] if re.match(r"^\d{12}/", text) else text
            if group not in group_ids:
                self.error(f"{path}.{peer}", f"'{text}' is neither a CIDR block nor a known security group."
                                             f"{_suggest(group, group_ids)}")  # fmt: skip
        return Rule(r["protocol"], _ports(r), cidr, group, text, True, 0,
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
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def covers(cidrs: Iterable[Network], whole: Network) -> bool:
    """True when the ranges together hold every address of `whole` (0.0.0.0/1 + 128.0.0.0/1 cover 0.0.0.0/0)."""
    inside = [c for c in cidrs if within(c, whole)]
    return any(c == whole for c in ipaddress.collapse_addresses(inside))  # type: ignore[type-var]


@functools.lru_cache(maxsize=16384)
def _net(text: str) -> Network:
    """Parsed once per distinct text (a batch repeats the same CIDRs); raises ValueError."""
    return ipaddress.ip_network(text, strict=False)


def _ports(rule: Mapping[str, Any]) -> tuple[int, int]:
    if rule["protocol"] in ("all", "icmp", "icmpv6"):
        return ALL_PORTS
    return parse_ports(rule["ports"])
