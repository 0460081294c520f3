"""Every error status the API emits is an RFC 9457 problem: media type and members, never HTML."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

MakeApp = Callable[..., Flask]
PROFILE = json.dumps({"platform": {}})


def malformed_json(client: FlaskClient, make_app: MakeApp) -> Any:
    return client.post("/v1/recommendations", data='{"platform": ', content_type="application/json")


def missing_key(client: FlaskClient, make_app: MakeApp) -> Any:
    return make_app(RECOMMENDER_API_KEYS="k1").test_client().get("/v1/knowledge")


def unknown_path(client: FlaskClient, make_app: MakeApp) -> Any:
    return client.get("/v2/recommendations")


def wrong_method(client: FlaskClient, make_app: MakeApp) -> Any:
    return client.get("/v1/recommendations")


def too_large(client: FlaskClient, make_app: MakeApp) -> Any:
    small = make_app(RECOMMENDER_MAX_BODY_BYTES=64).test_client()
    return small.post("/v1/recommendations", data=" " * 65 + PROFILE, content_type="application/json")


def form_encoded(client: FlaskClient, make_app: MakeApp) -> Any:
    return client.post("/v1/recommendations", data=PROFILE, content_type="application/x-www-form-urlencoded")


def invalid_profile(client: FlaskClient, make_app: MakeApp) -> Any:
    return client.post(
        "/v1/recommendations",
        data='{"workload": {"kind": "web", "vcpus": 0}}',
        content_type="application/json",
    )


def crash(client: FlaskClient, make_app: MakeApp) -> Any:
    app = make_app()

    def boom() -> str:
        raise RuntimeError("secret internals /etc/passwd")

    app.add_url_rule("/boom", "boom", boom)
    return app.test_client().get("/boom")


CASES: list[tuple[int, Callable[[FlaskClient, MakeApp], Any]]] = [
    (400, malformed_json),
    (401, missing_key),
    (404, unknown_path),
    (405, wrong_method),
    (413, too_large),
    (415, form_encoded),
    (422, invalid_profile),
    (500, crash),
]


@pytest.mark.parametrize(("status", "make"), CASES, ids=[str(s) for s, _ in CASES])
def test_every_error_is_a_problem_document(
    client: FlaskClient, make_app: MakeApp, status: int, make: Callable[..., Any]
) -> None:
    response = make(client, make_app)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert body["detail"] and body["title"]
    assert b"<html" not in response.data.lower()
    assert response.headers["X-Request-ID"]


def test_422_carries_errors_by_field_path(client: FlaskClient, make_app: MakeApp) -> None:
    assert invalid_profile(client, make_app).json["errors"] == {
        "workload.vcpus": ["Must be greater than or equal to 1 and less than or equal to 448."]
    }


def test_400_says_where_the_json_breaks(client: FlaskClient, make_app: MakeApp) -> None:
    assert "line 1" in malformed_json(client, make_app).json["detail"]


def test_405_lists_the_allowed_methods(client: FlaskClient, make_app: MakeApp) -> None:
    response = wrong_method(client, make_app)
    assert response.headers["Allow"] == "OPTIONS, POST"
    assert "POST" in response.json["detail"]


def test_401_challenges_for_a_bearer_token(client: FlaskClient, make_app: MakeApp) -> None:
    assert missing_key(client, make_app).headers["WWW-Authenticate"].startswith("Bearer ")


def test_500_shows_no_internals(
    client: FlaskClient, make_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    response = crash(client, make_app)
    assert b"secret" not in response.data and b"RuntimeError" not in response.data
    logged = capsys.readouterr().err
    assert "RuntimeError: secret internals" in logged  # the operator still sees it, in the log


def test_415_names_what_is_accepted(client: FlaskClient, make_app: MakeApp) -> None:
    detail = form_encoded(client, make_app).json["detail"]
    assert "application/json" in detail and "application/yaml" in detail


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json; charset=latin-1"])
def test_other_media_types_are_415(client: FlaskClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v1/recommendations", data=PROFILE, headers=headers)
    assert response.status_code == 415


def test_handlers_cover_a_fresh_app(app: Flask) -> None:
    assert app.test_client().put("/healthz").status_code == 405


def test_an_invalid_yaml_proposal_names_every_error_with_its_line(client: FlaskClient) -> None:
    """Schema and reference errors in one 422, and the line of the body each field was written on."""
    body = b"""name: twice
topology:
  vpcs:
    - {id: vpc-main, cidr: 10.0.0.0/33}
  subnets:
    - {id: subnet-app, vpc: vpc-main, cidr: 10.0.1.0/24}
  resources:
    - {id: app, type: ec2, subnet: subnet-ap}
"""
    response = client.post("/v1/evaluations", data=body, content_type="application/yaml")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert set(problem["errors"]) == {"topology.vpcs.0.cidr", "topology.resources.0.subnet"}
    assert problem["lines"] == {"topology.vpcs.0.cidr": 4, "topology.resources.0.subnet": 8}
    # a batch item's error carries them too (lines of the batch document)
    batch = b"proposals:\n" + b"\n".join(b"  - " + line if i == 0 else b"    " + line
                                         for i, line in enumerate(body.splitlines()))  # fmt: skip
    result = client.post("/v1/evaluations/batch", data=batch, content_type="application/yaml").json
    assert result["results"][0]["error"]["lines"] == {
        "topology.vpcs.0.cidr": 5,
        "topology.resources.0.subnet": 9,
    }
