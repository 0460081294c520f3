"""Monthly cost estimates of every option, from list prices (knowledge/prices.yaml and the EC2 catalogue).

An estimate is `{"monthly_usd", "basis", "items"}` (shared/spec/response.md): list prices of one Region, 730
hours a month, never a bill. Where a price is unknown the estimate is `monthly_usd: null` and `basis` says why.
Everything here is arithmetic on tables prepared when the knowledge base loads; nothing is searched per request.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from recommender.knowledge import FargateSize, KnowledgeBase, Option, PriceBook, Size

Estimate = dict[str, Any]
DX_PORTS = ((1.0, "dx_port_1g_hour", "1 Gbps"), (10.0, "dx_port_10g_hour", "10 Gbps"),
            (100.0, "dx_port_100g_hour", "100 Gbps"))  # fmt: skip
CACHE_LIMIT = 20_000
PRIVATELINK_AZS = 2  # an interface endpoint in at least two Availability Zones


def memo(cache: dict[Any, Any], key: Any, compute: Callable[..., Any], *args: Any) -> Any:
    """cache[key], computed as compute(*args) on first use; the cache stops growing at CACHE_LIMIT entries
    (inputs such as counts and data sizes vary without end)."""
    value = cache.get(key)
    if value is None:
        value = compute(*args)
        if len(cache) < CACHE_LIMIT:
            cache[key] = value
    return value


def family_sizes(
    options: tuple[Option, ...], facts: Mapping[str, Any], cache: dict[Any, Any]
) -> list[Size | None]:
    """cheapest_size of every family, worked out once per requirement and Region."""
    key = ("sizes", facts["workload.vcpus"], facts["workload.memory_gib"], facts["workload.gpus"],
           facts["workload.gpu_memory_gib"], facts["workload.free_tier"], facts["region"])  # fmt: skip
    return memo(cache, key, lambda: [cheapest_size(option, facts) for option in options])


def cheapest_size(option: Option, facts: Mapping[str, Any]) -> Size | None:
    """The cheapest size of the family offered in the profile's Region that meets vCPUs, memory, GPUs and GPU
    memory (the smallest such free-tier size when the free tier is asked for and the family has one)."""
    vcpus, memory = facts["workload.vcpus"], facts["workload.memory_gib"]
    gpus, gpu_memory = facts["workload.gpus"], facts["workload.gpu_memory_gib"]
    region = facts["region"]
    found = None
    for size in option.sizes_by_price:  # cheapest first: the first size that fits is the answer
        if (
            size.vcpus >= vcpus
            and size.memory_gib >= memory
            and size.accelerators >= gpus
            and size.gpu_memory_gib >= gpu_memory
            and region in size.regions
        ):
            if not facts["workload.free_tier"] or size.free_tier:
                return size
            if found is None:
                found = size
    return found


def usd(value: Any) -> Any:
    """Rounded to cents. Typed Any so that mypyc keeps an int an int: a free item is written 0, not 0.0."""
    return round(value, 2)


def dollars(value: float) -> str:
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def _estimate(items: list[dict[str, Any]], basis: str) -> Estimate:
    return {"monthly_usd": usd(sum(i["monthly_usd"] for i in items)), "basis": basis, "items": items}


def _unknown(basis: str) -> Estimate:
    return {"monthly_usd": None, "basis": basis, "items": []}


def _no_os_price(os_name: str, what: str) -> Estimate:
    return _unknown(
        f"No {os_name} (licence-included) price in the catalogue; Linux list prices only; {what}."
    )


def _item(item: str, monthly: Any, unit_price: str) -> dict[str, Any]:
    return {"item": item, "monthly_usd": usd(monthly), "unit_price": unit_price}


def _basis(prices: PriceBook, facts: Mapping[str, Any], what: str, as_of: str | None = None) -> str:
    region = facts["region"]
    where = prices.region if region == prices.region else f"{prices.region} (prices for {region} differ)"
    return (f"On-Demand list prices, {where}, as of {as_of or prices.services_as_of}; "
            f"{prices.hours_per_month:g} h/month; {what}")  # fmt: skip


def _hourly(prices: PriceBook, price_id: str, quantity: float, label: str) -> dict[str, Any]:
    rate = prices.usd(price_id)
    return _item(label, rate * quantity * prices.hours_per_month, f"{rate:g} USD/hour")


def _per_gb(prices: PriceBook, price_id: str, gib: float, label: str) -> dict[str, Any]:
    rate = prices.usd(price_id)
    return _item(label, rate * gib, f"{rate:g} USD/GB")


# --- Instance family -------------------------------------------------------------------------------------------


def instance_estimate(
    size: Size | None, facts: Mapping[str, Any], kb: KnowledgeBase, table: dict[Any, Estimate] | None = None
) -> Estimate:
    """The suggested type x workload.count; `table` is estimate_table("instance_family", ...)."""
    if table is None:
        table = estimate_table("instance_family", facts, kb)
    name = size.name if size else None
    estimate = table.get(name)
    if estimate is None:
        estimate = table[name] = _instance_estimate(
            size, facts["workload.count"], facts["workload.os"], facts, kb
        )
    return estimate


def _instance_estimate(size: Size | None, count: int, os_name: str, facts: Mapping[str, Any],
                       kb: KnowledgeBase) -> Estimate:  # fmt: skip
    prices = kb.prices
    assert prices is not None
    if size is None:
        return _unknown("No size of this family meets the workload in its Region.")
    what = f"{count} instance{'s' if count > 1 else ''}"
    if os_name != "linux":
        return _no_os_price(os_name, what)
    if size.usd_per_hour is None:
        return _unknown(
            f"No {prices.region} On-Demand price for {size.name} (AWS does not sell it On-Demand there)."
        )
    rate = size.usd_per_hour
    items = [_item(f"{size.name} x {count}", rate * count * prices.hours_per_month, f"{rate:g} USD/hour")]
    return _estimate(items, _basis(prices, facts, f"Linux; {what}", prices.ec2_as_of))


# --- Orchestrator and launch type ------------------------------------------------------------------------------


def orchestrator_estimate(option_id: str, facts: Mapping[str, Any], kb: KnowledgeBase) -> Estimate:
    prices = kb.prices
    assert prices is not None
    if option_id == "eks":
        items = [_hourly(prices, "eks_cluster_hour", 1, "EKS cluster control plane (standard support) x 1")]
    else:
        items = [_hourly(prices, "ecs_control_plane_hour", 1, "ECS control plane: no charge")]
    return _estimate(items, _basis(prices, facts, "1 cluster; compute is estimated under launch type"))


def fargate_size(vcpus: float, memory: float, os_name: str, prices: PriceBook) -> tuple[float, float] | None:
    """The smallest valid Fargate task size (vCPUs, GB) with at least these vCPUs and memory."""
    for size in prices.fargate_sizes:
        if size.vcpus >= vcpus and os_name in size.os:
            fitting = [m for m in size.memory_gb if m >= memory]
            if fitting:
                return size.vcpus, fitting[0]
    return None


def _fargate_rates(facts: Mapping[str, Any]) -> tuple[str, tuple[str, ...], str]:
    """Label, per-vCPU price ids and per-GB price id of the Fargate platform the workload would run on."""
    if facts["workload.os"] == "windows":
        return (
            "Windows/x86",
            ("fargate_windows_vcpu_hour", "fargate_windows_license_vcpu_hour"),
            "fargate_windows_gb_hour",
        )
    if facts["workload.arm64_ok"]:
        return "Linux/Arm", ("fargate_linux_arm_vcpu_hour",), "fargate_linux_arm_gb_hour"
    return "Linux/x86", ("fargate_linux_x86_vcpu_hour",), "fargate_linux_x86_gb_hour"


def launch_type_estimate(
    option_id: str, facts: Mapping[str, Any], kb: KnowledgeBase, host: Size | None
) -> Estimate:
    prices = kb.prices
    assert prices is not None
    if "workload.vcpus" not in facts:
        return _unknown("Add a workload section (vCPUs, memory, count) to estimate the compute cost.")
    vcpus, memory, count = facts["workload.vcpus"], facts["workload.memory_gib"], facts["workload.count"]
    what = f"{count} task{'s' if count > 1 else ''} of {vcpus:g} vCPU and {memory:g} GiB"
    if option_id == "fargate":
        label, vcpu_ids, gb_id = _fargate_rates(facts)
        task = fargate_size(vcpus, memory, facts["workload.os"], prices)
        if task is None:
            return _unknown(f"No {label} Fargate task size has {vcpus:g} vCPU and {memory:g} GiB.")
        task_vcpus, task_gb = task
        vcpu_rate = sum(prices.usd(i) for i in vcpu_ids)
        items = [
            _item(f"Fargate {label} vCPU: {task_vcpus:g} x {count} tasks",
                  vcpu_rate * task_vcpus * count * prices.hours_per_month, f"{vcpu_rate:g} USD/vCPU-hour"),
            _item(f"Fargate {label} memory: {task_gb:g} GB x {count} tasks",
                  prices.usd(gb_id) * task_gb * count * prices.hours_per_month,
                  f"{prices.usd(gb_id):g} USD/GB-hour"),
        ]  # fmt: skip
        return _estimate(
            items, _basis(prices, facts, f"{what} as {task_vcpus:g} vCPU / {task_gb:g} GB tasks")
        )
    if facts["workload.os"] != "linux":
        return _no_os_price(facts["workload.os"], what)
    if host is None or host.usd_per_hour is None:
        return _unknown(f"EC2 hosts are priced from the instance family's suggested type, which has no Linux "
                        f"list price here; {what}.")  # fmt: skip
    hosts = ec2_hosts(vcpus, memory, count, host)
    items = [_item(f"{host.name} x {hosts} host{'s' if hosts > 1 else ''}",
                   host.usd_per_hour * hosts * prices.hours_per_month, f"{host.usd_per_hour:g} USD/hour")]  # fmt: skip
    spare = " plus one spare host" if count > 1 else ""
    return _estimate(items, _basis(prices, facts, f"{what} packed onto {host.name}{spare}", prices.ec2_as_of))


def ec2_hosts(vcpus: float, memory: float, count: int, host: Size) -> int:
    """Hosts of the suggested type that hold `count` tasks, by vCPUs and by memory, plus one of headroom."""
    needed = max(math.ceil(vcpus * count / host.vcpus), math.ceil(memory * count / host.memory_gib), 1)
    return needed + (1 if count > 1 else 0)


# --- Connectivity ----------------------------------------------------------------------------------------------


def connectivity_estimate(option_id: str, facts: Mapping[str, Any], kb: KnowledgeBase) -> Estimate:
    prices = kb.prices
    assert prices is not None
    data = facts["network.monthly_data_gib"]
    same_region = facts.get("network.same_region", True)
    items = _CONNECTIVITY[option_id](prices, data, facts)
    if not same_region and option_id in ("vpc_peering", "transit_gateway", "privatelink"):
        items.append(_per_gb(prices, "inter_region_gb", data, f"inter-Region transfer {data:g} GB"))
    what = f"{data:g} GB a month across the link"
    if option_id in ("site_to_site_vpn", "direct_connect") and _needs_hub(facts):
        # several VPCs or transitive routing: the VPN or Direct Connect gateway attaches to a transit gateway
        attachments = facts.get("network.vpc_count", 1) + 1
        items += [_hourly(prices, "tgw_attachment_hour", attachments,
                          f"transit gateway attachments x {attachments} (each VPC and the link)"),
                  _per_gb(prices, "tgw_data_gb", data, f"transit gateway data processed {data:g} GB")]  # fmt: skip
        what += f", through a transit gateway to {attachments - 1} VPCs"
    return _estimate(items, _basis(prices, facts, what))


def _needs_hub(facts: Mapping[str, Any]) -> bool:
    """On premises to several VPCs, or with transitive routing (the knowledge base's NET-070)."""
    return facts.get("network.source.type") == "on_premises" and (
        facts.get("network.vpc_count", 1) > 1 or bool(facts.get("network.transitive_routing"))
    )


def _dx_port(prices: PriceBook, data: float, facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    bandwidth = facts["network.bandwidth_gbps"]
    _, price_id, label = next((p for p in DX_PORTS if p[0] >= bandwidth), DX_PORTS[-1])
    return [_hourly(prices, price_id, 1, f"Direct Connect dedicated port {label} x 1"),
            _per_gb(prices, "dx_out_gb", data, f"data out over Direct Connect {data:g} GB")]  # fmt: skip


_CONNECTIVITY: Mapping[str, Callable[[PriceBook, float, Mapping[str, Any]], list[dict[str, Any]]]] = {
    "same_vpc": lambda p, d, f: [_item("same VPC: no link to pay for (same-AZ traffic is free)", 0, "0 USD")],
    "vpc_peering": lambda p, d, f: [
        _item("VPC peering connection: no hourly charge", 0, "0 USD"),
        _per_gb(p, "peering_cross_az_gb", 2 * d, f"cross-AZ transfer {d:g} GB, billed each way"),
    ],
    "transit_gateway": lambda p, d, f: [
        _hourly(p, "tgw_attachment_hour", 2, "transit gateway attachments x 2"),
        _per_gb(p, "tgw_data_gb", d, f"transit gateway data processed {d:g} GB"),
    ],
    "privatelink": lambda p, d, f: [
        _hourly(
            p, "privatelink_endpoint_az_hour", PRIVATELINK_AZS, f"interface endpoint x {PRIVATELINK_AZS} AZs"
        ),
        _hourly(p, "nlb_hour", 1, "Network Load Balancer (provider side) x 1, LCUs not counted"),
        _per_gb(p, "privatelink_data_gb", d, f"endpoint data processed {d:g} GB"),
    ],
    "public_endpoint": lambda p, d, f: [
        _hourly(p, "public_ipv4_hour", 1, "public IPv4 address x 1"),
        _per_gb(
            p, "internet_out_gb", d, f"data out to the internet {d:g} GB (upper bound: all of it outbound)"
        ),
    ],
    "site_to_site_vpn": lambda p, d, f: [
        _hourly(p, "vpn_connection_hour", 1, "Site-to-Site VPN connection x 1"),
        _per_gb(
            p, "internet_out_gb", d, f"data out at internet rates {d:g} GB (upper bound: all of it outbound)"
        ),
    ],
    "direct_connect": _dx_port,
}


# --- Backup ----------------------------------------------------------------------------------------------------


def stored_gib(facts: Mapping[str, Any]) -> float:
    """Incremental copies: one full copy plus each day's changes over the retention, per resource."""
    data, change = facts["backup.data_gib"], facts["backup.daily_change_percent"] / 100
    return data + data * change * (facts["backup.retention_days"] - 1)


def backup_estimate(option_id: str, facts: Mapping[str, Any], kb: KnowledgeBase) -> Estimate:
    prices = kb.prices
    assert prices is not None
    resources, data = facts["backup.resource_count"], facts["backup.data_gib"]
    stored = stored_gib(facts) * resources
    what = (f"{resources} resource{'s' if resources > 1 else ''} of {data:g} GiB, "
            f"{facts['backup.daily_change_percent']:g}% daily change, {facts['backup.retention_days']} days kept")  # fmt: skip
    if option_id == "elastic_disaster_recovery":
        items = [_hourly(prices, "drs_server_hour", resources, f"DRS source servers x {resources}")]
        return _estimate(items, _basis(prices, facts, f"{what}; staging EC2 and EBS not counted"))
    if option_id == "rds_automated_backups":
        beyond = max(0.0, stored - data * resources)
        items = [_per_gb(prices, "rds_backup_gb_month", beyond,
                         f"backup storage beyond the free 100% of provisioned storage {beyond:,.0f} GB-month")]  # fmt: skip
        return _estimate(items, _basis(prices, facts, what))
    price_id = _STORAGE[option_id](facts)
    items = [_per_gb(prices, price_id, stored, f"backup storage {stored:,.0f} GB-month")]
    # one copy elsewhere serves both: a vault of another account, in another Region when that is asked too
    where = [w for w, asked in (("account", facts["backup.cross_account"]), ("Region", facts["backup.cross_region"]))
             if asked]  # fmt: skip
    if where:
        items.append(
            _per_gb(prices, price_id, stored, f"copy in another {' and '.join(where)} {stored:,.0f} GB-month")
        )
    if facts["backup.cross_region"]:
        moved = data * resources * facts["backup.daily_change_percent"] / 100 * 30
        items.append(_per_gb(prices, "inter_region_gb", moved, f"cross-Region copy transfer {moved:,.0f} GB"))
    return _estimate(items, _basis(prices, facts, what))


_STORAGE: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "ami": lambda f: "ebs_snapshot_gb_month",
    "ebs_snapshots": lambda f: "ebs_snapshot_gb_month",
    "aws_backup": lambda f: (
        "backup_rds_gb_month"
        if "databases" in f["backup.scope"] and f["backup.database_service"] == "rds"
        else "backup_ebs_gb_month"
    ),
    "s3_copy": lambda f: "s3_standard_gb_month",
}


def estimate_table(
    domain_id: str, facts: Mapping[str, Any], kb: KnowledgeBase, host: Size | None = None
) -> dict[Any, Estimate]:
    """Where a domain's estimates for these facts are kept (option id, or type name for instance families, ->
    estimate), per knowledge base: the same few inputs recur, so each estimate is worked out once."""
    key: tuple[Any, ...]
    if domain_id == "instance_family":
        key = ("instances", facts["workload.count"], facts["workload.os"], facts["region"])
    else:
        host_name = host.name if host and domain_id == "launch_type" else None  # EC2 hosts: the launch type's
        key = (domain_id, host_name, *[facts.get(f) for f in ESTIMATE_INPUTS[domain_id]])
    table: dict[Any, Estimate] = memo(kb.cache, key, dict)
    return table


def estimate(
    domain_id: str, option_id: str, facts: Mapping[str, Any], kb: KnowledgeBase, host: Size | None = None,
    table: dict[Any, Estimate] | None = None,
) -> Estimate | None:  # fmt: skip
    """The estimate of one option of a domain other than instance_family (None without a price book);
    `table` is estimate_table(domain_id, facts, kb, host)."""
    if kb.prices is None:
        return None
    if table is None:
        table = estimate_table(domain_id, facts, kb, host)
    found = table.get(option_id)
    if found is None:
        found = _estimate_of(domain_id, option_id, facts, kb, host)
        if found is not None:
            table[option_id] = found
    return found


# The facts each domain's estimates read (with the Region and, for launch type, the EC2 host's type).
ESTIMATE_INPUTS: Mapping[str, tuple[str, ...]] = {
    "orchestrator": ("region",),
    "launch_type": ("region", "workload.vcpus", "workload.memory_gib", "workload.count", "workload.os",
                    "workload.arm64_ok"),
    "connectivity": ("region", "network.monthly_data_gib", "network.same_region", "network.bandwidth_gbps",
                     "network.source.type", "network.vpc_count", "network.transitive_routing"),
    "backup": ("region", "backup.resource_count", "backup.data_gib", "backup.daily_change_percent",
               "backup.retention_days", "backup.cross_region", "backup.cross_account", "backup.scope",
               "backup.database_service"),
}  # fmt: skip


def _estimate_of(
    domain_id: str, option_id: str, facts: Mapping[str, Any], kb: KnowledgeBase, host: Size | None
) -> Estimate | None:
    if domain_id == "orchestrator":
        return orchestrator_estimate(option_id, facts, kb)
    if domain_id == "launch_type":
        return launch_type_estimate(option_id, facts, kb, host)
    if domain_id == "connectivity":
        return connectivity_estimate(option_id, facts, kb)
    if domain_id == "backup":
        return backup_estimate(option_id, facts, kb)
    return None


def plan_estimate(estimates: list[Estimate]) -> Estimate:
    """The total of a combination of options (each estimate's items, once)."""
    items = [item for e in estimates for item in e["items"]]
    if any(e["monthly_usd"] is None for e in estimates):
        return {"monthly_usd": None, "basis": "an option of the plan has no estimate", "items": items}
    return {"monthly_usd": usd(sum(e["monthly_usd"] for e in estimates)), "basis": estimates[0]["basis"],
            "items": items}  # fmt: skip


__all__ = ["FargateSize", "cheapest_size", "estimate", "instance_estimate", "plan_estimate"]
