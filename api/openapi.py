"""The OpenAPI description (flask-smorest + apispec) and JSON Schemas generated from the marshmallow schemas.

Request bodies are documented here rather than parsed by webargs: the API reads JSON and YAML itself
(api/body.py) so that both give the same answers and the same problems.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import flask_smorest
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from api.body import JSON_TYPES, YAML_TYPES
from api.problems import PROBLEM_MEDIA_TYPE
from recommender.evaluation import ProposalSchema
from recommender.knowledge import SEVERITIES
from recommender.profile_schema import ProfileSchema
from recommender.schema_fields import Label

OPENAPI_VERSION = "3.0.3"


class ProblemSchema(Schema):
    """RFC 9457 problem details: every error this API returns."""

    type = fields.String(required=True, metadata={"description": "URI identifying the kind of problem."})
    title = fields.String(required=True, metadata={"description": "Short summary of the kind of problem."})
    status = fields.Integer(required=True, metadata={"description": "HTTP status code."})
    detail = fields.String(required=True, metadata={"description": "What went wrong with this request."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation messages by field path, e.g. workload.vcpus."},
    )
    lines = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "For a YAML body: the line each path of `errors` was written on (the line of its "
            "key, or of the element a missing field belongs in)."
        },
    )


class Api(flask_smorest.Api):
    """flask-smorest's Api without its own error payload: errors are documented per operation as problems."""

    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ProblemSchema


def _label_property(self: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """A Label accepts a string or an integer (an account id YAML read unquoted)."""
    return {"anyOf": [{"type": "string"}, {"type": "integer"}]} if isinstance(field, Label) else {}


def describe_custom_fields(plugin: MarshmallowPlugin) -> None:
    """Teach apispec the fields of recommender.schema_fields whose JSON type is not their base class's."""
    plugin.map_to_openapi_type(Label, None, None)
    plugin.converter.add_attribute_function(_label_property)  # type: ignore[union-attr]


def problem_responses(*statuses: int) -> dict[str, Any]:
    """OpenAPI responses for these error statuses, each an application/problem+json Problem."""
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        str(status): {"description": HTTPStatus(status).phrase, "content": content} for status in statuses
    }


def request_body(schema_ref: str, description: str) -> dict[str, Any]:
    """An OpenAPI requestBody accepting the same schema as JSON or YAML."""
    schema = {"$ref": f"#/components/schemas/{schema_ref}"}
    content = {media: {"schema": schema} for media in sorted(JSON_TYPES | YAML_TYPES)}
    return {"requestBody": {"required": True, "description": description, "content": content}}


def json_response(description: str, schema: dict[str, Any], headers: Iterable[str] = ()) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = {name: {"schema": {"type": "string"}} for name in headers}
    return response


