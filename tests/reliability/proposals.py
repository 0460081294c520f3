"""Hypothesis strategies for valid architecture proposals (shared/spec/proposal.md): VPCs with
non-overlapping CIDRs, subnets inside them, security groups with CIDR and group sources, resources in
subnets, flows between them, optional peerings, transit gateways and choices."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

REGIONS = ("us-east-1", "eu-west-1")
ACCOUNTS = ("111111111111", "222222222222")
COMPUTE = ("ec2", "ecs_service", "eks_pod", "lambda")
ENGINES = {"mysql": 3306, "postgres": 5432, "sqlserver": 1433}
PORTS = (22, 80, 443, 1433, 3306, 5432, 8080)


@st.composite
def port_spec(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("one", "range", "all")))
    if kind == "all":
        return "all"
    low = draw(st.sampled_from(PORTS + (1024,)))
    return str(low) if kind == "one" else f"{low}-{draw(st.integers(low, 65535))}"


@st.composite
def cidr_source(draw: st.DrawFn) -> str:
    """A CIDR in 10.0.0.0/8 (where the VPCs are), or the whole internet."""
    if draw(st.integers(0, 9)) == 0:
        return "0.0.0.0/0"
    prefix = draw(st.sampled_from((8, 16, 20, 24, 28)))
    second, third = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    network = {8: "10.0.0.0", 16: f"10.{second}.0.0", 20: f"10.{second}.{third * 16}.0"}.get(
        prefix, f"10.{second}.{third}.0"
    )
    return f"{network}/{prefix}"


@st.composite
def inbound_rule(draw: st.DrawFn, groups: list[str]) -> dict[str, Any]:
    source = draw(st.sampled_from(groups)) if groups and draw(st.booleans()) else draw(cidr_source())
    return {
        "protocol": draw(st.sampled_from(("tcp", "tcp", "udp", "all"))),
        "ports": draw(port_spec()),
        "source": source,
    }


@st.composite
def proposals(draw: st.DrawFn) -> dict[str, Any]:
    vpc_count = draw(st.integers(1, 3))
    vpcs = [
        {"id": f"vpc-{v}", "cidr": f"10.{v}.0.0/16", "region": draw(st.sampled_from(REGIONS)),
         "account": draw(st.sampled_from(ACCOUNTS))}
        for v in range(vpc_count)
    ]  # fmt: skip
    subnets = [
        {
            "id": f"subnet-{v}-{s}",
            "vpc": f"vpc-{v}",
            "cidr": f"10.{v}.{s}.0/24",
            "public": draw(st.booleans()),
        }
        for v in range(vpc_count)
        for s in range(draw(st.integers(1, 2)))
    ]
    group_ids = [f"sg-{v}-{g}" for v in range(vpc_count) for g in range(draw(st.integers(1, 2)))]
    groups = []
    for group in group_ids:
        entry: dict[str, Any] = {
            "id": group,
            "vpc": "vpc-" + group.split("-")[1],
            "inbound": draw(st.lists(inbound_rule(group_ids), max_size=4)),
        }
        if draw(st.integers(0, 3)) == 0:  # otherwise AWS's default: all traffic out
            entry["outbound"] = [
                {"protocol": "all", "ports": "all", "destination": draw(cidr_source())}
                for _ in range(draw(st.integers(0, 2)))
            ]
        groups.append(entry)
    resources = []
    for index in range(draw(st.integers(2, 5))):
        subnet = draw(st.sampled_from(subnets))
        own_groups = [g["id"] for g in groups if g["vpc"] == subnet["vpc"]]
        resource: dict[str, Any] = {
            "id": f"res-{index}",
            "type": draw(st.sampled_from(COMPUTE + ("rds",))),
            "subnet": subnet["id"],
            "security_groups": draw(st.lists(st.sampled_from(own_groups), max_size=2, unique=True)),
        }
        if resource["type"] == "rds":
            engine = draw(st.sampled_from(sorted(ENGINES)))
            resource.update(engine=engine, port=ENGINES[engine], publicly_accessible=draw(st.booleans()))
        resources.append(resource)
    flows = [
        {"from": a["id"], "to": b["id"], "port": b.get("port") or draw(st.sampled_from(PORTS))}
        for a, b in draw(
            st.lists(st.tuples(st.sampled_from(resources), st.sampled_from(resources)), max_size=4)
        )
        if a is not b
    ]
    topology: dict[str, Any] = {
        "vpcs": vpcs, "subnets": subnets, "security_groups": groups, "resources": resources, "flows": flows,
    }  # fmt: skip
    if vpc_count > 1 and draw(st.booleans()):
        topology["peerings"] = [{"id": "pcx-01", "vpcs": ["vpc-0", "vpc-1"], "routes": draw(st.booleans())}]
    if vpc_count > 2 and draw(st.booleans()):
        attachments = [vpc["id"] for vpc in vpcs]
        topology["transit_gateways"] = [{"id": "tgw-1", "attachments": attachments, "routes": True}]
    proposal: dict[str, Any] = {"name": "generated", "topology": topology}
    choices = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "orchestrator": st.sampled_from(("ecs", "eks")),
                "launch_type": st.sampled_from(("fargate", "ec2")),
                "connectivity": st.sampled_from(("same_vpc", "vpc_peering", "transit_gateway")),
                "backup": st.just(["aws_backup"]),
            },
        )
    )
    if choices:
        proposal["choices"] = choices
    return proposal
