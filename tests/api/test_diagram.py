"""POST /v1/evaluations?diagram=true: the evaluation with its diagram section (proposal.md, "the diagram")."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask.testing import FlaskClient

from recommender.evaluation import drawing
from recommender.evaluation import drawing as drawing_module
from tests.api.test_endpoints import post_json
from tests.evaluation.conftest import base, group


def test_diagram_only_when_asked(client: FlaskClient) -> None:
    plain = post_json(client, "/v1/evaluations", base())
    assert plain.status_code == 200 and "diagram" not in plain.json
    assert "diagram" not in post_json(client, "/v1/evaluations?diagram=false", base()).json


def test_diagram_marks_the_blocking_hop(client: FlaskClient) -> None:
    doc = base()
    group(doc, "sg-db")["inbound"] = []
    answer = post_json(client, "/v1/evaluations?diagram=true", doc)
    assert answer.status_code == 200
    flow: dict[str, Any] = answer.json["diagram"]["flows"][0]
    assert flow["blocked_at"] == 3 and flow["hops"][3] == "sg-db inbound" and flow["hop_nodes"][3] == "db"
    assert flow["reason"] == answer.json["flows"][0]["blocked_by"]
    assert {n["id"] for n in answer.json["diagram"]["nodes"]} == {
        "vpc-main",
        "subnet-app",
        "subnet-db",
        "app",
        "db",
    }


def test_a_bad_diagram_value_names_the_parameter(client: FlaskClient) -> None:
    answer = post_json(client, "/v1/evaluations?diagram=yes", base())
    assert answer.status_code == 400 and answer.content_type == "application/problem+json"
    assert list(answer.json["errors"]) == ["diagram"]


def test_openapi_describes_the_diagram(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    operation = spec["paths"]["/v1/evaluations"]["post"]
    assert [p["name"] for p in operation["parameters"]] == ["diagram", "expand"]
    diagram = spec["components"]["schemas"]["Diagram"]
    assert diagram["properties"]["flows"]["items"]["required"] == [
        "from", "to", "port", "reachable", "hops", "hop_nodes", "blocked_at", "reason"]  # fmt: skip


def test_accept_svg_answers_with_the_drawing(client: FlaskClient) -> None:
    doc = base()
    group(doc, "sg-db")["inbound"] = []
    answer = post_json(client, "/v1/evaluations", doc, headers={"Accept": "image/svg+xml"})
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    root = ET.fromstring(answer.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    blocked = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "blocked" in (g.get("class") or "")]
    assert len(blocked) == 1
    json_preferred = post_json(
        client, "/v1/evaluations", doc, headers={"Accept": "application/json, image/svg+xml"}
    )
    assert json_preferred.mimetype == "application/json"


def test_svg_without_graphviz_is_a_problem(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drawing.shutil, "which", lambda name: None)
    answer = post_json(client, "/v1/evaluations", base(), headers={"Accept": "image/svg+xml"})
    assert answer.status_code == 503 and answer.content_type == "application/problem+json"
    assert "graphviz" in answer.json["detail"]


def test_diagram_svg_carries_the_drawing_in_the_json(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = post_json(client, "/v1/evaluations?diagram=svg", base())
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    drawing = ET.fromstring(answer.json["diagram"]["svg"])
    assert (
        drawing.tag == "{http://www.w3.org/2000/svg}svg" and drawing.get("aria-label") == "Topology of base"
    )
    monkeypatch.setattr(drawing_module.shutil, "which", lambda name: None)
    without = post_json(client, "/v1/evaluations?diagram=svg", base())
    assert without.status_code == 200 and "svg" not in without.json["diagram"]
    assert "graphviz" in without.json["diagram"]["drawing_error"]


def test_expand_draws_a_folded_vpc_in_full(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drawing_module, "COLLAPSE_SUBNETS", 1)  # base() has 2 subnets: fold them
    svg = "{http://www.w3.org/2000/svg}"

    def clusters(query: str) -> set[str]:
        answer = post_json(client, f"/v1/evaluations?diagram=svg{query}", base())
        assert answer.status_code == 200, answer.json
        root = ET.fromstring(answer.json["diagram"]["svg"])
        return {
            g.get("class") or "" for g in root.iter(f"{svg}g") if (g.get("id") or "").startswith("cluster-")
        }

    assert clusters("") == {"cluster cluster vpc folded"}
    assert clusters("&expand=vpc-main") == {"cluster cluster vpc", "cluster cluster subnet"}


@pytest.mark.parametrize(
    "query", ["?diagram=svg&expand=vpc-nowhere", "?diagram=true&expand=vpc-main", "?expand=vpc-main"]
)
def test_expand_names_its_problem(client: FlaskClient, query: str) -> None:
    answer = post_json(client, f"/v1/evaluations{query}", base())
    assert answer.status_code == 400 and list(answer.json["errors"]) == ["expand"]
