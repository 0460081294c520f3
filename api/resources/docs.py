"""Swagger UI's assets, served from the flask-swagger-ui package so /docs works with no internet access."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, send_from_directory

ASSETS_URL = "/swagger-assets/"
ASSETS_DIR = Path(flask_swagger_ui.__file__).resolve().parent / "dist"

blueprint = Blueprint("swagger_assets", __name__)


@blueprint.route(ASSETS_URL + "<path:filename>")
def swagger_asset(filename: str) -> Response:
    response = send_from_directory(ASSETS_DIR, filename, max_age=86400)
    return response
