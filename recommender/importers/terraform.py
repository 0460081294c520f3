"""Terraform plans (`terraform show -json PLANFILE`) -> proposal.

Known values come from `planned_values` (root module and child modules). A value that is unknown until
apply (the id of a VPC created by the same plan) is found through `configuration`: the expression's
`references` name the resource it comes from, and that resource's address becomes the id. Locations
are resource addresses, with the line of the address in the plan file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recommender.documents import load_json
from recommender.errors import DocumentError, InputError
from recommender.importers.model import (
    SHAPE_ERRORS,
    Database,
    ImportedNetworkAcl,
    Link,
    ProposalBuilder,
    Route,
    RouteTable,
    is_shape_error,
    port_range,
    protocol_name,
    route_to,
    rule_number,
)

_INDEX = re.compile(r"\[[^\]]*\]")


def _config_address(address: str) -> str:
    """'module.net[0].aws_subnet.a["x"]' -> 'module.net.aws_subnet.a' (the address in configuration)."""
    return _INDEX.sub("", address)


def proposal_id(address: str) -> str:
    """A Terraform address as a proposal id: 'aws_subnet.a[0]' -> 'aws_subnet.a.0', '["x"]' -> '.x'."""
    text = re.sub(
        r'\[(?:"([^"]*)"|([^\]]*))\]', lambda m: "." + (m[1] if m[1] is not None else m[2]), address
    )
    return re.sub(r"[^A-Za-z0-9_.:/-]", "_", text)


# Attributes besides `id` by which other resources name a resource (replicate_source_db = the source's
# identifier): a known value of one of them stands for the resource's address.
IDENTIFIERS = {
    "aws_db_instance": ("identifier",),
    "aws_rds_cluster": ("cluster_identifier",),
    "aws_docdb_cluster": ("cluster_identifier",),
    "aws_neptune_cluster": ("cluster_identifier",),
}

# Values of an attribute written as blocks (`ingress`, `route`) that may reference a resource of the plan,
# with the resource types they reference.
BLOCK_REFERENCES = {
    "security_groups": ("aws_security_group", "aws_default_security_group"),
    "prefix_list_ids": ("aws_ec2_managed_prefix_list",),
    "gateway_id": ("aws_internet_gateway", "aws_vpn_gateway"),
    "nat_gateway_id": ("aws_nat_gateway",),
    "transit_gateway_id": ("aws_ec2_transit_gateway",),
    "vpc_peering_connection_id": ("aws_vpc_peering_connection",),
}


@dataclass(frozen=True)
class PrefixList:
    """A rule peer that is a managed prefix list (its entries are looked up in the builder)."""

    id: Any


class Resource:
    """One planned resource instance with the configuration expressions it was written with."""

    def __init__(
        self, address: str, kind: str, values: dict[str, Any], module: str, expressions: dict[str, Any]
    ):
        self.address, self.kind, self.values, self.module = address, kind, values, module
        self.id = proposal_id(address)
        self.expressions = expressions
        self.index = address[len(_INDEX.sub("", address)) :] if address.endswith("]") else ""
        self.unknown: dict[str, Any] = {}  # resource_changes' after_unknown: what is known only after apply


class Plan:
    """The resources of a plan and how to resolve a reference between them."""

    def __init__(self, document: Any, file: str, text: str):
        if not isinstance(document, dict) or not isinstance(document.get("planned_values"), dict):
            raise InputError(
                f"{file}: not a Terraform plan in JSON (run `terraform show -json PLANFILE`)",
                {"planned_values": ["Missing."]},
            )
        self.file, self.text = file, text
        self.providers: dict[str, Any] = (document.get("configuration") or {}).get("provider_config") or {}
        self.variables = {
            k: v.get("value") for k, v in (document.get("variables") or {}).items() if isinstance(v, dict)
        }
        self.config: dict[str, dict[str, Any]] = {}  # config address -> configuration resource
        self.module_calls: dict[str, dict[str, Any]] = {}  # "module.net" -> module call
        self._read_config((document.get("configuration") or {}).get("root_module") or {}, "")
        self.resources: list[Resource] = []
        self._read_planned(document["planned_values"].get("root_module") or {})
        unknown = {
            change.get("address"): (change.get("change") or {}).get("after_unknown")
            for change in document.get("resource_changes") or []
            if isinstance(change, dict)
        }
        for resource in self.resources:
            marks = unknown.get(resource.address)
            resource.unknown = marks if isinstance(marks, dict) else {}
        self.by_config: dict[str, list[Resource]] = {}
        self.by_id: dict[str, str] = {}
        for resource in self.resources:
            self.by_config.setdefault(_config_address(resource.address), []).append(resource)
            for key in ("id", *IDENTIFIERS.get(resource.kind, ())):
                known_id = resource.values.get(key)
                if isinstance(known_id, str) and known_id:
                    self.by_id.setdefault(known_id, resource.id)

    def _read_config(self, module: dict[str, Any], prefix: str) -> None:
        for resource in module.get("resources") or []:
            self.config[prefix + resource["address"]] = resource
        for name, call in (module.get("module_calls") or {}).items():
            self.module_calls[f"{prefix}module.{name}"] = call
            self._read_config(call.get("module") or {}, f"{prefix}module.{name}.")

    def _read_planned(self, module: dict[str, Any]) -> None:
        for item in module.get("resources") or []:
            if item.get("mode", "managed") != "managed":
                continue
            address = item["address"]
            config = self.config.get(_config_address(address)) or {}
            module_path = address.rsplit(item["type"] + ".", 1)[0].rstrip(".")
            self.resources.append(
                Resource(
                    address,
                    item["type"],
                    item.get("values") or {},
                    module_path,
                    config.get("expressions") or {},
                )
            )
            if config:
                self.resources[-1].values.setdefault("__provider", config.get("provider_config_key", "aws"))
        for child in module.get("child_modules") or []:
            self._read_planned(child)

    def line_of(self, address: str) -> int | None:
        position = self.text.find(f'"address": "{address}"')
        if position < 0:
            position = self.text.find(f'"address":"{address}"')
        return self.text.count("\n", 0, position) + 1 if position >= 0 else None

    def region_of(self, resource: Resource) -> str | None:
        if resource.values.get("region"):
            return str(resource.values["region"])
        key = str(resource.values.get("__provider", "aws"))
        provider = self.providers.get(key) or self.providers.get(key.rsplit(":", 1)[-1]) or {}
        region = (provider.get("expressions") or {}).get("region") or {}
        if "constant_value" in region:
            return str(region["constant_value"])
        values = self.values_of(region, "")
        return str(values[0]) if len(values) == 1 else None

    # ---- references ------------------------------------------------------------------------------

    def values_of(self, expression: Any, module: str, like: Resource | None = None) -> list[Any]:
        """What an expression stands for: its constant, or the resources / variables it references."""
        if not isinstance(expression, dict):
            return []
        if "constant_value" in expression:
            value = expression["constant_value"]
            return value if isinstance(value, list) else [value]
        found: list[Any] = []
        references = expression.get("references") or []
        indexed: set[str] = set()
        for reference in references:
            parts = reference.split(".")
            if len(parts) > 1 and "[" in parts[1]:
                indexed.add(parts[0] + "." + _INDEX.sub("", parts[1]))
            elif ".".join(parts[:2]) in indexed:
                continue  # Terraform also lists the whole resource of an indexed reference
            for value in self._reference(reference, module, like):
                if value not in found:
                    found.append(value)
        return found

    def _reference(self, reference: str, module: str, like: Resource | None) -> list[Any]:
        prefix = f"{module}." if module else ""
        if reference.startswith("var."):
            name = reference.split(".")[1]
            if not module:
                value = self.variables.get(name)
                return value if isinstance(value, list) else [] if value is None else [value]
            call = self.module_calls.get(_config_address(module)) or {}
            parent = module.rsplit(".module.", 1)[0] if ".module." in module else ""
            return self.values_of((call.get("expressions") or {}).get(name), parent, like)
        if reference.startswith("module."):
            parts = reference.split(".")
            if len(parts) < 3:
                return []
            call = self.module_calls.get(_config_address(f"{prefix}module.{parts[1]}")) or {}
            output = ((call.get("module") or {}).get("outputs") or {}).get(parts[2]) or {}
            return self.values_of(output.get("expression"), f"{prefix}module.{parts[1]}", like)
        parts = reference.split(".")
        if len(parts) < 2 or reference.startswith(("data.", "local.", "each.", "count.", "path.", "self.")):
            return []
        address = _config_address(prefix) + parts[0] + "." + _INDEX.sub("", parts[1])
        instances = self.by_config.get(address) or []
        # in a counted module (module.net[0]), the instances of the same module instance
        instances = [resource for resource in instances if resource.module == module] or instances
        if len(parts) > 2 and parts[2] not in ("id", "arn", "name", *IDENTIFIERS.get(parts[0], ())):
            return []  # another attribute (a CIDR, a port): not an identity
        if not instances:
            return []
        index = parts[1][len(_INDEX.sub("", parts[1])) :]
        if index or like is not None:
            wanted = index or (like.index if like else "")
            match = [resource for resource in instances if resource.index == wanted]
            if match:
                return [match[0].id]
        return [instances[0].id] if len(instances) == 1 else [resource.id for resource in instances]

    def known(self, value: Any) -> Any:
        """A known id of a resource of this plan becomes its address; other values stay as they are."""
        return self.by_id.get(value, value) if isinstance(value, str) else value


class TerraformImporter:
    def __init__(self, builder: ProposalBuilder):
        self.builder = builder
        self.internet_gateways: set[str] = set()
        self.vpn_gateway_vpc: dict[str, str] = {}
        self.vpn_routes: dict[str, list[str]] = {}
        self.vpns: dict[str, dict[str, Any]] = {}
        self.listeners: dict[str, tuple[Any, Any]] = {}  # listener -> (load balancer, port)
        self.handlers: dict[str, tuple[int, Callable[[Plan, Resource], None]]] = {
            "aws_vpc": (0, self.vpc),
            "aws_internet_gateway": (0, self.internet_gateway),
            "aws_internet_gateway_attachment": (1, self.internet_gateway_attachment),
            "aws_vpn_gateway": (0, self.vpn_gateway),
            "aws_customer_gateway": (0, self.nothing),
            "aws_ec2_transit_gateway": (0, self.transit_gateway),
            "aws_subnet": (1, self.subnet),
            "aws_security_group": (1, self.security_group),
            "aws_ec2_managed_prefix_list": (0, self.prefix_list),
            "aws_ec2_managed_prefix_list_entry": (0, self.prefix_list_entry),
            "aws_default_security_group": (1, self.default_security_group),
            "aws_route_table": (1, self.route_table),
            "aws_network_acl": (1, self.network_acl),
            "aws_vpc_peering_connection": (1, self.peering),
            "aws_vpc_peering_connection_accepter": (1, self.nothing),
            "aws_db_subnet_group": (1, self.db_subnet_group),
            "aws_docdb_subnet_group": (1, self.db_subnet_group),
            "aws_neptune_subnet_group": (1, self.db_subnet_group),
            "aws_elasticache_subnet_group": (1, self.db_subnet_group),
            "aws_docdb_cluster": (1, self.docdb_cluster),
            "aws_neptune_cluster": (1, self.neptune_cluster),
            "aws_docdb_cluster_instance": (2, self.rds_cluster_instance),
            "aws_neptune_cluster_instance": (2, self.rds_cluster_instance),
            "aws_elasticache_replication_group": (1, self.cache_replication_group),
            "aws_elasticache_cluster": (2, self.cache_cluster),
            "aws_rds_cluster": (1, self.rds_cluster),
            "aws_vpn_connection": (2, self.vpn_connection),
            "aws_vpn_gateway_attachment": (1, self.vpn_gateway_attachment),
            "aws_route": (2, self.route),
            "aws_route_table_association": (2, self.route_table_association),
            "aws_main_route_table_association": (2, self.main_route_table_association),
            "aws_security_group_rule": (2, self.security_group_rule),
            "aws_vpc_security_group_ingress_rule": (2, self.vpc_security_group_rule),
            "aws_vpc_security_group_egress_rule": (2, self.vpc_security_group_rule),
            "aws_network_acl_rule": (2, self.network_acl_rule),
            "aws_network_acl_association": (2, self.network_acl_association),
            "aws_ec2_transit_gateway_vpc_attachment": (2, self.transit_gateway_attachment),
            "aws_vpn_connection_route": (2, self.vpn_connection_route),
            "aws_instance": (2, self.instance),
            "aws_db_instance": (2, self.db_instance),
            "aws_rds_cluster_instance": (2, self.rds_cluster_instance),
            "aws_ecs_cluster": (2, self.ecs_cluster),
            "aws_ecs_service": (2, self.ecs_service),
            "aws_eks_cluster": (2, self.eks_cluster),
            "aws_eks_node_group": (2, self.eks_node_group),
            "aws_eks_fargate_profile": (2, self.eks_fargate_profile),
            "aws_lambda_function": (2, self.lambda_function),
            "aws_launch_template": (1, self.launch_template),
            "aws_launch_configuration": (1, self.launch_configuration),
            "aws_lb": (1, self.load_balancer),
            "aws_alb": (1, self.load_balancer),
            "aws_elb": (1, self.classic_load_balancer),
            "aws_lb_target_group": (1, self.target_group),
            "aws_alb_target_group": (1, self.target_group),
            "aws_lb_listener": (2, self.listener),
            "aws_alb_listener": (2, self.listener),
            "aws_lb_listener_rule": (3, self.listener_rule),
            "aws_alb_listener_rule": (3, self.listener_rule),
            "aws_lb_target_group_attachment": (2, self.target_group_attachment),
            "aws_alb_target_group_attachment": (2, self.target_group_attachment),
            "aws_autoscaling_group": (2, self.auto_scaling_group),
            "aws_autoscaling_attachment": (3, self.auto_scaling_attachment),
            "aws_elb_attachment": (3, self.elb_attachment),
            "aws_backup_plan": (2, self.backup_plan),
            "aws_backup_vault": (2, self.nothing),
            "aws_backup_selection": (2, self.backup_selection),
            "aws_dlm_lifecycle_policy": (2, self.lifecycle_policy),
        }

    # ---- reading attributes ----------------------------------------------------------------------

    def one(
        self,
        plan: Plan,
        resource: Resource,
        name: str,
        block: tuple[dict[str, Any], dict[str, Any]] | None = None,
    ) -> Any:
        """One attribute: its planned value, else what its expression references; unknown -> noted, None."""
        values, expressions = block if block else (resource.values, resource.expressions)
        value = values.get(name)
        if value not in (None, ""):
            return plan.known(value)
        found = plan.values_of(expressions.get(name), resource.module, resource)
        if found:
            if len(found) > 1:
                self.builder.assume(
                    f"{resource.address}.{name} references several resources: {found[0]} kept"
                )
            return found[0]
        if name in expressions:
            self.builder.assume(f"{resource.address}.{name} is known only after apply: left out")
        return None

    def many(
        self,
        plan: Plan,
        resource: Resource,
        name: str,
        block: tuple[dict[str, Any], dict[str, Any]] | None = None,
    ) -> list[Any]:
        values, expressions = block if block else (resource.values, resource.expressions)
        value = values.get(name)
        if (
            isinstance(value, list)
            and all(item is not None for item in value)
            and (value or name not in expressions)
        ):
            return [plan.known(item) for item in value]
        found = plan.values_of(expressions.get(name), resource.module, resource)
        if not found and expressions.get(name, {}).get("references"):
            self.builder.assume(f"{resource.address}.{name} is known only after apply: left out")
        return [plan.known(item) for item in found]

    def blocks(self, resource: Resource, name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Nested blocks (ingress, route, ...) as (planned values, expressions) pairs."""
        planned = resource.values.get(name)
        written = resource.expressions.get(name)
        if isinstance(written, dict) and isinstance(planned, list):  # an attribute written as blocks
            return self._attribute_blocks(resource, name, planned, written.get("references") or [])
        written = written if isinstance(written, list) else []
        if isinstance(planned, list) and planned:
            if len(written) == len(planned):
                return list(zip(planned, written, strict=True))
            return [(item, {}) for item in planned]
        return [({}, item) for item in written]

    def _attribute_blocks(
        self, resource: Resource, name: str, planned: list[Any], references: list[str]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Blocks of an attribute such as `ingress` or `route` (a list of objects, not nested blocks): the
        plan has one expression for the whole list, and a value that is known only after apply (the id of
        a group of the same plan) is missing from its planned block (`after_unknown` says which). Each
        reference goes to the one block that misses a value of its resource type; a module output or a
        variable to the one value missing; when several could take it, they are left out, said so."""
        pairs: list[tuple[dict[str, Any], dict[str, Any]]] = [(item, {}) for item in planned]
        marks = resource.unknown.get(name)
        open_keys: list[list[str]] = []  # per block: its values known only after apply
        for index, (item, _) in enumerate(pairs):
            block_marks = marks[index] if isinstance(marks, list) and index < len(marks) else None
            if isinstance(block_marks, dict):
                open_keys.append([key for key, mark in block_marks.items() if mark is True])
            else:  # a plan without resource_changes: a value missing from the block is unknown
                open_keys.append(
                    [key for key in BLOCK_REFERENCES if isinstance(item, dict) and key not in item]
                )
        for key, kinds in BLOCK_REFERENCES.items():
            missing = [pairs[index][1] for index, keys in enumerate(open_keys) if key in keys]
            found = [ref for ref in references if ref.split(".")[0] in kinds]
            if not missing or not found:
                continue
            if len(missing) == 1:
                missing[0][key] = {"references": found}
            else:
                self._blocks_apart(resource, name, key, found)
        untyped = [ref for ref in references if ref.startswith(("module.", "var."))]
        slots = [(pairs[index][1], key) for index, keys in enumerate(open_keys) for key in keys
                 if key not in pairs[index][1]]  # fmt: skip
        if untyped and len(slots) == 1:
            slots[0][0][slots[0][1]] = {"references": untyped}
        elif untyped and slots:
            self._blocks_apart(resource, name, "value", untyped)
        return pairs

    def _blocks_apart(self, resource: Resource, name: str, key: str, references: list[str]) -> None:
        names = ", ".join(sorted({".".join(ref.split(".")[:2]) for ref in references}))
        self.builder.assume(
            f"{resource.address}.{name}: several blocks have a {key} known only after apply ({names}), "
            "which cannot be told apart in the plan: left out"
        )

    def origin(self, plan: Plan, resource: Resource) -> dict[str, Any]:
        return self.builder.origin(resource.address, plan.line_of(resource.address), file=plan.file)

    # ---- the import ------------------------------------------------------------------------------

    def add(self, plan: Plan) -> None:
        for resource in sorted(
            plan.resources, key=lambda resource: self.handlers.get(resource.kind, (3, None))[0]
        ):
            if resource.kind not in self.handlers:
                self.builder.skip(f"{resource.address}: resource type {resource.kind} not mapped")
                continue
            if resource.id in self.builder.resources or resource.id in self.builder.vpcs:
                raise InputError(
                    f"{plan.file}: resource {resource.address} is defined by two plans of this import"
                )
            try:
                self.handlers[resource.kind][1](plan, resource)
            except SHAPE_ERRORS as exc:
                if not is_shape_error(exc):
                    raise
                raise InputError(
                    f"{plan.file}:{plan.line_of(resource.address) or 1}: {resource.address}: a value has a shape this importer does "
                    f"not read ({type(exc).__name__}: {exc})",
                    {resource.address: ["Unsupported shape."]},
                ) from None

    def finish(self) -> None:
        for vpn_id, vpn in self.vpns.items():
            local = vpn.pop("_local", [])
            self.builder.add_vpn(vpn_id, vpn, self.vpn_routes.get(vpn_id) or local)

    # ---- handlers --------------------------------------------------------------------------------

    def nothing(self, plan: Plan, resource: Resource) -> None:
        """Understood and used through the resources that reference it."""

    def vpc(self, plan: Plan, resource: Resource) -> None:
        region = plan.region_of(resource)
        if region is None:
            self.builder.assume(
                f"{resource.address}: region unknown (the provider's region is not a constant)"
            )
        self.builder.add_vpc(
            resource.id, self.one(plan, resource, "cidr_block"), self.origin(plan, resource), region=region
        )

    def internet_gateway(self, plan: Plan, resource: Resource) -> None:
        self.internet_gateways.add(resource.id)
        vpc = self.one(plan, resource, "vpc_id")
        if vpc:
            self.builder.internet_gateway_vpcs.add(vpc)

    def internet_gateway_attachment(self, plan: Plan, resource: Resource) -> None:
        vpc = self.one(plan, resource, "vpc_id")
        if vpc:
            self.builder.internet_gateway_vpcs.add(vpc)

    def vpn_gateway(self, plan: Plan, resource: Resource) -> None:
        vpc = self.one(plan, resource, "vpc_id")
        self.vpn_gateway_vpc[resource.id] = vpc

    def vpn_gateway_attachment(self, plan: Plan, resource: Resource) -> None:
        vgw, vpc = self.one(plan, resource, "vpn_gateway_id"), self.one(plan, resource, "vpc_id")
        if vgw and vpc:
            self.vpn_gateway_vpc[vgw] = vpc

    def subnet(self, plan: Plan, resource: Resource) -> None:
        public_ip = bool(resource.values.get("map_public_ip_on_launch"))
        self.builder.add_subnet(
            resource.id,
            self.one(plan, resource, "vpc_id"),
            self.one(plan, resource, "cidr_block"),
            self.origin(plan, resource),
            public_ip,
        )

    def _route(self, plan: Plan, resource: Resource, block: Any = None) -> Route:
        destination = (
            self.one(plan, resource, "cidr_block" if block else "destination_cidr_block", block) or ""
        )
        keys = ("vpc_peering_connection_id", "transit_gateway_id", "nat_gateway_id", "gateway_id")
        targets = tuple(self.one(plan, resource, key, block) for key in keys)
        return route_to(destination, targets, self.internet_gateways, self.vpn_gateway_vpc)

    def route_table(self, plan: Plan, resource: Resource) -> None:
        table = RouteTable(resource.id, self.one(plan, resource, "vpc_id"))
        table.routes = [self._route(plan, resource, block) for block in self.blocks(resource, "route")]
        self.builder.route_tables[resource.id] = table

    def route(self, plan: Plan, resource: Resource) -> None:
        table = self.builder.route_tables.get(self.one(plan, resource, "route_table_id"))
        if table is None:
            self.builder.skip(f"{resource.address}: its route table is not part of this plan")
            return
        table.routes.append(self._route(plan, resource))

    def route_table_association(self, plan: Plan, resource: Resource) -> None:
        subnet, table = self.one(plan, resource, "subnet_id"), self.one(plan, resource, "route_table_id")
        if subnet and table:
            self.builder.route_table_of[subnet] = table

    def main_route_table_association(self, plan: Plan, resource: Resource) -> None:
        table = self.builder.route_tables.get(self.one(plan, resource, "route_table_id"))
        if table:
            table.main = True

    def _rule(self, plan: Plan, resource: Resource, block: Any, direction: str, peer: Any) -> dict[str, Any]:
        protocol = protocol_name(self.one(plan, resource, "protocol", block) or "-1")
        ports = port_range(
            protocol, self.one(plan, resource, "from_port", block), self.one(plan, resource, "to_port", block)
        )
        key = "source" if direction == "inbound" else "destination"
        return {"protocol": protocol, "ports": ports, key: peer, "origin": self.origin(plan, resource)}

    def _rules(
        self, plan: Plan, resource: Resource, block: Any, direction: str, peer: Any
    ) -> list[dict[str, Any]]:
        """The rule for one peer; a prefix list gives one per entry (or none, said so, when unknown)."""
        if not isinstance(peer, PrefixList):
            return [self._rule(plan, resource, block, direction, peer)]
        rule = self._rule(plan, resource, block, direction, "")
        key = "source" if direction == "inbound" else "destination"
        return self.builder.prefix_list_rules(peer.id, rule, key, resource.address)

    def _block_peers(
        self, plan: Plan, resource: Resource, block: Any, group_key: str, is_self: bool
    ) -> list[Any]:
        peers = self.many(plan, resource, "cidr_blocks", block) + self.many(
            plan, resource, "ipv6_cidr_blocks", block
        )
        peers += self.many(plan, resource, group_key, block)
        if is_self:
            peers.append(resource.id)
        peers += [PrefixList(list_id) for list_id in self.many(plan, resource, "prefix_list_ids", block)]
        return peers

    def security_group(self, plan: Plan, resource: Resource) -> None:
        vpc = None if self.absent(resource, "vpc_id") else self.one(plan, resource, "vpc_id") or ""
        group = self.builder.add_group(resource.id, vpc, self.origin(plan, resource), resource.address) if vpc is None else \
            self.builder.add_security_group(resource.id, vpc or None, self.origin(plan, resource))  # fmt: skip
        for name, direction in (("ingress", "inbound"), ("egress", "outbound")):
            for block in self.blocks(resource, name):
                self_ref = bool(block[0].get("self") or (block[1].get("self") or {}).get("constant_value"))
                for peer in self._block_peers(plan, resource, block, "security_groups", self_ref):
                    group[direction].extend(self._rules(plan, resource, block, direction, peer))

    def prefix_list(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_prefix_list(
            resource.id, [self.one(plan, resource, "cidr", block) for block in self.blocks(resource, "entry")]
        )

    def prefix_list_entry(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_prefix_list(
            self.one(plan, resource, "prefix_list_id"), [self.one(plan, resource, "cidr")]
        )

    def default_security_group(self, plan: Plan, resource: Resource) -> None:
        """aws_default_security_group: Terraform adopts the VPC's default group and sets its rules."""
        self.security_group(plan, resource)
        self.builder.security_groups[resource.id]["default"] = True

    def security_group_rule(self, plan: Plan, resource: Resource) -> None:
        direction = "inbound" if resource.values.get("type") == "ingress" else "outbound"
        group = self.one(plan, resource, "security_group_id")
        block = (resource.values, resource.expressions)
        peers = self.many(plan, resource, "cidr_blocks") + self.many(plan, resource, "ipv6_cidr_blocks")
        source = self.one(plan, resource, "source_security_group_id")
        peers += [source] if source else []
        peers += [group] if resource.values.get("self") else []
        peers += [PrefixList(list_id) for list_id in self.many(plan, resource, "prefix_list_ids")]
        for peer in peers:
            for rule in self._rules(plan, resource, block, direction, peer):
                self.builder.add_rule(group, direction, rule)

    def vpc_security_group_rule(self, plan: Plan, resource: Resource) -> None:
        direction = "inbound" if resource.kind.endswith("ingress_rule") else "outbound"
        protocol = protocol_name(self.one(plan, resource, "ip_protocol") or "-1")
        ports = port_range(
            protocol, self.one(plan, resource, "from_port"), self.one(plan, resource, "to_port")
        )
        peer = (
            self.one(plan, resource, "cidr_ipv4")
            or self.one(plan, resource, "cidr_ipv6")
            or self.one(plan, resource, "referenced_security_group_id")
        )
        key = "source" if direction == "inbound" else "destination"
        rule = {"protocol": protocol, "ports": ports, key: peer, "origin": self.origin(plan, resource)}
        if not peer and ("prefix_list_id" in resource.values or "prefix_list_id" in resource.expressions):
            rules = self.builder.prefix_list_rules(
                self.one(plan, resource, "prefix_list_id"), rule, key, resource.address
            )
        elif not peer:
            self.builder.skip(f"{resource.address}: its peer is unknown")
            return
        else:
            rules = [rule]
        for one in rules:
            self.builder.add_rule(self.one(plan, resource, "security_group_id"), direction, one)

    def _acl_entry(
        self, plan: Plan, resource: Resource, block: Any, egress: bool, number_key: str, action_key: str
    ) -> dict[str, Any]:
        protocol = protocol_name(self.one(plan, resource, "protocol", block) or "-1")
        return {
            "rule": rule_number(self.one(plan, resource, number_key, block) or 0),
            "protocol": protocol,
            "ports": port_range(
                protocol,
                self.one(plan, resource, "from_port", block),
                self.one(plan, resource, "to_port", block),
            ),
            "destination" if egress else "source": self.one(plan, resource, "cidr_block", block)
            or self.one(plan, resource, "ipv6_cidr_block", block),
            "action": str(self.one(plan, resource, action_key, block) or "deny").lower(),
            "origin": self.origin(plan, resource),
        }

    def network_acl(self, plan: Plan, resource: Resource) -> None:
        acl = ImportedNetworkAcl(resource.id, self.one(plan, resource, "vpc_id"), self.origin(plan, resource))
        for name, egress in (("ingress", False), ("egress", True)):
            entries = [
                self._acl_entry(plan, resource, block, egress, "rule_no", "action")
                for block in self.blocks(resource, name)
            ]
            (acl.outbound if egress else acl.inbound).extend(sorted(entries, key=lambda entry: entry["rule"]))
        self.builder.acls[resource.id] = acl
        for subnet in self.many(plan, resource, "subnet_ids"):
            self.builder.acl_of[subnet] = resource.id

    def network_acl_rule(self, plan: Plan, resource: Resource) -> None:
        acl = self.builder.acls.get(self.one(plan, resource, "network_acl_id"))
        if acl is None:
            self.builder.skip(f"{resource.address}: its network ACL is not part of this plan")
            return
        egress = bool(resource.values.get("egress"))
        entries = acl.outbound if egress else acl.inbound
        entries.append(self._acl_entry(plan, resource, None, egress, "rule_number", "rule_action"))
        entries.sort(key=lambda entry: entry["rule"])

    def network_acl_association(self, plan: Plan, resource: Resource) -> None:
        subnet, acl = self.one(plan, resource, "subnet_id"), self.one(plan, resource, "network_acl_id")
        if subnet and acl:
            self.builder.acl_of[subnet] = acl

    def peering(self, plan: Plan, resource: Resource) -> None:
        vpcs = [self.one(plan, resource, "vpc_id"), self.one(plan, resource, "peer_vpc_id")]
        self.builder.peerings[resource.id] = Link(
            resource.id, self.origin(plan, resource), [vpc for vpc in vpcs if vpc]
        )

    def transit_gateway(self, plan: Plan, resource: Resource) -> None:
        self.builder.transit_gateways[resource.id] = Link(resource.id, self.origin(plan, resource))

    def transit_gateway_attachment(self, plan: Plan, resource: Resource) -> None:
        tgw, vpc = self.one(plan, resource, "transit_gateway_id"), self.one(plan, resource, "vpc_id")
        if not tgw or not vpc:
            return
        if tgw not in self.builder.transit_gateways:
            self.builder.assume(f"{resource.address}: transit gateway {tgw} is not part of this plan")
            self.builder.transit_gateways[tgw] = Link(tgw, self.origin(plan, resource))
        self.builder.transit_gateways[tgw].vpcs.append(vpc)

    def vpn_connection(self, plan: Plan, resource: Resource) -> None:
        vgw = self.one(plan, resource, "vpn_gateway_id")
        vpc = self.vpn_gateway_vpc.get(vgw) if vgw else None
        if vpc is None:
            self.builder.skip(
                f"{resource.address}: VPN not attached to a VPC of this plan through a virtual private gateway"
            )
            return
        local = resource.values.get("local_ipv4_network_cidr")
        self.vpns[resource.id] = {
            "id": resource.id,
            "vpc": vpc,
            "_local": [local] if local and local != "0.0.0.0/0" else [],
            "origin": self.origin(plan, resource),
        }

    def vpn_connection_route(self, plan: Plan, resource: Resource) -> None:
        vpn, cidr = (
            self.one(plan, resource, "vpn_connection_id"),
            self.one(plan, resource, "destination_cidr_block"),
        )
        if vpn and cidr:
            self.vpn_routes.setdefault(vpn, []).append(cidr)

    def absent(self, resource: Resource, name: str) -> bool:
        """Not written at all (not merely unknown until apply): AWS's default applies."""
        return resource.values.get(name) in (None, "") and name not in resource.expressions

    def _vpc_config(self, plan: Plan, resource: Resource, name: str, subnets: str, groups: str) -> Any:
        """(subnets, security groups) of the first `name` block, or None when there is none."""
        config = self.blocks(resource, name)
        if not config:
            return None
        return self.many(plan, resource, subnets, config[0]), self.many(plan, resource, groups, config[0])

    def instance(self, plan: Plan, resource: Resource) -> None:
        subnets = None if self.absent(resource, "subnet_id") else [self.one(plan, resource, "subnet_id")]
        groups = self.many(plan, resource, "vpc_security_group_ids")
        if not groups:  # security_groups: names (default VPC) or ids; a group of the plan is known by address
            groups = [
                group
                for group in self.many(plan, resource, "security_groups")
                if group in self.builder.security_groups
            ]
        self.builder.add_instance(
            resource.id,
            resource.address,
            self.origin(plan, resource),
            subnets,
            groups,
            resource.values.get("instance_type"),
        )

    def db_subnet_group(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_db_subnet_group(
            [resource.id, resource.values.get("name")], self.many(plan, resource, "subnet_ids")
        )

    def _database(self, plan: Plan, resource: Resource, cluster: bool) -> Database:
        accessible = resource.values.get(
            "publicly_accessible"
        )  # the provider's default is false: always known
        return Database(
            resource.id, resource.address, self.origin(plan, resource),
            engine=self.one(plan, resource, "engine"),
            port=self.one(plan, resource, "port"),
            subnet_group=self.one(plan, resource, "db_subnet_group_name"),
            security_groups=self.many(plan, resource, "vpc_security_group_ids"),
            publicly_accessible=None if accessible is None else bool(accessible),
            retention=resource.values.get("backup_retention_period"),
            cluster=cluster,
            replica_of=self.one(plan, resource, "replicate_source_db"),
        )  # fmt: skip

    def db_instance(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_database(self._database(plan, resource, cluster=False))

    def rds_cluster(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_database(self._database(plan, resource, cluster=True))

    def rds_cluster_instance(self, plan: Plan, resource: Resource) -> None:
        accessible = resource.values.get("publicly_accessible")
        cluster = self.one(plan, resource, "cluster_identifier")
        self.builder.add_cluster_member(
            resource.address, cluster, None if accessible is None else bool(accessible)
        )

    # ---- DocumentDB, Neptune, ElastiCache: database-like, modelled as rds (model.SERVICES) ----------------

    def _database_like(
        self, plan: Plan, resource: Resource, service: str, keys: tuple[str, str, str]
    ) -> None:
        subnet_group, groups, retention = keys
        self.builder.add_database(Database(
            resource.id, resource.address, self.origin(plan, resource),
            engine=self.one(plan, resource, "engine") if service == "elasticache" else None,
            port=self.one(plan, resource, "port"),
            subnet_group=self.one(plan, resource, subnet_group),
            security_groups=self.many(plan, resource, groups),
            retention=resource.values.get(retention),
            cluster=True, service=service,
        ))  # fmt: skip

    def docdb_cluster(self, plan: Plan, resource: Resource) -> None:
        self._database_like(
            plan,
            resource,
            "docdb",
            ("db_subnet_group_name", "vpc_security_group_ids", "backup_retention_period"),
        )

    def neptune_cluster(self, plan: Plan, resource: Resource) -> None:
        self._database_like(plan, resource, "neptune", ("neptune_subnet_group_name", "vpc_security_group_ids",
                                               "backup_retention_period"))  # fmt: skip

    def cache_replication_group(self, plan: Plan, resource: Resource) -> None:
        self._database_like(
            plan,
            resource,
            "elasticache",
            ("subnet_group_name", "security_group_ids", "snapshot_retention_limit"),
        )

    def cache_cluster(self, plan: Plan, resource: Resource) -> None:
        if resource.values.get("replication_group_id"):  # a node of a replication group: evaluated with it
            self.builder.add_cluster_member(
                resource.address, self.one(plan, resource, "replication_group_id"), None
            )
            return
        self._database_like(
            plan,
            resource,
            "elasticache",
            ("subnet_group_name", "security_group_ids", "snapshot_retention_limit"),
        )

    def ecs_cluster(self, plan: Plan, resource: Resource) -> None:
        self.builder.orchestrators.add("ecs")

    def ecs_service(self, plan: Plan, resource: Resource) -> None:
        providers = [
            block[0].get("capacity_provider") for block in self.blocks(resource, "capacity_provider_strategy")
        ]
        awsvpc = self._vpc_config(plan, resource, "network_configuration", "subnets", "security_groups")
        launch = resource.values.get("launch_type")
        self.builder.add_ecs_service(
            resource.id, resource.address, self.origin(plan, resource), launch, providers, awsvpc
        )
        for block in self.blocks(resource, "load_balancer"):
            self.builder.register_targets(resource.id, [self.one(plan, resource, "target_group_arn", block)],
                                    [self.one(plan, resource, "elb_name", block)], block[0].get("container_port"))  # fmt: skip

    # ---- Auto Scaling groups and load balancers ------------------------------------------------------

    def launch_template(self, plan: Plan, resource: Resource) -> None:
        groups = self.many(plan, resource, "vpc_security_group_ids")
        groups += [
            group
            for group in self.many(plan, resource, "security_group_names")
            if group in self.builder.security_groups
        ]
        interfaces = self.blocks(resource, "network_interfaces")
        if not groups and interfaces:
            groups = self.many(plan, resource, "security_groups", interfaces[0])
        self.builder.add_launch_template(
            [resource.id, resource.values.get("name")], groups, resource.values.get("instance_type")
        )

    def launch_configuration(self, plan: Plan, resource: Resource) -> None:
        groups = self.many(plan, resource, "security_groups")
        self.builder.add_launch_template(
            [resource.id, resource.values.get("name")], groups, resource.values.get("instance_type")
        )

    def auto_scaling_group(self, plan: Plan, resource: Resource) -> None:
        subnets = (
            None
            if self.absent(resource, "vpc_zone_identifier")
            else self.many(plan, resource, "vpc_zone_identifier")
        )
        template = self.one(plan, resource, "launch_configuration")
        specs = self.blocks(resource, "launch_template")
        for policy in self.blocks(resource, "mixed_instances_policy"):
            for launch in self.blocks(
                Resource(resource.address, resource.kind, policy[0], resource.module, policy[1]),
                "launch_template",
            ):
                inner = Resource(resource.address, resource.kind, launch[0], resource.module, launch[1])
                specs = specs or self.blocks(inner, "launch_template_specification")
        if specs:
            template = self.one(plan, resource, "id", specs[0]) or self.one(plan, resource, "name", specs[0])
            template = (
                template
                or self.one(plan, resource, "launch_template_id", specs[0])
                or self.one(plan, resource, "launch_template_name", specs[0])
            )
        self.builder.add_auto_scaling_group(
            resource.id, resource.address, self.origin(plan, resource), subnets, template,
            self.many(plan, resource, "target_group_arns"), self.many(plan, resource, "load_balancers"),
        )  # fmt: skip

    def auto_scaling_attachment(self, plan: Plan, resource: Resource) -> None:
        group = self.one(plan, resource, "autoscaling_group_name")
        target_group = self.one(plan, resource, "lb_target_group_arn") or self.one(
            plan, resource, "alb_target_group_arn"
        )
        if group:
            self.builder.register_targets(str(group), [target_group], [self.one(plan, resource, "elb")])

    def elb_attachment(self, plan: Plan, resource: Resource) -> None:
        balancer, instance = self.one(plan, resource, "elb"), self.one(plan, resource, "instance")
        if balancer and instance:
            self.builder.register_targets_of(str(balancer), [instance])

    def load_balancer(self, plan: Plan, resource: Resource) -> None:
        subnets = self.many(plan, resource, "subnets")
        subnets += [
            self.one(plan, resource, "subnet_id", block) for block in self.blocks(resource, "subnet_mapping")
        ]
        groups = self.many(plan, resource, "security_groups")
        internet_facing = not resource.values.get("internal")
        self.builder.add_load_balancer(
            resource.id, resource.address, self.origin(plan, resource), subnets, groups, internet_facing
        )

    def classic_load_balancer(self, plan: Plan, resource: Resource) -> None:
        subnets = None if self.absent(resource, "subnets") else self.many(plan, resource, "subnets")
        internet_facing = not resource.values.get("internal")
        origin = self.origin(plan, resource)
        groups = self.many(plan, resource, "security_groups")
        self.builder.add_load_balancer(
            resource.id, resource.address, origin, subnets, groups, internet_facing, classic=True
        )
        for block in self.blocks(resource, "listener"):
            port, instance_port = (
                self.one(plan, resource, "lb_port", block),
                self.one(plan, resource, "instance_port", block),
            )
            self.builder.add_classic_listener(resource.id, port, instance_port, origin)
        self.builder.register_targets_of(resource.id, self.many(plan, resource, "instances"))

    def _action_groups(self, plan: Plan, resource: Resource, name: str) -> list[Any]:
        groups = []
        for action in self.blocks(resource, name):
            groups.append(self.one(plan, resource, "target_group_arn", action))
            inner = Resource(resource.address, resource.kind, action[0], resource.module, action[1])
            for forward in self.blocks(inner, "forward"):
                forwarded = Resource(resource.address, resource.kind, forward[0], resource.module, forward[1])
                groups += [
                    self.one(plan, resource, "arn", group) for group in self.blocks(forwarded, "target_group")
                ]
        return groups

    def listener(self, plan: Plan, resource: Resource) -> None:
        balancer = self.one(plan, resource, "load_balancer_arn")
        self.listeners[resource.id] = (balancer, resource.values.get("port"))
        self.builder.add_listener(
            balancer, resource.values.get("port"), self._action_groups(plan, resource, "default_action")
        )

    def listener_rule(self, plan: Plan, resource: Resource) -> None:
        balancer, port = self.listeners.get(str(self.one(plan, resource, "listener_arn")), (None, None))
        self.builder.add_listener(balancer, port, self._action_groups(plan, resource, "action"))

    def target_group(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_target_group(resource.id, resource.values.get("port"), [])

    def target_group_attachment(self, plan: Plan, resource: Resource) -> None:
        group, target = self.one(plan, resource, "target_group_arn"), self.one(plan, resource, "target_id")
        if group and target:
            self.builder.register_targets(str(target), [group], [], resource.values.get("port"))

    def eks_cluster(self, plan: Plan, resource: Resource) -> None:
        subnets, groups = self._vpc_config(
            plan, resource, "vpc_config", "subnet_ids", "security_group_ids"
        ) or ([], [])
        self.builder.add_eks_cluster(
            resource.id, resource.address, self.origin(plan, resource), subnets, groups
        )

    def eks_node_group(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_eks_nodegroup(list(resource.values.get("instance_types") or []))

    def eks_fargate_profile(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_eks_fargate_profile()

    def lambda_function(self, plan: Plan, resource: Resource) -> None:
        config = self._vpc_config(plan, resource, "vpc_config", "subnet_ids", "security_group_ids")
        self.builder.add_lambda(resource.id, resource.address, self.origin(plan, resource), config)

    def backup_plan(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_backup_plan(resource.address)

    def backup_selection(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_backup_selection()

    def lifecycle_policy(self, plan: Plan, resource: Resource) -> None:
        self.builder.add_lifecycle_policy(resource.address, resource.values.get("state"))


def parse_plan(content: str | bytes | Any, file: str) -> Plan:
    from recommender.importers import located

    text = ""
    if isinstance(content, (str, bytes)):
        if isinstance(content, bytes):  # UTF-16 with a BOM is what PowerShell's `>` writes
            utf16 = content[:2] in (b"\xff\xfe", b"\xfe\xff")
            text = content.decode("utf-16" if utf16 else "utf-8-sig", "replace")
        else:
            text = content
        if text.lstrip()[:1] != "{":
            raise DocumentError(
                f"{file}: a Terraform plan must be the JSON of `terraform show -json PLANFILE` (a binary plan file "
                "or HCL is not accepted)",
            )
        try:
            content = load_json(text)
        except DocumentError as exc:
            raise located(file, exc) from None
    try:
        return Plan(content, file, text)
    except SHAPE_ERRORS as exc:
        if not is_shape_error(exc):
            raise
        raise InputError(
            f"{file}: not the JSON of `terraform show -json PLANFILE`: an element has an unexpected shape "
            f"({type(exc).__name__}: {exc})"
        ) from None


def import_plans(sources: list[tuple[str, str | bytes | Any]]) -> dict[str, Any]:
    """One proposal from plans [(file name, JSON text or parsed document)]."""
    first = sources[0][0]
    builder = ProposalBuilder("terraform", first, Path(first).stem)
    importer = TerraformImporter(builder)
    for file, content in sources:
        importer.add(parse_plan(content, file))
    importer.finish()
    proposal = builder.build()
    if len(sources) > 1:
        proposal["import"]["files"] = [file for file, _ in sources]
    return proposal
