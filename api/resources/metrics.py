"""GET /metrics: Prometheus text format (all workers with PROMETHEUS_MULTIPROC_DIR; see docs/api.md)."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from prometheus_client import CONTENT_TYPE_LATEST

from api.observability import exposition, metrics
from api.openapi import problem_responses

blp = Blueprint("metrics", __name__, description="Prometheus metrics.")


@blp.route("/metrics", methods=["GET"])
@blp.doc(
    summary="Prometheus metrics: requests, latency, decisions",
    responses={"200": {"description": "Prometheus text exposition format.",
                       "content": {"text/plain": {"schema": {"type": "string"}}}},
               **problem_responses(401, 500)},
)  # fmt: skip
def get_metrics() -> Response:
    return Response(exposition(metrics()), mimetype=None, content_type=CONTENT_TYPE_LATEST)
