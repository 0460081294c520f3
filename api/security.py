"""API keys, CORS and security headers.

API keys: when RECOMMENDER_API_KEYS is set, every path except the open ones needs
`Authorization: Bearer <key>`; keys are compared in constant time and never logged.
CORS: origins in RECOMMENDER_CORS_ORIGINS (or `*`) may call from a browser; preflights are answered here.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, current_app, request

from api.problems import problem_response

OPEN_PATHS = frozenset({"/", "/healthz", "/readyz", "/openapi.json", "/docs", "/docs/"})
OPEN_PREFIXES = ("/swagger-assets/", "/static/portal/", "/portal/")
CORS_METHODS = "GET, POST, OPTIONS"
CORS_REQUEST_HEADERS = "Authorization, Content-Type, If-None-Match, X-Request-ID"
CORS_EXPOSED_HEADERS = "ETag, X-Request-ID, X-Knowledge-Digest"
CORS_MAX_AGE = "600"


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def key_is_valid(presented: str, keys: tuple[str, ...]) -> bool:
    """Compare against every key, always, in constant time per key: timing tells nothing about which matched."""
    given = presented.encode()
    matches = [hmac.compare_digest(given, key.encode()) for key in keys]
    return any(matches)


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _require_key() -> Response | None:
    keys: tuple[str, ...] = current_app.config["RECOMMENDER_API_KEYS"]
    if is_open_path(request.path) or is_preflight():
        return None
    token = _bearer_token()
    if token is not None and key_is_valid(token, keys):
        return None
    detail = "Send a valid API key as 'Authorization: Bearer <key>'."
    challenge = 'Bearer realm="recommender"'
    if token is not None:
        challenge += ', error="invalid_token"'
        detail = "The API key is not valid. " + detail
    return problem_response(401, detail, headers={"WWW-Authenticate": challenge})


def _allowed_origin(origin: str | None) -> str | None:
    origins: tuple[str, ...] = current_app.config["RECOMMENDER_CORS_ORIGINS"]
    if not origin or not origins:
        return None
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def is_preflight() -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def _answer_preflight() -> Response | None:
    if not is_preflight():
        return None
    response = Response(status=204)
    if _allowed_origin(request.headers.get("Origin")) is not None:
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    return response


def _decorate(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not response.headers.getlist("Cache-Control"):  # (setdefault raises inside when it is absent)
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["RECOMMENDER_CORS_ORIGINS"]:  # CORS configured: look at the Origin
        allowed = _allowed_origin(request.headers.get("Origin"))
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
        response.vary.add("Origin")
    return response


def init_security(app: Flask) -> None:
    """Register after observability, so a refused request still gets its request id and log line."""
    app.before_request(_answer_preflight)
    if app.config["RECOMMENDER_API_KEYS"]:
        app.before_request(_require_key)
    app.after_request(_decorate)
