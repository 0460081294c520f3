"""Acknowledgements, verdict, score, choice review, batches."""

from __future__ import annotations

from datetime import date
from typing import Any

from recommender.evaluation import BatchSummary, evaluate_many
from tests.evaluation.conftest import TODAY, base, group, ids


def open_ssh() -> dict[str, Any]:
    doc = base()
    group(doc, "sg-app")["inbound"] = [{"protocol": "tcp", "ports": "22", "source": "0.0.0.0/0"}]
    return doc


def test_active_acknowledgement_is_reported_but_not_counted(evaluate_doc: Any) -> None:
    doc = open_ssh()
    doc["acknowledgements"] = [{"finding": "sg-open-admin-port", "resource": "sg-app",
                                "reason": "Bastion during the migration", "expires": "2027-03-31"}]  # fmt: skip
    result = evaluate_doc(doc)
    finding = next(f for f in result["findings"] if f["id"] == "sg-open-admin-port")
    assert finding["acknowledged"] == {"reason": "Bastion during the migration", "expires": "2027-03-31"}
    assert finding["counted"] is False
    assert result["verdict"] == "pass" and result["score"] == 100.0
    assert result["summary"]["acknowledged"] == 1


def test_expired_acknowledgement_counts_again_and_says_so(evaluate_doc: Any) -> None:
    doc = open_ssh()
    doc["acknowledgements"] = [
        {"finding": "sg-open-admin-port", "reason": "temporary", "expires": "2026-11-25"}
    ]
    result = evaluate_doc(doc)
    finding = next(f for f in result["findings"] if f["id"] == "sg-open-admin-port")
    assert "acknowledged" not in finding and finding["counted"] is True
    assert "acknowledgement expired on 2026-11-25" in finding["message"]
    assert result["verdict"] == "fail"
    assert evaluate_doc(doc, today=date(2026, 11, 25))["verdict"] == "pass"  # valid through its last day


def test_acknowledgement_of_another_resource_does_not_match(evaluate_doc: Any) -> None:
    doc = open_ssh()
    doc["acknowledgements"] = [{"finding": "sg-open-admin-port", "resource": "sg-db", "reason": "other"}]
    assert evaluate_doc(doc)["verdict"] == "fail"


def test_verdict_and_score(evaluate_doc: Any) -> None:
    assert (evaluate_doc(base())["verdict"], evaluate_doc(base())["score"]) == ("pass", 100.0)
    medium = base()
    medium["topology"]["subnets"][1]["public"] = True
    assert (evaluate_doc(medium)["verdict"], evaluate_doc(medium)["score"]) == ("warn", 92.0)
    critical = base()
    group(critical, "sg-db")["inbound"].append({"protocol": "tcp", "ports": "3306", "source": "0.0.0.0/0"})
    assert (evaluate_doc(critical)["verdict"], evaluate_doc(critical)["score"]) == ("fail", 60.0)


def test_same_input_same_bytes(kb: Any) -> None:
    from recommender.serialize import to_json
    from tests.evaluation.conftest import run

    assert to_json(run(open_ssh(), kb)) == to_json(run(open_ssh(), kb))


def with_profile(**sections: Any) -> dict[str, Any]:
    doc = base()
    doc["profile"] = sections
    return doc


def choice(result: dict[str, Any], domain: str) -> dict[str, Any]:
    return next(c for c in result["choices"] if c["domain"] == domain)


def test_choice_aligned_with_the_winner(evaluate_doc: Any) -> None:
    doc = with_profile(
        network={"source": {"type": "ec2", "vpc": "vpc-main"}, "target": {"type": "rds", "vpc": "vpc-main"}}
    )
    doc["choices"]["connectivity"] = "same_vpc"
    c = choice(evaluate_doc(doc), "connectivity")
    assert (c["status"], c["recommended"], c["gap"]) == ("aligned", "same_vpc", 0.0)


def test_choice_excluded_by_a_hard_constraint(evaluate_doc: Any) -> None:
    doc = with_profile(platform={}, workload={"kind": "ml_training", "gpus": 1})
    doc["choices"]["launch_type"] = "fargate"
    result = evaluate_doc(doc)
    c = choice(result, "launch_type")
    assert c["status"] == "excluded" and c["recommended"] == "ec2" and c["gap"] is None
    assert any("GPU" in r["reason"] for r in c["reasons"])
    finding = next(f for f in result["findings"] if f["id"] == "choice-excluded")
    assert finding["resource"] == "choices.launch_type" and "ec2" in finding["remediation"]


