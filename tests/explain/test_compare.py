"""Comparisons: two profiles on one knowledge base, and one profile on two knowledge bases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from recommender.errors import ProfileError
from recommender.explain import compare, compare_knowledge
from recommender.explain.compare import render_comparison
from recommender.knowledge import KnowledgeBase, load_knowledge
from tests.conftest import ROOT

BEFORE = {"name": "a", "team": {"kubernetes_experience": "some", "ops_capacity": "dedicated"}, "platform": {}}
AFTER = {
    "name": "b",
    "team": {"kubernetes_experience": "expert", "ops_capacity": "dedicated"},
    "platform": {"kubernetes_ecosystem": True, "privileged_containers": True},
}


def test_compare_reports_winner_scores_rules_and_exclusions(kb: KnowledgeBase) -> None:
    diff = compare(BEFORE, AFTER, kb)
    assert diff["winner_changed"] is True
    orchestrator = diff["domains"]["orchestrator"]
    assert orchestrator["winner"] == {"before": "ecs", "after": "eks"}
    assert {s["option"] for s in orchestrator["scores"]} == {"ecs", "eks"}
    for s in orchestrator["scores"]:
        assert s["change"] == round(s["after"] - s["before"], 2)
    assert {r["rule"] for r in orchestrator["rules_started_firing"]} == {"ORC-002", "ORC-005"}
    assert {r["rule"] for r in orchestrator["rules_stopped_firing"]} == {"ORC-006", "ORC-011"}
    launch = diff["domains"]["launch_type"]
    assert launch["newly_excluded"] == [
        {
            "option": "fargate",
            "reasons": [{"rule": "LCH-002", "reason": kb.domains["launch_type"].rules[1].reason}],
        }
    ]
    fields = {c["field"]: (c["before"], c["after"]) for c in diff["changed_fields"]}
    assert fields["platform.kubernetes_ecosystem"] == (False, True)
    assert "name" not in fields


def test_compare_of_one_profile_with_itself_shows_nothing(kb: KnowledgeBase) -> None:
    diff = compare(BEFORE, BEFORE, kb)
    assert diff["winner_changed"] is False and diff["changed_fields"] == []
    for d in diff["domains"].values():
        assert not (
            d["scores"] or d["rules_started_firing"] or d["rules_stopped_firing"] or d["impact_changes"]
        )
    assert "No differences." in render_comparison(diff, "table")


def test_a_priority_change_shows_as_impact_changes(kb: KnowledgeBase) -> None:
    diff = compare(BEFORE, {**BEFORE, "priorities": {"cost": 5}}, kb)
    changes = diff["domains"]["orchestrator"]["impact_changes"]
    assert {"rule": "ORC-010", "option": "ecs", "before": 3.0, "after": 4.8} in changes


def test_compare_names_the_side_of_an_invalid_profile(kb: KnowledgeBase) -> None:
    with pytest.raises(ProfileError) as err:
        compare(BEFORE, {"workload": {"vcpus": 2}}, kb)
    assert "after.workload.kind" in err.value.errors


def test_compare_knowledge_reports_a_rescored_rule(tmp_path: Path, kb: KnowledgeBase) -> None:
    shutil.copytree(ROOT / "knowledge", tmp_path / "kb")
    path = tmp_path / "kb" / "orchestrator.yaml"
    text = path.read_text()
    old = "  - id: ORC-007\n    when: {field: team.kubernetes_experience, op: eq, value: none}\n    options: [ecs]\n    score: 6\n"
    assert old in text
    path.write_text(text.replace(old, old.replace("score: 6", "score: 1")))
    new_kb = load_knowledge(tmp_path / "kb")
    diff = compare_knowledge({"platform": {}}, kb, new_kb)
    assert diff["before"]["knowledge_base"]["digest"] != diff["after"]["knowledge_base"]["digest"]
    orchestrator = diff["domains"]["orchestrator"]
    assert orchestrator["impact_changes"] == [
        {"rule": "ORC-007", "option": "ecs", "before": 6.0, "after": 1.0}
    ]
    assert orchestrator["scores"] == [
        {"option": "ecs", "before": orchestrator["scores"][0]["before"],
         "after": round(orchestrator["scores"][0]["before"] - 5, 2), "change": -5.0}
    ]  # fmt: skip
    assert diff["domains"]["launch_type"]["scores"] == []
    assert "ORC-007 on ecs: +6 -> +1" in render_comparison(diff, "markdown")


def test_compare_reports_the_move_of_the_winners_monthly_estimate(kb: KnowledgeBase) -> None:
    one = {"workload": {"kind": "web", "vcpus": 2, "memory_gib": 8}}
    four = {"workload": {"kind": "web", "vcpus": 2, "memory_gib": 8, "count": 4}}
    result = compare(one, four, kb)["domains"]["instance_family"]
    assert result["winner_changed"] is False
    assert abs(result["monthly_usd"]["after"] - 4 * result["monthly_usd"]["before"]) <= 0.05
    assert "monthly estimate of the winner" in render_comparison(compare(one, four, kb), "table")
