from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recommender.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


PROFILE = "platform: {manage_servers: prefer_not}\nteam: {kubernetes_experience: none}\n"


def test_recommend_json_from_stdin() -> None:
    result = run("recommend", "-", "--format", "json", stdin=PROFILE)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["recommendations"]["orchestrator"]["options"][0]["id"] == "ecs"
    assert doc["recommendations"]["launch_type"]["options"][0]["id"] == "fargate"


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        (
            "platform: {manage_srvers: required}\n",
            "platform.manage_srvers: Unknown field. Did you mean 'manage_servers'?",
        ),
        ("workload: {kind: web, vcpus: 0}\n", "workload.vcpus: Must be greater than or equal to 1"),
        ("workload: {vcpus: 2}\n", "workload.kind: Missing data for required field."),
        ("a: [1\n", "line 2: invalid YAML"),
        ("a: &x 1\nb: *x\n", "YAML anchors are not accepted"),
    ],
)
def test_bad_profile_exits_2_with_field_and_reason(stdin: str, expected: str) -> None:
    result = run("recommend", "-", stdin=stdin)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2() -> None:
    result = run("recommend", "does-not-exist.yaml")
    assert result.returncode == 2
    assert "does-not-exist.yaml: cannot read" in result.stderr


def test_kb_validate_clean_on_shipped_knowledge() -> None:
    result = run("kb", "validate")
    assert result.returncode == 0, result.stdout
    assert "is valid" in result.stdout
