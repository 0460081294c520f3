"""Why not: every non-winning option says which rules separate it from the winner, and they add up."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from recommender.engine import recommend
from recommender.knowledge import KnowledgeBase, load_knowledge
from tests.conftest import ROOT
from tests.strategies import profiles

SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def check_versus_top(document: dict[str, Any]) -> None:
    for result in document["recommendations"].values():
        options = result["options"]
        if not options:
            continue
        top = options[0]
        assert "versus_top" not in top
        rules_of = {o["id"]: {r["rule"]: r["impact"] for r in o["rationale"]} for o in options}
        for option in options[1:]:
            entries = option["versus_top"]
            gap = sum(e["impact"] for e in entries)
            assert abs(gap - (top["score"] - option["score"])) <= 0.011, (option["id"], entries)
            for entry in entries:
                expected = rules_of[top["id"]].get(entry["rule"], 0) - rules_of[option["id"]].get(
                    entry["rule"], 0
                )
                assert abs(entry["impact"] - expected) <= 0.011
                assert entry["favours"] == (top["id"] if entry["impact"] > 0 else option["id"])
            assert [abs(e["impact"]) for e in entries] == sorted(
                (abs(e["impact"]) for e in entries), reverse=True
            )
        for item in result["excluded"]:
            assert "versus_top" not in item and item["reasons"]


@SETTINGS
@given(profile=profiles)
def test_versus_top_explains_the_whole_gap_to_the_winner(kb: KnowledgeBase, profile: dict[str, Any]) -> None:
    check_versus_top(recommend(profile, kb))


def test_versus_top_names_the_rules_that_favour_ecs(kb: KnowledgeBase) -> None:
    profile = {"team": {"kubernetes_experience": "none"}, "platform": {"manage_servers": "prefer_not"}}
    eks = recommend(profile, kb)["recommendations"]["orchestrator"]["options"][1]
    assert eks["id"] == "eks"
    favouring_ecs = {e["rule"] for e in eks["versus_top"] if e["favours"] == "ecs"}
    assert "ORC-007" in favouring_ecs  # no Kubernetes experience
    assert {e["rule"] for e in eks["versus_top"] if e["favours"] == "eks"} == {"ORC-012"}


def test_versus_top_accounts_for_scores_cut_at_the_bound(tmp_path: Path) -> None:
    """A winner whose rules add up past 100 is cut back; the cut is part of the gap too."""
    shutil.copytree(ROOT / "knowledge", tmp_path / "kb")
    path = tmp_path / "kb" / "orchestrator.yaml"
    text = path.read_text()
    assert "  - id: ORC-002\n" in text
    path.write_text(
        text.replace("    score: 15\n    priority: fit\n", "    score: 90\n    priority: fit\n", 1)
    )
    kb = load_knowledge(tmp_path / "kb")
    document = recommend({"platform": {"kubernetes_ecosystem": True}}, kb)
    top = document["recommendations"]["orchestrator"]["options"][0]
    assert top["id"] == "eks" and top["score"] == 100
    check_versus_top(document)
