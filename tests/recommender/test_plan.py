"""Backup plans: the smallest set of ranked options that together meet every stated requirement, each with what
it covers; what no option can meet is listed as unmet."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.engine import recommend
from recommender.knowledge import load_knowledge
from recommender.plan import meets, needs
from recommender.profile import load_profile

KB = load_knowledge()
OPTIONS = {o.id: o for o in KB.domains["backup"].options}


def backup_answer(backup: dict[str, Any]) -> dict[str, Any]:
    return recommend({"backup": backup}, KB)["recommendations"]["backup"]


def test_worm_cross_account_retention_and_a_5_minute_rpo_for_servers_combine_drs_and_aws_backup() -> None:
    answer = backup_answer({"scope": ["whole_server"], "rpo_minutes": 5, "retention_days": 2555,
                            "compliance": True, "cross_account": True, "cross_region": True})  # fmt: skip
    plan = answer["plan"]
    assert plan["options"] == ["elastic_disaster_recovery", "aws_backup"]
    assert "backup.rpo_minutes" in plan["covers"]["elastic_disaster_recovery"]
    assert {"backup.retention_days", "backup.compliance"} <= set(plan["covers"]["aws_backup"])
    assert "unmet" not in answer
    assert plan["cost"]["monthly_usd"] == round(sum(i["monthly_usd"] for i in plan["cost"]["items"]), 2) > 0


def test_rds_databases_are_not_claimed_by_server_replication() -> None:
    """Elastic Disaster Recovery replicates servers' disks; RDS databases beside them are covered by a service
    that backs RDS up (here AWS Backup's continuous backup, for the 15-minute RPO)."""
    answer = backup_answer({"scope": ["whole_server", "databases"], "rpo_minutes": 15, "retention_days": 30})
    covers = answer["plan"]["covers"]
    assert "backup.scope:databases" not in covers["elastic_disaster_recovery"]
    assert any("backup.scope:databases" in covered for covered in covers.values())


def test_one_option_that_meets_everything_is_a_plan_of_one() -> None:
    answer = backup_answer({"scope": ["volumes"]})
    assert answer["plan"]["options"] == [answer["options"][0]["id"]]


def test_files_and_databases_are_both_covered_and_the_unmet_rpo_names_each_scope() -> None:
    answer = backup_answer({"scope": ["databases", "files"], "rpo_minutes": 2})
    covered = {label for labels in answer["plan"]["covers"].values() for label in labels}
    assert {"backup.scope:databases", "backup.scope:files"} <= covered
    unmet = {(u["requirement"], u["scope"]) for u in answer["unmet"]}
    assert unmet == {("backup.rpo_minutes", "databases"), ("backup.rpo_minutes", "files")}
    assert answer["confidence"] == "low"


BACKUPS = st.fixed_dictionaries(
    {
        "scope": st.lists(st.sampled_from(["whole_server", "volumes", "files", "databases"]), min_size=1,
                          max_size=4, unique=True),
        "rpo_minutes": st.sampled_from([0, 1, 5, 30, 60, 1440]),
        "retention_days": st.sampled_from([1, 35, 36, 365, 2555]),
        "compliance": st.booleans(),
        "cross_region": st.booleans(),
        "cross_account": st.booleans(),
        "database_service": st.sampled_from(["rds", "self_managed"]),
    }
)  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(backup=BACKUPS)
def test_a_plan_meets_every_requirement_it_claims_and_is_minimal(backup: dict[str, Any]) -> None:
    answer = backup_answer(backup)
    facts = load_profile({"backup": backup}).facts
    chosen = [OPTIONS[o] for o in answer["plan"]["options"]]
    unmet = {(u["scope"], u["requirement"]) for u in answer.get("unmet", []) if "scope" in u}
    for need in needs(facts):
        met = any(meets(o.achieves, need, facts) for o in chosen if o.achieves)
        label = (need[0], f"backup.scope:{need[0]}" if need[1] == "backup.scope" else need[1])
        assert met or label in unmet, (need, answer["plan"])
    met_by_all = {n for n in needs(facts) if any(meets(o.achieves, n, facts) for o in chosen if o.achieves)}
    for smaller in itertools.combinations(chosen, len(chosen) - 1):
        assert {
            n for n in needs(facts) if any(meets(o.achieves, n, facts) for o in smaller if o.achieves)
        } != met_by_all


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_every_backup_option_declares_what_it_achieves(option: str) -> None:
    assert OPTIONS[option].achieves is not None
