"""Deterministic, realistic full profiles (every section present) for benchmarks."""

from __future__ import annotations

import random
from typing import Any

from recommender.profile_schema import BACKUP_SCOPES, DATABASE_ENGINES, WORKLOAD_KINDS


def full_profile(rng: random.Random, index: int) -> dict[str, Any]:
    same_vpc = rng.random() < 0.4
    source_type = rng.choice(["ec2", "container", "lambda", "on_premises"])
    return {
        "name": f"bench-{index}",
        "priorities": {
            k: rng.randint(0, 5) for k in ("cost", "simplicity", "portability", "security", "performance")
        },
        "team": {
            "kubernetes_experience": rng.choice(["none", "some", "expert"]),
            "ops_capacity": rng.choice(["minimal", "moderate", "dedicated"]),
            "existing_platform": rng.choice(["none", "ecs", "kubernetes"]),
        },
        "platform": {
            "multi_cloud": rng.random() < 0.2,
            "on_premises": rng.random() < 0.2,
            "kubernetes_ecosystem": rng.random() < 0.3,
            "manage_servers": rng.choice(["prefer_not", "acceptable", "required"]),
            "service_count": rng.randint(1, 60),
        },
        "workload": {
            "kind": rng.choice(WORKLOAD_KINDS),
            "vcpus": rng.choice([1, 2, 4, 8, 16, 32, 64]),
            "memory_gib": rng.choice([1, 2, 4, 8, 16, 32, 64, 128, 256]),
            "gpus": rng.choice([0, 0, 0, 0, 1, 4]),
            "utilization": rng.choice(["steady", "variable", "spiky", "mostly_idle"]),
            "storage": rng.choice(["network", "network", "local_nvme", "dense_hdd"]),
            "arm64_ok": rng.random() < 0.5,
            "neuron_ok": rng.random() < 0.2,
        },
        "network": {
            "source": {
                "type": source_type,
                **({} if source_type == "on_premises" else {"vpc": "vpc-app"}),
                "region": "us-east-1",
                "account": "111111111111",
            },  # fmt: skip
            "target": {
                "type": "rds",
                "engine": rng.choice(DATABASE_ENGINES),
                "vpc": "vpc-app" if same_vpc else "vpc-data",
                "region": rng.choice(["us-east-1", "us-east-1", "eu-west-1"]),
                "account": "111111111111",
            },
            "overlapping_cidrs": rng.random() < 0.15,
            "transitive_routing": rng.random() < 0.2,
            "bandwidth_gbps": rng.choice([0.2, 1, 2, 10]),
            "dedicated_link": rng.random() < 0.2,
            "internet_exposure_allowed": rng.random() < 0.1,
        },
        "backup": {
            "scope": sorted(rng.sample(BACKUP_SCOPES, rng.randint(1, 3))),
            "rpo_minutes": rng.choice([0, 1, 5, 60, 1440]),
            "rto_minutes": rng.choice([15, 60, 240, 1440]),
            "retention_days": rng.choice([7, 30, 35, 365, 2555]),
            "cross_region": rng.random() < 0.3,
            "cross_account": rng.random() < 0.2,
            "compliance": rng.random() < 0.2,
            "resource_count": rng.choice([1, 2, 10, 50]),
        },
    }


def profiles(count: int = 200, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [full_profile(rng, i) for i in range(count)]
