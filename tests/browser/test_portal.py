"""The portal page in a real browser against the real app: questionnaire, results, errors, evaluation, embedding."""

from __future__ import annotations

import base64
import itertools
import json
import urllib.request
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.conftest import ROOT, SCENARIOS

pytestmark = pytest.mark.browser


def api(url: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def share_hash(profile: dict[str, Any]) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(profile).encode()).decode().rstrip("=")
    return f"#profile={encoded}"


def leaf_paths(schema: dict[str, Any], node: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every field the schema describes (objects are sections, the rest are fields)."""
    paths = []
    for name, spec in node.get("properties", {}).items():
        for part in spec.get("allOf", []):
            spec = {**schema["$defs"][part["$ref"].split("/")[-1]], **spec}
        if spec.get("type") == "object" or "properties" in spec:
            paths += leaf_paths(schema, spec, f"{prefix}{name}.")
        else:
            paths.append(prefix + name)
    return paths


def expected_total(recommendations: dict[str, Any]) -> float:
    """The summary's total: the estimates (a plan's, else the top option's) of the answers that apply,
    the instance family's left to the launch type's (the same EC2 hosts) when both apply."""
    applying = {d: o for d, o in recommendations.items() if not o.get("conditional_on")}
    if "launch_type" in applying:
        applying.pop("instance_family", None)
    return sum(
        ((o.get("plan") or {}).get("cost") or o["options"][0]["cost"])["monthly_usd"]
        for o in applying.values()
    )


def at_top(page: Page, selector: str) -> bool:
    """The element starts at the top edge of the viewport (scrolled into view with block: start)."""
    box = page.locator(selector).bounding_box()
    return box is not None and abs(box["y"]) < 2


def open_portal(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#questions")).not_to_have_attribute("aria-busy", "true")


PROFILE = {
    "name": "orders-api",
    "team": {"kubernetes_experience": "expert", "existing_platform": "kubernetes"},
    "platform": {"kubernetes_ecosystem": True},
    "workload": {"kind": "api", "vcpus": 4, "memory_gib": 16},
}


def test_every_schema_field_is_asked(page: Page, portal_url: str) -> None:
    schema = api(portal_url, "/v1/schemas/profile")
    open_portal(page, portal_url + "/")
    paths = leaf_paths(schema, schema)
    assert "workload.vcpus" in paths and "network.source.type" in paths
    for path in paths:
        expect(page.locator(f'.field[data-path="{path}"]')).to_have_count(1)
    box = page.locator('.field[data-path="workload.kind"]')
    expect(box.locator("label")).to_contain_text("Workload kind")
    expect(box.locator(".help")).to_have_text("What the workload mainly does.")
    expect(page.locator('.field[data-path="priorities.cost"] select')).to_have_value("3")
    # Defaults shown in the control itself are marked next to the label.
    expect(page.locator('label[for="f-workload--vcpus"]')).to_contain_text("(default: 1)")
    expect(page.locator('label[for="f-platform--kubernetes_ecosystem"]')).to_contain_text("(default: off)")
    # The database engine is asked only for a database target.
    engine = page.locator('.field[data-path="network.target.engine"]')
    page.check("#f-network-on")
    expect(engine).to_be_hidden()
    page.select_option("#f-network--target--type", "rds")
    expect(engine).to_be_visible()
    page.select_option("#f-network--target--type", "ec2")
    expect(engine).to_be_hidden()
    page.check("#f-workload-on")
    page.fill("#f-workload--vcpus", "8")
    page.get_by_role("button", name="Start over").click()  # every answer back to its default
    expect(page.locator("#f-network-on")).not_to_be_checked()
    expect(page.locator("#f-workload--vcpus")).to_have_value("1")


def test_questionnaire_gives_ranked_results(page: Page, portal_url: str, screenshot: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    open_portal(page, portal_url + "/")
    page.fill("#f-name", PROFILE["name"])
    page.select_option("#f-team--kubernetes_experience", "expert")
    page.select_option("#f-team--existing_platform", "kubernetes")
    page.check("#f-platform--kubernetes_ecosystem")
    page.check("#f-workload-on")
    page.select_option("#f-workload--kind", "api")
    page.fill("#f-workload--vcpus", "4")
    page.fill("#f-workload--memory_gib", "16")
    page.click("#submit-profile")

    expected = api(portal_url, "/v1/recommendations", PROFILE)
    titles = {d["id"]: d["name"] for d in api(portal_url, "/v1/knowledge")["domains"]}
    result = page.locator("#result")
    expect(result.locator("h2").first).to_have_text("Result for orders-api")
    # The answer is where the user is: its heading has focus, at the top of the screen.
    expect(page.locator("#result-title")).to_be_focused()
    assert at_top(page, "#result-title")
    for domain, outcome in expected["recommendations"].items():
        card = result.locator(f'article[data-domain="{domain}"]')
        expect(card.locator("h3")).to_have_text(titles[domain])  # the knowledge base's name of the domain
        expect(card.locator(".verdict strong")).to_have_text(outcome["options"][0]["name"])
        expect(card.locator(".option")).to_have_count(len(outcome["options"]))
        expect(card.locator(".option .score").first).to_have_text(f"{outcome['options'][0]['score']:.1f}")
        first_reason = outcome["options"][0]["rationale"][0]["reason"]
        expect(card.locator(".option.top .rationale")).to_contain_text(first_reason)
    family = result.locator('article[data-domain="instance_family"] .option.top .size code')
    expect(family).to_have_text(
        expected["recommendations"]["instance_family"]["options"][0]["suggested_instance_type"]["name"]
    )
    expect(result.locator(".assumptions summary")).to_contain_text(f"({len(expected['assumptions'])})")
    total = expected_total(expected["recommendations"])
    expect(result.locator(".summary .total")).to_contain_text(f"Total: about ${total:,.0f} a month")
    top_family = expected["recommendations"]["instance_family"]["options"][0]
    cost = result.locator('article[data-domain="instance_family"] .option.top .cost')
    expect(cost).to_contain_text(top_family["cost"]["basis"])
    shown = float(cost.inner_text().split("$")[1].split(" ")[0].replace(",", ""))
    assert (
        abs(shown - top_family["cost"]["monthly_usd"]) <= 0.5
    )  # the monthly estimate, rounded to the dollar

    # The URL carries the profile that was sent: the answers given and the sections switched on, no defaults.
    sent = page.evaluate(
        "JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(new URLSearchParams(location.hash.slice(1))"
        ".get('profile').replace(/-/g,'+').replace(/_/g,'/')), c => c.charCodeAt(0))))"
    )
    assert sent == {**PROFILE, "priorities": {}}
    screenshot(page, "recommend-desktop-light")


def test_shared_link_reloads_the_result(page: Page, portal_url: str) -> None:
    page.goto(portal_url + "/" + share_hash(PROFILE))
    expect(page.locator('article[data-domain="orchestrator"]')).to_be_visible()
    expect(page.locator("#f-workload--vcpus")).to_have_value("4")
    expect(page.locator("#f-workload-on")).to_be_checked()
    expect(page.locator("#f-network-on")).not_to_be_checked()

    # A field the questionnaire does not know is still sent, and the API's answer names it.
    page.goto(portal_url + "/" + share_hash({"workload": {"kind": "web", "vcpuz": 2}}))
    expect(page.locator("#f-workload-error")).to_contain_text(
        "workload.vcpuz: Unknown field. Did you mean 'vcpus'?"
    )


def test_validation_errors_appear_next_to_their_fields(page: Page, portal_url: str, screenshot: Any) -> None:
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    open_portal(page, portal_url + "/")
    page.check("#f-workload-on")
    page.select_option("#f-workload--kind", "web")
    page.fill("#f-workload--vcpus", "999")
    page.check("#f-network-on")  # source and target types left unanswered
    page.click("#submit-profile")

    vcpus_error = page.locator("#f-workload--vcpus-error")
    expect(vcpus_error).to_contain_text("448")
    expect(page.locator("#f-workload--vcpus")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-network--source--type-error")).to_have_text("Missing data for required field.")
    assert posted == []  # the schema's limits and required answers are checked before sending
    describedby = page.get_attribute("#f-workload--vcpus", "aria-describedby") or ""
    assert "f-workload--vcpus-error" in describedby.split()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    summary.get_by_text("workload.vcpus").click()
    expect(page.locator("#f-workload--vcpus")).to_be_focused()
    screenshot(page, "validation-error")

    page.fill("#f-workload--vcpus", "8")
    page.uncheck("#f-network-on")
    page.click("#submit-profile")
    expect(page.locator('article[data-domain="instance_family"]')).to_be_visible()
    expect(vcpus_error).to_be_empty()
    expect(summary).to_be_hidden()


def test_sections_work_from_the_keyboard(page: Page, portal_url: str) -> None:
    open_portal(page, portal_url + "/")
    body = page.locator("#f-backup-body")
    expect(body).to_be_hidden()
    page.focus("#f-backup-on")
    page.keyboard.press("Space")
    expect(body).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator("#f-backup--scope-whole_server")).to_be_focused()
    page.keyboard.press("Space")
    page.focus("#submit-profile")
    page.keyboard.press("Enter")
    expect(page.locator('article[data-domain="backup"]')).to_be_visible()


def test_a_phone_keyboard_user_lands_on_the_summary(page: Page, portal_url: str) -> None:
    """Every decision on one line with its estimate; the total counts only the answers that apply."""
    profile = {
        **PROFILE,
        "network": {
            "source": {"type": "container", "vpc": "vpc-app"},
            "target": {"type": "rds", "engine": "postgres", "vpc": "vpc-app"},
        },
        "backup": {"scope": ["databases"], "rpo_minutes": 1},  # no option meets an RPO of one minute
    }
    expected = api(portal_url, "/v1/recommendations", profile)["recommendations"]
    assert expected["instance_family"]["conditional_on"] and expected["backup"]["unmet"]
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(portal_url + "/" + share_hash(profile))
    expect(page.locator(".summary")).to_be_visible()
    page.focus("#submit-profile")
    page.keyboard.press("Enter")
    expect(page.locator("#result-title")).to_be_focused()
    assert at_top(page, "#result-title")

    summary = page.locator(".summary")
    for domain, outcome in expected.items():
        expect(summary.locator(f'li[data-domain="{domain}"]')).to_contain_text(
            f"{outcome['confidence']} confidence"
        )
    total = expected_total(expected)
    expect(summary.locator('li[data-domain="instance_family"]')).to_contain_text("only if Launch type is")
    expect(summary.locator('li[data-domain="instance_family"]')).to_contain_text("not in the total")
    expect(summary.locator('li[data-domain="backup"]')).to_contain_text(
        "not met by any option: backup.rpo_minutes"
    )
    expect(summary.locator(".total")).to_contain_text(f"Total: about ${total:,.0f} a month")


def test_the_decision_record_can_be_taken_away(page: Page, portal_url: str) -> None:
    """The ADR from the API (the CLI's renderer) as a file and on the clipboard, the JSON, a print layout."""
    profile = {**PROFILE, "workload": {"kind": "api", "vcpus": 8, "memory_gib": 64}}  # on EC2 hosts
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal_url)
    page.goto(portal_url + "/" + share_hash(profile))
    expect(page.locator(".summary")).to_be_visible()
    expected = api(portal_url, "/v1/recommendations", profile)
    assert expected["recommendations"]["launch_type"]["options"][0]["id"] == "ec2"
    # the EC2 hosts are priced by the launch type and the instance family alike: the total counts them once
    family = page.locator('.summary li[data-domain="instance_family"]')
    expect(family).to_contain_text("the same hosts as Launch type, counted there")
    total = expected_total(expected["recommendations"])
    expect(page.locator(".summary .total")).to_contain_text(f"Total: about ${total:,.0f} a month")

    request = urllib.request.Request(
        portal_url + "/v1/recommendations",
        data=json.dumps(profile).encode(),
        headers={"Content-Type": "application/json", "Accept": "text/markdown"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        record = response.read().decode()
    assert record.startswith("# ADR: How to run orders-api on AWS")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the decision record (Markdown)").click()
    assert download.value.suggested_filename == "orders-api-decision-record.md"
    assert download.value.path().read_text() == record
    page.get_by_role("button", name="Copy the decision record").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == record
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    assert json.loads(download.value.path().read_text()) == expected

    page.emulate_media(media="print")  # the printout is the answer alone
    expect(page.locator("#profile-form")).to_be_hidden()
    expect(page.locator(".tabs")).to_be_hidden()
    expect(page.locator(".summary")).to_be_visible()
    expect(page.locator(".summary button")).to_have_count(4)
    expect(page.locator(".summary button").first).to_be_hidden()


def test_a_shared_evaluation_link_shows_its_verdict(page: Page, portal_url: str) -> None:
    proposal = open_database_proposal()
    encoded = base64.urlsafe_b64encode(proposal.encode()).decode().rstrip("=")
    page.goto(f"{portal_url}/#view=evaluate&proposal={encoded}")
    expect(page.locator("#evaluate-view")).to_be_visible()
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "fail")
    expect(page.locator("#proposal-text")).to_have_value(proposal)
    expect(page.locator("#share-proposal")).to_be_enabled()

    # An example proposal is one press away, and it evaluates.
    page.get_by_role("button", name="Load an example").click()
    example = (ROOT / "api" / "static" / "portal" / "example-proposal.yaml").read_text()
    expect(page.locator("#proposal-text")).to_have_value(example)
    page.click("#submit-proposal")
    expect(page.locator("#evaluation h2")).to_contain_text("orders-v2")
    expect(page.get_by_role("link", name="proposal format (JSON Schema)")).to_have_attribute(
        "href", "/v1/schemas/proposal"
    )


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two computed colours, "rgb(r, g, b)"."""

    def luminance(color: str) -> float:
        channels = [int(c) / 255 for c in color[color.index("(") + 1 : color.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_contrast_sources_headings_tables_and_tabs(page: Page, portal_url: str, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 375, "height": 800})
    profile = {
        **PROFILE,
        "network": {
            "source": {"type": "container", "vpc": "vpc-app"},
            "target": {"type": "rds", "engine": "postgres", "vpc": "vpc-data"},
        },
    }
    page.goto(portal_url + "/" + share_hash(profile))
    expect(page.locator('article[data-domain="connectivity"]')).to_be_visible()
    style = "(el, p) => getComputedStyle(el)[p]"
    page_bg = page.locator("body").evaluate(style, "backgroundColor")
    # 1.4.3: the footer link; 1.4.11: input borders and a switched-off section switch against the page
    assert contrast(page.locator("footer a").evaluate(style, "color"), page_bg) >= 4.5
    assert contrast(page.locator("#f-name").evaluate(style, "borderTopColor"), page_bg) >= 3
    expect(page.locator("#f-backup-on")).not_to_be_checked()
    assert contrast(page.locator("#f-backup-on").evaluate(style, "backgroundColor"), page_bg) >= 3

    # Source links say which page they open, and that it opens in a new tab.
    links = page.locator("#result .sources a")
    hrefs = links.evaluate_all("els => els.map(a => a.href)")
    names = links.evaluate_all("els => els.map(a => a.textContent)")
    assert len(hrefs) > 5
    assert all(name.endswith("(opens in a new tab)\u2197") for name in names)
    assert len(set(names)) == len(set(hrefs)), "two different pages share a label"
    assert not any(name.startswith("docs.aws.amazon.com") for name in names)

    # Heading levels never skip one.
    levels = page.locator(
        "h1:visible, h2:visible, h3:visible, h4:visible, h5:visible, h6:visible"
    ).evaluate_all("els => els.map(e => Number(e.tagName[1]))")
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels

    # The assumptions table is a focusable, labelled region, and its "Why" column fits a phone.
    page.locator(".assumptions summary").click()
    region = page.locator(".assumptions [role=region]")
    expect(region).to_have_attribute("tabindex", "0")
    expect(region).to_have_attribute("aria-label", "Assumptions and defaults applied")
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth")
    why = region.locator('td[data-label="Why"]').first
    box, frame = why.bounding_box(), region.bounding_box()
    assert box and frame and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1

    # The view tabs are tabs: arrow keys move and select, Space selects.
    page.focus("#tab-recommend")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-evaluate")).to_be_focused()
    expect(page.locator("#tab-evaluate")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#evaluate-view")).to_be_visible()
    page.keyboard.press("Home")
    expect(page.locator("#recommend-view")).to_be_visible()
    page.focus("#tab-evaluate")
    page.keyboard.press("Space")
    expect(page.locator("#evaluate-view")).to_be_visible()
    expect(page.locator("#tab-recommend")).to_have_attribute("tabindex", "-1")


def open_database_proposal() -> str:
    cases = yaml.safe_load((SCENARIOS / "proposals-public.yaml").read_text())
    case = next(c for c in cases if "sg-open-database-port" in c["expect"].get("findings", []))
    return yaml.safe_dump(case["proposal"], sort_keys=False)


def test_evaluating_a_proposal_shows_its_critical_finding(
    page: Page, portal_url: str, screenshot: Any
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    open_portal(page, portal_url + "/#view=evaluate")
    expect(page.locator("#evaluate-view")).to_be_visible()
    page.fill("#proposal-text", open_database_proposal())
    page.click("#submit-proposal")

    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "fail")
    expect(page.locator("#evaluation h2")).to_be_focused()  # the verdict, at the top of the screen
    assert at_top(page, "#evaluation h2")
    # The address now carries the proposal (base64url of its text), so it can be shared.
    shared = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('proposal')")
    assert base64.urlsafe_b64decode(shared + "=" * (-len(shared) % 4)).decode() == open_database_proposal()
    critical = page.locator(".severity-group", has=page.locator(".sev-critical"))
    expect(critical.locator('[data-finding="sg-open-database-port"]')).to_contain_text("3306")
    expect(critical.locator('[data-finding="sg-open-database-port"]')).to_contain_text("Fix:")
    with page.expect_download() as download:
        page.get_by_text("Download the report").click()
    report = download.value.path().read_text()
    assert report.startswith("# Evaluation of ")
    assert "sg-open-database-port" in report and "**fail**" in report
    screenshot(page, "evaluate-desktop-light")


def test_a_blocked_flow_highlights_the_blocking_hop(page: Page, portal_url: str) -> None:
    cases = yaml.safe_load((SCENARIOS / "proposals-public.yaml").read_text())
    case = next(c for c in cases if any(not f["reachable"] for f in c["expect"].get("flows", [])))
    open_portal(page, portal_url + "/#view=evaluate")
    page.fill("#proposal-text", json.dumps(case["proposal"]))
    page.click("#submit-proposal")
    blocked = page.locator(".flow.blocked").first
    expect(blocked.locator(".hop.blocking")).to_have_count(1)
    for word in case["expect"]["flows"][0]["blocked_by_mentions"]:
        expect(blocked.locator(".hop.blocking")).to_contain_text(word)
    expect(blocked.locator(".hop").first).to_have_text(case["expect"]["flows"][0]["from"])


def test_embed_mode_shows_the_shared_result_without_chrome(
    page: Page, portal_url: str, screenshot: Any
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(portal_url + "/?embed=1" + share_hash(PROFILE))
    expect(page.locator('article[data-domain="orchestrator"]')).to_be_visible()
    expect(page.locator("header.chrome")).to_be_hidden()
    expect(page.locator("footer.chrome")).to_be_hidden()
    expect(page.locator("nav.tabs")).to_be_hidden()
    screenshot(page, "embed-phone-light")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_fits_without_sideways_scrolling(
    page: Page, portal_url: str, screenshot: Any, scheme: str
) -> None:
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(
        portal_url
        + "/"
        + share_hash(
            {
                **PROFILE,
                "network": {
                    "source": {"type": "container", "vpc": "vpc-app"},
                    "target": {"type": "rds", "engine": "postgres", "vpc": "vpc-data"},
                },
            }
        )
    )
    expect(page.locator('article[data-domain="connectivity"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, f"recommend-phone-{scheme}")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, f"recommend-desktop-{scheme}")


EMBED_SCRIPT = """async ([portal, profile]) => {
  const frame = document.createElement("iframe");
  frame.src = portal + "/?embed=1";
  frame.width = 400; frame.height = 600;
  const messages = [];
  window.addEventListener("message", e => { if (e.source === frame.contentWindow) messages.push(e.data); });
  const next = type => new Promise(resolve => {
    const check = () => { const m = messages.find(x => x.type === type); if (m) resolve(m); else setTimeout(check, 20); };
    check();
  });
  document.getElementById("slot").append(frame);
  await next("recommender:ready");
  frame.contentWindow.postMessage({type: "recommender:profile", profile}, portal);
  const answer = await Promise.race([next("recommender:result"), next("recommender:error")]);
  frame.contentWindow.postMessage({type: "recommender:profile", profile: {workload: {kind: "web", vcpus: 0}}}, portal);
  const error = await next("recommender:error");
  return {answer, error, origins: messages.map(m => m.type)};
}"""


def test_postmessage_round_trip_from_an_allowed_host(
    page: Page, portal_url: str, host_origins: dict[str, str]
) -> None:
    page.goto(host_origins["allowed"])
    outcome = page.evaluate(EMBED_SCRIPT, [portal_url, PROFILE])
    assert outcome["answer"]["type"] == "recommender:result"
    expected = api(portal_url, "/v1/recommendations", PROFILE)
    assert outcome["answer"]["result"] == expected
    problem = outcome["error"]["problem"]
    assert problem["status"] == 422 and "workload.vcpus" in problem["errors"]


def test_postmessage_from_another_origin_is_ignored(
    page: Page, portal_url: str, host_origins: dict[str, str]
) -> None:
    page.goto(host_origins["refused"])
    with page.expect_console_message(lambda m: "ignored a message from" in m.text) as warning:
        received = page.evaluate(
            """async ([portal, profile]) => {
              const frame = document.createElement("iframe");
              frame.src = portal + "/?embed=1";
              window.received = [];
              window.addEventListener("message", e => window.received.push(e.data));
              await new Promise(resolve => { frame.onload = resolve; document.getElementById("slot").append(frame); });
              frame.contentWindow.postMessage({type: "recommender:profile", profile}, portal);
              return window.received;
            }""",
            [portal_url, PROFILE],
        )
    assert host_origins["refused"] in warning.value.text
    assert received == []
    frame = next(f for f in page.frames if f.url.startswith(portal_url))
    expect(frame.locator("#result .placeholder")).to_be_visible()
    assert page.evaluate("window.received") == []


def test_security_group_rules_can_be_copied(page: Page, portal_url: str) -> None:
    profile = {
        "network": {
            "source": {"type": "ec2", "vpc": "vpc-main"},
            "target": {"type": "rds", "engine": "mysql", "vpc": "vpc-main"},
        }
    }
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal_url)
    page.goto(portal_url + "/" + share_hash(profile))
    expected = api(portal_url, "/v1/recommendations", profile)["security_group_rules"]
    assert expected, "a database connection always needs at least one rule"
    rows = page.locator("section[aria-labelledby=sg-title] tbody tr")
    expect(rows).to_have_count(len(expected))
    expect(rows.first).to_contain_text(expected[0]["ports"])
    page.get_by_role("button", name="Copy rules").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == expected


def test_an_uploaded_proposal_with_wrong_fields_names_them(
    page: Page, portal_url: str, tmp_path: Any
) -> None:
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text("name: typo\nchoices: {orchestrater: ecs}\n")
    open_portal(page, portal_url + "/#view=evaluate")
    page.set_input_files("#proposal-file", str(proposal))
    expect(page.locator("#proposal-text")).to_have_value(proposal.read_text())
    page.click("#submit-proposal")
    expect(page.locator("#proposal-errors")).to_contain_text("choices.orchestrater")
    expect(page.locator("#proposal-text")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#evaluation .problem")).to_contain_text("422")
    expect(page.locator("[role=alert]:visible")).to_have_count(1)  # one announcement, not two

    # A YAML syntax error marks the text box and names the line, which can be selected.
    page.fill("#proposal-text", "name: broken\nchoices:\n  orchestrator: ecs\n bad: 1\n")
    page.click("#submit-proposal")
    expect(page.locator("#proposal-errors")).to_contain_text("Line 4: invalid YAML")
    text = page.locator("#proposal-text")
    expect(text).to_have_attribute("aria-invalid", "true")
    assert "proposal-errors" in (text.get_attribute("aria-describedby") or "").split()
    expect(page.locator("[role=alert]:visible")).to_have_count(1)
    page.get_by_role("button", name="Go to line 4").click()
    expect(text).to_be_focused()
    assert text.evaluate("t => t.value.slice(t.selectionStart, t.selectionEnd)") == " bad: 1"


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # pinned in package-lock.json, installed by npm ci
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`);
}"""


def test_axe_finds_no_serious_violation(page: Page, portal_url: str) -> None:
    """WCAG 2.1 AA by axe-core: the questionnaire with a full result (every panel open), then an evaluation,
    then a proposal's errors, at desktop and phone widths, in the light and the dark scheme."""
    if not AXE.is_file():
        pytest.skip("axe-core is missing: npm ci")
    profile = {
        **PROFILE,
        "network": {
            "source": {"type": "container", "vpc": "vpc-app"},
            "target": {"type": "rds", "engine": "postgres", "vpc": "vpc-data"},
        },
        "backup": {"scope": ["databases"], "rpo_minutes": 1},
    }
    page.goto(portal_url + "/" + share_hash(profile))
    expect(page.locator(".summary")).to_be_visible()
    page.evaluate(AXE.read_text() + "\n;0")  # evaluated by the driver: the page's CSP allows no inline script
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")

    def check(state: str) -> None:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for width, height in ((1280, 900), (375, 800)):
                page.set_viewport_size({"width": width, "height": height})
                assert page.evaluate(AXE_RUN) == [], f"{state}, {scheme}, {width} px"

    check("result")
    page.click("#tab-evaluate")
    page.get_by_role("button", name="Load an example").click()
    expect(page.locator("#proposal-text")).not_to_have_value("")
    page.click("#submit-proposal")
    expect(page.locator("[data-verdict]")).to_be_visible()
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    check("evaluation")
    # a proposal with errors: every error under the text box, its line marked beside the line numbers
    page.fill("#proposal-text", "name: x\ntopology:\n  vpcs: [{id: vpc-a, cidr: 10.0.0.0/33}]\n")
    page.click("#submit-proposal")
    expect(page.locator("#proposal-line-mark")).to_be_visible()
    check("proposal errors")


def test_a_combined_backup_plan_is_shown(page: Page, portal_url: str) -> None:
    worm = {"backup": {"scope": ["whole_server"], "rpo_minutes": 5, "retention_days": 2555, "compliance": True,
                       "cross_account": True}}  # fmt: skip
    page.goto(portal_url + "/" + share_hash(worm))
    plan = page.locator('article[data-domain="backup"] .plan')
    expect(plan).to_contain_text("Plan: AWS Elastic Disaster Recovery (DRS) + AWS Backup")
    expect(plan.locator('li[data-option="aws_backup"]')).to_contain_text("backup.compliance")


def test_an_unmet_requirement_is_shown_with_its_advice(page: Page, portal_url: str) -> None:
    page.goto(portal_url + "/" + share_hash({"backup": {"scope": ["databases"], "rpo_minutes": 1}}))
    unmet = page.locator('article[data-domain="backup"] .unmet li[data-requirement="backup.rpo_minutes"]')
    expect(unmet).to_contain_text("Aurora Global Database")


def test_an_answer_conditional_on_another_says_so(page: Page, portal_url: str) -> None:
    fargate = {"platform": {}, "workload": {"kind": "web", "vcpus": 1, "memory_gib": 2}}
    page.goto(portal_url + "/" + share_hash(fargate))
    expect(page.locator('article[data-domain="instance_family"] .conditional')).to_contain_text("Only if")
