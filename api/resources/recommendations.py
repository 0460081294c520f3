"""POST /v1/recommendations and /v1/recommendations/batch.

The body of a single recommendation is exactly recommender.serialize.to_json(document): the same bytes as
`recommender recommend FILE --format json`. More views (e.g. /compare) can be added to `blp` the same way.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from api.batch import answer_each, batch_items, is_error
from api.body import read_document
from api.observability import metrics
from api.openapi import json_response, problem_responses, request_body
from api.problems import ApiProblem
from api.state import current_kb
from recommender import EXPLAIN_LEVELS, recommend
from recommender.knowledge import KnowledgeBase
from recommender.profile import load_profile
from recommender.serialize import to_json

blp = Blueprint(
    "recommendations",
    __name__,
    url_prefix="/v1/recommendations",
    description="Recommend how to run a workload.",
)

EXPLAIN_PARAMETER = {
    "in": "query",
    "name": "explain",
    "required": False,
    "description": "Add each domain's `what_would_change` (changes), and the rule trace too (full).",
    "schema": {"type": "string", "enum": list(EXPLAIN_LEVELS)},
}
BODY_PROBLEMS = problem_responses(400, 401, 413, 415, 422, 500)
RECOMMENDATION_OR_RECORD = json_response(
    "The recommendation (response.md); with `Accept: text/markdown` preferred over JSON, its Architecture "
    "Decision Record instead: the markdown `recommender recommend FILE --format adr` writes, with "
    "`what_would_change` computed (explain=changes unless `explain` says otherwise).",
    {"$ref": "#/components/schemas/Recommendation"},
)
RECOMMENDATION_OR_RECORD["content"]["text/markdown"] = {"schema": {"type": "string"}}


def json_body(document: Any, status: int = 200) -> Response:
    return Response(to_json(document), status=status, mimetype="application/json")


def query_options(allowed: tuple[str, ...]) -> dict[str, str]:
    """Query parameters, refusing unknown ones (a silently ignored parameter would mislead)."""
    if not request.environ.get("QUERY_STRING"):  # most requests: nothing to parse
        return {}
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise ApiProblem(
            400,
            "Unknown query parameter(s).",
            errors={name: ["Unknown query parameter."] for name in unknown},
        )
    return {name: request.args[name] for name in allowed if name in request.args}


def explain_level() -> str | None:
    level = query_options(("explain",)).get("explain")
    if level is not None and level not in EXPLAIN_LEVELS:
        raise ApiProblem(
            400,
            "Invalid query parameter.",
            errors={"explain": [f"Must be one of: {', '.join(EXPLAIN_LEVELS)}."]},
        )
    return level


def recommend_one(document: Any, kb: KnowledgeBase, explain: str | None) -> dict[str, Any]:
    result = recommend(load_profile(document), kb, explain=explain)
    metrics().count_decisions(result)
    return result


PLAIN_ACCEPTS = frozenset({None, "", "*/*", "application/json"})


def wants_markdown() -> bool:
    """`Accept: text/markdown` (preferred over JSON) asks for the Architecture Decision Record."""
    if request.environ.get("HTTP_ACCEPT") in PLAIN_ACCEPTS:  # most requests: nothing to parse
        return False
    best = request.accept_mimetypes.best_match(
        ["application/json", "text/markdown"], default="application/json"
    )
    return (
        best == "text/markdown"
        and request.accept_mimetypes["text/markdown"] > request.accept_mimetypes["application/json"]
    )


@blp.route("", methods=["POST"])
@blp.doc(
    summary="Recommend for one workload profile",
    parameters=[EXPLAIN_PARAMETER],
    responses={"200": RECOMMENDATION_OR_RECORD, **BODY_PROBLEMS},
    **request_body("Profile", "A workload profile (profile.md), as JSON or YAML."),
)
def create_recommendation() -> Response:
    explain = explain_level()
    kb = current_kb()
    document = read_document()
    if wants_markdown():
        from recommender.explain.adr import render_adr

        profile = load_profile(document)
        result = recommend(profile, kb, explain=explain or "changes")
        metrics().count_decisions(result)
        return Response(render_adr(result, profile, kb.domain_titles), mimetype="text/markdown")
    return json_body(recommend_one(document, kb, explain))


@blp.route("/compare", methods=["POST"])
@blp.doc(
    summary="Compare the recommendations for two profiles",
    description="Per domain: whether the winner changed, score moves, rules that started or stopped firing.",
    responses={
        "200": json_response("The comparison.", {"$ref": "#/components/schemas/Comparison"}),
        **BODY_PROBLEMS,
    },
    **request_body("CompareRequest", 'A JSON or YAML object {"before": profile, "after": profile}.'),
)
def compare_recommendations() -> Response:
    from recommender.explain import compare

    query_options(())
    document = read_document()
    if not isinstance(document, dict):
        raise ApiProblem(
            422, "The comparison request is invalid.", errors={"compare": ["Must be an object."]}
        )
    errors = {key: ["Missing data for required field."] for key in ("before", "after") if key not in document}
    errors.update({key: ["Unknown field."] for key in document if key not in ("before", "after")})
    if errors:
        raise ApiProblem(422, "The comparison request is invalid.", errors=errors)
    return json_body(compare(document["before"], document["after"], current_kb()))


@blp.route("/batch", methods=["POST"])
@blp.doc(
    summary="Recommend for many profiles",
    description="An invalid profile does not fail the batch: its result is {index, error} and it is counted.",
    parameters=[EXPLAIN_PARAMETER],
    responses={"200": json_response("One result per profile, in order, and a summary.",
                                    {"$ref": "#/components/schemas/RecommendationBatch"}), **BODY_PROBLEMS},
    **request_body("RecommendationBatchRequest", 'A JSON or YAML object {"profiles": [profile, ...]}.'),
)  # fmt: skip
def create_recommendation_batch() -> Response:
    explain = explain_level()
    kb = current_kb()
    profiles = batch_items(read_document(), "profiles")
    results = answer_each(profiles, lambda profile: recommend_one(profile, kb, explain))
    winners: dict[str, dict[str, int]] = {}
    for result in results:
        for domain, answer in result.get("recommendations", {}).items():
            winner = answer["options"][0]["id"] if answer["options"] else "none"
            counts = winners.setdefault(domain, {})
            counts[winner] = counts.get(winner, 0) + 1
    errors = sum(1 for r in results if is_error(r))
    summary = {
        "total": len(results),
        "succeeded": len(results) - errors,
        "errors": errors,
        "winners": winners,
    }
    return json_body({"results": results, "summary": summary})
