"""Endpoints that join the parts: compare, the ADR by content negotiation, importing in /v1/evaluations."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import ROOT

HS01 = {
    "priorities": {"simplicity": 5, "portability": 1},
    "team": {"kubernetes_experience": "none", "ops_capacity": "minimal"},
    "platform": {"manage_servers": "prefer_not", "service_count": 4},
}
MULTICLOUD = {
    "team": {"kubernetes_experience": "expert", "existing_platform": "kubernetes"},
    "platform": {"multi_cloud": True, "kubernetes_ecosystem": True},
}


def test_compare_reports_the_winner_change_and_the_rules_behind_it(client: FlaskClient) -> None:
    response = client.post("/v1/recommendations/compare", json={"before": HS01, "after": MULTICLOUD})
    assert response.status_code == 200
    body = response.get_json()
    orchestrator = body["domains"]["orchestrator"]
    assert orchestrator["winner"] == {"before": "ecs", "after": "eks"}
    assert body["winner_changed"] is True
    assert "ORC-001" in str(orchestrator)  # multi-cloud started firing


def test_compare_of_identical_profiles_changes_nothing(client: FlaskClient) -> None:
    body = client.post("/v1/recommendations/compare", json={"before": HS01, "after": HS01}).get_json()
    assert body["winner_changed"] is False
    assert body["changed_fields"] == []


def test_compare_names_the_side_of_an_invalid_profile(client: FlaskClient) -> None:
    response = client.post(
        "/v1/recommendations/compare", json={"before": HS01, "after": {"platform": {"multi_clod": True}}}
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["after.platform.multi_clod"]


def test_compare_requires_both_sides_and_nothing_else(client: FlaskClient) -> None:
    response = client.post("/v1/recommendations/compare", json={"before": HS01, "extra": 1})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "after": ["Missing data for required field."],
        "extra": ["Unknown field."],
    }


def test_accept_markdown_returns_the_decision_record(client: FlaskClient) -> None:
    response = client.post("/v1/recommendations", json=HS01, headers={"Accept": "text/markdown"})
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text.startswith("# ADR")
    assert "Amazon ECS" in text and "Alternatives considered" in text


def test_openapi_documents_the_decision_record(client: FlaskClient) -> None:
    operation = client.get("/openapi.json").get_json()["paths"]["/v1/recommendations"]["post"]
    content = operation["responses"]["200"]["content"]
    assert content["text/markdown"] == {"schema": {"type": "string"}}
    assert "application/json" in content


def test_json_stays_the_default_when_preferred(client: FlaskClient) -> None:
    response = client.post(
        "/v1/recommendations", json=HS01, headers={"Accept": "application/json, text/markdown;q=0.5"}
    )
    assert response.mimetype == "application/json"


def evaluate(client: FlaskClient, body: dict[str, Any]) -> Any:
    return client.post("/v1/evaluations", json=body)


def test_evaluations_import_a_cloudformation_template(client: FlaskClient) -> None:
    template = (ROOT / "tests" / "importers" / "templates" / "peering-chain.yaml").read_text()
    response = evaluate(client, {"source": "cloudformation", "template": template, "filename": "stack.yaml"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["import"]["source"] == "cloudformation"
    blocked = [f for f in body["flows"] if not f["reachable"]]
    assert blocked and "not transitive" in blocked[0]["blocked_by"]


def test_evaluations_import_reports_template_errors(client: FlaskClient) -> None:
    broken = evaluate(client, {"source": "cloudformation", "template": "Resources: [1"})
    assert broken.status_code == 400
    assert "template:1" in broken.get_json()["detail"]
    unknown = evaluate(client, {"source": "pulumi", "template": "{}"})
    assert unknown.status_code == 422
    assert "source" in unknown.get_json()["errors"]
    extra = evaluate(client, {"source": "terraform", "plan": "{}", "stack": "x"})
    assert extra.status_code == 422
    assert extra.get_json()["errors"] == {"stack": ["Unknown field."]}

    mismatch = (  # the instance's subnet and its security group are in different VPCs
        "Resources:\n"
        "  A: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
        "  B: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}\n"
        "  Sn: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref A, CidrBlock: 10.0.1.0/24}}\n"
        "  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x, VpcId: !Ref B}}\n"
        "  App: {Type: AWS::EC2::Instance, Properties: {SubnetId: !Ref Sn, SecurityGroupIds: [!Ref Sg]}}\n"
    )
    refused = evaluate(client, {"source": "cloudformation", "template": mismatch, "filename": "stack.yaml"})
    assert refused.status_code == 422
    messages = refused.get_json()["errors"]["topology.resources.0.security_groups.0"]
    assert messages[0].startswith("stack.yaml:6: App: Sg belongs to B")


OPEN_DB = {
    "name": "open",
    "topology": {
        "vpcs": [{"id": "vpc-1", "cidr": "10.0.0.0/16"}],
        "subnets": [{"id": "sn-1", "vpc": "vpc-1", "cidr": "10.0.1.0/24"}],
        "security_groups": [
            {"id": "sg-db", "vpc": "vpc-1", "inbound": [{"protocol": "tcp", "ports": "5432", "source": "0.0.0.0/0"}]}
        ],
        "resources": [
            {"id": "db", "type": "rds", "engine": "postgres", "subnet": "sn-1", "security_groups": ["sg-db"],
             "stateful": False}
        ],
    },
}  # fmt: skip


def test_batch_summary_counts_what_counts_toward_verdicts(client: FlaskClient) -> None:
    acknowledged = {
        **OPEN_DB,
        "name": "accepted",
        "acknowledgements": [
            {
                "finding": "sg-open-database-port",
                "resource": "sg-db",
                "reason": "demo",
                "expires": "2999-01-01",
            }
        ],
    }
    body = client.post(
        "/v1/evaluations/batch", json={"proposals": [OPEN_DB, acknowledged, {"nme": "x"}]}
    ).get_json()
    assert [r.get("verdict") for r in body["results"]] == ["fail", "pass", None]
    assert body["results"][2]["index"] == 2
    summary = body["summary"]
    assert (summary["total"], summary["fail"], summary["pass"], summary["errors"]) == (3, 1, 1, 1)
    assert summary["findings_by_severity"]["critical"] == 1  # the acknowledged one does not count
