"""Golden cases written from AWS documentation (not the public examples): tests/golden/<case>/profile.yaml and
expected.yaml. expected.yaml names the top answer per domain (a list means any of them; for instance_family the
category and the acceptable families), and for connectivity the database's inbound rule: its port and how its
source must start (`security-group:source`, or `cidr:` with the CIDR when the labels give one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from recommender.engine import recommend
from recommender.knowledge import KnowledgeBase

CASES = sorted(p for p in Path(__file__).parent.iterdir() if (p / "profile.yaml").is_file())


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_there_are_golden_cases_for_every_domain() -> None:
    domains = {d for case in CASES for d in load(case / "expected.yaml")["expect"]}
    assert len(CASES) >= 15
    assert domains == {"orchestrator", "launch_type", "instance_family", "connectivity", "backup"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(kb: KnowledgeBase, case: Path) -> None:
    expected = load(case / "expected.yaml")
    assert expected["why"] and expected["sources"], "a golden case says why, with sources"
    document = recommend(load(case / "profile.yaml"), kb)
    for domain, wanted in expected["expect"].items():
        options = document["recommendations"][domain]["options"]
        assert options, f"{domain}: nothing recommended"
        top = options[0]
        if domain == "instance_family":
            assert (top["category"], top["id"]) in [(wanted["category"], f) for f in wanted["family_in"]]
        else:
            assert top["id"] in (wanted if isinstance(wanted, list) else [wanted])
    security = expected.get("security")
    if security:
        ingress = [
            r
            for r in document["security_group_rules"]
            if r["group"] == "target" and r["direction"] == "inbound"
        ]
        assert ingress
        for rule in ingress:
            assert rule["ports"] == str(security["db_ingress_port"])
            assert rule["source"].startswith(security["db_ingress_from"])
            assert "0.0.0.0/0" not in rule["source"]
