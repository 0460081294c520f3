"""What the page fetches: versioned assets kept in the browser's cache, nothing fetched before the
questionnaire shows, and the domain names asked for alongside the recommendation, not after it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_portal import PROFILE, share_hash

pytestmark = pytest.mark.browser

TIMING = """() => performance.getEntriesByType("resource").map(e => ({
  path: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd}))"""


def _watch(page: Page, requests: dict[str, dict[str, Any]]) -> None:
    """Record every request of the page as Chrome's network layer sees it: path, status, and whether the
    browser's cache answered it (Resource Timing cannot tell for the favicon, which Chrome loads itself)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")

    def sent(event: dict[str, Any]) -> None:
        path = re.sub(r"^https?://[^/]+", "", event["request"]["url"]).split("#")[0]
        requests[event["requestId"]] = {"path": path, "cached": False, "status": None}

    def received(event: dict[str, Any]) -> None:
        entry = requests.get(event["requestId"])
        if entry is not None:
            entry["status"] = event["response"]["status"]
            entry["cached"] = entry["cached"] or event["response"].get("fromDiskCache", False)

    def from_cache(event: dict[str, Any]) -> None:
        if event["requestId"] in requests:
            requests[event["requestId"]]["cached"] = True

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.requestServedFromCache", from_cache)


def fetched(log: dict[str, dict[str, Any]]) -> list[str]:
    """The paths the server was asked for (not answered by the browser's cache)."""
    return [r["path"] for r in log.values() if not r["cached"]]


def settled(page: Page, log: dict[str, dict[str, Any]]) -> None:
    """Wait until every request seen so far has its response (CDP events arrive on their own schedule)."""
    for _ in range(100):
        if all(r["status"] is not None for r in log.values()):
            return
        page.wait_for_timeout(20)


def test_a_second_visit_takes_the_assets_from_the_cache(page: Page, portal_url: str) -> None:
    # Intercepting requests turns Chrome's cache off: this test lets them through (the page asks nothing of
    # other hosts, which every other browser test checks).
    page.context.unroute_all()
    first_log: dict[str, dict[str, Any]] = {}
    _watch(page, first_log)
    page.goto(portal_url + "/" + share_hash(PROFILE))
    expect(page.locator("#result .summary")).to_be_visible()
    page.wait_for_load_state("load")
    settled(page, first_log)
    paths = fetched(first_log)
    assets = [p for p in paths if p.startswith("/portal/assets/")]
    assert assets and all(re.fullmatch(r"/portal/assets/[0-9a-f]{16}/[\w.-]+", p) for p in assets), assets
    assert len([p for p in assets if p.endswith("/icon.svg")]) == 1, (
        paths
    )  # the tab's icon and the masthead's
    # the questionnaire needs no request of its own (its schema and settings come with the page)
    assert "/v1/schemas/profile" not in paths and "/portal/config.json" not in paths
    # the domain names are asked for while the recommendation is computed, not once it has arrived
    timing = page.evaluate(TIMING)
    knowledge = next(e for e in timing if e["path"] == "/v1/knowledge")
    answer = next(e for e in timing if e["path"] == "/v1/recommendations")
    assert knowledge["start"] < answer["end"]

    again = page.context.new_page()
    second_log: dict[str, dict[str, Any]] = {}
    _watch(again, second_log)
    again.goto(portal_url + "/" + share_hash(PROFILE))
    expect(again.locator("#result .summary")).to_be_visible()
    again.wait_for_load_state("load")
    settled(again, second_log)
    assert not [p for p in fetched(second_log) if p.startswith("/portal/assets/")], second_log
    assert {r["path"] for r in second_log.values() if r["path"].startswith("/portal/assets/")} >= set(assets)
