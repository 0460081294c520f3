"""Every endpoint answers what http.md promises, for JSON and YAML alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from recommender import ENGINE_BUILD
from recommender.engine import recommend
from recommender.knowledge import KnowledgeBase
from recommender.serialize import to_json

PROFILE = {
    "name": "payments-api",
    "team": {"kubernetes_experience": "expert", "existing_platform": "kubernetes"},
    "platform": {"kubernetes_ecosystem": True, "multi_cloud": True},
}


def post_json(client: FlaskClient, path: str, document: Any, **kw: Any) -> Any:
    return client.post(path, data=json.dumps(document), content_type="application/json", **kw)


def post_yaml(client: FlaskClient, path: str, document: Any, media: str = "application/yaml") -> Any:
    return client.post(path, data=yaml.safe_dump(document), content_type=media)


def test_recommendation_body_is_the_engine_document_bytes(client: FlaskClient, kb: KnowledgeBase) -> None:
    response = post_json(client, "/v1/recommendations", PROFILE)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.data == to_json(recommend(PROFILE, kb))
    assert response.json["recommendations"]["orchestrator"]["options"][0]["id"] == "eks"


@pytest.mark.parametrize("media", ["application/yaml", "application/x-yaml", "text/yaml"])
def test_yaml_and_json_bodies_give_the_same_answer(
    client: FlaskClient, public_profiles: list[dict[str, Any]], media: str
) -> None:
    for profile in public_profiles[:8]:
        as_json = post_json(client, "/v1/recommendations", profile)
        as_yaml = post_yaml(client, "/v1/recommendations", profile, media)
        assert as_json.status_code == 200, as_json.json
        assert as_yaml.data == as_json.data


def test_charset_parameter_is_accepted(client: FlaskClient) -> None:
    response = client.post(
        "/v1/recommendations", data=json.dumps(PROFILE), content_type="application/json; charset=UTF-8"
    )
    assert response.status_code == 200


def test_same_profile_gives_the_same_bytes(client: FlaskClient) -> None:
    first = post_json(client, "/v1/recommendations", PROFILE).data
    assert post_json(client, "/v1/recommendations", PROFILE).data == first


def test_unknown_field_is_422_naming_the_field(client: FlaskClient) -> None:
    response = post_json(client, "/v1/recommendations", {"platform": {"manage_srvers": "required"}})
    assert response.status_code == 422
    assert response.json["errors"] == {
        "platform.manage_srvers": ["Unknown field. Did you mean 'manage_servers'?"]
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [("explain=everything", "explain"), ("verbose=1", "verbose")],
)
def test_bad_query_parameter_is_400_naming_it(client: FlaskClient, query: str, field: str) -> None:
    response = post_json(client, f"/v1/recommendations?{query}", PROFILE)
    assert response.status_code == 400
    assert field in response.json["errors"]


@pytest.mark.parametrize("level", ["changes", "full"])
def test_explain_adds_what_would_change(client: FlaskClient, level: str) -> None:
    response = post_json(client, f"/v1/recommendations?explain={level}", PROFILE)
    assert response.status_code == 200
    assert all("what_would_change" in d for d in response.json["recommendations"].values())
    assert all(("trace" in d) is (level == "full") for d in response.json["recommendations"].values())


def test_batch_answers_valid_items_and_reports_invalid_ones(client: FlaskClient, kb: KnowledgeBase) -> None:
    profiles = [PROFILE, {"workload": {"vcpus": 2}}, {"platform": {"manage_servers": "prefer_not"}}]
    response = post_json(client, "/v1/recommendations/batch", {"profiles": profiles})
    assert response.status_code == 200
    results = response.json["results"]
    assert results[0] == json.loads(to_json(recommend(PROFILE, kb)))
    assert results[1] == {
        "index": 1,
        "error": {
            "type": "urn:recommender:problem:invalid-document",
            "title": "Invalid document",
            "status": 422,
            "detail": "The profile is invalid.",
            "errors": {"workload.kind": ["Missing data for required field."]},
        },
    }
    assert results[2]["recommendations"]["launch_type"]["options"][0]["id"] == "fargate"
    summary = response.json["summary"]
    assert (summary["total"], summary["succeeded"], summary["errors"]) == (3, 2, 1)
    assert summary["winners"]["orchestrator"] == {"eks": 1, "ecs": 1}


def test_a_crashing_item_does_not_sink_the_batch(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import api.resources.recommendations as view

    real = view.recommend

    def fragile(profile: Any, kb: KnowledgeBase, **kw: Any) -> dict[str, Any]:
        if profile.name == "crash":
            raise RuntimeError("engine bug")
        return real(profile, kb, **kw)

    monkeypatch.setattr(view, "recommend", fragile)
    response = post_json(client, "/v1/recommendations/batch", {"profiles": [{"name": "crash"}, PROFILE]})
    assert response.status_code == 200
    assert response.json["results"][0]["error"]["status"] == 500
    assert "engine bug" not in response.data.decode()
    assert response.json["results"][1]["name"] == "payments-api"
    assert response.json["summary"]["errors"] == 1
    assert "RuntimeError: engine bug" in capsys.readouterr().err


def test_batch_over_the_limit_is_refused(make_app: Callable[..., Flask]) -> None:
    client = make_app(RECOMMENDER_MAX_BATCH=2).test_client()
    response = post_json(client, "/v1/recommendations/batch", {"profiles": [{}, {}, {}]})
    assert response.status_code == 422
    assert response.json["errors"]["profiles"] == [
        "Must hold at most 2 items (RECOMMENDER_MAX_BATCH); got 3."
    ]
    assert post_json(client, "/v1/recommendations/batch", {"profiles": [{}, {}]}).status_code == 200


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([], {"batch": ["Must be an object with 'profiles'."]}),
        ({}, {"profiles": ["Missing data for required field."]}),
        ({"profiles": {}}, {"profiles": ["Must be a list."]}),
        ({"profiles": []}, {"profiles": ["Must hold at least one item."]}),
        ({"profiles": [{}], "profile": 1}, {"profile": ["Unknown field."]}),
    ],
)
def test_bad_batch_envelope_is_422(client: FlaskClient, body: Any, errors: dict[str, list[str]]) -> None:
    response = post_json(client, "/v1/recommendations/batch", body)
    assert response.status_code == 422
    assert response.json["errors"] == errors


def test_evaluations_answer_and_batches_report_invalid_items(
    client: FlaskClient, public_proposals: list[dict[str, Any]]
) -> None:
    single = post_json(client, "/v1/evaluations", public_proposals[0])
    batch = post_json(client, "/v1/evaluations/batch", {"proposals": [public_proposals[0], {"choices": 5}]})
    assert single.status_code == 200
    assert single.json["verdict"] in ("pass", "warn", "fail")
    assert batch.status_code == 200
    summary = batch.json["summary"]
    assert (summary["total"], summary["errors"]) == (2, 1)
    assert batch.json["results"][1]["index"] == 1
    assert set(summary["findings_by_severity"]) >= {"critical", "high", "medium", "low"}


def test_knowledge_summary_lists_domains_options_and_rule_counts(
    client: FlaskClient, kb: KnowledgeBase
) -> None:
    response = client.get("/v1/knowledge")
    assert response.status_code == 200
    body = response.json
    assert (body["version"], body["digest"]) == (kb.version, kb.digest)
    assert [d["id"] for d in body["domains"]] == list(kb.domains)
    orchestrator = body["domains"][0]
    assert {o["id"] for o in orchestrator["options"]} == {"ecs", "eks"}
    assert orchestrator["rule_count"] == len(kb.domains["orchestrator"].rules)


def test_knowledge_domain_has_rules_with_reasons_and_sources(client: FlaskClient, kb: KnowledgeBase) -> None:
    response = client.get("/v1/knowledge/launch_type")
    assert response.status_code == 200
    rules = response.json["rules"]
    assert [r["id"] for r in rules] == [r.id for r in kb.domains["launch_type"].all_rules]
    assert all(r["reason"] and r["sources"] for r in rules)
    assert {o["id"] for o in response.json["options"]} == {"fargate", "ec2"}


@pytest.mark.parametrize("path", ["/v1/knowledge", "/v1/knowledge/orchestrator"])
def test_knowledge_etag_is_the_digest_and_if_none_match_gives_304(
    client: FlaskClient, kb: KnowledgeBase, path: str
) -> None:
    first = client.get(path)
    assert first.headers["ETag"] == f'"{kb.digest}"'
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    stale = client.get(path, headers={"If-None-Match": '"sha256:older"'})
    assert stale.status_code == 200


def test_unknown_domain_is_404_listing_the_known_ones(client: FlaskClient) -> None:
    response = client.get("/v1/knowledge/orchestrater")
    assert response.status_code == 404
    assert "orchestrator" in response.json["detail"]


def test_profile_schema_is_a_form_ready_json_schema(
    client: FlaskClient, public_profiles: list[dict[str, Any]]
) -> None:
    response = client.get("/v1/schemas/profile")
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    schema = response.json
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    workload = schema["$defs"]["Workload"]
    assert workload["required"] == ["kind"]
    assert "ml_training" in workload["properties"]["kind"]["enum"]
    assert workload["properties"]["vcpus"] == {
        "type": "integer", "default": 1, "minimum": 1, "maximum": 448,
        "title": "vCPUs", "description": "vCPUs one instance (or task) needs.",
    }  # fmt: skip
    validator = jsonschema.Draft202012Validator(schema)
    for profile in public_profiles:
        assert not list(validator.iter_errors(profile)), profile
    assert list(validator.iter_errors({"platform": {"manage_srvers": "required"}}))


def test_proposal_schema_is_a_valid_json_schema(client: FlaskClient) -> None:
    response = client.get("/v1/schemas/proposal")
    assert response.status_code == 200
    jsonschema.Draft202012Validator.check_schema(response.json)


def test_openapi_documents_every_route_and_problem_responses(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    assert ("/v1/recommendations", "POST") in documented
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api-docs.", "swagger_assets.", "portal.")):
            continue
        path = rule.rule.replace("<string:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            for status, answer in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(answer["content"]) == ["application/problem+json"], (path, method, status)
    assert "application/yaml" in spec["paths"]["/v1/recommendations"]["post"]["requestBody"]["content"]
    assert spec["components"]["schemas"]["Profile"]["additionalProperties"] is False


def test_docs_page_uses_only_local_assets(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.data.decode()
    assert "https://" not in html and "http://" not in html
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/swagger-assets/{asset}" in html
        with client.get(f"/swagger-assets/{asset}") as served:
            assert served.status_code == 200


def test_health_and_readiness(client: FlaskClient, kb: KnowledgeBase) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {
        "status": "ready",
        "knowledge_base": {"version": kb.version, "digest": kb.digest},
        "engine": ENGINE_BUILD,
    }


def test_metrics_count_requests_and_decisions(client: FlaskClient) -> None:
    post_json(client, "/v1/recommendations", PROFILE)
    client.get("/nowhere")
    text = client.get("/metrics").data.decode()
    assert 'recommender_decisions_total{domain="orchestrator",winner="eks"} 1.0' in text
    assert (
        'recommender_http_requests_total{endpoint="/v1/recommendations",method="POST",status="200"} 1.0'
        in text
    )
    assert 'recommender_http_requests_total{endpoint="unmatched",method="GET",status="404"} 1.0' in text
    assert (
        'recommender_http_request_duration_seconds_count{endpoint="/v1/recommendations",status="200"} 1.0'
        in text
    )


def test_swapping_the_knowledge_base_changes_every_answer(
    app: Flask, client: FlaskClient, kb: KnowledgeBase
) -> None:
    from dataclasses import replace

    from api.state import holder

    old_etag = client.get("/v1/knowledge").headers["ETag"]
    holder(app).replace(replace(kb, version="2099.1.0", digest="sha256:" + "0" * 64))
    response = client.get("/v1/knowledge", headers={"If-None-Match": old_etag})
    assert response.status_code == 200
    assert response.headers["ETag"] == '"sha256:' + "0" * 64 + '"'
    assert response.headers["X-Knowledge-Digest"] == "sha256:" + "0" * 64
    assert client.get("/readyz").json["knowledge_base"]["version"] == "2099.1.0"
    assert post_json(client, "/v1/recommendations", PROFILE).json["knowledge_base"]["version"] == "2099.1.0"
