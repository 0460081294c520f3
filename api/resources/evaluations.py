"""POST /v1/evaluations and /v1/evaluations/batch: evaluate architecture proposals (proposal.md).

recommender.evaluation is imported when a request arrives; until it provides load_proposal and evaluate,
these endpoints answer 501 rather than pretend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api.batch import answer_each, batch_items, is_error
from api.body import read_document
from api.openapi import json_response, problem_responses, request_body
from api.problems import ApiProblem
from api.resources.recommendations import json_body, query_options
from api.state import current_kb

blp = Blueprint(
    "evaluations", __name__, url_prefix="/v1/evaluations", description="Evaluate architecture proposals."
)

SEVERITIES = ("critical", "high", "medium", "low")
VERDICTS = ("pass", "warn", "fail")
BODY_PROBLEMS = problem_responses(400, 401, 413, 415, 422, 500, 501)


def evaluator() -> Callable[[Any], dict[str, Any]]:
    """document -> evaluation, or 501 while recommender.evaluation is not there yet."""
    try:
        from recommender.evaluation import (  # type: ignore[attr-defined,unused-ignore]
            evaluate,
            load_proposal,
        )
    except ImportError:
        raise ApiProblem(501, "Evaluating proposals is not available in this build yet.") from None
    kb = current_kb()
    return lambda document: evaluate(load_proposal(document), kb)  # type: ignore[no-any-return,unused-ignore]


@blp.route("", methods=["POST"])
@blp.doc(
    summary="Evaluate one architecture proposal",
    responses={
        "200": json_response("The evaluation (proposal.md).", {"$ref": "#/components/schemas/Evaluation"}),
        **BODY_PROBLEMS,
    },
    **request_body("Proposal", "An architecture proposal (proposal.md), as JSON or YAML."),
)
def create_evaluation() -> Response:
    query_options(())
    evaluate_one = evaluator()
    return json_body(evaluate_one(read_document()))


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by verdict, items in error, and findings by severity (acknowledged ones included)."""
    summary: dict[str, Any] = {"total": len(results), **dict.fromkeys(VERDICTS, 0), "errors": 0}
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for result in results:
        if is_error(result):
            summary["errors"] += 1
            continue
        summary[result["verdict"]] += 1
        for finding in result.get("findings", []):
            by_severity[finding["severity"]] = by_severity.get(finding["severity"], 0) + 1
    summary["findings_by_severity"] = by_severity
    return summary


@blp.route("/batch", methods=["POST"])
@blp.doc(
    summary="Evaluate many proposals",
    description="An invalid proposal does not fail the batch: its result is {index, error} and it is counted.",
    responses={"200": json_response("One result per proposal, in order, and a summary.",
                                    {"$ref": "#/components/schemas/EvaluationBatch"}), **BODY_PROBLEMS},
    **request_body("EvaluationBatchRequest", 'A JSON or YAML object {"proposals": [proposal, ...]}.'),
)  # fmt: skip
def create_evaluation_batch() -> Response:
    query_options(())
    evaluate_one = evaluator()
    results = answer_each(batch_items(read_document(), "proposals"), evaluate_one)
    return json_body({"results": results, "summary": summarize(results)})