def test_choice_far_below_is_discouraged(evaluate_doc: Any, kb: Any) -> None:
    doc = with_profile(platform={}, team={"kubernetes_experience": "none", "ops_capacity": "minimal"})
    doc["choices"]["orchestrator"] = "eks"
    result = evaluate_doc(doc)
    c = choice(result, "orchestrator")
    assert c["recommended"] == "ecs" and c["gap"] > kb.domains["orchestrator"].acceptable_gap
    assert c["status"] == "discouraged" and c["reasons"]
    assert "choice-discouraged" in ids(result)


def test_choice_within_tolerance_is_acceptable(evaluate_doc: Any, kb: Any) -> None:
    from recommender.engine import decide
    from recommender.profile import load_profile

    profile = {"platform": {}}
    _, outcomes, _ = decide(load_profile(profile), kb)
    ranked = outcomes["launch_type"].ranked
    gap = ranked[0].score - ranked[1].score
    doc = with_profile(**profile)
    doc["choices"]["launch_type"] = ranked[1].option.id
    c = choice(evaluate_doc(doc), "launch_type")
    expected = "acceptable" if gap <= kb.domains["launch_type"].acceptable_gap else "discouraged"
    assert c["status"] == expected and c["gap"] == round(gap, 2)


def test_previous_generation_instance_type_is_discouraged(evaluate_doc: Any) -> None:
    doc = with_profile(workload={"kind": "web"})
    doc["choices"]["instance_type"] = "m4.large"
    c = choice(evaluate_doc(doc), "instance_family")
    assert c["status"] == "discouraged" and "not a current-generation" in c["reasons"][0]["reason"]


def test_undersized_instance_type_is_discouraged(evaluate_doc: Any, kb: Any) -> None:
    from recommender.engine import decide
    from recommender.profile import load_profile

    workload = {"kind": "web", "vcpus": 16, "memory_gib": 64}
    doc = with_profile(workload=workload)
    family = decide(load_profile({"workload": workload}), kb)[1]["instance_family"].ranked[0].option.id
    small = kb.catalogue[family]["sizes"][0]["name"]
    doc["choices"]["instance_type"] = small
    c = choice(evaluate_doc(doc), "instance_family")
    assert c["status"] == "discouraged" and "the workload needs 16" in c["reasons"][0]["reason"]


def test_choice_without_its_profile_section_is_not_reviewed(evaluate_doc: Any) -> None:
    doc = base()
    doc["choices"]["orchestrator"] = "eks"
    c = choice(evaluate_doc(doc), "orchestrator")
    assert c["status"] == "not_reviewed" and "'platform' section" in c["reasons"][0]["reason"]


def test_each_backup_choice_is_reviewed(evaluate_doc: Any) -> None:
    doc = with_profile(backup={"scope": ["databases"]})
    doc["choices"]["backup"] = ["rds_automated_backups", "aws_backup"]
    chosen = [c["chosen"] for c in evaluate_doc(doc)["choices"] if c["domain"] == "backup"]
    assert chosen == ["rds_automated_backups", "aws_backup"]


def test_batch_keeps_going_past_invalid_items(kb: Any) -> None:
    bad = base()
    bad["topology"]["flows"][0]["to"] = "nowhere"
    results = list(evaluate_many([base(), bad, "not a proposal", open_ssh()], kb, today=TODAY))
    assert [r.get("verdict") for r in results] == ["pass", None, None, "fail"]
    assert results[1]["index"] == 1 and results[1]["error"]["status"] == 422
    assert "topology.flows.0.to" in results[1]["error"]["errors"]
    assert results[2]["index"] == 2
    summary = BatchSummary()
    for result in results:
        summary.add(result)
    assert summary.as_dict() == {"total": 4, "pass": 1, "warn": 0, "fail": 1, "errors": 2,
                                 "findings_by_severity": {"critical": 0, "high": 1, "medium": 0, "low": 0}}  # fmt: skip


def test_unknown_acknowledged_finding_is_an_input_error(kb: Any) -> None:
    import pytest

    from recommender.errors import ProposalError
    from recommender.evaluation import evaluate, load_proposal

    doc = base()
    doc["acknowledgements"] = [{"finding": "no-such-finding", "reason": "x"}]
    with pytest.raises(ProposalError) as info:
        evaluate(load_proposal(doc), kb, today=TODAY)
    assert "acknowledgements.0.finding" in info.value.errors
