"""Benchmark of the topology diagram on a large proposal (not part of CI: timings belong here, not in tests).

    .venv/bin/python bench/bench_diagram.py [--vpcs 50] [--subnets 300] [--resources 1000] [--flows 200] [--runs 3]

Generates one proposal deterministically (VPCs peered in a chain and attached to a transit gateway, a VPN,
subnets spread over the VPCs, resources spread over the subnets, security groups, flows between
resources, some of which are blocked) and reports the median of --runs of:
  - evaluate(..., diagram=True) in process (the model);
  - render_svg (Graphviz dot, subnets folded into their VPCs above the threshold);
  - `recommender evaluate FILE --format svg` wall time (start-up, load, evaluate, draw, write).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_large_proposal(
    vpcs: int = 50, subnets: int = 300, resources: int = 1000, flows: int = 200
) -> dict[str, Any]:
    """A proposal of that size; the same arguments give the same proposal."""
    vpc_ids = [f"vpc-{v:02d}" for v in range(vpcs)]
    topology: dict[str, Any] = {
        "vpcs": [{"id": v, "cidr": f"10.{i}.0.0/16", "region": "us-east-1"} for i, v in enumerate(vpc_ids)],
        "subnets": [],
        "security_groups": [],
        "resources": [],
        "flows": [],
        # a chain of peerings (not transitive: far VPCs stay unreachable) and a transit gateway for half
        "peerings": [
            {"id": f"pcx-{i:02d}", "vpcs": [vpc_ids[i], vpc_ids[i + 1]], "routes": i % 5 != 4}
            for i in range(vpcs - 1)
        ],  # fmt: skip
        "transit_gateways": [{"id": "tgw-1", "attachments": vpc_ids[: vpcs // 2], "routes": True}],
        "vpns": [{"id": "vpn-1", "vpc": vpc_ids[0], "on_premises_cidr": "192.168.0.0/16"}],
    }
    for s in range(subnets):
        v = s % vpcs
        topology["subnets"].append({"id": f"subnet-{s:03d}", "vpc": vpc_ids[v], "cidr": f"10.{v}.{s // vpcs}.0/24",
                                    "public": s % 7 == 0})  # fmt: skip
    for v, vpc in enumerate(vpc_ids):
        topology["security_groups"].append({"id": f"sg-{v:02d}", "vpc": vpc, "inbound": [
            {"protocol": "tcp", "ports": "443", "source": "10.0.0.0/8"},
            {"protocol": "tcp", "ports": "5432", "source": f"sg-{v:02d}"},
        ]})  # fmt: skip
    kinds = ["ec2", "ecs_service", "lambda", "eks_pod", "rds"]
    for r in range(resources):
        s = r % subnets
        v = s % vpcs
        kind = kinds[r % len(kinds)]
        item: dict[str, Any] = {"id": f"res-{r:04d}", "type": kind, "subnet": f"subnet-{s:03d}",
                                "security_groups": [f"sg-{v:02d}"]}  # fmt: skip
        if kind == "rds":
            item.update({"engine": "postgres", "port": 5432})
        topology["resources"].append(item)
    topology["resources"].append({"id": "office", "type": "on_premises", "cidr": "192.168.1.0/24"})
    for f in range(flows):
        a, b = (f * 7) % resources, (f * 13 + 1) % resources
        topology["flows"].append(
            {"from": f"res-{a:04d}", "to": f"res-{b:04d}", "port": 443 if f % 4 else 5432}
        )
    topology["flows"].append({"from": "office", "to": "res-0000", "port": 443})
    return {"name": "large-topology", "topology": topology}


def median_seconds(action: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vpcs", type=int, default=50)
    parser.add_argument("--subnets", type=int, default=300)
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from recommender.evaluation import evaluate, load_proposal
    from recommender.evaluation.drawing import render_svg
    from recommender.knowledge import load_knowledge

    kb = load_knowledge(None)
    document = make_large_proposal(args.vpcs, args.subnets, args.resources, args.flows)
    proposal = load_proposal(document, finding_ids=kb.findings)
    result = evaluate(proposal, kb, diagram=True)
    model = median_seconds(lambda: evaluate(proposal, kb, diagram=True), args.runs)
    svg = render_svg(result["diagram"])
    draw = median_seconds(lambda: render_svg(result["diagram"]), args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.json"
        path.write_text(json.dumps(document))
        cli = [str(ROOT / ".venv" / "bin" / "recommender"), "evaluate", str(path), "--format", "svg"]
        wall = median_seconds(lambda: subprocess.run(cli, capture_output=True, check=False), args.runs)
    blocked = sum(1 for f in result["diagram"]["flows"] if not f["reachable"])
    print(f"| proposal | {args.vpcs} VPCs, {args.subnets} subnets, {args.resources + 1} resources, "
          f"{len(result['diagram']['flows'])} flows ({blocked} blocked) |")  # fmt: skip
    print(f"| evaluate with diagram (model) | {model * 1000:.0f} ms |")
    print(f"| render_svg (Graphviz dot) | {draw * 1000:.0f} ms ({len(svg) / 1024:.0f} KiB of SVG) |")
    print(f"| `recommender evaluate FILE --format svg`, wall | {wall * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
