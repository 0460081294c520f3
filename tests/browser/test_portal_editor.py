"""The evaluate view's text box: line numbers beside it, and every error of a proposal named at once with
the line it was written on, the first one marked."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

COMMENTS = "".join(f"# note {i}\n" for i in range(1, 31))  # the errors start below the box's 14 visible lines
BROKEN = (
    COMMENTS
    + """name: twice
topology:
  vpcs:
    - {id: vpc-main, cidr: 10.0.0.0/33}
  subnets:
    - {id: subnet-app, vpc: vpc-main, cidr: 10.0.1.0/24}
  resources:
    - {id: app, type: ec2, subnet: subnet-ap}
"""
)  # line 34: a CIDR the schema refuses; line 38: a subnet that does not exist


def gutter_line_top(page: Page, line: int) -> float:
    """Where line N of the text box is on the screen (its top padding plus N - 1 line heights, less its scroll)."""
    return float(
        page.locator("#proposal-text").evaluate(
            "(t, n) => { const s = getComputedStyle(t); return t.getBoundingClientRect().top + t.clientTop"
            " + parseFloat(s.paddingTop) + (n - 1) * parseFloat(s.lineHeight) - t.scrollTop; }",
            line,
        )
    )


def test_errors_are_named_at_once_with_their_lines(page: Page, portal_url: str, screenshot: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(portal_url + "/#view=evaluate")
    text = page.get_by_label("Proposal", exact=True)  # the text box keeps its label
    expect(text).to_have_attribute("id", "proposal-text")
    text.fill(BROKEN)
    gutter = page.locator("#proposal-gutter")
    expect(gutter).to_have_attribute("aria-hidden", "true")
    assert gutter.inner_text().split() == [str(n) for n in range(1, BROKEN.count("\n") + 2)]

    page.click("#submit-proposal")
    entries = page.locator("#proposal-errors p")
    expect(entries).to_have_count(2)  # the schema's error and the unknown subnet, in one answer
    expect(entries.nth(0)).to_contain_text("Line 34: topology.vpcs.0.cidr: '10.0.0.0/33' is not a CIDR block")
    expect(entries.nth(1)).to_contain_text(
        "Line 38: topology.resources.0.subnet: Unknown subnet 'subnet-ap'. Did you mean 'subnet-app'?"
    )
    expect(page.locator("[role=alert]:visible")).to_have_count(1)
    expect(text).to_have_attribute("aria-invalid", "true")

    # The first error's line is marked, and scrolled into view beside its number.
    mark = page.locator("#proposal-line-mark")
    expect(mark).to_be_visible()
    box = mark.bounding_box()
    assert box and abs(box["y"] - gutter_line_top(page, 34)) < 1.5
    assert gutter.evaluate("g => g.scrollTop") == text.evaluate("t => t.scrollTop") > 0
    screenshot(page, "evaluate-errors-desktop", full_page=False)

    # "Go to line 38" selects that line and moves the mark to it.
    page.get_by_role("button", name="Go to line 38").click()
    expect(text).to_be_focused()
    assert text.evaluate("t => t.value.slice(t.selectionStart, t.selectionEnd)") == (
        "    - {id: app, type: ec2, subnet: subnet-ap}"
    )
    box = mark.bounding_box()
    assert box and abs(box["y"] - gutter_line_top(page, 38)) < 1.5

    # The numbers scroll with the text; typing clears the mark (the lines it named may have moved).
    text.evaluate("t => { t.scrollTop = 0; }")
    page.wait_for_function("() => document.getElementById('proposal-gutter').scrollTop === 0")
    page.keyboard.press("End")
    page.keyboard.type("x")
    expect(mark).to_be_hidden()
