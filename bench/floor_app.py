"""The floors: bare Flask apps that answer POST /v1/recommendations with precomputed answers.

It does what the real endpoint cannot avoid doing (read the body, hand bytes back) and nothing else: the
answer for each body is looked up in a map built before the server starts. bench/run serves it with the
same gunicorn settings as the recommender (`--config python:api.gunicorn_conf`), so the ratio of the two
throughputs is the price of everything the recommender does per request.

FLOOR_BODIES and FLOOR_RESPONSES name two files of equally many lines: request bodies and their answers.
FLOOR_MODE=framework is the floor any Flask JSON API of this size pays: it parses the body as JSON and
answers with the same document re-encoded by Flask's own JSON provider (`app.json.response`), instead of
handing back the precomputed bytes.
"""

from __future__ import annotations

import json
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
FRAMEWORK = os.environ.get("FLOOR_MODE") == "framework"
DOCUMENTS = {body: json.loads(answer) for body, answer in ANSWERS.items()} if FRAMEWORK else {}
app = Flask(__name__)


@app.post("/v1/recommendations")
def recommendation() -> Response:
    if FRAMEWORK:
        request.get_json()  # parsed, as any JSON API parses its body
        return app.json.response(DOCUMENTS[request.get_data()])
    return Response(ANSWERS[request.get_data()], mimetype="application/json")


@app.get("/healthz")
def healthz() -> Response:
    return Response(b'{"status":"ok"}', mimetype="application/json")
