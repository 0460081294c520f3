"""No dead ends: when every option is ruled out, the options that only unmet requirements ruled out are ranked
again, the domain says what is unmet (with the best achievable value and the advice that would meet it), and its
confidence is low."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from recommender.engine import recommend
from recommender.knowledge import load_knowledge
from tests.strategies import profiles

KB = load_knowledge()


def test_rds_with_a_one_minute_rpo_gets_automated_backups_and_the_replication_advice() -> None:
    answer = recommend({"backup": {"scope": ["databases"], "rpo_minutes": 1}}, KB)["recommendations"][
        "backup"
    ]
    assert answer["options"][0]["id"] == "rds_automated_backups"
    assert answer["confidence"] == "low"
    [unmet] = answer["unmet"]
    assert unmet["requirement"] == "backup.rpo_minutes" and unmet["wanted"] == 1
    assert unmet["best"] == {"option": "rds_automated_backups", "achieves": 5}
    assert "Multi-AZ" in unmet["advice"] and "Aurora Global Database" in unmet["advice"]
    assert all(url.startswith("https://docs.aws.amazon.com/") for url in unmet["sources"])
    assert any(c.startswith("Does not meet the requirement") for c in answer["options"][0]["caveats"])


def test_internet_clients_and_a_private_database_get_the_application_tier_advice() -> None:
    profile = {"network": {"source": {"type": "internet"}, "target": {"type": "rds", "engine": "postgres"}}}
    answer = recommend(profile, KB)["recommendations"]["connectivity"]
    assert [o["id"] for o in answer["options"]] == ["public_endpoint"]
    assert answer["unmet"][0]["requirement"] == "network.internet_exposure_allowed"
    assert "Application Load Balancer" in answer["unmet"][0]["advice"]


def test_a_met_requirement_adds_no_unmet_and_one_option_left_is_low_confidence() -> None:
    answer = recommend({"backup": {"scope": ["databases"], "rpo_minutes": 10}}, KB)["recommendations"][
        "backup"
    ]
    assert "unmet" not in answer
    gpu = recommend({"platform": {}, "workload": {"kind": "ml_training", "gpus": 1}}, KB)["recommendations"]
    assert [o["id"] for o in gpu["launch_type"]["options"]] == ["ec2"]
    assert gpu["launch_type"]["confidence"] == "low"


BACKUP_GRID = [
    {"scope": list(scope), "rpo_minutes": rpo, "retention_days": days, "compliance": worm, "cross_region": xr,
     "database_service": service}
    for scope in itertools.chain.from_iterable(
        itertools.combinations(("whole_server", "volumes", "files", "databases"), n) for n in (1, 2, 4))
    for rpo in (0, 1, 10, 120) for days in (7, 400) for worm in (False, True) for xr in (False, True)
    for service in ("rds", "self_managed")
]  # fmt: skip


@pytest.mark.parametrize("chunk", range(4))
def test_no_backup_requirement_leaves_the_answer_empty(chunk: int) -> None:
    for backup in BACKUP_GRID[chunk::4]:
        answer = recommend({"backup": backup}, KB)["recommendations"]["backup"]
        assert answer["options"], backup
        if "unmet" in answer:
            assert answer["confidence"] == "low"


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(profile=profiles)
def test_no_domain_comes_back_empty(profile: dict[str, Any]) -> None:
    for domain, answer in recommend(profile, KB)["recommendations"].items():
        assert answer["options"], domain


def test_the_instance_family_is_conditional_on_ec2_when_fargate_is_recommended() -> None:
    fargate = recommend({"platform": {}, "workload": {"kind": "web", "vcpus": 1, "memory_gib": 2}}, KB)
    assert fargate["recommendations"]["launch_type"]["options"][0]["id"] == "fargate"
    assert fargate["recommendations"]["instance_family"]["conditional_on"]["option"] == "ec2"
    gpu = recommend({"platform": {}, "workload": {"kind": "ml_training", "gpus": 1}}, KB)["recommendations"]
    assert gpu["launch_type"]["options"][0]["id"] == "ec2"
    assert "conditional_on" not in gpu["instance_family"]
    only_workload = recommend({"workload": {"kind": "web"}}, KB)["recommendations"]
    assert "conditional_on" not in only_workload["instance_family"]
