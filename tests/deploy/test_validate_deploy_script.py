"""scripts/validate-deploy, as CI runs it: passes on deploy/, fails loudly on a broken copy of it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.deploy.deployables import ROOT

SCRIPT = ROOT / "scripts" / "validate-deploy"


def run(deploy: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)], env={"PATH": "/usr/bin:/bin", "DEPLOY_DIR": str(deploy)},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_passes_on_the_repository() -> None:
    result = run(ROOT / "deploy")
    assert result.returncode == 0, result.stderr
    assert "ECS/AWS inputs valid" in result.stdout


def test_fails_naming_each_problem_in_a_broken_copy(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    shutil.copytree(ROOT / "deploy", deploy)
    (tmp_path / "knowledge").symlink_to(ROOT / "knowledge")  # what overlays/custom-knowledge packs
    deployment = deploy / "kubernetes" / "base" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("readOnlyRootFilesystem", "readOnlyRootFileSystem"))
    service = json.loads((deploy / "ecs" / "service.json").read_text())
    service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = "NO"
    (deploy / "ecs" / "service.json").write_text(json.dumps(service))
    (deploy / "kubernetes" / "overlays" / "dev" / "kustomization.yaml").write_text(
        "resources: [../../missing]\n"
    )

    result = run(deploy)

    assert result.returncode == 1
    assert "'readOnlyRootFileSystem' was unexpected" in result.stdout + result.stderr
    assert "assignPublicIp: 'NO' is not one of ENABLED, DISABLED" in result.stderr
    assert "cannot render overlay-dev" in result.stderr
