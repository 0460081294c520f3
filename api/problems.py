"""The only place an exception becomes an HTTP answer: RFC 9457 application/problem+json.

Views raise ApiProblem (or let an InputError, HTTPException or any other exception escape); the handlers
registered here turn each into {type, title, status, detail[, errors]}. A 500 never shows internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from recommender.errors import DocumentError, InputError
from recommender.serialize import to_json

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:recommender:problem:"

# status -> (problem type slug, title). Statuses without an entry use "about:blank" and the HTTP phrase.
PROBLEM_TYPES: dict[int, tuple[str, str]] = {
    400: ("malformed-request", "Malformed request"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-document", "Invalid document"),
}

log = logging.getLogger("recommender.api")


class ApiProblem(Exception):
    """Raise in a view to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        title: str | None = None,
        lines: Mapping[str, int] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = dict(errors) if errors else None
        self.lines = dict(lines) if lines else None
        self.headers = dict(headers or {})
        self.title = title


def problem_document(
    status: int,
    detail: str,
    *,
    errors: Mapping[str, list[str]] | None = None,
    title: str | None = None,
    lines: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """`lines` (an extension member): the line of the YAML body each path of `errors` was written on."""
    slug, default_title = PROBLEM_TYPES.get(status, (None, HTTPStatus(status).phrase))
    document: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    if errors:
        document["errors"] = {path: list(messages) for path, messages in errors.items()}
    if lines:
        document["lines"] = dict(lines)
    return document


def problem_response(
    status: int,
    detail: str,
    *,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    title: str | None = None,
    lines: Mapping[str, int] | None = None,
) -> Response:
    body = to_json(problem_document(status, detail, errors=errors, title=title, lines=lines))
    response = Response(body, status=status, mimetype=PROBLEM_MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def input_problem(exc: InputError) -> ApiProblem:
    """A document that cannot be parsed is a 400; one that parses but breaks the contract is a 422."""
    if isinstance(exc, DocumentError):
        return ApiProblem(400, f"The request body cannot be parsed: {exc.describe()}")
    return ApiProblem(422, exc.detail, errors=exc.errors, lines=exc.lines)


def _from_problem(exc: ApiProblem) -> Response:
    return problem_response(
        exc.status, exc.detail, errors=exc.errors, headers=exc.headers, title=exc.title, lines=exc.lines
    )


def _from_input_error(exc: InputError) -> Response:
    return _from_problem(input_problem(exc))


def _from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    detail = {
        404: "No resource at this path.",
        405: f"This path does not accept that method (allowed: {headers.get('Allow', 'none')}).",
    }.get(status, exc.description or HTTPStatus(status).phrase)
    return problem_response(status, detail, headers=headers)


def _from_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error while answering the request")
    return problem_response(500, "The server failed to answer this request; it has been logged.")


def register_problem_handlers(app: Flask) -> None:
    """Install the handlers. Call after flask-smorest's Api, whose HTTPException handler this replaces."""
    app.register_error_handler(ApiProblem, _from_problem)
    app.register_error_handler(InputError, _from_input_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
