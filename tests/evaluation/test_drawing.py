"""The diagram drawn as SVG (Graphviz): `recommender evaluate FILE --format svg`, the markdown report, and
the drawing itself (green flows that pass, red flows up to the hop that blocks them, folded subnets)."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from recommender.evaluation import drawing, evaluate, load_proposal
from recommender.evaluation.drawing import GREEN, RED, DrawingError, render_svg, to_dot
from recommender.knowledge import KnowledgeBase
from tests.evaluation.conftest import base, group
from tests.evaluation.test_cli import run, write

SVG = "{http://www.w3.org/2000/svg}"


def two_flows() -> dict[str, Any]:
    """app -> db passes; app -> cache is blocked by cache's security group (cache in its own subnet)."""
    doc = base()
    t = doc["topology"]
    t["subnets"].append({"id": "subnet-cache", "vpc": "vpc-main", "cidr": "10.0.3.0/24"})
    t["security_groups"].append({"id": "sg-cache", "vpc": "vpc-main", "inbound": []})
    t["resources"].append(
        {"id": "cache", "type": "ec2", "subnet": "subnet-cache", "security_groups": ["sg-cache"]}
    )
    t["flows"].append({"from": "app", "to": "cache", "port": 6379})
    return doc


def diagram_of(doc: dict[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    return evaluate(load_proposal(doc, finding_ids=kb.findings), kb, diagram=True)["diagram"]


def groups(svg: bytes, css_class: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if css_class in (g.get("class") or "").split()]


def strokes(element: ET.Element) -> set[str]:
    return {p.get("stroke") or "" for p in element.iter(f"{SVG}path")}


def title(element: ET.Element) -> str:
    found = element.find(f"{SVG}title")
    assert found is not None
    return found.text or ""


def test_cli_svg_is_a_standalone_svg_naming_every_node(tmp_path: Path, kb: KnowledgeBase) -> None:
    doc = two_flows()
    done = run(write(tmp_path, "p.yaml", doc), "--format", "svg")
    assert done.returncode == 1, done.stderr  # the blocked flow is a high finding, as with every format
    root = ET.fromstring(done.stdout)
    assert root.tag == f"{SVG}svg" and root.get("aria-label") == "Topology of base"
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for node in diagram_of(doc, kb)["nodes"]:
        assert node["id"] in texts
    assert b"http://" not in done.stdout.replace(b"http://www.w3.org/", b"")  # standalone: nothing fetched


def test_passing_flow_is_green_and_blocked_flow_red_with_its_reason(kb: KnowledgeBase) -> None:
    svg = render_svg(diagram_of(two_flows(), kb))
    (passing,) = groups(svg, "flow-passes")
    (blocked,) = groups(svg, "flow-blocked")
    assert strokes(passing) == {GREEN} and title(passing).startswith("app \u2192 db tcp 3306: reachable")
    assert strokes(blocked) == {RED}
    assert title(blocked).startswith(
        "app \u2192 cache tcp 6379: BLOCKED at sg-cache inbound\nsg-cache inbound: "
    )


def test_red_arrow_ends_at_the_blocking_hop_then_grey_to_the_target(kb: KnowledgeBase) -> None:
    doc = base()
    doc["topology"]["vpcs"].append({"id": "vpc-b", "cidr": "10.1.0.0/16", "region": "us-east-1"})
    doc["topology"]["subnets"][1] = {"id": "subnet-db", "vpc": "vpc-b", "cidr": "10.1.2.0/24"}
    group(doc, "sg-db")["vpc"] = "vpc-b"
    doc["topology"]["transit_gateways"] = [
        {"id": "tgw-1", "attachments": ["vpc-main", "vpc-b"], "routes": False}
    ]
    d = diagram_of(doc, kb)
    dot = to_dot(d)
    assert re.search(r'"app" -> "tgw-1" \[[^\]]*id="flow-0"[^\]]*class="flow-blocked"', dot)
    assert re.search(r'"tgw-1" -> "db" \[id="flow-0-unreached", class="flow-unreached"', dot)
    svg = render_svg(d)
    assert strokes(groups(svg, "flow-blocked")[0]) == {RED}
    assert "tgw-1 attaches vpc-main and vpc-b but has no routes" in title(groups(svg, "flow-blocked")[0])
    (attachment,) = [g for g in groups(svg, "attachment") if g.get("id") == "link-tgw-1:vpc-main"]
    assert "(no routes)" in title(attachment)


def test_a_flow_blocked_at_its_source_is_a_dashed_red_arrow(kb: KnowledgeBase) -> None:
    doc = base()
    group(doc, "sg-app")["outbound"] = []
    dot = to_dot(diagram_of(doc, kb))
    assert re.search(
        r'"app" -> "db" \[[^\]]*class="flow-blocked"[^\]]*style=dashed, dir=both, arrowtail=tee', dot
    )


def test_origin_of_imported_elements_is_in_the_hover_text(kb: KnowledgeBase) -> None:
    doc = base()
    doc["topology"]["resources"][1]["origin"] = {
        "file": "main.tf",
        "line": 40,
        "logical_id": "aws_db_instance.db",
    }
    (node,) = [g for g in groups(render_svg(diagram_of(doc, kb)), "node") if g.get("id") == "node-db"]
    assert title(node) == "db (rds)\ndeclared at main.tf:40 (aws_db_instance.db)"


def test_same_diagram_same_bytes(kb: KnowledgeBase) -> None:
    d = diagram_of(two_flows(), kb)
    assert render_svg(d) == render_svg(d)


def test_many_subnets_fold_into_their_vpc_unless_expanded(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = diagram_of(two_flows(), kb)
    assert '"cluster_subnet-app"' in to_dot(d)
    monkeypatch.setattr(drawing, "COLLAPSE_SUBNETS", 2)
    folded = to_dot(d)
    assert '"cluster_subnet-app"' not in folded and '"cluster_vpc-main"' in folded
    assert "app\\nec2 \u00b7 subnet-app" in folded and "3 subnets folded" in folded
    assert '"cluster_subnet-app"' in to_dot(d, expand=["vpc-main"])
    svg = render_svg(d)
    texts = " ".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text"))
    assert all(node["id"] in texts for node in d["nodes"])


def test_without_graphviz_the_error_says_what_to_install(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drawing.shutil, "which", lambda name: None)
    with pytest.raises(DrawingError, match="Debian package graphviz"):
        render_svg(diagram_of(base(), kb))


def test_svg_of_several_proposals_is_bad_usage(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", base())
    done = run(path, path, "--format", "svg")
    assert done.returncode == 2 and b"--format svg draws one proposal" in done.stderr and not done.stdout


def test_markdown_report_embeds_the_diagram_when_asked(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", two_flows())
    plain = run(path, "--format", "markdown").stdout.decode()
    assert "### Topology" not in plain
    report = run(path, "--format", "markdown", "--diagram").stdout.decode()
    assert "### Topology" in report and "--format svg > topology.svg" in report
    data = re.search(r"\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", report)
    assert data is not None
    assert ET.fromstring(base64.b64decode(data.group(1))).tag == f"{SVG}svg"


def test_a_large_proposal_is_folded_and_still_names_every_node(kb: KnowledgeBase) -> None:
    from bench.bench_diagram import make_large_proposal

    d = diagram_of(make_large_proposal(), kb)  # 50 VPCs, 300 subnets, 1,001 resources
    svg = render_svg(d)
    root = ET.fromstring(svg)
    clusters = [
        g.get("id") or "" for g in root.iter(f"{SVG}g") if "cluster" in (g.get("class") or "").split()
    ]
    assert len(clusters) == 50 and all(c.startswith("cluster-vpc-") for c in clusters)
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    words = set(re.split(r"[\s,:\u00b7]+", texts))
    assert all(node["id"] in words for node in d["nodes"])
    assert len(groups(svg, "flow-blocked")) == sum(1 for f in d["flows"] if not f["reachable"])


def test_expand_of_an_unknown_vpc_is_bad_usage(tmp_path: Path) -> None:
    done = run(write(tmp_path, "p.yaml", base()), "--format", "svg", "--expand", "vpc-nowhere")
    assert done.returncode == 2 and b"--expand vpc-nowhere: not a VPC of the proposal" in done.stderr
