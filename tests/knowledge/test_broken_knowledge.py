"""A copy of the shipped knowledge base with one thing broken is rejected with `file:line: rule-id: message`,
by load_knowledge and by `recommender kb validate PATH` (exit 1)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.errors import KnowledgeError
from recommender.knowledge import DEFAULT_PATH, load_knowledge
from tests.conftest import ROOT

# (case, file, text to replace (first occurrence), replacement, line that holds the fault, expected problem)
CASES = [
    (
        "left-out-unknown-family", "instance_family.yaml",
        "  - families: [dl1, dl2q,", "  - families: [dl1, dl9, dl2q,",
        "  - families: [dl1, dl9", "left_out: 'dl9' is not a family of the catalogue (did you mean 'dl1'?)",
    ),
    (
        "left-out-family-is-an-option", "instance_family.yaml",
        "  - families: [dl1, dl2q,", "  - families: [p5en, dl1, dl2q,",
        "  - families: [p5en", "left_out: 'p5en' is also an option",
    ),
    (
        "catalogue-family-neither-option-nor-left-out", "instance_family.yaml",
        "  - families: [dl1, dl2q,", "  - families: [dl2q,",
        "left_out:", "left_out: catalogue families neither options nor left out: dl1",
    ),
    (
        "headroom-for-unknown-kind", "knowledge.yaml",
        "  in_memory_cache:\n    percent: 25", "  in_memory_cach:\n    percent: 25",
        "  in_memory_cach:", "memory_headroom: unknown workload kind 'in_memory_cach' (did you mean 'in_memory_cache'?)",
    ),
    (
        "headroom-of-100-percent", "knowledge.yaml",
        "    percent: 25", "    percent: 100",
        "    percent: 100", "memory_headroom.in_memory_cache: percent '100' is not between 0 and 100",
    ),
    (
        "conditional-on-unknown-option", "knowledge.yaml",
        "    option: ec2\n", "    option: ec3\n",
        "instance_family:\n    domain", "'launch_type' has no option 'ec3'",
    ),
    (
        "price-without-source", "prices.yaml",
        'nlb_hour: {usd: 0.0225, unit: per NLB-hour (plus LCUs), source: "https://aws.amazon.com/elasticloadbalancing/pricing/", as_of: 2026-07}',
        "nlb_hour: {usd: 0.0225, unit: per NLB-hour (plus LCUs), as_of: 2026-07}",
        "nlb_hour:", "nlb_hour: missing key 'source'",
    ),
    (
        "misspelt-field", "orchestrator.yaml",
        "{field: platform.multi_cloud, op: eq, value: true}", "{field: platform.multi_clod, op: eq, value: true}",
        "platform.multi_clod", "ORC-001: unknown field 'platform.multi_clod' (did you mean 'platform.multi_cloud'?)",
    ),
    (
        "unknown-option-id", "launch_type.yaml",
        "options: [fargate]\n    exclude: true", "options: [fargat]\n    exclude: true",
        "[fargat]", "LCH-001: unknown option id 'fargat' (did you mean 'fargate'?)",
    ),
    (
        "duplicate-rule-id", "backup.yaml", "id: BAK-002", "id: BAK-001",
        "id: BAK-001\n    when: {field: backup.compliance", "BAK-001: duplicate rule id",
    ),
    (
        "rule-without-sources", "connectivity.yaml",
        "    sources:\n      - https://docs.aws.amazon.com/whitepapers/latest/building-scalable-secure-multi-vpc-network-infrastructure/vpc-peering.html\n\n  - id: NET-029",
        "\n  - id: NET-029",
        "id: NET-028", "NET-028: missing key 'sources'",
    ),
    (
        "bad-operator", "instance_family.yaml",
        "{field: workload.arm64_ok, op: eq, value: false}", "{field: workload.arm64_ok, op: eqq, value: false}",
        "op: eqq", "INS-004: unknown operator 'eqq' (did you mean 'eq'?)",
    ),
    (
        "bad-enum-value", "orchestrator.yaml",
        "value: kubernetes}", "value: kubernetis}",
        "kubernetis", "ORC-003: 'kubernetis' is not a value of 'team.existing_platform' (did you mean 'kubernetes'?); "
        "allowed: none, ecs, kubernetes",
    ),
    (
        "bad-priority", "backup.yaml", "priority: cost\n    reason: Snapshots", "priority: costs\n    reason: Snapshots",
        "priority: costs", "BAK-024: unknown priority 'costs' (did you mean 'cost'?)",
    ),
    (
        "unknown-family-attribute", "instance_family.yaml",
        "options: {burstable: true}\n    score: 12", "options: {burstible: true}\n    score: 12",
        "burstible", "INS-051: unknown option attribute 'burstible' (did you mean 'burstable'?)",
    ),
    (
        "unknown-family", "instance_family.yaml", "  - id: m7g\n", "  - id: m7gx\n",
        "id: m7gx", "family 'm7gx' is not a current-generation family of the catalogue (did you mean 'm7g'?)",
    ),
    (
        "base-off-the-hundredths", "backup.yaml", "base: 40", "base: 40.005",
        "base: 40.005", "base must be a score from 0 to 100 in hundredths, not 40.005",
    ),
    (
        "engine-port-out-of-range", "knowledge.yaml", "oracle: {port: 1521,", "oracle: {port: 152100,",
        "port: 152100", "database_engines.oracle: port '152100' is not 1-65535",
    ),
    (
        "engine-missing", "knowledge.yaml", "  oracle: {port: 1521, name: Oracle}\n", "",
        "database_engines:", "database_engines: missing 'oracle' (a profile or proposal may name it)",
    ),
    (
        "engine-unknown", "knowledge.yaml", "  oracle: {port: 1521, name: Oracle}\n",
        "  oracle: {port: 1521, name: Oracle}\n  orcle: {port: 1521, name: Oracle}\n",
        "orcle:", "database_engines: unknown engine 'orcle' (did you mean 'oracle'?)",
    ),
    (
        "world-open-security-group-rule", "connectivity.yaml",
        'source: "cidr:{network.source.cidr}"', 'source: "cidr:0.0.0.0/0"',
        "cidr:0.0.0.0/0", "source 'cidr:0.0.0.0/0' must be security-group:NAME or cidr:CIDR, and never a /0",
    ),
    (
        "world-cidr-not-a-cidr", "findings.yaml", 'world_cidrs: ["0.0.0.0/0", "::/0"]', 'world_cidrs: ["0.0.0.0/0", "::/00x"]',
        "world_cidrs:", "network.world_cidrs: '::/00x' is not a CIDR block",
    ),
    (
        "ephemeral-ports-reversed", "findings.yaml", "ephemeral_ports: [1024, 65535]", "ephemeral_ports: [65535, 1024]",
        "ephemeral_ports:", "network.ephemeral_ports must be [low, high], two ports 0-65535",
    ),
    (
        "yaml-syntax-error", "connectivity.yaml", "  - id: NET-002\n", "  - id: [NET-002\n",
        "    when: {field: network.source.type, op: eq, value: on_premises}", "invalid YAML",
    ),
]  # fmt: skip


def broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_PATH, root, ignore=shutil.ignore_patterns("README.md", "schema"))
    path = root / file
    text = path.read_text()
    assert old in text, f"{file} no longer contains the text this case breaks"
    path.write_text(text.replace(old, new, 1))
    return root


def line_of(path: Path, needle: str) -> int:
    text = path.read_text()
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("file", "old", "new", "at", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_file_is_rejected_with_file_line_rule_and_message(
    tmp_path: Path, file: str, old: str, new: str, at: str, expected: str
) -> None:
    root = broken_copy(tmp_path, file, old, new)
    path = root / file
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    problems = [str(p) for p in caught.value.problems]
    where = f"{path}:{line_of(path, at)}: "
    assert any(p.startswith(where) and expected in p for p in problems), problems
    if expected != "invalid YAML":
        assert len(problems) == 1, problems


@pytest.mark.parametrize(
    ("file", "old", "new", "at", "expected"), [CASES[0][1:], CASES[-1][1:]], ids=["field", "yaml"]
)
def test_kb_validate_command_exits_1_and_prints_the_problem(
    tmp_path: Path, file: str, old: str, new: str, at: str, expected: str
) -> None:
    root = broken_copy(tmp_path, file, old, new)
    result = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "kb", "validate", str(root)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"{root / file}:{line_of(root / file, at)}: {expected}" in result.stdout
    assert "Traceback" not in result.stderr


def test_unbroken_copy_is_valid(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_PATH, root)
    assert set(load_knowledge(root).domains) == {
        "orchestrator",
        "launch_type",
        "instance_family",
        "connectivity",
        "backup",
    }
