"""Loading a policy (recommender.policy): every broken policy is rejected with its file, line, id and a
"did you mean"; the JSON Schema agrees with the loader; `recommender kb validate --policy` reports both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from recommender.cli import main
from recommender.errors import KnowledgeError
from recommender.knowledge import DEFAULT_PATH, KnowledgeBase
from recommender.policy import load_policy
from tests.policy.conftest import EXAMPLE, write_policy

HEAD = "policy: acme\nversion: '1'\n"
SCHEMA = Draft202012Validator(json.loads((DEFAULT_PATH / "schema" / "policy.schema.json").read_text()))

# (what is broken, the policy's body after HEAD, the problem as `line: id: message`)
BROKEN = [
    ("unknown top key", "regoins: {allowed: [eu-west-1]}\n", "3: unknown key 'regoins' (did you mean 'regions'?)"),
    ("unknown Region", "regions: {allowed: [eu-west-9]}\n", "3: regions: unknown Region 'eu-west-9'"),
    ("unknown domain", "domains:\n  orchestrater: {}\n", "4: unknown domain 'orchestrater' (did you mean 'orchestrator'?)"),
    ("unknown option", "domains:\n  orchestrator:\n    disallowed:\n      - {option: ecss, reason: r}\n",
     "6: orchestrator.disallowed: unknown option 'ecss' (did you mean 'ecs'?)"),
    ("every option disallowed", "domains:\n  orchestrator:\n    disallowed:\n      - {option: ecs, reason: r}\n"
     "      - {option: eks, reason: r}\n", "7: orchestrator.disallowed: the policy disallows every option of orchestrator"),
    ("choice without reason", "domains:\n  orchestrator:\n    disallowed:\n      - {option: ecs}\n",
     "6: orchestrator.disallowed: missing key 'reason'"),
    ("preferred without points", "domains:\n  orchestrator:\n    preferred:\n      - {option: eks, score: 0, reason: r}\n",
     "6: orchestrator.preferred: 'score' must be a number of points"),
    ("http link", "domains:\n  orchestrator:\n    disallowed:\n      - {option: ecs, reason: r, link: 'http://wiki'}\n",
     "6: orchestrator.disallowed: link 'http://wiki' is not an https URL"),
    ("unknown condition field", "domains:\n  backup:\n    required:\n      - option: aws_backup\n        reason: r\n"
     "        when: {field: backup.scopes, op: contains, value: databases}\n",
     "8: backup.required: unknown field 'backup.scopes' (did you mean 'backup.scope'?)"),
    ("disallowed and required", "domains:\n  backup:\n    disallowed:\n      - {option: ami, reason: r}\n"
     "    required:\n      - {option: ami, reason: r}\n", "8: backup.required: 'ami' cannot be both disallowed and required"),
    ("priority level", "priorities:\n  floors: {security: 7}\n", "4: priorities: floors.security: '7' is not a level 0..5"),
    ("unknown priority", "priorities:\n  defaults: {costs: 4}\n", "4: priorities: unknown priority 'costs' (did you mean 'cost'?)"),
    ("rule id prefix", "rules:\n  - {id: ABC-001, domain: orchestrator, options: [eks], score: 2, priority: fit, "
     "reason: r, sources: ['https://wiki.acme.example']}\n", "4: ABC-001: a policy rule's id starts with POL-"),
    ("rule without sources", "rules:\n  - {id: POL-001, domain: orchestrator, options: [eks], score: 2, priority: fit, "
     "reason: r}\n", "4: POL-001: missing key 'sources'"),
    ("rule without domain", "rules:\n  - {id: POL-001, options: [eks], score: 2, priority: fit, reason: r, "
     "sources: ['https://a.example']}\n", "4: POL-001: a policy rule names its 'domain'"),
    ("finding resource", "findings:\n  - {id: acme-x, severity: low, title: t, message: m, remediation: r,\n"
     "     when: {resource: rdss, field: engine, op: eq, value: oracle}}\n", "5: acme-x: unknown resource type 'rdss' (did you mean 'rds'?)"),
    ("finding field", "findings:\n  - {id: acme-x, severity: low, title: t, message: m, remediation: r,\n"
     "     when: {resource: rds, field: engin, op: eq, value: oracle}}\n", "5: acme-x: unknown field 'engin' (did you mean 'engine'?)"),
    ("finding id taken", "findings:\n  - {id: policy-violation, severity: low, title: t, message: m, remediation: r,\n"
     "     when: {resource: rds}}\n", "4: policy-violation: duplicate finding id"),
    ("override of unknown finding", "overrides:\n  - {finding: backup-mising, suppress: true, reason: r}\n",
     "4: overrides: unknown finding 'backup-mising' (did you mean 'backup-missing'?)"),
    ("override without reason", "overrides:\n  - {finding: backup-missing, suppress: true}\n",
     "4: overrides: missing key 'reason'"),
    ("override with both effects", "overrides:\n  - {finding: backup-missing, suppress: true, severity: low, reason: r}\n",
     "4: backup-missing: an override has exactly one of 'severity' and 'suppress: true'"),
    ("expiry not a date", "overrides:\n  - {finding: backup-missing, suppress: true, reason: r, expires: soon}\n",
     "4: backup-missing: expires 'soon' is not a date"),
]  # fmt: skip


def as_json(text: str) -> Any:
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


@pytest.mark.parametrize(("case", "body", "problem"), BROKEN, ids=[case for case, _, _ in BROKEN])
def test_a_broken_policy_is_rejected_with_its_line(
    case: str, body: str, problem: str, tmp_path: Path, kb: KnowledgeBase
) -> None:
    path = write_policy(tmp_path, HEAD + body)
    with pytest.raises(KnowledgeError) as caught:
        load_policy(path, kb)
    assert any(str(p).startswith(f"{path}:") and problem in str(p) for p in caught.value.problems), str(
        caught.value
    )


SCHEMA_ALSO = {"unknown top key", "unknown domain", "choice without reason", "preferred without points", "http link",
               "priority level", "unknown priority", "rule id prefix", "rule without sources", "rule without domain",
               "finding id taken", "override without reason", "override with both effects"}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SCHEMA_ALSO))
def test_the_json_schema_rejects_what_the_loader_rejects(case: str) -> None:
    body = next(body for name, body, _ in BROKEN if name == case)
    assert list(SCHEMA.iter_errors(as_json(HEAD + body))) != []


def test_the_example_policy_matches_the_schema_and_loads(kb: KnowledgeBase) -> None:
    assert list(SCHEMA.iter_errors(as_json(EXAMPLE.read_text()))) == []
    policy = load_policy(EXAMPLE, kb)
    assert policy.identity["name"] == "acme-platform"
    assert policy.identity["digest"].startswith("sha256:")
    assert policy.regions == ("eu-central-1", "eu-west-1")


def test_a_folder_is_one_policy_and_json_files_are_read_too(tmp_path: Path, kb: KnowledgeBase) -> None:
    write_policy(tmp_path, HEAD + "regions: {allowed: [eu-west-1]}\n", "a.yaml")
    doc = {
        "policy": "acme",
        "version": "1",
        "domains": {"orchestrator": {"disallowed": [{"option": "ecs", "reason": "r"}]}},
    }
    write_policy(tmp_path, json.dumps(doc, indent=1), "b.json")
    policy = load_policy(tmp_path, kb)
    assert policy.regions == ("eu-west-1",)
    assert [c.rule for c in policy.choices] == ["POL-disallowed-ecs"]
    write_policy(tmp_path, "policy: other\nversion: '1'\n", "c.yaml")
    with pytest.raises(KnowledgeError, match="c.yaml:1: every file of a policy names the same policy"):
        load_policy(tmp_path, kb)


def test_a_json_policy_reports_lines(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = write_policy(tmp_path, '{\n "policy": "acme",\n "version": "1",\n "regoins": {}\n}\n', "p.json")
    with pytest.raises(KnowledgeError, match=r"p.json:4: unknown key 'regoins'"):
        load_policy(path, kb)


def test_kb_validate_with_a_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "validate", "--policy", str(EXAMPLE)]) == 0
    assert "policy acme-platform 2026.12.1 is valid" in capsys.readouterr().out
    broken = write_policy(tmp_path, HEAD + "regoins: {}\n")
    assert main(["kb", "validate", "--policy", str(broken)]) == 1
    assert f"{broken}:3: unknown key 'regoins'" in capsys.readouterr().out
    assert main(["kb", "validate", "--policy", str(tmp_path / "missing.yaml")]) == 1
    assert "not found" in capsys.readouterr().out
