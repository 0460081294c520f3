"""Rendered Kubernetes manifests and the ECS JSON of deploy/, read the way an operator would deploy them."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
ECS = ROOT / "deploy" / "ecs"
OVERLAYS = sorted(p.name for p in (KUBERNETES / "overlays").iterdir() if p.is_dir())


def load_validate_deploy() -> ModuleType:
    """scripts/validate_deploy.py, the checks scripts/validate-deploy runs in CI."""
    spec = importlib.util.spec_from_file_location("validate_deploy", ROOT / "scripts" / "validate_deploy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(directory: Path, *flags: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["kubectl", "kustomize", *flags, str(directory)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_overlay(name: str) -> list[dict[str, Any]]:
    """As `kubectl kustomize` / `kubectl apply -k` render it: no flags (apply -k takes no --load-restrictor)."""
    return render(KUBERNETES / "overlays" / name)


def one(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in documents if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def container(documents: list[dict[str, Any]]) -> dict[str, Any]:
    containers = one(documents, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["recommender"]
    return containers[0]


def load_json(name: str) -> Any:
    return json.loads((ECS / name).read_text(encoding="utf-8"))
