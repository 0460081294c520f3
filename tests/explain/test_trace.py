"""The full trace: every rule of a domain is fired, not fired, or not evaluated - exactly one of them."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from recommender import recommend
from recommender.knowledge import load_knowledge
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
