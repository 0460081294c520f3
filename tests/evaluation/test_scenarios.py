"""The worked examples (tests/scenarios/proposals-public.yaml) and realistic proposals
(tests/evaluation/realistic-proposals.yaml) give exactly their expected verdicts, findings and flows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recommender.documents import load_yaml
from recommender.knowledge import KnowledgeBase
from tests.conftest import SCENARIOS
from tests.evaluation.conftest import ids, run

FILES = [SCENARIOS / "proposals-public.yaml", Path(__file__).parent / "realistic-proposals.yaml"]
CASES = [case for file in FILES for case in load_yaml(file.read_bytes())]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_scenario(case: dict[str, Any], kb: KnowledgeBase) -> None:
    result = run(case["proposal"], kb)
    expect = case["expect"]
    found = ids(result)
    assert result["verdict"] == expect["verdict"], result["findings"]
    assert set(expect.get("findings", [])) <= found
    assert not set(expect.get("not_findings", [])) & found
    if expect.get("findings") == [] and expect["verdict"] == "pass":
        assert [f["id"] for f in result["findings"] if f["counted"]] == []
    flows = {(f["from"], f["to"], f["port"]): f for f in result["flows"]}
    for want in expect.get("flows", []):
        got = flows[(want["from"], want["to"], want["port"])]
        assert got["reachable"] is want["reachable"], got
        for word in want.get("blocked_by_mentions", []):
            assert word in got["blocked_by"], got["blocked_by"]
        if want["reachable"]:
            assert got["blocked_by"] is None and got["path"][0] == want["from"] and want["to"] in got["path"]
        else:
            unreachable = [f for f in result["findings"] if f["id"] == "flow-unreachable"]
            assert any(got["blocked_by"] in f["message"] for f in unreachable)


def test_blocked_flow_names_both_vpcs_and_the_fix(kb: KnowledgeBase) -> None:
    case = next(c for c in CASES if c["id"] == "pp-03")
    finding = next(f for f in run(case["proposal"], kb)["findings"] if f["id"] == "flow-unreachable")
    assert finding["severity"] == "high"
    assert finding["message"] == (
        "app cannot reach db on tcp 5432: no route between vpc-a and vpc-b: no peering, transit gateway or VPN "
        "connects them."
    )
    assert "peering" in finding["remediation"]


def test_every_finding_of_the_contract_is_in_the_knowledge_base(kb: KnowledgeBase) -> None:
    contract = {
        "sg-all-traffic-open": "critical", "sg-open-database-port": "critical", "sg-open-admin-port": "high",
        "db-publicly-accessible": "high", "flow-unreachable": "high", "peering-overlapping-cidrs": "high",
        "backup-missing": "high", "backup-objective-unmet": "high", "choice-excluded": "high",
        "sg-broad-database-source": "medium", "db-in-public-subnet": "medium", "choice-discouraged": "medium",
    }  # fmt: skip
    assert {fid: kb.findings[fid].severity for fid in contract} == contract
    for finding in kb.findings.values():
        assert finding.sources and all(s.startswith("https://") for s in finding.sources)
