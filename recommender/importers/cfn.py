"""CloudFormation templates (YAML with short-form tags, or JSON) -> proposal.

Intrinsic functions are resolved where the template alone decides the value (parameters with a default,
references to resources, static conditions, mappings, Sub/Join/Select/Split/Cidr). Anything that only
AWS knows at deploy time is left out and said so in `import.assumptions`, never guessed silently.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from recommender.documents import LineDict, LineList, _SafeLineLoader, load_json, load_yaml
from recommender.errors import DocumentError, InputError
from recommender.importers.model import (
    SHAPE_ERRORS,
    Database,
    ImportedNetworkAcl,
    Link,
    ProposalBuilder,
    RouteTable,
    classic_elb_group,
    default_group_id,
    is_shape_error,
    port_range,
    protocol_name,
    route_to,
    rule_number,
)

SHORT_TAGS = (
    "Ref", "Condition", "GetAtt", "Sub", "Join", "If", "Select", "Split", "FindInMap", "Equals", "Not",
    "And", "Or", "Base64", "GetAZs", "ImportValue", "Cidr", "Length", "ToJsonString", "Transform",
)  # fmt: skip
NO_VALUE = object()  # Ref AWS::NoValue: the property is absent
SCALAR_SUFFIXES = ("Id", "Arn", "Name", "Identifier", "CidrIp", "CidrIpv6", "CidrBlock", "Engine", "InstanceType",
                   "IpProtocol", "Scheme", "LaunchType", "RuleAction")  # fmt: skip
LIST_KEYS = ("SubnetIds", "SecurityGroupIds", "SecurityGroups", "GroupSet", "Groups", "VPCSecurityGroups",
             "VpcSecurityGroupIds", "Subnets", "VPCZoneIdentifier", "TargetGroupARNs", "LoadBalancerNames",
             "InstanceTypes", "Instances", "DBSecurityGroups")  # fmt: skip
GROUP_KEYS = (
    "SecurityGroupIds",
    "SecurityGroups",
    "GroupSet",
    "Groups",
    "VPCSecurityGroups",
    "VpcSecurityGroupIds",
)


class CfnLoader(_SafeLineLoader):
    """Safe YAML loader (lines kept, aliases refused) that reads CloudFormation's short-form tags."""


def _construct_tag(loader: CfnLoader, suffix: str, node: Node) -> LineDict:
    """`!Ref X` -> {"Ref": X}, `!Sub ...` -> {"Fn::Sub": ...}. A tag that is not one of CloudFormation's
    short forms (`!Rain::Module`, `!ValueOf`) is kept the same way, as a function this importer cannot
    resolve: its value becomes an assumption wherever it is used, as in the JSON form of the template."""
    line = node.start_mark.line + 1
    value: Any
    if isinstance(node, ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = LineList(str(value).split(".", 1), line=line)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node)
    else:
        assert isinstance(node, MappingNode)
        value = loader.construct_mapping(node)
    key = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    result = LineDict({key: value}, line=line)
    result.key_lines[key] = line
    return result


CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(text: str | bytes, filename: str) -> Any:
    """Parse a template; JSON when it looks like JSON. Raises DocumentError (with its line)."""
    stripped = text.lstrip()[:1]
    if stripped in ("{", b"{") or filename.endswith(".json"):
        return load_json(text)
    return load_yaml(text, loader=CfnLoader)


class Unresolved(Exception):
    """A value only AWS knows at deploy time (or the template does not define)."""


def _line(node: Any, key: str | None = None) -> int | None:
    if isinstance(node, LineDict):
        return node.line_of(key) if key else node.line
    return None


def _json_key_lines(text: str, names: list[str]) -> dict[str, int]:
    """Lines of `"Name":` keys in a JSON template (json does not keep lines): the first after "Resources"."""
    start = text.find('"Resources"')
    lines = {}
    for name in names:
        match = re.compile(r'"' + re.escape(name) + r'"\s*:').search(text, max(start, 0))
        if match:
            lines[name] = text.count("\n", 0, match.start()) + 1
    return lines


def _is_cidr(value: Any) -> bool:
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return False
    return True


def _is_function(value: Any) -> bool:
    """{"Ref": ...} or {"Fn::...": ...}: a value CloudFormation computes."""
    return isinstance(value, dict) and len(value) == 1 and str(next(iter(value))).startswith(("Ref", "Fn::"))


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


