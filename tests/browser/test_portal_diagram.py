"""The evaluate view draws the topology above the findings: the blocked flow in red, ending at its blocking
hop, with the reason on hover, zoomable, and listed as text (one ordinary page load)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect

from recommender.evaluation.drawing import RED
from tests.browser.test_portal import api, open_portal
from tests.conftest import SCENARIOS

pytestmark = pytest.mark.browser


def test_evaluate_view_draws_the_blocked_flow_in_red_at_its_hop(
    page: Page, portal_url: str, screenshot: Any
) -> None:
    cases = yaml.safe_load((SCENARIOS / "proposals-public.yaml").read_text())
    case = next(c for c in cases if any(not f["reachable"] for f in c["expect"].get("flows", [])))
    expected = case["expect"]["flows"][0]
    page.set_viewport_size({"width": 1280, "height": 900})
    open_portal(page, portal_url + "/#view=evaluate")
    page.fill("#proposal-text", json.dumps(case["proposal"]))
    page.click("#submit-proposal")

    diagram = page.locator("[data-diagram]")
    expect(diagram.locator(".diagram-viewport svg")).to_be_visible()
    # above the findings
    assert page.locator("#evaluation > section.card").first.get_attribute("data-diagram") == ""
    blocked = diagram.locator("g.flow-blocked").first
    expect(blocked.locator("path").first).to_have_attribute("stroke", RED)
    hover = blocked.locator("title").first.text_content() or ""
    assert f"{expected['from']} \u2192 {expected['to']}" in hover and "BLOCKED at route" in hover
    for word in expected["blocked_by_mentions"]:
        assert word in hover
    for node in case["proposal"]["topology"]["resources"]:
        expect(diagram.locator("svg text", has_text=node["id"]).first).to_be_attached()

    # zoom from the keyboard changes the view; the text version names the blocking hop and its node
    viewport = diagram.locator(".diagram-viewport")
    before = diagram.locator(".diagram-viewport svg").get_attribute("viewBox")
    viewport.focus()
    page.keyboard.press("+")
    expect(diagram.locator(".diagram-viewport svg")).not_to_have_attribute("viewBox", before or "")
    diagram.get_by_text("The diagram as text").click()
    line = diagram.locator(".diagram-flows li.blocked").first
    expect(line).to_contain_text(f"{expected['from']} \u2192 {expected['to']}")
    expect(line.locator("strong")).to_contain_text("route")
    screenshot(page, "evaluate-diagram-desktop-light")


def test_a_folded_vpc_can_be_drawn_in_full(page: Page, portal_url: str) -> None:
    from bench.bench_diagram import make_large_proposal

    proposal = make_large_proposal(vpcs=3, subnets=101, resources=12, flows=4)  # > 100 subnets: folded
    open_portal(page, portal_url + "/#view=evaluate")
    page.fill("#proposal-text", json.dumps(proposal))
    page.click("#submit-proposal")
    diagram = page.locator("[data-diagram]")
    expect(diagram.locator("g.cluster.folded")).to_have_count(3)
    expect(diagram.locator("g.cluster.subnet")).to_have_count(0)
    diagram.locator("#expand-vpc").select_option("vpc-01")
    diagram.get_by_role("button", name="Draw in full").click()
    expect(diagram.locator("g.cluster.folded")).to_have_count(2)
    expect(diagram.locator("#cluster-vpc-01")).not_to_have_class(re.compile(r"\bfolded\b"))
    expect(diagram.locator("g.cluster.subnet")).to_have_count(34)  # vpc-01's subnets: 1, 4, ..., 100


def test_every_public_example_shows_where_each_flow_stops(page: Page, portal_url: str) -> None:
    cases = yaml.safe_load((SCENARIOS / "proposals-public.yaml").read_text())
    open_portal(page, portal_url + "/#view=evaluate")
    for case in cases:
        expected = api(portal_url, "/v1/evaluations?diagram=true", case["proposal"])["diagram"]["flows"]
        page.fill("#proposal-text", json.dumps(case["proposal"]))
        page.click("#submit-proposal")
        diagram = page.locator("[data-diagram]")
        expect(diagram.locator(".diagram-viewport svg")).to_have_attribute(
            "aria-label", f"Topology of {case['proposal']['name']}"
        )
        for index, flow in enumerate(expected):
            edge = diagram.locator(f"#flow-{index}")
            if flow["reachable"]:
                expect(edge).to_have_class(re.compile(r"\bflow-passes\b"))
                continue
            expect(edge).to_have_class(re.compile(r"\bflow-blocked\b"))
            expect(edge.locator("path").first).to_have_attribute("stroke", RED)
            hop = flow["hops"][flow["blocked_at"]]
            assert f"BLOCKED at {hop}\n{flow['reason']}" in (edge.locator("title").first.text_content() or "")
