"""The tipping-point search skips work (fields that cannot reach the winner, rules a change does not touch,
options that cannot come first or second): its answer must be exactly the one of a plain search that
applies every candidate change to the document and recommends from scratch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from recommender import recommend
from recommender.engine import complete_facts
from recommender.explain.tipping import MAX_PER_DOMAIN, changeable_fields, field_changes, levers
from recommender.knowledge import KnowledgeBase, load_knowledge
from recommender.profile import load_profile
from tests.explain.conftest import with_change
from tests.strategies import profiles

KB = load_knowledge()  # not the fixture: Hypothesis would print the whole knowledge base on failure
SCENARIOS = yaml.safe_load((Path(__file__).parent.parent / "scenarios" / "public.yaml").read_text())


def plain_search(document: dict[str, Any], kb: KnowledgeBase) -> dict[str, list[tuple[Any, ...]]]:
    """Per domain: (field, to, step, winner, margin, excludes) of each tipping point, found the slow way."""
    base = recommend(document, kb)
    loaded = load_profile(document)
    facts = complete_facts(loaded, kb)[0]
    answer: dict[str, list[tuple[Any, ...]]] = {}
    for domain_id, result in base["recommendations"].items():
        before = result["options"][0]["id"] if result["options"] else None
        excluded_before = {e["id"] for e in result["excluded"]}
        lever = levers(kb.domains[domain_id], kb)
        found = []
        for path in changeable_fields(lever):
            best: tuple[Any, ...] | None = None
            for change in field_changes(lever, path, facts, loaded.sections):
                if best is not None and change.step > best[2]:
                    break
                changed = recommend(with_change(document, change.field, change.value), kb)
                options = changed["recommendations"][domain_id]["options"]
                if not options or options[0]["id"] == before:
                    continue
                margin = round(options[0]["score"] - options[1]["score"], 2) if len(options) > 1 else None
                excludes = sorted(
                    e["id"]
                    for e in changed["recommendations"][domain_id]["excluded"]
                    if e["id"] not in excluded_before
                )
                point = (path, change.value, change.step, options[0]["id"], margin, excludes)
                if best is None or strength(point) > strength(best):
                    best = point
            if best is not None:
                found.append(best)
        found.sort(key=lambda p: (p[2], -strength(p), p[0]))
        answer[domain_id] = found[:MAX_PER_DOMAIN]
    return answer


def strength(point: tuple[Any, ...]) -> float:
    return float("inf") if point[4] is None else point[4]


def fast_search(document: dict[str, Any], kb: KnowledgeBase) -> dict[str, list[tuple[Any, ...]]]:
    result = recommend(document, kb, explain="changes")
    return {
        domain_id: [
            (p["field"], p["to"], p["step"], p["winner"], p["margin"], p["excludes"])
            for p in domain["what_would_change"]
        ]
        for domain_id, domain in result["recommendations"].items()
    }


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: str(s.get("id", s["profile"].get("name"))))
def test_public_scenarios_match_the_plain_search(scenario: dict[str, Any]) -> None:
    assert fast_search(scenario["profile"], KB) == plain_search(scenario["profile"], KB)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(profile=profiles)
def test_generated_profiles_match_the_plain_search(profile: dict[str, Any]) -> None:
    assert fast_search(profile, KB) == plain_search(profile, KB)
