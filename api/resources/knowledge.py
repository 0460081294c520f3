"""GET /v1/knowledge and /v1/knowledge/<domain>: what the knowledge base knows, cacheable by its digest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from api.openapi import json_response, problem_responses
from api.problems import ApiProblem
from api.resources.recommendations import json_body, query_options
from api.state import current_kb
from recommender.knowledge import Domain, KnowledgeBase, Rule

blp = Blueprint("knowledge", __name__, url_prefix="/v1/knowledge", description="The knowledge base.")

ETAG_HEADERS = ("ETag", "X-Knowledge-Digest")
NOT_MODIFIED = {"304": {"description": "Not modified: If-None-Match matched the knowledge base's digest."}}


def cached(document_of: Any, kb: KnowledgeBase) -> Response:
    """200 with ETag = digest, or 304 when the client already has this knowledge base."""
    tag = kb.digest if kb.policy is None else f"{kb.digest}+{kb.policy.digest}"  # a new policy: a new tag
    response = Response(status=304) if request.if_none_match.contains_weak(tag) else json_body(document_of())
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def plain(value: Any) -> Any:
    """Frozen knowledge structures (mapping proxies, tuples) as plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def describe_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "targets": list(rule.targets),
        "effect": "exclude" if rule.exclude else {"score": rule.score},
        "priority": rule.priority,
        "condition": {"computed": rule.computes} if rule.computes else plain(rule.condition.source),
        "reason": rule.reason,
        "caveat": rule.caveat,
        "sources": list(rule.sources),
        **({"origin": "policy"} if rule.policy else {}),
    }


def describe_domain(domain: Domain) -> dict[str, Any]:
    return {
        "id": domain.id,
        "name": domain.name,
        "section": domain.section,
        "base": domain.base,
        "acceptable_gap": domain.acceptable_gap,
        "options": [
            {
                "id": option.id,
                "name": option.name,
                "summary": option.summary,
                "caveats": list(option.caveats),
                "sources": list(option.sources),
                **({"attributes": plain(option.attributes)} if option.attributes else {}),
            }
            for option in domain.options
        ],
        "rules": [describe_rule(rule) for rule in domain.all_rules],
    }


def summarize(kb: KnowledgeBase) -> dict[str, Any]:
    return {
        "version": kb.version,
        "digest": kb.digest,
        "domains": [
            {
                "id": d.id,
                "name": d.name,
                "section": d.section,
                "options": [{"id": o.id, "name": o.name} for o in d.options],
                "rule_count": len(d.rules),
            }
            for d in kb.domains.values()
        ],
        "finding_count": len(kb.findings),
        **({"policy": {**kb.policy.identity, "owner": kb.policy.owner}} if kb.policy is not None else {}),
    }


@blp.route("", methods=["GET"])
@blp.doc(
    summary="Version, digest, domains with their options and rule counts",
    responses={
        "200": json_response("The knowledge base at a glance.", {"$ref": "#/components/schemas/KnowledgeSummary"},
                             ETAG_HEADERS),
        **NOT_MODIFIED,
        **problem_responses(400, 401, 500),
    },
)  # fmt: skip
def get_knowledge() -> Response:
    query_options(())
    kb = current_kb()
    return cached(lambda: summarize(kb), kb)


@blp.route("/<string:domain>", methods=["GET"])
@blp.doc(
    summary="One domain's options and rules, with reasons and sources",
    responses={
        "200": json_response("The domain.", {"$ref": "#/components/schemas/KnowledgeDomain"}, ETAG_HEADERS),
        **NOT_MODIFIED,
        **problem_responses(400, 401, 404, 500),
    },
)
def get_knowledge_domain(domain: str) -> Response:
    query_options(())
    kb = current_kb()
    if domain not in kb.domains:
        raise ApiProblem(404, f"No domain '{domain}'. Known domains: {', '.join(kb.domains)}.")
    return cached(lambda: describe_domain(kb.domains[domain]), kb)
