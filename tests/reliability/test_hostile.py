"""Hostile input catalogue: each gets a 4xx problem quickly, and the real server's workers stay healthy.

Already covered in tests/api (not repeated here): alias bomb, 100,000-deep JSON, deep YAML, duplicate keys,
NaN, invalid UTF-8, `!!python/object/apply`, empty body (test_limits.py); wrong and missing content types,
non-UTF-8 charsets (test_problems.py); oversize recommendation batch (test_endpoints.py); X-Request-ID
injection, in the app and as a raw bare CR to gunicorn (test_security.py, test_server.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from bench.soak import Server, request, serve
from recommender.knowledge import KnowledgeBase

PROFILE = b'{"workload": {"kind": "api", "vcpus": 2}}'
JSON = "application/json"
YAML = "application/yaml"


@pytest.fixture(scope="module")
def app(kb: KnowledgeBase) -> Flask:
    return create_app({"TESTING": True, "KNOWLEDGE_BASE": kb})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def many_rules_proposal(rules: int) -> dict[str, Any]:
    """One database security group with `rules` inbound rules; only the last one lets the app in, and one
    opens PostgreSQL to the world (a finding that must be found among them)."""
    inbound = [
        {"protocol": "tcp", "ports": str(1024 + i), "source": f"10.{i // 250}.{i % 250}.0/24"}
        for i in range(rules)
    ]
    inbound[rules // 2] = {"protocol": "tcp", "ports": "5432", "source": "0.0.0.0/0"}
    inbound[-1] = {"protocol": "tcp", "ports": "5432", "source": "sg-app"}
    return {
        "name": "many-rules",
        "topology": {
            "vpcs": [{"id": "vpc-a", "cidr": "10.0.0.0/8", "region": "us-east-1"}],
            "subnets": [{"id": "subnet-a", "vpc": "vpc-a", "cidr": "10.0.1.0/24"}],
            "security_groups": [
                {"id": "sg-app", "vpc": "vpc-a", "inbound": []},
                {"id": "sg-db", "vpc": "vpc-a", "inbound": inbound},
            ],
            "resources": [
                {"id": "app", "type": "ec2", "subnet": "subnet-a", "security_groups": ["sg-app"]},
                {"id": "db", "type": "rds", "engine": "postgres", "port": 5432, "subnet": "subnet-a",
                 "security_groups": ["sg-db"], "stateful": True},
            ],
            "flows": [{"from": "app", "to": "db", "port": 5432}],
        },
    }  # fmt: skip


# (name, path, body, content type, status, words the detail or errors must contain)
CATALOGUE: list[tuple[str, str, bytes, str, int, str]] = [
    ("10**10000 as a JSON literal", "/v1/recommendations", b'{"workload": {"vcpus": 1' + b"0" * 10000 + b"}}", JSON, 400, "digits"),
    ("10**10000 in YAML", "/v1/recommendations", b"workload: {vcpus: 1" + b"0" * 10000 + b"}", YAML, 400, "digits"),
    ("1e999 overflows to infinity", "/v1/recommendations", b'{"workload": {"kind": "api", "memory_gib": 1e999}}', JSON, 422, "workload.memory_gib"),
    ("Infinity literal", "/v1/recommendations", b'{"workload": {"memory_gib": Infinity}}', JSON, 400, "Infinity"),
    ("-Infinity literal", "/v1/recommendations", b'{"workload": {"memory_gib": -Infinity}}', JSON, 400, "Infinity"),
    ("YAML .inf", "/v1/recommendations", b"workload: {memory_gib: -.inf}", YAML, 400, "infinite"),
    ("900 KB string value", "/v1/recommendations", b'{"workload": {"kind": "' + b"x" * 900_000 + b'"}}', JSON, 422, "workload.kind"),
    ("900 KB name", "/v1/evaluations", b'{"name": "' + b"x" * 900_000 + b'"}', JSON, 422, "name"),
    ("!!python/name tag", "/v1/recommendations", b"name: !!python/name:os.system", YAML, 400, "python/name"),
    ("!!python/module tag", "/v1/evaluations", b"name: !!python/module:os", YAML, 400, "python/module"),
    ("custom tag", "/v1/recommendations", b"name: !shell rm -rf /", YAML, 400, "!shell"),
    ("YAML merge key", "/v1/recommendations", b"workload:\n  <<: {kind: api}\n", YAML, 400, "merge keys"),
    ("alias bomb on the proposal endpoint", "/v1/evaluations", b"a: &a [1, 1]\nb: &b [*a, *a]\n", YAML, 400, "anchors"),
    ("NUL bytes instead of JSON", "/v1/recommendations", b"\x00" * 1000, JSON, 400, "invalid JSON"),
    ("UTF-16 body declared as JSON", "/v1/recommendations", '{"platform": {}}'.encode("utf-16"), JSON, 400, "UTF-8"),
    ("400,000-item array", "/v1/recommendations", b"[" + b"1," * 400_000 + b"1]", JSON, 422, "profile"),
    ("batch that is not an envelope", "/v1/evaluations/batch", b"[" * 64 + b"]" * 64, JSON, 422, "proposals"),
    ("64-deep YAML just over the limit", "/v1/evaluations", b"a: " + b"[" * 70 + b"]" * 70, YAML, 400, "nested deeper"),
]  # fmt: skip
IDS = [case[0] for case in CATALOGUE]


@pytest.mark.parametrize(("name", "path", "body", "media", "status", "words"), CATALOGUE, ids=IDS)
def test_hostile_body_gets_a_clear_problem(
    client: FlaskClient, name: str, path: str, body: bytes, media: str, status: int, words: str
) -> None:
    response = client.post(path, data=body, content_type=media)
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["status"] == status
    assert words in problem["detail"] + json.dumps(problem.get("errors", {}))
    assert len(response.data) < 10_000  # a huge value is not echoed back


@pytest.mark.parametrize(
    ("path", "body", "media"),
    [
        ("/v1/recommendations", b'{"name": "\\ud800"}', JSON),
        ("/v1/recommendations", b'{"\\udfff": 1}', JSON),
        ("/v1/evaluations", b'name: "\\ud800"', YAML),
        ("/v1/recommendations/batch", b'{"profiles": [{"name": "\\ud800"}]}', JSON),
    ],
)
def test_an_escaped_lone_surrogate_is_400(client: FlaskClient, path: str, body: bytes, media: str) -> None:
    assert client.post(path, data=body, content_type=media).status_code == 400


def test_oversize_evaluation_batch_is_422(kb: KnowledgeBase) -> None:
    small = create_app({"TESTING": True, "KNOWLEDGE_BASE": kb, "RECOMMENDER_MAX_BATCH": 3})
    body = json.dumps({"proposals": [{"name": f"p{i}"} for i in range(4)]})
    response = small.test_client().post("/v1/evaluations/batch", data=body, content_type=JSON)
    assert response.status_code == 422
    assert "proposals" in response.json["errors"]


def test_thousands_of_security_group_rules_are_evaluated_correctly(client: FlaskClient) -> None:
    body = json.dumps(many_rules_proposal(5000))
    response = client.post("/v1/evaluations", data=body, content_type=JSON)
    assert response.status_code == 200
    result = response.json
    assert [flow["reachable"] for flow in result["flows"]] == [True]
    assert any(f["id"] == "sg-open-database-port" and f["resource"] == "sg-db" for f in result["findings"])


# --- the real server: each hostile request answered within the worker timeout, the workers survive ---


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("hostile") / "serve.log") as running:
        yield running


SERVER_CASES = [case for case in CATALOGUE if case[0] in {IDS[0], IDS[6], IDS[12], IDS[15]}] + [
    ("alias bomb", "/v1/recommendations", b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a]\n", YAML, 400, "anchors"),
    ("100,000-deep JSON", "/v1/recommendations", b"[" * 100_000 + b"]" * 100_000, JSON, 400, "nested deeper"),
    ("body over 1 MiB", "/v1/evaluations", b"[" + b" " * (1024 * 1024) + b"]", JSON, 413, "limit"),
    ("form-encoded body", "/v1/recommendations", b"a=1", "application/x-www-form-urlencoded", 415, "JSON"),
    ("invalid UTF-8", "/v1/recommendations", b'{"name": "\xc3\x28"}', JSON, 400, "UTF-8"),
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "path", "body", "media", "status", "words"), SERVER_CASES, ids=[c[0] for c in SERVER_CASES]
)
def test_hostile_request_leaves_the_worker_healthy(
    server: Server, name: str, path: str, body: bytes, media: str, status: int, words: str
) -> None:
    workers = server.worker_pids()
    answered, headers, data = request(server.port, "POST", path, body, {"Content-Type": media})
    assert (answered, headers["content-type"]) == (status, "application/problem+json")
    assert words in data.decode()
    for _ in range(4):  # a follow-up lands on either worker: both still answer
        assert request(server.port, "POST", "/v1/recommendations", PROFILE, {"Content-Type": JSON})[0] == 200
    assert server.worker_pids() == workers  # none died or was killed for the timeout


@pytest.mark.slow
def test_thousands_of_rules_answer_within_the_worker_timeout(server: Server) -> None:
    workers = server.worker_pids()
    body = json.dumps(many_rules_proposal(8000)).encode()
    status, _, data = request(server.port, "POST", "/v1/evaluations", body, {"Content-Type": JSON})
    assert status == 200  # a worker killed by the 30 s timeout would reset the connection instead
    assert json.loads(data)["flows"][0]["reachable"] is True
    assert server.worker_pids() == workers


@pytest.mark.slow
def test_x_request_id_with_header_injection_is_replaced_on_the_wire(server: Server) -> None:
    status, headers, _ = request(
        server.port, "GET", "/healthz", None, {"X-Request-ID": "a%0d%0aSet-Cookie:%20x=1"}
    )
    assert status == 200
    assert "set-cookie" not in headers
    assert headers["x-request-id"] != "a%0d%0aSet-Cookie:%20x=1" and headers["x-request-id"].isalnum()
