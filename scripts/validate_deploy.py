"""Offline checks of deploy/ that need Python: the ECS/AWS JSON against botocore's service models,
Fargate's CPU/memory table, and the size of rendered ConfigMaps.

Usage: validate_deploy.py [--ecs-dir DIR] [RENDERED_MANIFEST.yaml ...]; prints one line per problem, exits 1 on any.
scripts/validate-deploy renders the Kubernetes overlays and passes them here; tests/deploy/ imports it.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import botocore.session
import yaml
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

ROOT = Path(__file__).resolve().parent.parent
ECS_DIR = ROOT / "deploy" / "ecs"

# Each ECS/AWS file is the input of one API call (--cli-input-json), or maps operation names to the
# input (or list of inputs) of each call, in the order they are made.
ECS_FILES: dict[str, tuple[str, str | None]] = {
    "task-definition.json": ("ecs", "RegisterTaskDefinition"),
    "task-definition-policy.json": ("ecs", "RegisterTaskDefinition"),  # with an organisation policy from S3
    "service.json": ("ecs", "CreateService"),
    "target-group.json": ("elbv2", None),
    "security-groups.json": ("ec2", None),
    "autoscaling.json": ("application-autoscaling", None),
}

# Task memory (MiB) allowed for each task CPU (units) on Fargate:
# https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html
FARGATE_MEMORY_MIB: dict[int, Sequence[int]] = {
    256: (512, 1024, 2048),
    512: range(1024, 4096 + 1, 1024),
    1024: range(2048, 8192 + 1, 1024),
    2048: range(4096, 16384 + 1, 1024),
    4096: range(8192, 30720 + 1, 1024),
    8192: range(16384, 61440 + 1, 4096),
    16384: range(32768, 122880 + 1, 8192),
}

CONFIGMAP_LIMIT_BYTES = 1024 * 1024


def api_calls(path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(service, operation, input) for every API call a file of deploy/ecs describes."""
    service, operation = ECS_FILES[path.name]
    document = json.loads(path.read_text(encoding="utf-8"))
    if operation is not None:
        yield service, operation, document
        return
    for name, inputs in document.items():
        for params in inputs if isinstance(inputs, list) else [inputs]:
            yield service, name, params


def input_problems(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    """What botocore would refuse in this input before sending it, plus values outside an enum."""
    model = _service_model(service)
    if operation not in model.operation_names:
        return [f"{service} has no operation {operation}"]
    shape = model.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    problems = report.generate_report().splitlines() if report.has_errors() else []
    return problems + list(_enum_problems(shape, params, ""))


@functools.cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def _enum_problems(shape: Shape, value: Any, path: str) -> Iterator[str]:
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                yield from _enum_problems(shape.members[key], item, f"{path}.{key}".lstrip("."))
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _enum_problems(shape.member, item, f"{path}[{index}]")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            yield from _enum_problems(shape.value, item, f"{path}.{key}")
    elif getattr(shape, "enum", None) and isinstance(value, str) and value not in shape.enum:
        yield f"{path}: {value!r} is not one of {', '.join(shape.enum)}"


def fargate_size_problems(task_definition: dict[str, Any]) -> list[str]:
    """Fargate runs a task only at one of its CPU/memory combinations."""
    try:
        cpu, memory = int(task_definition["cpu"]), int(task_definition["memory"])
    except (KeyError, ValueError):
        return ["a Fargate task definition needs numeric task-level cpu and memory"]
    allowed = FARGATE_MEMORY_MIB.get(cpu)
    if allowed is None:
        return [f"cpu {cpu} is not a Fargate size; use one of {', '.join(map(str, FARGATE_MEMORY_MIB))}"]
    if memory not in allowed:
        return [
            f"memory {memory} MiB is not valid with cpu {cpu} on Fargate ({min(allowed)}-{max(allowed)} MiB)"
        ]
    return []


def ecs_problems(directory: Path = ECS_DIR) -> list[str]:
    problems: list[str] = []
    for name in ECS_FILES:
        path = directory / name
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        try:
            calls = list(api_calls(path))
        except (json.JSONDecodeError, AttributeError) as exc:
            problems.append(f"{path}: not a JSON object of API inputs: {exc}")
            continue
        for service, operation, params in calls:
            problems += [f"{path}: {operation}: {p}" for p in input_problems(service, operation, params)]
            if operation == "RegisterTaskDefinition" and "FARGATE" in params.get(
                "requiresCompatibilities", []
            ):
                problems += [f"{path}: {p}" for p in fargate_size_problems(params)]
    return problems


def configmap_size_problems(documents: Iterable[dict[str, Any]]) -> list[str]:
    """The API server refuses a ConfigMap whose data exceeds 1 MiB."""
    problems = []
    for document in documents:
        if document.get("kind") != "ConfigMap":
            continue
        entries = {**document.get("data", {}), **document.get("binaryData", {})}
        size = sum(len(key) + len(str(value).encode("utf-8")) for key, value in entries.items())
        if size > CONFIGMAP_LIMIT_BYTES:
            name = document["metadata"]["name"]
            problems.append(f"ConfigMap {name}: {size} bytes of data, over the 1 MiB limit")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Check deploy/ offline: ECS/AWS inputs and rendered ConfigMaps."
    )
    parser.add_argument("--ecs-dir", type=Path, default=ECS_DIR, help="folder of the ECS/AWS JSON files")
    parser.add_argument("rendered", nargs="*", help="rendered Kubernetes manifests (multi-document YAML)")
    args = parser.parse_args(argv)
    problems = ecs_problems(args.ecs_dir)
    for rendered in args.rendered:
        documents = [d for d in yaml.safe_load_all(Path(rendered).read_text(encoding="utf-8")) if d]
        problems += [f"{rendered}: {p}" for p in configmap_size_problems(documents)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
