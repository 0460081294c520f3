"""Responses travel compressed for clients that ask (zstd, Brotli, gzip) and unchanged for those that do not."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import brotli
import pytest
from flask.testing import FlaskClient

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python < 3.14
    from backports import zstd  # type: ignore[no-redef,import-not-found,unused-ignore]

DECOMPRESS = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}


@pytest.fixture
def recommend(client: FlaskClient, public_profiles: list[dict[str, Any]]) -> Callable[..., Any]:
    """POST the first public scenario's profile (every decision answered) with these headers."""

    def post(**headers: str) -> Any:
        response = client.post("/v1/recommendations", json=public_profiles[0], headers=headers)
        assert response.status_code == 200
        return response

    return post


def test_a_client_that_does_not_ask_gets_the_same_bytes_uncompressed(recommend: Callable[..., Any]) -> None:
    plain = recommend()
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]  # caches keep the two forms apart
    assert plain.data == recommend(**{"Accept-Encoding": "identity"}).data


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_each_encoding_a_client_accepts_gives_the_same_document(
    recommend: Callable[..., Any], encoding: str
) -> None:
    plain = recommend().data
    packed = recommend(**{"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain) / 3
    assert DECOMPRESS[encoding](packed.data) == plain


def test_a_browser_gets_zstd_the_cheapest_to_make(recommend: Callable[..., Any]) -> None:
    response = recommend(**{"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "zstd"


@pytest.mark.parametrize(
    ("header", "encoding"),
    [
        ("zstd;q=0.1, gzip;q=1.0", "gzip"),
        ("zstd;q=0, br;q=0", None),  # refused, every one it names
        ("gzip;q=0", None),
        ("br;q=0, *", "zstd"),  # anything but Brotli
        ("identity", None),
    ],
)
def test_quality_values_are_honoured(
    recommend: Callable[..., Any], header: str, encoding: str | None
) -> None:
    response = recommend(**{"Accept-Encoding": header})
    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]


@pytest.mark.parametrize("path", ["/", "/openapi.json", "/portal/assets/app.js", "/portal/assets/portal.css"])
def test_the_page_its_assets_and_the_api_description_travel_compressed(
    client: FlaskClient, path: str
) -> None:
    with client.get(path) as plain, client.get(path, headers={"Accept-Encoding": "gzip"}) as packed:
        assert packed.status_code == plain.status_code == 200
        assert packed.headers["Content-Encoding"] == "gzip"
        assert int(packed.headers["Content-Length"]) == len(packed.get_data())
        assert gzip.decompress(packed.get_data()) == plain.get_data()


def test_a_small_problem_answer_is_not_worth_compressing(client: FlaskClient) -> None:
    response = client.post(
        "/v1/recommendations", data="{", content_type="application/json", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "Content-Encoding" not in response.headers


def test_a_byte_range_of_a_file_is_sent_as_it_is(client: FlaskClient) -> None:
    with client.get("/portal/assets/app.js") as full:
        whole = full.get_data()
    with client.get(
        "/portal/assets/app.js", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-4999"}
    ) as partial:
        assert partial.status_code == 206
        assert "Content-Encoding" not in partial.headers
        assert partial.get_data() == whole[:5000]
