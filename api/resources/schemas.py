"""GET /v1/schemas/profile and /v1/schemas/proposal: JSON Schemas generated from the marshmallow schemas."""

from __future__ import annotations

from functools import cache

from flask import Response
from flask_smorest import Blueprint

from api.openapi import json_schema, problem_responses
from api.resources.recommendations import query_options
from recommender.evaluation import ProposalSchema
from recommender.profile_schema import ProfileSchema
from recommender.serialize import to_json

blp = Blueprint("schemas", __name__, url_prefix="/v1/schemas", description="JSON Schemas of the inputs.")

SCHEMA_MEDIA_TYPE = "application/schema+json"
SCHEMA_RESPONSE = {
    "200": {
        "description": "A JSON Schema (draft 2020-12): titles, descriptions, enums, defaults, required fields.",
        "content": {SCHEMA_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/JsonSchema"}}},
    }
}


@cache
def profile_schema() -> bytes:
    return to_json(json_schema(ProfileSchema, "Profile"))


@cache
def proposal_schema() -> bytes:
    return to_json(json_schema(ProposalSchema, "Proposal"))


def schema_body(body: bytes) -> Response:
    return Response(body, mimetype=SCHEMA_MEDIA_TYPE, headers={"Cache-Control": "no-cache"})


@blp.route("/profile", methods=["GET"])
@blp.doc(
    summary="JSON Schema of a workload profile",
    responses={**SCHEMA_RESPONSE, **problem_responses(400, 401, 500)},
)
def get_profile_schema() -> Response:
    query_options(())
    return schema_body(profile_schema())


@blp.route("/proposal", methods=["GET"])
@blp.doc(
    summary="JSON Schema of an architecture proposal",
    responses={**SCHEMA_RESPONSE, **problem_responses(400, 401, 500)},
)
def get_proposal_schema() -> Response:
    query_options(())
    return schema_body(proposal_schema())
