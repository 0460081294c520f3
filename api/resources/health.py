"""GET /healthz (the process answers) and /readyz (the knowledge base is loaded). Open even with API keys."""

from __future__ import annotations

from flask import Response, current_app
from flask_smorest import Blueprint

from api.openapi import json_response
from api.problems import problem_response
from api.resources.recommendations import json_body
from api.state import EXTENSION, current_kb
from recommender import ENGINE_BUILD

blp = Blueprint("health", __name__, description="Liveness and readiness.")

HEALTH = {"$ref": "#/components/schemas/Health"}


@blp.route("/healthz", methods=["GET"])
@blp.doc(summary="Liveness", security=[], responses={"200": json_response("The process is alive.", HEALTH)})
def healthz() -> Response:
    return json_body({"status": "ok"})


@blp.route("/readyz", methods=["GET"])
@blp.doc(
    summary="Readiness: the knowledge base is loaded",
    security=[],
    responses={"200": json_response("Ready; the knowledge base's version and digest.", HEALTH)},
)
def readyz() -> Response:
    holder = current_app.extensions.get(EXTENSION)
    if holder is None:
        return problem_response(503, "The knowledge base is not loaded.")
    return json_body({"status": "ready", "knowledge_base": current_kb().identity, "engine": ENGINE_BUILD})
