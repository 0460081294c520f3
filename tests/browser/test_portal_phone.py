"""On a phone the Recommend button stays on the screen, and never hides the field that has focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 375, 700
FOCUSED_BOX = """() => {
  const el = document.activeElement;
  if (!el || !el.closest("#questions")) return null;
  const box = el.getBoundingClientRect();
  return {id: el.id, top: box.top, bottom: box.bottom};
}"""


def test_recommend_stays_reachable_without_hiding_the_focused_field(page: Page, portal_url: str) -> None:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(portal_url + "/")
    expect(page.locator("#questions")).not_to_have_attribute("aria-busy", "true")
    for toggle in page.locator("input.toggle").all():
        toggle.check()  # every section on: the longest questionnaire
    assert page.evaluate("document.documentElement.scrollHeight") > 3 * HEIGHT

    button = page.locator("#submit-profile")
    bar = page.locator("#profile-form > .actions")
    box = button.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT  # on screen from the start

    # Tab through every field: each one is scrolled clear of the pinned bar, never behind it.
    page.focus("#f-name")
    seen = 0
    while True:
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_BOX)
        if focused is None:
            break
        seen += 1
        bar_box = bar.bounding_box()
        assert bar_box and focused["top"] >= 0, focused
        assert focused["bottom"] <= bar_box["y"] + 0.5, (focused, bar_box)
        button_box = button.bounding_box()
        assert button_box and button_box["y"] + button_box["height"] <= HEIGHT  # still reachable
    assert seen > 30
    expect(button).to_be_focused()  # the Tab after the last field reaches the button
