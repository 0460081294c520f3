"""The portal's HTTP side without a browser: security headers, embedding settings, no inline code."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api import create_app, portal
from api.config import ConfigError
from api.portal import ASSETS, asset_version


def client(monkeypatch: pytest.MonkeyPatch, env: dict[str, str] | None = None, **config: str) -> FlaskClient:
    for name in ("RECOMMENDER_FRAME_ANCESTORS", "RECOMMENDER_EMBED_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return create_app({"TESTING": True, **config}).test_client()


def get(c: FlaskClient, path: str) -> TestResponse:
    """GET and release the response (files are streamed from disk)."""
    with c.get(path) as response:
        response.get_data()
        return response


@pytest.fixture(scope="module")
def default_client() -> Iterator[FlaskClient]:
    with pytest.MonkeyPatch.context() as mp:
        yield client(mp)


def csp(response: TestResponse) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.parametrize(
    "path", ["/", "/portal/assets/app.js", "/portal/assets/portal.css", "/portal/config.json"]
)
def test_page_responses_carry_the_security_headers(default_client: FlaskClient, path: str) -> None:
    response = get(default_client, path)
    assert response.status_code == 200
    policy = csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_assets_have_their_media_types(default_client: FlaskClient) -> None:
    assert get(default_client, "/").mimetype == "text/html"
    assert get(default_client, "/portal/assets/app.js").mimetype in (
        "text/javascript",
        "application/javascript",
    )
    assert get(default_client, "/portal/assets/portal.css").mimetype == "text/css"
    assert get(default_client, "/portal/assets/icon.svg").mimetype == "image/svg+xml"


def test_frame_ancestors_come_from_configuration_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = get(client(monkeypatch, FRAME_ANCESTORS="'self' https://portal.example.com"), "/")
    assert csp(configured)["frame-ancestors"] == "'self' https://portal.example.com"
    from_env = get(client(monkeypatch, {"RECOMMENDER_FRAME_ANCESTORS": "https://*.example.org"}), "/")
    assert csp(from_env)["frame-ancestors"] == "https://*.example.org"


def test_embed_origins_come_from_configuration_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert client(monkeypatch).get("/portal/config.json").json == {"embed_origins": []}
    configured = client(monkeypatch, EMBED_ORIGINS="https://a.example.com, https://b.example.com:8443/")
    assert configured.get("/portal/config.json").json == {
        "embed_origins": ["https://a.example.com", "https://b.example.com:8443"]
    }
    from_env = client(monkeypatch, {"RECOMMENDER_EMBED_ORIGINS": "http://127.0.0.1:9000"})
    assert from_env.get("/portal/config.json").json == {"embed_origins": ["http://127.0.0.1:9000"]}


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("FRAME_ANCESTORS", "https://a.example.com; script-src *", "not a CSP source"),
        ("FRAME_ANCESTORS", "'none' https://a.example.com", "'none' cannot be combined"),
        ("EMBED_ORIGINS", "*", "not an origin"),
        ("EMBED_ORIGINS", "https://a.example.com/path", "not an origin"),
    ],
)
def test_a_wrong_setting_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, setting: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        client(monkeypatch, **{setting: value})


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names and dict(attrs).get("type") != "application/json":
            self.inline.append("<script> without src")  # a JSON data block is never run
        if tag == "style":
            self.inline.append("<style>")
        self.inline += [f"{tag} {name}=" for name in names if name == "style" or name.startswith("on")]


def test_the_page_has_no_inline_script_or_style(default_client: FlaskClient) -> None:
    for page in ((ASSETS / "index.html").read_text(), get(default_client, "/").get_data(as_text=True)):
        parser = Markup()
        parser.feed(page)
        assert parser.inline == []


def test_assets_are_versioned_and_cached_for_a_year(default_client: FlaskClient) -> None:
    """Every address in the page carries the assets' hash and may be kept a year; the page is revalidated."""
    page = get(default_client, "/")
    assert page.headers["Cache-Control"] == "no-cache"
    html = page.get_data(as_text=True)
    version = asset_version()
    addresses = re.findall(r'(?:href|src)="(/portal/assets/[^"]+)"', html)
    assert {a.rsplit("/", 1)[1] for a in addresses} == {
        "icon.svg", "portal.css", "app.js", "dom.js", "form.js", "results.js", "evaluate.js"
    }  # fmt: skip
    assert all(a.startswith(f"/portal/assets/{version}/") for a in addresses)
    assert html.count("icon.svg") == 2  # the tab's icon and the masthead's: one address, fetched once
    for address in set(addresses):
        response = get(default_client, address)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.get_data() == (ASSETS / address.rsplit("/", 1)[1]).read_bytes()
    # the unversioned address still works, revalidated every time
    assert get(default_client, "/portal/assets/app.js").headers["Cache-Control"].startswith("no-cache")
    assert get(default_client, f"/portal/assets/{version}/missing.js").status_code == 404
    # a return visit costs one 304
    again = default_client.get("/", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_page_carries_what_it_would_fetch_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embed origins and the profile's JSON Schema come inlined as a JSON data block."""
    c = client(monkeypatch, EMBED_ORIGINS="https://a.example.com")
    html = get(c, "/").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="portal-data">(.*?)</script>', html, re.S)
    assert block
    data = json.loads(block.group(1))
    assert data["embed_origins"] == ["https://a.example.com"]
    schema = c.get("/v1/schemas/profile").json
    assert data["profile_schema"] == schema
    assert list(data["profile_schema"]["properties"]) == list(schema["properties"])  # the form's order


def test_the_version_follows_the_assets_bytes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    copy = tmp_path / "portal"
    shutil.copytree(ASSETS, copy)
    monkeypatch.setattr(portal, "ASSETS", copy)
    asset_version.cache_clear()
    try:
        before = asset_version()
        asset_version.cache_clear()
        assert asset_version() == before  # the same bytes, the same version
        (copy / "app.js").write_text((copy / "app.js").read_text() + "\n// changed\n")
        asset_version.cache_clear()
        assert asset_version() != before
    finally:
        asset_version.cache_clear()
