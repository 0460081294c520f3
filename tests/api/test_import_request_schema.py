"""The OpenAPI document describes exactly what /v1/evaluations accepts for an import: a body is valid under
the served ImportRequest schema if and only if the API evaluates it (schemathesis's positive-data check found
a schema-valid Terraform body without planned_values that was refused). And an rds resource without a
subnet, valid under the Proposal schema, is evaluated with its network checks skipped and said so."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient

TEMPLATE = "Resources:\n  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
PLAN = {"format_version": "1.2", "planned_values": {"root_module": {"resources": []}}}

BODIES: list[tuple[str, dict[str, Any], bool]] = [
    ("template text", {"source": "cloudformation", "template": TEMPLATE}, True),
    ("template object", {"source": "cloudformation", "template": {"Resources": {"Vpc": {
        "Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}}}, True),
    ("plan object", {"source": "terraform", "plan": PLAN, "filename": "plan.json"}, True),
    ("plan object without planned_values", {"source": "terraform", "plan": {"format_version": "1.2"}}, False),
    ("plan whose planned_values is a list", {"source": "terraform", "plan": {"planned_values": []}}, False),
    ("terraform given a template", {"source": "terraform", "template": PLAN}, False),
    ("cloudformation given a plan", {"source": "cloudformation", "plan": TEMPLATE}, False),
    ("template object without Resources", {"source": "cloudformation", "template": {"Parameters": {}}}, False),
    ("template with empty Resources", {"source": "cloudformation", "template": {"Resources": {}}}, False),
    ("no document", {"source": "terraform"}, False),
    ("an unknown field", {"source": "terraform", "plan": PLAN, "stack": "x"}, False),
]  # fmt: skip


@pytest.fixture
def import_schema(app: Any) -> dict[str, Any]:
    return app.test_client().get("/openapi.json").get_json()["components"]["schemas"]["ImportRequest"]


@pytest.mark.parametrize(("case", "body", "valid"), BODIES, ids=[c for c, _, _ in BODIES])
def test_schema_valid_if_and_only_if_accepted(
    case: str, body: dict[str, Any], valid: bool, import_schema: dict[str, Any], client: FlaskClient
) -> None:
    errors = list(jsonschema.Draft4Validator(import_schema).iter_errors(body))
    assert (not errors) is valid, errors
    response = client.post("/v1/evaluations", json=body)
    assert (response.status_code == 200) is valid, response.get_json()
    if not valid:
        assert response.status_code in (400, 422)
        assert response.headers["Content-Type"].startswith("application/problem+json")


def test_rds_without_a_subnet_is_evaluated_with_network_checks_skipped(client: FlaskClient) -> None:
    proposal = {
        "name": "backup review",
        "choices": {"backup": ["rds_automated_backups"]},
        "topology": {"resources": [{"id": "orders-db", "type": "rds", "engine": "postgres"}]},
    }
    response = client.post("/v1/evaluations", json=proposal)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["verdict"] == "pass"
    assert body["notes"] == [
        "orders-db has no subnet: its network checks (security groups, subnet, reachability) are skipped; "
        "only its backups and settings are reviewed"
    ]
