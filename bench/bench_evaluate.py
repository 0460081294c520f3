"""Benchmark of proposal evaluation (not part of CI: speed belongs here, not in tests).

    .venv/bin/python bench/bench_evaluate.py [--count 10000] [--calls 2000]

Generates realistic proposals deterministically (about 10 security groups, 5 resources, 3 flows, two
VPCs with a peering, network ACLs, a profile) and reports:
  - median and p99 of one load_proposal + evaluate call, in process;
  - wall time and peak RSS of `recommender evaluate --format json` on one file holding a list of --count
    proposals (JSON), and on --count separate files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_proposal(i: int) -> dict[str, Any]:
    """Proposal number i: same shape for every i, values vary so caches cannot help."""
    a, b = 10 + i % 200, 100 + i % 100
    region_b = "us-east-1" if i % 3 else "us-west-2"
    groups = [
        {"id": "sg-app", "vpc": "vpc-app", "inbound": [{"protocol": "tcp", "ports": "443", "source": "sg-alb"}]},
        {"id": "sg-alb", "vpc": "vpc-app", "inbound": [{"protocol": "tcp", "ports": "443", "source": "0.0.0.0/0"}]},
        {"id": "sg-db", "vpc": "vpc-data", "inbound": [
            {"protocol": "tcp", "ports": "5432", "source": "sg-app" if i % 3 else f"10.{a}.0.0/16"},
            {"protocol": "tcp", "ports": "22", "source": "0.0.0.0/0" if i % 7 == 0 else "192.168.0.0/16"},
        ]},
        {"id": "sg-batch", "vpc": "vpc-app", "inbound": [],
         "outbound": [{"protocol": "tcp", "ports": "5432", "destination": f"10.{b}.0.0/16"}]},
    ]  # fmt: skip
    groups += [
        {"id": f"sg-extra-{k}", "vpc": "vpc-app",
         "inbound": [{"protocol": "tcp", "ports": f"{8000 + k}-{8010 + k}", "source": f"10.{a}.{k}.0/24"}]}
        for k in range(6)
    ]  # fmt: skip
    return {
        "name": f"bench-{i}",
        "profile": {
            "network": {"source": {"type": "ec2", "vpc": "vpc-app", "region": "us-east-1"},
                        "target": {"type": "rds", "engine": "postgres", "vpc": "vpc-data", "region": region_b}},
            "backup": {"scope": ["databases"], "rpo_minutes": 60 if i % 5 else 1},
        },
        "choices": {"connectivity": "vpc_peering", "backup": ["rds_automated_backups"]},
        "topology": {
            "vpcs": [{"id": "vpc-app", "cidr": f"10.{a}.0.0/16", "region": "us-east-1"},
                     {"id": "vpc-data", "cidr": f"10.{b}.0.0/16", "region": region_b}],
            "subnets": [
                {"id": "subnet-pub", "vpc": "vpc-app", "cidr": f"10.{a}.0.0/24", "public": True},
                {"id": "subnet-app", "vpc": "vpc-app", "cidr": f"10.{a}.1.0/24"},
                {"id": "subnet-db", "vpc": "vpc-data", "cidr": f"10.{b}.1.0/24"},
            ],
            "peerings": [{"id": "pcx-1", "vpcs": ["vpc-app", "vpc-data"], "routes": i % 11 != 0}],
            "security_groups": groups,
            "network_acls": [{"subnet": "subnet-db",
                              "inbound": [{"rule": 100, "protocol": "tcp", "ports": "5432", "source": f"10.{a}.0.0/16", "action": "allow"}],
                              "outbound": [{"rule": 100, "protocol": "tcp", "ports": "1024-65535" if i % 13 else "5432",
                                            "destination": f"10.{a}.0.0/16", "action": "allow"}]}],
            "resources": [
                {"id": "alb", "type": "load_balancer", "subnet": "subnet-pub", "security_groups": ["sg-alb"]},
                {"id": "app", "type": "ecs_service", "subnet": "subnet-app", "security_groups": ["sg-app"]},
                {"id": "batch", "type": "ec2", "subnet": "subnet-app", "security_groups": ["sg-batch"]},
                {"id": "db", "type": "rds", "engine": "postgres", "subnet": "subnet-db", "security_groups": ["sg-db"]},
                {"id": "users", "type": "internet"},
            ],
            "flows": [{"from": "users", "to": "alb", "port": 443}, {"from": "alb", "to": "app", "port": 443},
                      {"from": "app", "to": "db", "port": 5432}],
        },
    }  # fmt: skip


def peak_rss_mib(usage: Any) -> float:
    return usage.ru_maxrss / 1024


def in_process(calls: int) -> None:
    from recommender.evaluation import evaluate, load_proposal
    from recommender.knowledge import load_knowledge

    kb = load_knowledge()
    today = date(2026, 1, 1)
    documents = [json.loads(json.dumps(make_proposal(i))) for i in range(calls)]
    times = []
    for document in documents:
        start = time.perf_counter()
        evaluate(load_proposal(document, finding_ids=kb.findings), kb, today=today)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"load_proposal+evaluate, {calls} calls: median {statistics.median(times) * 1000:.3f} ms, "
          f"p99 {times[int(len(times) * 0.99) - 1] * 1000:.3f} ms")  # fmt: skip


def cli(args: list[str], label: str) -> None:
    cmd = [str(ROOT / ".venv" / "bin" / "recommender"), "evaluate", "--format", "json", *args]
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = max(peak_rss_mib(after), peak_rss_mib(before))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(
        f"{label}: exit {done.returncode}, wall {wall:.2f} s, CPU {cpu:.2f} s, "
        f"peak RSS {rss:.0f} MiB (largest child so far)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10000, help="proposals in the CLI runs")
    parser.add_argument("--calls", type=int, default=2000, help="in-process evaluate calls to time")
    opts = parser.parse_args()
    in_process(opts.calls)
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "batch.json"
        with one.open("w") as out:
            out.write("[")
            for i in range(opts.count):
                out.write(("," if i else "") + json.dumps(make_proposal(i)))
            out.write("]")
        cli([str(one)], f"one JSON list of {opts.count} proposals ({one.stat().st_size / 2**20:.0f} MiB)")
        folder = Path(tmp) / "files"
        folder.mkdir()
        paths = []
        for i in range(opts.count):
            path = folder / f"p{i:05d}.json"
            path.write_text(json.dumps(make_proposal(i)))
            paths.append(str(path))
        os.chdir(folder)
        cli([Path(p).name for p in paths], f"{opts.count} files")


if __name__ == "__main__":
    main()
