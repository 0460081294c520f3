"""The portal page: a questionnaire and result viewer built in the browser from the API's own schemas.

GET / serves the page, /portal/assets/<version>/<file> its CSS, JS, icon and example (long-lived caching),
/portal/config.json the embedding settings. Every response of this blueprint carries the page's security
headers.

Caching: <version> is a hash of every asset's bytes, computed once per process (at start-up), so an asset's
address changes whenever any asset does and each address can be cached for a year (`immutable`). The page
itself is built once per app, at start-up: index.html with its asset addresses versioned and the data the page would otherwise
fetch before it can show the questionnaire (the embed origins and the profile's JSON Schema) inlined as a
JSON data block; it is `no-cache` with an ETag, so a return visit costs one 304. /portal/assets/<file>
(without a version) still serves the current file, `no-cache`.

Settings (app.config, else the environment):
- FRAME_ANCESTORS / RECOMMENDER_FRAME_ANCESTORS: who may frame the page (CSP frame-ancestors sources,
  space or comma separated; default 'self').
- EMBED_ORIGINS / RECOMMENDER_EMBED_ORIGINS: exact origins whose postMessage requests the page answers
  (comma or space separated; default none).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request, send_from_directory

from api.config import ConfigError
from api.resources.schemas import profile_schema

ASSETS = Path(__file__).resolve().parent / "static" / "portal"
ASSET_PATH = "/portal/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"

blueprint = Blueprint("portal", __name__)

ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")
FRAME_SOURCE = re.compile(r"'self'|'none'|https?:|(https?://)?(\*\.)?[A-Za-z0-9.-]+(:(\d{1,5}|\*))?")


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    parts: Iterable[Any] = value.replace(",", " ").split() if isinstance(value, str) else value
    return [str(p).strip() for p in parts if str(p).strip()]


def _setting(app: Flask, name: str) -> Any:
    for key in (name, f"RECOMMENDER_{name}"):
        if app.config.get(key) is not None:
            return app.config[key]
    return os.environ.get(f"RECOMMENDER_{name}")


def frame_ancestors(app: Flask) -> list[str]:
    sources = _items(_setting(app, "FRAME_ANCESTORS")) or ["'self'"]
    bad = [s for s in sources if not FRAME_SOURCE.fullmatch(s)]
    if bad:
        raise ConfigError(f"FRAME_ANCESTORS: not a CSP source: {', '.join(bad)}")
    if "'none'" in sources and len(sources) > 1:
        raise ConfigError("FRAME_ANCESTORS: 'none' cannot be combined with other sources")
    return sources


def embed_origins(app: Flask) -> list[str]:
    origins = [o.rstrip("/") for o in _items(_setting(app, "EMBED_ORIGINS"))]
    bad = [o for o in origins if not ORIGIN.fullmatch(o)]
    if bad:
        raise ConfigError(f"EMBED_ORIGINS: not an origin (scheme://host[:port]): {', '.join(bad)}")
    return origins


@blueprint.record_once
def _start(state: Any) -> None:
    """A wrong setting stops the app at start-up rather than failing every page view; the page is built here,
    once per app."""
    frame_ancestors(state.app)
    state.app.extensions["portal_page"] = _build_page(state.app)


@cache
def asset_version() -> str:
    """A hash of every asset's name and bytes: the version in the assets' addresses (one per process)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in ASSETS.rglob("*") if p.is_file()):
        digest.update(path.relative_to(ASSETS).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _build_page(app: Flask) -> tuple[bytes, str]:
    """index.html as this app serves it (asset addresses versioned, first data inlined), and its ETag."""
    html = (ASSETS / "index.html").read_text().replace(ASSET_PATH, f"{ASSET_PATH}{asset_version()}/")
    data = {"embed_origins": embed_origins(app), "profile_schema": json.loads(profile_schema())}
    # a data block, never run (so the CSP's script-src does not apply); "<" escaped so it cannot close it
    block = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    html = html.replace(
        "</head>", f'<script type="application/json" id="portal-data">{block}</script>\n</head>', 1
    )
    body = html.encode()
    return body, hashlib.sha256(body).hexdigest()[:32]


@blueprint.get("/")
def index() -> Response:
    body, etag = current_app.extensions["portal_page"]
    response = Response(body, mimetype="text/html", headers={"Cache-Control": "no-cache"})
    response.set_etag(etag)
    response.make_conditional(request)  # 304 without a body when If-None-Match has the ETag
    return response


@blueprint.get(f"{ASSET_PATH}<path:filename>")
def asset(filename: str) -> Response:
    """<version>/<file>: the current version's file, cached for a year; <file> alone: no-cache."""
    version, _, rest = filename.partition("/")
    if rest and version == asset_version():
        response = send_from_directory(ASSETS, rest, max_age=31536000)
        response.headers["Cache-Control"] = IMMUTABLE
        return response
    if rest and re.fullmatch(r"[0-9a-f]{16}", version):  # a page of another version (a deploy in between)
        filename = rest
    return send_from_directory(ASSETS, filename, max_age=0)


@blueprint.get("/portal/config.json")
def config() -> Response:
    return jsonify({"embed_origins": embed_origins(current_app)})


@blueprint.after_request
def _security_headers(response: Response) -> Response:
    policy = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": " ".join(frame_ancestors(current_app)),
    }
    response.headers["Content-Security-Policy"] = "; ".join(f"{k} {v}" for k, v in policy.items())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
