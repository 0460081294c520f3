"""API keys, CORS, request ids and security headers."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.security import key_is_valid

MakeApp = Callable[..., Flask]
PROFILE = b'{"platform": {}}'


@pytest.fixture
def locked(make_app: MakeApp) -> FlaskClient:
    return make_app(RECOMMENDER_API_KEYS="first-key, second-key").test_client()


def recommend(client: FlaskClient, **headers: str) -> int:
    response = client.post(
        "/v1/recommendations", data=PROFILE, content_type="application/json", headers=headers
    )
    return response.status_code


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong-key", 401),
        ("Bearer first-ke", 401),
        ("Basic Zmlyc3Qta2V5", 401),
        ("Bearer first-key", 200),
        ("bearer second-key", 200),
    ],
)
def test_api_keys_guard_the_v1_endpoints(locked: FlaskClient, authorization: str | None, status: int) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    assert recommend(locked, **headers) == status


def test_invalid_key_is_told_apart_in_the_challenge(locked: FlaskClient) -> None:
    response = locked.get("/v1/knowledge", headers={"Authorization": "Bearer nope"})
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="recommender", error="invalid_token"'


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs"])
def test_health_and_docs_stay_open(locked: FlaskClient, path: str) -> None:
    assert locked.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/metrics", "/v1/knowledge", "/v1/schemas/profile"])
def test_everything_else_needs_a_key(locked: FlaskClient, path: str) -> None:
    assert locked.get(path).status_code == 401
    assert locked.get(path, headers={"Authorization": "Bearer second-key"}).status_code == 200


def test_no_keys_means_no_authentication(client: FlaskClient) -> None:
    assert recommend(client) == 200


def test_keys_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert key_is_valid("k1", ("k1", "k2", "k3"))
    assert len(compared) == 3  # every key is compared, even after a match
    assert not key_is_valid("k4", ("k1", "k2"))


def test_keys_never_reach_the_log(locked: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    recommend(locked, Authorization="Bearer first-key")
    recommend(locked, Authorization="Bearer guessed-key")
    logged = capsys.readouterr().err
    assert {200, 401} <= {json.loads(line).get("status") for line in logged.splitlines()}
    assert "first-key" not in logged and "guessed-key" not in logged


@pytest.fixture
def cors(make_app: MakeApp) -> FlaskClient:
    return make_app(
        RECOMMENDER_CORS_ORIGINS="https://portal.example.com,https://other.example.com"
    ).test_client()


def test_cors_preflight_from_an_allowed_origin(cors: FlaskClient) -> None:
    response = cors.options(
        "/v1/recommendations",
        headers={
            "Origin": "https://portal.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://portal.example.com"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_cors_preflight_needs_no_api_key(make_app: MakeApp) -> None:
    client = make_app(
        RECOMMENDER_CORS_ORIGINS="https://portal.example.com", RECOMMENDER_API_KEYS="k"
    ).test_client()
    response = client.options(
        "/v1/recommendations",
        headers={"Origin": "https://portal.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://portal.example.com"


def test_cors_refuses_other_origins(cors: FlaskClient) -> None:
    preflight = cors.options(
        "/v1/recommendations",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    actual = cors.get("/v1/knowledge", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in actual.headers


def test_cors_headers_on_actual_requests(cors: FlaskClient) -> None:
    response = cors.get("/v1/knowledge", headers={"Origin": "https://other.example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://other.example.com"
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]


def test_no_cors_configured_means_no_cors_headers(client: FlaskClient) -> None:
    response = client.get("/v1/knowledge", headers={"Origin": "https://portal.example.com"})
    assert not any(h.startswith("Access-Control-") for h, _ in response.headers)


def test_request_id_is_echoed(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    response = client.get("/v1/knowledge", headers={"X-Request-ID": "abc-123_x.y"})
    assert response.headers["X-Request-ID"] == "abc-123_x.y"
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["request_id"] for line in lines if line["logger"] == "recommender.access"] == ["abc-123_x.y"]


@pytest.mark.parametrize(
    "given", ["x: y, Set-Cookie: x=1", "<script>", "x" * 129, "semi;colon", "", "spa ce", "é"]
)
def test_invalid_request_id_is_replaced(client: FlaskClient, given: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given})
    echoed = response.headers["X-Request-ID"]
    assert echoed != given
    assert len(echoed) == 32 and echoed.isalnum()
    assert "Set-Cookie" not in response.headers


def test_untrusted_request_ids_are_always_generated(make_app: MakeApp) -> None:
    client = make_app(RECOMMENDER_TRUST_REQUEST_ID="false").test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "abc"}).headers["X-Request-ID"] != "abc"


def test_every_response_carries_the_operational_headers(client: FlaskClient, kb: object) -> None:
    for response in (client.get("/healthz"), client.get("/nowhere"), client.post("/v1/recommendations")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Knowledge-Digest"].startswith("sha256:")
        assert response.headers["X-Request-ID"]
