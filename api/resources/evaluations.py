"""POST /v1/evaluations and /v1/evaluations/batch: evaluate architecture proposals (proposal.md).

A single evaluation also accepts infrastructure code instead of a proposal:
{"source": "cloudformation" | "terraform", "template" | "plan": <text or parsed document>}.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api.batch import answer_each, batch_items
from api.body import read_document
from api.openapi import json_response, problem_responses, request_body
from api.resources.recommendations import json_body, query_options
from api.state import current_kb
from recommender.evaluation import BatchSummary, evaluate, load_proposal
from recommender.evaluation.policy import finding_ids
from recommender.knowledge import KnowledgeBase

blp = Blueprint(
    "evaluations", __name__, url_prefix="/v1/evaluations", description="Evaluate architecture proposals."
)

BODY_PROBLEMS = problem_responses(400, 401, 413, 415, 422, 500)


def evaluate_document(document: Any, kb: KnowledgeBase) -> dict[str, Any]:
    return evaluate(load_proposal(document, finding_ids=finding_ids(kb)), kb, today=date.today())


def imported(document: Any) -> Any:
    """The proposal a {"source": ..., "template"/"plan": ...} body stands for; other documents unchanged."""
    if not isinstance(document, Mapping) or "source" not in document:
        return document
    from recommender.importers import to_proposal

    extra = sorted(set(document) - {"source", "template", "plan", "filename"})
    if extra:
        from recommender.errors import InputError

        raise InputError("The import request is invalid.", {name: ["Unknown field."] for name in extra})
    source = document.get("template", document.get("plan"))
    return to_proposal(str(document["source"]), source, str(document.get("filename") or "template"))


@blp.route("", methods=["POST"])
@blp.doc(
    summary="Evaluate one architecture proposal, CloudFormation template or Terraform plan",
    responses={
        "200": json_response("The evaluation (proposal.md).", {"$ref": "#/components/schemas/Evaluation"}),
        **BODY_PROBLEMS,
    },
    **request_body(
        "EvaluationRequest",
        "An architecture proposal (proposal.md), or {source: cloudformation|terraform, template|plan}, "
        "as JSON or YAML.",
    ),
)
def create_evaluation() -> Response:
    query_options(())
    kb = current_kb()
    return json_body(evaluate_document(imported(read_document()), kb))


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
    kb = current_kb()
    results = answer_each(batch_items(read_document(), "proposals"), lambda d: evaluate_document(d, kb))
    summary = BatchSummary()
    for result in results:
        summary.add(result)
    return json_body({"results": results, "summary": summary.as_dict()})
