"""The HTTP API (shared/spec/http.md): a thin Flask adapter over the recommender library.

app = create_app()                     # defaults < RECOMMENDER_* environment < mapping passed in
gunicorn --config python:api.gunicorn_conf 'api:create_app()'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from api import observability, portal, security
from api.compression import init_compression
from api.config import ConfigError, resolve_settings
from api.openapi import OPENAPI_VERSION, Api, register_components
from api.problems import register_problem_handlers
from api.resources import docs, register
from api.state import EXTENSION, KnowledgeHolder
from recommender.knowledge import load_knowledge
from recommender.policy import load_with_policy

__all__ = ["ConfigError", "create_app"]

API_TITLE = "AWS workload recommender"
API_VERSION = "v1"


class App(Flask):
    """Flask, deciding once per view or hook whether it is a coroutine function (Flask asks `inspect` again for
    each of them on every request: seven times per recommendation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Raises ConfigError for a bad setting and KnowledgeError (file:line problems) for a bad KB or policy.

    `config` may also hold KNOWLEDGE_BASE: an already loaded KnowledgeBase (tests, embedding), used as is.
    """
    settings = resolve_settings(config)
    app = App(__name__, static_folder=None)
    app.config.update(config or {})  # keys other than the settings (e.g. the portal's) pass through
    app.config.update(settings)
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION=OPENAPI_VERSION,
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=docs.ASSETS_URL,
        API_SPEC_OPTIONS={
            "info": {"description": "How to run a workload on AWS, and why. Errors are RFC 9457 problems."},
            "security": [{}, {"bearerAuth": []}],
        },
        MAX_CONTENT_LENGTH=None,  # api/body.py enforces RECOMMENDER_MAX_BODY_BYTES with a problem answer
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]

    kb = app.config.get("KNOWLEDGE_BASE") or load_with_policy(
        load_knowledge(settings["RECOMMENDER_KNOWLEDGE_PATH"]), settings["RECOMMENDER_POLICY_PATH"]
    )
    app.extensions[EXTENSION] = KnowledgeHolder(kb)

    observability.init_observability(app)
    security.init_security(app)
    init_compression(app)

    api = Api(app)
    register_components(api)
    register(api)
    app.register_blueprint(docs.blueprint)
    app.register_blueprint(portal.blueprint)
    register_problem_handlers(app)
    return app