class Template:
    """One template with the values it can decide by itself."""

    def __init__(
        self,
        document: Any,
        file: str,
        region: str | None,
        parameters: Mapping[str, str],
        exports: Mapping[str, Any],
        json_lines: dict[str, int] | None = None,
    ):
        if not isinstance(document, dict):
            raise DocumentError(
                f"{file}: a CloudFormation template must be a mapping with a Resources section"
            )
        resources = document.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise InputError(f"{file}: not a CloudFormation template", {"Resources": ["Missing or empty."]})
        self.document, self.file, self.region = document, file, region
        self.resources: dict[str, Any] = resources
        self.json_lines = json_lines or {}
        self.exports = exports
        self.parameters: dict[str, Any] = {}
        self.missing_parameters: dict[str, str] = {}
        sections = {key: document.get(key) or {} for key in ("Parameters", "Conditions", "Mappings")}
        for key, section in sections.items():
            if not isinstance(section, dict):
                raise InputError(
                    f"{file}: {key} must be a mapping", {key: [f"Got {type(section).__name__}."]}
                )
        for name, spec in sections["Parameters"].items():
            is_list = isinstance(spec, dict) and (
                str(spec.get("Type", "")).startswith("List<") or spec.get("Type") == "CommaDelimitedList"
            )
            if name in parameters or isinstance(spec, dict) and "Default" in spec:
                value = parameters[name] if name in parameters else spec["Default"]
                if is_list and not isinstance(value, list):  # a list parameter's value is "a,b,c"
                    value = [item.strip() for item in str(value).split(",")]
                self.parameters[name] = value
            else:
                self.missing_parameters[name] = "has no Default and no value was given"
        self.conditions: dict[str, Any] = sections["Conditions"]
        self._condition_values: dict[str, bool] = {}
        self.mappings: dict[str, Any] = sections["Mappings"]

    def resource_line(self, logical_id: str) -> int | None:
        return _line(self.resources, logical_id) or self.json_lines.get(logical_id)

    # ---- intrinsic functions -----------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                key = next(iter(value))
                if key == "Ref" or str(key).startswith("Fn::"):
                    return self._intrinsic(key, value[key])
                if key == "Condition":
                    return self.condition(value[key])
            return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        return value

    def _intrinsic(self, name: str, arg: Any) -> Any:
        function = name.removeprefix("Fn::")
        handler = getattr(self, "_fn_" + function.lower(), None) if function.isalnum() else None
        if handler is None:
            if function in SHORT_TAGS or function == "Ref":
                raise Unresolved(f"{name} cannot be resolved without deploying the template")
            raise Unresolved(f"{name} is not a CloudFormation function this importer resolves")
        try:
            return handler(arg)
        except SHAPE_ERRORS as exc:
            if not is_shape_error(exc):
                raise
            raise Unresolved(
                f"{name}: its arguments do not have the form CloudFormation expects ({exc})"
            ) from None

    def _fn_ref(self, name: Any) -> Any:
        name = self.resolve(name)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::Region":
            if self.region is None:
                raise Unresolved("AWS::Region is known only at deploy time (give the region to the importer)")
            return self.region
        if name == "AWS::Partition":
            return "aws"
        if name == "AWS::URLSuffix":
            return "amazonaws.com"
        if name in self.parameters:
            return self.parameters[name]
        if name in self.missing_parameters:
            raise Unresolved(f"parameter {name} {self.missing_parameters[name]}")
        if name in self.resources:
            return name
        if isinstance(name, str) and name.startswith("AWS::"):
            raise Unresolved(f"{name} is known only at deploy time")
        raise Unresolved(f"Ref {name}: no parameter or resource of that name")

    def _fn_getatt(self, arg: Any) -> Any:
        resource, attribute = self.resolve(arg).split(".", 1) if isinstance(arg, str) else self.resolve(arg)
        if resource not in self.resources:
            raise Unresolved(f"GetAtt {resource}.{attribute}: no resource of that name")
        kind = self.resources[resource].get("Type", "")
        props = self.resources[resource].get("Properties") or {}
        own_id = {"GroupId", "Id", "SubnetId", "RouteTableId", "NetworkAclId", "TransitGatewayId", "Arn",
                  "DBClusterArn", "DBInstanceArn", "AllocationId", "VpcPeeringConnectionId", "PrefixListId"}  # fmt: skip
        if attribute in own_id or (attribute == "VpcId" and kind == "AWS::EC2::VPC"):
            return resource
        if attribute == "DefaultSecurityGroup" and kind == "AWS::EC2::VPC":
            return default_group_id(resource)
        in_default_vpc = not props.get("SecurityGroups") and not props.get("Subnets")
        elb_group = (
            kind == "AWS::ElasticLoadBalancing::LoadBalancer" and attribute == "SourceSecurityGroup.GroupName"
        )
        if elb_group and in_default_vpc:  # the group ELB creates in the default VPC
            return classic_elb_group(resource)
        passthrough = {"VpcId": "VpcId", "CidrBlock": "CidrBlock", "Endpoint.Port": "Port"}
        if attribute in passthrough and passthrough[attribute] in props:
            return self.resolve(props[passthrough[attribute]])
        raise Unresolved(f"GetAtt {resource}.{attribute} is known only at deploy time")

    def _fn_sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        values = {k: self.resolve(v) for k, v in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                return str(self._fn_getatt(name))
            return str(self._fn_ref(name))

        return re.sub(r"\$\{([^}]+)\}", substitute, str(text))

    def _fn_join(self, arg: Any) -> str:
        delimiter, items = arg
        return str(delimiter).join(str(item) for item in self._as_list(items))

    def _fn_select(self, arg: Any) -> Any:
        index, items = arg
        items = self._as_list(items)
        index = int(self.resolve(index))
        if not 0 <= index < len(items):
            raise Unresolved(f"Select index {index} is outside a list of {len(items)}")
        return items[index]

    def _fn_split(self, arg: Any) -> list[str]:
        delimiter, text = arg
        return str(self.resolve(text)).split(str(delimiter))

    def _fn_findinmap(self, arg: Any) -> Any:
        names = [self.resolve(part) for part in arg[:3]]
        try:
            return self.resolve(self.mappings[names[0]][names[1]][names[2]])
        except (KeyError, TypeError):
            raise Unresolved(f"FindInMap {'/'.join(map(str, names))}: no such entry") from None

    def _fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_base64(self, arg: Any) -> Any:
        return self.resolve(arg)

    def _fn_importvalue(self, arg: Any) -> Any:
        name = self.resolve(arg)
        if name in self.exports:
            return self.exports[name]
        raise Unresolved(f"ImportValue {name}: exported by a stack that is not part of this import")

    def _fn_getazs(self, arg: Any) -> Any:
        raise Unresolved("GetAZs: the Availability Zones of a region are known only at deploy time")

    def _fn_cidr(self, arg: Any) -> list[str]:
        block, count, bits = (self.resolve(part) for part in arg)
        network = ipaddress.ip_network(str(block), strict=False)
        subnets = network.subnets(new_prefix=network.max_prefixlen - int(bits))
        return [str(subnet) for _, subnet in zip(range(int(count)), subnets, strict=False)]

    def _fn_equals(self, arg: Any) -> bool:
        left, right = (self.resolve(part) for part in arg)
        return str(left) == str(right)

    def _fn_not(self, arg: Any) -> bool:
        return not self._truth(arg[0])

    def _fn_and(self, arg: Any) -> bool:
        return all(self._truth(part) for part in arg)

    def _fn_or(self, arg: Any) -> bool:
        return any(self._truth(part) for part in arg)

    def _truth(self, value: Any) -> bool:
        return _truthy(self.resolve(value))

    def _as_list(self, items: Any) -> list[Any]:
        resolved = self.resolve(items)
        if not isinstance(resolved, list):
            raise Unresolved("expected a list")
        return resolved

    def condition(self, name: Any) -> bool:
        if not isinstance(name, str) or name not in self.conditions:
            raise Unresolved(f"no condition named {name}")
        if name not in self._condition_values:
            self._condition_values[name] = False  # a cycle reads as false rather than recursing forever
            self._condition_values[name] = self._truth(self.conditions[name])
        return self._condition_values[name]


class CfnImporter:
    """Maps the resources of one or more templates into a ProposalBuilder."""

    def __init__(self, builder: ProposalBuilder):
        self.builder = builder
        self.internet_gateways: set[str] = set()
        self.vpn_gateway_vpc: dict[str, str] = {}
        self.vpn_routes: dict[str, list[str]] = {}
        self.vpn_connections: dict[str, dict[str, Any]] = {}
        self.listeners: dict[str, tuple[Any, Any]] = {}  # listener -> (load balancer, port)
        self.listener_rules: list[tuple[Any, list[Any]]] = []  # (listener, target groups)
        self.handlers: dict[str, tuple[int, Callable[[Template, str, Any], None]]] = {
            "AWS::EC2::VPC": (0, self.vpc),
            "AWS::EC2::InternetGateway": (0, self.internet_gateway),
            "AWS::EC2::VPNGateway": (0, self.nothing),
            "AWS::EC2::CustomerGateway": (0, self.nothing),
            "AWS::EC2::NatGateway": (0, self.nothing),
            "AWS::EC2::EIP": (0, self.nothing),
            "AWS::EC2::TransitGateway": (0, self.transit_gateway),
            "AWS::EC2::Subnet": (1, self.subnet),
            "AWS::EC2::PrefixList": (0, self.prefix_list),
            "AWS::EC2::SecurityGroup": (1, self.security_group),
            "AWS::EC2::RouteTable": (1, self.route_table),
            "AWS::EC2::NetworkAcl": (1, self.network_acl),
            "AWS::EC2::VPCGatewayAttachment": (1, self.gateway_attachment),
            "AWS::EC2::VPCPeeringConnection": (1, self.peering),
            "AWS::RDS::DBSubnetGroup": (1, self.db_subnet_group),
            "AWS::RDS::DBCluster": (1, self.db_cluster),
            "AWS::EC2::VPNConnection": (2, self.vpn_connection),
            "AWS::EC2::Route": (2, self.route),
            "AWS::EC2::SubnetRouteTableAssociation": (2, self.route_table_association),
            "AWS::EC2::SecurityGroupIngress": (2, self.standalone_rule),
            "AWS::EC2::SecurityGroupEgress": (2, self.standalone_rule),
            "AWS::EC2::NetworkAclEntry": (2, self.network_acl_entry),
            "AWS::EC2::SubnetNetworkAclAssociation": (2, self.network_acl_association),
            "AWS::EC2::TransitGatewayAttachment": (2, self.transit_gateway_attachment),
            "AWS::EC2::TransitGatewayVpcAttachment": (2, self.transit_gateway_attachment),
            "AWS::EC2::VPNConnectionRoute": (2, self.vpn_connection_route),
            "AWS::EC2::Instance": (2, self.instance),
            "AWS::RDS::DBInstance": (2, self.db_instance),
            "AWS::DocDB::DBSubnetGroup": (1, self.db_subnet_group),
            "AWS::Neptune::DBSubnetGroup": (1, self.db_subnet_group),
            "AWS::ElastiCache::SubnetGroup": (1, self.cache_subnet_group),
            "AWS::DocDB::DBCluster": (1, self.docdb_cluster),
            "AWS::Neptune::DBCluster": (1, self.neptune_cluster),
            "AWS::DocDB::DBInstance": (2, self.cluster_instance),
            "AWS::Neptune::DBInstance": (2, self.cluster_instance),
            "AWS::ElastiCache::ReplicationGroup": (1, self.cache_replication_group),
            "AWS::ElastiCache::CacheCluster": (2, self.cache_cluster),
            "AWS::ECS::Cluster": (2, self.ecs_cluster),
            "AWS::ECS::Service": (2, self.ecs_service),
            "AWS::EKS::Cluster": (2, self.eks_cluster),
            "AWS::EKS::Nodegroup": (2, self.eks_nodegroup),
            "AWS::EKS::FargateProfile": (2, self.eks_fargate_profile),
            "AWS::Lambda::Function": (2, self.lambda_function),
            "AWS::EC2::LaunchTemplate": (1, self.launch_template),
            "AWS::AutoScaling::LaunchConfiguration": (1, self.launch_configuration),
            "AWS::ElasticLoadBalancingV2::LoadBalancer": (1, self.load_balancer),
            "AWS::ElasticLoadBalancingV2::TargetGroup": (1, self.target_group),
            "AWS::ElasticLoadBalancing::LoadBalancer": (1, self.classic_load_balancer),
            "AWS::ElasticLoadBalancingV2::Listener": (2, self.listener),
            "AWS::ElasticLoadBalancingV2::ListenerRule": (2, self.listener_rule),
            "AWS::AutoScaling::AutoScalingGroup": (2, self.auto_scaling_group),
            "AWS::Backup::BackupPlan": (2, self.backup_plan),
            "AWS::Backup::BackupSelection": (2, self.backup_selection),
            "AWS::Backup::BackupVault": (2, self.nothing),
            "AWS::DLM::LifecyclePolicy": (2, self.lifecycle_policy),
        }

    # ---- reading properties ------------------------------------------------------------------------

    def get(self, template: Template, lid: str, props: Any, key: str, default: Any = None) -> Any:
        """A property resolved, or `default` when absent; an unresolvable one is an assumption."""
        if not isinstance(props, dict) or key not in props:
            return default
        try:
            value = template.resolve(props[key])
        except Unresolved as exc:
            line = _line(props, key) or template.resource_line(lid)
            self.builder.assume(f"{template.file}:{line}: {lid}.{key} left out: {exc}")
            if key in GROUP_KEYS:
                self.builder.unknown_groups.add(lid)
            return default
        if value is NO_VALUE:
            return default
        self._check_shape(template, lid, props, key, value)
        return value

    @staticmethod
    def _check_shape(template: Template, lid: str, props: Any, key: str, value: Any) -> None:
        """An id, name or CIDR must be one value, a list of them a list of values: otherwise the template
        is refused here, naming the line, rather than giving a proposal the importer cannot stand by."""
        items = value if key in LIST_KEYS and isinstance(value, list) else [value]
        if key.endswith(SCALAR_SUFFIXES) or key in LIST_KEYS:
            numbers_too = key in ("IpProtocol", "Protocol")
            wrong = next(
                (
                    item
                    for item in items
                    if not isinstance(item, str) and not (numbers_too and isinstance(item, int))
                ),
                NO_VALUE,
            )
            if wrong is NO_VALUE and key.endswith(("CidrIp", "CidrIpv6", "CidrBlock")):
                wrong = next((item for item in items if not _is_cidr(item)), NO_VALUE)
            if wrong is not NO_VALUE:
                line = _line(props, key) or template.resource_line(lid)
                what = (
                    "a list of ids or names" if key in LIST_KEYS else "a single value (an id, a name, a CIDR)"
                )
                raise InputError(
                    f"{template.file}:{line}: resource {lid}: {key} must be {what}, not {type(wrong).__name__}",
                    {f"Resources.{lid}.{key}": [f"Got {str(wrong)[:80]}."]},
                )

    def mapping(self, template: Template, lid: str, props: Any, key: str) -> Any:
        """A nested property block (a mapping) whose fields are resolved one by one by `get`, so one
        value known only at deploy time (a launch template's version) does not hide the others."""
        value = props.get(key) if isinstance(props, dict) else None
        if isinstance(value, dict) and not _is_function(value):
            return value
        return self.get(template, lid, props, key)

    def get_list(self, template: Template, lid: str, props: Any, key: str) -> list[Any]:
        value = self.get(template, lid, props, key, [])
        return value if isinstance(value, list) else [value]

    def origin(
        self, template: Template, lid: str, node: Any = None, index: int | None = None
    ) -> dict[str, Any]:
        line = None
        if isinstance(node, LineList) and index is not None and index < len(node.item_lines):
            line = node.item_lines[index]
        elif isinstance(node, LineDict):
            line = node.line
        return self.builder.origin(lid, line or template.resource_line(lid), file=template.file)

    # ---- the import --------------------------------------------------------------------------------

    def add(self, template: Template) -> None:
        ordered = sorted(template.resources.items(), key=lambda item: self._tier(item[1]))
        for lid, resource in ordered:
            if str(lid).startswith("Fn::ForEach::"):
                self.builder.skip(f"{template.file}:{template.resource_line(lid)}: {lid}: Fn::ForEach (the AWS::LanguageExtensions "
                            "transform) is not expanded: the resources it makes are not evaluated")  # fmt: skip
                continue
            kind = resource.get("Type") if isinstance(resource, dict) else None
            directive = (
                str(next(iter(kind))).removeprefix("Fn::")
                if isinstance(kind, dict) and len(kind) == 1
                else ""
            )
            if (
                directive and directive != "Ref" and directive not in SHORT_TAGS
            ):  # !Rain::Module x, {"Rain::Module": x}
                raise InputError(
                    f"{template.file}:{template.resource_line(lid)}: resource {lid}: its Type is a !{directive} directive of a "
                    "template preprocessor, not a resource type: import the processed template (for Rain "
                    "modules, the output of `rain pkg`)",
                    {f"Resources.{lid}.Type": [f"Unsupported: !{directive}."]},
                )
            if not isinstance(kind, str):
                raise InputError(
                    f"{template.file}:{template.resource_line(lid)}: resource {lid}: its Type must be a resource type name "
                    "such as AWS::EC2::Instance",
                    {f"Resources.{lid}.Type": [f"Got {type(kind).__name__}: {str(kind)[:80]}."]},
                )
            if kind not in self.handlers:
                self.builder.skip(
                    f"{template.file}:{template.resource_line(lid)}: {lid} ({kind}): resource type not mapped"
                )
                continue
            if "Condition" in resource:
                try:
                    created = template.condition(resource["Condition"])
                except Unresolved as exc:
                    self.builder.assume(
                        f"{template.file}:{template.resource_line(lid)}: {lid} assumed created ({exc})"
                    )
                    created = True
                if not created:
                    self.builder.skip(f"{template.file}:{template.resource_line(lid)}: {lid}: condition {resource['Condition']} "
                                "is false, the resource is not created")  # fmt: skip
                    continue
            if (
                lid in self.builder.resources
                or lid in self.builder.vpcs
                or lid in self.builder.security_groups
            ):
                raise InputError(
                    f"{template.file}: logical id {lid} is defined by two templates of this import"
                )
            props = resource.get("Properties") or LineDict()
            if not isinstance(props, dict):
                raise InputError(
                    f"{template.file}:{template.resource_line(lid)}: resource {lid} ({kind}): Properties must be a mapping",
                    {f"Resources.{lid}.Properties": [f"Got {type(props).__name__}."]},
                )
            try:
                self.handlers[kind][1](template, lid, props)
            except SHAPE_ERRORS as exc:
                if not is_shape_error(exc):
                    raise
                raise InputError(
                    f"{template.file}:{template.resource_line(lid)}: resource {lid} ({kind}): a property has a shape this "
                    f"importer does not read ({type(exc).__name__}: {exc}); fix the template or remove the resource "
                    "from the import",
                    {f"Resources.{lid}": ["Unsupported shape."]},
                ) from None

    def _tier(self, resource: Any) -> int:
        kind = resource.get("Type") if isinstance(resource, dict) else None
        return self.handlers[kind][0] if isinstance(kind, str) and kind in self.handlers else 3

    def finish(self) -> None:
        for vpn_id, vpn in self.vpn_connections.items():
            self.builder.add_vpn(vpn_id, vpn, self.vpn_routes.get(vpn_id) or [])
        for listener, groups in self.listener_rules:
            if listener in self.listeners:
                self.builder.add_listener(self.listeners[listener][0], self.listeners[listener][1], groups)

    # ---- handlers ----------------------------------------------------------------------------------

    def nothing(self, template: Template, lid: str, props: Any) -> None:
        """Understood and used through the resources that reference it."""

    def vpc(self, template: Template, lid: str, props: Any) -> None:
        if template.region is None:
            self.builder.assume(
                f"{template.file}: the region is known only at deploy time: VPCs carry no region"
            )
        self.builder.add_vpc(
            lid,
            self.get(template, lid, props, "CidrBlock"),
            self.origin(template, lid),
            region=template.region,
        )

    def internet_gateway(self, template: Template, lid: str, props: Any) -> None:
        self.internet_gateways.add(lid)

    def subnet(self, template: Template, lid: str, props: Any) -> None:
        vpc = self.get(template, lid, props, "VpcId")
        cidr = self.get(template, lid, props, "CidrBlock")
        public_ip = _truthy(self.get(template, lid, props, "MapPublicIpOnLaunch", False))
        self.builder.add_subnet(lid, vpc, cidr, self.origin(template, lid), public_ip)

    def gateway_attachment(self, template: Template, lid: str, props: Any) -> None:
        vgw, vpc = self.get(template, lid, props, "VpnGatewayId"), self.get(template, lid, props, "VpcId")
        if vgw:
            self.vpn_gateway_vpc[vgw] = vpc
        if self.get(template, lid, props, "InternetGatewayId") and vpc:
            self.builder.internet_gateway_vpcs.add(vpc)

    def route_table(self, template: Template, lid: str, props: Any) -> None:
        self.builder.route_tables[lid] = RouteTable(lid, self.get(template, lid, props, "VpcId"))

    def route(self, template: Template, lid: str, props: Any) -> None:
        table = self.builder.route_tables.get(self.get(template, lid, props, "RouteTableId"))
        if table is None:
            self.builder.skip(
                f"{template.file}:{template.resource_line(lid)}: {lid}: its route table is not part of this template"
            )
            return
        destination = self.get(template, lid, props, "DestinationCidrBlock") or self.get(
            template, lid, props, "DestinationIpv6CidrBlock", ""
        )
        keys = ("VpcPeeringConnectionId", "TransitGatewayId", "NatGatewayId", "GatewayId")
        targets = tuple(self.get(template, lid, props, key) for key in keys)
        table.routes.append(route_to(destination, targets, self.internet_gateways, self.vpn_gateway_vpc))

    def route_table_association(self, template: Template, lid: str, props: Any) -> None:
        subnet, table = (
            self.get(template, lid, props, "SubnetId"),
            self.get(template, lid, props, "RouteTableId"),
        )
        if subnet and table:
            self.builder.route_table_of[subnet] = table

    def _sg_rule(
        self, template: Template, lid: str, item: Any, direction: str, origin: dict[str, Any]
    ) -> Any:
        """One security group rule in proposal form, or None (noted) when its peer is not modelled."""
        protocol = protocol_name(self.get(template, lid, item, "IpProtocol", "-1"))
        ports = port_range(
            protocol, self.get(template, lid, item, "FromPort"), self.get(template, lid, item, "ToPort")
        )
        peer_key = "source" if direction == "inbound" else "destination"
        prefix = "Source" if direction == "inbound" else "Destination"
        group_key = "SourceSecurityGroupId" if direction == "inbound" else "DestinationSecurityGroupId"
        for key in ("CidrIp", "CidrIpv6", group_key):
            peer = self.get(template, lid, item, key)
            if peer:
                return {"protocol": protocol, "ports": ports, peer_key: peer, "origin": origin}
        name = self.get(template, lid, item, "SourceSecurityGroupName") if direction == "inbound" else None
        if isinstance(name, str) and self._template_group(template, name):  # a group by name: the default VPC
            return {"protocol": protocol, "ports": ports, peer_key: name, "origin": origin}
        if f"{prefix}PrefixListId" in item:
            rule = {"protocol": protocol, "ports": ports, "origin": origin}
            where = f"{origin['file']}:{origin.get('line')}: {lid}"
            rules = self.builder.prefix_list_rules(
                self.get(template, lid, item, f"{prefix}PrefixListId"), rule, peer_key, where
            )
            return rules or None
        other = [key for key in ("SourceSecurityGroupName",) if key in item]
        reason = f"its peer ({', '.join(other)}) is not modelled" if other else "its peer is unknown"
        self.builder.skip(
            f"{origin['file']}:{origin.get('line')}: {lid}: an {direction} rule left out: {reason}"
        )
        return None

    @staticmethod
    def _template_group(template: Template, name: str) -> bool:
        """A security group of the template (its Ref is its name in the default VPC), or ELB's group."""
        kinds = {"AWS::EC2::SecurityGroup": name,
                 "AWS::ElasticLoadBalancing::LoadBalancer": name.removesuffix("-default-elb")}  # fmt: skip
        return any(isinstance(template.resources.get(ref), dict) and template.resources[ref].get("Type") == kind
                   for kind, ref in kinds.items())  # fmt: skip

    def security_group(self, template: Template, lid: str, props: Any) -> None:
        group = self.builder.add_group(
            lid,
            self.get(template, lid, props, "VpcId"),
            self.origin(template, lid),
            self.where(template, lid),
        )
        for key, direction in (("SecurityGroupIngress", "inbound"), ("SecurityGroupEgress", "outbound")):
            raw = props.get(key) if isinstance(props, dict) else None
            items = raw if isinstance(raw, list) else self.get_list(template, lid, props, key)
            for index, item in enumerate(items):
                if _is_function(item):  # the whole rule is an !If or a Ref: resolve it first
                    try:
                        item = template.resolve(item)
                    except Unresolved as exc:
                        self.builder.assume(
                            f"{template.file}:{template.resource_line(lid)}: {lid}: an {direction} rule left out: {exc}"
                        )
                        continue
                if item is NO_VALUE or not isinstance(item, dict):
                    continue  # each field of a rule is resolved on its own (an unresolved Description is harmless)
                rule = self._sg_rule(template, lid, item, direction, self.origin(template, lid, raw, index))
                group[direction].extend(rule if isinstance(rule, list) else [rule] if rule else [])
        if "SecurityGroupEgress" not in props:
            origin = self.origin(template, lid)
            group["outbound"].append(
                {"protocol": "all", "ports": "all", "destination": "0.0.0.0/0", "origin": origin}
            )

    def prefix_list(self, template: Template, lid: str, props: Any) -> None:
        entries = [
            entry for entry in self.get_list(template, lid, props, "Entries") if isinstance(entry, dict)
        ]
        self.builder.add_prefix_list(lid, [self.get(template, lid, entry, "Cidr") for entry in entries])

    def standalone_rule(self, template: Template, lid: str, props: Any) -> None:
        direction = "outbound" if template.resources[lid]["Type"].endswith("Egress") else "inbound"
        group = self.get(template, lid, props, "GroupId")
        if group is None:
            self.builder.skip(
                f"{template.file}:{template.resource_line(lid)}: {lid}: no GroupId (GroupName is not modelled)"
            )
            return
        rule = self._sg_rule(template, lid, props, direction, self.origin(template, lid))
        for one in rule if isinstance(rule, list) else [rule] if rule else []:
            self.builder.add_rule(group, direction, one)

    def network_acl(self, template: Template, lid: str, props: Any) -> None:
        self.builder.acls[lid] = ImportedNetworkAcl(
            lid, self.get(template, lid, props, "VpcId"), self.origin(template, lid)
        )

    def network_acl_entry(self, template: Template, lid: str, props: Any) -> None:
        acl = self.builder.acls.get(self.get(template, lid, props, "NetworkAclId"))
        if acl is None:
            self.builder.skip(
                f"{template.file}:{template.resource_line(lid)}: {lid}: its network ACL is not part of this template"
            )
            return
        egress = _truthy(self.get(template, lid, props, "Egress", False))
        protocol = protocol_name(self.get(template, lid, props, "Protocol", "-1"))
        port_spec = self.get(template, lid, props, "PortRange") or {}
        peer = self.get(template, lid, props, "CidrBlock") or self.get(template, lid, props, "Ipv6CidrBlock")
        entry = {
            "rule": rule_number(self.get(template, lid, props, "RuleNumber", 0)),
            "protocol": protocol,
            "ports": port_range(protocol, port_spec.get("From"), port_spec.get("To")),
            "destination" if egress else "source": peer,
            "action": str(self.get(template, lid, props, "RuleAction", "deny")).lower(),
            "origin": self.origin(template, lid),
        }
        (acl.outbound if egress else acl.inbound).append(entry)
        (acl.outbound if egress else acl.inbound).sort(key=lambda entry: entry["rule"])

    def network_acl_association(self, template: Template, lid: str, props: Any) -> None:
        subnet, acl = (
            self.get(template, lid, props, "SubnetId"),
            self.get(template, lid, props, "NetworkAclId"),
        )
        if subnet and acl:
            self.builder.acl_of[subnet] = acl

    def peering(self, template: Template, lid: str, props: Any) -> None:
        vpcs = [self.get(template, lid, props, "VpcId"), self.get(template, lid, props, "PeerVpcId")]
        peer_region = self.get(template, lid, props, "PeerRegion")
        if (
            peer_region
            and vpcs[1] in self.builder.vpcs
            and self.builder.vpcs[vpcs[1]].get("region") != peer_region
        ):
            self.builder.assume(
                f"peering {lid}: PeerRegion {peer_region} differs from the region of {vpcs[1]}"
            )
        self.builder.peerings[lid] = Link(lid, self.origin(template, lid), [vpc for vpc in vpcs if vpc])

    def transit_gateway(self, template: Template, lid: str, props: Any) -> None:
        self.builder.transit_gateways[lid] = Link(lid, self.origin(template, lid))

    def transit_gateway_attachment(self, template: Template, lid: str, props: Any) -> None:
        tgw, vpc = self.get(template, lid, props, "TransitGatewayId"), self.get(template, lid, props, "VpcId")
        if not tgw or not vpc:
            return
        if tgw not in self.builder.transit_gateways:
            self.builder.assume(
                f"{template.file}:{template.resource_line(lid)}: transit gateway {tgw} is not part of this template"
            )
            self.builder.transit_gateways[tgw] = Link(tgw, self.origin(template, lid))
        self.builder.transit_gateways[tgw].vpcs.append(vpc)

    def vpn_connection(self, template: Template, lid: str, props: Any) -> None:
        vgw = self.get(template, lid, props, "VpnGatewayId")
        vpc = self.vpn_gateway_vpc.get(vgw) if vgw else None
        if vpc is None:
            self.builder.skip(f"{template.file}:{template.resource_line(lid)}: {lid}: VPN not attached to a VPC of this template "
                        "through a virtual private gateway")  # fmt: skip
            return
        self.vpn_connections[lid] = {"id": lid, "vpc": vpc, "origin": self.origin(template, lid)}

    def vpn_connection_route(self, template: Template, lid: str, props: Any) -> None:
        vpn, cidr = (
            self.get(template, lid, props, "VpnConnectionId"),
            self.get(template, lid, props, "DestinationCidrBlock"),
        )
        if vpn and cidr:
            self.vpn_routes.setdefault(vpn, []).append(cidr)

    def where(self, template: Template, lid: str) -> str:
        """How messages name a resource: file:line: LogicalId."""
        return f"{template.file}:{template.resource_line(lid)}: {lid}"

    def _vpc_config(
        self, template: Template, lid: str, props: Any, key: str, subnets: str, groups: str
    ) -> Any:
        """(subnets, security groups) of a VpcConfig-like property, or None when it is absent."""
        config = self.mapping(template, lid, props, key)
        if not isinstance(config, dict):
            return None
        return self.get_list(template, lid, config, subnets), self.get_list(template, lid, config, groups)

    def _groups_by_name(self, template: Template, lid: str, props: Any) -> list[Any]:
        """SecurityGroups (names, used in the default VPC): a group of the template is known by its Ref."""
        names = self.get_list(template, lid, props, "SecurityGroups")
        known = [name for name in names if isinstance(name, str)
                 and (self._template_group(template, name) or name == default_group_id(None))]  # fmt: skip
        if len(known) < len(names):
            self.builder.skip(
                f"{self.where(template, lid)}: SecurityGroups named outside this template are not modelled"
            )
        return known

    def instance(self, template: Template, lid: str, props: Any) -> None:
        subnets = [self.get(template, lid, props, "SubnetId")] if "SubnetId" in props else None
        groups = self.get_list(template, lid, props, "SecurityGroupIds") + self._groups_by_name(
            template, lid, props
        )
        interfaces = self.get_list(template, lid, props, "NetworkInterfaces")
        if interfaces and isinstance(interfaces[0], dict):
            subnets = [self.get(template, lid, interfaces[0], "SubnetId")]
            groups = groups or self.get_list(template, lid, interfaces[0], "GroupSet")
        instance_type = self.get(template, lid, props, "InstanceType")
        if instance_type is None and "InstanceType" not in props and "LaunchTemplate" not in props:
            self.builder.assume(f"{lid}: no InstanceType: CloudFormation's default m1.small assumed")
            instance_type = "m1.small"
        self.builder.add_instance(
            lid, self.where(template, lid), self.origin(template, lid), subnets, groups, instance_type
        )

    def db_subnet_group(self, template: Template, lid: str, props: Any) -> None:
        names = [lid, self.get(template, lid, props, "DBSubnetGroupName")]
        self.builder.add_db_subnet_group(names, self.get_list(template, lid, props, "SubnetIds"))

    def _database(self, template: Template, lid: str, props: Any, groups_key: str, cluster: bool) -> Database:
        accessible = self.get(template, lid, props, "PubliclyAccessible")
        retention = self.get(template, lid, props, "BackupRetentionPeriod")
        return Database(
            lid, self.where(template, lid), self.origin(template, lid),
            engine=self.get(template, lid, props, "Engine"),
            port=self.get(template, lid, props, "Port"),
            subnet_group=self.get(template, lid, props, "DBSubnetGroupName"),
            security_groups=self.get_list(template, lid, props, groups_key),
            publicly_accessible=None if accessible is None else _truthy(accessible),
            retention=retention,
            cluster=cluster,
            replica_of=self.get(template, lid, props, "SourceDBInstanceIdentifier"),
        )  # fmt: skip

    def db_instance(self, template: Template, lid: str, props: Any) -> None:
        cluster = self.get(template, lid, props, "DBClusterIdentifier")
        if cluster:
            accessible = self.get(template, lid, props, "PubliclyAccessible")
            self.builder.add_cluster_member(
                self.where(template, lid), cluster, None if accessible is None else _truthy(accessible)
            )
            return
        database = self._database(template, lid, props, "VPCSecurityGroups", cluster=False)
        if not database.security_groups:  # DBSecurityGroups (names) in the default VPC
            database.security_groups = [group for group in self.get_list(template, lid, props, "DBSecurityGroups")
                                        if isinstance(group, str) and self._template_group(template, group)]  # fmt: skip
        self.builder.add_database(database)

    def db_cluster(self, template: Template, lid: str, props: Any) -> None:
        self.builder.add_database(self._database(template, lid, props, "VpcSecurityGroupIds", cluster=True))

    # ---- DocumentDB, Neptune, ElastiCache: database-like, modelled as rds (model.SERVICES) ----------------

    def _database_like(
        self, template: Template, lid: str, props: Any, service: str, keys: tuple[str, str, str, str]
    ) -> None:
        subnet_group, groups, retention, engine = keys
        self.builder.add_database(Database(
            lid, self.where(template, lid), self.origin(template, lid),
            engine=self.get(template, lid, props, engine) if engine else None,
            port=self.get(template, lid, props, "Port"),
            subnet_group=self.get(template, lid, props, subnet_group),
            security_groups=self.get_list(template, lid, props, groups),
            retention=self.get(template, lid, props, retention),
            cluster=True, service=service,
        ))  # fmt: skip

    def docdb_cluster(self, template: Template, lid: str, props: Any) -> None:
        keys = ("DBSubnetGroupName", "VpcSecurityGroupIds", "BackupRetentionPeriod", "")
        self._database_like(template, lid, props, "docdb", keys)

    def neptune_cluster(self, template: Template, lid: str, props: Any) -> None:
        keys = ("DBSubnetGroupName", "VpcSecurityGroupIds", "BackupRetentionPeriod", "")
        self._database_like(template, lid, props, "neptune", keys)

    def cluster_instance(self, template: Template, lid: str, props: Any) -> None:
        self.builder.add_cluster_member(
            self.where(template, lid), self.get(template, lid, props, "DBClusterIdentifier"), None
        )

    def cache_subnet_group(self, template: Template, lid: str, props: Any) -> None:
        names = [lid, self.get(template, lid, props, "CacheSubnetGroupName")]
        self.builder.add_db_subnet_group(names, self.get_list(template, lid, props, "SubnetIds"))

    def cache_replication_group(self, template: Template, lid: str, props: Any) -> None:
        keys = ("CacheSubnetGroupName", "SecurityGroupIds", "SnapshotRetentionLimit", "Engine")
        self._database_like(template, lid, props, "elasticache", keys)

    def cache_cluster(self, template: Template, lid: str, props: Any) -> None:
        if "ReplicationGroupId" in props:  # a node of a replication group: evaluated with it
            self.builder.add_cluster_member(
                self.where(template, lid), self.get(template, lid, props, "ReplicationGroupId"), None
            )
            return
        keys = ("CacheSubnetGroupName", "VpcSecurityGroupIds", "SnapshotRetentionLimit", "Engine")
        self._database_like(template, lid, props, "elasticache", keys)

    def ecs_cluster(self, template: Template, lid: str, props: Any) -> None:
        self.builder.orchestrators.add("ecs")

    def ecs_service(self, template: Template, lid: str, props: Any) -> None:
        providers = [
            item.get("CapacityProvider")
            for item in self.get_list(template, lid, props, "CapacityProviderStrategy")
            if isinstance(item, dict)
        ]
        network = self.mapping(template, lid, props, "NetworkConfiguration")
        awsvpc = self._vpc_config(template, lid, network, "AwsvpcConfiguration", "Subnets", "SecurityGroups")
        launch = self.get(template, lid, props, "LaunchType")
        self.builder.add_ecs_service(
            lid, self.where(template, lid), self.origin(template, lid), launch, providers, awsvpc
        )
        for item in self.get_list(template, lid, props, "LoadBalancers"):
            if isinstance(item, dict):
                self.builder.register_targets(lid, [self.get(template, lid, item, "TargetGroupArn")],
                                        [self.get(template, lid, item, "LoadBalancerName")],
                                        self.get(template, lid, item, "ContainerPort"))  # fmt: skip

    # ---- Auto Scaling groups and load balancers ------------------------------------------------------

    def _named_groups(self, template: Template, lid: str, props: Any, ids: str, names: str) -> list[Any]:
        """Security group ids, plus groups given by name that are groups of the template (default VPC)."""
        named = [
            group
            for group in self.get_list(template, lid, props, names)
            if isinstance(group, str) and self._template_group(template, group)
        ]
        return self.get_list(template, lid, props, ids) + named

    def launch_template(self, template: Template, lid: str, props: Any) -> None:
        data = self.mapping(template, lid, props, "LaunchTemplateData") or {}
        groups = self._named_groups(template, lid, data, "SecurityGroupIds", "SecurityGroups")
        interfaces = self.get_list(template, lid, data, "NetworkInterfaces")
        if not groups and interfaces and isinstance(interfaces[0], dict):
            groups = self.get_list(template, lid, interfaces[0], "Groups")
        names = [lid, self.get(template, lid, props, "LaunchTemplateName")]
        self.builder.add_launch_template(names, groups, self.get(template, lid, data, "InstanceType"))

    def launch_configuration(self, template: Template, lid: str, props: Any) -> None:
        names = [lid, self.get(template, lid, props, "LaunchConfigurationName")]
        groups = self.get_list(template, lid, props, "SecurityGroups")
        self.builder.add_launch_template(names, groups, self.get(template, lid, props, "InstanceType"))

    def auto_scaling_group(self, template: Template, lid: str, props: Any) -> None:
        subnets = (
            self.get_list(template, lid, props, "VPCZoneIdentifier") if "VPCZoneIdentifier" in props else None
        )
        spec = self.mapping(template, lid, props, "LaunchTemplate")
        mixed = self.mapping(template, lid, props, "MixedInstancesPolicy")
        if spec is None and isinstance(mixed, dict):
            spec = self.mapping(
                template,
                lid,
                self.mapping(template, lid, mixed, "LaunchTemplate"),
                "LaunchTemplateSpecification",
            )
        launch_template = self.get(template, lid, props, "LaunchConfigurationName")
        if isinstance(spec, dict):
            launch_template = self.get(template, lid, spec, "LaunchTemplateId") or self.get(
                template, lid, spec, "LaunchTemplateName"
            )
        self.builder.add_auto_scaling_group(
            lid, self.where(template, lid), self.origin(template, lid), subnets, launch_template,
            self.get_list(template, lid, props, "TargetGroupARNs"), self.get_list(template, lid, props, "LoadBalancerNames"),
        )  # fmt: skip

    def load_balancer(self, template: Template, lid: str, props: Any) -> None:
        subnets = self.get_list(template, lid, props, "Subnets")
        for mapping in self.get_list(template, lid, props, "SubnetMappings"):
            if isinstance(mapping, dict):
                subnets.append(self.get(template, lid, mapping, "SubnetId"))
        internet_facing = str(self.get(template, lid, props, "Scheme", "internet-facing")) != "internal"
        groups = self.get_list(template, lid, props, "SecurityGroups")
        where = self.where(template, lid)
        self.builder.add_load_balancer(
            lid, where, self.origin(template, lid), subnets, groups, internet_facing
        )

    def classic_load_balancer(self, template: Template, lid: str, props: Any) -> None:
        subnets = self.get_list(template, lid, props, "Subnets") if "Subnets" in props else None
        internet_facing = str(self.get(template, lid, props, "Scheme", "internet-facing")) != "internal"
        groups = self.get_list(template, lid, props, "SecurityGroups")
        where, origin = self.where(template, lid), self.origin(template, lid)
        self.builder.add_load_balancer(lid, where, origin, subnets, groups, internet_facing, classic=True)
        for listener in self.get_list(template, lid, props, "Listeners"):
            if isinstance(listener, dict):
                self.builder.add_classic_listener(lid, self.get(template, lid, listener, "LoadBalancerPort"),
                                            self.get(template, lid, listener, "InstancePort"), origin)  # fmt: skip
        self.builder.register_targets_of(lid, self.get_list(template, lid, props, "Instances"))

    def _action_groups(self, template: Template, lid: str, actions: list[Any]) -> list[Any]:
        groups = []
        for action in actions:
            if isinstance(action, dict):
                groups.append(self.get(template, lid, action, "TargetGroupArn"))
                forward = self.mapping(template, lid, action, "ForwardConfig") or {}
                for item in self.get_list(template, lid, forward, "TargetGroups"):
                    groups.append(
                        self.get(template, lid, item, "TargetGroupArn") if isinstance(item, dict) else None
                    )
        return groups

    def listener(self, template: Template, lid: str, props: Any) -> None:
        balancer, port = (
            self.get(template, lid, props, "LoadBalancerArn"),
            self.get(template, lid, props, "Port"),
        )
        self.listeners[lid] = (balancer, port)
        self.builder.add_listener(
            balancer,
            port,
            self._action_groups(template, lid, self.get_list(template, lid, props, "DefaultActions")),
        )

    def listener_rule(self, template: Template, lid: str, props: Any) -> None:
        groups = self._action_groups(template, lid, self.get_list(template, lid, props, "Actions"))
        self.listener_rules.append((self.get(template, lid, props, "ListenerArn"), groups))

    def target_group(self, template: Template, lid: str, props: Any) -> None:
        targets = [
            (self.get(template, lid, item, "Id"), self.get(template, lid, item, "Port"))
            for item in self.get_list(template, lid, props, "Targets")
            if isinstance(item, dict)
        ]
        self.builder.add_target_group(lid, self.get(template, lid, props, "Port"), targets)

    def eks_cluster(self, template: Template, lid: str, props: Any) -> None:
        config = self._vpc_config(template, lid, props, "ResourcesVpcConfig", "SubnetIds", "SecurityGroupIds")
        subnets, groups = config or ([], [])
        self.builder.add_eks_cluster(
            lid, self.where(template, lid), self.origin(template, lid), subnets, groups
        )

    def eks_nodegroup(self, template: Template, lid: str, props: Any) -> None:
        self.builder.add_eks_nodegroup(self.get_list(template, lid, props, "InstanceTypes"))

    def eks_fargate_profile(self, template: Template, lid: str, props: Any) -> None:
        self.builder.add_eks_fargate_profile()

    def lambda_function(self, template: Template, lid: str, props: Any) -> None:
        config = self._vpc_config(template, lid, props, "VpcConfig", "SubnetIds", "SecurityGroupIds")
        self.builder.add_lambda(lid, self.where(template, lid), self.origin(template, lid), config)

    def backup_plan(self, template: Template, lid: str, props: Any) -> None:
        self.builder.add_backup_plan(lid)

    def backup_selection(self, template: Template, lid: str, props: Any) -> None:
        self.builder.add_backup_selection()

    def lifecycle_policy(self, template: Template, lid: str, props: Any) -> None:
        self.builder.add_lifecycle_policy(self.where(template, lid), self.get(template, lid, props, "State"))


def parse_template(text: str | bytes, file: str, region: str | None, parameters: Mapping[str, str],
                   exports: Mapping[str, Any]) -> Template:  # fmt: skip
    from recommender.importers import located

    try:
        document = load_template(text, file)
    except DocumentError as exc:
        raise located(file, exc) from None
    json_lines = None
    if not isinstance(document, LineDict) and isinstance(document, dict):
        source = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        json_lines = _json_key_lines(source, list((document.get("Resources") or {}).keys()))
    return Template(document, file, region, parameters, exports, json_lines)


def exports_of(template: Template) -> dict[str, Any]:
    """Export name -> value for the template's Outputs whose both sides resolve statically."""
    exports: dict[str, Any] = {}
    for output in (template.document.get("Outputs") or {}).values():
        if isinstance(output, dict) and isinstance(output.get("Export"), dict):
            try:
                exports[template.resolve(output["Export"].get("Name"))] = template.resolve(
                    output.get("Value")
                )
            except Unresolved:
                continue
    return exports


def import_templates(
    sources: list[tuple[str, str | bytes | Any]],
    regions: list[str | None] | None = None,
    parameters: Mapping[str, str] | None = None,
    file_parameters: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """One proposal from templates [(file name, text or parsed document)], each with its region.

    parameters: values for every template; file_parameters: per file name, values for that template only
    (they win over `parameters`), for stacks imported together whose parameters share a name."""
    regions = regions or [None] * len(sources)
    templates = []
    for (file, content), region in zip(sources, regions, strict=True):
        values = {**(parameters or {}), **((file_parameters or {}).get(file) or {})}
        if isinstance(content, (str, bytes)):
            templates.append(parse_template(content, file, region, values, {}))
        else:
            templates.append(Template(content, file, region, values, {}))
    by_region: dict[str | None, dict[str, Any]] = {}
    for template in templates:
        by_region.setdefault(template.region, {}).update(exports_of(template))
    for template in templates:
        template.exports = by_region.get(template.region, {})  # CloudFormation exports are regional
    first = sources[0][0]
    builder = ProposalBuilder("cloudformation", first, Path(first).stem)
    importer = CfnImporter(builder)
    for template in templates:
        importer.add(template)
    importer.finish()
    proposal = builder.build()
    if len(sources) > 1:
        proposal["import"]["files"] = [file for file, _ in sources]
    return proposal
