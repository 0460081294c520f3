"""The public worked examples (tests/scenarios/public.yaml, copied from the product contract).

Each example's expected top answer must come out on top; every score must be explained by its rationale; the
same profile must give the same bytes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from recommender.engine import recommend
from recommender.knowledge import KnowledgeBase
from recommender.serialize import to_json
from tests.conftest import SCENARIOS

EXAMPLES: list[dict[str, Any]] = yaml.safe_load((SCENARIOS / "public.yaml").read_text())
CIDR = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}")

# expect_security.db_ingress_from -> the prefixes the database's inbound rule may reference
INGRESS_FROM = {
    "app_security_group": ("security-group:source",),
    "peer_security_group": ("security-group:source",),
    "onprem_cidr": ("cidr:",),
    "app_vpc_cidr_or_tgw_sg_reference": ("cidr:", "security-group:source"),
}


def by_id(examples: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(e, id=e["id"]) for e in examples]


def top_options(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d: rec["options"][0] for d, rec in document["recommendations"].items() if rec["options"]}


@pytest.mark.parametrize("example", by_id(EXAMPLES))
def test_expected_top_answer(kb: KnowledgeBase, example: dict[str, Any]) -> None:
    document = recommend(example["profile"], kb)
    top = top_options(document)
    expect = dict(example["expect"])
    families = expect.pop("family_in", None)
    for domain, wanted in expect.items():
        assert domain in top, f"{domain} has no recommendation"
        if domain == "instance_family":
            assert top[domain]["category"] == wanted
            assert top[domain]["id"] in families
            assert top[domain]["suggested_instance_type"] is not None
        else:
            acceptable = example.get("acceptable", {}).get(domain, [wanted])
            assert top[domain]["id"] in [wanted, *acceptable]


SECURITY_EXAMPLES = [e for e in EXAMPLES if "expect_security" in e]


@pytest.mark.parametrize("example", by_id(SECURITY_EXAMPLES))
def test_expected_security_group_rules(kb: KnowledgeBase, example: dict[str, Any]) -> None:
    expect = example["expect_security"]
    rules = recommend(example["profile"], kb)["security_group_rules"]
    ingress = [r for r in rules if r["group"] == "target" and r["direction"] == "inbound"]
    assert ingress, "no inbound rule on the database"
    for rule in ingress:
        assert rule["protocol"] == "tcp"
        assert rule["ports"] == str(expect["db_ingress_port"])
        assert rule["source"].startswith(INGRESS_FROM[expect["db_ingress_from"]])
    if expect["db_ingress_from"] == "onprem_cidr":
        on_premises = CIDR.search(example["profile"]["network"]["source"]["subnet"])
        assert on_premises is not None
        assert {r["source"] for r in ingress} == {f"cidr:{on_premises[0]}"}
    if expect.get("never_world_open"):
        for rule in rules:
            assert "0.0.0.0/0" not in rule.get("source", "") + rule.get("destination", "")
            assert "::/0" not in rule.get("source", "") + rule.get("destination", "")


@pytest.mark.parametrize("example", by_id(EXAMPLES))
def test_every_score_is_its_base_plus_its_rationale(kb: KnowledgeBase, example: dict[str, Any]) -> None:
    document = recommend(example["profile"], kb)
    for recommendation in document["recommendations"].values():
        for option in recommendation["options"]:
            explained = option["base"] + sum(entry["impact"] for entry in option["rationale"])
            assert option["score"] == pytest.approx(explained, abs=0.01)
            assert all(entry["sources"] for entry in option["rationale"] if entry["rule"] != "score-bounds")
        for excluded in recommendation["excluded"]:
            assert excluded["reasons"] and all(r["sources"] for r in excluded["reasons"])


@pytest.mark.parametrize("example", by_id(EXAMPLES))
def test_same_profile_gives_the_same_bytes(kb: KnowledgeBase, example: dict[str, Any]) -> None:
    assert to_json(recommend(example["profile"], kb)) == to_json(recommend(example["profile"], kb))


@pytest.mark.parametrize("example", by_id(EXAMPLES))
def test_scores_stay_inside_the_bounds_without_clipping(kb: KnowledgeBase, example: dict[str, Any]) -> None:
    """The knowledge base is tuned so that no public example needs the visible score-bounds term."""
    document = recommend(example["profile"], kb)
    for recommendation in document["recommendations"].values():
        for option in recommendation["options"]:
            assert "score-bounds" not in [entry["rule"] for entry in option["rationale"]]
