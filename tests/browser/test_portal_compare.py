"""Two options of a domain side by side: score, estimate, and the rules that give them different points."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_portal import PROFILE, api, share_hash

pytestmark = pytest.mark.browser


def differing_rules(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """Rule id -> a's points minus b's, for the rules that do not give both the same."""
    points = [{r["rule"]: r["impact"] for r in o["rationale"]} for o in (a, b)]
    gaps = {rule: round(points[0].get(rule, 0) - points[1].get(rule, 0), 2) for rule in points[0] | points[1]}
    return {rule: gap for rule, gap in gaps.items() if gap}


def test_two_options_side_by_side_from_the_keyboard(page: Page, portal_url: str, screenshot: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    answer = api(portal_url, "/v1/recommendations", PROFILE)["recommendations"]
    expected = answer["instance_family"]["options"]
    page.goto(portal_url + "/" + share_hash(PROFILE))
    card = page.locator('article[data-domain="instance_family"]')
    compare = card.locator("details.compare")
    expect(compare).to_be_visible()

    compare.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the panel
    first, second = compare.locator('select[data-compare="1"]'), compare.locator('select[data-compare="2"]')
    expect(first).to_have_accessible_name("Compare")
    expect(second).to_have_accessible_name("with")
    expect(first).to_have_value(expected[0]["id"])
    expect(second).to_have_value(expected[1]["id"])

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(second).to_be_focused()
    page.keyboard.press("ArrowDown")  # the third option, chosen from the keyboard
    expect(second).to_have_value(expected[2]["id"])
    top, third = expected[0], expected[2]
    gap = round(top["score"] - third["score"], 2)
    expect(compare.locator(".compare-status")).to_have_text(
        f"{top['name']} scores {gap:.1f} points more than {third['name']}."
    )
    side = compare.locator("table.side-by-side")
    expect(side.locator("thead th")).to_have_text([top["name"], third["name"]])
    score_row = side.locator("tr", has=page.get_by_role("rowheader", name="Score", exact=True))
    expect(score_row.locator("td")).to_have_text([f"{top['score']:.1f}", f"{third['score']:.1f}"])
    estimate_row = side.locator("tr", has=page.get_by_role("rowheader", name="Monthly estimate"))
    expect(estimate_row.locator("td").first).to_contain_text("a month")

    # The rules that separate them: each with both options' points, the biggest gap first; with the bases
    # they account for the whole difference in score.
    gaps = differing_rules(top, third)
    assert gaps, "the top option and the third are separated by some rule"
    rows = compare.locator("table.stack tbody tr")
    expect(rows).to_have_count(len(gaps))
    biggest = max(gaps, key=lambda rule: (abs(gaps[rule]), rule))
    expect(rows.first.locator("code.rule")).to_have_text(biggest)
    assert abs(sum(gaps.values()) + top["base"] - third["base"] - gap) < 0.05
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "compare-phone")

    # The same option twice is not a comparison.
    second.select_option(top["id"])
    expect(compare.locator(".compare-status")).to_have_text("Pick two different options.")
    expect(compare.locator("table")).to_have_count(0)
