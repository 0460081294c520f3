"""The service with RECOMMENDER_POLICY_PATH: answers name the policy, a Region outside it is a 422 naming it, a
broken policy stops the start, and on reload a broken one is rejected while the last good one keeps serving."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from api import create_app
from api.reload import reload_knowledge
from api.state import holder
from recommender.errors import KnowledgeError
from tests.policy.conftest import EXAMPLE

PROFILE = {"region": "eu-west-1", "platform": {}}


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    shutil.copy(EXAMPLE, path)
    return path


def post(app: object, profile: dict[str, object]) -> tuple[int, dict[str, object]]:
    response = app.test_client().post("/v1/recommendations", json=profile)  # type: ignore[attr-defined]
    return response.status_code, response.json


def test_answers_name_the_policy_and_a_region_outside_is_refused(policy_file: Path) -> None:
    app = create_app({"TESTING": True, "RECOMMENDER_POLICY_PATH": str(policy_file)})
    status, body = post(app, PROFILE)
    assert status == 200
    assert body["knowledge_base"]["policy"]["name"] == "acme-platform"  # type: ignore[index]
    status, body = post(app, {**PROFILE, "region": "us-east-1"})
    assert status == 422
    assert "acme-platform" in json.dumps(body) and "region" in json.dumps(body)


def test_without_a_policy_answers_carry_none(policy_file: Path) -> None:
    status, body = post(create_app({"TESTING": True}), PROFILE)
    assert status == 200 and "policy" not in body["knowledge_base"]  # type: ignore[operator]


def test_a_broken_policy_stops_the_start_with_its_line(policy_file: Path) -> None:
    policy_file.write_text(policy_file.read_text().replace("option: ecs,", "option: ecss,"))
    with pytest.raises(
        KnowledgeError, match=r"policy.yaml:\d+: orchestrator.disallowed: unknown option 'ecss'"
    ):
        create_app({"RECOMMENDER_POLICY_PATH": str(policy_file)})


def test_reload_rejects_a_broken_policy_and_takes_a_good_one(
    policy_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app({"TESTING": True, "RECOMMENDER_POLICY_PATH": str(policy_file)})
    serving = holder(app).kb
    good = policy_file.read_text()
    policy_file.write_text(
        good.replace("version: 2026.12.1", "version: 2026.12.2").replace("option: ecs,", "option: ecss,")
    )
    assert not reload_knowledge(app, "test")
    assert holder(app).kb is serving
    assert "unknown option 'ecss'" in capsys.readouterr().err
    policy_file.write_text(good.replace("version: 2026.12.1", "version: 2026.12.2"))
    assert reload_knowledge(app, "test")
    assert holder(app).kb.policy.version == "2026.12.2"
    _, body = post(app, PROFILE)
    assert body["knowledge_base"]["policy"]["version"] == "2026.12.2"  # type: ignore[index]


def test_the_knowledge_listing_names_the_policy_and_its_rules(policy_file: Path) -> None:
    client = create_app({"TESTING": True, "RECOMMENDER_POLICY_PATH": str(policy_file)}).test_client()
    summary = client.get("/v1/knowledge")
    assert summary.json["policy"]["name"] == "acme-platform"
    assert summary.json["policy"]["owner"] == "platform-team@acme.example"
    plain = create_app({"TESTING": True}).test_client().get("/v1/knowledge")
    assert "policy" not in plain.json and plain.headers["ETag"] != summary.headers["ETag"]
    rules = client.get("/v1/knowledge/orchestrator").json["rules"]
    assert {r["id"]: r.get("origin") for r in rules}["POL-disallowed-ecs"] == "policy"
