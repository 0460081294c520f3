"""The full trace: every rule of a domain is fired, not fired, or not evaluated - exactly one of them."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from recommender import recommend
from recommender.knowledge import KnowledgeBase, load_knowledge
from tests.strategies import profiles

KB = load_knowledge()


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(profile=profiles)
def test_trace_covers_every_rule_once_and_agrees_with_the_rationale(profile: dict[str, Any]) -> None:
    document = recommend(profile, KB, explain="full")
    for domain_id, result in document["recommendations"].items():
        trace = result["trace"]
        ids = [e["rule"] for part in ("fired", "not_fired", "not_evaluated") for e in trace[part]]
        assert sorted(ids) == sorted(r.id for r in KB.domains[domain_id].all_rules)
        assert len(ids) == len(set(ids))
        fired = {e["rule"]: e for e in trace["fired"]}
        for option in result["options"]:
            for entry in option["rationale"]:
                if entry["rule"] != "score-bounds":
                    assert option["id"] in fired[entry["rule"]]["options"]
                    fired_rule = fired[entry["rule"]]
                    impact = (
                        fired_rule["impacts"][option["id"]]
                        if "computed" in fired_rule
                        else fired_rule["impact"]
                    )
                    assert impact == entry["impact"]
        for item in result["excluded"]:
            for reason in item["reasons"]:
                assert fired[reason["rule"]]["effect"] == "exclude"
                assert item["id"] in fired[reason["rule"]]["options"]
        for entry in trace["not_evaluated"]:
            assert entry["missing"] and set(entry["missing"]) <= set(entry["fields"])


def test_rules_on_an_absent_section_are_not_evaluated(kb: KnowledgeBase) -> None:
    """Launch-type rules about the workload cannot be evaluated when the profile has no workload."""
    trace = recommend({"platform": {}}, kb, explain="full")["recommendations"]["launch_type"]["trace"]
    not_evaluated = {e["rule"]: e for e in trace["not_evaluated"]}
    assert not_evaluated["LCH-001"]["missing"] == ["workload.gpus"]
    assert not_evaluated["LCH-001"]["reason"].startswith("Fargate has no GPUs")
    fired = {e["rule"] for e in trace["fired"]}
    assert "LCH-013" in fired  # unconditional: Fargate's isolation
    not_fired = {e["rule"]: e for e in trace["not_fired"]}
    assert not_fired["LCH-002"]["fields"] == ["platform.privileged_containers"]