def json_schema(schema: type[Schema] | Schema, title: str) -> dict[str, Any]:
    """A self-contained JSON Schema (draft 2020-12) of a marshmallow schema: nested schemas under $defs."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(title, "1", OPENAPI_VERSION, plugins=[plugin])
    describe_custom_fields(plugin)
    spec.components.schema(title, schema=schema)
    components = copy.deepcopy(spec.to_dict()["components"]["schemas"])
    root = _rewrite_refs(components.pop(title))
    document: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        **{k: v for k, v in root.items() if k != "title"},
    }
    if components:
        document["$defs"] = {name: _rewrite_refs(body) for name, body in sorted(components.items())}
    return document


def _schema_name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: ("#/$defs/" + v.rsplit("/", 1)[-1] if k == "$ref" and isinstance(v, str) else _rewrite_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_STRINGS = {"type": "array", "items": {"type": "string"}}
_ORIGIN = {
    "type": "string",
    "enum": ["policy"],
    "description": "Present when the organisation policy (docs/policy.md) produced this entry.",
}
_POLICY_IDENTITY: dict[str, Any] = {
    "type": "object",
    "description": "The organisation policy layered on the knowledge base (docs/policy.md).",
    "required": ["name", "version", "digest"],
    "properties": {
        "name": {"type": "string"},
        "version": {"type": "string"},
        "digest": {"type": "string", "pattern": "^sha256:"},
    },
}
_KB_IDENTITY = {
    "type": "object",
    "required": ["version", "digest"],
    "properties": {
        "version": {"type": "string"},
        "digest": {"type": "string", "pattern": "^sha256:"},
        "policy": _POLICY_IDENTITY,
    },
}
_RATIONALE = {
    "type": "object",
    "required": ["rule", "impact", "reason", "sources"],
    "properties": {
        "rule": {"type": "string"},
        "impact": {"type": "number"},
        "reason": {"type": "string"},
        "sources": _STRINGS,
        "origin": _ORIGIN,
    },
}
_SUPPRESSION = {
    "type": "object",
    "description": "A suppression by the organisation policy: its reason and expiry (none: permanent).",
    "properties": {
        "reason": {"type": "string"},
        "expires": {"type": "string", "format": "date", "nullable": True},
        "permanent": {"type": "boolean"},
        "origin": _ORIGIN,
    },
}
_FINDING = {
    "type": "object",
    "required": ["id", "severity", "message"],
    "properties": {
        "id": {"type": "string"},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "resource": {"type": "string"},
        "message": {"type": "string"},
        "remediation": {"type": "string"},
        "sources": _STRINGS,
        "origin": _ORIGIN,
        "rule": {"type": "string", "description": "policy-violation: the policy rule broken (POL-...)."},
        "suppressed": _SUPPRESSION,
        "suppression_expired": _SUPPRESSION,
        "override": {
            "type": "object",
            "description": "The organisation policy re-graded this finding: the severity it had, and why.",
            "properties": {"severity": {"type": "string"}, "reason": {"type": "string"}, "origin": _ORIGIN},
        },
    },
}
_BATCH_ERROR = {
    "type": "object",
    "description": "Stands in for an item that could not be answered: its index and its problem (422, 400 or 500).",
    "required": ["index", "error"],
    "properties": {"index": {"type": "integer", "minimum": 0}, "error": _ref("Problem")},
}

# Schemas of the responses (the inputs come from the marshmallow schemas). Registered as components.
RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "KnowledgeBaseIdentity": _KB_IDENTITY,
    "Finding": _FINDING,
    "Recommendation": {
        "type": "object",
        "description": "shared/spec/response.md: per answered domain, options ranked with every point explained.",
        "required": ["api_version", "name", "knowledge_base", "recommendations", "findings", "assumptions"],
        "properties": {
            "api_version": {"type": "string", "enum": ["v1"]},
            "name": {"type": "string", "nullable": True},
            "knowledge_base": _ref("KnowledgeBaseIdentity"),
            "recommendations": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["options", "excluded", "confidence"],
                    "properties": {
                        "options": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "name", "rank", "score", "base", "rationale", "caveats"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "name": {"type": "string"},
                                    "rank": {"type": "integer", "minimum": 1},
                                    "score": {"type": "number", "minimum": 0, "maximum": 100},
                                    "base": {"type": "number"},
                                    "rationale": {"type": "array", "items": _RATIONALE},
                                    "caveats": _STRINGS,
                                    "cost": _ref("CostEstimate"),
                                },
                            },
                        },
                        "excluded": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "string"},
                                    "name": {"type": "string"},
                                    "reasons": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "rule": {"type": "string"},
                                                "reason": {"type": "string"},
                                                "sources": _STRINGS,
                                                "origin": _ORIGIN,
                                            },
                                        },
                                    },
                                },
                            },
                        },  # fmt: skip
                        "confidence": {"type": "string", "enum": ["high", "medium", "low"]},
                    },
                },
            },
            "security_group_rules": {"type": "array", "items": {"type": "object"}},
            "findings": {"type": "array", "items": _ref("Finding")},
            "assumptions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "reason"],
                    "properties": {
                        "field": {"type": "string"},
                        "value": {},
                        "reason": {"type": "string"},
                        "origin": _ORIGIN,
                    },
                },
            },  # fmt: skip
        },
    },
    "RecommendationBatch": {
        "type": "object",
        "required": ["results", "summary"],
        "properties": {
            "results": {"type": "array", "items": {"oneOf": [_ref("Recommendation"), _BATCH_ERROR]}},
            "summary": {
                "type": "object",
                "required": ["total", "succeeded", "errors"],
                "properties": {
                    "total": {"type": "integer"},
                    "succeeded": {"type": "integer"},
                    "errors": {"type": "integer"},
                    "winners": {
                        "type": "object",
                        "description": "Per domain, how many profiles each option won.",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                    },
                },
            },
        },
    },
    "Evaluation": {
        "type": "object",
        "description": "shared/spec/proposal.md: verdict, score, choices, flows and findings.",
        "required": ["verdict", "findings"],
        "properties": {
            "name": {"type": "string", "nullable": True},
            "verdict": {"type": "string", "enum": ["pass", "warn", "fail"]},
            "score": {"type": "number"},
            "knowledge_base": _ref("KnowledgeBaseIdentity"),
            "choices": {"type": "array", "items": {"type": "object"}},
            "flows": {"type": "array", "items": {"type": "object"}},
            "findings": {"type": "array", "items": _ref("Finding")},
            "notes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Checks that were skipped and why (an rds resource without a subnet).",
            },
            "diagram": _ref("Diagram"),
        },
    },
    "Diagram": {
        "type": "object",
        "description": "The topology as the evaluation saw it, for drawing (with `?diagram=true`; "
        "proposal.md, the diagram). Nodes: VPCs, subnets, transit gateways, VPNs, on-premises networks, "
        "resources and the internet, each group by id; links by kind then id; flows in the proposal's order.",
        "required": ["nodes", "links", "flows"],
        "properties": {
            "nodes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "kind", "label", "parent"],
                    "properties": {
                        "id": {"type": "string"},
                        "kind": {
                            "type": "string",
                            "description": "vpc, subnet, internet, on_premises, transit_gateway, vpn, or the "
                            "resource's type (ec2, ecs_service, eks_pod, lambda, rds, ...).",
                        },
                        "label": {"type": "string"},
                        "parent": {
                            "type": "string",
                            "nullable": True,
                            "description": "The subnet a resource sits in, the VPC of a subnet; null at the top.",
                        },
                        "cidr": {"type": "string"},
                        "public": {
                            "type": "boolean",
                            "description": "Subnets: has a route to an internet gateway.",
                        },
                        "nat_gateway": {"type": "boolean"},
                        "origin": {
                            "type": "object",
                            "description": "Imported proposals: where the element was declared.",
                            "properties": {
                                "file": {"type": "string"},
                                "line": {"type": "integer"},
                                "logical_id": {"type": "string"},
                            },
                        },
                    },
                },
            },
            "links": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "kind", "from", "to"],
                    "properties": {
                        "id": {"type": "string"},
                        "kind": {
                            "type": "string",
                            "enum": ["attachment", "internet_gateway", "peering", "vpn"],
                        },
                        "from": {"type": "string"},
                        "to": {"type": "string"},
                        "routes": {
                            "type": "boolean",
                            "description": "Peerings and attachments: routes added.",
                        },
                    },
                },
            },
            "flows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "from",
                        "to",
                        "port",
                        "reachable",
                        "hops",
                        "hop_nodes",
                        "blocked_at",
                        "reason",
                    ],
                    "properties": {
                        "from": {"type": "string"},
                        "to": {"type": "string"},
                        "port": {"type": "integer"},
                        "protocol": {"type": "string"},
                        "reachable": {"type": "boolean"},
                        "hops": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "The hops that passed, then (when blocked) the one that blocks.",
                        },
                        "hop_nodes": {
                            "type": "array",
                            "items": {"type": "string", "nullable": True},
                            "description": "For each hop, the node it happens at (null: outside AWS).",
                        },
                        "blocked_at": {
                            "type": "integer",
                            "nullable": True,
                            "description": "Index in `hops` of the blocking hop; null when reachable.",
                        },
                        "reason": {
                            "type": "string",
                            "nullable": True,
                            "description": "The flow's `blocked_by`.",
                        },
                    },
                },
            },
            "svg": {
                "type": "string",
                "description": "With `?diagram=svg`: the diagram drawn as a standalone SVG.",
            },
            "drawing_error": {
                "type": "string",
                "description": "With `?diagram=svg`, when it could not be drawn (Graphviz missing): why.",
            },
        },
    },
    "EvaluationBatch": {
        "type": "object",
        "required": ["results", "summary"],
        "properties": {
            "results": {"type": "array", "items": {"oneOf": [_ref("Evaluation"), _BATCH_ERROR]}},
            "summary": {
                "type": "object",
                "required": ["total", "pass", "warn", "fail", "errors", "findings_by_severity"],
                "properties": {
                    "total": {"type": "integer"},
                    "pass": {"type": "integer"},
                    "warn": {"type": "integer"},
                    "fail": {"type": "integer"},
                    "errors": {"type": "integer"},
                    "findings_by_severity": {"type": "object", "additionalProperties": {"type": "integer"}},
                },
            },
        },
    },
    "KnowledgeSummary": {
        "type": "object",
        "required": ["version", "digest", "domains"],
        "properties": {
            "version": {"type": "string"},
            "digest": {"type": "string"},
            "domains": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "section", "options", "rule_count"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "section": {"type": "string"},
                        "options": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "name"],
                                "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                            },
                        },
                        "rule_count": {"type": "integer"},
                    },
                },
            },
            "finding_count": {"type": "integer"},
            "policy": {
                **_POLICY_IDENTITY,
                "properties": {
                    **_POLICY_IDENTITY["properties"],
                    "owner": {"type": "string", "nullable": True},
                },
            },
        },
    },
    "KnowledgeDomain": {
        "type": "object",
        "required": ["id", "name", "section", "base", "options", "rules"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "section": {"type": "string"},
            "base": {"type": "number"},
            "options": {"type": "array", "items": {"type": "object", "required": ["id", "name", "summary"]}},
            "rules": {
                "type": "array",
                "items": {"type": "object", "required": ["id", "targets", "effect", "reason", "sources"]},
            },
        },
    },
    "JsonSchema": {"type": "object", "description": "A JSON Schema (draft 2020-12) document."},
    "CostEstimate": {
        "type": "object",
        "description": "A monthly estimate from list prices of one Region (730 hours a month), never a bill; "
        "monthly_usd is null when a price is unknown, and basis then says why.",
        "required": ["monthly_usd", "basis", "items"],
        "properties": {
            "monthly_usd": {"type": "number", "nullable": True, "minimum": 0},
            "basis": {"type": "string"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["item", "monthly_usd", "unit_price"],
                    "properties": {
                        "item": {"type": "string"},
                        "monthly_usd": {"type": "number", "minimum": 0},
                        "unit_price": {"type": "string"},
                    },
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string"},
            "knowledge_base": _ref("KnowledgeBaseIdentity"),
            "engine": {
                "type": "string",
                "enum": ["compiled", "interpreted"],
                "description": "Readiness only: whether the engine's hot modules run compiled (mypyc) or "
                "interpreted (docs/performance.md).",
            },
        },
    },
}

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "Needed on /v1 and /metrics only when the server sets RECOMMENDER_API_KEYS.",
    }
}


_FILENAME = {"type": "string", "description": "Name used in locations (default: template)."}
# Exactly what api/resources/evaluations.py accepts: a template for cloudformation, a plan for terraform;
# as parsed objects, a template has a non-empty Resources mapping and a plan has planned_values.
IMPORT_REQUEST = {
    "description": "Infrastructure code to import and evaluate in one step (see docs/importers.md).",
    "oneOf": [
        {
            "type": "object",
            "required": ["source", "template"],
            "additionalProperties": False,
            "properties": {
                "source": {"type": "string", "enum": ["cloudformation"]},
                "template": {
                    "description": "A CloudFormation template: YAML/JSON text or the parsed object.",
                    "oneOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "required": ["Resources"],
                            "properties": {"Resources": {"type": "object", "minProperties": 1}},
                        },
                    ],
                },
                "filename": _FILENAME,
            },
        },
        {
            "type": "object",
            "required": ["source", "plan"],
            "additionalProperties": False,
            "properties": {
                "source": {"type": "string", "enum": ["terraform"]},
                "plan": {
                    "description": "`terraform show -json` output: JSON text or the parsed object, which "
                    "has `planned_values`.",
                    "oneOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "required": ["planned_values"],
                            "properties": {"planned_values": {"type": "object"}},
                        },
                    ],
                },
                "filename": _FILENAME,
            },
        },
    ],
}
COMPARE_REQUEST = {
    "type": "object",
    "required": ["before", "after"],
    "additionalProperties": False,
    "properties": {
        "before": {"$ref": "#/components/schemas/Profile"},
        "after": {"$ref": "#/components/schemas/Profile"},
    },
}
COMPARISON = {
    "type": "object",
    "description": "Per domain: whether the winner changed, score moves, rules that started or stopped firing.",
    "required": ["domains"],
    "properties": {"domains": {"type": "object"}},
}


def _batch_request(key: str, item: str) -> dict[str, Any]:
    """Items are not constrained here: each is validated on its own, and an invalid one is answered in place."""
    described = {"description": f"A {item} (schema {item}); an invalid one gets an {{index, error}} result."}
    return {
        "type": "object",
        "required": [key],
        "additionalProperties": False,
        "properties": {key: {"type": "array", "minItems": 1, "items": described}},
    }


def register_components(api: Api) -> None:
    """Inputs from the marshmallow schemas, outputs from RESPONSE_SCHEMAS, and the bearer scheme."""
    describe_custom_fields(api.ma_plugin)
    api.spec.components.schema("Profile", schema=ProfileSchema)
    api.spec.components.schema("Proposal", schema=ProposalSchema)
    api.spec.components.schema("ImportRequest", component=IMPORT_REQUEST)
    api.spec.components.schema(
        "EvaluationRequest", component={"oneOf": [_ref("Proposal"), _ref("ImportRequest")]}
    )
    api.spec.components.schema("CompareRequest", component=COMPARE_REQUEST)
    api.spec.components.schema("Comparison", component=COMPARISON)
    api.spec.components.schema("RecommendationBatchRequest", component=_batch_request("profiles", "Profile"))
    api.spec.components.schema("EvaluationBatchRequest", component=_batch_request("proposals", "Proposal"))
    for name, schema in RESPONSE_SCHEMAS.items():
        api.spec.components.schema(name, component=schema)
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
