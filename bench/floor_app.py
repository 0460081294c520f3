"""The framework's floor: a bare Flask app that answers POST /v1/recommendations with precomputed bytes.

It does what the real endpoint cannot avoid doing (read the body, hand bytes back) and nothing else: the
answer for each body is looked up in a map built before the server starts. bench/run serves it with the
same gunicorn settings as the recommender (`--config python:api.gunicorn_conf`), so the ratio of the two
throughputs is the price of everything the recommender does per request.

FLOOR_BODIES and FLOOR_RESPONSES name two files of equally many lines: request bodies and their answers.
"""

from __future__ import annotations

import os

from flask import Flask, Response, request


def load_answers() -> dict[bytes, bytes]:
    with (
        open(os.environ["FLOOR_BODIES"], "rb") as bodies,
        open(os.environ["FLOOR_RESPONSES"], "rb") as answers,
    ):
        return {
            body.rstrip(b"\n"): answer.rstrip(b"\n") for body, answer in zip(bodies, answers, strict=True)
        }


ANSWERS = load_answers()
app = Flask(__name__)


@app.post("/v1/recommendations")
def recommendation() -> Response:
    return Response(ANSWERS[request.get_data()], mimetype="application/json")


@app.get("/healthz")
def healthz() -> Response:
    return Response(b'{"status":"ok"}', mimetype="application/json")
