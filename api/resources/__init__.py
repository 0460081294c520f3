"""One flask-smorest blueprint per resource; `register` adds them all to the Api."""

from __future__ import annotations

from api.openapi import Api
from api.resources import evaluations, health, knowledge, metrics, recommendations, schemas

BLUEPRINTS = (
    recommendations.blp,
    evaluations.blp,
    knowledge.blp,
    schemas.blp,
    health.blp,
    metrics.blp,
)


def register(api: Api) -> None:
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
