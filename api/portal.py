"""The portal page: a questionnaire and result viewer built in the browser from the API's own schemas.

GET / serves the page, /portal/assets/<file> its CSS, JS and icon, /portal/config.json the embedding
settings the page needs. Every response of this blueprint carries the page's security headers.

Settings (app.config, else the environment):
- FRAME_ANCESTORS / RECOMMENDER_FRAME_ANCESTORS: who may frame the page (CSP frame-ancestors sources,
  space or comma separated; default 'self').
- EMBED_ORIGINS / RECOMMENDER_EMBED_ORIGINS: exact origins whose postMessage requests the page answers
  (comma or space separated; default none).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory

from api.config import ConfigError

ASSETS = Path(__file__).resolve().parent / "static" / "portal"

blueprint = Blueprint("portal", __name__, static_folder=str(ASSETS), static_url_path="/portal/assets")

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
def _check_settings(state: Any) -> None:
    """A wrong setting stops the app at start-up rather than failing every page view."""
    frame_ancestors(state.app)
    embed_origins(state.app)


@blueprint.get("/")
def index() -> Response:
    return send_from_directory(ASSETS, "index.html", max_age=0)


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
