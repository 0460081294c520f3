"""Hostile and malformed bodies: a clear 400/413/422, quickly, never a 500."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

MakeApp = Callable[..., Flask]

ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(9)]
)


def post(client: FlaskClient, body: bytes | str, media: str = "application/json") -> tuple[int, str]:
    response = client.post("/v1/recommendations", data=body, content_type=media)
    assert response.mimetype == "application/problem+json" or response.status_code == 200
    return response.status_code, (response.json or {}).get("detail", "")


def test_100000_deep_json_array_is_400(client: FlaskClient) -> None:
    status, detail = post(client, "[" * 100_000 + "]" * 100_000)
    assert status == 400
    assert "nested deeper than" in detail


def test_deep_yaml_is_400(client: FlaskClient) -> None:
    status, detail = post(client, "a: " + "[" * 10_000 + "]" * 10_000, "application/yaml")
    assert (status, "nested deeper than" in detail) == (400, True)


def test_yaml_alias_bomb_is_400(client: FlaskClient) -> None:
    status, detail = post(client, ALIAS_BOMB, "application/yaml")
    assert status == 400
    assert "anchors are not accepted" in detail


@pytest.mark.parametrize(
    ("body", "media", "expected"),
    [
        (b'{"platform": {}, "platform": {}}', "application/json", "duplicate key 'platform'"),
        (b"platform: {}\nplatform: {}\n", "application/yaml", "duplicate key 'platform'"),
        (
            b'{"workload": {"kind": "web", "vcpus": NaN}}',
            "application/json",
            "NaN is not a valid JSON number",
        ),
        (b"workload: {kind: web, memory_gib: .nan}", "application/yaml", "NaN and infinite numbers"),
        (b'{"name": "\xff\xfe"}', "application/json", "not valid UTF-8"),
        (b"!!python/object/apply:os.system ['true']", "application/yaml", "invalid YAML"),
        (b"   \n", "application/json", "empty"),
    ],
)
def test_unsafe_or_malformed_documents_are_400(
    client: FlaskClient, body: bytes, media: str, expected: str
) -> None:
    status, detail = post(client, body, media)
    assert status == 400
    assert expected in detail


@pytest.mark.parametrize("document", [b"null", b"[]", b'"text"', b"42"])
def test_a_document_that_is_not_an_object_is_422(client: FlaskClient, document: bytes) -> None:
    response = client.post("/v1/recommendations", data=document, content_type="application/json")
    assert response.status_code == 422
    assert response.json["errors"] == {"profile": ["Must be an object."]}


def test_body_over_the_limit_by_content_length_is_413(make_app: MakeApp) -> None:
    client = make_app(RECOMMENDER_MAX_BODY_BYTES=100).test_client()
    response = client.post(
        "/v1/recommendations", data=b"{" + b" " * 200 + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert "100 bytes" in response.json["detail"]


def test_body_over_the_limit_without_content_length_is_413(make_app: MakeApp) -> None:
    client = make_app(RECOMMENDER_MAX_BODY_BYTES=100).test_client()
    stream = io.BytesIO(b"{" + b" " * 200 + b"}")
    response = client.post(
        "/v1/recommendations",
        input_stream=stream,
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
        headers={"Transfer-Encoding": "chunked"},
    )
    assert response.status_code == 413


def test_body_at_the_limit_is_read(make_app: MakeApp) -> None:
    body = b'{"platform": {}}'
    client = make_app(RECOMMENDER_MAX_BODY_BYTES=len(body)).test_client()
    assert client.post("/v1/recommendations", data=body, content_type="application/json").status_code == 200


def test_default_limit_is_one_mebibyte(client: FlaskClient) -> None:
    body = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    assert post(client, body)[0] == 413
