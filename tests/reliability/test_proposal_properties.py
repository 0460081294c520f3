"""Properties of the evaluation over generated valid proposals (tests/reliability/proposals.py)."""

from __future__ import annotations

import copy
import ipaddress
from collections import Counter
from datetime import date
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recommender.evaluation import evaluate
from recommender.knowledge import KnowledgeBase
from recommender.serialize import to_json
from tests.reliability.proposals import inbound_rule, proposals

TODAY = date(2026, 11, 26)
SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def reachable(result: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(f["from"], f["to"], f["port"]) for f in result["flows"] if f["reachable"]]


@SETTINGS
@given(proposals())
def test_evaluation_is_deterministic_and_its_verdict_follows_the_findings(
    kb: KnowledgeBase, proposal: dict[str, Any]
) -> None:
    result = evaluate(copy.deepcopy(proposal), kb, today=TODAY)
    assert to_json(evaluate(copy.deepcopy(proposal), kb, today=TODAY)) == to_json(result)
    counted = Counter(f["severity"] for f in result["findings"] if "acknowledged" not in f)
    expected = "fail" if counted["critical"] or counted["high"] else "warn" if counted["medium"] else "pass"
    assert result["verdict"] == expected
    assert 0 <= result["score"] <= 100
    if any(not flow["reachable"] for flow in result["flows"]):
        assert any(f["id"] == "flow-unreachable" for f in result["findings"])


def widened(cidr: str, bits: int) -> str:
    network = ipaddress.ip_network(cidr)
    return str(network.supernet(new_prefix=max(0, network.prefixlen - bits)))


@SETTINGS
@given(proposals(), st.data())
def test_widening_a_security_group_source_never_blocks_a_reachable_flow(
    kb: KnowledgeBase, proposal: dict[str, Any], data: st.DataObject
) -> None:
    before = reachable(evaluate(copy.deepcopy(proposal), kb, today=TODAY))
    assume(before)
    groups = proposal["topology"]["security_groups"]
    cidr_rules = [rule for group in groups for rule in group["inbound"] if rule["source"][0].isdigit()]
    assume(cidr_rules)
    rule = data.draw(st.sampled_from(cidr_rules))
    rule["source"] = widened(rule["source"], data.draw(st.integers(1, 16)))
    after = reachable(evaluate(proposal, kb, today=TODAY))
    assert set(before) <= set(after)


@SETTINGS
@given(proposals(), st.data())
def test_adding_an_allow_rule_never_blocks_a_reachable_flow(
    kb: KnowledgeBase, proposal: dict[str, Any], data: st.DataObject
) -> None:
    before = reachable(evaluate(copy.deepcopy(proposal), kb, today=TODAY))
    assume(before)
    groups = proposal["topology"]["security_groups"]
    group = data.draw(st.sampled_from(groups))
    group["inbound"].append(data.draw(inbound_rule([g["id"] for g in groups])))
    if "outbound" in group and data.draw(st.booleans()):  # an explicit outbound list may grow too
        group["outbound"].append({"protocol": "tcp", "ports": "all", "destination": "10.0.0.0/8"})
    after = reachable(evaluate(proposal, kb, today=TODAY))
    assert set(before) <= set(after)
