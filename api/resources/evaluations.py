"""POST /v1/evaluations and /v1/evaluations/batch: evaluate architecture proposals (proposal.md).

A single evaluation also accepts infrastructure code instead of a proposal:
{"source": "cloudformation" | "terraform", "template" | "plan": <text or parsed document>}.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from api.batch import answer_each, batch_items
from api.body import read_document
from api.openapi import json_response, problem_responses, request_body
from api.problems import ApiProblem
from api.resources.recommendations import json_body, query_options
from api.state import current_kb
from recommender.evaluation import BatchSummary, evaluate, load_proposal
from recommender.evaluation.drawing import DrawingError, render_svg
from recommender.evaluation.policy import finding_ids
from recommender.knowledge import KnowledgeBase

blp = Blueprint(
    "evaluations", __name__, url_prefix="/v1/evaluations", description="Evaluate architecture proposals."
)

BODY_PROBLEMS = problem_responses(400, 401, 413, 415, 422, 500)
SVG = "image/svg+xml"
EXPAND_PARAMETER = {
    "in": "query",
    "name": "expand",
    "required": False,
    "description": "For the drawing (`?diagram=svg` or `Accept: image/svg+xml`): comma-separated VPC ids to draw "
    "in full when a large proposal's subnets are folded into their VPCs.",
    "schema": {"type": "string"},
}
DIAGRAM_VALUES = ("false", "true", "svg")


DIAGRAM_PARAMETER = {
    "in": "query",
    "name": "diagram",
    "required": False,
    "description": "true: add the `diagram` section (nodes, links, each flow's hops and where it stops); "
    "svg: also its drawing, as SVG text in `diagram.svg` (one request for pages that show both).",
    "schema": {"type": "string", "enum": ["true", "false", "svg"]},
}


def evaluate_document(document: Any, kb: KnowledgeBase, *, diagram: bool = False) -> dict[str, Any]:
    return evaluate(
        load_proposal(document, finding_ids=finding_ids(kb)), kb, today=date.today(), diagram=diagram
    )


def wants_diagram() -> str:
    """`?diagram=`: false (default), true (the diagram section) or svg (and its drawing in `diagram.svg`)."""
    value = query_options(("diagram", "expand")).get("diagram", "false")
    if value not in DIAGRAM_VALUES:
        raise ApiProblem(
            400,
            "Invalid query parameter.",
            errors={"diagram": [f"Must be one of: {', '.join(DIAGRAM_VALUES)}."]},
        )
    return value


def expanded(result: Mapping[str, Any]) -> list[str]:
    """`?expand=vpc-a,vpc-b`: VPCs to draw in full even when a large proposal's subnets are folded."""
    wanted = [v for v in request.args.get("expand", "").split(",") if v]
    vpcs = {n["id"] for n in result["diagram"]["nodes"] if n["kind"] == "vpc"}
    unknown = [v for v in wanted if v not in vpcs]
    if unknown:
        raise ApiProblem(
            400,
            "Invalid query parameter.",
            errors={"expand": [f"Not a VPC of the proposal: {', '.join(unknown)}."]},
        )
    return wanted


def drawn(result: dict[str, Any]) -> dict[str, Any]:
    """The evaluation with its drawing in `diagram.svg` (or why not in `diagram.drawing_error`)."""
    try:
        result["diagram"]["svg"] = render_svg(
            result["diagram"], title=title(result), expand=expanded(result)
        ).decode()
    except DrawingError as exc:
        result["diagram"]["drawing_error"] = str(exc)
    return result


def title(result: Mapping[str, Any]) -> str:
    return f"Topology of {result['name'] or 'the proposal'}"


def imported(document: Any) -> Any:
    """The proposal a {"source": ..., "template"/"plan": ...} body stands for; other documents unchanged."""
    if not isinstance(document, Mapping) or "source" not in document:
        return document
    from recommender.errors import InputError
    from recommender.importers import invalid_import, to_proposal

    key = "plan" if document["source"] == "terraform" else "template"  # an unknown source is refused below
    extra = sorted(set(document) - {"source", key, "filename"})
    errors = {name: ["Unknown field."] for name in extra}
    if key not in document:
        errors[key] = [f"Missing: a {document['source']} import gives its document in '{key}'."]
    if errors:
        raise InputError("The import request is invalid.", errors)
    source = document[key]
    proposal = to_proposal(str(document["source"]), source, str(document.get("filename") or "template"))
    try:
        load_proposal(proposal)
    except InputError as exc:  # name the template or plan lines behind the refused fields
        raise invalid_import(proposal, exc) from None
    return proposal


@blp.route("", methods=["POST"])
@blp.doc(
    summary="Evaluate one architecture proposal, CloudFormation template or Terraform plan",
    parameters=[DIAGRAM_PARAMETER, EXPAND_PARAMETER],
    responses={
        "200": {
            **json_response("The evaluation (proposal.md).", {"$ref": "#/components/schemas/Evaluation"}),
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Evaluation"}},
                SVG: {
                    "schema": {
                        "type": "string",
                        "description": "With `Accept: image/svg+xml`: the topology "
                        "diagram drawn as a standalone SVG (Graphviz).",
                    }
                },
            },
        },
        **BODY_PROBLEMS,
        **problem_responses(503),
    },
    **request_body(
        "EvaluationRequest",
        "An architecture proposal (proposal.md), or {source: cloudformation|terraform, template|plan}, "
        "as JSON or YAML.",
    ),
)
def create_evaluation() -> Response:
    diagram = wants_diagram()
    kb = current_kb()
    if wants_svg():
        result = evaluate_document(imported(read_document()), kb, diagram=True)
        try:
            svg = render_svg(result["diagram"], title=title(result), expand=expanded(result))
        except DrawingError as exc:
            raise ApiProblem(503, str(exc), title="The diagram cannot be drawn.") from None
        return Response(svg, mimetype=SVG)
    if "expand" in request.args and diagram != "svg":
        raise ApiProblem(400, "Invalid query parameter.", errors={"expand": ["Applies to the drawing only: "
                         "use it with diagram=svg or Accept: image/svg+xml."]})  # fmt: skip
    result = evaluate_document(imported(read_document()), kb, diagram=diagram != "false")
    return json_body(drawn(result) if diagram == "svg" else result)


def wants_svg() -> bool:
    """`Accept: image/svg+xml` (preferred over JSON) asks for the topology diagram drawn as SVG."""
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", SVG], default="application/json") == SVG and (
        accept[SVG] > accept["application/json"]
    )


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
