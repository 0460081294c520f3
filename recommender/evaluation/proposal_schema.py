"""The architecture proposal's schema (shared/spec/proposal.md): the marshmallow fields and schemas that
validate a raw proposal document, field by field. recommender.evaluation.proposal checks what the schema
cannot (cross-references) and builds the frozen `Proposal`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from recommender.profile_schema import DATABASE_ENGINES, PROPOSAL_RESOURCE_TYPES, ProfileSchema
from recommender.schema_fields import Label, StrictBoolean, StrictInteger, StrictSchema

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=16384)
def parse_cidr(text: str) -> Network:
    """Parsed once per distinct text (a batch repeats the same CIDRs); raises ValueError."""
    return ipaddress.ip_network(text, strict=False)


RESOURCE_TYPES = PROPOSAL_RESOURCE_TYPES
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
            parse_cidr(text)
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
