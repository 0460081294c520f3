"""Reading a request body: media type, size limit, then recommender.documents parses it (JSON or safe YAML)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from api.problems import ApiProblem, input_problem
from recommender.documents import load_document
from recommender.errors import InputError

JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
ACCEPTED_TYPES = JSON_TYPES | YAML_TYPES


def read_body_bytes() -> bytes:
    """The raw body, refused with 413 when its declared or actual length exceeds the limit."""
    limit: int = current_app.config["RECOMMENDER_MAX_BODY_BYTES"]
    declared = request.content_length
    if declared is not None and declared <= limit:  # read what was declared (PEP 3333), without a wrapper
        return request.environ["wsgi.input"].read(declared)
    if declared is None:  # chunked: werkzeug's stream knows where it ends
        data = request.stream.read(limit + 1)
        if len(data) <= limit:
            return data
    raise ApiProblem(413, f"The request body is larger than the limit of {limit} bytes.")


def read_document() -> Any:
    """The parsed body of a POST: 415 for another media type, 413 over the limit, 400 when unparsable."""
    media_type = request.mimetype
    if media_type not in ACCEPTED_TYPES:
        given = f"'{media_type}'" if media_type else "no Content-Type"
        raise ApiProblem(
            415, f"Send JSON or YAML (Content-Type: application/json or application/yaml), not {given}."
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiProblem(415, f"Bodies must be UTF-8, not charset '{charset}'.")
    data = read_body_bytes()
    if not data.strip():
        raise ApiProblem(400, "The request body is empty.")
    try:
        return load_document(data, "application/json" if media_type in JSON_TYPES else "application/yaml")
    except InputError as exc:
        raise input_problem(exc) from None
