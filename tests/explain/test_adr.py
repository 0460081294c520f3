"""The decision record reads like an ADR: context from the profile, decision, alternatives, tipping points."""

from __future__ import annotations

import re

from recommender import recommend
from recommender.cli.recommend import format_adr
from recommender.explain import render_adr
from recommender.knowledge import KnowledgeBase
from recommender.profile import load_profile

PROFILE = {
    "name": "near-eks",
    "priorities": {"simplicity": 5, "portability": 1},
    "team": {"kubernetes_experience": "some", "ops_capacity": "dedicated"},
    "platform": {"manage_servers": "prefer_not"},
}


def test_adr_has_every_section_with_content_from_the_document(kb: KnowledgeBase) -> None:
    profile = load_profile(PROFILE)
    document = recommend(profile, kb, explain="changes")
    adr = render_adr(document, profile, kb.domain_titles)
    assert adr.startswith("# ADR: How to run near-eks on AWS\n")
    assert "- Status: proposed" in adr
    assert document["knowledge_base"]["digest"] in adr
    # context: what the team said, and what was assumed
    assert "simplicity matters above all (5/5)" in adr and "portability matters little (1/5)" in adr
    assert (
        "cost" not in adr.split("## Context")[1].split("Priorities:")[1].split("\n")[0]
    )  # defaulted, not said
    assert "kubernetes experience some" in adr
    assert "`platform.multi_cloud` = no (default)" in adr
    for result in document["recommendations"].values():
        top, runner = result["options"][0], result["options"][1]
        assert f"We will use **{top['name']}**" in adr
        assert top["rationale"][0]["reason"] in adr
        assert f"**{runner['name']}** (score {runner['score']:g}" in adr
        assert runner["versus_top"][0]["reason"] in adr
        for point in result["what_would_change"]:
            assert point["summary"] in adr
        for caveat in top["caveats"]:
            assert caveat in adr
    cited = re.findall(r"^\d+\. <(https://[^>]+)>$", adr, flags=re.M)
    assert len(cited) == len(set(cited))
    for result in document["recommendations"].values():
        for url in result["options"][0]["rationale"][0]["sources"]:
            assert url in cited


def test_adr_names_what_ruled_an_option_out(kb: KnowledgeBase) -> None:
    profile = load_profile({"platform": {"privileged_containers": True}})
    adr = format_adr(recommend(profile, kb, explain="changes"), profile, kb.domain_titles)
    assert "**AWS Fargate** was ruled out: Privileged containers are invalid" in adr


def test_adr_without_tipping_points_says_so(kb: KnowledgeBase) -> None:
    profile = load_profile(PROFILE)
    adr = render_adr(recommend(profile, kb), profile, kb.domain_titles)
    assert "Not computed" in adr


def test_adr_cost_gives_the_combined_plan_total(kb: KnowledgeBase) -> None:
    backup = {"scope": ["whole_server"], "rpo_minutes": 5, "retention_days": 2555, "compliance": True}
    profile = load_profile({"backup": backup})
    document = recommend(profile, kb)
    plan = document["recommendations"]["backup"]["plan"]
    adr = render_adr(document, profile, kb.domain_titles)
    total = f"${plan['cost']['monthly_usd']:,.0f}"
    assert f"- The combined plan ({' + '.join(plan['options'])}) costs about {total} a month." in adr
